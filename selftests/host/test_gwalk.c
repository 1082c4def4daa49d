// SPDX-License-Identifier: GPL-2.0
/*
 * Host unit test of kmod/gwalk.c: the guest page-table walker. Page tables
 * are built in a byte array that stands for guest physical memory; the
 * read callback serves from it.
 */
#include <string.h>

#include "ksft.h"
#include "gwalk.h"

#define MEM_SIZE	0x100000	/* 1 MiB of "guest memory" for tables */

#define P	0x1ULL
#define RW	0x2ULL
#define US	0x4ULL
#define PS	0x80ULL
#define XD	(1ULL << 63)

#define CR0_PE	0x1ULL
#define CR0_WP	(1ULL << 16)
#define CR0_PG	(1ULL << 31)
#define CR4_PSE	(1ULL << 4)
#define CR4_PAE	(1ULL << 5)
#define CR4_LA57 (1ULL << 12)
#define CR4_SMEP (1ULL << 20)
#define T_EFER_LME (1ULL << 8)
#define T_EFER_LMA (1ULL << 10)
#define T_EFER_NXE (1ULL << 11)

#define W	KHV_GWALK_WRITE
#define U	KHV_GWALK_USER
#define X	KHV_GWALK_FETCH

static u8 mem[MEM_SIZE];
static int reads;
static int read_err;		/* returned by the callback when nonzero */

static int read_gpa(void *opaque, u64 gpa, void *buf, u32 len)
{
	reads++;
	if (read_err)
		return read_err;
	if (gpa >= MEM_SIZE || len > MEM_SIZE - gpa)
		return -ERANGE;
	memcpy(buf, mem + gpa, len);
	return 0;
}

static void put32(u64 gpa, u32 v)
{
	memcpy(mem + gpa, &v, 4);
}

static void put64(u64 gpa, u64 v)
{
	memcpy(mem + gpa, &v, 8);
}

static void reset(void)
{
	memset(mem, 0, sizeof(mem));
	reads = 0;
	read_err = 0;
}

static struct khv_gwalk_ctx ctx_of(u64 cr0, u64 cr3, u64 cr4, u64 efer)
{
	return (struct khv_gwalk_ctx){
		.cr0 = cr0, .cr3 = cr3, .cr4 = cr4, .efer = efer,
		.read_gpa = read_gpa, .phys_bits = 40, .gbpages = 1,
	};
}

/* Walk and expect a translation. */
#define CHECK_MAP(ctx, gla, acc, want_gpa, want_size)			\
	do {								\
		struct khv_gwalk_result _res;				\
		int _r = khv_gwalk(&(ctx), gla, acc, &_res);		\
		CHECK(_r == 0, "gla %#llx acc %#x: %d ec %#x",		\
		      (unsigned long long)(gla), (unsigned int)(acc), _r, \
		      _res.error_code);					\
		CHECK(_res.gpa == (u64)(want_gpa), "gla %#llx -> %#llx", \
		      (unsigned long long)(gla),			\
		      (unsigned long long)_res.gpa);			\
		CHECK(_res.page_size == (u64)(want_size), "size %#llx", \
		      (unsigned long long)_res.page_size);		\
		CHECK(_res.error_code == 0, "no error code");		\
	} while (0)

/* Walk and expect a #PF with this error code. */
#define CHECK_PF(ctx, gla, acc, want_ec)				\
	do {								\
		struct khv_gwalk_result _res;				\
		int _r = khv_gwalk(&(ctx), gla, acc, &_res);		\
		CHECK(_r == -EFAULT, "gla %#llx acc %#x: want #PF, got %d", \
		      (unsigned long long)(gla), (unsigned int)(acc), _r); \
		CHECK(_res.error_code == (u32)(want_ec),		\
		      "gla %#llx acc %#x: ec %#x, want %#x",		\
		      (unsigned long long)(gla), (unsigned int)(acc),	\
		      _res.error_code, (unsigned int)(want_ec));	\
	} while (0)

