// SPDX-License-Identifier: GPL-2.0
/* End-to-end checks of the pvmx CLI (no /dev/pvmx needed). */
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "harness.h"
#include "libpvmx.h"

#define OUT_MAX 65536

static char out[OUT_MAX], errout[OUT_MAX];
/* For the fake-device tests: binary, extra environment, a SIGINT delay. */
static const char *run_bin;
static const char *run_env[8];
static unsigned kill_after_ms;
static int kill_sig = SIGINT;

static void slurp(int fd, char *buf)
{
	size_t n = 0;
	ssize_t r;

	lseek(fd, 0, SEEK_SET);
	while (n < OUT_MAX - 1 && (r = read(fd, buf + n, OUT_MAX - 1 - n)) > 0)
		n += (size_t)r;
	buf[n] = '\0';
	close(fd);
}

static int tmpfd(void)
{
	char path[] = "/tmp/pvmx-cli-XXXXXX";
	int fd = mkstemp(path);

	unlink(path);
	return fd;
}

/* Run pvmx with args (NULL-terminated), device env dev (NULL: leave alone). */
static int run(const char *dev, const char *a0, ...)
{
	const char *argv[32];
	int n = 0, fo = tmpfd(), fe = tmpfd(), status;
	va_list ap;
	pid_t pid;

	argv[n++] = run_bin ? run_bin : t_pvmx;
	va_start(ap, a0);
	for (const char *a = a0; a && n < 31; a = va_arg(ap, const char *))
		argv[n++] = a;
	va_end(ap);
	argv[n] = NULL;
	pid = fork();
	if (!pid) {
		dup2(fo, 1);
		dup2(fe, 2);
		setenv("ASAN_OPTIONS", "exitcode=99:detect_leaks=0", 1);
		setenv("UBSAN_OPTIONS", "exitcode=98:print_stacktrace=1", 1);
		if (dev)
			setenv("PVMX_DEVICE", dev, 1);
		for (int i = 0; run_env[i]; i++)
			putenv((char *)run_env[i]);
		execv(argv[0], (char *const *)argv);
		_exit(127);
	}
	if (kill_after_ms) {
		usleep(kill_after_ms * 1000);
		kill(pid, kill_sig);
	}
	waitpid(pid, &status, 0);
	slurp(fo, out);
	slurp(fe, errout);
	if (strstr(errout, "Sanitizer") || strstr(errout, "runtime error")) {
		t_failures++;
		fprintf(stderr, "  FAIL: sanitizer report:\n%s\n", errout);
	}
	return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

static char *img(const char *name)
{
	static char buf[4][4096];
	static int i;

	i = (i + 1) % 4;
	snprintf(buf[i], sizeof(buf[i]), "%s/%s", t_images, name);
	return buf[i];
}

/* errout is exactly one line starting with prefix. */
static void one_line(const char *prefix, int line)
{
	size_t n = strlen(errout);

	if (strncmp(errout, prefix, strlen(prefix)) || !n || errout[n - 1] != '\n' ||
	    strchr(errout, '\n') != errout + n - 1) {
		t_failures++;
		fprintf(stderr, "  FAIL line %d: want one line \"%s...\", got \"%s\"\n", line,
			prefix, errout);
	}
}
#define ONE_LINE(p) one_line(p, __LINE__)

static void test_help(void)
{
	CHECK_EQ(run(NULL, "--help", NULL), 0);
	CHECK_HAS(out, "pvmx run [--memory SIZE] [--cmdline STR] [--vcpus N] [--[no-]fast-int80]\n"
		       "           [--shuffle-p2m[=SEED]] [--timeout S] [--shutdown-after S] [--quiet]\n"
		       "           [--trace[=LIST]] [--trace-format=text|json] [--trace-output=FILE]\n"
		       "           [--stats[=table|json]] [--ramdisk FILE]\n"
		       "           [--disk FILE[,ro][,direct][,vdev=NAME]]... [--net tap=NAME[,mac=MAC]]...\n"
		       "           [--console=auto|ring|io|both] IMAGE");
	CHECK_HAS(out, "pvmx stats [--memory SIZE] [--cmdline STR] [--vcpus N] [--[no-]fast-int80]\n"
		       "             [--shuffle-p2m[=SEED]] [--timeout S] [--quiet] [--ramdisk FILE]\n"
		       "             [--disk FILE[,ro][,direct][,vdev=NAME]]... [--net tap=NAME[,mac=MAC]]...\n"
		       "             [--console=auto|ring|io|both] IMAGE");
	CHECK_HAS(out, "--disk FILE[,ro][,direct][,vdev=NAME]\n                      a PV disk (blkif)");
	CHECK_HAS(out, "--net tap=NAME[,mac=MAC]\n                      a PV network interface (netif)");
	CHECK_HAS(out, "--ramdisk FILE  initial ramdisk (xl's ramdisk=)");
	CHECK_HAS(out, "--shutdown-after S\n                      after S seconds, ask the guest to power off");
	CHECK_HAS(out, "--console=auto|ring|io|both\n                      which guest output");
	CHECK_HAS(out, "--shuffle-p2m[=SEED]\n                      place pseudo-physical frames");
	CHECK_HAS(out, "pvmx info");
	CHECK_HAS(out, "load --dry-run");
	CHECK_HAS(out, "  124   --timeout expired");
	CHECK_HAS(out, "  128+n stopped by signal n: 129 SIGHUP, 130 SIGINT, 143 SIGTERM");
	CHECK_HAS(out, "    2   usage error");
	CHECK_HAS(out, "'--' ends them");
	CHECK_HAS(out, "--trace[=LIST]  print every hypercall");
	CHECK_HAS(out, "--trace-format=text|json\n");
	CHECK_HAS(out, "--trace-output=FILE\n");
	CHECK_HAS(out, "--stats[=table|json]\n");
	CHECK_HAS(out, "\"multicall\":{\"entries\":N,");
	CHECK_HAS(out, "Exit status of `pvmx run` and `pvmx stats`:");
	CHECK_HAS(out, "   20   the hypervisor crashed the guest");
	CHECK_HAS(out, "    0   guest powered off");
	CHECK_EQ(run(NULL, "run", "--help", NULL), 0);
	CHECK_EQ(run(NULL, NULL), 2);
	CHECK_EQ(run(NULL, "frob", NULL), 2);
	CHECK_HAS(errout, "unknown command 'frob'");
	CHECK_EQ(run(NULL, "--version", NULL), 0);
}

static void test_dry_run(void)
{
	CHECK_EQ(run(NULL, "load", "--dry-run", "--memory", "128M", img("xtf.elf"), NULL), 0);
	CHECK_HAS(out, "notes from         PT_NOTE segments (7)");
	CHECK_HAS(out, "GUEST_OS           \"XTF\"");
	CHECK_HAS(out, "virt_base          0x00000000 (unset, using 0)");
	CHECK_HAS(out, "entry              0x00100000 (e_entry)");
	CHECK_HAS(out, "hypercall page     0x00105000");
	CHECK_HAS(out, "p2m (mfn_list)     pfn 0x00110-0x0012f");
	CHECK_HAS(out, "start_info         pfn 0x00130");
	CHECK_HAS(out, "page tables        pfn 0x00133-0x00139");
	CHECK_HAS(out, "1 L3 + 4 L2 + 2 L1");
	CHECK_HAS(out, "boot stack         pfn 0x0013a");
	CHECK_HAS(out, "esp 0x0013b000 esi 0x00130000");
	CHECK_HAS(out, "cs 0xe019 ss/ds/es/fs/gs 0xe021 cr3 0x133000");
	CHECK_EQ(errout[0], 0);
	CHECK_EQ(run(NULL, "load", "--dry-run", "--cmdline", "a b c", img("linux.elf"), NULL), 0);
	CHECK_HAS(out, "virt_base          0xc0000000\n");
	CHECK_HAS(out, "boot stack         pfn 0x00491          va 0xc0491000");
	/* Too little memory for the image. */
	CHECK_EQ(run(NULL, "load", "--dry-run", "--memory", "4M", img("linux.elf"), NULL), 1);
	ONE_LINE("pvmx: ");
	CHECK_HAS(errout, "linux.elf: guest memory too small");
	CHECK_EQ(run(NULL, "load", img("xtf.elf"), NULL), 2);
	CHECK_HAS(errout, "needs --dry-run");
}

/* Write n bytes of x to a temporary file; its path in path. */
static void tmp_file(char *path, size_t n)
{
	int fd;

	strcpy(path, "/tmp/pvmx-ramdisk-XXXXXX");
	fd = mkstemp(path);
	for (size_t i = 0; i < n; i++)
		if (write(fd, "x", 1) != 1)
			t_failures++;
	close(fd);
}

static void test_ramdisk_and_symbols(void)
{
	char rd[64], empty[64];

	tmp_file(rd, 0x2345);
	tmp_file(empty, 0);
	/* XTF: right after the kernel, mod_start a VA. */
	CHECK_EQ(run(NULL, "load", "--dry-run", "--ramdisk", rd, img("xtf.elf"), NULL), 0);
	CHECK_HAS(out, "ramdisk            pfn 0x00110-0x00112 va 0x00110000 (3 pages)\n"
		       "  p2m (mfn_list)     pfn 0x00113-");
	CHECK_HAS(out, "mod_start          0x00110000 (a VA), mod_len 0x2345, flags 0x0\n");
	/* MOD_START_PFN: after the mapping; and the BSD symbols after the kernel. */
	CHECK_EQ(run(NULL, "load", "--dry-run", "--ramdisk", rd,
		     img("linux-modpfn-symtab.elf"), NULL), 0);
	CHECK_HAS(out, "BSD_SYMTAB         symtab (section 2, 1024 bytes) + strtab (section 3, 291 bytes) at p_paddr 0x00480000-0x00480627\n");
	CHECK_HAS(out, "MOD_START_PFN      a ramdisk goes after the start-of-day mapping\n");
	CHECK_HAS(out, "kernel             pfn 0x00100-0x00480 va 0xc0100000 (897 pages)\n"
		       "  p2m (mfn_list)     pfn 0x00481-");
	CHECK_HAS(out, "mapped             0xc0000000-0xc0800000 (2048 pages)\n"
		       "  ramdisk            pfn 0x00800-0x00802 (3 pages, not mapped)\n"
		       "  mod_start          0x00000800 (a pfn), mod_len 0x3000, flags 0x8 (SIF_MOD_START_PFN)\n");
	/* Errors: one line each, status 1. */
	CHECK_EQ(run(NULL, "load", "--dry-run", "--ramdisk", empty, img("xtf.elf"), NULL), 1);
	ONE_LINE("pvmx: --ramdisk ");
	CHECK_HAS(errout, ": empty file");
	CHECK_EQ(run(NULL, "load", "--dry-run", "--ramdisk", "/nonexistent/rd", img("xtf.elf"),
		     NULL), 1);
	ONE_LINE("pvmx: --ramdisk /nonexistent/rd: ");
	CHECK_EQ(run(NULL, "load", "--dry-run", "--memory", "4M", "--ramdisk", rd,
		     img("linux-modpfn-symtab.elf"), NULL), 1);
	ONE_LINE("pvmx: ");
	CHECK_HAS(errout, "guest memory too small");
	CHECK_EQ(run(NULL, "load", "--dry-run", "--ramdisk", "", img("xtf.elf"), NULL), 2);
	CHECK_HAS(errout, "--ramdisk needs a file name");
	/* --disk: run and stats only, a file name before its options. */
	CHECK_EQ(run(NULL, "run", "--disk", ",ro", img("xtf.elf"), NULL), 2);
	CHECK_HAS(errout, "--disk needs a file name");
	CHECK_EQ(run(NULL, "run", "--disk", "d.img,vdev=hdq", img("xtf.elf"), NULL), 2);
	CHECK_HAS(errout, "vdev=hdq: want xvd<a..p>, hd<a..d>, sd<a..p> or a vbd number");
	CHECK_EQ(run(NULL, "load", "--dry-run", "--disk", "d.img", img("xtf.elf"), NULL), 2);
	CHECK_HAS(errout, "--disk");
	unlink(rd);
	unlink(empty);
}

/* --shuffle-p2m: the same seed, the same machine frames; the pfns stay. */
static void test_dry_run_shuffled(void)
{
	uint32_t *p2m = malloc(32768 * sizeof(*p2m));
	char want[256], first[OUT_MAX];

	CHECK_EQ(run(NULL, "load", "--dry-run", img("xtf.elf"), NULL), 0);
	CHECK_HAS(out, "p2m                identity (pfn == mfn)");
	CHECK_EQ(run(NULL, "load", "--dry-run", "--memory", "128M", "--shuffle-p2m=42",
		     img("xtf.elf"), NULL), 0);
	CHECK_EQ(errout[0], 0);
	pvmx_shuffle_p2m(p2m, 32768, 42);
	snprintf(want, sizeof(want), "p2m                shuffled, seed 42 (start_info at mfn 0x%x)",
		 p2m[0x130]);
	CHECK_HAS(out, want);
	CHECK_HAS(out, "start_info         pfn 0x00130");
	CHECK_HAS(out, "esp 0x0013b000 esi 0x00130000");
	snprintf(want, sizeof(want), "cr3 0x%llx kernel_ss", (unsigned long long)p2m[0x133] << 12);
	CHECK_HAS(out, want);
	snprintf(want, sizeof(want), "start_info_gpa     0x%llx\n",
		 (unsigned long long)p2m[0x130] << 12);
	CHECK_HAS(out, want);
	memcpy(first, out, sizeof(first));
	CHECK_EQ(run(NULL, "load", "--dry-run", "--memory", "128M", "--shuffle-p2m=42",
		     img("xtf.elf"), NULL), 0);
	CHECK_STR(out, first);
	/* Without a seed: a random one, still a valid layout. */
	CHECK_EQ(run(NULL, "load", "--dry-run", "--shuffle-p2m", img("xtf.elf"), NULL), 0);
	CHECK_HAS(out, "p2m                shuffled, seed ");
	CHECK_EQ(run(NULL, "load", "--dry-run", "--shuffle-p2m=x1", img("xtf.elf"), NULL), 2);
	CHECK_HAS(errout, "bad --shuffle-p2m seed 'x1'");
	CHECK_EQ(run(NULL, "load", "--dry-run", "--shuffle-p2m=", img("xtf.elf"), NULL), 2);
	CHECK_EQ(run(NULL, "load", "--dry-run", "--shuffle-p2m=-3", img("xtf.elf"), NULL), 2);
	free(p2m);
}

static void test_bad_images(void)
{
	char want[4200];

	snprintf(want, sizeof(want), "pvmx: %s: 64-bit image: pvmx runs 32-bit PAE guests\n",
		 img("x86_64.elf"));
	CHECK_EQ(run(NULL, "load", "--dry-run", img("x86_64.elf"), NULL), 1);
	CHECK_STR(errout, want);
	CHECK_EQ(run("/nonexistent/pvmx", "run", img("x86_64.elf"), NULL), 1);
	CHECK_STR(errout, want);
	CHECK_EQ(run(NULL, "load", "--dry-run", img("truncated.elf"), NULL), 1);
	snprintf(want, sizeof(want), "pvmx: %s: ", img("truncated.elf"));
	ONE_LINE(want);
	CHECK_EQ(run("/nonexistent/pvmx", "run", img("nopae.elf"), NULL), 1);
	snprintf(want, sizeof(want),
		 "pvmx: %s: image is not PAE (xen-3.0-x86_32); pvmx runs xen-3.0-x86_32p guests\n",
		 img("nopae.elf"));
	CHECK_STR(errout, want);
	CHECK_EQ(run(NULL, "run", img("missing.elf"), NULL), 1);
	snprintf(want, sizeof(want), "pvmx: %s: No such file or directory\n", img("missing.elf"));
	CHECK_STR(errout, want);
	/* A directory, /dev/null (empty). */
	CHECK_EQ(run(NULL, "load", "--dry-run", t_images, NULL), 1);
	ONE_LINE("pvmx: ");
	CHECK_EQ(run(NULL, "load", "--dry-run", "/dev/null", NULL), 1);
	CHECK_STR(errout, "pvmx: /dev/null: not an ELF file (bad magic)\n");
}

static void test_usage_errors(void)
{
	char longcmd[1100];

	CHECK_EQ(run(NULL, "run", "--memory", "3M", img("xtf.elf"), NULL), 2);
	CHECK_HAS(errout, "out of range");
	CHECK_EQ(run(NULL, "run", "--memory", "4097M", img("xtf.elf"), NULL), 2);
	CHECK_EQ(run(NULL, "run", "--memory", "32769K", img("xtf.elf"), NULL), 2);
	CHECK_HAS(errout, "not a multiple of 4 KiB");
	CHECK_EQ(run(NULL, "run", "--memory", "lots", img("xtf.elf"), NULL), 2);
	CHECK_HAS(errout, "bad --memory 'lots'");
	CHECK_EQ(run(NULL, "run", "--timeout", "-1", img("xtf.elf"), NULL), 2);
	CHECK_HAS(errout, "bad --timeout");
	CHECK_EQ(run(NULL, "run", "--vcpus", "0", img("xtf.elf"), NULL), 2);
	CHECK_HAS(errout, "bad --vcpus '0' (want 1 .. 32)");
	CHECK_EQ(run(NULL, "run", "--vcpus", "33", img("xtf.elf"), NULL), 2);
	CHECK_HAS(errout, "bad --vcpus '33'");
	CHECK_EQ(run(NULL, "run", "--vcpus", "2x", img("xtf.elf"), NULL), 2);
	CHECK_EQ(run(NULL, "run", "--vcpus", "-1", img("xtf.elf"), NULL), 2);
	CHECK_EQ(run(NULL, "load", "--dry-run", "--vcpus", "2", img("xtf.elf"), NULL), 2);
	CHECK_HAS(errout, "--vcpus only applies");
	memset(longcmd, 'c', sizeof(longcmd));
	longcmd[1024] = '\0';
	CHECK_EQ(run(NULL, "run", "--cmdline", longcmd, img("xtf.elf"), NULL), 2);
	CHECK_HAS(errout, "--cmdline too long");
	CHECK_EQ(run(NULL, "run", NULL), 2);
	CHECK_HAS(errout, "missing IMAGE");
	CHECK_EQ(run(NULL, "run", img("xtf.elf"), "extra", NULL), 2);
	CHECK_EQ(run(NULL, "run", "--bogus", img("xtf.elf"), NULL), 2);
	CHECK_EQ(run(NULL, "info", "extra", NULL), 2);
	CHECK_EQ(run(NULL, "load", "--dry-run", "--timeout", "5", img("xtf.elf"), NULL), 2);
}

/* A usage error: status 2, one message and the hint, nothing else. */
static void usage_error(int line, const char *msg, ...)
{
	const char *argv[16];
	char want[512];
	va_list ap;
	int n = 0, st;

	va_start(ap, msg);
	for (const char *a = va_arg(ap, const char *); a && n < 15; a = va_arg(ap, const char *))
		argv[n++] = a;
	va_end(ap);
	while (n < 15)
		argv[n++] = NULL;
	st = run(NULL, argv[0], argv[1], argv[2], argv[3], argv[4], argv[5], argv[6], argv[7],
		 argv[8], argv[9], argv[10], argv[11], argv[12], argv[13], argv[14], NULL);
	snprintf(want, sizeof(want), "pvmx: %s\nTry 'pvmx --help'.\n", msg);
	if (st != 2 || strcmp(errout, want) || out[0]) {
		t_failures++;
		fprintf(stderr, "  FAIL line %d: want status 2 and \"%s\", got %d and \"%s\"\n",
			line, want, st, errout);
	}
}
#define USAGE_ERROR(msg, ...) usage_error(__LINE__, msg, __VA_ARGS__, NULL)

/*
 * Option syntax: anywhere around IMAGE, "--" ends them, no abbreviations or
 * undocumented short options, one message for an unknown option, strict
 * decimal numbers.
 */
static void test_option_syntax(void)
{
	const char *x = img("xtf.elf");

	/* After the image, as xl and qemu users write them; '=' or a separate value. */
	CHECK_EQ(run(NULL, "load", img("xtf.elf"), "--dry-run", "--memory", "128M", NULL), 0);
	CHECK_HAS(out, "layout (32768 pages = 131072 KiB of RAM)");
	CHECK_EQ(run(NULL, "load", "--memory=64M", img("xtf.elf"), "--dry-run", NULL), 0);
	CHECK_HAS(out, "layout (16384 pages = 65536 KiB of RAM)");
	/* A leading zero is decimal: 064M is 64 MiB, not octal 52 MiB. */
	CHECK_EQ(run(NULL, "load", "--dry-run", "--memory", "064M", img("xtf.elf"), NULL), 0);
	CHECK_HAS(out, "layout (16384 pages = 65536 KiB of RAM)");
	CHECK_EQ(run(NULL, "load", "--dry-run", "--shuffle-p2m=010", img("xtf.elf"), NULL), 0);
	CHECK_HAS(out, "shuffled, seed 10 ");
	CHECK_EQ(run(NULL, "load", "--dry-run", "--shuffle-p2m=0x10", img("xtf.elf"), NULL), 0);
	CHECK_HAS(out, "shuffled, seed 16 ");
	/* "--" ends the options: what follows is IMAGE even if it looks like one. */
	CHECK_EQ(run(NULL, "load", "--dry-run", "--", "--memory", NULL), 1);
	CHECK_STR(errout, "pvmx: --memory: No such file or directory\n");
	CHECK_EQ(run(NULL, "load", "--dry-run", "--", img("xtf.elf"), NULL), 0);
	/* -h is --help, anywhere. */
	CHECK_EQ(run(NULL, "run", x, "-h", NULL), 0);
	CHECK_HAS(out, "Usage:\n");

	USAGE_ERROR("unknown option '--bogus'", "run", "--bogus", x);
	USAGE_ERROR("unknown option '--bogus'", "run", x, "--bogus=1");
	USAGE_ERROR("unknown option '--mem' (did you mean --memory?)", "run", "--mem", "64M", x);
	USAGE_ERROR("unknown option '--memroy' (did you mean --memory?)", "run", "--memroy=64M", x);
	USAGE_ERROR("unknown option '--fast' (did you mean --fast-int80?)", "run", x, "--fast");
	USAGE_ERROR("unknown option '-m'", "run", "-m", "64M", x);
	USAGE_ERROR("unknown option '-q'", "run", "-q", x);
	USAGE_ERROR("unknown option '-n'", "load", "-n", x);
	USAGE_ERROR("unknown option '---'", "run", "---", x);
	USAGE_ERROR("--quiet takes no value", "run", "--quiet=yes", x);
	USAGE_ERROR("--memory needs a value", "run", x, "--memory");
	USAGE_ERROR("unexpected argument 'extra' (IMAGE is 'a.elf')", "run", "a.elf", "extra");
	USAGE_ERROR("unexpected argument 'b.elf' (IMAGE is 'a.elf')", "run", "a.elf", "--", "b.elf");
	USAGE_ERROR("--dry-run only applies to 'pvmx load'", "run", "--dry-run", x);
	USAGE_ERROR("--stats only applies to 'pvmx run'", "stats", x, "--stats");
	USAGE_ERROR("--quiet only applies to 'pvmx run' and 'pvmx stats'", "load", "--quiet", x);
	USAGE_ERROR("missing IMAGE", "run", "--quiet");
	USAGE_ERROR("missing IMAGE", "run", "--");
	USAGE_ERROR("missing command (run, stats, info, load)", NULL);
	USAGE_ERROR("'pvmx info' takes no arguments", "info", "--memory", "1M");
	/* Strict decimal numbers, with overflow checks. */
	USAGE_ERROR("bad --memory '0x4000000' (want e.g. 32M, 1G, 67108864)", "run", "--memory",
		    "0x4000000", x);
	USAGE_ERROR("bad --memory ' 64M' (want e.g. 32M, 1G, 67108864)", "run", "--memory",
		    " 64M", x);
	USAGE_ERROR("bad --memory '18446744073709551616' (want e.g. 32M, 1G, 67108864)", "run",
		    "--memory", "18446744073709551616", x);
	USAGE_ERROR("bad --memory '17179869184G' (want e.g. 32M, 1G, 67108864)", "run",
		    "--memory", "17179869184G", x);
	USAGE_ERROR("bad --vcpus '0x2' (want 1 .. 32)", "run", "--vcpus", "0x2", x);
	USAGE_ERROR("bad --vcpus ' 2' (want 1 .. 32)", "run", "--vcpus", " 2", x);
	USAGE_ERROR("bad --vcpus '+2' (want 1 .. 32)", "run", "--vcpus", "+2", x);
	USAGE_ERROR("bad --vcpus '99999999999999999999' (want 1 .. 32)", "run", "--vcpus",
		    "99999999999999999999", x);
	USAGE_ERROR("bad --timeout '1e3' (want seconds > 0, e.g. 30 or 0.5)", "run", "--timeout",
		    "1e3", x);
	USAGE_ERROR("bad --timeout '0x10' (want seconds > 0, e.g. 30 or 0.5)", "run", "--timeout",
		    "0x10", x);
	USAGE_ERROR("bad --timeout 'inf' (want seconds > 0, e.g. 30 or 0.5)", "run", "--timeout",
		    "inf", x);
	USAGE_ERROR("bad --timeout '0' (want seconds > 0, e.g. 30 or 0.5)", "run", "--timeout",
		    "0", x);
	USAGE_ERROR("bad --timeout '.' (want seconds > 0, e.g. 30 or 0.5)", "run", "--timeout",
		    ".", x);
	USAGE_ERROR("bad --shutdown-after '0' (want seconds > 0, e.g. 10 or 0.5)", "run",
		    "--shutdown-after", "0", x);
	USAGE_ERROR("bad --shutdown-after '-1' (want seconds > 0, e.g. 10 or 0.5)", "run",
		    "--shutdown-after", "-1", x);
	USAGE_ERROR("bad --shuffle-p2m seed '0x' (want a decimal or 0x hex number)", "load",
		    "--dry-run", "--shuffle-p2m=0x", x);
	USAGE_ERROR("bad --shuffle-p2m seed '0x10000000000000000' (want a decimal or 0x hex number)",
		    "load", "--dry-run", "--shuffle-p2m=0x10000000000000000", x);
	USAGE_ERROR("bad --shuffle-p2m seed '18446744073709551616' (want a decimal or 0x hex number)",
		    "load", "--dry-run", "--shuffle-p2m=18446744073709551616", x);
	USAGE_ERROR("--net: unknown option \"bridge=br0\" (tap=NAME|fd=R[:W][,mac=MAC])", "run",
		    "--net", "tap=a,bridge=br0", x);
	USAGE_ERROR("--net needs a tap or descriptors, one of them: --net tap=NAME|fd=R[:W][,mac=MAC]",
		    "run", "--net", "mac=00:16:3e:00:00:01", x);
	USAGE_ERROR("--net needs a tap or descriptors, one of them: --net tap=NAME|fd=R[:W][,mac=MAC]",
		    "run", "--net", "tap=a,fd=3", x);
	USAGE_ERROR("--net fd=R[:W]: descriptor numbers, not \"3:x\"", "run", "--net", "fd=3:x", x);
	USAGE_ERROR("--net mac=ff:ff:ff:ff:ff:ff: want six hex bytes XX:XX:XX:XX:XX:XX, unicast",
		    "run", "--net=tap=a,mac=ff:ff:ff:ff:ff:ff", x);
	USAGE_ERROR("--net tap=NAME: an interface name of 1 to 15 characters", "stats", "--net",
		    "tap=0123456789abcdefg", x);
	CHECK_EQ(run(NULL, "load", "--dry-run", "--shuffle-p2m=18446744073709551615", x, NULL), 0);
	CHECK_EQ(run(NULL, "load", "--dry-run", "--shuffle-p2m=0xffffffffffffffff", x, NULL), 0);
	CHECK_HAS(out, "shuffled, seed 18446744073709551615 ");
}

/* Every option the launcher accepts is in --help and in launcher.rst. */
static void test_options_documented(void)
{
	static const char *const opts[] = {
		"--memory SIZE", "--cmdline STR", "--ramdisk FILE", "--shuffle-p2m[=SEED]",
		"--vcpus N", "--fast-int80", "--no-fast-int80", "--timeout S", "--quiet", "--console=", "--trace",
		"--stats[=table|json]", "--dry-run", "--help", "-h", "--disk FILE", "--net tap=NAME",
	};

	CHECK_EQ(run(NULL, "--help", NULL), 0);
	for (size_t i = 0; i < sizeof(opts) / sizeof(opts[0]); i++)
		CHECK_HAS(out, opts[i]);
	/* And each is accepted (a usage error would be status 2). */
	CHECK_EQ(run(NULL, "load", "--dry-run", "--cmdline", "x", "--ramdisk", "/nonexistent",
		     img("xtf.elf"), NULL), 1);
	CHECK_EQ(run("/nonexistent/pvmx", "run", "--vcpus", "2", "--fast-int80", "--timeout", "1",
		     "--quiet", "--console=io", "--trace", "--stats=json", img("xtf.elf"), NULL), 1);
	CHECK_HAS(errout, "not found: is the module loaded?");
	CHECK_EQ(run("/nonexistent/pvmx", "stats", "--no-fast-int80", "--timeout", "1",
		     img("xtf.elf"), NULL), 1);
	CHECK_HAS(errout, "not found: is the module loaded?");
}

static void test_no_device(void)
{
	CHECK_EQ(run("/nonexistent/pvmx", "info", NULL), 1);
	CHECK_STR(errout, "pvmx: /nonexistent/pvmx not found: is the module loaded? (modprobe pvmx)\n");
	CHECK_EQ(run("/nonexistent/pvmx", "run", img("xtf.elf"), NULL), 1);
	CHECK_STR(errout, "pvmx: /nonexistent/pvmx not found: is the module loaded? (modprobe pvmx)\n");
	CHECK_EQ(run("/dev/null", "info", NULL), 1);
	ONE_LINE("pvmx: /dev/null: PVMX_GET_API_VERSION: ");
	if (access("/dev/pvmx", F_OK)) {
		CHECK_EQ(run("", "info", NULL), 1);
		CHECK_STR(errout, "pvmx: /dev/pvmx not found: is the module loaded? (modprobe pvmx)\n");
	}
}

static void test_fake_run(void)
{
	char preload[4200], logenv[] = "FAKE_PVMX_LOG=/tmp/pvmx-fake-XXXXXX", log[8192];
	const char *logpath = logenv + strlen("FAKE_PVMX_LOG=");
	int fd;

	if (!t_fake_pvmx) {
		printf("  (skipped: no --fake)\n");
		return;
	}
	fd = mkstemp(logenv + strlen("FAKE_PVMX_LOG="));
	close(fd);
	snprintf(preload, sizeof(preload), "LD_PRELOAD=%s", t_fake_so);
	run_bin = t_fake_pvmx;
	run_env[0] = preload;
	run_env[1] = logenv;

	/* Console output, then poweroff. */
	run_env[2] = "FAKE_PVMX_SCRIPT=console:hello ,intr,console:world,shutdown:0";
	CHECK_EQ(run("fake:dev", "run", "--memory", "128M", "--cmdline", "x", img("xtf.elf"), NULL), 0);
	CHECK_STR(out, "hello world");
	CHECK_STR(errout, "");
	fd = open(logpath, O_RDONLY);
	slurp(fd, log);
	CHECK_HAS(log, "memory 134217728\n");
	CHECK_HAS(log, "boot hc 0x105000 si 0x130000 con 0x132000 store 0x131000 nr 32768 p2m[last] 32767 evtchn 1 2 domid 1\n");
	CHECK_HAS(log, "regs eip 0x100000 esp 0x13b000 esi 0x130000 cr3 0x133000 cs 0xe019 ss 0xe021 eflags 0x200\n");
	/* A shuffled P2M reaches the module: boot pages and cr3 are machine frames. */
	{
		uint32_t *p2m = malloc(32768 * sizeof(*p2m));
		char want[256];

		pvmx_shuffle_p2m(p2m, 32768, 5);
		CHECK_EQ(run("fake:dev", "run", "--memory", "128M", "--shuffle-p2m=5",
			     img("xtf.elf"), NULL), 0);
		CHECK_STR(errout, "pvmx: P2M shuffled with seed 5\n");
		fd = open(logpath, O_RDONLY);
		slurp(fd, log);
		snprintf(want, sizeof(want),
			 "boot hc 0x%x si 0x%x con 0x%x store 0x%x nr 32768 p2m[last] %u evtchn 1 2 domid 1\n",
			 p2m[0x105] << 12, p2m[0x130] << 12, p2m[0x132] << 12, p2m[0x131] << 12,
			 p2m[32767]);
		CHECK_HAS(log, want);
		snprintf(want, sizeof(want), "esi 0x130000 cr3 0x%x cs", p2m[0x133] << 12);
		CHECK_HAS(log, want);
		CHECK_EQ(run("fake:dev", "run", "--quiet", "--memory", "128M", "--shuffle-p2m=5",
			     img("xtf.elf"), NULL), 0);
		CHECK_STR(errout, "");
		free(p2m);
	}
	/* Shutdown reasons. */
	run_env[2] = "FAKE_PVMX_SCRIPT=shutdown:1";
	CHECK_EQ(run("fake:dev", "run", img("xtf.elf"), NULL), 11);
	CHECK_STR(errout, "pvmx: guest shut down: reboot (reason 1)\n");
	CHECK_EQ(run("fake:dev", "run", "--quiet", img("xtf.elf"), NULL), 11);
	CHECK_STR(errout, "");
	run_env[2] = "FAKE_PVMX_SCRIPT=shutdown:3";
	CHECK_EQ(run("fake:dev", "run", img("xtf.elf"), NULL), 13);
	run_env[2] = "FAKE_PVMX_SCRIPT=shutdown:5";
	CHECK_EQ(run("fake:dev", "run", img("xtf.elf"), NULL), 15);
	run_env[2] = "FAKE_PVMX_SCRIPT=shutdown:42";
	CHECK_EQ(run("fake:dev", "run", img("xtf.elf"), NULL), 19);
	/* Hypervisor crash, internal error. */
	run_env[2] = "FAKE_PVMX_SCRIPT=console:x,crash";
	CHECK_EQ(run("fake:dev", "run", img("xtf.elf"), NULL), 20);
	CHECK_HAS(errout, "pvmx: guest crashed: page fault with no handler\n");
	CHECK_HAS(errout, "vector 14, error code 0x2, eip 0xe019:0x00100123");
	run_env[2] = "FAKE_PVMX_SCRIPT=internal";
	CHECK_EQ(run("fake:dev", "run", img("xtf.elf"), NULL), 21);
	CHECK_HAS(errout, "pvmx: internal error: suberror 1 (VM entry failed)");
	/* Timeout and interruption of a blocked PVMX_RUN. */
	run_env[2] = "FAKE_PVMX_SCRIPT=console:a,block";
	CHECK_EQ(run("fake:dev", "run", "--timeout", "0.3", img("xtf.elf"), NULL), 124);
	CHECK_STR(out, "a");
	CHECK_STR(errout, "pvmx: timeout after 0.3 s\n");
	kill_after_ms = 300;
	CHECK_EQ(run("fake:dev", "run", "--timeout", "30", img("xtf.elf"), NULL), 130);
	CHECK_STR(errout, "pvmx: interrupted by SIGINT\n");
	/* Any stop signal: 128 + its number, as a shell reports a killed job. */
	kill_sig = SIGTERM;
	CHECK_EQ(run("fake:dev", "run", "--timeout", "30", img("xtf.elf"), NULL), 143);
	CHECK_STR(errout, "pvmx: interrupted by SIGTERM\n");
	kill_sig = SIGHUP;
	CHECK_EQ(run("fake:dev", "run", img("xtf.elf"), "--timeout", "30", NULL), 129);
	CHECK_STR(errout, "pvmx: interrupted by SIGHUP\n");
	kill_sig = SIGINT;
	kill_after_ms = 0;
	/* Image too big for the memory: named after the image. */
	run_env[2] = "FAKE_PVMX_SCRIPT=";
	CHECK_EQ(run("fake:dev", "run", "--memory", "4M", img("linux.elf"), NULL), 1);
	ONE_LINE("pvmx: ");
	CHECK_HAS(errout, "linux.elf: guest memory too small");
	/* info */
	CHECK_EQ(run("fake:dev", "info", NULL), 0);
	CHECK_HAS(out, "API version 1");
	CHECK_HAS(out, "max_vcpus        32");
	CHECK_HAS(out, "VMCS revision      0x12");
	CHECK_HAS(out, "4-level WB INVVPID");
	CHECK_HAS(out, "EPT VPID");
	CHECK_HAS(out, "live VMs           3");

	run_bin = NULL;
	memset(run_env, 0, sizeof(run_env));
	unlink(logpath);
}

static unsigned int count_of(const char *hay, const char *needle)
{
	unsigned int n = 0;

	for (const char *p = hay; (p = strstr(p, needle)); p += strlen(needle))
		n++;
	return n;
}

/*
 * The console and xenstore backends against the fake device: the port is
 * signalled back only after something was consumed or produced, mirrored
 * output is shown once, the store answers on its ring.
 */
static void test_fake_backends(void)
{
	char preload[4200], logenv[] = "FAKE_PVMX_LOG=/tmp/pvmx-fake-XXXXXX", log[8192];
	const char *logpath = logenv + strlen("FAKE_PVMX_LOG=");
	int fd;

	if (!t_fake_pvmx) {
		printf("  (skipped: no --fake)\n");
		return;
	}
	fd = mkstemp(logenv + strlen("FAKE_PVMX_LOG="));
	close(fd);
	snprintf(preload, sizeof(preload), "LD_PRELOAD=%s", t_fake_so);
	run_bin = t_fake_pvmx;
	run_env[0] = preload;
	run_env[1] = logenv;

	/* A ring notify with nothing in the ring is not answered (Mini-OS livelock). */
	run_env[2] = "FAKE_PVMX_SCRIPT=console:hi\n,ring:hi\n,notify:console,notify:console,"
		     "ring:ring only\n,console:io only\n,shutdown:0";
	CHECK_EQ(run("fake:dev", "run", img("xtf.elf"), NULL), 0);
	CHECK_STR(out, "hi\nring only\nio only\n");
	CHECK_STR(errout, "");
	fd = open(logpath, O_RDONLY);
	slurp(fd, log);
	CHECK_EQ(count_of(log, "raise 1\n"), 2);
	/* Every stream in full. */
	CHECK_EQ(truncate(logpath, 0), 0);
	CHECK_EQ(run("fake:dev", "run", "--console=both", img("xtf.elf"), NULL), 0);
	CHECK_STR(out, "hi\nhi\nring only\nio only\n");
	CHECK_EQ(run("fake:dev", "run", "--console=ring", img("xtf.elf"), NULL), 0);
	CHECK_STR(out, "hi\nring only\n");
	CHECK_EQ(run("fake:dev", "run", "--console=io", img("xtf.elf"), NULL), 0);
	CHECK_STR(out, "hi\nio only\n");
	CHECK_EQ(run("fake:dev", "stats", "--console=ring", img("xtf.elf"), NULL), 0);
	CHECK_STR(errout, "hi\nring only\n");
	CHECK_EQ(run("fake:dev", "run", "--console=tty", img("xtf.elf"), NULL), 2);
	CHECK_HAS(errout, "bad --console 'tty'");
	CHECK_EQ(run("fake:dev", "load", "--dry-run", "--console=io", img("xtf.elf"), NULL), 2);

	/* The xenstore answers on its ring and signals the store port back. */
	CHECK_EQ(truncate(logpath, 0), 0);
	run_env[2] = "FAKE_PVMX_SCRIPT=xsread:domid,xsread:name,xsread:/local/domain/0,"
		     "xsread:store/ring-ref,intr,shutdown:0";
	CHECK_EQ(run("fake:dev", "run", img("xtf.elf"), NULL), 0);
	CHECK_STR(errout, "");
	fd = open(logpath, O_RDONLY);
	slurp(fd, log);
	CHECK_HAS(log, "xs reply 2 1\n");
	CHECK_HAS(log, "xs reply 2 xtf\n");		/* the image's name */
	CHECK_HAS(log, "xs reply 16 EACCES\n");
	CHECK_HAS(log, "xs reply 2 281\n");		/* store mfn 0x119 */
	CHECK_EQ(count_of(log, "raise 2\n"), 4);

	/* --disk: the devices' nodes as xl writes them, back end in InitWait. */
	{
		char disk[] = "/tmp/pvmx-disk-XXXXXX", spec[64];
		int dfd = mkstemp(disk);

		CHECK(dfd >= 0 && ftruncate(dfd, 1 << 20) == 0);
		close(dfd);
		snprintf(spec, sizeof(spec), "%s,ro", disk);
		CHECK_EQ(truncate(logpath, 0), 0);
		run_env[2] = "FAKE_PVMX_SCRIPT=xsread:device/vbd/51712/backend,"
			     "xsread:/local/domain/0/backend/vbd/1/51712/state,"
			     "xsread:/local/domain/0/backend/vbd/1/51728/mode,"
			     "xsread:/local/domain/0/backend/vbd/1/51728/dev,"
			     "xsread:device/vbd/51728/state,shutdown:0";
		CHECK_EQ(run("fake:dev", "run", "--disk", disk, "--disk", spec, img("xtf.elf"),
			     NULL), 0);
		CHECK_STR(errout, "");
		fd = open(logpath, O_RDONLY);
		slurp(fd, log);
		CHECK_HAS(log, "xs reply 2 /local/domain/0/backend/vbd/1/51712\n");
		CHECK_HAS(log, "xs reply 2 2\n");	/* InitWait */
		CHECK_HAS(log, "xs reply 2 r\n");
		CHECK_HAS(log, "xs reply 2 xvdb\n");
		CHECK_HAS(log, "xs reply 2 1\n");	/* the front end: Initialising */
		/* A disk that cannot be opened: one line, status 1. */
		run_env[2] = "FAKE_PVMX_SCRIPT=shutdown:0";
		CHECK_EQ(run("fake:dev", "run", "--disk", "/nonexistent/disk.img", img("xtf.elf"),
			     NULL), 1);
		ONE_LINE("pvmx: --disk /nonexistent/disk.img: No such file or directory");
		unlink(disk);
	}

	run_bin = NULL;
	memset(run_env, 0, sizeof(run_env));
	unlink(logpath);
}

/* --trace, --stats and `pvmx stats` against the fake device. */
static void test_fake_trace_stats(void)
{
	char preload[4200], logenv[] = "FAKE_PVMX_LOG=/tmp/pvmx-fake-XXXXXX", log[8192];
	char tracefile[] = "/tmp/pvmx-trace-XXXXXX", opt[64], tr[8192];
	const char *logpath = logenv + strlen("FAKE_PVMX_LOG=");
	const char *want_trace =
		"   0.000000 v0 xen_version(XENVER_version, 0) = 0x40013 <1.250us> at 0x00100100\n"
		"   0.000000 v0 console_io(CONSOLEIO_write, 14, 0x103020) = 0 <1.250us> at 0x00100200\n"
		"   0.000000 v0 multicall(0x220000, 2) = 0 [2 entries: update_va_mapping, event_channel_op] <9.000us> at 0x00100300\n"
		"   0.000000 v0   [0] update_va_mapping(0x7000, 0x42067, 0, UVMF_INVLPG) = 0 <1.250us>\n"
		"   0.000000 v0   [1] event_channel_op(EVTCHNOP_send, 0x12ff4) = -EINVAL (-22) <1.250us>\n"
		"   0.000000 v0 --- event upcall, at 0x00101000 ---\n"
		"   0.000000 v0 --- trap #PF (vector 14) error 0x2, at 0x00101234 ---\n";
	int fd;

	if (!t_fake_pvmx) {
		printf("  (skipped: no --fake)\n");
		return;
	}
	fd = mkstemp(logenv + strlen("FAKE_PVMX_LOG="));
	close(fd);
	snprintf(preload, sizeof(preload), "LD_PRELOAD=%s", t_fake_so);
	run_bin = t_fake_pvmx;
	run_env[0] = preload;
	run_env[1] = logenv;

	/* --trace: one PVMX_EXIT_TRACE between console output, then poweroff. */
	run_env[2] = "FAKE_PVMX_SCRIPT=console:hello ,trace,console:world,shutdown:0";
	CHECK_EQ(run("fake:dev", "run", "--trace", img("xtf.elf"), NULL), 0);
	CHECK_STR(out, "hello world");
	CHECK_STR(errout, want_trace);
	fd = open(logpath, O_RDONLY);
	slurp(fd, log);
	CHECK_HAS(log, "trace flags 3 ops 0xffffffffffffffff\n");
	/* The module hands out the records still waiting, then the end. */
	run_env[2] = "FAKE_PVMX_SCRIPT=trace,trace:end,shutdown:1,trace";
	CHECK_EQ(run("fake:dev", "run", "--trace", img("xtf.elf"), NULL), 11);
	CHECK_HAS(errout, want_trace);
	CHECK_HAS(errout, "--- trap #PF (vector 14) error 0x2, at 0x00101234 ---\n"
		  "   0.000000 v0 sched_op(SCHEDOP_shutdown, 0x12ff0) = 0 <1.250us> at 0x00100400\n"
		  "pvmx: guest shut down: reboot (reason 1)\n");
	run_env[2] = "FAKE_PVMX_SCRIPT=console:x,trace:end,crash";
	CHECK_EQ(run("fake:dev", "run", "--trace", img("xtf.elf"), NULL), 20);
	CHECK_HAS(errout, "sched_op(SCHEDOP_shutdown, 0x12ff0) = 0 <1.250us> at 0x00100400\npvmx: guest crashed: page fault with no handler\n");
	CHECK_HAS(errout, "vector 14, error code 0x2, eip 0xe019:0x00100123");
	/* --trace-output=FILE */
	fd = mkstemp(tracefile);
	close(fd);
	snprintf(opt, sizeof(opt), "--trace-output=%s", tracefile);
	run_env[2] = "FAKE_PVMX_SCRIPT=trace,console:done";
	CHECK_EQ(run("fake:dev", "run", "--trace", opt, img("xtf.elf"), NULL), 0);
	CHECK_STR(out, "done");
	CHECK_STR(errout, "");
	fd = open(tracefile, O_RDONLY);
	slurp(fd, tr);
	CHECK_STR(tr, want_trace);
	/* --trace-format=json: the same records, one object a line. */
	CHECK_EQ(run("fake:dev", "run", "--trace", "--trace-format=json", opt, img("xtf.elf"),
		     NULL), 0);
	fd = open(tracefile, O_RDONLY);
	slurp(fd, tr);
	{
		const char *first = "{\"vcpu\":0,\"time_ns\":0,\"tsc\":3000000,\"kind\":\"hypercall\","
			"\"op\":17,\"name\":\"xen_version\",\"args\":[0,0,0,0,0],\"result\":262163,"
			"\"duration_ns\":1250,\"text\":\"xen_version(XENVER_version, 0) = 0x40013\","
			"\"eip\":1048832}\n";

		CHECK(!strncmp(tr, first, strlen(first)));
	}
	/* JSON keeps the module's order: the entries before their multicall. */
	CHECK_HAS(tr, "\"kind\":\"multicall_entry\",\"op\":32,\"name\":\"event_channel_op\","
		  "\"args\":[4,77812,0,0,0],\"index\":1,\"result\":-22,\"errno\":\"EINVAL\",");
	CHECK_HAS(tr, "\"multicall\":{\"entries\":2,\"ops\":[\"update_va_mapping\",\"event_channel_op\"]}");
	CHECK_HAS(tr, "{\"vcpu\":0,\"time_ns\":0,\"tsc\":3000000,\"kind\":\"trap\",\"vector\":14,"
		  "\"name\":\"#PF\",\"error_code\":2,\"eip\":1053236}\n");
	{
		const char *p;
		int lines = 0;

		for (p = tr; *p; p++)
			lines += *p == '\n';
		CHECK_EQ(lines, 7);
	}
	if (!system("python3 -c '' 2>/dev/null")) {
		char cmd[256];

		snprintf(cmd, sizeof(cmd), "python3 -c 'import json,sys\n"
			 "for l in sys.stdin: json.loads(l)' < %s", tracefile);
		CHECK_EQ(system(cmd), 0);
	}
	unlink(tracefile);
	CHECK_EQ(run("fake:dev", "run", "--trace", "--trace-output=/nonexistent/dir/trace",
		     img("xtf.elf"), NULL), 1);
	ONE_LINE("pvmx: --trace-output=/nonexistent/dir/trace: No such file or directory");
	/* --trace=LIST: names are Xen's; the module gets the mask. */
	run_env[2] = "FAKE_PVMX_SCRIPT=shutdown:0";
	CHECK_EQ(run("fake:dev", "run", "--trace=mmu_update,multicall", img("xtf.elf"), NULL), 0);
	fd = open(logpath, O_RDONLY);
	slurp(fd, log);
	CHECK_HAS(log, "trace flags 1 ops 0x2002\n");
	CHECK_EQ(run("fake:dev", "run", "--trace=deliveries,xen_version", img("xtf.elf"), NULL), 0);
	fd = open(logpath, O_RDONLY);
	slurp(fd, log);
	CHECK_HAS(log, "trace flags 3 ops 0x20000\n");
	CHECK_EQ(run("fake:dev", "run", "--trace=mmu_update,bogus", img("xtf.elf"), NULL), 2);
	CHECK_HAS(errout, "pvmx: --trace: unknown name 'bogus'; valid names: deliveries, set_trap_table, mmu_update,");
	CHECK_HAS(errout, ", multicall, ");
	CHECK_EQ(run("fake:dev", "run", "--trace=/tmp/x", img("xtf.elf"), NULL), 2);
	CHECK_HAS(errout, "(a file? that is --trace-output=FILE now)");
	CHECK_EQ(run("fake:dev", "run", "--trace=", img("xtf.elf"), NULL), 2);
	CHECK_EQ(run("fake:dev", "run", "--trace-format=xml", "--trace", img("xtf.elf"), NULL), 2);
	CHECK_HAS(errout, "bad --trace-format 'xml' (want text or json)");
	CHECK_EQ(run("fake:dev", "run", "--trace-format=json", img("xtf.elf"), NULL), 2);
	CHECK_HAS(errout, "--trace-format and --trace-output need --trace");
	/* A module with version-1 tracing: refused before the run. */
	run_env[3] = "FAKE_PVMX_TRACE_VERSION=1";
	CHECK_EQ(run("fake:dev", "run", "--trace", img("xtf.elf"), NULL), 1);
	CHECK_STR(errout, "pvmx: --trace: this pvmx module has trace version 1, this pvmx reads version 2\n");
	run_env[3] = NULL;
	/* No trace capability. */
	run_env[3] = "FAKE_PVMX_NOCAP=8";
	CHECK_EQ(run("fake:dev", "run", "--trace", img("xtf.elf"), NULL), 1);
	CHECK_STR(errout, "pvmx: --trace: this pvmx module cannot trace hypercalls (PVMX_CAP_TRACE is 0)\n");
	run_env[3] = "FAKE_PVMX_NOCAP=7";
	CHECK_EQ(run("fake:dev", "run", "--stats", img("xtf.elf"), NULL), 1);
	CHECK_HAS(errout, "--stats: this pvmx module has no statistics");
	CHECK_EQ(run("fake:dev", "stats", img("xtf.elf"), NULL), 1);
	CHECK_HAS(errout, "pvmx stats: this pvmx module has no statistics");
	CHECK_STR(out, "");
	run_env[3] = NULL;

	/* --stats: a table on stderr, whatever the end. */
	run_env[2] = "FAKE_PVMX_SCRIPT=console:hi,shutdown:0";
	CHECK_EQ(run("fake:dev", "run", "--stats", img("xtf.elf"), NULL), 0);
	CHECK_STR(out, "hi");
	CHECK_HAS(errout, "pvmx statistics (1 vCPU):\n");
	CHECK_HAS(errout, "  exception_nmi                          4100          4100000         1000\n");
	CHECK_HAS(errout, "  external_interrupt                       20            60000         3000\n");
	CHECK_HAS(errout, "  xen_version                            2001           400200          200\n");
	CHECK_HAS(errout, "  sched_op                               2000          3000000         1500\n");
	CHECK_HAS(errout, "  update_va_mapping                        40             8000          200\n");
	CHECK_HAS(errout, "  8-15                                      3\n");
	CHECK_HAS(errout, "  preempted                                 2\n");
	CHECK_HAS(errout, "  event upcalls                             7\n");
	CHECK(!strstr(errout, "console_io"));
	CHECK(!strstr(errout, "failsafe"));
	fd = open(logpath, O_RDONLY);
	slurp(fd, log);
	CHECK_HAS(log, "vm stats\n");
	run_env[2] = "FAKE_PVMX_SCRIPT=console:a,block";
	CHECK_EQ(run("fake:dev", "run", "--stats=table", "--timeout", "0.2", img("xtf.elf"), NULL), 124);
	CHECK_HAS(errout, "pvmx: timeout after 0.2 s\npvmx statistics (1 vCPU):\n");
	run_env[2] = "FAKE_PVMX_SCRIPT=crash";
	CHECK_EQ(run("fake:dev", "run", "--stats=json", img("xtf.elf"), NULL), 20);
	CHECK_HAS(errout, "pvmx: guest crashed: page fault with no handler\n");
	CHECK_HAS(errout, "\n{\"version\":1,\"nr_vcpus\":1,\"exits\":4123,\"exit_reasons\":{\"exception_nmi\":");
	CHECK_EQ(run("fake:dev", "run", "--stats=xml", img("xtf.elf"), NULL), 2);
	CHECK_HAS(errout, "bad --stats 'xml'");

	/* pvmx stats: console on stderr, JSON on stdout. */
	run_env[2] = "FAKE_PVMX_SCRIPT=console:guest says hi\n,shutdown:0";
	CHECK_EQ(run("fake:dev", "stats", "--cmdline", "n=2000", img("xtf.elf"), NULL), 0);
	CHECK_STR(errout, "guest says hi\n");
	CHECK(!strncmp(out, "{\"version\":1,", 13));
	CHECK(strchr(out, '\n') == out + strlen(out) - 1);
	CHECK_HAS(out, "\"hypercalls\":{\"multicall\":{\"count\":5,\"cycles\":5000},");
	CHECK_HAS(out, "\"xen_version\":{\"count\":2001,\"cycles\":400200}");
	CHECK_HAS(out, "\"batches\":{\"1\":1,\"8-15\":3},\"stops\":{\"end\":3,\"iret\":1,\"preempted\":2}");
	CHECK_HAS(out, "\"continuations\":2,\"upcalls\":7,\"traps\":1,\"failsafes\":0}");
	if (!system("python3 -c '' 2>/dev/null")) {
		char path[] = "/tmp/pvmx-json-XXXXXX", cmd[256];

		fd = mkstemp(path);
		CHECK_EQ(write(fd, out, strlen(out)), strlen(out));
		close(fd);
		snprintf(cmd, sizeof(cmd),
			 "python3 -c 'import json,sys; d=json.load(sys.stdin); "
			 "assert d[\"hypercalls\"][\"sched_op\"][\"count\"]==2000' < %s", path);
		CHECK_EQ(system(cmd), 0);
		unlink(path);
	}
	run_env[2] = "FAKE_PVMX_SCRIPT=shutdown:3";
	CHECK_EQ(run("fake:dev", "stats", img("xtf.elf"), NULL), 13);
	CHECK_HAS(out, "\"exits\":4123");
	CHECK_EQ(run("fake:dev", "stats", "--trace", img("xtf.elf"), NULL), 2);
	CHECK_HAS(errout, "--trace only applies to 'pvmx run'");
	CHECK_EQ(run("fake:dev", "stats", "--stats", img("xtf.elf"), NULL), 2);
	CHECK_EQ(run("fake:dev", "load", "--dry-run", "--trace", img("xtf.elf"), NULL), 2);

	run_bin = NULL;
	memset(run_env, 0, sizeof(run_env));
	unlink(logpath);
}

const struct test cli_tests[] = {
	{ "cli: run and info against a fake /dev/pvmx", test_fake_run },
	{ "cli: --trace, --stats and pvmx stats against a fake /dev/pvmx", test_fake_trace_stats },
	{ "cli: console and xenstore backends against a fake /dev/pvmx", test_fake_backends },
	{ "cli: --help and commands", test_help },
	{ "cli: load --dry-run", test_dry_run },
	{ "cli: load --dry-run --shuffle-p2m", test_dry_run_shuffled },
	{ "cli: load --dry-run --ramdisk, BSD symbols", test_ramdisk_and_symbols },
	{ "cli: malformed images", test_bad_images },
	{ "cli: usage errors", test_usage_errors },
	{ "cli: option syntax, strict numbers, status 2", test_option_syntax },
	{ "cli: options documented", test_options_documented },
	{ "cli: no /dev/pvmx", test_no_device },
	{ NULL, NULL },
};
