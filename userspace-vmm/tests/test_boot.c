// SPDX-License-Identifier: GPL-2.0
/* Boot protocol: bzImage header checks, placement, zero page, e820,
 * page tables and GDT. Uses a synthetic image (and the installed Debian
 * kernel's header, if there is one). */
#include "boot.h"
#include "tap.h"
#include "util.h"

#include <errno.h>
#include <glob.h>
#include <stdio.h>
#include <stdlib.h>

#define IMG_SIZE (64 * 1024)

/* A minimal bzImage: 4 setup sectors, protocol 2.15, 64-bit entry. */
static uint8_t *make_image(void)
{
	uint8_t *img = calloc(1, IMG_SIZE);

	img[HDR_SETUP_SECTS] = 4;
	le_store(img + HDR_SYSSIZE, (IMG_SIZE - 5 * 512) / 16, 4);
	le_store(img + HDR_BOOT_FLAG, 0xaa55, 2);
	img[0x201] = 0x6a;			/* header ends at 0x26c */
	le_store(img + HDR_MAGIC, HDR_MAGIC_VALUE, 4);
	le_store(img + HDR_VERSION, 0x020f, 2);
	img[HDR_LOADFLAGS] = LOADED_HIGH;
	le_store(img + HDR_INITRD_ADDR_MAX, 0x7fffffff, 4);
	le_store(img + HDR_KERNEL_ALIGNMENT, 0x200000, 4);
	img[HDR_RELOCATABLE] = 1;
	le_store(img + HDR_XLOADFLAGS, 0x7f, 2);
	le_store(img + HDR_CMDLINE_SIZE, 2047, 4);
	le_store(img + HDR_PREF_ADDRESS, 0x1000000, 8);
	le_store(img + HDR_INIT_SIZE, 0x3000000, 4);
	img[5 * 512] = 0xe9;			/* first byte of the kernel */
	img[IMG_SIZE - 1] = 0xcc;
	return img;
}

static void parse_good(void)
{
	uint8_t *img = make_image();
	struct kimage bz;
	const char *why = NULL;

	CHECK_EQ(kernel_parse(img, IMG_SIZE, &bz, &why), 0);
	CHECK_EQ(bz.version, 0x020f);
	CHECK_EQ(bz.setup_bytes, 5 * 512);
	CHECK_EQ(bz.kernel_bytes, IMG_SIZE - 5 * 512);
	CHECK_EQ(bz.pref_address, 0x1000000);
	CHECK_EQ(bz.init_size, 0x3000000);
	CHECK_EQ(bz.hdr_end, 0x26c);
	free(img);
}

static void parse_bad(void)
{
	uint8_t *img = make_image();
	struct kimage bz;
	const char *why = NULL;

	CHECK_EQ(kernel_parse(img, 100, &bz, &why), -EINVAL);
	CHECK(why != NULL);
	CHECK_EQ(kernel_parse(img, IMG_SIZE - 4096, &bz, &why), -EINVAL);
	CHECK(why && strstr(why, "truncated"));
	img[HDR_MAGIC] = 'X';
	CHECK_EQ(kernel_parse(img, IMG_SIZE, &bz, &why), -EINVAL);
	CHECK(why && strstr(why, "HdrS"));
	free(img);
	img = make_image();
	le_store(img + HDR_VERSION, 0x0205, 2);
	CHECK_EQ(kernel_parse(img, IMG_SIZE, &bz, &why), -EINVAL);
	CHECK(why && strstr(why, "2.06"));
	free(img);
	img = make_image();
	le_store(img + HDR_XLOADFLAGS, 0, 2);
	CHECK_EQ(kernel_parse(img, IMG_SIZE, &bz, &why), -EINVAL);
	CHECK(why && strstr(why, "64-bit"));
	free(img);
	img = make_image();
	img[HDR_SETUP_SECTS] = 200;		/* setup larger than the file */
	CHECK_EQ(kernel_parse(img, IMG_SIZE, &bz, &why), -EINVAL);
	free(img);
}