#define CHECK_ERR(ctx, gla, acc, want)					\
	do {								\
		struct khv_gwalk_result _res;				\
		int _r = khv_gwalk(&(ctx), gla, acc, &_res);		\
		CHECK(_r == (want), "gla %#llx: got %d, want %d",	\
		      (unsigned long long)(gla), _r, want);		\
	} while (0)

/*
 * 4-level tables: PML4 0x1000, PDPT 0x2000, PD 0x3000, PT 0x4000, all on
 * the path of gla, with the given flags; the PTE maps page.
 */
static void map4(u64 gla, u64 f4, u64 f3, u64 f2, u64 f1, u64 page)
{
	put64(0x1000 + 8 * ((gla >> 39) & 511), 0x2000 | f4);
	put64(0x2000 + 8 * ((gla >> 30) & 511), 0x3000 | f3);
	put64(0x3000 + 8 * ((gla >> 21) & 511), 0x4000 | f2);
	put64(0x4000 + 8 * ((gla >> 12) & 511), page | f1);
}

static const u64 ALL = P | RW | US;

static int t_paging_off(void)
{
	struct khv_gwalk_ctx c = ctx_of(CR0_PE, 0x1000, 0, 0);

	reset();
	CHECK_MAP(c, 0x12345678, 0, 0x12345678, 4096);
	CHECK_MAP(c, 0x12345678, W | U | 0, 0x12345678, 4096);
	CHECK_MAP(c, 0x100001000ULL, X, 0x1000, 4096);
	CHECK(reads == 0, "no memory read");
	return KSFT_PASS;
}

static int t_32bit_4k(void)
{
	struct khv_gwalk_ctx c = ctx_of(CR0_PE | CR0_PG, 0x1fff, 0, 0);
	const u32 gla = 0x00403123;	/* PDE 1, PTE 3 */

	reset();
	put32(0x1000 + 4 * 1, 0x2000 | ALL);
	put32(0x2000 + 4 * 3, 0x55555000 | ALL);
	CHECK_MAP(c, gla, 0, 0x55555123, 4096);
	CHECK_MAP(c, gla, W | U, 0x55555123, 4096);
	CHECK_MAP(c, 0xabc00000000ULL | gla, X, 0x55555123, 4096);	/* high bits dropped */
	/* Bits 51:12 of a PTE beyond 31 do not exist; bit 7 is PAT, not PS. */
	put32(0x2000 + 4 * 3, 0x55555000 | ALL | PS);
	CHECK_MAP(c, gla, 0, 0x55555123, 4096);
	/* Not present at either level; fetch has no I/D bit in 32-bit paging. */
	CHECK_PF(c, gla + 0x1000, 0, 0);
	CHECK_PF(c, gla + 0x1000, X | U, U);
	CHECK_PF(c, 0x00800000, W, W);
	/* PS without CR4.PSE points to a page table. */
	put32(0x1000 + 4 * 2, 0x3000 | ALL | PS);
	put32(0x3000, 0x77777000 | ALL);
	CHECK_MAP(c, 0x00800010, 0, 0x77777010, 4096);
	return KSFT_PASS;
}

static int t_32bit_4m(void)
{
	struct khv_gwalk_ctx c = ctx_of(CR0_PE | CR0_PG, 0x1000, CR4_PSE, 0);

	reset();
	put32(0x1000 + 4 * 2, 0x00c00000 | ALL | PS);
	CHECK_MAP(c, 0x00812345, 0, 0x00c12345, 0x400000);
	/* PSE-36: PDE bits 20:13 are physical bits 39:32. */
	put32(0x1000 + 4 * 2, 0x00c00000 | (0x12 << 13) | ALL | PS);
	CHECK_MAP(c, 0x00812345, 0, 0x1200c12345ULL, 0x400000);
	/* Bit 21 is reserved; so are address bits beyond MAXPHYADDR. */
	put32(0x1000 + 4 * 2, 0x00c00000 | (1 << 21) | ALL | PS);
	CHECK_PF(c, 0x00812345, 0, KHV_PFERR_PRESENT | KHV_PFERR_RSVD);
	CHECK_PF(c, 0x00812345, W | U, KHV_PFERR_PRESENT | KHV_PFERR_RSVD | W | U);
	c.phys_bits = 36;
	put32(0x1000 + 4 * 2, 0x00c00000 | (0x1f << 13) | ALL | PS);
	CHECK_PF(c, 0x00812345, 0, KHV_PFERR_PRESENT | KHV_PFERR_RSVD);
	put32(0x1000 + 4 * 2, 0x00c00000 | (0xf << 13) | ALL | PS);
	CHECK_MAP(c, 0x00812345, 0, 0xf00c12345ULL, 0x400000);
	c.phys_bits = 32;
	CHECK_PF(c, 0x00812345, 0, KHV_PFERR_PRESENT | KHV_PFERR_RSVD);
	return KSFT_PASS;
}

