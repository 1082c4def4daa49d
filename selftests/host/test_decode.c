// SPDX-License-Identifier: GPL-2.0
/*
 * Host unit test of kmod/decode.c: the MMIO instruction decoder. The byte
 * sequences are what GCC emits for Linux's readX/writeX, memcpy_toio and
 * friends, the read-modify-write forms (ALU) as GNU as assembles them,
 * plus the 16-bit and prefix corner cases. Lengths agree with
 * objdump -D -b binary -mi386:x86-64 (-mi386, -mi8086 for the other modes).
 */
#include <stdio.h>
#include <string.h>

#include "ksft.h"
#include "decode.h"

/* Decode a hex string such as "48 8b 07". */
static int dec(const char *hex, enum khv_cpu_mode mode, struct khv_insn *insn)
{
	u8 buf[32];
	u32 n = 0;
	unsigned int b;
	int used;

	while (n < sizeof(buf) && sscanf(hex, " %2x%n", &b, &used) == 1) {
		buf[n++] = b;
		hex += used;
	}
	return khv_insn_decode(buf, n, mode, insn);
}

#define L64	KHV_MODE_LONG64
#define P32	KHV_MODE_PROT32
#define P16	KHV_MODE_PROT16
#define REAL	KHV_MODE_REAL
#define NONE	KHV_REG_NONE

/* Decode and check the common fields. */
#define CHECK_INSN(hex, mode, k, l, sz, r)				\
	do {								\
		int _r = dec(hex, mode, &i);				\
		CHECK(_r == 0, "%s: decode returned %d", hex, _r);	\
		CHECK(i.kind == (k), "%s: kind %u", hex, i.kind);	\
		CHECK(i.len == (l), "%s: len %u", hex, i.len);		\
		CHECK(i.size == (sz), "%s: size %u", hex, i.size);	\
		CHECK(i.reg == (r), "%s: reg %u", hex, i.reg);		\
	} while (0)

#define CHECK_MEM(base_, index_, scale_, disp_, seg_)			\
	do {								\
		CHECK(i.mem.base == (base_), "base %u", i.mem.base);	\
		CHECK(i.mem.index == (index_), "index %u", i.mem.index); \
		CHECK(i.mem.scale == (scale_), "scale %u", i.mem.scale); \
		CHECK(i.mem.disp == (u64)(disp_), "disp %#llx",	\
		      (unsigned long long)i.mem.disp);			\
		CHECK(i.seg == (seg_), "seg %u", i.seg);		\
	} while (0)

static int t_mov_loads_stores(void)
{
	struct khv_insn i;

	CHECK_INSN("8b 07", L64, KHV_INSN_LOAD, 2, 4, KHV_REG_RAX);	/* readl */
	CHECK_MEM(KHV_REG_RDI, NONE, 1, 0, KHV_SEG_DS);
	CHECK(i.dst_size == 4 && i.ext == KHV_EXT_NONE && !i.reg_high, "dst");
	CHECK(i.addr_size == 8 && !i.mem.rip_rel && i.rep == KHV_REP_NONE, "asz");
	CHECK_INSN("89 37", L64, KHV_INSN_STORE_REG, 2, 4, KHV_REG_RSI);	/* writel */
	CHECK(i.dst_size == 0, "store has no dst");
	CHECK_INSN("66 89 37", L64, KHV_INSN_STORE_REG, 3, 2, KHV_REG_RSI);	/* writew */
	CHECK_INSN("88 07", L64, KHV_INSN_STORE_REG, 2, 1, KHV_REG_RAX);	/* writeb */
	CHECK(!i.reg_high, "AL");
	CHECK_INSN("8a 07", L64, KHV_INSN_LOAD, 2, 1, KHV_REG_RAX);	/* readb */
	CHECK(i.dst_size == 1, "dst 1");
	CHECK_INSN("48 8b 07", L64, KHV_INSN_LOAD, 3, 8, KHV_REG_RAX);	/* readq */
	CHECK(i.dst_size == 8, "dst 8");
	CHECK_INSN("48 89 37", L64, KHV_INSN_STORE_REG, 3, 8, KHV_REG_RSI);	/* writeq */
	CHECK_INSN("8b 87 00 01 00 00", L64, KHV_INSN_LOAD, 6, 4, KHV_REG_RAX);
	CHECK_MEM(KHV_REG_RDI, NONE, 1, 0x100, KHV_SEG_DS);
	CHECK_INSN("8b 47 fc", L64, KHV_INSN_LOAD, 3, 4, KHV_REG_RAX);	/* disp8 -4 */
	CHECK_MEM(KHV_REG_RDI, NONE, 1, -4, KHV_SEG_DS);
	return KSFT_PASS;
}

static int t_movzx_movsx(void)
{
	struct khv_insn i;

	CHECK_INSN("0f b6 07", L64, KHV_INSN_LOAD, 3, 1, KHV_REG_RAX);
	CHECK(i.ext == KHV_EXT_ZERO && i.dst_size == 4, "movzbl");
	CHECK_INSN("0f b7 47 04", L64, KHV_INSN_LOAD, 4, 2, KHV_REG_RAX);
	CHECK(i.ext == KHV_EXT_ZERO && i.dst_size == 4, "movzwl");
	CHECK_MEM(KHV_REG_RDI, NONE, 1, 4, KHV_SEG_DS);
	CHECK_INSN("0f be 07", L64, KHV_INSN_LOAD, 3, 1, KHV_REG_RAX);
	CHECK(i.ext == KHV_EXT_SIGN && i.dst_size == 4, "movsbl");
	CHECK_INSN("48 0f bf 0f", L64, KHV_INSN_LOAD, 4, 2, KHV_REG_RCX);
	CHECK(i.ext == KHV_EXT_SIGN && i.dst_size == 8, "movswq");
	CHECK_INSN("66 0f be 07", L64, KHV_INSN_LOAD, 4, 1, KHV_REG_RAX);
	CHECK(i.dst_size == 2, "movsbw");
	/* The destination of MOVZX r32, r/m8 is never AH..BH. */
	CHECK_INSN("0f b6 27", L64, KHV_INSN_LOAD, 3, 1, KHV_REG_RSP);
	CHECK(!i.reg_high, "ESP, not AH");
	CHECK(dec("f3 0f b6 07", L64, &i) == -EOPNOTSUPP, "F3 0F B6");
	return KSFT_PASS;
}

static int t_rip_relative(void)
{
	static const u64 gprs[KHV_NR_GPRS];
	struct khv_insn i;

	CHECK_INSN("8b 05 10 00 00 00", L64, KHV_INSN_LOAD, 6, 4, KHV_REG_RAX);
	CHECK(i.mem.rip_rel && i.mem.base == NONE && i.mem.index == NONE, "rip");
	CHECK(khv_insn_mem_offset(&i, gprs, 0x1000) == 0x1016, "ea");
	/* RIP is that of the next instruction, after the immediate. */
	CHECK_INSN("c7 05 f0 ff ff ff 01 00 00 00", L64, KHV_INSN_STORE_IMM, 10, 4, NONE);
	CHECK(khv_insn_mem_offset(&i, gprs, 0x1000) == 0x1000 + 10 - 0x10, "ea imm");
	/* The same bytes outside 64-bit mode are an absolute disp32. */
	CHECK_INSN("8b 05 10 00 00 00", P32, KHV_INSN_LOAD, 6, 4, KHV_REG_RAX);
	CHECK(!i.mem.rip_rel && khv_insn_mem_offset(&i, gprs, 0x1000) == 0x10, "abs");
	/* SIB with no base and no index is absolute even in 64-bit mode. */
	CHECK_INSN("8b 04 25 10 00 00 00", L64, KHV_INSN_LOAD, 7, 4, KHV_REG_RAX);
	CHECK(!i.mem.rip_rel && khv_insn_mem_offset(&i, gprs, 0x1000) == 0x10, "sib abs");
	return KSFT_PASS;
}

