# SPDX-License-Identifier: GPL-2.0
#
# pvmx top-level build.
#   make            module (when KDIR exists), launcher, guest images, selftests
#   make unit       host unit tests of the core and the image loader (ASan/UBSan)
#   make fuzz       libFuzzer targets (tests/fuzz/), FUZZ_SECONDS each (default 60)
#   make fuzz-guest the hostile guest (selftests/guests/fuzz.c) for FUZZ_GUEST_N
#                   hypercalls (default 1000000) in the test VM, FUZZ_SEED=1, then
#                   FUZZ_R1_GUESTS (500) guests of random ring-1 instruction streams
#   make vmtest-debug  the in-VM suite on the debug kernel (KASAN, lockdep, kmemleak)
#   make vmtest-debug-ci  CI's selection of it (DEBUG_CI_TESTS, DEBUG_CI_ENV)
#   make vmtest-6.12  the in-VM suite on Debian's stock 6.12 kernel, then pvmx
#                   next to KVM there (rig/kvm-coexist.sh)
#   make vmtest-6.12-ci  CI's variant: fewer iterations (DEBUG_CI_ENV)
#   make vmtest-mitigations  Debian's 6.12 kernel booted with speculation
#                   mitigations on: a selection of the suite
#                   (MITIGATIONS_TESTS), then rig/spec-check.sh (pvmx's
#                   entry/exit mitigations)
#   make demo       build the test VM and run the demo guest in it
#   make vmtest     build the test VM and run the whole in-VM suite
#   make vmrun GUESTS=dir CMD='pvmx run /guests/x.elf'
#   make conformance  every third-party guest of $PVMX_GUESTS_DIR (default
#                   ../shared/guests) in the test VM, one KTAP line each
#                   (CONFORMANCE_ARGS: more rig options, e.g. --select 'xtf/')
#   make rig-test   host tests of the conformance runner, the 6.12 plumbing, the kernel build,
#                   rig/spec-check.sh's judging
#   make rig-selfcheck  the rig's own judging in Bochs (panics: guest's vs kernel's)
#   make check      unit + rig-test + fuzz-check (each fuzzer CHECK_FUZZ_SECONDS=20)
#                   + vmtest + rig-selfcheck + conformance (what CI runs)

KDIR ?= /lib/modules/$(shell uname -r)/build
PWD_ABS := $(CURDIR)

.PHONY: all module userspace guests selftests unit fuzz fuzz-check fuzz-guest demo vmtest vmtest-debug vmtest-debug-ci vmtest-6.12 vmtest-6.12-ci vmtest-mitigations vmrun check bench \
	conformance rig-test rig-selfcheck \
	clean install install-module install-userspace dkms-tree dkms-install

all: module userspace guests selftests

module:
	@if [ -d "$(KDIR)" ]; then \
		$(MAKE) -C $(KDIR) M=$(PWD_ABS) modules; \
	else \
		echo "pvmx: no kernel build tree at KDIR=$(KDIR); skipping pvmx.ko" \
		     "(install linux-headers-\$$(uname -r) or pass KDIR=...)"; \
	fi

userspace:
	$(MAKE) -C userspace

guests:
	$(MAKE) -C selftests/guests

selftests: userspace guests
	$(MAKE) -C selftests

unit:
	$(MAKE) -C tests/unit run
	$(MAKE) -C userspace test
	$(MAKE) -C bench check

FUZZ_SECONDS ?= 60
fuzz:
	$(MAKE) -C tests/fuzz run FUZZ_SECONDS=$(FUZZ_SECONDS)

# The host fuzzers as part of `make check`: a short run of each target.
CHECK_FUZZ_SECONDS ?= 20
fuzz-check:
	$(MAKE) -C tests/fuzz run FUZZ_SECONDS=$(CHECK_FUZZ_SECONDS)

FUZZ_GUEST_N ?= 1000000
FUZZ_SEED ?= 1
FUZZ_R1_GUESTS ?= 500
FUZZ_GUEST_CMD = pvmx run --timeout 2900 --cmdline "seed=$(FUZZ_SEED) n=$(FUZZ_GUEST_N)" /guests/fuzz.elf || exit $$?; \
	PVMX_FUZZ_R1_GUESTS=$(FUZZ_R1_GUESTS) PVMX_SELFTESTS="^guest_fuzz_ring1$$" sh /selftests/run_all.sh >/tmp/r1.ktap; \
	rc=$$?; grep -v "\# SKIP" /tmp/r1.ktap; [ $$rc = 0 ] || exit $$rc; \
	if dmesg | grep -E "BUG:|WARNING:|Oops|KASAN:|UBSAN:|Call Trace:"; then exit 1; fi
fuzz-guest:
	rig/vmtest.sh --timeout 6000 --cmd '$(FUZZ_GUEST_CMD)'

demo:
	rig/vmtest.sh --demo

vmtest:
	rig/vmtest.sh

vmtest-debug:
	rig/vmtest.sh --debug-kernel

