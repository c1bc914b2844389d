// SPDX-License-Identifier: GPL-2.0
/*
 * pvmx: the launcher.  Loads a 32-bit Xen PV (PAE) ELF image into a pvmx VM
 * and runs it, copying its console to stdout.
 *
 *   pvmx run [--memory SIZE] [--cmdline STR] [--vcpus N] [--[no-]fast-int80]
 *            [--shuffle-p2m[=SEED]] [--timeout S] [--shutdown-after S] [--quiet]
 *            [--trace[=LIST]] [--trace-format=text|json] [--trace-output=FILE]
 *            [--stats[=table|json]] [--ramdisk FILE] [--console=MODE] IMAGE
 *   pvmx stats [--memory SIZE] [--cmdline STR] [--vcpus N] [--[no-]fast-int80]
 *              [--shuffle-p2m[=SEED]] [--timeout S] [--quiet] [--ramdisk FILE]
 *              [--console=MODE] IMAGE
 *   pvmx info
 *   pvmx load --dry-run [--memory SIZE] [--cmdline STR] [--shuffle-p2m[=SEED]]
 *             [--ramdisk FILE] IMAGE
 *
 * Options may follow IMAGE; "--" ends them.  Exit statuses: usage_text and
 * Documentation/launcher.rst.
 */
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include "libpvmx.h"
#include "console.h"
#include "xenstore.h"
#include "backend.h"
#include <sys/mman.h>
#include <pvmx/xen_abi.h>
#include <fcntl.h>
#include <poll.h>
#include <sys/eventfd.h>

#define DEFAULT_MEMORY	(32ULL << 20)

static const char usage_text[] =
"Usage:\n"
"  pvmx run [--memory SIZE] [--cmdline STR] [--vcpus N] [--[no-]fast-int80]\n"
"           [--shuffle-p2m[=SEED]] [--timeout S] [--shutdown-after S] [--quiet]\n"
"           [--trace[=LIST]] [--trace-format=text|json] [--trace-output=FILE]\n"
"           [--stats[=table|json]] [--ramdisk FILE]\n"
"           [--disk FILE[,ro][,direct][,vdev=NAME]]... [--net tap=NAME[,mac=MAC]]...\n"
"           [--console=auto|ring|io|both] IMAGE\n"
"      Load IMAGE (a 32-bit PAE Xen PV ELF kernel) into a new VM and run it;\n"
"      the guest console goes to stdout.  Options may come before or after\n"
"      IMAGE, spelt out in full; '--' ends them.  A value follows as the next\n"
"      argument or after '=' (--memory 64M, --memory=64M); [=VALUE] only\n"
"      after '='.  Numbers are decimal (a leading 0 too).\n"
"      --memory SIZE   guest RAM: decimal bytes or with a K/M/G suffix\n"
"                      (default 32M; a multiple of 4 KiB, 4M .. 2G)\n"
"      --cmdline STR   guest command line (start_info.cmd_line, < 1024 chars)\n"
"      --ramdisk FILE  initial ramdisk (xl's ramdisk=): loaded as it is and\n"
"                      passed in start_info.mod_start/mod_len, placed as Xen's\n"
"                      domain builder does (after the kernel; after the\n"
"                      start-of-day mapping, mod_start a pfn, for an image\n"
"                      with the MOD_START_PFN note)\n"
"      --disk FILE[,ro][,direct][,vdev=NAME]\n"
"                      a PV disk (blkif) backed by FILE, a file or block\n"
"                      device, served by the launcher as dom0's blkback: the\n"
"                      first is xvda (vbd 51712), then xvdb, ... (at most 16);\n"
"                      ro: read-only; direct: O_DIRECT instead of the page\n"
"                      cache; vdev: its name as xl's vdev= (xvd<a..p>,\n"
"                      hd<a..d>, sd<a..p> or a vbd number; Mini-OS looks\n"
"                      for hda, vbd 768).  Flushes are fdatasync(); repeatable\n"
"      --net tap=NAME[,mac=MAC]\n"
"                      a PV network interface (netif) on tap NAME (opened,\n"
"                      or created, with IFF_TAP|IFF_NO_PI), served by the\n"
"                      launcher as dom0's netback: vif 0, 1, ... (at most 4);\n"
"                      mac: the guest's address (default 00:16:3e and three\n"
"                      random bytes, as xl); repeatable.  fd=R[:W] instead\n"
"                      of tap=: frames read from inherited descriptor R and\n"
"                      written to W (default R), one a read or write (a\n"
"                      datagram or seqpacket socket, O_DIRECT pipes)\n"
"      --vcpus N       give the VM N vCPUs (default 1, at most the module's\n"
"                      PVMX_CAP_MAX_VCPUS): vCPU 0 starts at the image's entry,\n"
"                      the others start down until the guest brings them up\n"
"                      (VCPUOP_initialise, VCPUOP_up); one thread per vCPU;\n"
"                      --trace follows every vCPU\n"
"      --fast-int80, --no-fast-int80\n"
"                      the int $0x80 fast path, on by default: a system call\n"
"                      reaches the guest kernel's handler through a hardware\n"
"                      gate, without a VM exit, while its trap entry does not\n"
"                      mask events and names flat 32-bit ring-1 segments of\n"
"                      the GDT (such calls are not in --stats/--trace; the 8\n"
"                      bytes of kernel stack below the frame are used); a\n"
"                      handler that masks events (Linux's) gets a short exit\n"
"                      path; the frame is exactly Xen's either way\n"
"      --timeout S     stop the guest after S seconds (decimal, e.g. 30 or\n"
"                      0.5; exit status 124)\n"
"      --shutdown-after S\n"
"                      after S seconds, ask the guest to power off as\n"
"                      `xl shutdown` does: write \"poweroff\" to its xenstore\n"
"                      node control/shutdown; the guest's PV drivers shut\n"
"                      down and it exits with its own reason (--timeout\n"
"                      still stops one that does not)\n"
"      --shuffle-p2m[=SEED]\n"
"                      place pseudo-physical frames at scattered machine\n"
"                      frames (a permutation drawn from SEED, decimal or 0x\n"
"                      hex; without one a random seed, printed on stderr)\n"
"                      instead of pfn == mfn, to catch guests that confuse\n"
"                      the two\n"
"      --quiet         do not report how the guest stopped on stderr\n"
"      --console=auto|ring|io|both\n"
"                      which guest output to print: the PV console ring\n"
"                      (what `xl console` shows), console_io (what Xen's\n"
"                      own console shows), or both; auto (the default)\n"
"                      prints both but a chunk the guest already wrote to\n"
"                      the other one only once\n"
"      --trace[=LIST]  print every hypercall, multicall entry and delivery of\n"
"                      every vCPU, strace-like, on stderr (see --trace-output):\n"
"                        0.001234 v0 xen_version(XENVER_version, 0) = 0x40013 <1.250us> at 0xc0101234\n"
"                        0.001301 v1 multicall(0x220000, 2) = 0 [2 entries: mmu_update x2] <9.000us> at 0xc0104567\n"
"                        0.001290 v1   [0] mmu_update(0x221000, 1, 0, DOMID_SELF) = 0 {MMU_NORMAL_PT_UPDATE ptr=0x3f3f008 val=0x4067} <3.000us>\n"
"                        0.001400 v0 --- trap #PF (vector 14) error 0x2, at 0x00101234 ---\n"
"                      Seconds since the start, vCPU, the call and its result\n"
"                      (errors as -EXXX (-n), other values in hex), what\n"
"                      buffers held (multicall: entry count and ops;\n"
"                      mmu_update/mmuext_op: the first requests; console\n"
"                      writes: the text; event_channel_op, sched_op,\n"
"                      vcpu_op: the argument's words), the time from the VM\n"
"                      exit to the re-entry (entries: their share of the\n"
"                      batch), and the guest EIP of the int $0x82.  A\n"
"                      multicall's entries are printed under it; a batch\n"
"                      continued later prints \"= <continued>\" for each part.\n"
"                      LIST: comma-separated Xen hypercall names (xen_version,\n"
"                      mmu_update, multicall, ...; entries count by their\n"
"                      own op) and \"deliveries\" (traps, upcalls, callbacks);\n"
"                      without LIST everything.  The guest waits while\n"
"                      records are printed: nothing is lost.  Needs a module\n"
"                      with trace version 2.\n"
"      --trace-format=text|json\n"
"                      json: one JSON object per record and line (JSON\n"
"                      Lines, in the module's order; fields in\n"
"                      Documentation/launcher.rst), e.g.\n"
"                        {\"vcpu\":0,\"time_ns\":N,\"tsc\":N,\"kind\":\"hypercall\",\"op\":17,\n"
"                         \"name\":\"xen_version\",\"args\":[0,0,0,0,0],\"result\":262163,\n"
"                         \"duration_ns\":1250,\"text\":\"...\",\"eip\":N}\n"
"      --trace-output=FILE\n"
"                      write the trace to FILE instead of stderr\n"
"      --stats[=table|json]\n"
"                      when the guest stops (however it stops), print the VM's\n"
"                      statistics on stderr: VM exits by reason and hypercalls\n"
"                      by op (count, host TSC cycles handling them, cycles per\n"
"                      exit/call; hypercalls include multicall entries), the\n"
"                      multicall batch-size histogram (entries run: 1, 2-3,\n"
"                      4-7, ...) and stop reasons (end, iret, preempted,\n"
"                      error), continuations, event upcalls, traps bounced to\n"
"                      the guest, failsafe callbacks; only non-zero rows.\n"
"                      json: the object `pvmx stats` prints, instead.\n"
"  pvmx stats [--memory SIZE] [--cmdline STR] [--vcpus N] [--[no-]fast-int80]\n"
"             [--shuffle-p2m[=SEED]] [--timeout S] [--quiet] [--ramdisk FILE]\n"
"             [--disk FILE[,ro][,direct][,vdev=NAME]]... [--net tap=NAME[,mac=MAC]]...\n"
"             [--console=auto|ring|io|both] IMAGE\n"
"      Run IMAGE like `pvmx run`, with the guest console on stderr, and print\n"
"      the statistics as one JSON object on stdout when it stops (for scripts;\n"
"      exit status as for `pvmx run`):\n"
"        {\"version\":1,\"nr_vcpus\":1,\"exits\":N,\n"
"         \"exit_reasons\":{\"cpuid\":{\"count\":N,\"cycles\":N},...},\n"
"         \"hypercalls\":{\"xen_version\":{\"count\":N,\"cycles\":N},...},\n"
"         \"hypercall_other\":N,\n"
"         \"multicall\":{\"entries\":N,\"batches\":{\"1\":N,\"2-3\":N,...},\n"
"                      \"stops\":{\"end\":N,\"iret\":N,\"preempted\":N,\"error\":N}},\n"
"         \"continuations\":N,\"upcalls\":N,\"traps\":N,\"failsafes\":N}\n"
"      Maps hold only non-zero entries.  Exit reasons use the names of\n"
"      `perf kvm stat` (exception_nmi, external_interrupt, cpuid, hlt,\n"
"      io_instruction, msr_read, ept_violation, ...; exit_N without one),\n"
"      hypercalls Xen's (hypercall_N without one); cycles are host TSC cycles.\n"
"  pvmx info\n"
"      Describe the pvmx module: API version, capabilities, VMX features.\n"
"  pvmx load --dry-run [--memory SIZE] [--cmdline STR] [--shuffle-p2m[=SEED]]\n"
"            [--ramdisk FILE] IMAGE\n"
"      Run the image loader into a scratch buffer, without /dev/pvmx, and\n"
"      print the start-of-day layout.\n"
"  pvmx --help | -h | --version\n"
"\n"
"Exit status of `pvmx run` and `pvmx stats`:\n"
"    0   guest powered off (SHUTDOWN_poweroff)\n"
"    1   launcher, image or device error\n"
"    2   usage error (bad command line)\n"
"   11   guest shut down: reboot\n"
"   12   guest shut down: suspend\n"
"   13   guest shut down: crash (the guest reported it crashed)\n"
"   14   guest shut down: watchdog\n"
"   15   guest shut down: soft_reset\n"
"   19   guest shut down with an unknown reason\n"
"   20   the hypervisor crashed the guest (reason on stderr)\n"
"   21   pvmx internal error (details on stderr)\n"
"  124   --timeout expired\n"
"  128+n stopped by signal n: 129 SIGHUP, 130 SIGINT, 143 SIGTERM (SIGUSR1\n"
"        only interrupts PVMX_RUN)\n"
"Other commands exit 0, 1 (error) or 2 (usage error).\n";

