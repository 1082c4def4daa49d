// SPDX-License-Identifier: GPL-2.0
/* Linux x86 boot protocol. See boot.h. */
#include "boot.h"

#include "util.h"

#include <elf.h>
#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <string.h>

#define MIN_PROTOCOL 0x0206
#define SECTOR 512
#define LOW_RAM_END 0x9fc00ULL	/* usable RAM below 640 KiB */
#define BIOS_AREA 0xf0000ULL

static uint64_t rd(const uint8_t *p, unsigned int off, unsigned int len)
{
	return le_load(p + off, len);
}

static int bzimage_parse(const uint8_t *img, size_t size, struct kimage *bz,
			 const char **why)
{
	unsigned int sects;

	if (size < 0x1000) {
		*why = "too small to be a bzImage";
		return -EINVAL;
	}
	if (rd(img, HDR_MAGIC, 4) != HDR_MAGIC_VALUE ||
	    rd(img, HDR_BOOT_FLAG, 2) != 0xaa55) {
		*why = "no Linux boot header (\"HdrS\" magic): not a bzImage";
		return -EINVAL;
	}
	bz->version = (uint16_t)rd(img, HDR_VERSION, 2);
	if (bz->version < MIN_PROTOCOL) {
		*why = "boot protocol older than 2.06";
		return -EINVAL;
	}
	bz->loadflags = img[HDR_LOADFLAGS];
	bz->xloadflags = (uint16_t)rd(img, HDR_XLOADFLAGS, 2);
	if (!(bz->loadflags & LOADED_HIGH)) {
		*why = "not a bzImage (zImage loaded low)";
		return -EINVAL;
	}
	if (!(bz->xloadflags & XLF_KERNEL_64)) {
		*why = "no 64-bit entry point (XLF_KERNEL_64)";
		return -EINVAL;
	}
	sects = img[HDR_SETUP_SECTS] ? img[HDR_SETUP_SECTS] : 4;
	bz->setup_bytes = (sects + 1) * SECTOR;
	bz->hdr_end = 0x202 + img[0x201];
	if (bz->setup_bytes >= size || bz->hdr_end > bz->setup_bytes) {
		*why = "setup code larger than the image: truncated";
		return -EINVAL;
	}
	bz->kernel_bytes = (uint32_t)(size - bz->setup_bytes);
	/* syssize: the protected-mode code in 16-byte units. */
	if ((uint64_t)rd(img, HDR_SYSSIZE, 4) * 16 > bz->kernel_bytes) {
		*why = "shorter than its header says: truncated";
		return -EINVAL;
	}
	bz->init_size = (uint32_t)rd(img, HDR_INIT_SIZE, 4);
	bz->initrd_addr_max = (uint32_t)rd(img, HDR_INITRD_ADDR_MAX, 4);
	bz->cmdline_size = (uint32_t)rd(img, HDR_CMDLINE_SIZE, 4);
	bz->pref_address = bz->version >= 0x020a ? rd(img, HDR_PREF_ADDRESS, 8)
						 : 0x100000;
	if (bz->pref_address < 0x100000 || (bz->pref_address & 0xfff)) {
		*why = "bad preferred load address";
		return -EINVAL;
	}
	return 0;
}

/* ELF64 header and program header fields, as offsets (the image may be unaligned). */
#define ELF_TYPE offsetof(Elf64_Ehdr, e_type)
#define ELF_MACHINE offsetof(Elf64_Ehdr, e_machine)
#define ELF_ENTRY offsetof(Elf64_Ehdr, e_entry)
#define ELF_PHOFF offsetof(Elf64_Ehdr, e_phoff)
#define ELF_PHENTSIZE offsetof(Elf64_Ehdr, e_phentsize)
#define ELF_PHNUM offsetof(Elf64_Ehdr, e_phnum)
#define PH_TYPE offsetof(Elf64_Phdr, p_type)
#define PH_OFFSET offsetof(Elf64_Phdr, p_offset)
#define PH_PADDR offsetof(Elf64_Phdr, p_paddr)
#define PH_FILESZ offsetof(Elf64_Phdr, p_filesz)
#define PH_MEMSZ offsetof(Elf64_Phdr, p_memsz)
/* What the zero page claims for an ELF kernel (it has no setup header). */
#define ELF_BOOT_VERSION 0x020f
#define ELF_CMDLINE_SIZE 2047		/* x86's COMMAND_LINE_SIZE - 1 */
#define ELF_INITRD_ADDR_MAX 0x7fffffffU
#define KERNEL_ALIGN (2ULL << 20)	/* CONFIG_PHYSICAL_ALIGN's default */
#define IDENTITY_MAP_END (4ULL << 30)	/* what build_page_tables() maps */

