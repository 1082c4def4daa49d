/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Loading a Linux kernel by the x86 boot protocol's 64-bit entry: a
 * bzImage (protocol >= 2.06, XLF_KERNEL_64) at its preferred address, or
 * an uncompressed x86-64 ELF vmlinux, its PT_LOAD segments at their
 * physical addresses and entered at the ELF entry point (phys_startup_64,
 * where a bzImage's decompressor would jump: no decompression, no KASLR).
 * Parsing the image, planning where kernel, initrd and command line go,
 * building the zero page (struct boot_params) with its e820 map, and the
 * GDT and identity page tables the 64-bit entry needs. Pure: works on a
 * byte image and a struct guest_mem.
 *
 * Guest physical layout below 1 MiB:
 *   0x00500 GDT         0x07000 zero page      0x09000 PML4
 *   0x0a000 PDPT        0x0b000-0x0efff four page directories (0-4 GiB)
 *   0x20000 command line
 * The kernel goes at its preferred address (16 MiB for x86-64 kernels),
 * the initrd as high as initrd_addr_max and RAM allow.
 */
#ifndef KHV_VMM_BOOT_H
#define KHV_VMM_BOOT_H

#include "guest_mem.h"

#include <stddef.h>
#include <stdint.h>

#define BOOT_GDT 0x500
#define BOOT_ZERO_PAGE 0x7000
#define BOOT_STACK_TOP 0x8ff0
#define BOOT_PML4 0x9000
#define BOOT_PDPT 0xa000
#define BOOT_PD 0xb000
#define BOOT_CMDLINE 0x20000

#define BOOT_SEL_CODE 0x10	/* __BOOT_CS */
#define BOOT_SEL_DATA 0x18	/* __BOOT_DS */

/* Setup header fields, as offsets in the image and in the zero page. */
#define HDR_SETUP_SECTS 0x1f1
#define HDR_SYSSIZE 0x1f4
#define HDR_BOOT_FLAG 0x1fe
#define HDR_JUMP 0x200
#define HDR_MAGIC 0x202
#define HDR_VERSION 0x206
#define HDR_TYPE_OF_LOADER 0x210
#define HDR_LOADFLAGS 0x211
#define HDR_RAMDISK_IMAGE 0x218
#define HDR_RAMDISK_SIZE 0x21c
#define HDR_HEAP_END_PTR 0x224
#define HDR_CMD_LINE_PTR 0x228
#define HDR_INITRD_ADDR_MAX 0x22c
#define HDR_KERNEL_ALIGNMENT 0x230
#define HDR_RELOCATABLE 0x234
#define HDR_XLOADFLAGS 0x236
#define HDR_CMDLINE_SIZE 0x238
#define HDR_PREF_ADDRESS 0x258
#define HDR_INIT_SIZE 0x260
/* Zero page fields outside the header. */
#define BP_EXT_RAMDISK_IMAGE 0x0c0
#define BP_EXT_RAMDISK_SIZE 0x0c4
#define BP_EXT_CMD_LINE_PTR 0x0c8
#define BP_E820_ENTRIES 0x1e8
#define BP_E820_TABLE 0x2d0
#define BP_E820_MAX 128

#define HDR_MAGIC_VALUE 0x53726448	/* "HdrS" */
#define LOADED_HIGH 0x01
#define CAN_USE_HEAP 0x80
#define XLF_KERNEL_64 0x01

#define E820_RAM 1
#define E820_RESERVED 2

struct e820_entry {
	uint64_t addr;
	uint64_t size;
	uint32_t type;
} __attribute__((packed));
_Static_assert(sizeof(struct e820_entry) == 20, "e820 entry layout");

enum kernel_kind { KERNEL_BZIMAGE, KERNEL_ELF };

/* An ELF vmlinux's PT_LOAD segment. */
struct elf_seg {
	uint64_t offset, paddr, filesz, memsz;
};
#define ELF_MAX_SEGS 16

struct kimage {
	enum kernel_kind kind;
	/* bzImage: from its setup header; ELF: what the zero page claims */
	uint16_t version;
	uint8_t loadflags;
	uint16_t xloadflags;
	uint32_t setup_bytes;	/* boot sector + setup code */
	uint32_t kernel_bytes;	/* the protected-mode kernel */
	uint32_t hdr_end;	/* end of the setup header in the image */
	uint32_t init_size;
	uint32_t initrd_addr_max;
	uint32_t cmdline_size;
	uint64_t pref_address;	/* ELF: its lowest segment */
	/* ELF only */
	uint64_t elf_entry;
	unsigned int nsegs;
	struct elf_seg segs[ELF_MAX_SEGS];
};

struct boot_layout {
	uint64_t kernel_addr;
	uint64_t kernel_end;	/* kernel_addr + its whole init size */
	uint64_t initrd_addr;
	uint64_t initrd_size;
	uint64_t entry;		/* bzImage: kernel_addr + 0x200; ELF: e_entry */
};

/* A bzImage or an ELF vmlinux: 0, or -EINVAL with *why saying what is
 * wrong with the image. */
int kernel_parse(const uint8_t *img, size_t size, struct kimage *k,
		 const char **why);
/* Where everything goes: 0, or -E2BIG/-ENOMEM with *why. */
int boot_plan(const struct kimage *k, uint64_t mem_size, uint64_t initrd_size,
	      size_t cmdline_len, struct boot_layout *lay, const char **why);
/* The e820 map for mem_size bytes of RAM; returns the entry count. */
unsigned int e820_build(struct e820_entry *e, unsigned int max,
			uint64_t mem_size);
/* Fill the zero page (4096 bytes). */
void boot_params_build(uint8_t *zp, const uint8_t *img, const struct kimage *k,
		       const struct boot_layout *lay, uint64_t mem_size,
		       size_t cmdline_len);
/* Copy kernel, initrd, command line, zero page, GDT, page tables. */
int boot_load(const struct guest_mem *m, const uint8_t *img,
	      const struct kimage *k, const struct boot_layout *lay,
	      const void *initrd, const char *cmdline);

#endif
