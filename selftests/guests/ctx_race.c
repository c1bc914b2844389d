// SPDX-License-Identifier: GPL-2.0
/*
 * ctx_race: the guest half of selftests/ctx_race.c.  vCPU 0 gives vCPU 1 a
 * context with VCPUOP_initialise (context B below, vCPU 1 left down) at the
 * moment the launcher sets vCPU 1's registers with PVMX_SET_REGS (context
 * A): it prints where its go flag is, spins until the launcher sets it (the
 * launcher then enters PVMX_SET_REGS), spins a little (cmdline spins,
 * 20000 pauses) to land inside that call, then calls VCPUOP_initialise and reports the
 * result.  The launcher checks vCPU 1 ends with one whole
 * context: A, since SET_REGS either came last or made the initialise -EEXIST.
 */
#include "runtime.h"

/* Context B: every register the launcher compares differs from context A. */
#define B_GPR(n)	(0xB0000000u + (n))
#define B_EIP		0xB0001000u
#define B_ESP		0xB0002000u
#define B_KERNEL_SP	0xB0003000u
#define B_EFLAGS	0x2C2u		/* ZF, SF; the hypervisor adds IF */

static volatile u32 go_flag __attribute__((aligned(64)));
static struct xen_vcpu_guest_context ctx;

void test_main(void)
{
	long rc;
	u32 n;

	memset(&ctx, 0, sizeof(ctx));
	ctx.flags = VGCF_in_kernel;		/* not online: vCPU 1 stays down */
	ctx.user_regs.eax = B_GPR(0);
	ctx.user_regs.ecx = B_GPR(1);
	ctx.user_regs.edx = B_GPR(2);
	ctx.user_regs.ebx = B_GPR(3);
	ctx.user_regs.ebp = B_GPR(5);
	ctx.user_regs.esi = B_GPR(6);
	ctx.user_regs.edi = B_GPR(7);
	ctx.user_regs.esp = B_ESP;
	ctx.user_regs.eip = B_EIP;
	ctx.user_regs.eflags = B_EFLAGS;
	ctx.user_regs.cs = FLAT_RING1_CS;
	ctx.user_regs.ss = FLAT_RING1_SS;
	ctx.user_regs.ds = FLAT_RING1_DS;
	ctx.user_regs.es = FLAT_RING1_DS;
	ctx.kernel_ss = FLAT_RING1_SS;
	ctx.kernel_sp = B_KERNEL_SP;
	ctx.ctrlreg[3] = XEN_PFN_TO_CR3(va_to_mfn((void *)start_info->pt_base));

	printf("ctx_race: flag mfn=0x%x off=0x%x\n", va_to_mfn((void *)&go_flag),
	       (u32)&go_flag & (PAGE_SIZE - 1));
	while (!go_flag)
		asm volatile("pause" ::: "memory");
	printf("ctx_race: go\n");
	/* Into the launcher's SET_REGS, not before it: `spins` pauses later. */
	n = cmdline_uint(start_info->cmd_line, "spins", 20000);
	while (n--)
		asm volatile("pause" ::: "memory");
	printf("ctx_race: initialise\n");
	rc = vcpu_op(VCPUOP_initialise, 1, &ctx);
	printf("ctx_race: initialise rc=%d\n", (int)rc);
	shutdown(SHUTDOWN_poweroff);
}