static int t_store_imm(void)
{
	struct khv_insn i;

	CHECK_INSN("c7 07 78 56 34 12", L64, KHV_INSN_STORE_IMM, 6, 4, NONE);
	CHECK(i.imm == 0x12345678, "imm32 %#llx", (unsigned long long)i.imm);
	CHECK_INSN("48 c7 07 ff ff ff ff", L64, KHV_INSN_STORE_IMM, 7, 8, NONE);
	CHECK(i.imm == ~0ULL, "imm32 sign-extended to 64");
	CHECK_INSN("48 c7 07 00 00 00 80", L64, KHV_INSN_STORE_IMM, 7, 8, NONE);
	CHECK(i.imm == 0xffffffff80000000ULL, "imm32 sign-extended to 64");
	CHECK_INSN("48 c7 07 ff ff ff 7f", L64, KHV_INSN_STORE_IMM, 7, 8, NONE);
	CHECK(i.imm == 0x7fffffff, "positive imm32");
	CHECK_INSN("c6 47 08 ff", L64, KHV_INSN_STORE_IMM, 4, 1, NONE);
	CHECK(i.imm == 0xff, "imm8");
	CHECK_MEM(KHV_REG_RDI, NONE, 1, 8, KHV_SEG_DS);
	CHECK_INSN("66 c7 07 34 12", L64, KHV_INSN_STORE_IMM, 5, 2, NONE);
	CHECK(i.imm == 0x1234, "imm16");
	CHECK_INSN("c7 07 34 12", REAL, KHV_INSN_STORE_IMM, 4, 2, NONE);
	CHECK(i.imm == 0x1234, "real-mode imm16");
	CHECK_INSN("66 c7 07 78 56 34 12", REAL, KHV_INSN_STORE_IMM, 7, 4, NONE);
	CHECK(i.imm == 0x12345678, "real-mode imm32");
	/* C6/C7 with ModRM.reg != 0 are not MOV. */
	CHECK(dec("c7 0f 00 00 00 00", L64, &i) == -EOPNOTSUPP, "C7 /1");
	CHECK(dec("c6 f8 00", L64, &i) == -EOPNOTSUPP, "XABORT");
	return KSFT_PASS;
}

static int t_moffs(void)
{
	struct khv_insn i;

	CHECK_INSN("a1 08 07 06 05 04 03 02 01", L64, KHV_INSN_LOAD, 9, 4, KHV_REG_RAX);
	CHECK_MEM(NONE, NONE, 1, 0x0102030405060708ULL, KHV_SEG_DS);
	CHECK(i.dst_size == 4, "dst");
	CHECK_INSN("48 a3 f0 ff ff ff ff ff ff ff", L64, KHV_INSN_STORE_REG, 10, 8, KHV_REG_RAX);
	CHECK(i.mem.disp == 0xfffffffffffffff0ULL, "moffs64");
	CHECK_INSN("67 a1 78 56 34 f2", L64, KHV_INSN_LOAD, 6, 4, KHV_REG_RAX);
	CHECK(i.mem.disp == 0xf2345678 && i.addr_size == 4, "moffs32 zero-extended");
	CHECK_INSN("a0 00 10 00 00", P32, KHV_INSN_LOAD, 5, 1, KHV_REG_RAX);
	CHECK(i.mem.disp == 0x1000 && !i.reg_high, "AL, moffs32");
	CHECK_INSN("a2 34 12", REAL, KHV_INSN_STORE_REG, 3, 1, KHV_REG_RAX);
	CHECK(i.mem.disp == 0x1234, "moffs16");
	CHECK_INSN("64 a3 34 12", REAL, KHV_INSN_STORE_REG, 4, 2, KHV_REG_RAX);
	CHECK(i.seg == KHV_SEG_FS, "FS moffs");
	CHECK(dec("a1 08 07 06 05", L64, &i) == -EAGAIN, "moffs64 truncated");
	return KSFT_PASS;
}

static int t_strings(void)
{
	struct khv_insn i;

	CHECK_INSN("f3 a5", L64, KHV_INSN_MOVS, 2, 4, NONE);	/* rep movsl */
	CHECK(i.rep == KHV_REP_REP && i.addr_size == 8, "rep");
	CHECK_MEM(KHV_REG_RSI, NONE, 1, 0, KHV_SEG_DS);
	CHECK_INSN("f3 48 a5", L64, KHV_INSN_MOVS, 3, 8, NONE);	/* rep movsq */
	CHECK_INSN("f3 a4", L64, KHV_INSN_MOVS, 2, 1, NONE);	/* rep movsb */
	CHECK_INSN("f3 ab", L64, KHV_INSN_STOS, 2, 4, KHV_REG_RAX);	/* rep stosl */
	CHECK_MEM(KHV_REG_RDI, NONE, 1, 0, KHV_SEG_ES);
	CHECK_INSN("aa", L64, KHV_INSN_STOS, 1, 1, KHV_REG_RAX);
	CHECK(i.rep == KHV_REP_NONE && !i.reg_high, "stosb");
	CHECK_INSN("f3 ac", L64, KHV_INSN_LODS, 2, 1, KHV_REG_RAX);
	CHECK(i.dst_size == 1 && i.seg == KHV_SEG_DS, "lodsb");
	CHECK_INSN("48 ad", L64, KHV_INSN_LODS, 2, 8, KHV_REG_RAX);
	CHECK_INSN("f2 a5", L64, KHV_INSN_MOVS, 2, 4, NONE);
	CHECK(i.rep == KHV_REP_REPNE, "repne as encoded");
	CHECK_INSN("f3 66 a5", L64, KHV_INSN_MOVS, 3, 2, NONE);
	CHECK_INSN("67 f3 a4", L64, KHV_INSN_MOVS, 3, 1, NONE);
	CHECK(i.addr_size == 4, "movsb with 32-bit rSI/rDI");
	CHECK_INSN("f3 a5", REAL, KHV_INSN_MOVS, 2, 2, NONE);
	CHECK(i.addr_size == 2, "real-mode movsw");
	/* Source segment overridable (FS/GS only in 64-bit mode), destination not. */
	CHECK_INSN("64 a4", L64, KHV_INSN_MOVS, 2, 1, NONE);
	CHECK(i.seg == KHV_SEG_FS, "fs movsb");
	CHECK_INSN("2e ac", P32, KHV_INSN_LODS, 2, 1, KHV_REG_RAX);
	CHECK(i.seg == KHV_SEG_CS, "cs lodsb");
	CHECK_INSN("65 ab", L64, KHV_INSN_STOS, 2, 4, KHV_REG_RAX);
	CHECK(i.seg == KHV_SEG_ES, "stos ignores override");
	CHECK(dec("a6", L64, &i) == -EOPNOTSUPP, "cmpsb");
	CHECK(dec("f3 af", L64, &i) == -EOPNOTSUPP, "repe scasl");
	return KSFT_PASS;
}