static bool is_elf(const uint8_t *img, size_t size)
{
	return size >= SELFMAG && !memcmp(img, ELFMAG, SELFMAG);
}

/*
 * An uncompressed x86-64 vmlinux: its loadable segments must lie in the
 * file, above the first MiB (where the zero page, GDT, page tables and
 * MP table go) and below 4 GiB (the identity map the entry runs on), and
 * the entry point in one of them.
 */
static int elf_parse(const uint8_t *img, size_t size, struct kimage *k,
		     const char **why)
{
	uint64_t phoff, lo = UINT64_MAX, hi = 0;
	unsigned int phentsize, phnum;
	bool entry_ok = false;

	if (size < sizeof(Elf64_Ehdr) || img[EI_CLASS] != ELFCLASS64 ||
	    img[EI_DATA] != ELFDATA2LSB || img[EI_VERSION] != EV_CURRENT) {
		*why = "ELF, but not a 64-bit little-endian one";
		return -EINVAL;
	}
	if (rd(img, ELF_TYPE, 2) != ET_EXEC || rd(img, ELF_MACHINE, 2) != EM_X86_64) {
		*why = "ELF, but not an x86-64 executable (a vmlinux)";
		return -EINVAL;
	}
	phoff = rd(img, ELF_PHOFF, 8);
	phentsize = (unsigned int)rd(img, ELF_PHENTSIZE, 2);
	phnum = (unsigned int)rd(img, ELF_PHNUM, 2);
	if (phentsize < sizeof(Elf64_Phdr) || !phnum || phoff > size ||
	    (uint64_t)phentsize * phnum > size - phoff) {
		*why = "ELF program headers outside the file: truncated";
		return -EINVAL;
	}
	k->elf_entry = rd(img, ELF_ENTRY, 8);
	for (unsigned int i = 0; i < phnum; i++) {
		const uint8_t *ph = img + phoff + (uint64_t)i * phentsize;
		struct elf_seg s = {
			.offset = rd(ph, PH_OFFSET, 8), .paddr = rd(ph, PH_PADDR, 8),
			.filesz = rd(ph, PH_FILESZ, 8), .memsz = rd(ph, PH_MEMSZ, 8),
		};

		if (rd(ph, PH_TYPE, 4) != PT_LOAD || !s.memsz)
			continue;
		if (s.offset > size || s.filesz > size - s.offset) {
			*why = "an ELF segment outside the file: truncated";
			return -EINVAL;
		}
		if (s.filesz > s.memsz) {
			*why = "an ELF segment larger in the file than in memory";
			return -EINVAL;
		}
		if (s.paddr < 0x100000 ||
		    s.memsz > IDENTITY_MAP_END || s.paddr > IDENTITY_MAP_END - s.memsz) {
			*why = "an ELF segment not between 1 MiB and 4 GiB";
			return -EINVAL;
		}
		if (k->nsegs == ELF_MAX_SEGS) {
			*why = "more ELF segments than khv-vmm loads";
			return -EINVAL;
		}
		k->segs[k->nsegs++] = s;
		if (k->elf_entry >= s.paddr && k->elf_entry - s.paddr < s.filesz)
			entry_ok = true;
		if (s.paddr < lo)
			lo = s.paddr;
		if (s.paddr + s.memsz > hi)
			hi = s.paddr + s.memsz;
	}
	if (!k->nsegs) {
		*why = "no loadable ELF segment";
		return -EINVAL;
	}
	if (!entry_ok) {
		*why = "the ELF entry point is not in a loaded segment";
		return -EINVAL;
	}
	k->kind = KERNEL_ELF;
	k->version = ELF_BOOT_VERSION;
	k->loadflags = LOADED_HIGH;
	k->xloadflags = XLF_KERNEL_64;
	k->pref_address = lo & ~0xfffULL;
	k->init_size = (uint32_t)(((hi + 0xfff) & ~0xfffULL) - k->pref_address);
	k->initrd_addr_max = ELF_INITRD_ADDR_MAX;
	k->cmdline_size = ELF_CMDLINE_SIZE;
	return 0;
}