# What CI runs on the debug kernel: the tests of the module's memory, locking
# and lifetime code, with fewer iterations where a test repeats itself
# (a fork costs ~0.5 s there; the whole suite takes about 2 hours).
DEBUG_CI_TESTS = module_load dev_node pvmx_info uapi_.* guest_hello guest_events guest_timers \
	guest_multicall guest_failsafe guest_desc guest_smp guest_mm guest_ptwr guest_memory \
	spin_sigint block_sigint guest_fuzz guest_fuzz_ring1 guest_exploit.* guest_hostile_dr.* \
	guest_hostile_vcpu guest_descrace guest_bigpin guest_blkfront.* vcpu_ctx_race \
	lock_hold_bounded ioctl_fuzz \
	stress_concurrent_vms stress_create_destroy rmmod_refused_while_vm_open rmmod \
	insmod_again module_reload_cycles dmesg_clean
empty :=
space := $(empty) $(empty)
DEBUG_CI_SELECT = ^($(subst $(space),|,$(strip $(DEBUG_CI_TESTS))))$$
DEBUG_CI_ENV = --env PVMX_FUZZ_R1_GUESTS=8 --env PVMX_IOCTL_FUZZ_N=2500 --env PVMX_STRESS_CYCLES=10 \
	--env STRESS_ROUNDS=200
vmtest-debug-ci:
	rig/vmtest.sh --debug-kernel --no-refuse --timeout 3000 --select '$(DEBUG_CI_SELECT)' $(DEBUG_CI_ENV)

# A 6.12 host: Debian's stock kernel (fetched, not installed), pvmx.ko built
# against linux-headers-6.12, the whole suite, then the KVM coexistence checks
# (kvm.enable_virt_at_load=1 refuses pvmx; =0 lets them take turns).
vmtest-6.12:
	rig/vmtest.sh --kernel debian-6.12 --kvm-coexist

# What CI runs there: the whole suite with the debug selection's fewer
# iterations of the tests that repeat themselves (DEBUG_CI_ENV), then the
# KVM checks; Bochs capped at 1200 s (about 550 s on a loaded machine).
vmtest-6.12-ci:
	rig/vmtest.sh --kernel debian-6.12 --kvm-coexist --timeout 1200 $(DEBUG_CI_ENV)

# The host's speculation mitigations on (mitigations=auto) on Debian's
# stock 6.12 kernel, built with all of them and with KVM_INTEL (so
# vmentry_l1d_flush=cond is KVM's cond): the paths of VM entry and exit
# with the host's flags set, the guests that exercise them, the hostile
# guest for a short while, then rig/spec-check.sh.  About 5 minutes.
MITIGATIONS_TESTS = module_load guest_hello guest_events guest_timers guest_multicall \
	guest_smp guest_fuzz dmesg_clean
MITIGATIONS_SELECT = ^($(subst $(space),|,$(strip $(MITIGATIONS_TESTS))))$$
vmtest-mitigations:
	rig/vmtest.sh --kernel debian-6.12 --mitigations --no-refuse --timeout 900 \
		--select '$(MITIGATIONS_SELECT)' --env GUEST_FUZZ_N=5000

# CMD reaches the rig as its literal text (no make expansion, no
# re-quoting), so quotes and $ pass untouched; TIMEOUT is the run's limit.
vmrun: export PVMX_VMRUN_CMD := $(value CMD)
vmrun: export PVMX_VMRUN_GUESTS := $(value GUESTS)
vmrun:
	@[ -n "$$PVMX_VMRUN_CMD" ] || { echo "pvmx: usage: make vmrun [GUESTS=dir] [TIMEOUT=s] CMD='...'" >&2; exit 2; }
	rig/vmtest.sh --guests "$$PVMX_VMRUN_GUESTS" $(if $(TIMEOUT),--timeout $(TIMEOUT)) --cmd "$$PVMX_VMRUN_CMD"

CONFORMANCE_ARGS ?=
conformance:
	rig/vmtest.sh --conformance $(CONFORMANCE_ARGS)

rig-test:
	rig/tests/conformance_test.sh
	rig/tests/stock_kernel_test.sh
	rig/tests/kernel_build_test.sh
	rig/tests/spec_check_test.sh

rig-selfcheck:
	rig/selfcheck.sh

check: unit rig-test fuzz-check vmtest rig-selfcheck conformance

bench:
	bench/run.sh

# ---- installation (Documentation/install.rst) ------------------------------
#   make install            install-module + install-userspace
#   make install-module     pvmx.ko into /lib/modules/<KDIR's release>/extra, depmod
#   make install-userspace  launcher, libpvmx, headers to $(PREFIX); udev rule
#   make dkms-install       source to /usr/src/pvmx-0.1; dkms add/build/install
#                           (DKMS_KERNEL=<release> to build for another kernel)
#   make dkms-remove        dkms remove --all; remove /usr/src/pvmx-0.1
#   make uninstall          undo install-module and install-userspace
# DESTDIR= stages everything under a directory (no depmod -a on the live
# system, no udev reload then).