static int t_32bit_protection(void)
{
	struct khv_gwalk_ctx c = ctx_of(CR0_PE | CR0_PG, 0x1000, CR4_PSE, 0);

	reset();
	put32(0x1000, 0x2000 | P | RW);				/* supervisor table */
	put32(0x2000, 0x10000 | ALL);
	put32(0x1000 + 4, 0x3000 | P | US);			/* read-only table */
	put32(0x3000, 0x20000 | ALL);
	CHECK_MAP(c, 0x10, W, 0x10010, 4096);
	CHECK_PF(c, 0x10, U, KHV_PFERR_PRESENT | U);
	CHECK_PF(c, 0x10, X | U, KHV_PFERR_PRESENT | U);	/* no I/D */
	c.efer = T_EFER_NXE;	/* no XD bit to honour either */
	CHECK_PF(c, 0x10, X | U, KHV_PFERR_PRESENT | U);
	CHECK_PF(c, 0x800000, X, 0);
	c.efer = 0;
	CHECK_MAP(c, 0x400010, U, 0x20010, 4096);
	CHECK_PF(c, 0x400010, U | W, KHV_PFERR_PRESENT | U | W);
	/* Supervisor writes ignore R/W unless CR0.WP. */
	CHECK_MAP(c, 0x400010, W, 0x20010, 4096);
	c.cr0 |= CR0_WP;
	CHECK_PF(c, 0x400010, W, KHV_PFERR_PRESENT | W);
	return KSFT_PASS;
}

static int t_pae(void)
{
	struct khv_gwalk_ctx c = ctx_of(CR0_PE | CR0_PG, 0x1020, CR4_PAE, T_EFER_NXE);
	u64 regs[4] = { 0 };

	reset();
	c.phys_bits = 48;
	/* PDPTE 2 (gla 0x80000000..) -> PD 0x2000; PDE 1 -> PT 0x3000; PTE 5. */
	put64(0x1020 + 8 * 2, 0x2000 | P);
	put64(0x2000 + 8 * 1, 0x3000 | ALL);
	put64(0x3000 + 8 * 5, 0x123456789000ULL | ALL);
	CHECK_MAP(c, 0x80205abc, W | U, 0x123456789abcULL, 4096);
	/* 2M page, PS honoured without CR4.PSE. */
	put64(0x2000 + 8 * 2, 0xabc00000ULL | ALL | PS);
	CHECK_MAP(c, 0x80412345, 0, 0xabc12345ULL, 0x200000);
	put64(0x2000 + 8 * 2, 0xabc00000ULL | (1 << 13) | ALL | PS);
	CHECK_PF(c, 0x80412345, 0, KHV_PFERR_PRESENT | KHV_PFERR_RSVD);
	/* PDPTE: no rights of its own, bits 2:1 reserved. */
	put64(0x1020 + 8 * 2, 0x2000 | P | RW);
	CHECK_PF(c, 0x80205abc, 0, KHV_PFERR_PRESENT | KHV_PFERR_RSVD);
	put64(0x1020 + 8 * 2, 0x2000 | P);
	CHECK_PF(c, 0x00205abc, X, KHV_PFERR_FETCH);		/* PDPTE 0 absent */
	/* XD at the PDE with NXE; bits 62:M reserved. */
	put64(0x2000 + 8 * 1, 0x3000 | ALL | XD);
	CHECK_PF(c, 0x80205abc, X, KHV_PFERR_PRESENT | KHV_PFERR_FETCH);
	CHECK_MAP(c, 0x80205abc, 0, 0x123456789abcULL, 4096);
	put64(0x2000 + 8 * 1, 0x3000 | ALL | (1ULL << 62));
	CHECK_PF(c, 0x80205abc, 0, KHV_PFERR_PRESENT | KHV_PFERR_RSVD);
	put64(0x2000 + 8 * 1, 0x3000 | ALL);
	/* PDPTE registers, when given, win over memory. */
	regs[2] = 0x5000 | P;
	put64(0x5000 + 8 * 1, 0x6000 | ALL);
	put64(0x6000 + 8 * 5, 0x7000 | ALL);
	c.pdptes = regs;
	CHECK_MAP(c, 0x80205abc, 0, 0x7abc, 4096);
	CHECK_PF(c, 0xc0000000, W, W | 0);
	return KSFT_PASS;
}

