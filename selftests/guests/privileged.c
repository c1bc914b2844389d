// SPDX-License-Identifier: GPL-2.0
/*
 * privileged: one instruction a ring-1 PV guest may not execute, chosen by
 * mode=hlt|out|cli|int80|int3 on the command line.  With no trap table
 * registered each one crashes the guest (launcher exit 20) with a reason
 * naming the exception and the instruction's address, which the guest prints
 * first ("... at eip 0x%08x"):
 *
 *   hlt, outb %al,$0x80, cli   #GP, error code 0 (CPL 1 > IOPL 0; the
 *                              privilege checks come before any VM exit,
 *                              and the emulator refuses them as Xen does:
 *                              virtual IOPL 0, hlt never emulated)
 *   int $0x80                  #GP, error code 0x402 (the hypervisor's IDT
 *                              has no gate the guest may use)
 *   int3                       #BP (intercepted before IDT delivery); a
 *                              trap, so the reported EIP may be the next
 *                              instruction's (Xen's #BP frame) - the guest
 *                              prints both ("next 0x%08x")
 *
 * Stages 1 and 2 give the host (selftests/crash_test.c,
 * guest_privileged_*) both addresses.
 */
#include "guest_sync.h"

#define INSN(name, text)				\
	asm(".text\n"					\
	    ".globl priv_" #name ", priv_" #name "_insn\n"	\
	    "priv_" #name ":\n"				\
	    "	mov $0x80, %al\n"			\
	    "priv_" #name "_insn:\n"			\
	    "	" text "\n"				\
	    "	ret\n")

INSN(hlt, "hlt");
INSN(out, "outb %al, $0x80");
INSN(cli, "cli");
INSN(int80, "int $0x80");
INSN(int3, "int3");

void priv_hlt(void), priv_out(void), priv_cli(void), priv_int80(void), priv_int3(void);
extern u8 priv_hlt_insn[], priv_out_insn[], priv_cli_insn[], priv_int80_insn[],
	priv_int3_insn[];

static const struct {
	const char *mode, *insn;
	void (*fn)(void);
	const u8 *eip;
	u32 len;
} modes[] = {
	{ "hlt", "hlt", priv_hlt, priv_hlt_insn, 1 },
	{ "out", "outb %al,$0x80", priv_out, priv_out_insn, 2 },
	{ "cli", "cli", priv_cli, priv_cli_insn, 1 },
	{ "int80", "int $0x80", priv_int80, priv_int80_insn, 2 },
	{ "int3", "int3", priv_int3, priv_int3_insn, 1 },
};

void test_main(void)
{
	const char *cmd = start_info->cmd_line;
	unsigned i;

	for (i = 0; i < ARRAY_SIZE(modes); i++) {
		char key[16];
		const char *p;

		snprintf(key, sizeof(key), "mode=%s", modes[i].mode);
		p = strstr(cmd, key);
		if (!p || (p[strlen(key)] && p[strlen(key)] != ' '))
			continue;
		printf("privileged: executing %s in ring %u at eip 0x%08x, next 0x%08x\n",
		       modes[i].insn, read_cs() & 3, (u32)modes[i].eip,
		       (u32)modes[i].eip + modes[i].len);
		GUEST_SYNC(1, (u32)modes[i].eip);
		GUEST_SYNC(2, (u32)modes[i].eip + modes[i].len);
		modes[i].fn();
		printf("privileged: FAIL: %s in ring 1 returned\n", modes[i].insn);
		GUEST_ASSERT(!"the instruction returned");
	}
	printf("privileged: FAIL: no mode=hlt|out|cli|int80|int3 in \"%s\"\n", cmd);
	GUEST_ASSERT(!"no mode= on the command line");
}