static void plan_placement(void)
{
	uint8_t *img = make_image();
	struct kimage bz;
	struct boot_layout lay;
	const char *why = NULL;

	kernel_parse(img, IMG_SIZE, &bz, &why);
	CHECK_EQ(boot_plan(&bz, 256 * MiB, 3 * MiB + 5, 100, &lay, &why), 0);
	CHECK_EQ(lay.kernel_addr, 0x1000000);
	CHECK_EQ(lay.entry, 0x1000200);
	CHECK_EQ(lay.kernel_end, 0x4000000);
	CHECK_EQ(lay.initrd_addr & 0xfff, 0);
	CHECK(lay.initrd_addr + lay.initrd_size <= 256 * MiB);
	CHECK(lay.initrd_addr >= 256 * MiB - 3 * MiB - 4096);
	/* initrd_addr_max caps the initrd below the top of RAM. */
	le_store(img + HDR_INITRD_ADDR_MAX, 0x07ffffff, 4);
	kernel_parse(img, IMG_SIZE, &bz, &why);
	CHECK_EQ(boot_plan(&bz, 512 * MiB, MiB, 100, &lay, &why), 0);
	CHECK(lay.initrd_addr + lay.initrd_size <= 0x08000000);
	/* Too little RAM. */
	CHECK_EQ(boot_plan(&bz, 32 * MiB, 0, 100, &lay, &why), -ENOMEM);
	CHECK_EQ(boot_plan(&bz, 0x4000000 + MiB, 2 * MiB, 100, &lay, &why), -ENOMEM);
	/* Command line too long. */
	CHECK_EQ(boot_plan(&bz, 256 * MiB, 0, 2048, &lay, &why), -E2BIG);
	free(img);
}

static void e820_map(void)
{
	struct e820_entry e[8];
	unsigned int n = e820_build(e, 8, 256 * MiB);

	CHECK_EQ(n, 4);
	CHECK_EQ(e[0].addr, 0);
	CHECK_EQ(e[0].type, E820_RAM);
	CHECK(e[0].addr + e[0].size <= 0xa0000);
	CHECK_EQ(e[3].addr, 0x100000);
	CHECK_EQ(e[3].addr + e[3].size, 256 * MiB);
	CHECK_EQ(e[3].type, E820_RAM);
	for (unsigned int i = 1; i < n; i++)
		CHECK(e[i].addr >= e[i - 1].addr + e[i - 1].size);
	CHECK_EQ(e[2].type, E820_RESERVED);
	CHECK_EQ(e[2].addr + e[2].size, 0x100000);
	CHECK_EQ(e820_build(e, 2, 256 * MiB), 2);	/* never overflows */
}

