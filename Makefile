# SPDX-License-Identifier: GPL-2.0
#
# pvmx top-level build.
#   make            module (when KDIR exists), launcher, guest images, selftests
#   make unit       host unit tests of the core and the image loader (ASan/UBSan)
#   make demo       build the test VM and run the demo guest in it
#   make vmtest     build the test VM and run the whole in-VM suite
#   make vmrun GUESTS=dir CMD='pvmx run /guests/x.elf'
#   make check      unit + vmtest (what CI runs)

KDIR ?= /lib/modules/$(shell uname -r)/build
PWD_ABS := $(CURDIR)

.PHONY: all module userspace guests selftests unit demo vmtest vmrun check \
	clean install install-module install-userspace dkms-install

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

demo:
	rig/vmtest.sh --demo

vmtest:
	rig/vmtest.sh

vmrun:
	rig/vmtest.sh --guests "$(GUESTS)" --cmd "$(CMD)"

check: unit vmtest

clean:
	-@[ -d "$(KDIR)" ] && $(MAKE) -C $(KDIR) M=$(PWD_ABS) clean
	$(MAKE) -C userspace clean
	$(MAKE) -C selftests clean
	$(MAKE) -C selftests/guests clean
	$(MAKE) -C tests/unit clean