static void die_usage(const char *fmt, ...) __attribute__((noreturn, format(printf, 1, 2)));

static void die_usage(const char *fmt, ...)
{
	va_list ap;

	fputs("pvmx: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputs("\nTry 'pvmx --help'.\n", stderr);
	exit(PVMX_STATUS_USAGE);
}

enum stats_mode { STATS_NONE, STATS_TABLE, STATS_JSON };
enum command { CMD_RUN, CMD_STATS, CMD_LOAD };

struct args {
	uint64_t memory;
	const char *cmdline;
	const char *ramdisk;		/* --ramdisk FILE, or NULL */
	double timeout;
	double shutdown_after;	/* 0: never ask */
	bool quiet;
	bool dry_run;
	bool trace;
	const char *trace_path;		/* --trace-output, NULL: stderr */
	uint32_t trace_flags;		/* PVMX_TRACE_* from --trace[=LIST] */
	uint64_t trace_ops;		/* hypercalls --trace records */
	bool trace_json;		/* --trace-format=json */
	enum stats_mode stats;
	FILE *stats_out;
	bool fast_int80;
	bool shuffle_p2m;
	uint64_t p2m_seed;
	unsigned int vcpus;
	int console_fd;
	enum pvmx_console_mode console_mode;
	const char *image;
	unsigned int nr_disks;
	struct pvmx_disk_opt disks[PVMX_MAX_DISKS];	/* --disk */
	unsigned int nr_nics;
	struct pvmx_net_opt nics[PVMX_MAX_NICS];	/* --net */
};

enum { OPT_MEMORY = 1, OPT_CMDLINE, OPT_TIMEOUT, OPT_QUIET, OPT_DRY_RUN, OPT_HELP,
       OPT_TRACE, OPT_STATS, OPT_FAST_INT80, OPT_NO_FAST_INT80, OPT_SHUFFLE_P2M, OPT_VCPUS,
       OPT_RAMDISK, OPT_CONSOLE, OPT_TRACE_FORMAT, OPT_TRACE_OUTPUT, OPT_DISK, OPT_NET,
       OPT_SHUTDOWN_AFTER };

enum opt_arg { ARG_NONE, ARG_REQUIRED, ARG_OPTIONAL };

/* Which commands take an option: a mask of these. */
#define FOR_RUN		(1u << CMD_RUN)
#define FOR_STATS	(1u << CMD_STATS)
#define FOR_LOAD	(1u << CMD_LOAD)
#define FOR_ALL		(FOR_RUN | FOR_STATS | FOR_LOAD)

/*
 * The options of run, stats and load, each spelt out in full (no
 * abbreviations; the only short option is -h).  ARG_REQUIRED takes
 * "--name VALUE" or "--name=VALUE", ARG_OPTIONAL only "--name=VALUE".
 * Every one is in usage_text and Documentation/launcher.rst.
 */
struct option_spec {
	const char *name;
	enum opt_arg arg;
	int id;
	unsigned int cmds;
};

static const struct option_spec options[] = {
	{ "memory",	 ARG_REQUIRED, OPT_MEMORY,	FOR_ALL },
	{ "cmdline",	 ARG_REQUIRED, OPT_CMDLINE,	FOR_ALL },
	{ "ramdisk",	 ARG_REQUIRED, OPT_RAMDISK,	FOR_ALL },
	{ "shuffle-p2m", ARG_OPTIONAL, OPT_SHUFFLE_P2M,	FOR_ALL },
	{ "vcpus",	 ARG_REQUIRED, OPT_VCPUS,	FOR_RUN | FOR_STATS },
	{ "disk",	 ARG_REQUIRED, OPT_DISK,	FOR_RUN | FOR_STATS },
	{ "net",	 ARG_REQUIRED, OPT_NET,		FOR_RUN | FOR_STATS },
	{ "fast-int80",	 ARG_NONE,     OPT_FAST_INT80,	FOR_RUN | FOR_STATS },
	{ "no-fast-int80", ARG_NONE,   OPT_NO_FAST_INT80, FOR_RUN | FOR_STATS },
	{ "timeout",	 ARG_REQUIRED, OPT_TIMEOUT,	FOR_RUN | FOR_STATS },
	{ "shutdown-after", ARG_REQUIRED, OPT_SHUTDOWN_AFTER, FOR_RUN | FOR_STATS },
	{ "quiet",	 ARG_NONE,     OPT_QUIET,	FOR_RUN | FOR_STATS },
	{ "console",	 ARG_REQUIRED, OPT_CONSOLE,	FOR_RUN | FOR_STATS },
	{ "trace",	 ARG_OPTIONAL, OPT_TRACE,	FOR_RUN },
	{ "trace-format", ARG_REQUIRED, OPT_TRACE_FORMAT, FOR_RUN },
	{ "trace-output", ARG_REQUIRED, OPT_TRACE_OUTPUT, FOR_RUN },
	{ "stats",	 ARG_OPTIONAL, OPT_STATS,	FOR_RUN },
	{ "dry-run",	 ARG_NONE,     OPT_DRY_RUN,	FOR_LOAD },
	{ "help",	 ARG_NONE,     OPT_HELP,	FOR_ALL },
};

#define NR_OPTIONS	(sizeof(options) / sizeof(options[0]))

static const char *const command_names[] = {
	[CMD_RUN] = "pvmx run", [CMD_STATS] = "pvmx stats", [CMD_LOAD] = "pvmx load",
};

/* Edit distance of two short strings (insertions, deletions, substitutions). */
static size_t edit_distance(const char *a, size_t la, const char *b)
{
	size_t lb = strlen(b), row[32], i, j, diag, up;

	if (la >= 32 || lb >= 32)
		return 32;
	for (j = 0; j <= lb; j++)
		row[j] = j;
	for (i = 1; i <= la; i++) {
		diag = row[0];
		row[0] = i;
		for (j = 1; j <= lb; j++) {
			up = row[j];
			row[j] = diag + (a[i - 1] != b[j - 1]);
			if (up + 1 < row[j])
				row[j] = up + 1;
			if (row[j - 1] + 1 < row[j])
				row[j] = row[j - 1] + 1;
			diag = up;
		}
	}
	return row[lb];
}

/*
 * The option an unknown "--name" most likely meant, or NULL: the one it
 * abbreviates (if only one), else the closest within two edits.
 */
static const struct option_spec *suggest(const char *name, size_t len)
{
	const struct option_spec *best = NULL;
	size_t i, d, best_d = 3;
	int prefixes = 0;

	for (i = 0; i < NR_OPTIONS; i++)
		if (len && !strncmp(options[i].name, name, len)) {
			best = &options[i];
			prefixes++;
		}
	if (prefixes == 1)
		return best;
	best = NULL;
	for (i = 0; i < NR_OPTIONS; i++) {
		d = edit_distance(name, len, options[i].name);
		if (d < best_d) {
			best_d = d;
			best = &options[i];
		}
	}
	return best;
}

static void die_unknown_option(const char *arg)
{
	const char *name = arg + 2, *eq = strchr(name, '=');
	size_t len = eq ? (size_t)(eq - name) : strlen(name);
	const struct option_spec *o;

	if (arg[1] != '-')
		die_usage("unknown option '%s'", arg);
	o = suggest(name, len);
	if (o)
		die_usage("unknown option '--%.*s' (did you mean --%s?)", (int)len, name, o->name);
	die_usage("unknown option '--%.*s'", (int)len, name);
}

/* "--trace only applies to 'pvmx run'", "... 'pvmx run' and 'pvmx stats'" */
static void die_wrong_command(const struct option_spec *o)
{
	const char *c[3];
	int n = 0;

	for (unsigned int i = 0; i < 3; i++)
		if (o->cmds & 1u << i)
			c[n++] = command_names[i];
	if (n == 1)
		die_usage("--%s only applies to '%s'", o->name, c[0]);
	die_usage("--%s only applies to '%s' and '%s'", o->name, c[0], c[1]);
}

/*
 * The next option of argv[*i] for cmd: its spec, its value (NULL when it
 * has none) in *val, *i advanced past what it used.  NULL when argv[*i] is
 * not an option (an operand, or "--", which *end_of_opts then says).
 */
static const struct option_spec *next_option(char **argv, int argc, int *i, enum command cmd,
					     const char **val, bool *end_of_opts)
{
	const char *arg = argv[*i], *name, *eq;
	const struct option_spec *o = NULL;
	size_t len, k;

	*val = NULL;
	*end_of_opts = false;
	if (arg[0] != '-' || !arg[1])
		return NULL;			/* an operand ("-" too) */
	if (!strcmp(arg, "--")) {
		*end_of_opts = true;
		(*i)++;
		return NULL;
	}
	if (!strcmp(arg, "-h"))
		arg = "--help";			/* the only short option */
	else if (arg[1] != '-')
		die_unknown_option(arg);
	name = arg + 2;
	eq = strchr(name, '=');
	len = eq ? (size_t)(eq - name) : strlen(name);
	for (k = 0; k < NR_OPTIONS; k++)
		if (strlen(options[k].name) == len && !strncmp(options[k].name, name, len))
			o = &options[k];
	if (!o)
		die_unknown_option(arg);
	if (!(o->cmds & 1u << cmd))
		die_wrong_command(o);
	(*i)++;
	if (eq) {
		if (o->arg == ARG_NONE)
			die_usage("--%s takes no value", o->name);
		*val = eq + 1;
	} else if (o->arg == ARG_REQUIRED) {
		if (*i >= argc)
			die_usage("--%s needs a value", o->name);
		*val = argv[(*i)++];
	}
	return o;
}

static void parse_args(int argc, char **argv, struct args *a, enum command cmd)
{
	const struct option_spec *o;
	const char *val, *image = NULL;
	bool opts_done = false, end = false;
	uint64_t n;
	int i = 1;

	memset(a, 0, sizeof(*a));
	a->memory = DEFAULT_MEMORY;
	a->vcpus = 1;
	a->fast_int80 = true;
	a->console_fd = STDOUT_FILENO;
	/* Options and the IMAGE operand in any order; "--" ends the options. */
	while (i < argc) {
		o = opts_done ? NULL : next_option(argv, argc, &i, cmd, &val, &end);
		if (!o) {
			if (end && !opts_done) {
				opts_done = true;
				continue;
			}
			if (image)
				die_usage("unexpected argument '%s' (IMAGE is '%s')", argv[i], image);
			image = argv[i++];
			continue;
		}
		switch (o->id) {
		case OPT_MEMORY:
			if (pvmx_parse_size(val, &a->memory))
				die_usage("bad --memory '%s' (want e.g. 32M, 1G, 67108864)", val);
			if (a->memory % PVMX_PAGE_SIZE)
				die_usage("--memory %s is not a multiple of 4 KiB", val);
			if (a->memory < PVMX_MIN_MEMORY || a->memory > PVMX_MAX_MEMORY)
				die_usage("--memory %s out of range (%llu MiB .. %llu MiB)", val,
					  PVMX_MIN_MEMORY >> 20, PVMX_MAX_MEMORY >> 20);
			break;
		case OPT_CMDLINE:
			a->cmdline = val;
			if (strlen(val) >= XEN_MAX_GUEST_CMDLINE)
				die_usage("--cmdline too long (%zu bytes, at most %d)",
					  strlen(val), XEN_MAX_GUEST_CMDLINE - 1);
			break;
		case OPT_RAMDISK:
			if (!*val)
				die_usage("--ramdisk needs a file name");
			a->ramdisk = val;
			break;
		case OPT_DISK: {
			char err[256];

			if (a->nr_disks == PVMX_MAX_DISKS)
				die_usage("at most %d --disk options", PVMX_MAX_DISKS);
			if (pvmx_disk_parse(val, &a->disks[a->nr_disks], err, sizeof(err)))
				die_usage("%s", err);
			a->nr_disks++;
			break;
		}
		case OPT_NET: {
			char err[256];

			if (a->nr_nics == PVMX_MAX_NICS)
				die_usage("at most %d --net options", PVMX_MAX_NICS);
			if (pvmx_net_parse(val, &a->nics[a->nr_nics], err, sizeof(err)))
				die_usage("%s", err);
			a->nr_nics++;
			break;
		}
		case OPT_TIMEOUT:
			if (pvmx_parse_seconds(val, &a->timeout))
				die_usage("bad --timeout '%s' (want seconds > 0, e.g. 30 or 0.5)", val);
			break;
		case OPT_SHUTDOWN_AFTER:
			if (pvmx_parse_seconds(val, &a->shutdown_after))
				die_usage("bad --shutdown-after '%s' (want seconds > 0, e.g. 10 or 0.5)",
					  val);
			break;
		case OPT_FAST_INT80:
		case OPT_NO_FAST_INT80:
			a->fast_int80 = o->id == OPT_FAST_INT80;
			break;
		case OPT_SHUFFLE_P2M:
			a->shuffle_p2m = true;
			if (!val) {
				a->p2m_seed = (uint64_t)time(NULL) << 20 ^ (uint64_t)getpid();
				break;
			}
			if (pvmx_parse_uint(val, &a->p2m_seed, true))
				die_usage("bad --shuffle-p2m seed '%s' (want a decimal or 0x hex number)",
					  val);
			break;
		case OPT_VCPUS:
			if (pvmx_parse_uint(val, &n, false) || n < 1 || n > PVMX_MAX_VCPUS)
				die_usage("bad --vcpus '%s' (want 1 .. %d)", val, PVMX_MAX_VCPUS);
			a->vcpus = (unsigned int)n;
			break;
		case OPT_CONSOLE:
			if (pvmx_console_parse_mode(val, &a->console_mode))
				die_usage("bad --console '%s' (want auto, ring, io or both)", val);
			break;
		case OPT_QUIET:
			a->quiet = true;
			break;
		case OPT_DRY_RUN:
			a->dry_run = true;
			break;
		case OPT_TRACE: {
			char err[2048];

			if (pvmx_trace_parse_filter(val, &a->trace_flags, &a->trace_ops,
						    err, sizeof(err))) {
				fprintf(stderr, "pvmx: %s\nTry 'pvmx --help'.\n", err);
				exit(2);	/* a usage error */
			}
			a->trace = true;
			break;
		}
		case OPT_TRACE_FORMAT:
			if (strcmp(val, "text") && strcmp(val, "json"))
				die_usage("bad --trace-format '%s' (want text or json)", val);
			a->trace_json = !strcmp(val, "json");
			break;
		case OPT_TRACE_OUTPUT:
			if (!*val)
				die_usage("--trace-output needs a file name");
			a->trace_path = val;
			break;
		case OPT_STATS:
			if (!val || !strcmp(val, "table"))
				a->stats = STATS_TABLE;
			else if (!strcmp(val, "json"))
				a->stats = STATS_JSON;
			else
				die_usage("bad --stats '%s' (want table or json)", val);
			break;
		case OPT_HELP:
			fputs(usage_text, stdout);
			exit(0);
		}
	}
	if (cmd == CMD_STATS) {
		/* Statistics for scripts on stdout, the guest console on stderr. */
		a->stats = STATS_JSON;
		a->stats_out = stdout;
		a->console_fd = STDERR_FILENO;
	} else {
		a->stats_out = stderr;
	}
	if ((a->trace_json || a->trace_path) && !a->trace)
		die_usage("--trace-format and --trace-output need --trace");
	if (!image)
		die_usage("missing IMAGE");
	a->image = image;
}

/* The --shuffle-p2m permutation of the guest's frames, or NULL for identity. */
static uint32_t *make_p2m(const struct args *a)
{
	uint64_t nr = a->memory / PVMX_PAGE_SIZE;
	uint32_t *p2m;

	if (!a->shuffle_p2m)
		return NULL;
	p2m = malloc(nr * sizeof(*p2m));
	if (!p2m) {
		fprintf(stderr, "pvmx: out of memory\n");
		exit(PVMX_STATUS_ERROR);
	}
	pvmx_shuffle_p2m(p2m, nr, a->p2m_seed);
	return p2m;
}

/* Read and check the image; exits 1 with "pvmx: IMAGE: reason" on error. */
static void *read_image(const char *path, size_t *len, struct pvmx_image_info *info)
{
	char err[PVMX_ERR_MAX];
	void *buf;

	if (pvmx_read_file(path, &buf, len, err)) {
		fprintf(stderr, "pvmx: %s\n", err);
		exit(PVMX_STATUS_ERROR);
	}
	if (pvmx_parse_image(buf, *len, info, err)) {
		fprintf(stderr, "pvmx: %s: %s\n", path, err);
		exit(PVMX_STATUS_ERROR);
	}
	return buf;
}

/*
 * Read --ramdisk into opts (nothing without one); exits 1 with "pvmx: FILE:
 * reason" when it cannot be read or is empty (Xen refuses an empty module).
 */
static void read_ramdisk(const struct args *a, struct pvmx_load_opts *opts)
{
	char err[PVMX_ERR_MAX];
	void *buf;
	size_t len;

	if (!a->ramdisk)
		return;
	if (pvmx_read_file(a->ramdisk, &buf, &len, err)) {
		fprintf(stderr, "pvmx: --ramdisk %s\n", err);
		exit(PVMX_STATUS_ERROR);
	}
	if (!len) {
		fprintf(stderr, "pvmx: --ramdisk %s: empty file\n", a->ramdisk);
		exit(PVMX_STATUS_ERROR);
	}
	opts->ramdisk = buf;
	opts->ramdisk_len = len;
}

/* ---------------------------------------------------------------------- */
/* pvmx load --dry-run                                                     */
/* ---------------------------------------------------------------------- */

static const char *source_name(enum pvmx_note_source s)
{
	switch (s) {
	case PVMX_NOTES_PHDR:		return "PT_NOTE segments";
	case PVMX_NOTES_SHDR:		return "SHT_NOTE sections";
	case PVMX_NOTES_XEN_GUEST:	return "__xen_guest section";
	default:			return "none";
	}
}

static void print_features(const char *label, uint32_t mask)
{
	unsigned f;

	printf("  %-18s", label);
	if (!mask)
		printf(" -");
	for (f = 0; f < 32; f++)
		if (mask & (1u << f))
			printf(" %s", pvmx_xenfeat_name(f) ? pvmx_xenfeat_name(f) : "?");
	printf("\n");
}

static void print_region(const char *name, const struct pvmx_region *r)
{
	if (r->nr == 1)
		printf("  %-18s pfn 0x%05llx          va 0x%08llx\n", name,
		       (unsigned long long)r->pfn, (unsigned long long)r->va);
	else
		printf("  %-18s pfn 0x%05llx-0x%05llx va 0x%08llx (%llu pages)\n", name,
		       (unsigned long long)r->pfn,
		       (unsigned long long)(r->pfn + r->nr - 1),
		       (unsigned long long)r->va, (unsigned long long)r->nr);
}

static void print_layout(const char *path, const struct pvmx_layout *L)
{
	const struct pvmx_image_info *i = &L->image;
	char hc[32];

	printf("image %s\n", path);
	printf("  notes from         %s (%u)\n", source_name(i->source), i->nr_notes);
	printf("  GUEST_OS           \"%s\"\n", i->guest_os);
	printf("  GUEST_VERSION      \"%s\"\n", i->guest_version);
	printf("  XEN_VERSION        \"%s\"\n", i->xen_version);
	printf("  LOADER             \"%s\"\n", i->loader);
	printf("  PAE_MODE           \"%s\"\n", i->pae_mode);
	printf("  FEATURES           \"%s\"\n", i->features);
	print_features("features wanted", i->features_wanted);
	print_features("features required", i->features_required);
	if (i->bsd_symtab_loaded)
		printf("  BSD_SYMTAB         symtab (section %u, %llu bytes) + strtab (section %u, %llu bytes) at p_paddr 0x%08llx-0x%08llx\n",
		       i->bsd_symtab_shndx, (unsigned long long)i->bsd_symtab_size,
		       i->bsd_strtab_shndx, (unsigned long long)i->bsd_strtab_size,
		       (unsigned long long)i->bsd_symtab_pstart,
		       (unsigned long long)i->bsd_symtab_end);
	else if (i->bsd_symtab)
		printf("  BSD_SYMTAB         requested, no symbol table in the image: none loaded\n");
	if (i->unmapped_initrd)
		printf("  MOD_START_PFN      a ramdisk goes after the start-of-day mapping\n");
	printf("  virt_base          0x%08llx%s\n", (unsigned long long)i->virt_base,
	       i->note_virt_base == PVMX_UNSET ? " (unset, using 0)" : "");
	printf("  paddr_offset       0x%08llx\n", (unsigned long long)i->paddr_offset);
	printf("  image              0x%08llx-0x%08llx (p_paddr 0x%08llx-0x%08llx, %u PT_LOAD)\n",
	       (unsigned long long)i->virt_kstart, (unsigned long long)i->virt_kend,
	       (unsigned long long)i->pstart, (unsigned long long)i->pend, i->nr_load);
	printf("  entry              0x%08llx%s\n", (unsigned long long)i->entry,
	       i->note_entry == PVMX_UNSET ? " (e_entry)" : "");
	if (i->hypercall_page == PVMX_UNSET)
		snprintf(hc, sizeof(hc), "none");
	else
		snprintf(hc, sizeof(hc), "0x%08llx", (unsigned long long)i->hypercall_page);
	printf("  hypercall page     %s\n", hc);
	printf("layout (%llu pages = %llu KiB of RAM)\n", (unsigned long long)L->nr_pages,
	       (unsigned long long)(L->nr_pages * 4));
	print_region("kernel", &L->kernel);
	if (L->ramdisk.nr && !L->ramdisk_unmapped)
		print_region("ramdisk", &L->ramdisk);
	print_region("p2m (mfn_list)", &L->p2m);
	print_region("start_info", &L->start_info);
	print_region("xenstore ring", &L->store);
	print_region("console ring", &L->console);
	print_region("page tables", &L->pgtables);
	printf("  %-18s 1 L3 + %u L2 + %u L1, pt_base 0x%08llx, cr3 0x%llx\n", "",
	       L->nr_l2, L->nr_l1, (unsigned long long)L->pgtables.va,
	       (unsigned long long)L->l3_gpa);
	print_region("boot stack", &L->stack);
	printf("  mapped             0x%08llx-0x%08llx (%llu pages)\n",
	       (unsigned long long)i->virt_base, (unsigned long long)L->virt_mapped_end,
	       (unsigned long long)L->mapped_pages);
	if (L->ramdisk.nr && L->ramdisk_unmapped)
		printf("  %-18s pfn 0x%05llx-0x%05llx (%llu pages, not mapped)\n", "ramdisk",
		       (unsigned long long)L->ramdisk.pfn,
		       (unsigned long long)(L->ramdisk.pfn + L->ramdisk.nr - 1),
		       (unsigned long long)L->ramdisk.nr);
	if (L->ramdisk.nr)
		printf("  mod_start          0x%08x (%s), mod_len 0x%x, flags 0x%x%s\n",
		       L->mod_start, L->ramdisk_unmapped ? "a pfn" : "a VA", L->mod_len,
		       L->si_flags, L->si_flags & SIF_MOD_START_PFN ? " (SIF_MOD_START_PFN)" : "");
	printf("registers\n");
	printf("  eip 0x%08x esp 0x%08x esi 0x%08x eflags 0x%x\n", L->regs.eip,
	       L->regs.esp, L->regs.esi, L->regs.eflags);
	printf("  cs 0x%04x ss/ds/es/fs/gs 0x%04x cr3 0x%llx kernel_ss:sp 0x%04x:0x%08x\n",
	       L->regs.cs, L->regs.ss, (unsigned long long)L->regs.cr3, L->regs.kernel_ss,
	       L->regs.kernel_sp);
	printf("boot info\n");
	if (L->boot.hypercall_page_gpa == PVMX_NO_PAGE)
		printf("  hypercall_page_gpa none\n");
	else
		printf("  hypercall_page_gpa 0x%llx\n", (unsigned long long)L->boot.hypercall_page_gpa);
	printf("  start_info_gpa     0x%llx\n", (unsigned long long)L->boot.start_info_gpa);
	printf("  console_gpa        0x%llx (evtchn %u)\n",
	       (unsigned long long)L->boot.console_gpa, L->boot.console_evtchn);
	printf("  store_gpa          0x%llx (evtchn %u)\n",
	       (unsigned long long)L->boot.store_gpa, L->boot.store_evtchn);
	printf("  nr_pfns            %llu, domid %u\n", (unsigned long long)L->boot.nr_pfns,
	       L->boot.domid);
}

static int cmd_load(int argc, char **argv)
{
	struct pvmx_image_info info;
	struct pvmx_load_opts opts;
	struct pvmx_layout L;
	char err[PVMX_ERR_MAX];
	struct args a;
	size_t len;
	void *img, *ram;
	int rc;

	parse_args(argc, argv, &a, CMD_LOAD);
	if (!a.dry_run)
		die_usage("'pvmx load' needs --dry-run (use 'pvmx run' to run a guest)");
	img = read_image(a.image, &len, &info);
	ram = calloc(1, a.memory);
	if (!ram) {
		fprintf(stderr, "pvmx: cannot allocate %llu MiB\n",
			(unsigned long long)(a.memory >> 20));
		return PVMX_STATUS_ERROR;
	}
	memset(&opts, 0, sizeof(opts));
	opts.cmdline = a.cmdline;
	opts.boot_flags = a.fast_int80 ? PVMX_BOOT_FAST_INT80 : 0;
	opts.shared_info_gpa = a.memory;	/* the frame after RAM, as the module does */
	read_ramdisk(&a, &opts);
	opts.p2m = make_p2m(&a);
	rc = pvmx_build_image(img, len, ram, a.memory, &opts, &L, err);
	if (rc) {
		fprintf(stderr, "pvmx: %s: %s\n", a.image, err);
		free((void *)opts.ramdisk);
		free((void *)opts.p2m);
		free(ram);
		free(img);
		return PVMX_STATUS_ERROR;
	}
	print_layout(a.image, &L);
	if (opts.p2m)
		printf("  p2m                shuffled, seed %llu (start_info at mfn 0x%llx)\n",
		       (unsigned long long)a.p2m_seed,
		       (unsigned long long)(L.boot.start_info_gpa / PVMX_PAGE_SIZE));
	else
		printf("  p2m                identity (pfn == mfn)\n");
	free((void *)opts.ramdisk);
	free((void *)opts.p2m);
	free(ram);
	free(img);
	return 0;
}

/* ---------------------------------------------------------------------- */
/* pvmx info                                                               */
/* ---------------------------------------------------------------------- */

static void bits(const char *label, uint64_t v, const char *const names[64])
{
	unsigned b;

	printf("    %-12s", label);
	for (b = 0; b < 64; b++)
		if (names[b] && (v >> b & 1))
			printf(" %s", names[b]);
	printf("\n");
}

static int cmd_info(int argc, char **argv)
{
	static const char *const ept_names[64] = {
		[0] = "exec-only", [6] = "4-level", [8] = "UC", [14] = "WB",
		[16] = "2M-pages", [17] = "1G-pages", [20] = "INVEPT",
		[21] = "A/D", [22] = "adv-exit-info", [25] = "INVEPT-single",
		[26] = "INVEPT-all", [32] = "INVVPID", [40] = "INVVPID-addr",
		[41] = "INVVPID-single", [42] = "INVVPID-all",
		[43] = "INVVPID-single-keep-global",
	};
	static const char *const proc2_names[64] = {
		[0] = "virt-apic", [1] = "EPT", [2] = "desc-exit", [3] = "RDTSCP",
		[5] = "VPID", [7] = "unrestricted", [12] = "INVPCID",
		[20] = "XSAVES",
	};
	struct pvmx_vmx_info vi;
	struct pvmx_dev dev;
	char err[PVMX_ERR_MAX];
	unsigned cap;

	if (argc > 1 && (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h"))) {
		fputs(usage_text, stdout);
		return 0;
	}
	if (argc > 1)
		die_usage("'pvmx info' takes no arguments");
	if (pvmx_open(&dev, err)) {
		fprintf(stderr, "pvmx: %s\n", err);
		return PVMX_STATUS_ERROR;
	}
	printf("pvmx module: present, API version %d\n", dev.api_version);
	printf("capabilities:\n");
	for (cap = 0; cap < PVMX_CAP_NR; cap++) {
		long v = pvmx_check_cap(&dev, cap);

		if (v < 0)
			printf("  %-16s error: %s\n", pvmx_cap_name(cap), strerror((int)-v));
		else
			printf("  %-16s %ld\n", pvmx_cap_name(cap), v);
	}
	if (pvmx_get_vmx_info(&dev, &vi, err)) {
		fprintf(stderr, "pvmx: %s\n", err);
		pvmx_close(&dev);
		return PVMX_STATUS_ERROR;
	}
	printf("VMX:\n");
	printf("  VMCS revision      0x%x\n", vi.vmcs_revision);
	printf("  IA32_VMX_BASIC     0x%016llx (VMCS region %llu bytes, memory type %llu%s)\n",
	       (unsigned long long)vi.vmx_basic,
	       (unsigned long long)(vi.vmx_basic >> 32 & 0x1fff),
	       (unsigned long long)(vi.vmx_basic >> 50 & 0xf),
	       vi.vmx_basic >> 55 & 1 ? ", true controls" : "");
	printf("  EPT/VPID caps      0x%016llx\n", (unsigned long long)vi.ept_vpid_cap);
	bits("", vi.ept_vpid_cap, ept_names);
	printf("  controls           pin 0x%08x proc 0x%08x proc2 0x%08x exit 0x%08x entry 0x%08x\n",
	       vi.pinbased, vi.procbased, vi.procbased2, vi.exit_ctls, vi.entry_ctls);
	bits("proc2:", vi.procbased2, proc2_names);
	printf("  live VMs           %u\n", vi.nr_vms);
	printf("  CPUs in VMX mode   %u\n", vi.nr_cpus_vmx_on);
	pvmx_close(&dev);
	return 0;
}

/* ---------------------------------------------------------------------- */
/* pvmx run                                                                */
/* ---------------------------------------------------------------------- */

static volatile sig_atomic_t got_stop_signal, got_alarm;

/* The signals that stop the guest; the launcher exits 128 + the signal. */
static const int stop_signals[] = { SIGHUP, SIGINT, SIGTERM };

static const char *stop_signal_name(int sig)
{
	switch (sig) {
	case SIGHUP:	return "SIGHUP";
	case SIGINT:	return "SIGINT";
	case SIGTERM:	return "SIGTERM";
	}
	return "a signal";
}

static void on_signal(int sig)
{
	if (sig == SIGALRM)
		got_alarm = 1;
	else if (sig != SIGUSR1 && !got_stop_signal)
		got_stop_signal = sig;
}

static void install_signals(double timeout)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	sa.sa_flags = 0;	/* no SA_RESTART: PVMX_RUN must return */
	for (size_t i = 0; i < sizeof(stop_signals) / sizeof(stop_signals[0]); i++)
		sigaction(stop_signals[i], &sa, NULL);
	sigaction(SIGALRM, &sa, NULL);
	/* SIGUSR1 only interrupts PVMX_RUN (the guest goes on): tests use it. */
	sigaction(SIGUSR1, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
	if (timeout > 0) {
		struct itimerval it;

		memset(&it, 0, sizeof(it));
		it.it_value.tv_sec = (time_t)timeout;
		it.it_value.tv_usec = (suseconds_t)((timeout - (double)(time_t)timeout) * 1e6);
		if (!it.it_value.tv_sec && !it.it_value.tv_usec)
			it.it_value.tv_usec = 1;
		setitimer(ITIMER_REAL, &it, NULL);
	}
}

/*
 * With several vCPUs each runs in its own thread; these are shared.  The
 * first thread to finish decides the exit status; the others are told to
 * stop (stop_all) and interrupted with SIGUSR1.  Messages about how the run
 * ended are printed once.
 */
static pthread_mutex_t launcher_lock = PTHREAD_MUTEX_INITIALIZER;
static int stop_all;		/* __atomic */
static bool end_reported, stop_reported;

/* True the first time only: print the message that goes with it. */
static bool first_report(bool *flag)
{
	bool first;

	pthread_mutex_lock(&launcher_lock);
	first = !*flag;
	*flag = true;
	pthread_mutex_unlock(&launcher_lock);
	return first;
}

/* Returns an exit status when the run loop should stop, -1 to go on. */
static int check_signals(const struct args *a)
{
	int sig = got_stop_signal;

	if (__atomic_load_n(&stop_all, __ATOMIC_ACQUIRE))
		return PVMX_STATUS_SIGNAL;	/* another thread decided: not used */
	if (sig) {
		if (first_report(&stop_reported))
			fprintf(stderr, "pvmx: interrupted by %s\n", stop_signal_name(sig));
		return PVMX_STATUS_SIGNAL + sig;
	}
	if (got_alarm) {
		if (first_report(&stop_reported))
			fprintf(stderr, "pvmx: timeout after %g s\n", a->timeout);
		return PVMX_STATUS_TIMEOUT;
	}
	return -1;
}

/*
 * dom0's backends.  Any vCPU thread may use them: one lock each.  The
 * console: what the guest prints (console_io exits and its PV console
 * ring).  The xenstore: served on the store ring.
 */
static pthread_mutex_t console_lock = PTHREAD_MUTEX_INITIALIZER;
static struct pvmx_console console;
static pthread_mutex_t store_lock = PTHREAD_MUTEX_INITIALIZER;
static struct pvmx_xs *store;

static void console_output(enum pvmx_console_source src, const char *p, size_t n)
{
	pthread_mutex_lock(&console_lock);
	pvmx_console_output(&console, src, p, n);
	pthread_mutex_unlock(&console_lock);
}

/* The store with the domain's nodes (as xl writes them) and its ring. */
static int setup_store(struct pvmx_vm *vm, const struct pvmx_layout *L, const struct args *a)
{
	struct pvmx_xs_domain d;
	char name[64];
	const char *base = strrchr(a->image, '/');
	size_t len;

	if (L->boot.store_gpa == PVMX_NO_PAGE)
		return 0;
	/* The domain's name: the image's file name without ".elf". */
	snprintf(name, sizeof(name), "%s", base ? base + 1 : a->image);
	len = strlen(name);
	if (len > 4 && !strcmp(name + len - 4, ".elf"))
		name[len - 4] = '\0';
	memset(&d, 0, sizeof(d));
	d.domid = L->boot.domid;
	d.name = name;
	d.memory_kb = a->memory >> 10;
	d.vcpus = a->vcpus;
	d.store_mfn = L->boot.store_gpa >> 12;
	d.store_port = L->boot.store_evtchn;
	d.console_mfn = L->boot.console_gpa == PVMX_NO_PAGE ? ~0ULL : L->boot.console_gpa >> 12;
	d.console_port = L->boot.console_evtchn;
	store = pvmx_xs_new(d.domid);
	if (!store || pvmx_xs_seed_domain(store, &d)) {
		fprintf(stderr, "pvmx: xenstore: out of memory\n");
		return -1;
	}
	pvmx_xs_attach(store, (char *)vm->ram + L->boot.store_gpa);
	return 0;
}

/*
 * The back ends (--disk), under store_lock with the store: they read and
 * write the store, and the store's service follows their state.
 */
static struct pvmx_backends backends;
static bool have_backends;
static void *gnttab_map;
static uint32_t gnttab_frames;		/* pages of gnttab_map */

static int backend_bind(void *ctx, uint32_t port, bool unbind)
{
	return pvmx_vm_bind_evtchn(ctx, port, unbind);
}

static int backend_raise(void *ctx, uint32_t port)
{
	return pvmx_vm_raise_event(ctx, port, false);
}

static int setup_devices(struct pvmx_vm *vm, const struct pvmx_layout *L, const struct args *a)
{
	struct pvmx_backend_ops ops = { .bind = backend_bind, .raise = backend_raise, .ctx = vm };
	const char *opt = a->nr_disks ? "--disk" : "--net";
	char err[256];
	unsigned int i;
	int fd, out;

	if (!a->nr_disks && !a->nr_nics)
		return 0;
	if (!store) {
		fprintf(stderr, "pvmx: %s: the guest has no xenstore ring to find its devices\n", opt);
		return -1;
	}
	gnttab_map = pvmx_vm_map_gnttab(vm, &gnttab_frames);
	if (!gnttab_map) {
		fprintf(stderr, "pvmx: %s: cannot map the guest's grant table (%s): this pvmx module has no back-end support\n",
			opt, strerror(errno));
		return -1;
	}
	if (pvmx_backends_init(&backends, store, L->boot.domid, gnttab_map, gnttab_frames,
			       vm->ram, vm->mem_size / PVMX_PAGE_SIZE, &ops, stderr)) {
		fprintf(stderr, "pvmx: out of memory\n");
		return -1;
	}
	have_backends = true;
	for (i = 0; i < a->nr_disks; i++) {
		if (pvmx_backends_add_disk(&backends, &a->disks[i], err, sizeof(err))) {
			fprintf(stderr, "pvmx: %s\n", err);
			return -1;
		}
	}
	for (i = 0; i < a->nr_nics; i++) {
		const struct pvmx_net_opt *o = &a->nics[i];

		if (o->tap[0]) {
			fd = pvmx_tap_open(o->tap, err, sizeof(err));
			out = fd;
		} else {
			/* fd=R:W: inherited, the launcher reads R without blocking. */
			fd = o->fd_in;
			out = o->fd_out;
			if (fcntl(fd, F_GETFL) < 0 || fcntl(out, F_GETFL) < 0 ||
			    fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK)) {
				snprintf(err, sizeof(err), "--net fd=%d:%d: %s", fd, out,
					 strerror(errno));
				fd = -1;
			}
			/* A peer that went away is an error on write, not a SIGPIPE. */
			signal(SIGPIPE, SIG_IGN);
		}
		if (fd < 0 ||
		    pvmx_backends_add_vif(&backends, o, fd, out, err, sizeof(err))) {
			if (fd >= 0 && o->tap[0])
				close(fd);
			fprintf(stderr, "pvmx: %s\n", err);
			return -1;
		}
	}
	return 0;
}

static void teardown_devices(void)
{
	if (have_backends)
		pvmx_backends_fini(&backends);
	have_backends = false;
	if (gnttab_map)
		munmap(gnttab_map, gnttab_frames * PVMX_PAGE_SIZE);
	gnttab_map = NULL;
}

/* Serve the store ring, and again while the back ends follow what the guest wrote. */
static bool serve_store(struct pvmx_vm *vm, const struct pvmx_layout *L)
{
	bool signal_back = false;

	do
		signal_back |= pvmx_xs_service(store, (char *)vm->ram + L->boot.store_gpa);
	while (have_backends && pvmx_backends_poll(&backends));
	return signal_back;
}

/*
 * --net: one thread reads the taps while the vCPUs run, and gives the
 * frames to the guest under store_lock, as the vCPU threads serve the
 * guest's notifications.  A vif whose guest has no rx buffer posted keeps
 * its frame and is not polled until the guest notifies (net_wake).
 */
static pthread_t net_thread;
static bool net_started;
static int net_stop;		/* __atomic */
static int net_wake = -1;	/* eventfd */
static struct pvmx_vm *net_vm;
static const struct pvmx_layout *net_L;

static void wake_net(void)
{
	uint64_t one = 1;

	if (net_wake >= 0 && write(net_wake, &one, sizeof(one)) < 0 && errno != EAGAIN)
		fprintf(stderr, "pvmx: --net: eventfd: %s\n", strerror(errno));
}

static void *net_main(void *arg)
{
	struct pollfd pfd[PVMX_MAX_NICS + 1];
	unsigned int idx[PVMX_MAX_NICS], i, n;
	bool changed, signal_back;
	uint64_t val;
	int rc;

	(void)arg;
	while (!__atomic_load_n(&net_stop, __ATOMIC_ACQUIRE)) {
		pthread_mutex_lock(&store_lock);
		for (i = n = 0; i < backends.nr_vifs; i++) {
			if (!pvmx_vif_wants_input(&backends, i))
				continue;
			pfd[n] = (struct pollfd){ .fd = backends.vif[i]->fd, .events = POLLIN };
			idx[n++] = i;
		}
		pthread_mutex_unlock(&store_lock);
		pfd[n] = (struct pollfd){ .fd = net_wake, .events = POLLIN };
		if (poll(pfd, n + 1, 1000) < 0 && errno != EINTR) {
			fprintf(stderr, "pvmx: --net: poll: %s\n", strerror(errno));
			break;
		}
		if ((pfd[n].revents & POLLIN) && read(net_wake, &val, sizeof(val)) < 0 &&
		    errno != EAGAIN)
			break;
		signal_back = false;
		pthread_mutex_lock(&store_lock);
		for (i = 0; i < n; i++) {
			if (!(pfd[i].revents & (POLLIN | POLLERR | POLLHUP)))
				continue;
			pvmx_vif_input(&backends, idx[i], &changed);
			if (changed)
				signal_back |= serve_store(net_vm, net_L);
		}
		pthread_mutex_unlock(&store_lock);
		if (signal_back) {
			rc = pvmx_vm_raise_event(net_vm, net_L->boot.store_evtchn, false);
			if (rc)
				fprintf(stderr, "pvmx: PVMX_RAISE_EVENT: %s\n", strerror(-rc));
		}
	}
	return NULL;
}

/*
 * A launcher thread (net, shutdown request) with every signal blocked: the
 * signals stay with the vCPU threads and the main thread (run_threads()).
 * 0, or -1 with a message.
 */
static int start_helper_thread(pthread_t *t, void *(*fn)(void *))
{
	sigset_t block, old;
	int rc;

	sigfillset(&block);
	pthread_sigmask(SIG_BLOCK, &block, &old);
	rc = pthread_create(t, NULL, fn, NULL);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (rc) {
		fprintf(stderr, "pvmx: pthread_create: %s\n", strerror(rc));
		return -1;
	}
	return 0;
}

static int start_net(struct pvmx_vm *vm, const struct pvmx_layout *L)
{
	if (!have_backends || !backends.nr_vifs)
		return 0;
	net_vm = vm;
	net_L = L;
	net_wake = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (net_wake < 0) {
		fprintf(stderr, "pvmx: --net: eventfd: %s\n", strerror(errno));
		return -1;
	}
	if (start_helper_thread(&net_thread, net_main))
		return -1;
	net_started = true;
	return 0;
}

static void stop_net(void)
{
	if (net_started) {
		__atomic_store_n(&net_stop, 1, __ATOMIC_RELEASE);
		wake_net();
		pthread_join(net_thread, NULL);
		net_started = false;
	}
	if (net_wake >= 0)
		close(net_wake);
	net_wake = -1;
}

/*
 * --shutdown-after: what `xl shutdown` does for a PV guest (libxl's
 * libxl__domain_pvcontrol_write()): "poweroff" in the guest's
 * control/shutdown, which its PV drivers watch.  A thread waits for the
 * deadline, or for the run to end first (shutdown_req_stop).
 */
static pthread_t shutdown_req_thread;
static bool shutdown_req_started;
static pthread_mutex_t shutdown_req_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t shutdown_req_cond;
static bool shutdown_req_stop;
static struct timespec shutdown_req_deadline;	/* CLOCK_MONOTONIC */
static struct pvmx_vm *shutdown_req_vm;
static const struct pvmx_layout *shutdown_req_L;

static void request_guest_poweroff(void)
{
	char path[64];
	bool signal_back;
	int rc;

	snprintf(path, sizeof(path), "/local/domain/%u/control/shutdown",
		 (unsigned int)shutdown_req_L->boot.domid);
	pthread_mutex_lock(&store_lock);
	rc = pvmx_xs_write(store, path, "poweroff", NULL);
	signal_back = !rc && serve_store(shutdown_req_vm, shutdown_req_L);
	pthread_mutex_unlock(&store_lock);
	if (rc) {
		fprintf(stderr, "pvmx: --shutdown-after: writing %s: %s\n", path, strerror(-rc));
		return;
	}
	fprintf(stderr, "pvmx: asked the guest to power off (control/shutdown)\n");
	if (signal_back) {
		rc = pvmx_vm_raise_event(shutdown_req_vm, shutdown_req_L->boot.store_evtchn, false);
		if (rc)
			fprintf(stderr, "pvmx: PVMX_RAISE_EVENT: %s\n", strerror(-rc));
	}
}

static void *shutdown_req_main(void *arg)
{
	bool due;
	int rc = 0;

	(void)arg;
	pthread_mutex_lock(&shutdown_req_lock);
	while (!shutdown_req_stop && rc != ETIMEDOUT)
		rc = pthread_cond_timedwait(&shutdown_req_cond, &shutdown_req_lock,
					    &shutdown_req_deadline);
	due = !shutdown_req_stop;
	pthread_mutex_unlock(&shutdown_req_lock);
	if (due)
		request_guest_poweroff();
	return NULL;
}

static int start_shutdown_req(struct pvmx_vm *vm, const struct pvmx_layout *L,
			      const struct args *a)
{
	pthread_condattr_t attr;
	double whole;

	if (a->shutdown_after <= 0)
		return 0;
	if (!store) {
		fprintf(stderr, "pvmx: --shutdown-after: the guest has no xenstore to ask it through\n");
		return -1;
	}
	shutdown_req_vm = vm;
	shutdown_req_L = L;
	pthread_condattr_init(&attr);
	pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
	pthread_cond_init(&shutdown_req_cond, &attr);
	pthread_condattr_destroy(&attr);
	clock_gettime(CLOCK_MONOTONIC, &shutdown_req_deadline);
	whole = (double)(time_t)a->shutdown_after;
	shutdown_req_deadline.tv_sec += (time_t)whole;
	shutdown_req_deadline.tv_nsec += (long)((a->shutdown_after - whole) * 1e9);
	if (shutdown_req_deadline.tv_nsec >= 1000000000L) {
		shutdown_req_deadline.tv_sec++;
		shutdown_req_deadline.tv_nsec -= 1000000000L;
	}
	if (start_helper_thread(&shutdown_req_thread, shutdown_req_main))
		return -1;
	shutdown_req_started = true;
	return 0;
}

static void stop_shutdown_req(void)
{
	if (!shutdown_req_started)
		return;
	pthread_mutex_lock(&shutdown_req_lock);
	shutdown_req_stop = true;
	pthread_cond_signal(&shutdown_req_cond);
	pthread_mutex_unlock(&shutdown_req_lock);
	pthread_join(shutdown_req_thread, NULL);
	shutdown_req_started = false;
}

/* Whether a vif holds a frame for want of an rx buffer (under store_lock). */
static bool vif_waiting(void)
{
	unsigned int i;

	for (i = 0; i < backends.nr_vifs; i++)
		if (backends.vif[i]->pending_len)
			return true;
	return false;
}

/*
 * The guest signalled a port the launcher owns.  The console port: print
 * what the guest put in the console ring, and signal back only if
 * something was consumed (xenconsoled's rule: Mini-OS's console interrupt
 * handler notifies after every interrupt, so signalling back regardless
 * would ping-pong for ever).  The xenstore port: serve the store ring;
 * signal back if a request was consumed or a reply or event produced.
 */
static int handle_notify(struct pvmx_vm *vm, const struct pvmx_layout *L, uint32_t port)
{
	char buf[sizeof(((struct xen_console_ring *)0)->out)];
	const char *broken = NULL;
	bool bad = false, signal_back = false;
	size_t n;
	int rc;

	if (port == L->boot.console_evtchn && L->boot.console_gpa != PVMX_NO_PAGE) {
		/* One consumer of the ring at a time. */
		pthread_mutex_lock(&console_lock);
		n = pvmx_console_ring_drain((char *)vm->ram + L->boot.console_gpa, buf,
					    sizeof(buf), &bad);
		pvmx_console_output(&console, PVMX_CONSOLE_SRC_RING, buf, n);
		pthread_mutex_unlock(&console_lock);
		if (bad)
			fprintf(stderr, "pvmx: console ring indices out of range: resynchronised\n");
		signal_back = n || bad;
	} else if (port == L->boot.store_evtchn && store) {
		pthread_mutex_lock(&store_lock);
		signal_back = serve_store(vm, L);
		broken = pvmx_xs_broken(store);
		pthread_mutex_unlock(&store_lock);
		/* A vif may have connected: its tap is polled from now on. */
		if (net_started)
			wake_net();
		if (broken)
			fprintf(stderr, "pvmx: xenstore: %s: the guest's connection is ignored from now on\n",
				broken);
	} else if (have_backends) {
		bool changed, waiting, wake;

		/* A device's port: the back end raises it itself. */
		pthread_mutex_lock(&store_lock);
		waiting = vif_waiting();
		if (pvmx_backends_notify(&backends, port, &changed) && changed)
			signal_back = serve_store(vm, L);
		/* The guest posted rx buffers: the waiting frame went, read the tap again. */
		wake = waiting && !vif_waiting();
		pthread_mutex_unlock(&store_lock);
		if (wake)
			wake_net();
		port = L->boot.store_evtchn;
	}
	if (!signal_back)
		return 0;
	rc = pvmx_vm_raise_event(vm, port, false);
	if (rc)
		fprintf(stderr, "pvmx: PVMX_RAISE_EVENT: %s\n", strerror(-rc));
	return rc;
}

/* Print the records of a PVMX_EXIT_TRACE; vCPU threads take turns, a batch at a time. */
static pthread_mutex_t trace_lock = PTHREAD_MUTEX_INITIALIZER;

static void print_trace(const struct pvmx_run *run, struct pvmx_trace_decoder *tr, FILE *out)
{
	uint32_t i, n = run->trace.nr;

	if (n > PVMX_TRACE_MAX)
		n = PVMX_TRACE_MAX;
	if (run->trace.rec_size != sizeof(run->trace.rec[0])) {
		fprintf(stderr, "pvmx: PVMX_EXIT_TRACE: records of %u bytes, this pvmx reads %zu\n",
			run->trace.rec_size, sizeof(run->trace.rec[0]));
		n = 0;
	}
	pthread_mutex_lock(&trace_lock);
	for (i = 0; i < n; i++)
		pvmx_trace_feed(tr, &run->trace.rec[i], out);
	fflush(out);
	pthread_mutex_unlock(&trace_lock);
}

/*
 * How the guest ended: shutdown or crash.  Returns the exit status.  Every
 * vCPU reports the VM's one end; only the first prints it.
 */
static int report_end(const struct pvmx_run *run, const struct args *a)
{
	if (!first_report(&end_reported))
		return run->exit_reason == PVMX_EXIT_SHUTDOWN ?
		       pvmx_shutdown_status(run->shutdown.reason) : PVMX_STATUS_CRASHED;
	if (run->exit_reason == PVMX_EXIT_SHUTDOWN) {
		unsigned r = run->shutdown.reason;

		if (!a->quiet && r != PVMX_SHUTDOWN_POWEROFF)
			fprintf(stderr, "pvmx: guest shut down: %s (reason %u)\n",
				pvmx_shutdown_name(r), r);
		return pvmx_shutdown_status(r);
	} else {
		char reason[PVMX_CRASH_REASON_MAX + 1];

		memcpy(reason, run->crash.reason, PVMX_CRASH_REASON_MAX);
		reason[PVMX_CRASH_REASON_MAX] = '\0';
		fprintf(stderr, "pvmx: guest crashed: %s\n", reason[0] ? reason :
			pvmx_crash_kind_name(run->crash.kind));
		fprintf(stderr, "pvmx:   kind %u (%s)", run->crash.kind,
			pvmx_crash_kind_name(run->crash.kind));
		if (run->crash.vector != ~0u)
			fprintf(stderr, ", vector %u, error code 0x%x", run->crash.vector,
				run->crash.error_code);
		fprintf(stderr, ", eip 0x%04x:0x%08x, address 0x%llx, %llu exits\n",
			run->crash.cs, run->crash.eip,
			(unsigned long long)run->crash.address,
			(unsigned long long)run->exits);
		return PVMX_STATUS_CRASHED;
	}
}

static int run_loop(struct pvmx_vcpu *vcpu, struct pvmx_vm *vm,
		    const struct pvmx_layout *L, const struct args *a,
		    struct pvmx_trace_decoder *tr, FILE *trace_out)
{
	struct pvmx_run *run = vcpu->run;
	int rc, st;

	for (;;) {
		if ((st = check_signals(a)) >= 0)
			return st;
		rc = pvmx_vcpu_run(vcpu);
		if (rc == -EINTR || rc == -EAGAIN)
			continue;
		if (rc) {
			fprintf(stderr, "pvmx: PVMX_RUN: %s\n", strerror(-rc));
			return PVMX_STATUS_ERROR;
		}
		switch (run->exit_reason) {
		case PVMX_EXIT_CONSOLE: {
			uint32_t n = run->console.len;

			if (n > PVMX_CONSOLE_MAX)
				n = PVMX_CONSOLE_MAX;
			console_output(PVMX_CONSOLE_SRC_IO, run->console.data, n);
			break;
		}
		case PVMX_EXIT_SHUTDOWN:
		case PVMX_EXIT_CRASH:
			/* Trace records still waiting came first, as PVMX_EXIT_TRACE. */
			return report_end(run, a);
		case PVMX_EXIT_INTERNAL:
			fprintf(stderr, "pvmx: internal error: suberror %u (%s), data 0x%llx 0x%llx 0x%llx 0x%llx\n",
				run->internal.suberror,
				run->internal.suberror == PVMX_INTERNAL_VMENTRY_FAIL ?
					"VM entry failed" : "unknown",
				(unsigned long long)run->internal.data[0],
				(unsigned long long)run->internal.data[1],
				(unsigned long long)run->internal.data[2],
				(unsigned long long)run->internal.data[3]);
			return PVMX_STATUS_INTERNAL;
		case PVMX_EXIT_INTR:
			break;	/* check_signals() at the top of the loop */
		case PVMX_EXIT_NOTIFY:
			if (handle_notify(vm, L, run->notify.port))
				return PVMX_STATUS_ERROR;
			break;
		case PVMX_EXIT_TRACE:
			if (tr)
				print_trace(run, tr, trace_out);
			break;
		default:
			fprintf(stderr, "pvmx: internal error: unknown exit reason %u\n",
				run->exit_reason);
			return PVMX_STATUS_INTERNAL;
		}
	}
}

struct vcpu_thread {
	pthread_t thread;
	struct pvmx_vcpu vcpu;
	bool created, started;
	int status;
	int done;			/* __atomic: status is set */
	struct pvmx_vm *vm;
	const struct pvmx_layout *L;
	const struct args *a;
	struct pvmx_trace_decoder *tr;
	FILE *trace_out;
};

static void *vcpu_thread_main(void *arg)
{
	struct vcpu_thread *t = arg;

	t->status = run_loop(&t->vcpu, t->vm, t->L, t->a, t->tr, t->trace_out);
	__atomic_store_n(&t->done, 1, __ATOMIC_RELEASE);
	return NULL;
}

static void sleep_ms(long ms)
{
	struct timespec ts = { .tv_sec = 0, .tv_nsec = ms * 1000000L };

	nanosleep(&ts, NULL);
}

/*
 * --vcpus N > 1: one thread per vCPU.  The stop signals and SIGALRM are
 * blocked in the vCPU threads so they reach this one, which then stops
 * them all: stop_all, and SIGUSR1 until each has left PVMX_RUN (a down
 * vCPU waits there).  A shutdown or crash on any vCPU ends every vCPU's
 * PVMX_RUN with the same exit; the first thread to finish gives the status.
 */
static int run_threads(struct vcpu_thread *t, unsigned int n, const struct args *a)
{
	sigset_t block, old;
	unsigned int i, left;
	int st = -1, first = -1, rc;

	sigemptyset(&block);
	for (i = 0; i < sizeof(stop_signals) / sizeof(stop_signals[0]); i++)
		sigaddset(&block, stop_signals[i]);
	sigaddset(&block, SIGALRM);
	pthread_sigmask(SIG_BLOCK, &block, &old);
	for (i = 0; i < n; i++) {
		rc = pthread_create(&t[i].thread, NULL, vcpu_thread_main, &t[i]);
		if (rc) {
			fprintf(stderr, "pvmx: pthread_create: %s\n", strerror(rc));
			st = PVMX_STATUS_ERROR;
			break;
		}
		t[i].started = true;
	}
	pthread_sigmask(SIG_SETMASK, &old, NULL);

	while (st < 0) {
		for (i = 0; i < n && first < 0; i++)
			if (t[i].started && __atomic_load_n(&t[i].done, __ATOMIC_ACQUIRE))
				first = (int)i;
		if (first >= 0)
			break;
		st = check_signals(a);
		if (st < 0)
			sleep_ms(10);
	}
	__atomic_store_n(&stop_all, 1, __ATOMIC_RELEASE);
	do {
		left = 0;
		for (i = 0; i < n; i++)
			if (t[i].started && !__atomic_load_n(&t[i].done, __ATOMIC_ACQUIRE)) {
				pthread_kill(t[i].thread, SIGUSR1);
				left++;
			}
		if (left)
			sleep_ms(10);
	} while (left);
	for (i = 0; i < n; i++)
		if (t[i].started)
			pthread_join(t[i].thread, NULL);
	return first >= 0 ? t[first].status : st;
}

/* Capabilities --trace and --stats need; exits 1 with a message without them. */
static void check_caps(struct pvmx_dev *dev, const struct args *a)
{
	long v;

	if (a->trace) {
		v = pvmx_check_cap(dev, PVMX_CAP_TRACE);
		if (v <= 0) {
			fprintf(stderr, "pvmx: --trace: this pvmx module cannot trace hypercalls (PVMX_CAP_TRACE is %ld)\n",
				v);
			exit(PVMX_STATUS_ERROR);
		}
		if (v != PVMX_TRACE_VERSION) {
			fprintf(stderr, "pvmx: --trace: this pvmx module has trace version %ld, this pvmx reads version %d\n",
				v, PVMX_TRACE_VERSION);
			exit(PVMX_STATUS_ERROR);
		}
	}
	if (a->stats) {
		v = pvmx_check_cap(dev, PVMX_CAP_STATS);
		if (v < PVMX_STATS_VERSION) {
			fprintf(stderr, "pvmx: %s: this pvmx module has no statistics version %d (PVMX_CAP_STATS is %ld)\n",
				a->console_fd == STDERR_FILENO ? "pvmx stats" : "--stats",
				PVMX_STATS_VERSION, v);
			exit(PVMX_STATUS_ERROR);
		}
	}
}

/* After the run, however it ended.  Returns st, or 1 when reading failed. */
static int print_stats(struct pvmx_vm *vm, const struct args *a, int st)
{
	struct pvmx_stats s;
	int rc = pvmx_vm_get_stats(vm, &s);

	if (rc == -EPROTO) {
		fprintf(stderr, "pvmx: PVMX_GET_VM_STATS: statistics version %u size %u, this pvmx reads version %d size %zu\n",
			s.version, s.size, PVMX_STATS_VERSION, sizeof(s));
		return st ? st : PVMX_STATUS_ERROR;
	}
	if (rc) {
		fprintf(stderr, "pvmx: PVMX_GET_VM_STATS: %s\n", strerror(-rc));
		return st ? st : PVMX_STATUS_ERROR;
	}
	if (a->stats == STATS_JSON)
		pvmx_stats_print_json(a->stats_out, &s);
	else
		pvmx_stats_print_table(a->stats_out, &s);
	fflush(a->stats_out);
	return st;
}

static int cmd_run(int argc, char **argv, enum command cmd)
{
	struct pvmx_trace_decoder *decoders = NULL;
	FILE *trace_out = stderr;
	struct pvmx_image_info info;
	struct pvmx_load_opts opts;
	struct pvmx_layout L;
	struct vcpu_thread *threads;
	struct pvmx_vcpu *vcpu0;
	struct pvmx_dev dev;
	struct pvmx_vm vm;
	char err[PVMX_ERR_MAX];
	struct args a;
	size_t len;
	void *img;
	unsigned int i;
	long max_vcpus;
	int rc, st;

	parse_args(argc, argv, &a, cmd);
	img = read_image(a.image, &len, &info);
	memset(&opts, 0, sizeof(opts));
	read_ramdisk(&a, &opts);

	if (pvmx_open(&dev, err)) {
		fprintf(stderr, "pvmx: %s\n", err);
		return PVMX_STATUS_ERROR;
	}
	check_caps(&dev, &a);
	max_vcpus = pvmx_check_cap(&dev, PVMX_CAP_MAX_VCPUS);
	if (a.vcpus > 1 && max_vcpus < (long)a.vcpus) {
		fprintf(stderr, "pvmx: --vcpus %u: this pvmx module runs at most %ld vCPUs per VM\n",
			a.vcpus, max_vcpus);
		return PVMX_STATUS_ERROR;
	}
	threads = calloc(a.vcpus, sizeof(*threads));
	if (!threads) {
		fprintf(stderr, "pvmx: out of memory\n");
		return PVMX_STATUS_ERROR;
	}
	vcpu0 = &threads[0].vcpu;
	if (pvmx_vm_create(&dev, &vm, err) || pvmx_vm_set_memory(&vm, a.memory, err)) {
		fprintf(stderr, "pvmx: %s\n", err);
		return PVMX_STATUS_ERROR;
	}
	/* pvmx_vm_load_image() owns vm.p2m from here (identity if NULL). */
	vm.p2m = make_p2m(&a);
	if (vm.p2m && !a.quiet)
		fprintf(stderr, "pvmx: P2M shuffled with seed %llu\n",
			(unsigned long long)a.p2m_seed);
	opts.cmdline = a.cmdline;
	opts.boot_flags = a.fast_int80 ? PVMX_BOOT_FAST_INT80 : 0;
	rc = pvmx_vm_load_image(&vm, img, len, &opts, &L, err);
	if (rc) {
		/* Image problems (ENOEXEC/ENOMEM/EINVAL from the loader) name the image. */
		if (!strncmp(err, "PVMX_", 5))
			fprintf(stderr, "pvmx: %s\n", err);
		else
			fprintf(stderr, "pvmx: %s: %s\n", a.image, err);
		return PVMX_STATUS_ERROR;
	}
	free(img);
	free((void *)opts.ramdisk);
	pvmx_console_init(&console, a.console_fd, a.console_mode);
	if (setup_store(&vm, &L, &a) || setup_devices(&vm, &L, &a) || start_net(&vm, &L))
		return PVMX_STATUS_ERROR;
	for (i = 0; i < a.vcpus; i++) {
		if (pvmx_vcpu_create(&vm, i, &threads[i].vcpu, err)) {
			fprintf(stderr, "pvmx: %s\n", err);
			return PVMX_STATUS_ERROR;
		}
		threads[i].created = true;
	}
	/* vCPU 0 boots; the others wait down for the guest's VCPUOP_initialise/up. */
	rc = pvmx_vcpu_set_regs(vcpu0, &L.regs);
	if (rc) {
		fprintf(stderr, "pvmx: PVMX_SET_REGS: %s\n", strerror(-rc));
		return PVMX_STATUS_ERROR;
	}
	if (a.trace) {
		struct timespec ts;

		if (a.trace_path) {
			trace_out = fopen(a.trace_path, "w");
			if (!trace_out) {
				fprintf(stderr, "pvmx: --trace-output=%s: %s\n", a.trace_path,
					strerror(errno));
				return PVMX_STATUS_ERROR;
			}
		}
		decoders = calloc(a.vcpus, sizeof(*decoders));
		if (!decoders) {
			fprintf(stderr, "pvmx: out of memory\n");
			return PVMX_STATUS_ERROR;
		}
		/* Text times count from here: the module's clock is CLOCK_MONOTONIC. */
		clock_gettime(CLOCK_MONOTONIC, &ts);
		for (i = 0; i < a.vcpus; i++) {
			rc = pvmx_vcpu_set_trace(&threads[i].vcpu, a.trace_flags, a.trace_ops);
			if (rc) {
				fprintf(stderr, "pvmx: PVMX_SET_TRACE: %s\n", strerror(-rc));
				return PVMX_STATUS_ERROR;
			}
			pvmx_trace_decoder_init(&decoders[i]);
			decoders[i].json = a.trace_json;
			decoders[i].hold_entries = a.trace_ops >> __HYPERVISOR_multicall & 1;
			decoders[i].t0_ns = (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
		}
	}
	install_signals(a.timeout);
	if (start_shutdown_req(&vm, &L, &a))
		return PVMX_STATUS_ERROR;
	if (a.vcpus == 1) {
		st = run_loop(vcpu0, &vm, &L, &a, decoders, trace_out);
	} else {
		for (i = 0; i < a.vcpus; i++) {
			threads[i].vm = &vm;
			threads[i].L = &L;
			threads[i].a = &a;
			threads[i].tr = decoders ? &decoders[i] : NULL;
			threads[i].trace_out = trace_out;
		}
		st = run_threads(threads, a.vcpus, &a);
	}
	stop_shutdown_req();
	stop_net();
	if (decoders) {
		for (i = 0; i < a.vcpus; i++)
			pvmx_trace_decoder_finish(&decoders[i], trace_out);
		free(decoders);
		if (trace_out != stderr && fclose(trace_out)) {
			fprintf(stderr, "pvmx: --trace-output=%s: %s\n", a.trace_path,
				strerror(errno));
			if (!st)
				st = PVMX_STATUS_ERROR;
		}
	}
	if (a.stats)
		st = print_stats(&vm, &a, st);
	for (i = 0; i < a.vcpus; i++)
		if (threads[i].created)
			pvmx_vcpu_destroy(&threads[i].vcpu);
	free(threads);
	teardown_devices();
	pvmx_xs_free(store);
	store = NULL;
	pvmx_vm_destroy(&vm);
	pvmx_close(&dev);
	return st;
}

int main(int argc, char **argv)
{
	const char *cmd = argc > 1 ? argv[1] : NULL;

	if (!cmd)
		die_usage("missing command (run, stats, info, load)");
	if (!strcmp(cmd, "--help") || !strcmp(cmd, "-h") || !strcmp(cmd, "help")) {
		fputs(usage_text, stdout);
		return 0;
	}
	if (!strcmp(cmd, "--version")) {
		printf("pvmx launcher, uapi version %d\n", PVMX_API_VERSION);
		return 0;
	}
	if (!strcmp(cmd, "run"))
		return cmd_run(argc - 1, argv + 1, CMD_RUN);
	if (!strcmp(cmd, "stats"))
		return cmd_run(argc - 1, argv + 1, CMD_STATS);
	if (!strcmp(cmd, "info"))
		return cmd_info(argc - 1, argv + 1);
	if (!strcmp(cmd, "load"))
		return cmd_load(argc - 1, argv + 1);
	die_usage("unknown command '%s'", cmd);
}
