// SPDX-License-Identifier: GPL-2.0
/*
 * pvmx: the launcher.  Loads a 32-bit Xen PV (PAE) ELF image into a pvmx VM
 * and runs it, copying its console to stdout.
 *
 *   pvmx run [--memory SIZE] [--cmdline STR] [--timeout S] [--quiet] IMAGE
 *   pvmx info
 *   pvmx load --dry-run [--memory SIZE] [--cmdline STR] IMAGE
 */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <unistd.h>

#include "libpvmx.h"
#include <pvmx/xen_abi.h>

#define DEFAULT_MEMORY	(32ULL << 20)

static const char usage_text[] =
"Usage:\n"
"  pvmx run [--memory SIZE] [--cmdline STR] [--timeout S] [--quiet] IMAGE\n"
"      Load IMAGE (a 32-bit PAE Xen PV ELF kernel) into a new VM and run it;\n"
"      the guest console goes to stdout.\n"
"      --memory SIZE   guest RAM: bytes or with K/M/G suffix (default 32M;\n"
"                      a multiple of 4 KiB, 4M .. 2G)\n"
"      --cmdline STR   guest command line (start_info.cmd_line, < 1024 chars)\n"
"      --timeout S     stop the guest after S seconds (exit status 124)\n"
"      --quiet         do not report how the guest stopped on stderr\n"
"  pvmx info\n"
"      Describe the pvmx module: API version, capabilities, VMX features.\n"
"  pvmx load --dry-run [--memory SIZE] [--cmdline STR] IMAGE\n"
"      Run the image loader into a scratch buffer, without /dev/pvmx, and\n"
"      print the start-of-day layout.\n"
"  pvmx --help | --version\n"
"\n"
"Exit status of `pvmx run`:\n"
"    0   guest powered off (SHUTDOWN_poweroff)\n"
"    1   launcher, usage or image error\n"
"   11   guest shut down: reboot\n"
"   12   guest shut down: suspend\n"
"   13   guest shut down: crash (the guest reported it crashed)\n"
"   14   guest shut down: watchdog\n"
"   15   guest shut down: soft_reset\n"
"   19   guest shut down with an unknown reason\n"
"   20   the hypervisor crashed the guest (reason on stderr)\n"
"   21   pvmx internal error (details on stderr)\n"
"  124   --timeout expired\n"
"  130   interrupted (SIGINT/SIGTERM; SIGUSR1 only interrupts PVMX_RUN)\n";

static void die_usage(const char *fmt, ...) __attribute__((noreturn, format(printf, 1, 2)));