static int t_pae_nx_off(void)
{
	struct khv_gwalk_ctx c = ctx_of(CR0_PE | CR0_PG, 0x1000, CR4_PAE, 0);

	reset();
	put64(0x1000, 0x2000 | P);
	put64(0x2000, 0x3000 | ALL);
	put64(0x3000, 0x4000 | ALL | XD);
	/* XD is reserved without NXE, and fetches report no I/D. */
	CHECK_PF(c, 0x123, X, KHV_PFERR_PRESENT | KHV_PFERR_RSVD);
	put64(0x3000, 0x4000 | ALL);
	CHECK_MAP(c, 0x123, X, 0x4123, 4096);
	CHECK_PF(c, 0x1000, X, 0);
	return KSFT_PASS;
}

static int t_4level_sizes(void)
{
	struct khv_gwalk_ctx c = ctx_of(CR0_PE | CR0_PG | CR0_WP, 0x1000,
					CR4_PAE, T_EFER_LME | T_EFER_LMA | T_EFER_NXE);
	const u64 hi = 0xffff888012345678ULL;	/* PML4 273 */

	reset();
	map4(0x7f1234567abcULL, ALL, ALL, ALL, ALL, 0xfedcba000ULL);
	CHECK_MAP(c, 0x7f1234567abcULL, W | U, 0xfedcbaabcULL, 4096);
	map4(hi, P | RW, P | RW, P | RW, P | RW | XD, 0x99000);
	CHECK_MAP(c, hi, W, 0x99678, 4096);
	/* 2M page. */
	put64(0x3000 + 8 * ((hi >> 21) & 511), 0x40000000ULL | P | PS);
	CHECK_MAP(c, hi, X, 0x40000000ULL + (hi & 0x1fffff), 0x200000);
	/* 1G page: bits 29:13 reserved. */
	put64(0x2000 + 8 * ((hi >> 30) & 511), 0x80000000ULL | P | PS);
	CHECK_MAP(c, hi, 0, 0x80000000ULL + (hi & 0x3fffffff), 0x40000000);
	put64(0x2000 + 8 * ((hi >> 30) & 511), 0xc0000000ULL | 0x200000 | P | PS);
	CHECK_PF(c, hi, 0, KHV_PFERR_PRESENT | KHV_PFERR_RSVD);
	/* Without 1G pages PS is reserved in a PDPTE. */
	put64(0x2000 + 8 * ((hi >> 30) & 511), 0x80000000ULL | P | PS);
	c.gbpages = 0;
	CHECK_PF(c, hi, 0, KHV_PFERR_PRESENT | KHV_PFERR_RSVD);
	/* PS is always reserved in a PML4E. */
	c.gbpages = 1;
	put64(0x1000 + 8 * 273, 0x2000 | P | PS);
	CHECK_PF(c, hi, X, KHV_PFERR_PRESENT | KHV_PFERR_RSVD | KHV_PFERR_FETCH);
	/* CR3 low bits (PCID, PWT/PCD) do not move the PML4. */
	c.cr3 = 0x1fff;
	CHECK_MAP(c, 0x7f1234567abcULL, 0, 0xfedcbaabcULL, 4096);
	return KSFT_PASS;
}

