// SPDX-License-Identifier: GPL-2.0
/*
 * pvmx userspace unit tests.
 *   unit [--pvmx PATH] [--fake PVMX SO] [--images DIR] [FILTER]
 * --pvmx enables the CLI tests (PATH = a pvmx binary); --fake PVMX SO runs
 * `pvmx run` against the fake device of fakedev.c; --images is where
 * sample images are written (default: a temporary directory).
 * Prints "N passed, M failed" last; exits 1 on any failure.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "harness.h"
#include "elfbuild.h"
#include <pvmx/xen_abi.h>

int t_failures;
const char *t_pvmx;
const char *t_images;
const char *t_fake_pvmx;
const char *t_fake_so;

static int write_image(const char *name, const struct eb_image *im, size_t cut)
{
	char path[4096];
	size_t len;
	uint8_t *b = eb_build(im, &len);
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", t_images, name);
	f = fopen(path, "wb");
	if (!f) {
		free(b);
		return -1;
	}
	fwrite(b, 1, cut && cut < len ? cut : len, f);
	fclose(f);
	free(b);
	return 0;
}

/* Sample images for the CLI tests (and for anyone poking at `pvmx load`). */
static int write_images(void)
{
	struct eb_image im;
	int rc = 0;

	mkdir(t_images, 0755);
	eb_xtf(&im);
	rc |= write_image("xtf.elf", &im, 0);
	rc |= write_image("truncated.elf", &im, 100);
	im.machine = 62;	/* EM_X86_64 */
	rc |= write_image("x86_64.elf", &im, 0);
	eb_xtf(&im);
	eb_note_del(&im, 9);	/* no PAE_MODE */
	rc |= write_image("nopae.elf", &im, 0);
	eb_linux(&im);
	rc |= write_image("linux.elf", &im, 0);
	eb_note_u32(&im, XEN_ELFNOTE_MOD_START_PFN, 1);
	eb_note_str(&im, XEN_ELFNOTE_BSD_SYMTAB, "yes");
	im.symtab_size = 0x400;
	im.strtab_size = 0x123;
	rc |= write_image("linux-modpfn-symtab.elf", &im, 0);
	return rc;
}

int main(int argc, char **argv)
{
	const struct test *const suites[] = { loader_tests, util_tests, cli_tests, trace_tests,
						 xenstore_tests, console_tests, blkback_tests,
						 netback_tests };
	const char *filter = NULL;
	char tmpl[] = "/tmp/pvmx-images-XXXXXX";
	unsigned passed = 0, failed = 0, s;
	int i;

	for (i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--pvmx") && i + 1 < argc)
			t_pvmx = argv[++i];
		else if (!strcmp(argv[i], "--fake") && i + 2 < argc) {
			t_fake_pvmx = argv[++i];
			t_fake_so = argv[++i];
		} else if (!strcmp(argv[i], "--images") && i + 1 < argc)
			t_images = argv[++i];
		else
			filter = argv[i];
	}
	if (!t_images) {
		t_images = mkdtemp(tmpl);
		if (!t_images) {
			perror("mkdtemp");
			return 1;
		}
	}
	if (write_images()) {
		fprintf(stderr, "cannot write sample images to %s: %s\n", t_images,
			strerror(errno));
		return 1;
	}
	for (s = 0; s < sizeof(suites) / sizeof(suites[0]); s++) {
		const struct test *t;

		for (t = suites[s]; t->name; t++) {
			if (filter && !strstr(t->name, filter))
				continue;
			if (s == 2 && !t_pvmx) {
				printf("SKIP %s (no --pvmx)\n", t->name);
				continue;
			}
			t_failures = 0;
			t->fn();
			printf("%s %s\n", t_failures ? "FAIL" : "ok  ", t->name);
			fflush(stdout);
			if (t_failures)
				failed++;
			else
				passed++;
		}
	}
	printf("%u passed, %u failed\n", passed, failed);
	return failed ? 1 : 0;
}