static void zero_page_and_tables(void)
{
	uint8_t *img = make_image();
	struct guest_mem m = { calloc(1, 128 * MiB), 128 * MiB };
	struct kimage bz;
	struct boot_layout lay;
	const char *why = NULL;
	uint8_t *zp = m.host + BOOT_ZERO_PAGE, initrd[8192];
	struct e820_entry e;

	memset(initrd, 0x77, sizeof(initrd));
	kernel_parse(img, IMG_SIZE, &bz, &why);
	CHECK_EQ(boot_plan(&bz, m.size, sizeof(initrd), 19, &lay, &why), 0);
	CHECK_EQ(boot_load(&m, img, &bz, &lay, initrd, "console=ttyS0 quiet"), 0);
	/* Kernel, initrd and command line in place. */
	CHECK_EQ(m.host[0x1000000], 0xe9);
	CHECK_EQ(m.host[0x1000000 + IMG_SIZE - 5 * 512 - 1], 0xcc);
	CHECK_EQ(m.host[lay.initrd_addr + 8191], 0x77);
	CHECK(!strcmp((char *)m.host + BOOT_CMDLINE, "console=ttyS0 quiet"));
	/* Zero page: header copied, loader fields filled. */
	CHECK_EQ(le_load(zp + HDR_MAGIC, 4), HDR_MAGIC_VALUE);
	CHECK_EQ(le_load(zp + HDR_VERSION, 2), 0x020f);
	CHECK_EQ(zp[HDR_TYPE_OF_LOADER], 0xff);
	CHECK(zp[HDR_LOADFLAGS] & LOADED_HIGH);
	CHECK(zp[HDR_LOADFLAGS] & CAN_USE_HEAP);
	CHECK_EQ(le_load(zp + HDR_CMD_LINE_PTR, 4), BOOT_CMDLINE);
	CHECK_EQ(le_load(zp + HDR_RAMDISK_IMAGE, 4), lay.initrd_addr);
	CHECK_EQ(le_load(zp + HDR_RAMDISK_SIZE, 4), sizeof(initrd));
	CHECK_EQ(zp[BP_E820_ENTRIES], 4);
	memcpy(&e, zp + BP_E820_TABLE + 3 * sizeof(e), sizeof(e));
	CHECK_EQ(e.addr + e.size, 128 * MiB);
	/* Identity map: PML4 -> PDPT -> PD, 2 MiB pages over 4 GiB. */
	CHECK_EQ(le_load(m.host + BOOT_PML4, 8), BOOT_PDPT | 3);
	CHECK_EQ(le_load(m.host + BOOT_PDPT + 3 * 8, 8), (BOOT_PD + 3 * 4096) | 3);
	CHECK_EQ(le_load(m.host + BOOT_PD + 8, 8), 0x200000 | 0x83);
	CHECK_EQ(le_load(m.host + BOOT_PD + 3 * 4096 + 511 * 8, 8),
		 0xffe00000ULL | 0x83);
	/* GDT: 0x10 long-mode code, 0x18 flat data. */
	CHECK_EQ(le_load(m.host + BOOT_GDT + 0x10, 8), 0x00af9b000000ffffULL);
	CHECK_EQ(le_load(m.host + BOOT_GDT + 0x18, 8), 0x00cf93000000ffffULL);
	free(m.host);
	free(img);
}

/*
 * A minimal x86-64 vmlinux: ELF header, three program headers (text at
 * 16 MiB with the entry, data whose memsz runs past its filesz, a
 * PT_NOTE), then the segments' bytes.
 */
#define ELF_SIZE 0x3000
static uint8_t *make_elf(void)
{
	uint8_t *e = calloc(1, ELF_SIZE);
	uint8_t *ph = e + 64;

	memcpy(e, "\x7f" "ELF", 4);
	e[4] = 2;				/* ELFCLASS64 */
	e[5] = 1;				/* little-endian */
	e[6] = 1;
	le_store(e + 16, 2, 2);			/* ET_EXEC */
	le_store(e + 18, 62, 2);		/* EM_X86_64 */
	le_store(e + 24, 0x1000040, 8);		/* entry */
	le_store(e + 32, 64, 8);		/* phoff */
	le_store(e + 54, 56, 2);
	le_store(e + 56, 3, 2);
	/* text: file 0x1000, 0x800 bytes at 16 MiB */
	le_store(ph + 0, 1, 4);
	le_store(ph + 8, 0x1000, 8);
	le_store(ph + 16, 0xffffffff81000000ULL, 8);
	le_store(ph + 24, 0x1000000, 8);
	le_store(ph + 32, 0x800, 8);
	le_store(ph + 40, 0x800, 8);
	/* data: 0x100 bytes in the file, 0x5000 in memory, at 18 MiB */
	ph += 56;
	le_store(ph + 0, 1, 4);
	le_store(ph + 8, 0x2000, 8);
	le_store(ph + 24, 0x1200000, 8);
	le_store(ph + 32, 0x100, 8);
	le_store(ph + 40, 0x5000, 8);
	ph += 56;
	le_store(ph + 0, 4, 4);			/* PT_NOTE: not loaded */
	le_store(ph + 8, 0x1800, 8);
	le_store(ph + 24, 0x100, 8);
	le_store(ph + 32, 0x10, 8);
	le_store(ph + 40, 0x10, 8);
	e[0x1000] = 0x90;
	e[0x1040] = 0xe9;			/* at the entry */
	e[0x20ff] = 0x5a;			/* last file byte of data */
	return e;
}