static int t_4level_reserved(void)
{
	struct khv_gwalk_ctx c = ctx_of(CR0_PE | CR0_PG, 0x1000, CR4_PAE,
					T_EFER_LME | T_EFER_LMA);
	const u64 gla = 0x201000;	/* PML4 0, PDPT 0, PD 1, PT 1 */
	const u32 rsvd = KHV_PFERR_PRESENT | KHV_PFERR_RSVD;

	reset();
	map4(gla, ALL, ALL, ALL, ALL, 0x5000);
	CHECK_MAP(c, gla, 0, 0x5000, 4096);
	/* Address bit 40 with MAXPHYADDR 40, at each level in turn. */
	put64(0x4000 + 8, 0x5000 | ALL | (1ULL << 40));
	CHECK_PF(c, gla, 0, rsvd);
	c.phys_bits = 41;
	CHECK_MAP(c, gla, 0, 0x10000005000ULL, 4096);
	c.phys_bits = 40;
	put64(0x4000 + 8, 0x5000 | ALL);
	put64(0x1000, 0x2000 | ALL | (1ULL << 51));
	CHECK_PF(c, gla, U | W, rsvd | U | W);
	/* Bits 62:52 are ignored; bit 63 is reserved without NXE. */
	put64(0x1000, 0x2000 | ALL | (0x7ffULL << 52));
	CHECK_MAP(c, gla, 0, 0x5000, 4096);
	put64(0x1000, 0x2000 | ALL | XD);
	CHECK_PF(c, gla, X, rsvd);
	c.efer |= T_EFER_NXE;
	CHECK_MAP(c, gla, 0, 0x5000, 4096);
	CHECK_PF(c, gla, X, KHV_PFERR_PRESENT | KHV_PFERR_FETCH);
	/* A reserved bit under a not-present entry is not looked at. */
	put64(0x3000 + 8, 0x4000 | (1ULL << 45));
	CHECK_PF(c, gla, 0, 0);
	return KSFT_PASS;
}

static int t_4level_protection(void)
{
	struct khv_gwalk_ctx c = ctx_of(CR0_PE | CR0_PG, 0x1000, CR4_PAE,
					T_EFER_LME | T_EFER_LMA | T_EFER_NXE);
	const u64 gla = 0x400000123ULL;
	const u32 pp = KHV_PFERR_PRESENT;

	reset();
	/* Rights are the AND over levels: a supervisor-only PDE hides the user PTE. */
	map4(gla, ALL, ALL, P | RW, ALL, 0x8000);
	CHECK_MAP(c, gla, W, 0x8123, 4096);
	CHECK_PF(c, gla, U, pp | U);
	CHECK_PF(c, gla, U | W, pp | U | W);
	CHECK_PF(c, gla, U | X, pp | U | KHV_PFERR_FETCH);
	/* A read-only PDPTE: user writes fault, supervisor writes need WP. */
	map4(gla, ALL, P | US, ALL, ALL, 0x8000);
	CHECK_MAP(c, gla, U, 0x8123, 4096);
	CHECK_PF(c, gla, U | W, pp | U | W);
	CHECK_MAP(c, gla, W, 0x8123, 4096);
	c.cr0 |= CR0_WP;
	CHECK_PF(c, gla, W, pp | W);
	/* XD anywhere on the path. */
	map4(gla, ALL | XD, ALL, ALL, ALL, 0x8000);
	CHECK_PF(c, gla, X, pp | KHV_PFERR_FETCH);
	CHECK_PF(c, gla, X | U, pp | U | KHV_PFERR_FETCH);
	CHECK_MAP(c, gla, U | W, 0x8123, 4096);
	/* SMEP: no supervisor fetch from a user page, I/D even without NXE. */
	map4(gla, ALL, ALL, ALL, ALL, 0x8000);
	c.cr4 |= CR4_SMEP;
	c.efer &= ~T_EFER_NXE;
	CHECK_PF(c, gla, X, pp | KHV_PFERR_FETCH);
	CHECK_MAP(c, gla, X | U, 0x8123, 4096);
	CHECK_MAP(c, gla, 0, 0x8123, 4096);
	map4(gla, ALL, ALL, P, ALL, 0x8000);
	CHECK_MAP(c, gla, X, 0x8123, 4096);
	/* Not present, per level. */
	map4(gla, ALL, ALL, ALL, RW | US, 0x8000);
	CHECK_PF(c, gla, U | W, U | W);
	CHECK_PF(c, gla, X, KHV_PFERR_FETCH);
	map4(gla, ALL, ALL, 0, ALL, 0x8000);
	CHECK_PF(c, gla, 0, 0);
	map4(gla, ALL, RW, ALL, ALL, 0x8000);
	CHECK_PF(c, gla, U, U);
	map4(gla, 0, ALL, ALL, ALL, 0x8000);
	CHECK_PF(c, gla, W, W);
	return KSFT_PASS;
}