static int t_sib_and_segments(void)
{
	struct khv_insn i;

	CHECK_INSN("65 8b 04 25 28 00 00 00", L64, KHV_INSN_LOAD, 8, 4, KHV_REG_RAX);
	CHECK_MEM(NONE, NONE, 1, 0x28, KHV_SEG_GS);
	CHECK_INSN("8b 04 8d 10 00 00 00", L64, KHV_INSN_LOAD, 7, 4, KHV_REG_RAX);
	CHECK_MEM(NONE, KHV_REG_RCX, 4, 0x10, KHV_SEG_DS);
	CHECK_INSN("8b 44 d8 08", L64, KHV_INSN_LOAD, 4, 4, KHV_REG_RAX);
	CHECK_MEM(KHV_REG_RAX, KHV_REG_RBX, 8, 8, KHV_SEG_DS);
	CHECK_INSN("42 8b 04 a0", L64, KHV_INSN_LOAD, 4, 4, KHV_REG_RAX);
	CHECK_MEM(KHV_REG_RAX, KHV_REG_R12, 4, 0, KHV_SEG_DS);
	CHECK_INSN("43 8b 44 25 00", L64, KHV_INSN_LOAD, 5, 4, KHV_REG_RAX);
	CHECK_MEM(KHV_REG_R13, KHV_REG_R12, 1, 0, KHV_SEG_DS);
	/* SIB base 101 with mod 00 is disp32 even with REX.B. */
	CHECK_INSN("41 8b 04 25 00 10 00 00", L64, KHV_INSN_LOAD, 8, 4, KHV_REG_RAX);
	CHECK_MEM(NONE, NONE, 1, 0x1000, KHV_SEG_DS);
	/* rBP/rSP bases default to SS; R12/R13 do not. */
	CHECK_INSN("8b 45 08", L64, KHV_INSN_LOAD, 3, 4, KHV_REG_RAX);
	CHECK_MEM(KHV_REG_RBP, NONE, 1, 8, KHV_SEG_SS);
	CHECK_INSN("8b 04 24", L64, KHV_INSN_LOAD, 3, 4, KHV_REG_RAX);
	CHECK_MEM(KHV_REG_RSP, NONE, 1, 0, KHV_SEG_SS);
	CHECK_INSN("41 8b 45 00", L64, KHV_INSN_LOAD, 4, 4, KHV_REG_RAX);
	CHECK_MEM(KHV_REG_R13, NONE, 1, 0, KHV_SEG_DS);
	CHECK_INSN("41 8b 04 24", L64, KHV_INSN_LOAD, 4, 4, KHV_REG_RAX);
	CHECK_MEM(KHV_REG_R12, NONE, 1, 0, KHV_SEG_DS);
	/* ES/CS/SS/DS overrides are ignored in 64-bit mode, honoured elsewhere. */
	CHECK_INSN("26 8b 07", L64, KHV_INSN_LOAD, 3, 4, KHV_REG_RAX);
	CHECK(i.seg == KHV_SEG_DS, "es ignored");
	CHECK_INSN("26 8b 07", P32, KHV_INSN_LOAD, 3, 4, KHV_REG_RAX);
	CHECK(i.seg == KHV_SEG_ES, "es");
	CHECK_INSN("36 8b 07", P32, KHV_INSN_LOAD, 3, 4, KHV_REG_RAX);
	CHECK(i.seg == KHV_SEG_SS, "ss");
	CHECK_INSN("3e 8b 45 08", P32, KHV_INSN_LOAD, 4, 4, KHV_REG_RAX);
	CHECK(i.seg == KHV_SEG_DS, "ds over ss default");
	CHECK_INSN("64 8b 07", L64, KHV_INSN_LOAD, 3, 4, KHV_REG_RAX);
	CHECK(i.seg == KHV_SEG_FS, "fs");
	return KSFT_PASS;
}

static int t_rex_registers(void)
{
	struct khv_insn i;

	CHECK_INSN("44 89 00", L64, KHV_INSN_STORE_REG, 3, 4, KHV_REG_R8);
	CHECK(i.mem.base == KHV_REG_RAX, "base rax");
	CHECK_INSN("41 8b 00", L64, KHV_INSN_LOAD, 3, 4, KHV_REG_RAX);
	CHECK(i.mem.base == KHV_REG_R8, "base r8");
	CHECK_INSN("45 88 7f 01", L64, KHV_INSN_STORE_REG, 4, 1, KHV_REG_R15);
	CHECK(!i.reg_high && i.mem.base == KHV_REG_R15, "r15b");
	CHECK_INSN("40 88 37", L64, KHV_INSN_STORE_REG, 3, 1, KHV_REG_RSI);
	CHECK(!i.reg_high, "SIL");
	CHECK_INSN("88 37", L64, KHV_INSN_STORE_REG, 2, 1, KHV_REG_RDX);
	CHECK(i.reg_high, "DH");
	CHECK_INSN("88 27", L64, KHV_INSN_STORE_REG, 2, 1, KHV_REG_RAX);
	CHECK(i.reg_high, "AH");
	CHECK_INSN("8a 3e", P32, KHV_INSN_LOAD, 2, 1, KHV_REG_RBX);
	CHECK(i.reg_high, "BH");
	/* REX counts only right before the opcode; REX.W beats 66. */
	CHECK_INSN("48 66 8b 07", L64, KHV_INSN_LOAD, 4, 2, KHV_REG_RAX);
	CHECK_INSN("66 48 8b 07", L64, KHV_INSN_LOAD, 4, 8, KHV_REG_RAX);
	CHECK_INSN("44 48 8b 07", L64, KHV_INSN_LOAD, 4, 8, KHV_REG_RAX);
	CHECK_INSN("41 66 88 27", L64, KHV_INSN_STORE_REG, 4, 1, KHV_REG_RAX);
	CHECK(i.reg_high && i.mem.base == KHV_REG_RDI, "ignored REX: AH, [rdi]");
	/* 40-4F are INC/DEC outside 64-bit mode. */
	CHECK(dec("48 8b 07", P32, &i) == -EOPNOTSUPP, "dec eax");
	return KSFT_PASS;
}

static int t_16bit_addressing(void)
{
	struct khv_insn i;

	CHECK_INSN("8b 07", REAL, KHV_INSN_LOAD, 2, 2, KHV_REG_RAX);
	CHECK_MEM(KHV_REG_RBX, NONE, 1, 0, KHV_SEG_DS);
	CHECK(i.addr_size == 2 && i.dst_size == 2, "16/16");
	CHECK_INSN("66 8b 07", REAL, KHV_INSN_LOAD, 3, 4, KHV_REG_RAX);
	CHECK(i.addr_size == 2 && i.dst_size == 4, "32-bit operand");
	CHECK_INSN("8b 46 02", REAL, KHV_INSN_LOAD, 3, 2, KHV_REG_RAX);
	CHECK_MEM(KHV_REG_RBP, NONE, 1, 2, KHV_SEG_SS);
	CHECK_INSN("8b 06 34 12", P16, KHV_INSN_LOAD, 4, 2, KHV_REG_RAX);
	CHECK_MEM(NONE, NONE, 1, 0x1234, KHV_SEG_DS);
	CHECK_INSN("89 00", REAL, KHV_INSN_STORE_REG, 2, 2, KHV_REG_RAX);
	CHECK_MEM(KHV_REG_RBX, KHV_REG_RSI, 1, 0, KHV_SEG_DS);
	CHECK_INSN("89 83 00 80", REAL, KHV_INSN_STORE_REG, 4, 2, KHV_REG_RAX);
	CHECK_MEM(KHV_REG_RBP, KHV_REG_RDI, 1, 0x8000, KHV_SEG_SS);
	CHECK_INSN("c6 44 ff 01", REAL, KHV_INSN_STORE_IMM, 4, 1, NONE);
	CHECK_MEM(KHV_REG_RSI, NONE, 1, -1, KHV_SEG_DS);
	CHECK_INSN("26 8b 46 02", REAL, KHV_INSN_LOAD, 4, 2, KHV_REG_RAX);
	CHECK(i.seg == KHV_SEG_ES, "override beats SS default");
	/* 67 switches real mode to 32-bit addressing and back. */
	CHECK_INSN("67 8b 07", REAL, KHV_INSN_LOAD, 3, 2, KHV_REG_RAX);
	CHECK_MEM(KHV_REG_RDI, NONE, 1, 0, KHV_SEG_DS);
	CHECK(i.addr_size == 4, "67 in real mode");
	CHECK_INSN("66 67 8b 07", P32, KHV_INSN_LOAD, 4, 2, KHV_REG_RAX);
	CHECK_MEM(KHV_REG_RBX, NONE, 1, 0, KHV_SEG_DS);
	CHECK(i.addr_size == 2, "67 in prot32");
	CHECK_INSN("8b 07", P32, KHV_INSN_LOAD, 2, 4, KHV_REG_RAX);
	CHECK(i.addr_size == 4 && i.mem.base == KHV_REG_RDI, "prot32");
	return KSFT_PASS;
}