int kernel_parse(const uint8_t *img, size_t size, struct kimage *k,
		 const char **why)
{
	memset(k, 0, sizeof(*k));
	if (is_elf(img, size))
		return elf_parse(img, size, k, why);
	k->kind = KERNEL_BZIMAGE;
	return bzimage_parse(img, size, k, why);
}

int boot_plan(const struct kimage *k, uint64_t mem_size, uint64_t initrd_size,
	      size_t cmdline_len, struct boot_layout *lay, const char **why)
{
	uint64_t span = k->init_size > k->kernel_bytes ? k->init_size
						       : k->kernel_bytes;
	uint64_t top;

	memset(lay, 0, sizeof(*lay));
	if (cmdline_len > k->cmdline_size) {
		*why = "command line longer than the kernel accepts";
		return -E2BIG;
	}
	lay->kernel_addr = k->pref_address;
	lay->kernel_end = (lay->kernel_addr + span + 0xfff) & ~0xfffULL;
	lay->entry = k->kind == KERNEL_ELF ? k->elf_entry : lay->kernel_addr + 0x200;
	if (lay->kernel_end > mem_size) {
		*why = "guest memory too small for the kernel";
		return -ENOMEM;
	}
	if (!initrd_size)
		return 0;
	top = (uint64_t)k->initrd_addr_max + 1;
	if (top > mem_size)
		top = mem_size;
	if (initrd_size > top || ((top - initrd_size) & ~0xfffULL) < lay->kernel_end) {
		*why = "guest memory too small for kernel and initrd";
		return -ENOMEM;
	}
	lay->initrd_addr = (top - initrd_size) & ~0xfffULL;
	lay->initrd_size = initrd_size;
	return 0;
}

static unsigned int add(struct e820_entry *e, unsigned int n, unsigned int max,
			uint64_t addr, uint64_t end, uint32_t type)
{
	if (n >= max || end <= addr)
		return n;
	e[n] = (struct e820_entry){ addr, end - addr, type };
	return n + 1;
}

unsigned int e820_build(struct e820_entry *e, unsigned int max,
			uint64_t mem_size)
{
	unsigned int n = 0;

	n = add(e, n, max, 0, LOW_RAM_END, E820_RAM);
	n = add(e, n, max, LOW_RAM_END, 0xa0000, E820_RESERVED);
	n = add(e, n, max, BIOS_AREA, 0x100000, E820_RESERVED);
	n = add(e, n, max, 0x100000, mem_size, E820_RAM);
	return n;
}

static void wr(uint8_t *p, unsigned int off, uint64_t v, unsigned int len)
{
	le_store(p + off, v, len);
}

/* An ELF kernel has no setup header: the fields the kernel reads. */
static void synth_header(uint8_t *zp, const struct kimage *k)
{
	wr(zp, HDR_BOOT_FLAG, 0xaa55, 2);
	wr(zp, HDR_MAGIC, HDR_MAGIC_VALUE, 4);
	wr(zp, HDR_VERSION, k->version, 2);
	wr(zp, HDR_INITRD_ADDR_MAX, k->initrd_addr_max, 4);
	wr(zp, HDR_KERNEL_ALIGNMENT, KERNEL_ALIGN, 4);
	wr(zp, HDR_XLOADFLAGS, k->xloadflags, 2);
	wr(zp, HDR_CMDLINE_SIZE, k->cmdline_size, 4);
	wr(zp, HDR_PREF_ADDRESS, k->pref_address, 8);
	wr(zp, HDR_INIT_SIZE, k->init_size, 4);
}

