// SPDX-License-Identifier: GPL-2.0
/* Linux x86 boot protocol. See boot.h. */
#include "boot.h"

#include "util.h"

#include <errno.h>
#include <string.h>

#define MIN_PROTOCOL 0x0206
#define SECTOR 512
#define LOW_RAM_END 0x9fc00ULL	/* usable RAM below 640 KiB */
#define BIOS_AREA 0xf0000ULL

static uint64_t rd(const uint8_t *p, unsigned int off, unsigned int len)
{
	return le_load(p + off, len);
}

int bzimage_parse(const uint8_t *img, size_t size, struct bzimage *bz,
		  const char **why)
{
	unsigned int sects;

	memset(bz, 0, sizeof(*bz));
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

int boot_plan(const struct bzimage *bz, uint64_t mem_size, uint64_t initrd_size,
	      size_t cmdline_len, struct boot_layout *lay, const char **why)
{
	uint64_t span = bz->init_size > bz->kernel_bytes ? bz->init_size
							 : bz->kernel_bytes;
	uint64_t top;

	memset(lay, 0, sizeof(*lay));
	if (cmdline_len > bz->cmdline_size) {
		*why = "command line longer than the kernel accepts";
		return -E2BIG;
	}
	lay->kernel_addr = bz->pref_address;
	lay->kernel_end = (lay->kernel_addr + span + 0xfff) & ~0xfffULL;
	lay->entry = lay->kernel_addr + 0x200;
	if (lay->kernel_end > mem_size) {
		*why = "guest memory too small for the kernel";
		return -ENOMEM;
	}
	if (!initrd_size)
		return 0;
	top = (uint64_t)bz->initrd_addr_max + 1;
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

void boot_params_build(uint8_t *zp, const uint8_t *img, const struct bzimage *bz,
		       const struct boot_layout *lay, uint64_t mem_size,
		       size_t cmdline_len)
{
	struct e820_entry e[BP_E820_MAX];
	unsigned int n = e820_build(e, BP_E820_MAX, mem_size);

	memset(zp, 0, 4096);
	/* The setup header, as the image has it (0x1f1 to its end). */
	memcpy(zp + HDR_SETUP_SECTS, img + HDR_SETUP_SECTS,
	       bz->hdr_end - HDR_SETUP_SECTS);
	zp[HDR_TYPE_OF_LOADER] = 0xff;	/* undefined boot loader */
	zp[HDR_LOADFLAGS] = (uint8_t)((bz->loadflags & ~0x40) | CAN_USE_HEAP);
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

int boot_load(const struct guest_mem *m, const uint8_t *img,
	      const struct bzimage *bz, const struct boot_layout *lay,
	      const void *initrd, const char *cmdline)
{
	size_t cl = strlen(cmdline);
	uint8_t *low = gmem_ptr(m, 0, 0x100000);
	uint8_t *kernel = gmem_ptr(m, lay->kernel_addr, bz->kernel_bytes);
	uint8_t *rd_dst = gmem_ptr(m, lay->initrd_addr, lay->initrd_size);

	if (!low || !kernel || (lay->initrd_size && !rd_dst) ||
	    BOOT_CMDLINE + cl + 1 > 0x9f000)
		return -EINVAL;
	memcpy(kernel, img + bz->setup_bytes, bz->kernel_bytes);
	if (lay->initrd_size)
		memcpy(rd_dst, initrd, lay->initrd_size);
	memcpy(low + BOOT_CMDLINE, cmdline, cl + 1);
	boot_params_build(low + BOOT_ZERO_PAGE, img, bz, lay, m->size, cl);
	build_gdt(low + BOOT_GDT);
	build_page_tables(low);
	return 0;
}