static int t_errors(void)
{
	static const char * const truncated[] = {
		"", "8b", "0f", "0f b6", "48", "66 f3", "8b 87 00 01", "8b 04",
		"c7 07 78 56", "65 8b 04 25 28 00", "8b 46", "89 83 00",
		"ff", "f6", "f0 01", "80 07", "81 07 00 00 00", "48 83 47",
		"f7 07 00", "83 04 25 00 00 00 00",
	};
	static const char * const unsupported[] = {
		"01 c0", "03 c7", "21 c8", "29 d8", "31 f6", "39 c0", "85 c0",
		"0f 05", "8b c0", "88 c4", "0f b6 c0", "c7 c0 00 00 00 00",
		"ff c0", "8d 07", "63 c0", "c4 e2 79 18 07", "0f 38 f0 07",
		"87 c0", "f7 d0", "83 c0 01", "80 c4 01",
		/* the other members of groups 1, 3, 4 and 5 */
		"f7 27", "f6 37", "f7 3f", "f6 2f", "fe 17", "fe 3f", "ff 17",
		"ff 27", "ff 37", "ff 3f",
		/* RMW instructions that are not ALU ones (yet) */
		"0f c1 07", "0f b1 0f", "d1 27", "c1 2f 04", "0f ab 07",
		"0f ba 2f 03", "0f c7 0f",
		/* accumulator forms: no memory operand */
		"04 01", "05 01 00 00 00", "3c 01", "a8 01", "a9 01 00 00 00",
	};
	struct khv_insn i;
	u8 buf[16];
	size_t k;

	for (k = 0; k < ARRAY_SIZE(truncated); k++)
		CHECK(dec(truncated[k], L64, &i) == -EAGAIN, "'%s'", truncated[k]);
	for (k = 0; k < ARRAY_SIZE(unsupported); k++)
		CHECK(dec(unsupported[k], L64, &i) == -EOPNOTSUPP, "'%s'", unsupported[k]);
	/* LOCK MOV is #UD; LOCK on something unknown is just unknown. */
	CHECK(dec("f0 89 07", L64, &i) == -EINVAL, "lock mov");
	CHECK(dec("f0 a5", L64, &i) == -EINVAL, "lock movs");
	CHECK(dec("f0 01 07", L64, &i) == 0 && i.lock, "lock add");
	CHECK(dec("f0 0f c1 07", L64, &i) == -EOPNOTSUPP, "lock xadd");
	/* 82 is group 1 outside 64-bit mode only. */
	CHECK(dec("82 07 01", L64, &i) == -EOPNOTSUPP, "82 in 64-bit mode");
	/* At most 15 bytes: 13 prefixes + 8b 07 fit, 14 do not. */
	memset(buf, 0x66, sizeof(buf));
	buf[13] = 0x8b;
	buf[14] = 0x07;
	CHECK(khv_insn_decode(buf, 15, L64, &i) == 0 && i.len == 15, "15 bytes");
	buf[14] = 0x8b;
	buf[15] = 0x07;
	CHECK(khv_insn_decode(buf, 16, L64, &i) == -EINVAL, "16 bytes");
	memset(buf, 0x66, sizeof(buf));
	CHECK(khv_insn_decode(buf, 14, L64, &i) == -EAGAIN, "14 prefixes, more to come");
	CHECK(khv_insn_decode(buf, 16, L64, &i) == -EINVAL, "15 prefixes");
	CHECK(dec("8b 07", (enum khv_cpu_mode)7, &i) == -EINVAL, "bad mode");
	/* Extra bytes after the instruction are not consumed. */
	CHECK(dec("8b 07 90 90 90", L64, &i) == 0 && i.len == 2, "trailing bytes");
	return KSFT_PASS;
}

static u64 load(const char *hex, u64 old, u64 mem)
{
	struct khv_insn i;

	if (dec(hex, L64, &i))
		return 0xdeadbeefdeadbeefULL;
	return khv_insn_reg_after_load(&i, old, mem);
}

static int t_reg_after_load(void)
{
	const u64 ones = ~0ULL, fives = 0x5555555555555555ULL;

	CHECK(load("8b 07", ones, 0x12345678) == 0x12345678, "32-bit zero-extends");
	CHECK(load("8b 07", ones, 0xffffffff87654321ULL) == 0x87654321, "mem masked");
	CHECK(load("48 8b 07", ones, 0x8877665544332211ULL) == 0x8877665544332211ULL, "64");
	CHECK(load("66 8b 07", fives, 0xabcd) == 0x555555555555abcdULL, "16 merges");
	CHECK(load("8a 07", fives, 0x1234) == 0x5555555555555534ULL, "8 merges");
	CHECK(load("8a 27", 0x11223344, 0xab) == 0x1122ab44, "AH merges 15:8");
	CHECK(load("40 8a 27", 0x11223344, 0xab) == 0x112233ab, "SPL is low byte");
	CHECK(load("0f b6 07", ones, 0x80) == 0x80, "movzbl");
	CHECK(load("0f b7 07", ones, 0xfedcba) == 0xdcba, "movzwl");
	CHECK(load("48 0f b6 07", ones, 0xff) == 0xff, "movzbq");
	CHECK(load("66 0f b6 07", ones, 0x80) == 0xffffffffffff0080ULL, "movzbw");
	CHECK(load("0f be 07", 0, 0x80) == 0xffffff80, "movsbl from 0x80");
	CHECK(load("0f be 07", 0, 0x7f) == 0x7f, "movsbl from 0x7f");
	CHECK(load("48 0f be 07", 0, 0x80) == 0xffffffffffffff80ULL, "movsbq");
	CHECK(load("66 0f be 07", fives, 0x80) == 0x555555555555ff80ULL, "movsbw");
	CHECK(load("0f bf 07", 0, 0x8000) == 0xffff8000, "movswl");
	CHECK(load("48 0f bf 07", 0, 0x18000) == 0xffffffffffff8000ULL, "movswq");
	CHECK(load("ac", fives, 0xaa) == 0x55555555555555aaULL, "lodsb");
	CHECK(load("ad", ones, 1) == 1, "lodsl zero-extends");
	CHECK(load("89 07", 0x1234, 0x5678) == 0x1234, "a store leaves the register");
	return KSFT_PASS;
}

static u64 store(const char *hex, u64 reg)
{
	struct khv_insn i;

	if (dec(hex, L64, &i))
		return 0xdeadbeefdeadbeefULL;
	return khv_insn_store_value(&i, reg);
}

static int t_store_value(void)
{
	const u64 r = 0x8877665544332211ULL;

	CHECK(store("89 07", r) == 0x44332211, "32");
	CHECK(store("48 89 07", r) == r, "64");
	CHECK(store("66 89 37", r) == 0x2211, "16");
	CHECK(store("88 07", r) == 0x11, "AL");
	CHECK(store("88 27", r) == 0x22, "AH");
	CHECK(store("88 3f", r) == 0x22, "BH (bits 15:8 of the RBX value passed)");
	CHECK(store("40 88 27", r) == 0x11, "SPL");
	CHECK(store("c7 07 78 56 34 12", r) == 0x12345678, "imm32");
	CHECK(store("48 c7 07 fe ff ff ff", r) == 0xfffffffffffffffeULL, "imm32 -> 64");
	CHECK(store("c6 07 80", r) == 0x80, "imm8");
	CHECK(store("66 c7 07 ff ff", r) == 0xffff, "imm16");
	CHECK(store("aa", r) == 0x11, "stosb");
	CHECK(store("48 ab", r) == r, "stosq");
	CHECK(store("66 a5", r) == 0x2211, "movsw passes the source value");
	CHECK(store("a3 00 00 00 00 00 00 00 00", r) == 0x44332211, "moffs");
	return KSFT_PASS;
}