static void die_usage(const char *fmt, ...)
{
	va_list ap;

	fputs("pvmx: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputs("\nTry 'pvmx --help'.\n", stderr);
	exit(PVMX_STATUS_ERROR);
}

struct args {
	uint64_t memory;
	const char *cmdline;
	double timeout;
	bool quiet;
	bool dry_run;
	const char *image;
};

enum { OPT_MEMORY = 'm', OPT_CMDLINE = 'c', OPT_TIMEOUT = 't', OPT_QUIET = 'q',
       OPT_DRY_RUN = 'n', OPT_HELP = 'h' };

static void parse_args(int argc, char **argv, struct args *a, bool allow_run_opts,
		       bool allow_dry_run)
{
	static const struct option longopts[] = {
		{ "memory", required_argument, NULL, OPT_MEMORY },
		{ "cmdline", required_argument, NULL, OPT_CMDLINE },
		{ "timeout", required_argument, NULL, OPT_TIMEOUT },
		{ "quiet", no_argument, NULL, OPT_QUIET },
		{ "dry-run", no_argument, NULL, OPT_DRY_RUN },
		{ "help", no_argument, NULL, OPT_HELP },
		{ NULL, 0, NULL, 0 },
	};
	int c;

	memset(a, 0, sizeof(*a));
	a->memory = DEFAULT_MEMORY;
	optind = 1;
	while ((c = getopt_long(argc, argv, "+m:c:t:qnh", longopts, NULL)) != -1) {
		switch (c) {
		case OPT_MEMORY:
			if (pvmx_parse_size(optarg, &a->memory))
				die_usage("bad --memory '%s' (want e.g. 32M, 1G, 67108864)", optarg);
			if (a->memory % PVMX_PAGE_SIZE)
				die_usage("--memory %s is not a multiple of 4 KiB", optarg);
			if (a->memory < PVMX_MIN_MEMORY || a->memory > PVMX_MAX_MEMORY)
				die_usage("--memory %s out of range (%llu MiB .. %llu MiB)", optarg,
					  PVMX_MIN_MEMORY >> 20, PVMX_MAX_MEMORY >> 20);
			break;
		case OPT_CMDLINE:
			a->cmdline = optarg;
			if (strlen(optarg) >= XEN_MAX_GUEST_CMDLINE)
				die_usage("--cmdline too long (%zu bytes, at most %d)",
					  strlen(optarg), XEN_MAX_GUEST_CMDLINE - 1);
			break;
		case OPT_TIMEOUT: {
			char *end;

			if (!allow_run_opts)
				die_usage("--timeout only applies to 'pvmx run'");
			errno = 0;
			a->timeout = strtod(optarg, &end);
			if (errno || end == optarg || *end || !(a->timeout > 0) ||
			    a->timeout > 1e8)
				die_usage("bad --timeout '%s' (want seconds > 0)", optarg);
			break;
		}
		case OPT_QUIET:
			if (!allow_run_opts)
				die_usage("--quiet only applies to 'pvmx run'");
			a->quiet = true;
			break;
		case OPT_DRY_RUN:
			if (!allow_dry_run)
				die_usage("--dry-run only applies to 'pvmx load'");
			a->dry_run = true;
			break;
		case OPT_HELP:
			fputs(usage_text, stdout);
			exit(0);
		default:
			die_usage("bad option");
		}
	}
	if (optind >= argc)
		die_usage("missing IMAGE");
	if (optind + 1 < argc)
		die_usage("unexpected argument '%s'", argv[optind + 1]);
	a->image = argv[optind];
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
	if (i->bsd_symtab)
		printf("  BSD_SYMTAB         requested (ignored: pvmx loads no symbols)\n");
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

	parse_args(argc, argv, &a, false, true);
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
	opts.shared_info_gpa = a.memory;	/* the frame after RAM, as the module does */
	rc = pvmx_build_image(img, len, ram, a.memory, &opts, &L, err);
	if (rc) {
		fprintf(stderr, "pvmx: %s: %s\n", a.image, err);
		free(ram);
		free(img);
		return PVMX_STATUS_ERROR;
	}
	print_layout(a.image, &L);
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

static void on_signal(int sig)
{
	if (sig == SIGALRM)
		got_alarm = 1;
	else if (sig != SIGUSR1)
		got_stop_signal = sig;
}

static void install_signals(double timeout)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	sa.sa_flags = 0;	/* no SA_RESTART: PVMX_RUN must return */
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
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

static void write_all(int fd, const char *p, size_t n)
{
	while (n) {
		ssize_t w = write(fd, p, n);

		if (w < 0) {
			if (errno == EINTR)
				continue;
			return;	/* stdout gone: keep running the guest */
		}
		p += w;
		n -= (size_t)w;
	}
}

/* Returns an exit status when the run loop should stop, -1 to go on. */
static int check_signals(const struct args *a)
{
	if (got_stop_signal) {
		fprintf(stderr, "pvmx: interrupted\n");
		return PVMX_STATUS_INTERRUPTED;
	}
	if (got_alarm) {
		fprintf(stderr, "pvmx: timeout after %g s\n", a->timeout);
		return PVMX_STATUS_TIMEOUT;
	}
	return -1;
}

/*
 * The guest signalled a port the launcher owns.  The console port means new
 * output in the PV console ring: print it and signal back (space freed), as
 * xenconsoled does.  The xenstore port has no backend here: ignored.
 */
static int handle_notify(struct pvmx_vm *vm, const struct pvmx_layout *L, uint32_t port)
{
	char buf[sizeof(((struct xen_console_ring *)0)->out)];
	bool bad;
	size_t n;
	int rc;

	if (port != L->boot.console_evtchn || L->boot.console_gpa == PVMX_NO_PAGE)
		return 0;
	n = pvmx_console_ring_drain((char *)vm->ram + L->boot.console_gpa, buf, sizeof(buf),
				    &bad);
	if (bad)
		fprintf(stderr, "pvmx: console ring indices out of range: resynchronised\n");
	write_all(STDOUT_FILENO, buf, n);
	rc = pvmx_vm_raise_event(vm, port, false);
	if (rc)
		fprintf(stderr, "pvmx: PVMX_RAISE_EVENT: %s\n", strerror(-rc));
	return rc;
}

static int run_loop(struct pvmx_vcpu *vcpu, struct pvmx_vm *vm,
		    const struct pvmx_layout *L, const struct args *a)
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
			write_all(STDOUT_FILENO, run->console.data, n);
			break;
		}
		case PVMX_EXIT_SHUTDOWN: {
			unsigned r = run->shutdown.reason;

			if (!a->quiet && r != PVMX_SHUTDOWN_POWEROFF)
				fprintf(stderr, "pvmx: guest shut down: %s (reason %u)\n",
					pvmx_shutdown_name(r), r);
			return pvmx_shutdown_status(r);
		}
		case PVMX_EXIT_CRASH: {
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
		default:
			fprintf(stderr, "pvmx: internal error: unknown exit reason %u\n",
				run->exit_reason);
			return PVMX_STATUS_INTERNAL;
		}
	}
}