static int t_errors(void)
{
	struct khv_gwalk_ctx c = ctx_of(CR0_PE | CR0_PG, 0x1000, CR4_PAE,
					T_EFER_LME | T_EFER_LMA);
	struct khv_gwalk_result res;

	reset();
	map4(0x1000, ALL, ALL, ALL, ALL, 0x8000);
	CHECK_MAP(c, 0x1000, 0, 0x8000, 4096);
	/* The read callback's errors come back as they are, but -EFAULT and -ENOENT. */
	read_err = -ENOMEM;
	CHECK_ERR(c, 0x1000, 0, -ENOMEM);
	read_err = -EFAULT;
	CHECK_ERR(c, 0x1000, 0, -EIO);
	/* A table where no RAM is: a not-present #PF, with the access bits. */
	read_err = -ENOENT;
	CHECK_PF(c, 0x1000, 0, 0);
	CHECK_PF(c, 0x1000, W | U, W | U);
	read_err = 0;
	c.cr3 = 0x200000;	/* outside mem[] */
	CHECK_ERR(c, 0x1000, 0, -ERANGE);
	c.cr3 = 0x1000;
	/* Non-canonical, 5-level, inconsistent registers, bad arguments. */
	CHECK_ERR(c, 0x0000800000000000ULL, 0, -EINVAL);
	CHECK_ERR(c, 0xffff7fffffffffffULL, 0, -EINVAL);
	c.cr4 |= CR4_LA57;
	CHECK_ERR(c, 0x1000, 0, -EOPNOTSUPP);
	c.cr4 = 0;
	CHECK_ERR(c, 0x1000, 0, -EINVAL);		/* LMA without PAE */
	c.cr4 = CR4_PAE;
	CHECK_ERR(c, 0x1000, W | X, -EINVAL);
	CHECK_ERR(c, 0x1000, 1, -EINVAL);
	c.phys_bits = 31;
	CHECK_ERR(c, 0x1000, 0, -EINVAL);
	c.phys_bits = 53;
	CHECK_ERR(c, 0x1000, 0, -EINVAL);
	c.phys_bits = 52;
	CHECK_MAP(c, 0x1000, 0, 0x8000, 4096);
	/* A fault clears the result. */
	c.cr0 |= CR0_WP;
	put64(0x4000 + 8, 0x8000 | P);
	CHECK(khv_gwalk(&c, 0x1000, W, &res) == -EFAULT && res.gpa == 0 &&
	      res.page_size == 0, "result cleared");
	return KSFT_PASS;
}

static const struct ksft_case cases[] = {
	{ "gwalk_paging_off", t_paging_off },
	{ "gwalk_32bit_4k", t_32bit_4k },
	{ "gwalk_32bit_4m_pse36", t_32bit_4m },
	{ "gwalk_32bit_protection", t_32bit_protection },
	{ "gwalk_pae", t_pae },
	{ "gwalk_pae_nx_off", t_pae_nx_off },
	{ "gwalk_4level_sizes", t_4level_sizes },
	{ "gwalk_4level_reserved", t_4level_reserved },
	{ "gwalk_4level_protection", t_4level_protection },
	{ "gwalk_errors", t_errors },
};

int main(void)
{
	return KSFT_RUN(cases);
}