void boot_params_build(uint8_t *zp, const uint8_t *img, const struct kimage *k,
		       const struct boot_layout *lay, uint64_t mem_size,
		       size_t cmdline_len)
{
	struct e820_entry e[BP_E820_MAX];
	unsigned int n = e820_build(e, BP_E820_MAX, mem_size);

	memset(zp, 0, 4096);
	/* The setup header, as the image has it (0x1f1 to its end). */
	if (k->kind == KERNEL_ELF)
		synth_header(zp, k);
	else
		memcpy(zp + HDR_SETUP_SECTS, img + HDR_SETUP_SECTS,
		       k->hdr_end - HDR_SETUP_SECTS);
	zp[HDR_TYPE_OF_LOADER] = 0xff;	/* undefined boot loader */
	zp[HDR_LOADFLAGS] = (uint8_t)((k->loadflags & ~0x40) | CAN_USE_HEAP);
	wr(zp, HDR_HEAP_END_PTR, 0xfe00, 2);
	wr(zp, HDR_CMD_LINE_PTR, BOOT_CMDLINE, 4);
	wr(zp, BP_EXT_CMD_LINE_PTR, 0, 4);
	wr(zp, HDR_RAMDISK_IMAGE, (uint32_t)lay->initrd_addr, 4);
	wr(zp, HDR_RAMDISK_SIZE, (uint32_t)lay->initrd_size, 4);
	wr(zp, BP_EXT_RAMDISK_IMAGE, lay->initrd_addr >> 32, 4);
	wr(zp, BP_EXT_RAMDISK_SIZE, lay->initrd_size >> 32, 4);
	zp[BP_E820_ENTRIES] = (uint8_t)n;
	memcpy(zp + BP_E820_TABLE, e, n * sizeof(e[0]));
	(void)cmdline_len;
}

/* Long-mode GDT: null, null, __BOOT_CS (64-bit code), __BOOT_DS. */
static void build_gdt(uint8_t *gdt)
{
	memset(gdt, 0, 32);
	wr(gdt, 16, 0x00af9b000000ffffULL, 8);
	wr(gdt, 24, 0x00cf93000000ffffULL, 8);
}

/* Identity map of 0-4 GiB with 2 MiB pages. */
static void build_page_tables(uint8_t *low)
{
	uint8_t *pml4 = low + BOOT_PML4, *pdpt = low + BOOT_PDPT;

	memset(pml4, 0, 4096);
	memset(pdpt, 0, 4096);
	wr(pml4, 0, BOOT_PDPT | 0x03, 8);
	for (unsigned int i = 0; i < 4; i++) {
		uint8_t *pd = low + BOOT_PD + i * 4096;

		wr(pdpt, i * 8, (BOOT_PD + i * 4096ULL) | 0x03, 8);
		for (unsigned int j = 0; j < 512; j++)
			wr(pd, j * 8, ((i * 512ULL + j) << 21) | 0x83, 8);
	}
}

/* A bzImage's protected-mode part, or an ELF kernel's segments. */
static int load_image(const struct guest_mem *m, const uint8_t *img,
		      const struct kimage *k, const struct boot_layout *lay)
{
	uint8_t *dst;

	if (k->kind == KERNEL_BZIMAGE) {
		dst = gmem_ptr(m, lay->kernel_addr, k->kernel_bytes);
		if (!dst)
			return -EINVAL;
		memcpy(dst, img + k->setup_bytes, k->kernel_bytes);
		return 0;
	}
	for (unsigned int i = 0; i < k->nsegs; i++) {
		const struct elf_seg *s = &k->segs[i];

		dst = gmem_ptr(m, s->paddr, s->memsz);
		if (!dst)
			return -EINVAL;
		memcpy(dst, img + s->offset, s->filesz);
		memset(dst + s->filesz, 0, s->memsz - s->filesz);
	}
	return 0;
}

int boot_load(const struct guest_mem *m, const uint8_t *img,
	      const struct kimage *k, const struct boot_layout *lay,
	      const void *initrd, const char *cmdline)
{
	size_t cl = strlen(cmdline);
	uint8_t *low = gmem_ptr(m, 0, 0x100000);
	uint8_t *rd_dst = gmem_ptr(m, lay->initrd_addr, lay->initrd_size);

	if (!low || (lay->initrd_size && !rd_dst) ||
	    BOOT_CMDLINE + cl + 1 > 0x9f000 || load_image(m, img, k, lay))
		return -EINVAL;
	if (lay->initrd_size)
		memcpy(rd_dst, initrd, lay->initrd_size);
	memcpy(low + BOOT_CMDLINE, cmdline, cl + 1);
	boot_params_build(low + BOOT_ZERO_PAGE, img, k, lay, m->size, cl);
	build_gdt(low + BOOT_GDT);
	build_page_tables(low);
	return 0;
}