static int t_mem_offset(void)
{
	u64 g[KHV_NR_GPRS] = { 0 };
	struct khv_insn i;

	g[KHV_REG_RAX] = 0x1000;
	g[KHV_REG_RBX] = 0x10;
	g[KHV_REG_RDI] = 0x100000010ULL;
	g[KHV_REG_RSI] = 0x20;
	CHECK(dec("8b 44 d8 08", L64, &i) == 0, "decode");
	CHECK(khv_insn_mem_offset(&i, g, 0) == 0x1000 + 0x80 + 8, "base+index*8+disp");
	CHECK(dec("67 8b 07", L64, &i) == 0, "decode");
	CHECK(khv_insn_mem_offset(&i, g, 0) == 0x10, "32-bit address wraps");
	CHECK(dec("8b 47 f0", L64, &i) == 0, "decode");
	CHECK(khv_insn_mem_offset(&i, g, 0) == 0x100000000ULL, "negative disp");
	CHECK(dec("8b 42 ff", REAL, &i) == 0, "decode");
	CHECK(khv_insn_mem_offset(&i, g, 0) == 0x1f, "[bp+si-1]");
	g[KHV_REG_RSI] = 0;
	CHECK(khv_insn_mem_offset(&i, g, 0) == 0xffff, "16-bit wrap");
	CHECK(dec("f3 a4", L64, &i) == 0, "decode");
	CHECK(khv_insn_mem_offset(&i, g, 0) == 0, "movs source is rSI");
	CHECK(dec("aa", P32, &i) == 0, "decode");
	CHECK(khv_insn_mem_offset(&i, g, 0) == 0x10, "stos destination is eDI");
	CHECK(khv_insn_addr_mask(&i) == 0xffffffff, "addr mask");
	return KSFT_PASS;
}

/*
 * SMSW m16 (0F 01 /4): two bytes stored, whatever the operand size; LMSW
 * m16 (0F 01 /6) two bytes loaded. Their register forms, LOCK and the
 * group's other members are not decoded.
 */
static int t_smsw_lmsw(void)
{
	struct khv_insn i;

	CHECK_INSN("0f 01 20", L64, KHV_INSN_SMSW, 3, 2, NONE);
	CHECK_MEM(KHV_REG_RAX, NONE, 1, 0, KHV_SEG_DS);
	CHECK_INSN("48 0f 01 64 24 08", L64, KHV_INSN_SMSW, 6, 2, NONE);
	CHECK_MEM(KHV_REG_RSP, NONE, 1, 8, KHV_SEG_SS);
	CHECK_INSN("0f 01 26 34 12", REAL, KHV_INSN_SMSW, 5, 2, NONE);
	CHECK_MEM(NONE, NONE, 1, 0x1234, KHV_SEG_DS);
	CHECK_INSN("66 26 0f 01 63 04", P32, KHV_INSN_SMSW, 6, 2, NONE);
	CHECK_MEM(KHV_REG_RBX, NONE, 1, 4, KHV_SEG_ES);
	CHECK(dec("0f 01 e0", L64, &i) == -EOPNOTSUPP, "SMSW eax");
	CHECK(dec("f0 0f 01 20", L64, &i) == -EINVAL, "LOCK SMSW: #UD");
	CHECK_INSN("0f 01 30", L64, KHV_INSN_LMSW, 3, 2, NONE);
	CHECK_MEM(KHV_REG_RAX, NONE, 1, 0, KHV_SEG_DS);
	CHECK_INSN("0f 01 76 fe", REAL, KHV_INSN_LMSW, 4, 2, NONE);
	CHECK_MEM(KHV_REG_RBP, NONE, 1, -2, KHV_SEG_SS);
	CHECK(dec("0f 01 f0", L64, &i) == -EOPNOTSUPP, "LMSW ax");
	CHECK(dec("0f 01 38", L64, &i) == -EOPNOTSUPP, "INVLPG");
	CHECK(dec("0f 01 00", L64, &i) == -EOPNOTSUPP, "SGDT");
	CHECK(dec("0f 01", L64, &i) == -EAGAIN, "truncated");
	return KSFT_PASS;
}

/* MOVNTI (memcpy_flushcache) and MOVSXD (sign-extending 32-bit loads). */
static int t_movnti_movsxd(void)
{
	struct khv_insn i;
	int r;

	CHECK_INSN("48 0f c3 47 28", L64, KHV_INSN_STORE_REG, 5, 8, KHV_REG_RAX);
	CHECK_MEM(KHV_REG_RDI, NONE, 1, 0x28, KHV_SEG_DS);
	CHECK_INSN("0f c3 37", L64, KHV_INSN_STORE_REG, 3, 4, KHV_REG_RSI);
	CHECK_INSN("48 63 47 18", L64, KHV_INSN_LOAD, 4, 4, KHV_REG_RAX);
	CHECK(i.ext == KHV_EXT_SIGN && i.dst_size == 8, "movsxd widens");
	CHECK(khv_insn_reg_after_load(&i, 0, 0x80000000) == 0xffffffff80000000ULL,
	      "movsxd sign-extends");
	CHECK_INSN("63 07", L64, KHV_INSN_LOAD, 2, 4, KHV_REG_RAX);
	CHECK(i.dst_size == 4, "movsxd r32 is a plain load");
	r = dec("63 07", P32, &i);
	CHECK(r == -EOPNOTSUPP, "63 is ARPL outside 64-bit mode: %d", r);
	return KSFT_PASS;
}

/* What the decoder says about an ALU form; bits of alu_form.bits: */
#define MW	BIT(0)	/* mem_write */
#define RW	BIT(1)	/* reg_write */
#define FW	BIT(2)	/* flags_write */
#define LK	BIT(3)	/* lock */
#define HI	BIT(4)	/* reg_high */

#define MEM	KHV_OPND_MEM
#define REG	KHV_OPND_REG
#define IMM	KHV_OPND_IMM
#define NO	KHV_OPND_NONE

struct alu_form {
	const char *hex;
	enum khv_cpu_mode mode;
	u8 len, size, reg, op, dst, src;
	u64 imm;
	u32 bits;
};