static void elf_kernel(void)
{
	uint8_t *img = make_elf();
	struct guest_mem m = { calloc(1, 64 * MiB), 64 * MiB };
	uint8_t *zp = m.host + BOOT_ZERO_PAGE, initrd[4096];
	struct kimage k;
	struct boot_layout lay;
	const char *why = NULL;

	CHECK_EQ(kernel_parse(img, ELF_SIZE, &k, &why), 0);
	CHECK_EQ(k.kind, KERNEL_ELF);
	CHECK_EQ(k.nsegs, 2);
	CHECK_EQ(k.pref_address, 0x1000000);
	CHECK_EQ(k.init_size, 0x205000);
	CHECK_EQ(boot_plan(&k, m.size, sizeof(initrd), 19, &lay, &why), 0);
	CHECK_EQ(lay.entry, 0x1000040);
	CHECK_EQ(lay.kernel_addr, 0x1000000);
	CHECK_EQ(lay.kernel_end, 0x1205000);
	CHECK(lay.initrd_addr >= lay.kernel_end);
	/* memory the data segment's tail will own, dirty beforehand */
	memset(m.host + 0x1200100, 0xee, 0x4f00);
	memset(initrd, 0x33, sizeof(initrd));
	CHECK_EQ(boot_load(&m, img, &k, &lay, initrd, "console=ttyS0 quiet"), 0);
	CHECK_EQ(m.host[0x1000000], 0x90);
	CHECK_EQ(m.host[0x1000040], 0xe9);
	CHECK_EQ(m.host[0x12000ff], 0x5a);
	CHECK_EQ(m.host[0x1200100], 0);		/* zeroed to memsz */
	CHECK_EQ(m.host[0x1204fff], 0);
	CHECK_EQ(m.host[0x100], 0);		/* the note is not loaded */
	CHECK_EQ(m.host[lay.initrd_addr], 0x33);
	/* no setup header in the image: the zero page gets one */
	CHECK_EQ(le_load(zp + HDR_BOOT_FLAG, 2), 0xaa55);
	CHECK_EQ(le_load(zp + HDR_MAGIC, 4), HDR_MAGIC_VALUE);
	CHECK(le_load(zp + HDR_VERSION, 2) >= 0x020a);
	CHECK_EQ(zp[HDR_TYPE_OF_LOADER], 0xff);
	CHECK(zp[HDR_LOADFLAGS] & LOADED_HIGH);
	CHECK_EQ(le_load(zp + HDR_CMD_LINE_PTR, 4), BOOT_CMDLINE);
	CHECK_EQ(le_load(zp + HDR_CMDLINE_SIZE, 4), 2047);
	CHECK_EQ(le_load(zp + HDR_RAMDISK_IMAGE, 4), lay.initrd_addr);
	CHECK_EQ(le_load(zp + HDR_RAMDISK_SIZE, 4), sizeof(initrd));
	CHECK_EQ(zp[BP_E820_ENTRIES], 4);
	CHECK_EQ(le_load(m.host + BOOT_GDT + 0x10, 8), 0x00af9b000000ffffULL);
	/* a kernel that does not fit */
	CHECK_EQ(boot_plan(&k, 16 * MiB, 0, 19, &lay, &why), -ENOMEM);
	free(m.host);
	free(img);
}