PREFIX ?= /usr/local
DESTDIR ?=
UDEV_RULES_DIR ?= /etc/udev/rules.d
PVMX_VERSION := 0.1
DKMS_SRC := /usr/src/pvmx-$(PVMX_VERSION)
DKMS_KERNEL ?=
# Release of the kernel KDIR builds for (not necessarily the running one).
KRELEASE = $(or $(shell sed -n 's/^\#define UTS_RELEASE "\(.*\)"/\1/p' \
		$(KDIR)/include/generated/utsrelease.h 2>/dev/null),$(shell uname -r))

.PHONY: dkms-remove uninstall

install: install-module install-userspace

install-module: module
	@[ -d "$(KDIR)" ] || { echo "pvmx: no kernel build tree at KDIR=$(KDIR);" \
		"install linux-headers-$$(uname -r) or pass KDIR=..." >&2; exit 1; }
	@[ -f pvmx.ko ] || { echo "pvmx: pvmx.ko was not built (KDIR=$(KDIR));" \
		"install linux-headers-$$(uname -r) or pass KDIR=..." >&2; exit 1; }
	$(MAKE) -C $(KDIR) M=$(PWD_ABS) INSTALL_MOD_DIR=extra \
		$(if $(DESTDIR),INSTALL_MOD_PATH=$(DESTDIR)) modules_install
	depmod $(if $(DESTDIR),-b $(DESTDIR)) -a $(KRELEASE)
	@echo "pvmx: installed pvmx.ko for $(KRELEASE); load it with: modprobe pvmx"

install-userspace:
	$(MAKE) -C userspace install PREFIX=$(PREFIX) DESTDIR=$(DESTDIR)
	install -D -m 0644 udev/60-pvmx.rules $(DESTDIR)$(UDEV_RULES_DIR)/60-pvmx.rules
	@if [ -z "$(DESTDIR)" ]; then \
		command -v udevadm >/dev/null 2>&1 && udevadm control --reload-rules 2>/dev/null; \
		getent group pvmx >/dev/null 2>&1 || \
		echo "pvmx: no 'pvmx' group yet: /dev/pvmx stays root-only until" \
		     "'groupadd --system pvmx' (see Documentation/install.rst)"; \
	fi; true

# The module's sources as DKMS builds them (Kbuild and what it includes);
# CI's build matrix builds from such a copy.
dkms-tree:
	@[ -n "$(DEST)" ] || { echo "pvmx: usage: make dkms-tree DEST=dir" >&2; exit 2; }
	install -d $(DEST)
	tar -cf - Kbuild Makefile dkms.conf \
		$$(find module include \( -name '*.[chS]' -o -name '*.mk' \) | sort) | \
		tar -xf - -C $(DEST)

dkms-install:
	@command -v dkms >/dev/null 2>&1 || { echo "pvmx: dkms not found (apt-get install dkms)" >&2; exit 1; }
	@if dkms status pvmx/$(PVMX_VERSION) 2>/dev/null | grep -q .; then \
		echo "dkms remove pvmx/$(PVMX_VERSION) --all"; dkms remove pvmx/$(PVMX_VERSION) --all; fi
	rm -rf $(DKMS_SRC)
	$(MAKE) --no-print-directory dkms-tree DEST=$(DKMS_SRC)
	dkms add pvmx/$(PVMX_VERSION)
	dkms build pvmx/$(PVMX_VERSION) $(if $(DKMS_KERNEL),-k $(DKMS_KERNEL))
	dkms install pvmx/$(PVMX_VERSION) $(if $(DKMS_KERNEL),-k $(DKMS_KERNEL))

dkms-remove:
	@command -v dkms >/dev/null 2>&1 || { echo "pvmx: dkms not found" >&2; exit 1; }
	@if dkms status pvmx/$(PVMX_VERSION) 2>/dev/null | grep -q .; then \
		echo "dkms remove pvmx/$(PVMX_VERSION) --all"; dkms remove pvmx/$(PVMX_VERSION) --all; fi
	rm -rf $(DKMS_SRC)

uninstall:
	rm -f $(addprefix $(DESTDIR)/lib/modules/$(KRELEASE)/extra/,pvmx.ko pvmx.ko.xz pvmx.ko.zst pvmx.ko.gz)
	-depmod $(if $(DESTDIR),-b $(DESTDIR)) -a $(KRELEASE)
	rm -f $(DESTDIR)$(PREFIX)/bin/pvmx $(DESTDIR)$(PREFIX)/lib/libpvmx.a \
		$(DESTDIR)$(PREFIX)/include/libpvmx.h $(DESTDIR)$(PREFIX)/include/linux/pvmx.h \
		$(DESTDIR)$(PREFIX)/include/pvmx/xen_abi.h
	-rmdir $(DESTDIR)$(PREFIX)/include/pvmx 2>/dev/null
	rm -f $(DESTDIR)$(UDEV_RULES_DIR)/60-pvmx.rules

clean:
	-@[ -d "$(KDIR)" ] && $(MAKE) -C $(KDIR) M=$(PWD_ABS) clean
	$(MAKE) -C userspace clean
	$(MAKE) -C selftests clean
	$(MAKE) -C selftests/guests clean
	$(MAKE) -C tests/unit clean
	$(MAKE) -C tests/fuzz clean