static const struct alu_form alu_forms[] = {
	/* the guest RMW accesses that motivated it */
	{ "f0 48 01 07", L64, 4, 8, KHV_REG_RAX, KHV_ALU_ADD, MEM, REG, 0, MW | FW | LK },
	{ "81 4f 08 00 00 00 80", L64, 7, 4, NONE, KHV_ALU_OR, MEM, IMM, 0x80000000, MW | FW },
	{ "80 27 fe", L64, 3, 1, NONE, KHV_ALU_AND, MEM, IMM, 0xfe, MW | FW },
	{ "83 3f 01", L64, 3, 4, NONE, KHV_ALU_CMP, MEM, IMM, 1, FW },
	{ "85 07", L64, 2, 4, KHV_REG_RAX, KHV_ALU_TEST, MEM, REG, 0, FW },
	/* op r/m, r */
	{ "00 07", L64, 2, 1, KHV_REG_RAX, KHV_ALU_ADD, MEM, REG, 0, MW | FW },
	{ "66 09 0f", L64, 3, 2, KHV_REG_RCX, KHV_ALU_OR, MEM, REG, 0, MW | FW },
	{ "11 17", L64, 2, 4, KHV_REG_RDX, KHV_ALU_ADC, MEM, REG, 0, MW | FW },
	{ "48 19 1f", L64, 3, 8, KHV_REG_RBX, KHV_ALU_SBB, MEM, REG, 0, MW | FW },
	{ "21 37", L64, 2, 4, KHV_REG_RSI, KHV_ALU_AND, MEM, REG, 0, MW | FW },
	{ "29 7f 10", L64, 3, 4, KHV_REG_RDI, KHV_ALU_SUB, MEM, REG, 0, MW | FW },
	{ "30 27", L64, 2, 1, KHV_REG_RAX, KHV_ALU_XOR, MEM, REG, 0, MW | FW | HI },
	{ "39 07", L64, 2, 4, KHV_REG_RAX, KHV_ALU_CMP, MEM, REG, 0, FW },
	/* op r, r/m: memory only read */
	{ "02 07", L64, 2, 1, KHV_REG_RAX, KHV_ALU_ADD, REG, MEM, 0, RW | FW },
	{ "0b 0f", L64, 2, 4, KHV_REG_RCX, KHV_ALU_OR, REG, MEM, 0, RW | FW },
	{ "4c 13 07", L64, 3, 8, KHV_REG_R8, KHV_ALU_ADC, REG, MEM, 0, RW | FW },
	{ "1a 3f", L64, 2, 1, KHV_REG_RBX, KHV_ALU_SBB, REG, MEM, 0, RW | FW | HI },
	{ "66 23 17", L64, 3, 2, KHV_REG_RDX, KHV_ALU_AND, REG, MEM, 0, RW | FW },
	{ "2b 07", L64, 2, 4, KHV_REG_RAX, KHV_ALU_SUB, REG, MEM, 0, RW | FW },
	{ "44 33 0f", L64, 3, 4, KHV_REG_R9, KHV_ALU_XOR, REG, MEM, 0, RW | FW },
	{ "3b 07", L64, 2, 4, KHV_REG_RAX, KHV_ALU_CMP, REG, MEM, 0, FW },
	{ "3a 2f", L64, 2, 1, KHV_REG_RCX, KHV_ALU_CMP, REG, MEM, 0, FW | HI },
	/* group 1: 81 imm16/32 (sign-extended with REX.W), 83 imm8 sign-extended */
	{ "48 83 07 ff", L64, 4, 8, NONE, KHV_ALU_ADD, MEM, IMM, ~0ULL, MW | FW },
	{ "48 81 07 ff ff ff 7f", L64, 7, 8, NONE, KHV_ALU_ADD, MEM, IMM, 0x7fffffff, MW | FW },
	{ "48 81 0f 00 00 00 80", L64, 7, 8, NONE, KHV_ALU_OR, MEM, IMM, 0xffffffff80000000ULL, MW | FW },
	{ "66 81 27 34 12", L64, 5, 2, NONE, KHV_ALU_AND, MEM, IMM, 0x1234, MW | FW },
	{ "66 83 17 fe", L64, 4, 2, NONE, KHV_ALU_ADC, MEM, IMM, 0xfffe, MW | FW },
	{ "83 1f 7f", L64, 3, 4, NONE, KHV_ALU_SBB, MEM, IMM, 0x7f, MW | FW },
	{ "83 1f 80", L64, 3, 4, NONE, KHV_ALU_SBB, MEM, IMM, 0xffffff80, MW | FW },
	{ "80 2f 80", L64, 3, 1, NONE, KHV_ALU_SUB, MEM, IMM, 0x80, MW | FW },
	{ "81 37 78 56 34 12", L64, 6, 4, NONE, KHV_ALU_XOR, MEM, IMM, 0x12345678, MW | FW },
	{ "48 83 3f ff", L64, 4, 8, NONE, KHV_ALU_CMP, MEM, IMM, ~0ULL, FW },
	{ "83 4c 8c 10 01", L64, 5, 4, NONE, KHV_ALU_OR, MEM, IMM, 1, MW | FW },
	/* TEST */
	{ "84 07", L64, 2, 1, KHV_REG_RAX, KHV_ALU_TEST, MEM, REG, 0, FW },
	{ "84 37", L64, 2, 1, KHV_REG_RDX, KHV_ALU_TEST, MEM, REG, 0, FW | HI },
	{ "4c 85 17", L64, 3, 8, KHV_REG_R10, KHV_ALU_TEST, MEM, REG, 0, FW },
	{ "f6 07 80", L64, 3, 1, NONE, KHV_ALU_TEST, MEM, IMM, 0x80, FW },
	{ "66 f7 07 00 80", L64, 5, 2, NONE, KHV_ALU_TEST, MEM, IMM, 0x8000, FW },
	{ "f7 07 00 00 00 80", L64, 6, 4, NONE, KHV_ALU_TEST, MEM, IMM, 0x80000000, FW },
	{ "48 f7 07 fe ff ff ff", L64, 7, 8, NONE, KHV_ALU_TEST, MEM, IMM, ~1ULL, FW },
	{ "f6 0f 01", L64, 3, 1, NONE, KHV_ALU_TEST, MEM, IMM, 1, FW },
	{ "f7 0b 00 01 08 00", L64, 6, 4, NONE, KHV_ALU_TEST, MEM, IMM, 0x80100, FW },
	/* INC DEC NOT NEG: no source */
	{ "fe 07", L64, 2, 1, NONE, KHV_ALU_INC, MEM, NO, 0, MW | FW },
	{ "ff 07", L64, 2, 4, NONE, KHV_ALU_INC, MEM, NO, 0, MW | FW },
	{ "48 ff 47 08", L64, 4, 8, NONE, KHV_ALU_INC, MEM, NO, 0, MW | FW },
	{ "66 ff 0f", L64, 3, 2, NONE, KHV_ALU_DEC, MEM, NO, 0, MW | FW },
	{ "ff 0f", L64, 2, 4, NONE, KHV_ALU_DEC, MEM, NO, 0, MW | FW },
	{ "f6 17", L64, 2, 1, NONE, KHV_ALU_NOT, MEM, NO, 0, MW },
	{ "f7 17", L64, 2, 4, NONE, KHV_ALU_NOT, MEM, NO, 0, MW },
	{ "48 f7 1f", L64, 3, 8, NONE, KHV_ALU_NEG, MEM, NO, 0, MW | FW },
	{ "66 f7 1f", L64, 3, 2, NONE, KHV_ALU_NEG, MEM, NO, 0, MW | FW },
	/* XCHG: locked with or without F0 */
	{ "86 07", L64, 2, 1, KHV_REG_RAX, KHV_ALU_XCHG, MEM, REG, 0, MW | RW | LK },
	{ "86 27", L64, 2, 1, KHV_REG_RAX, KHV_ALU_XCHG, MEM, REG, 0, MW | RW | LK | HI },
	{ "40 86 27", L64, 3, 1, KHV_REG_RSP, KHV_ALU_XCHG, MEM, REG, 0, MW | RW | LK },
	{ "87 07", L64, 2, 4, KHV_REG_RAX, KHV_ALU_XCHG, MEM, REG, 0, MW | RW | LK },
	{ "4c 87 1f", L64, 3, 8, KHV_REG_R11, KHV_ALU_XCHG, MEM, REG, 0, MW | RW | LK },
	{ "f0 87 07", L64, 3, 4, KHV_REG_RAX, KHV_ALU_XCHG, MEM, REG, 0, MW | RW | LK },
	/* LOCK where it is allowed */
	{ "f0 ff 07", L64, 3, 4, NONE, KHV_ALU_INC, MEM, NO, 0, MW | FW | LK },
	{ "f0 48 ff 0f", L64, 4, 8, NONE, KHV_ALU_DEC, MEM, NO, 0, MW | FW | LK },
	{ "f0 f7 17", L64, 3, 4, NONE, KHV_ALU_NOT, MEM, NO, 0, MW | LK },
	{ "f0 f6 1f", L64, 3, 1, NONE, KHV_ALU_NEG, MEM, NO, 0, MW | FW | LK },
	{ "f0 81 4f 08 00 00 00 80", L64, 8, 4, NONE, KHV_ALU_OR, MEM, IMM, 0x80000000, MW | FW | LK },
	{ "f0 80 27 fe", L64, 4, 1, NONE, KHV_ALU_AND, MEM, IMM, 0xfe, MW | FW | LK },
	{ "f0 11 07", L64, 3, 4, KHV_REG_RAX, KHV_ALU_ADC, MEM, REG, 0, MW | FW | LK },
	{ "f0 83 1f 01", L64, 4, 4, NONE, KHV_ALU_SBB, MEM, IMM, 1, MW | FW | LK },
	{ "f0 48 31 07", L64, 4, 8, KHV_REG_RAX, KHV_ALU_XOR, MEM, REG, 0, MW | FW | LK },
	{ "66 f0 29 07", L64, 4, 2, KHV_REG_RAX, KHV_ALU_SUB, MEM, REG, 0, MW | FW | LK },
	{ "f3 f0 01 07", L64, 4, 4, KHV_REG_RAX, KHV_ALU_ADD, MEM, REG, 0, MW | FW | LK },
	/* segment override, RIP-relative with an immediate after the disp32 */
	{ "64 01 07", L64, 3, 4, KHV_REG_RAX, KHV_ALU_ADD, MEM, REG, 0, MW | FW },
	{ "83 05 78 56 34 12 01", L64, 7, 4, NONE, KHV_ALU_ADD, MEM, IMM, 1, MW | FW },
	/* 32-bit protected mode; 82 = 80 there */
	{ "01 07", P32, 2, 4, KHV_REG_RAX, KHV_ALU_ADD, MEM, REG, 0, MW | FW },
	{ "81 4f 08 00 00 00 80", P32, 7, 4, NONE, KHV_ALU_OR, MEM, IMM, 0x80000000, MW | FW },
	{ "f7 03 01 00 00 00", P32, 6, 4, NONE, KHV_ALU_TEST, MEM, IMM, 1, FW },
	{ "66 83 3f ff", P32, 4, 2, NONE, KHV_ALU_CMP, MEM, IMM, 0xffff, FW },
	{ "87 0e", P32, 2, 4, KHV_REG_RCX, KHV_ALU_XCHG, MEM, REG, 0, MW | RW | LK },
	{ "82 07 01", P32, 3, 1, NONE, KHV_ALU_ADD, MEM, IMM, 1, MW | FW },
	{ "82 3f 80", P32, 3, 1, NONE, KHV_ALU_CMP, MEM, IMM, 0x80, FW },
	{ "f0 82 17 05", P32, 4, 1, NONE, KHV_ALU_ADC, MEM, IMM, 5, MW | FW | LK },
	/* real mode: 16-bit operands, 66 for 32 */
	{ "01 07", REAL, 2, 2, KHV_REG_RAX, KHV_ALU_ADD, MEM, REG, 0, MW | FW },
	{ "66 81 07 78 56 34 12", REAL, 7, 4, NONE, KHV_ALU_ADD, MEM, IMM, 0x12345678, MW | FW },
	{ "81 66 02 34 12", REAL, 5, 2, NONE, KHV_ALU_AND, MEM, IMM, 0x1234, MW | FW },
	{ "83 2c ff", REAL, 3, 2, NONE, KHV_ALU_SUB, MEM, IMM, 0xffff, MW | FW },
	{ "80 0d 01", P16, 3, 1, NONE, KHV_ALU_OR, MEM, IMM, 1, MW | FW },
	{ "ff 07", REAL, 2, 2, NONE, KHV_ALU_INC, MEM, NO, 0, MW | FW },
};

