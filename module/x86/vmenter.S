/* SPDX-License-Identifier: GPL-2.0 */
/*
 * VM entry and exit.  The guest is 32-bit, so only the eight legacy
 * registers carry guest state; ESP is context-switched by the VMCS.
 */
#include <linux/linkage.h>
#include <asm/asm.h>
#include <asm/msr-index.h>
#include <asm/nospec-branch.h>
#include <asm/percpu.h>
#include <asm/unwind_hints.h>

/* Checked against <asm/vmx.h> and core.h by BUILD_BUG_ON in vmx.c. */
#define VMCS_HOST_RSP	0x6c14
#define GPR_EAX		0
#define GPR_ECX		8
#define GPR_EDX		16
#define GPR_EBX		24
#define GPR_EBP		40
#define GPR_ESI		48
#define GPR_EDI		56

.text

/*
 * int pvmx_vmenter(unsigned long *gprs, unsigned long *host_rsp, bool launched)
 *
 * Returns 0 after a VM exit, 1 if VMLAUNCH/VMRESUME failed (VMfail).
 * *host_rsp caches the HOST_RSP last written, to skip the VMWRITE.
 */
SYM_FUNC_START(pvmx_vmenter)
	push %rbp
	mov  %rsp, %rbp
	push %r15
	push %r14
	push %r13
	push %r12
	push %rbx
	/* @gprs, needed again after the exit. */
	push %rdi

	/* The exit resumes at pvmx_vmexit with this RSP. */
	cmp %rsp, (%rsi)
	je 1f
	mov %rsp, (%rsi)
	mov $VMCS_HOST_RSP, %rax
	vmwrite %rsp, %rax
1:
	/* CF = @launched; the moves below keep flags. */
	bt $0, %edx

	mov %rdi, %rax
	mov GPR_ECX(%rax), %rcx
	mov GPR_EDX(%rax), %rdx
	mov GPR_EBX(%rax), %rbx
	mov GPR_EBP(%rax), %rbp
	mov GPR_ESI(%rax), %rsi
	mov GPR_EDI(%rax), %rdi
	mov GPR_EAX(%rax), %rax

	/*
	 * MDS and relatives: VERW where the host clears CPU buffers before VM
	 * entry.  Kernels with the split flags say so with
	 * X86_FEATURE_CLEAR_CPU_BUF_VM; on the others (Debian's 6.1, whose
	 * _VM flag is set for AMD's TSA alone) KVM keys its VERW on
	 * X86_FEATURE_CLEAR_CPU_BUF, so either flag means VERW here.
	 * Clobbers ZF only.
	 */
	ALTERNATIVE_2 "jmp .Lskip_verw", "", X86_FEATURE_CLEAR_CPU_BUF, \
		      "", X86_FEATURE_CLEAR_CPU_BUF_VM
	verw x86_verw_sel(%rip)
.Lskip_verw:

	/* Control returns at pvmx_vmexit, not here: tell objtool. */
	UNWIND_HINT_SAVE
	jc .Lvmresume
	vmlaunch
	jmp .Lvmfail
.Lvmresume:
	vmresume
	jmp .Lvmfail

SYM_INNER_LABEL(pvmx_vmexit, SYM_L_GLOBAL)
	UNWIND_HINT_RESTORE
	ENDBR
	push %rax
	mov 8(%rsp), %rax
	pop GPR_EAX(%rax)
	mov %rcx, GPR_ECX(%rax)
	mov %rdx, GPR_EDX(%rax)
	mov %rbx, GPR_EBX(%rax)
	mov %rbp, GPR_EBP(%rax)
	mov %rsi, GPR_ESI(%rax)
	mov %rdi, GPR_EDI(%rax)
	xor %ebx, %ebx

.Lout:
	/*
	 * Drop @gprs and the guest's values, even from EBP, which is reloaded
	 * from the stack below: an L1 miss there would let speculation run
	 * with the guest's value (KVM's __vmx_vcpu_run()).
	 */
	pop %rax
	xor %eax, %eax
	xor %ecx, %ecx
	xor %edx, %edx
	xor %ebp, %ebp
	xor %esi, %esi
	xor %edi, %edi

	/*
	 * Before the first RET or indirect branch after the exit (KVM's
	 * __vmx_vcpu_run() and vmx_spec_ctrl_restore_host()), as the host's
	 * flags say:
	 *
	 * Legacy IBRS (KERNEL_IBRS): the IBRS bit must be written again after
	 * running in a less privileged predictor mode.  The guest ran with the
	 * host's value (it cannot change IA32_SPEC_CTRL: spec.c), so that
	 * value goes back; other hosts need no write at all.
	 */
	ALTERNATIVE "jmp .Lspec_ctrl_done", "", X86_FEATURE_KERNEL_IBRS
	mov $MSR_IA32_SPEC_CTRL, %ecx
	movl PER_CPU_VAR(x86_spec_ctrl_current), %eax
	wrmsr
	lfence
	xor %eax, %eax
	xor %ecx, %ecx
.Lspec_ctrl_done:

	/*
	 * Guest-controlled return predictions must not reach the host: the
	 * whole RSB refilled (retpoline, IBRS), or with eIBRS a single call
	 * retired before the first unbalanced RET (PBRSB).
	 */
	FILL_RETURN_BUFFER %rcx, RSB_CLEAR_LOOPS, X86_FEATURE_RSB_VMEXIT, \
			   X86_FEATURE_RSB_VMEXIT_LITE

	/* BHI: the guest's branch history, overwritten by the host's loop. */
	CLEAR_BRANCH_HISTORY_VMEXIT

	mov %rbx, %rax
	pop %rbx
	pop %r12
	pop %r13
	pop %r14
	pop %r15
	pop %rbp
	RET

.Lvmfail:
	mov $1, %ebx
	jmp .Lout
SYM_FUNC_END(pvmx_vmenter)
