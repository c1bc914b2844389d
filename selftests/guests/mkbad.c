// SPDX-License-Identifier: GPL-2.0
/*
 * mkbad: build malformed Xen PV images from a good one (hello.elf), for the
 * launcher's image checks.  Every output must make `pvmx run` (and `pvmx load
 * --dry-run`) exit 1 with a "pvmx: IMAGE: ..." message.
 *
 * Usage: mkbad GOOD.elf OUTDIR
 */
#include <elf.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Note types (xen/include/public/elfnote.h; same numbers as <pvmx/xen_abi.h>). */
#include <pvmx/xen_abi.h>

static unsigned char *img;
static size_t img_len;
static const char *outdir;

static void die(const char *msg)
{
	fprintf(stderr, "mkbad: %s\n", msg);
	exit(1);
}

static void emit(const char *name, const unsigned char *buf, size_t len)
{
	char path[4096];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s.elf", outdir, name);
	f = fopen(path, "wb");
	if (!f || (len && fwrite(buf, 1, len, f) != len) || fclose(f))
		die(path);
}

static unsigned char *copy(void)
{
	unsigned char *c = malloc(img_len);

	if (!c)
		die("out of memory");
	memcpy(c, img, img_len);
	return c;
}

/* Find the Xen note of the given type in the PT_NOTE segment: its descriptor. */
static size_t find_note(const unsigned char *buf, unsigned type, size_t *desc_len)
{
	const Elf32_Ehdr *eh = (const void *)buf;
	int i;

	for (i = 0; i < eh->e_phnum; i++) {
		const Elf32_Phdr *ph = (const void *)(buf + eh->e_phoff + i * eh->e_phentsize);
		size_t off = ph->p_offset, end = ph->p_offset + ph->p_filesz;

		if (ph->p_type != PT_NOTE)
			continue;
		while (off + 12 <= end) {
			const Elf32_Nhdr *n = (const void *)(buf + off);
			size_t name = off + 12;
			size_t desc = name + ((n->n_namesz + 3) & ~3u);

			if (n->n_type == type && n->n_namesz == 4 && !memcmp(buf + name, "Xen", 4)) {
				*desc_len = n->n_descsz;
				return desc;
			}
			off = desc + ((n->n_descsz + 3) & ~3u);
		}
	}
	die("note not found in the good image");
	return 0;
}

static void patch_note_str(const char *name, unsigned type, const char *from, const char *to)
{
	unsigned char *c = copy();
	size_t len, d = find_note(c, type, &len);

	if (strlen(from) != strlen(to) || len < strlen(from) || memcmp(c + d, from, strlen(from)))
		die("unexpected note contents");
	memcpy(c + d, to, strlen(to));
	emit(name, c, img_len);
	free(c);
}

int main(int argc, char **argv)
{
	const Elf32_Ehdr *eh;
	unsigned char *c;
	Elf32_Phdr *ph0 = NULL, *ph1 = NULL;
	FILE *f;
	long n;
	int i;

	if (argc != 3)
		die("usage: mkbad GOOD.elf OUTDIR");
	outdir = argv[2];
	f = fopen(argv[1], "rb");
	if (!f || fseek(f, 0, SEEK_END) || (n = ftell(f)) < (long)sizeof(Elf32_Ehdr))
		die("cannot read the good image");
	img_len = n;
	img = malloc(img_len);
	rewind(f);
	if (!img || fread(img, 1, img_len, f) != img_len)
		die("cannot read the good image");
	fclose(f);
	eh = (const void *)img;
	if (memcmp(eh->e_ident, ELFMAG, SELFMAG) || eh->e_ident[EI_CLASS] != ELFCLASS32)
		die("the good image is not ELF32");

	/* Shorter than an ELF header; cut in the middle of the first segment; empty. */
	emit("truncated_header", img, 40);
	for (i = 0; i < eh->e_phnum; i++) {
		Elf32_Phdr *ph = (void *)(img + eh->e_phoff + i * eh->e_phentsize);

		if (ph->p_type == PT_LOAD && !ph0)
			ph0 = ph;
		else if (ph->p_type == PT_LOAD && !ph1)
			ph1 = ph;
	}
	if (!ph0 || !ph1 || ph0->p_filesz < 0x1000)
		die("the good image needs two PT_LOADs, the first >= 4 KiB");
	emit("truncated_segment", img, ph0->p_offset + ph0->p_filesz / 2);
	emit("empty", img, 0);

	c = copy();
	c[EI_MAG1] = 'X';
	emit("bad_magic", c, img_len);
	free(c);

	c = copy();
	c[EI_CLASS] = ELFCLASS64;
	emit("class64", c, img_len);
	free(c);

	/* PAE_MODE note turned into an (ignored) INFO note: no PAE_MODE left. */
	c = copy();
	{
		size_t len, d = find_note(c, XEN_ELFNOTE_PAE_MODE, &len);
		Elf32_Nhdr *nh = (void *)(c + d - 12 - 4);

		nh->n_type = XEN_ELFNOTE_INFO;
	}
	emit("no_pae", c, img_len);
	free(c);

	patch_note_str("xen_version_2", XEN_ELFNOTE_XEN_VERSION, "xen-3.0", "xen-2.0");
	patch_note_str("bad_loader", XEN_ELFNOTE_LOADER, "generic", "special");

	/* The second PT_LOAD moved onto the first one's second page. */
	c = copy();
	{
		size_t off0 = (unsigned char *)ph0 - img, off1 = (unsigned char *)ph1 - img;
		Elf32_Phdr *a = (void *)(c + off0), *b = (void *)(c + off1);

		b->p_vaddr = a->p_vaddr + 0x1000;
		b->p_paddr = a->p_paddr + 0x1000;
	}
	emit("overlap", c, img_len);
	free(c);

	/* ENTRY note far outside the image. */
	c = copy();
	{
		size_t len, d = find_note(c, XEN_ELFNOTE_ENTRY, &len);
		unsigned int v = 0x00800000;

		if (len != 4)
			die("ENTRY note is not 4 bytes");
		memcpy(c + d, &v, 4);
	}
	emit("entry_outside", c, img_len);
	free(c);
	return 0;
}