static int t_alu_forms(void)
{
	struct khv_insn i;
	size_t k;

	for (k = 0; k < ARRAY_SIZE(alu_forms); k++) {
		const struct alu_form *f = &alu_forms[k];

		CHECK_INSN(f->hex, f->mode, KHV_INSN_ALU, f->len, f->size, f->reg);
		CHECK(i.alu_op == f->op, "%s: op %u", f->hex, i.alu_op);
		CHECK(i.dst == f->dst && i.src == f->src, "%s: dst %u src %u",
		      f->hex, i.dst, i.src);
		CHECK(i.imm == f->imm, "%s: imm %#llx", f->hex,
		      (unsigned long long)i.imm);
		CHECK(i.mem_write == !!(f->bits & MW), "%s: mem_write", f->hex);
		CHECK(i.reg_write == !!(f->bits & RW), "%s: reg_write", f->hex);
		CHECK(i.flags_write == !!(f->bits & FW), "%s: flags_write", f->hex);
		CHECK(i.lock == !!(f->bits & LK), "%s: lock", f->hex);
		CHECK(i.reg_high == !!(f->bits & HI), "%s: reg_high", f->hex);
		CHECK(i.dst_size == (i.reg_write ? i.size : 0), "%s: dst_size", f->hex);
		CHECK(i.ext == KHV_EXT_NONE && i.rep == KHV_REP_NONE, "%s: ext/rep", f->hex);
	}
	return KSFT_PASS;
}

static int t_alu_memory_operand(void)
{
	static const u64 gprs[KHV_NR_GPRS];
	struct khv_insn i;

	CHECK_INSN("81 4f 08 00 00 00 80", L64, KHV_INSN_ALU, 7, 4, NONE);
	CHECK_MEM(KHV_REG_RDI, NONE, 1, 8, KHV_SEG_DS);
	CHECK_INSN("83 4c 8c 10 01", L64, KHV_INSN_ALU, 5, 4, NONE);
	CHECK_MEM(KHV_REG_RSP, KHV_REG_RCX, 4, 0x10, KHV_SEG_SS);
	CHECK_INSN("64 01 07", L64, KHV_INSN_ALU, 3, 4, KHV_REG_RAX);
	CHECK_MEM(KHV_REG_RDI, NONE, 1, 0, KHV_SEG_FS);
	CHECK_INSN("81 66 02 34 12", REAL, KHV_INSN_ALU, 5, 2, NONE);
	CHECK_MEM(KHV_REG_RBP, NONE, 1, 2, KHV_SEG_SS);
	/* RIP-relative: the next instruction starts after the immediate. */
	CHECK_INSN("83 05 78 56 34 12 01", L64, KHV_INSN_ALU, 7, 4, NONE);
	CHECK(i.mem.rip_rel, "rip_rel");
	CHECK(khv_insn_mem_offset(&i, gprs, 0x1000) == 0x1000 + 7 + 0x12345678,
	      "rip + len + disp");
	return KSFT_PASS;
}

/* LOCK only where the SDM allows it: memory destination of the listed ops. */
static int t_alu_lock(void)
{
	static const char * const ud[] = {
		/* CMP, TEST: not lockable */
		"f0 38 07", "f0 39 07", "f0 80 3f 01", "f0 81 3f 01 00 00 00",
		"f0 83 3f 01", "f0 84 07", "f0 85 07", "f0 f6 07 01",
		"f0 f7 07 01 00 00 00", "f0 f6 0f 01",
		/* the register is the destination, memory the source */
		"f0 02 07", "f0 03 07", "f0 0a 07", "f0 0b 07", "f0 12 07",
		"f0 13 07", "f0 1a 07", "f0 1b 07", "f0 22 07", "f0 23 07",
		"f0 2a 07", "f0 2b 07", "f0 32 07", "f0 33 07", "f0 3a 07",
		"f0 3b 07",
		/* no memory operand at all */
		"f0 01 c0", "f0 87 c0", "f0 ff c0", "f0 f7 d0", "f0 83 c0 01",
		"f0 80 c4 01", "f0 fe c8",
		/* MOV and friends */
		"f0 89 07", "f0 8b 07", "f0 c7 07 00 00 00 00", "f0 a5",
		"f0 0f b6 07",
	};
	static const u8 lockable_rm[] = {
		0x00, 0x01, 0x08, 0x09, 0x10, 0x11, 0x18, 0x19,
		0x20, 0x21, 0x28, 0x29, 0x30, 0x31, 0x86, 0x87,
	};
	struct khv_insn i;
	u8 buf[8];
	size_t k;
	int r;

	for (k = 0; k < ARRAY_SIZE(ud); k++) {
		r = dec(ud[k], L64, &i);
		CHECK(r == -EINVAL, "'%s': %d", ud[k], r);
	}
	/* F0 op /r with ModRM 07: [rdi] */
	for (k = 0; k < ARRAY_SIZE(lockable_rm); k++) {
		buf[0] = 0xf0;
		buf[1] = lockable_rm[k];
		buf[2] = 0x07;
		r = khv_insn_decode(buf, 3, L64, &i);
		CHECK(r == 0 && i.lock && i.mem_write && i.len == 3,
		      "lock %02x: %d", lockable_rm[k], r);
	}
	/* F0 80/81/83 /0../6 [rdi], imm; /7 is CMP */
	for (k = 0; k < 8 * 3; k++) {
		static const u8 ops[] = { 0x80, 0x81, 0x83 };
		u8 n = k % 8;

		buf[0] = 0xf0;
		buf[1] = ops[k / 8];
		buf[2] = 0x07 | n << 3;
		memset(buf + 3, 0, 4);
		r = khv_insn_decode(buf, 7, L64, &i);
		if (n == 7) {
			CHECK(r == -EINVAL, "lock %02x /7: %d", buf[1], r);
			continue;
		}
		CHECK(r == 0 && i.lock && i.alu_op == n &&
		      i.len == (buf[1] == 0x81 ? 7 : 4),
		      "lock %02x /%u: %d", buf[1], n, r);
	}
	/* F0 FE/FF /0 /1, F6/F7 /2 /3 */
	CHECK(dec("f0 fe 07", L64, &i) == 0 && i.alu_op == KHV_ALU_INC, "lock incb");
	CHECK(dec("f0 fe 0f", L64, &i) == 0 && i.alu_op == KHV_ALU_DEC, "lock decb");
	CHECK(dec("f0 ff 07", L64, &i) == 0 && i.alu_op == KHV_ALU_INC, "lock incl");
	CHECK(dec("f0 ff 0f", L64, &i) == 0 && i.alu_op == KHV_ALU_DEC, "lock decl");
	CHECK(dec("f0 f6 17", L64, &i) == 0 && i.alu_op == KHV_ALU_NOT, "lock notb");
	CHECK(dec("f0 f7 1f", L64, &i) == 0 && i.alu_op == KHV_ALU_NEG, "lock negl");
	/* Without F0 only XCHG is locked. */
	CHECK(dec("01 07", L64, &i) == 0 && !i.lock, "add unlocked");
	CHECK(dec("87 07", L64, &i) == 0 && i.lock, "xchg always locked");
	/* LOCK on an instruction khv does not know stays unknown. */
	CHECK(dec("f0 f7 27", L64, &i) == -EOPNOTSUPP, "lock mul");
	CHECK(dec("f0 ff 17", L64, &i) == -EOPNOTSUPP, "lock call");
	/* ... and a lockable one cut short just wants more bytes. */
	CHECK(dec("f0 01", L64, &i) == -EAGAIN, "lock add, no ModRM yet");
	return KSFT_PASS;
}