static void elf_bad(void)
{
	static const struct {
		unsigned int off, len;
		uint64_t val;
		const char *why;
	} cases[] = {
		{ 4, 1, 1, "64-bit" },			/* ELFCLASS32 */
		{ 5, 1, 2, "64-bit" },			/* big-endian */
		{ 18, 2, 3, "x86-64" },			/* EM_386 */
		{ 16, 2, 3, "x86-64" },			/* ET_DYN */
		{ 32, 8, ELF_SIZE - 100, "truncated" },	/* phdrs past the end */
		{ 32, 8, ~0ULL - 10, "truncated" },	/* phoff overflows */
		{ 54, 2, 20, "truncated" },		/* phentsize too small */
		{ 56, 2, 0, "truncated" },		/* no program headers */
		{ 64 + 8, 8, ELF_SIZE - 0x10, "truncated" },	/* text past the end */
		{ 64 + 8, 8, ~0ULL - 0x100, "truncated" },	/* offset + size wraps */
		{ 64 + 32, 8, 0x900, "memory" },	/* filesz > memsz */
		{ 64 + 24, 8, 0x80000, "1 MiB" },	/* below 1 MiB */
		{ 64 + 24, 8, 0xfffffc00ULL, "4 GiB" },	/* across 4 GiB */
		{ 120 + 24, 8, ~0ULL - 0x1000, "4 GiB" },	/* paddr + memsz wraps */
		{ 24, 8, 0x1000800, "entry" },		/* entry past text's file part */
		{ 24, 8, 0x1200200, "entry" },		/* entry in data's zeroed tail */
		{ 64, 4, 6, NULL },			/* text not PT_LOAD: entry */
	};
	struct kimage k;
	const char *why;

	for (unsigned int i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		uint8_t *img = make_elf();

		le_store(img + cases[i].off, cases[i].val, cases[i].len);
		why = NULL;
		CHECK_EQ(kernel_parse(img, ELF_SIZE, &k, &why), -EINVAL);
		CHECK(why && strstr(why, cases[i].why ? cases[i].why : "entry"));
		if (why && !strstr(why, cases[i].why ? cases[i].why : "entry"))
			printf("# case %u: %s\n", i, why);
		free(img);
	}
	/* too small to hold its header */
	uint8_t *img = make_elf();

	why = NULL;
	CHECK_EQ(kernel_parse(img, 40, &k, &why), -EINVAL);
	CHECK(why != NULL);
	free(img);
}

/* The installed Debian kernel, if any, passes the header checks. */
static void real_kernel_header(void)
{
	glob_t g;
	FILE *f;
	uint8_t *buf;
	size_t n;
	struct kimage bz;
	const char *why = NULL;

	if (glob("/boot/vmlinuz-*", 0, NULL, &g) || !g.gl_pathc) {
		printf("# no /boot/vmlinuz-*: skipped\n");
		return;
	}
	f = fopen(g.gl_pathv[0], "rb");
	if (!f) {
		printf("# %s unreadable: skipped\n", g.gl_pathv[0]);
		globfree(&g);
		return;
	}
	buf = malloc(32 * MiB);
	n = fread(buf, 1, 32 * MiB, f);
	fclose(f);
	CHECK_EQ(kernel_parse(buf, n, &bz, &why), 0);
	CHECK(bz.version >= 0x0206);
	CHECK_EQ(bz.pref_address, 0x1000000);
	printf("# %s: protocol %x, init_size %#x\n", g.gl_pathv[0], bz.version,
	       bz.init_size);
	free(buf);
	globfree(&g);
}

int main(void)
{
	tap_begin();
	TEST(parse_good);
	TEST(parse_bad);
	TEST(plan_placement);
	TEST(e820_map);
	TEST(zero_page_and_tables);
	TEST(real_kernel_header);
	TEST(elf_kernel);
	TEST(elf_bad);
	return tap_done();
}
