// SPDX-License-Identifier: GPL-2.0
/*
 * libFuzzer target of the image loader (userspace/loader.c): whatever ELF
 * file a user hands `pvmx run`, parsing and building the start-of-day image
 * must stay inside the file and the RAM buffer.  The first input byte picks
 * the RAM size (1..16 MiB), a command line, a p2m permutation and a ramdisk
 * (the input's tail); the rest is the ELF.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "libpvmx.h"

#define MAX_RAM_PAGES	4096u		/* 16 MiB */

static uint8_t *ram;
static uint32_t p2m[MAX_RAM_PAGES];

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct pvmx_load_opts opts = { 0 };
	struct pvmx_image_info info;
	struct pvmx_layout layout;
	char err[256];
	uint64_t pages, i;
	uint8_t sel;
	uint8_t *elf;

	if (size < 1)
		return 0;
	sel = data[0];
	/* A private copy: the loader must not rely on reading past the end. */
	elf = malloc(size - 1 ? size - 1 : 1);
	memcpy(elf, data + 1, size - 1);

	if (pvmx_parse_image(elf, size - 1, &info, err) == 0) {
		if (!ram)
			ram = aligned_alloc(4096, MAX_RAM_PAGES * 4096ul);
		pages = 256u << (sel & 3);		/* 1, 2, 4 or 8 MiB */
		if (sel & 4)
			pages = MAX_RAM_PAGES;
		if (sel & 8)
			pages -= sel >> 4;		/* odd sizes */
		memset(ram, 0, pages * 4096ul);
		opts.shared_info_gpa = pages * 4096ul;
		if (sel & 0x10)
			opts.cmdline = "console=hvc0 earlyprintk=xen root=/dev/ram0";
		if (sel & 0x20) {
			/* A permutation: reverse order. */
			for (i = 0; i < pages; i++)
				p2m[i] = pages - 1 - i;
			opts.p2m = p2m;
		}
		if (sel & 0x40) {
			/* The ELF's second half as the ramdisk (mapped or MOD_START_PFN). */
			opts.ramdisk = elf + (size - 1) / 2;
			opts.ramdisk_len = (size - 1) - (size - 1) / 2;
		}
		pvmx_build_image(elf, size - 1, ram, pages * 4096ul, &opts, &layout, err);
	}
	free(elf);
	return 0;
}