static int cmd_run(int argc, char **argv)
{
	struct pvmx_image_info info;
	struct pvmx_load_opts opts;
	struct pvmx_layout L;
	struct pvmx_vcpu vcpu;
	struct pvmx_dev dev;
	struct pvmx_vm vm;
	char err[PVMX_ERR_MAX];
	struct args a;
	size_t len;
	void *img;
	int rc, st;

	parse_args(argc, argv, &a, true, false);
	img = read_image(a.image, &len, &info);

	if (pvmx_open(&dev, err)) {
		fprintf(stderr, "pvmx: %s\n", err);
		return PVMX_STATUS_ERROR;
	}
	if (pvmx_vm_create(&dev, &vm, err) || pvmx_vm_set_memory(&vm, a.memory, err)) {
		fprintf(stderr, "pvmx: %s\n", err);
		return PVMX_STATUS_ERROR;
	}
	memset(&opts, 0, sizeof(opts));
	opts.cmdline = a.cmdline;
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
	if (pvmx_vcpu_create(&vm, 0, &vcpu, err)) {
		fprintf(stderr, "pvmx: %s\n", err);
		return PVMX_STATUS_ERROR;
	}
	rc = pvmx_vcpu_set_regs(&vcpu, &L.regs);
	if (rc) {
		fprintf(stderr, "pvmx: PVMX_SET_REGS: %s\n", strerror(-rc));
		return PVMX_STATUS_ERROR;
	}
	install_signals(a.timeout);
	st = run_loop(&vcpu, &vm, &L, &a);
	pvmx_vcpu_destroy(&vcpu);
	pvmx_vm_destroy(&vm);
	pvmx_close(&dev);
	return st;
}

int main(int argc, char **argv)
{
	const char *cmd = argc > 1 ? argv[1] : NULL;

	if (!cmd)
		die_usage("missing command (run, info, load)");
	if (!strcmp(cmd, "--help") || !strcmp(cmd, "-h") || !strcmp(cmd, "help")) {
		fputs(usage_text, stdout);
		return 0;
	}
	if (!strcmp(cmd, "--version")) {
		printf("pvmx launcher, uapi version %d\n", PVMX_API_VERSION);
		return 0;
	}
	if (!strcmp(cmd, "run"))
		return cmd_run(argc - 1, argv + 1);
	if (!strcmp(cmd, "info"))
		return cmd_info(argc - 1, argv + 1);
	if (!strcmp(cmd, "load"))
		return cmd_load(argc - 1, argv + 1);
	die_usage("unknown command '%s'", cmd);
}