/* khv_insn_alu_operands() and khv_insn_alu_results() for each form. */
static int t_alu_operands_results(void)
{
	const u64 reg = 0x1122334455667788ULL, mem = 0xa1a2a3a4a5a6a7a8ULL;
	struct khv_insn i;
	u64 d, s, m, r;

	/* xor %ah,(%rdi): dst memory, src bits 15:8 of RAX */
	CHECK(dec("30 27", L64, &i) == 0, "decode");
	khv_insn_alu_operands(&i, mem, reg, &d, &s);
	CHECK(d == 0xa8 && s == 0x77, "xor ah: %#llx %#llx",
	      (unsigned long long)d, (unsigned long long)s);
	khv_insn_alu_results(&i, mem, reg, 0xdf, &m, &r);
	CHECK(m == 0xdf && r == reg, "xor ah results");

	/* add (%rdi),%al: dst AL, src memory; AL merged into RAX */
	CHECK(dec("02 07", L64, &i) == 0, "decode");
	khv_insn_alu_operands(&i, mem, reg, &d, &s);
	CHECK(d == 0x88 && s == 0xa8, "add al operands");
	khv_insn_alu_results(&i, mem, reg, 0x30, &m, &r);
	CHECK(r == 0x1122334455667730ULL && m == 0xa8, "add al results %#llx",
	      (unsigned long long)r);

	/* sbb (%rdi),%bh: the result goes to bits 15:8 */
	CHECK(dec("1a 3f", L64, &i) == 0, "decode");
	khv_insn_alu_operands(&i, mem, reg, &d, &s);
	CHECK(d == 0x77 && s == 0xa8, "sbb bh operands");
	khv_insn_alu_results(&i, mem, reg, 0xce, &m, &r);
	CHECK(r == 0x112233445566ce88ULL, "sbb bh results");

	/* and (%rdi),%dx: 16-bit merge; sub (%rdi),%eax: 32-bit zero-extends */
	CHECK(dec("66 23 17", L64, &i) == 0, "decode");
	khv_insn_alu_results(&i, mem, reg, 0xa788, &m, &r);
	CHECK(r == 0x112233445566a788ULL, "and dx results");
	CHECK(dec("2b 07", L64, &i) == 0, "decode");
	khv_insn_alu_operands(&i, mem, reg, &d, &s);
	CHECK(d == 0x55667788 && s == 0xa5a6a7a8, "sub eax operands");
	khv_insn_alu_results(&i, mem, reg, 3, &m, &r);
	CHECK(r == 3, "sub eax zero-extends");
	CHECK(dec("4c 13 07", L64, &i) == 0, "decode");
	khv_insn_alu_operands(&i, mem, reg, &d, &s);
	CHECK(d == reg && s == mem, "adc r8 operands");

	/* cmp (%rdi),%eax writes nothing */
	CHECK(dec("3b 07", L64, &i) == 0, "decode");
	khv_insn_alu_results(&i, mem, reg, 0x55667788, &m, &r);
	CHECK(!i.reg_write && !i.mem_write && r == reg && m == 0xa5a6a7a8,
	      "cmp results");

	/* xchg %eax,(%rdi): memory gets EAX, RAX gets memory zero-extended */
	CHECK(dec("87 07", L64, &i) == 0, "decode");
	khv_insn_alu_operands(&i, mem, reg, &d, &s);
	CHECK(d == 0xa5a6a7a8 && s == 0x55667788, "xchg operands");
	khv_insn_alu_results(&i, mem, reg, s, &m, &r);
	CHECK(m == 0x55667788 && r == 0xa5a6a7a8, "xchg results");
	/* xchg %ah,(%rdi) */
	CHECK(dec("86 27", L64, &i) == 0, "decode");
	khv_insn_alu_operands(&i, mem, reg, &d, &s);
	CHECK(d == 0xa8 && s == 0x77, "xchg ah operands");
	khv_insn_alu_results(&i, mem, reg, s, &m, &r);
	CHECK(m == 0x77 && r == 0x112233445566a888ULL, "xchg ah results");

	/* immediates, sign-extended to the operand size */
	CHECK(dec("48 83 07 ff", L64, &i) == 0, "decode");
	khv_insn_alu_operands(&i, mem, reg, &d, &s);
	CHECK(d == mem && s == ~0ULL, "addq $-1 operands");
	khv_insn_alu_results(&i, mem, reg, mem - 1, &m, &r);
	CHECK(m == mem - 1 && r == reg, "addq $-1 results");
	CHECK(dec("66 83 17 fe", L64, &i) == 0, "decode");
	khv_insn_alu_operands(&i, mem, reg, &d, &s);
	CHECK(d == 0xa7a8 && s == 0xfffe, "adcw $-2 operands");
	khv_insn_alu_results(&i, mem, reg, 0x1a7a6, &m, &r);
	CHECK(m == 0xa7a6, "results are masked to size");

	/* unary: no source */
	CHECK(dec("f7 17", L64, &i) == 0, "decode");
	khv_insn_alu_operands(&i, mem, reg, &d, &s);
	CHECK(d == 0xa5a6a7a8 && s == 0, "notl operands");
	return KSFT_PASS;
}

static const struct ksft_case cases[] = {
	{ "decode_movnti_movsxd", t_movnti_movsxd },
	{ "decode_smsw_lmsw", t_smsw_lmsw },
	{ "decode_mov_loads_stores", t_mov_loads_stores },
	{ "decode_movzx_movsx", t_movzx_movsx },
	{ "decode_rip_relative", t_rip_relative },
	{ "decode_store_imm", t_store_imm },
	{ "decode_moffs", t_moffs },
	{ "decode_strings", t_strings },
	{ "decode_sib_and_segments", t_sib_and_segments },
	{ "decode_rex_registers", t_rex_registers },
	{ "decode_16bit_addressing", t_16bit_addressing },
	{ "decode_errors", t_errors },
	{ "decode_reg_after_load", t_reg_after_load },
	{ "decode_store_value", t_store_value },
	{ "decode_mem_offset", t_mem_offset },
	{ "decode_alu_forms", t_alu_forms },
	{ "decode_alu_memory_operand", t_alu_memory_operand },
	{ "decode_alu_lock", t_alu_lock },
	{ "decode_alu_operands_results", t_alu_operands_results },
};

int main(void)
{
	return KSFT_RUN(cases);
}
