// SPDX-License-Identifier: GPL-2.0
/*
 * Host unit test of kmod/alu.c: results and arithmetic flags of the
 * operations khv emulates for read-modify-write MMIO. The tables spell out
 * the edge cases per operand size (carry out of the top bit, signed
 * overflow both ways, zero, parity of the low byte only, AF from bit 3,
 * ADC/SBB carry in, INC/DEC keeping CF, NEG of 0 and of the minimum);
 * on an x86-64 host the same operations are also run on the CPU and
 * compared over edge and pseudo-random operands.
 */
#include <stdio.h>
#include <string.h>

#include "ksft.h"
#include "alu.h"

#define F_C	KHV_RFLAGS_CF
#define F_P	KHV_RFLAGS_PF
#define F_A	KHV_RFLAGS_AF
#define F_Z	KHV_RFLAGS_ZF
#define F_S	KHV_RFLAGS_SF
#define F_O	KHV_RFLAGS_OF
#define F_ALL	KHV_RFLAGS_ARITH

/*
 * One operation: fin and fout are the arithmetic flags in and out. Each
 * case runs twice, with every other RFLAGS bit clear and with all of them
 * set, and those bits must come back unchanged.
 */
struct alu_case {
	u8 op, size;
	u64 dst, src, fin, res, fout;
};

static const char * const op_names[] = {
	"add", "or", "adc", "sbb", "and", "sub", "xor", "cmp", "test",
	"inc", "dec", "not", "neg", "xchg",
};

static const char *op_name(u8 op)
{
	return op < ARRAY_SIZE(op_names) ? op_names[op] : "?";
}

static int run_cases(const struct alu_case *c, size_t n)
{
	static const u64 others[] = { 0, ~KHV_RFLAGS_ARITH };
	size_t k, j;

	for (k = 0; k < n; k++, c++) {
		for (j = 0; j < ARRAY_SIZE(others); j++) {
			u64 fout = 0x1234, res;

			res = khv_alu(c->op, c->dst, c->src, c->size,
				      c->fin | others[j], &fout);
			CHECK(res == c->res && fout == (c->fout | others[j]),
			      "case %zu: %s%u %#llx, %#llx fin %#llx: got %#llx "
			      "flags %#llx, want %#llx flags %#llx", k,
			      op_name(c->op), c->size * 8,
			      (unsigned long long)c->dst, (unsigned long long)c->src,
			      (unsigned long long)c->fin, (unsigned long long)res,
			      (unsigned long long)(fout & KHV_RFLAGS_ARITH),
			      (unsigned long long)c->res,
			      (unsigned long long)c->fout);
		}
	}
	return KSFT_PASS;
}

#define RUN(table) run_cases(table, ARRAY_SIZE(table))

#define MAX8	0x7fULL
#define MAX16	0x7fffULL
#define MAX32	0x7fffffffULL
#define MAX64	0x7fffffffffffffffULL
#define MIN8	0x80ULL
#define MIN16	0x8000ULL
#define MIN32	0x80000000ULL
#define MIN64	0x8000000000000000ULL
#define ONES8	0xffULL
#define ONES16	0xffffULL
#define ONES32	0xffffffffULL
#define ONES64	0xffffffffffffffffULL

static const struct alu_case add_cases[] = {
	/* unsigned wrap: CF, ZF; 0x0f + 1 carries out of bit 3: AF */
	{ KHV_ALU_ADD, 1, ONES8, 1, 0, 0, F_C | F_P | F_A | F_Z },
	{ KHV_ALU_ADD, 2, ONES16, 1, 0, 0, F_C | F_P | F_A | F_Z },
	{ KHV_ALU_ADD, 4, ONES32, 1, 0, 0, F_C | F_P | F_A | F_Z },
	{ KHV_ALU_ADD, 8, ONES64, 1, 0, 0, F_C | F_P | F_A | F_Z },
	/* MAX + 1: positive overflow; PF from the low byte only */
	{ KHV_ALU_ADD, 1, MAX8, 1, 0, MIN8, F_O | F_S | F_A },
	{ KHV_ALU_ADD, 2, MAX16, 1, 0, MIN16, F_O | F_S | F_A | F_P },
	{ KHV_ALU_ADD, 4, MAX32, 1, 0, MIN32, F_O | F_S | F_A | F_P },
	{ KHV_ALU_ADD, 8, MAX64, 1, 0, MIN64, F_O | F_S | F_A | F_P },
	/* MIN + MIN: negative overflow, carry, zero */
	{ KHV_ALU_ADD, 1, MIN8, MIN8, 0, 0, F_C | F_O | F_Z | F_P },
	{ KHV_ALU_ADD, 2, MIN16, MIN16, 0, 0, F_C | F_O | F_Z | F_P },
	{ KHV_ALU_ADD, 4, MIN32, MIN32, 0, 0, F_C | F_O | F_Z | F_P },
	{ KHV_ALU_ADD, 8, MIN64, MIN64, 0, 0, F_C | F_O | F_Z | F_P },
	/* MIN + -1 = MAX: negative overflow with a carry */
	{ KHV_ALU_ADD, 1, MIN8, ONES8, 0, MAX8, F_C | F_O },
	{ KHV_ALU_ADD, 4, MIN32, ONES32, 0, MAX32, F_C | F_O | F_P },
	/* a carry out of a lower byte/word/dword is not CF */
	{ KHV_ALU_ADD, 2, 0xff, 1, 0, 0x100, F_A | F_P },
	{ KHV_ALU_ADD, 4, 0xffff, 1, 0, 0x10000, F_A | F_P },
	{ KHV_ALU_ADD, 8, ONES32, 1, 0, 0x100000000ULL, F_A | F_P },
	/* AF alone: 8 + 8 carries out of bit 3; 0x10 has odd parity */
	{ KHV_ALU_ADD, 1, 8, 8, 0, 0x10, F_A },
	{ KHV_ALU_ADD, 8, 0x18, 0x08, 0, 0x20, F_A },
	/* parity: 3 has two bits set, 7 three */
	{ KHV_ALU_ADD, 1, 1, 2, 0, 3, F_P },
	{ KHV_ALU_ADD, 2, 3, 4, 0, 7, 0 },
	{ KHV_ALU_ADD, 4, 0x100, 0x200, 0, 0x300, F_P },
	{ KHV_ALU_ADD, 8, 0, 0, 0, 0, F_Z | F_P },
	/* incoming flags are ignored (CF included); operands are truncated */
	{ KHV_ALU_ADD, 1, 1, 2, F_ALL, 3, F_P },
	{ KHV_ALU_ADD, 1, 0x1ff, 0x100, 0, 0xff, F_S | F_P },
	{ KHV_ALU_ADD, 2, 0xdead0001, 0xbeef0001, 0, 2, 0 },
	{ KHV_ALU_ADD, 4, 0x123456789ULL, 0xf00000000ULL, 0, 0x23456789, 0 },
};

static const struct alu_case adc_cases[] = {
	/* CF in makes the sum wrap */
	{ KHV_ALU_ADC, 1, ONES8, 0, F_C, 0, F_C | F_P | F_A | F_Z },
	{ KHV_ALU_ADC, 2, 0xfffe, 1, F_C, 0, F_C | F_P | F_A | F_Z },
	{ KHV_ALU_ADC, 4, ONES32, 0, F_C, 0, F_C | F_P | F_A | F_Z },
	{ KHV_ALU_ADC, 8, ONES64, 0, F_C, 0, F_C | F_P | F_A | F_Z },
	/* ... or overflow */
	{ KHV_ALU_ADC, 1, MAX8, 0, F_C, MIN8, F_O | F_S | F_A },
	{ KHV_ALU_ADC, 2, MAX16 - 1, 1, F_C, MIN16, F_O | F_S | F_A | F_P },
	{ KHV_ALU_ADC, 8, MAX64, 0, F_C, MIN64, F_O | F_S | F_A | F_P },
	/* -1 + -1 + 1 = -1 with a carry, no overflow */
	{ KHV_ALU_ADC, 1, ONES8, ONES8, F_C, ONES8, F_C | F_A | F_S | F_P },
	{ KHV_ALU_ADC, 4, ONES32, ONES32, F_C, ONES32, F_C | F_A | F_S | F_P },
	{ KHV_ALU_ADC, 8, ONES64, ONES64, F_C, ONES64, F_C | F_A | F_S | F_P },
	/* MIN + -1 + 1 = MIN: no overflow, carry out */
	{ KHV_ALU_ADC, 2, MIN16, ONES16, F_C, MIN16, F_C | F_A | F_S | F_P },
	/* without CF in it is ADD; the other flags in do not matter */
	{ KHV_ALU_ADC, 4, ONES32, 0, F_ALL & ~F_C, ONES32, F_S | F_P },
	{ KHV_ALU_ADC, 8, MAX64, 0, F_O | F_Z, MAX64, F_P },
	/* 0x0e + 1 + CF carries out of bit 3 */
	{ KHV_ALU_ADC, 1, 0x0e, 1, F_C, 0x10, F_A },
};

static const struct alu_case sub_cases[] = {
	/* 0 - 1: borrow, AF (borrow into bit 4), -1 */
	{ KHV_ALU_SUB, 1, 0, 1, 0, ONES8, F_C | F_A | F_S | F_P },
	{ KHV_ALU_SUB, 2, 0, 1, 0, ONES16, F_C | F_A | F_S | F_P },
	{ KHV_ALU_SUB, 4, 0, 1, 0, ONES32, F_C | F_A | F_S | F_P },
	{ KHV_ALU_SUB, 8, 0, 1, 0, ONES64, F_C | F_A | F_S | F_P },
	/* MIN - 1: negative overflow */
	{ KHV_ALU_SUB, 1, MIN8, 1, 0, MAX8, F_O | F_A },
	{ KHV_ALU_SUB, 2, MIN16, 1, 0, MAX16, F_O | F_A | F_P },
	{ KHV_ALU_SUB, 4, MIN32, 1, 0, MAX32, F_O | F_A | F_P },
	{ KHV_ALU_SUB, 8, MIN64, 1, 0, MAX64, F_O | F_A | F_P },
	/* MAX - -1: positive overflow with a borrow */
	{ KHV_ALU_SUB, 1, MAX8, ONES8, 0, MIN8, F_C | F_O | F_S },
	{ KHV_ALU_SUB, 2, MAX16, ONES16, 0, MIN16, F_C | F_O | F_S | F_P },
	{ KHV_ALU_SUB, 4, MAX32, ONES32, 0, MIN32, F_C | F_O | F_S | F_P },
	{ KHV_ALU_SUB, 8, MAX64, ONES64, 0, MIN64, F_C | F_O | F_S | F_P },
	/* equal: zero */
	{ KHV_ALU_SUB, 1, 0x42, 0x42, 0, 0, F_Z | F_P },
	{ KHV_ALU_SUB, 8, MIN64, MIN64, 0, 0, F_Z | F_P },
	/* AF alone: 0x10 - 1 borrows into bit 4; 0x0f has even parity */
	{ KHV_ALU_SUB, 1, 0x10, 1, 0, 0x0f, F_A | F_P },
	{ KHV_ALU_SUB, 4, 0x20, 0x11, 0, 0x0f, F_A | F_P },
	/* a borrow into a higher byte is not CF */
	{ KHV_ALU_SUB, 2, 0x100, 1, 0, 0xff, F_A | F_P },
	{ KHV_ALU_SUB, 8, 0x100000000ULL, 1, 0, ONES32, F_A | F_P },
	/* incoming flags ignored; operands truncated */
	{ KHV_ALU_SUB, 2, 5, 3, F_ALL, 2, 0 },
	{ KHV_ALU_SUB, 1, 0x300, 0x201, 0, ONES8, F_C | F_A | F_S | F_P },
};

static const struct alu_case sbb_cases[] = {
	/* 0 - 0 - CF */
	{ KHV_ALU_SBB, 1, 0, 0, F_C, ONES8, F_C | F_A | F_S | F_P },
	{ KHV_ALU_SBB, 2, 0, 0, F_C, ONES16, F_C | F_A | F_S | F_P },
	{ KHV_ALU_SBB, 4, 0, 0, F_C, ONES32, F_C | F_A | F_S | F_P },
	{ KHV_ALU_SBB, 8, 0, 0, F_C, ONES64, F_C | F_A | F_S | F_P },
	/* MIN - 0 - CF: overflow */
	{ KHV_ALU_SBB, 1, MIN8, 0, F_C, MAX8, F_O | F_A },
	{ KHV_ALU_SBB, 4, MIN32, 0, F_C, MAX32, F_O | F_A | F_P },
	/* x - x - CF = -1 with a borrow, no overflow */
	{ KHV_ALU_SBB, 1, ONES8, ONES8, F_C, ONES8, F_C | F_A | F_S | F_P },
	{ KHV_ALU_SBB, 8, MIN64, MIN64, F_C, ONES64, F_C | F_A | F_S | F_P },
	/* 0 - -1 - CF = 0, borrowing */
	{ KHV_ALU_SBB, 2, 0, ONES16, F_C, 0, F_C | F_A | F_Z | F_P },
	/* 5 - 4 - CF = 0 */
	{ KHV_ALU_SBB, 1, 5, 4, F_C, 0, F_Z | F_P },
	/* MAX - -1 - CF = MAX - 0: no overflow, but a borrow */
	{ KHV_ALU_SBB, 2, MAX16, ONES16, F_C, MAX16, F_C | F_A | F_P },
	/* without CF in it is SUB */
	{ KHV_ALU_SBB, 8, 0x10, 1, F_ALL & ~F_C, 0x0f, F_A | F_P },
	{ KHV_ALU_SBB, 4, MIN32, 1, 0, MAX32, F_O | F_A | F_P },
};

/* CMP: flags of SUB, the destination unchanged. */
static const struct alu_case cmp_cases[] = {
	{ KHV_ALU_CMP, 1, 1, 1, 0, 1, F_Z | F_P },
	{ KHV_ALU_CMP, 1, 0, 1, 0, 0, F_C | F_A | F_S | F_P },
	{ KHV_ALU_CMP, 2, MIN16, 1, 0, MIN16, F_O | F_A | F_P },
	{ KHV_ALU_CMP, 4, 1, 2, F_ALL, 1, F_C | F_A | F_S | F_P },
	{ KHV_ALU_CMP, 4, MAX32, ONES32, 0, MAX32, F_C | F_O | F_S | F_P },
	{ KHV_ALU_CMP, 8, MIN64, 1, 0, MIN64, F_O | F_A | F_P },
	{ KHV_ALU_CMP, 8, 0x1234, 0x1234, F_C, 0x1234, F_Z | F_P },
	{ KHV_ALU_CMP, 1, 0x1ff, 0x0ff, 0, ONES8, F_Z | F_P },
};

/* AND OR XOR TEST: CF OF (and AF, undefined) cleared even if set before. */
static const struct alu_case logic_cases[] = {
	{ KHV_ALU_AND, 1, 0xf0, 0x0f, F_ALL, 0, F_Z | F_P },
	{ KHV_ALU_AND, 1, MIN8, ONES8, F_ALL, MIN8, F_S },
	{ KHV_ALU_AND, 2, 0xff00, 0x8100, F_ALL, 0x8100, F_S | F_P },
	{ KHV_ALU_AND, 4, 0xfffffffe, 0x80000003, F_C | F_O, 0x80000002, F_S },
	{ KHV_ALU_AND, 8, ONES64, 0x8000000000000003ULL, F_ALL, 0x8000000000000003ULL, F_S | F_P },
	{ KHV_ALU_AND, 4, 0xfffffffe, 0xffffffff, 0, 0xfffffffe, F_S },
	{ KHV_ALU_OR, 1, 0, 0, F_ALL, 0, F_Z | F_P },
	{ KHV_ALU_OR, 2, MIN16, 1, F_ALL, 0x8001, F_S },
	{ KHV_ALU_OR, 4, 0x80000000, 0x80000000, F_ALL, MIN32, F_S | F_P },
	{ KHV_ALU_OR, 4, 0x12345678, 0x80000000, 0, 0x92345678, F_S | F_P },
	{ KHV_ALU_OR, 8, 0x0100000000000000ULL, 3, F_ALL, 0x0100000000000003ULL, F_P },
	{ KHV_ALU_XOR, 1, 0xaa, 0xaa, F_ALL, 0, F_Z | F_P },
	{ KHV_ALU_XOR, 2, ONES16, MAX16, F_ALL, MIN16, F_S | F_P },
	{ KHV_ALU_XOR, 4, 0x12345678, 0x12345678, F_C, 0, F_Z | F_P },
	{ KHV_ALU_XOR, 8, 0, 0x8000000000000001ULL, F_ALL, 0x8000000000000001ULL, F_S },
	{ KHV_ALU_XOR, 1, 0x1f0, 0x10f, 0, ONES8, F_S | F_P },
	/* TEST: flags of AND, the destination unchanged */
	{ KHV_ALU_TEST, 1, MIN8, MIN8, F_ALL, MIN8, F_S },
	{ KHV_ALU_TEST, 2, 1, 3, F_ALL, 1, 0 },
	{ KHV_ALU_TEST, 4, MIN32, MAX32, F_ALL, MIN32, F_Z | F_P },
	{ KHV_ALU_TEST, 8, 0xff00, 0xff00, 0, 0xff00, F_P },
	{ KHV_ALU_TEST, 8, MIN64, ONES64, F_C | F_O, MIN64, F_S | F_P },
};

/* INC and DEC: flags of ADD/SUB 1, CF as it was. */
static const struct alu_case incdec_cases[] = {
	{ KHV_ALU_INC, 1, ONES8, 0, 0, 0, F_Z | F_P | F_A },
	{ KHV_ALU_INC, 1, ONES8, 0, F_C, 0, F_C | F_Z | F_P | F_A },
	{ KHV_ALU_INC, 1, MAX8, 0, F_C, MIN8, F_C | F_O | F_S | F_A },
	{ KHV_ALU_INC, 2, ONES16, 0, F_C, 0, F_C | F_Z | F_P | F_A },
	{ KHV_ALU_INC, 2, MAX16, 0, 0, MIN16, F_O | F_S | F_A | F_P },
	{ KHV_ALU_INC, 4, MAX32, 0, 0, MIN32, F_O | F_S | F_A | F_P },
	{ KHV_ALU_INC, 4, ONES32, 0, F_C, 0, F_C | F_Z | F_P | F_A },
	{ KHV_ALU_INC, 8, ONES64, 0, 0, 0, F_Z | F_P | F_A },
	{ KHV_ALU_INC, 8, MAX64, 0, F_C, MIN64, F_C | F_O | F_S | F_A | F_P },
	{ KHV_ALU_INC, 8, 1, 0x55, F_O | F_S | F_Z | F_A, 2, 0 },
	{ KHV_ALU_DEC, 1, 0, 0, 0, ONES8, F_A | F_S | F_P },
	{ KHV_ALU_DEC, 1, MIN8, 0, F_C, MAX8, F_C | F_O | F_A },
	{ KHV_ALU_DEC, 2, 1, 0, F_C, 0, F_C | F_Z | F_P },
	{ KHV_ALU_DEC, 2, MIN16, 0, 0, MAX16, F_O | F_A | F_P },
	{ KHV_ALU_DEC, 4, MIN32, 0, 0, MAX32, F_O | F_A | F_P },
	{ KHV_ALU_DEC, 4, 0, 0, F_C, ONES32, F_C | F_A | F_S | F_P },
	{ KHV_ALU_DEC, 8, 0, 0, F_C, ONES64, F_C | F_A | F_S | F_P },
	{ KHV_ALU_DEC, 8, MIN64, 0, 0, MAX64, F_O | F_A | F_P },
	{ KHV_ALU_DEC, 8, 0x100, 0, F_ALL, 0xff, F_C | F_A | F_P },
};

/* NEG: SUB 0, dst; NOT and XCHG: no flags at all. */
static const struct alu_case unary_cases[] = {
	{ KHV_ALU_NEG, 1, 0, 0, F_ALL, 0, F_Z | F_P },
	{ KHV_ALU_NEG, 1, MIN8, 0, 0, MIN8, F_C | F_O | F_S },
	{ KHV_ALU_NEG, 1, 1, 0, 0, ONES8, F_C | F_A | F_S | F_P },
	{ KHV_ALU_NEG, 2, 0, 0, F_C, 0, F_Z | F_P },
	{ KHV_ALU_NEG, 2, MIN16, 0, 0, MIN16, F_C | F_O | F_S | F_P },
	{ KHV_ALU_NEG, 4, 0, 0, F_ALL, 0, F_Z | F_P },
	{ KHV_ALU_NEG, 4, MIN32, 0, 0, MIN32, F_C | F_O | F_S | F_P },
	{ KHV_ALU_NEG, 4, 0x10, 0, 0, 0xfffffff0, F_C | F_S | F_P },
	{ KHV_ALU_NEG, 8, 0, 0, 0, 0, F_Z | F_P },
	{ KHV_ALU_NEG, 8, MIN64, 0, 0, MIN64, F_C | F_O | F_S | F_P },
	{ KHV_ALU_NEG, 8, 1, 0, 0, ONES64, F_C | F_A | F_S | F_P },
	{ KHV_ALU_NEG, 8, ONES64, 0, 0, 1, F_C | F_A },
	{ KHV_ALU_NEG, 2, 0x10000, 0, 0, 0, F_Z | F_P },	/* truncated: 0 */
	{ KHV_ALU_NOT, 1, 0x0f, 0, F_C | F_Z, 0xf0, F_C | F_Z },
	{ KHV_ALU_NOT, 2, 0, 0, 0, ONES16, 0 },
	{ KHV_ALU_NOT, 4, MIN32, 0, F_ALL, MAX32, F_ALL },
	{ KHV_ALU_NOT, 8, 0, 0, F_O | F_A, ONES64, F_O | F_A },
	{ KHV_ALU_NOT, 4, 0xffffffff00000000ULL, 0, 0, ONES32, 0 },
	{ KHV_ALU_XCHG, 1, 1, 0x1ff, F_S, ONES8, F_S },
	{ KHV_ALU_XCHG, 4, 1, 0x123456789ULL, F_ALL, 0x23456789, F_ALL },
	{ KHV_ALU_XCHG, 8, 1, ONES64, 0, ONES64, 0 },
	/* an unknown operation changes nothing */
	{ KHV_NR_ALU_OPS, 4, 0x1234, 5, F_C | F_P, 0x1234, F_C | F_P },
	{ 0xff, 1, 0x7f, 5, 0, 0x7f, 0 },
};

static int t_add(void) { return RUN(add_cases); }
static int t_adc(void) { return RUN(adc_cases); }
static int t_sub(void) { return RUN(sub_cases); }
static int t_sbb(void) { return RUN(sbb_cases); }
static int t_cmp(void) { return RUN(cmp_cases); }
static int t_logic(void) { return RUN(logic_cases); }
static int t_inc_dec(void) { return RUN(incdec_cases); }
static int t_neg_not_xchg(void) { return RUN(unary_cases); }

static int t_api(void)
{
	u64 f = 0;

	/* rflags_out may be NULL; a size other than 1, 2, 4 is 8 */
	CHECK(khv_alu(KHV_ALU_ADD, 1, 2, 4, 0, NULL) == 3, "NULL rflags_out");
	CHECK(khv_alu(KHV_ALU_ADD, ONES64, 1, 0, 0, &f) == 0 &&
	      f == (F_C | F_P | F_A | F_Z), "size 0 is 8");
	CHECK(khv_alu(KHV_ALU_ADD, ONES32, 1, 3, 0, &f) == 0x100000000ULL,
	      "size 3 is 8");
	CHECK(khv_alu_writes_dst(KHV_ALU_ADD) && khv_alu_writes_dst(KHV_ALU_NOT) &&
	      khv_alu_writes_dst(KHV_ALU_XCHG) && !khv_alu_writes_dst(KHV_ALU_CMP) &&
	      !khv_alu_writes_dst(KHV_ALU_TEST), "writes_dst");
	CHECK(khv_alu_writes_flags(KHV_ALU_ADD) && khv_alu_writes_flags(KHV_ALU_INC) &&
	      khv_alu_writes_flags(KHV_ALU_CMP) && khv_alu_writes_flags(KHV_ALU_NEG) &&
	      !khv_alu_writes_flags(KHV_ALU_NOT) && !khv_alu_writes_flags(KHV_ALU_XCHG),
	      "writes_flags");
	/* group 1's /n */
	CHECK(KHV_ALU_ADD == 0 && KHV_ALU_OR == 1 && KHV_ALU_ADC == 2 &&
	      KHV_ALU_SBB == 3 && KHV_ALU_AND == 4 && KHV_ALU_SUB == 5 &&
	      KHV_ALU_XOR == 6 && KHV_ALU_CMP == 7, "numbering");
	return KSFT_PASS;
}

#if defined(__x86_64__) && defined(__GNUC__)
/*
 * The CPU's answer. RFLAGS goes in and out through the stack, below the
 * red zone the compiler may be using; DF and TF stay clear. AF after the
 * bitwise operations is undefined and not compared.
 */
#define HW_PRE	"lea -128(%%rsp), %%rsp\n\tpush %[fl]\n\tpopfq\n\t"
#define HW_POST	"\n\tpushfq\n\tpop %[fl]\n\tlea 128(%%rsp), %%rsp"

#define HW_BIN(T, insn, d, s, flags)					\
	do {								\
		T a_ = (T)(d), b_ = (T)(s);				\
		asm volatile(HW_PRE insn " %[b], %[a]" HW_POST		\
			     : [a] "+q" (a_), [fl] "+r" (flags)		\
			     : [b] "q" (b_) : "cc", "memory");		\
		d = a_;							\
	} while (0)

#define HW_UN(T, insn, d, flags)						\
	do {								\
		T a_ = (T)(d);						\
		asm volatile(HW_PRE insn " %[a]" HW_POST			\
			     : [a] "+q" (a_), [fl] "+r" (flags)		\
			     : : "cc", "memory");			\
		d = a_;							\
	} while (0)

#define HW_SIZES(M, ...)						\
	switch (size) {							\
	case 1: M(u8, __VA_ARGS__); break;				\
	case 2: M(u16, __VA_ARGS__); break;				\
	case 4: M(u32, __VA_ARGS__); break;				\
	default: M(u64, __VA_ARGS__); break;				\
	}

static u64 hw_alu(u8 op, u64 d, u64 s, u8 size, u64 *fl)
{
	switch (op) {
	case KHV_ALU_ADD: HW_SIZES(HW_BIN, "add", d, s, *fl); break;
	case KHV_ALU_OR:  HW_SIZES(HW_BIN, "or",  d, s, *fl); break;
	case KHV_ALU_ADC: HW_SIZES(HW_BIN, "adc", d, s, *fl); break;
	case KHV_ALU_SBB: HW_SIZES(HW_BIN, "sbb", d, s, *fl); break;
	case KHV_ALU_AND: HW_SIZES(HW_BIN, "and", d, s, *fl); break;
	case KHV_ALU_SUB: HW_SIZES(HW_BIN, "sub", d, s, *fl); break;
	case KHV_ALU_XOR: HW_SIZES(HW_BIN, "xor", d, s, *fl); break;
	case KHV_ALU_CMP: HW_SIZES(HW_BIN, "cmp", d, s, *fl); break;
	case KHV_ALU_TEST: HW_SIZES(HW_BIN, "test", d, s, *fl); break;
	case KHV_ALU_INC: HW_SIZES(HW_UN, "inc", d, *fl); break;
	case KHV_ALU_DEC: HW_SIZES(HW_UN, "dec", d, *fl); break;
	case KHV_ALU_NOT: HW_SIZES(HW_UN, "not", d, *fl); break;
	case KHV_ALU_NEG: HW_SIZES(HW_UN, "neg", d, *fl); break;
	}
	return d;
}

static u64 rng_state = 0x9e3779b97f4a7c15ULL;

static u64 rnd(void)
{
	rng_state ^= rng_state << 13;
	rng_state ^= rng_state >> 7;
	rng_state ^= rng_state << 17;
	return rng_state;
}

/* Every operation and size, edge operands x edge operands, then random. */
static int t_vs_cpu(void)
{
	static const u8 sizes[] = { 1, 2, 4, 8 };
	u64 vals[32];
	unsigned long long checked = 0;
	size_t si, a, b, nv;
	u8 op;

	for (si = 0; si < ARRAY_SIZE(sizes); si++) {
		u8 size = sizes[si];
		u64 mask = size == 8 ? ~0ULL : (1ULL << (8 * size)) - 1;
		u64 sign = 1ULL << (8 * size - 1);
		const u64 edges[] = {
			0, 1, 2, 7, 8, 0xf, 0x10, 0x7f, 0x80, 0xff, 0x100,
			sign - 1, sign, sign + 1, mask - 1, mask,
			0x5555555555555555ULL, 0xaaaaaaaaaaaaaaaaULL,
		};

		for (nv = 0; nv < ARRAY_SIZE(edges); nv++)
			vals[nv] = edges[nv] & mask;
		for (; nv < ARRAY_SIZE(vals); nv++)
			vals[nv] = rnd() & mask;
		for (op = KHV_ALU_ADD; op <= KHV_ALU_NEG; op++) {
			u64 cmp = KHV_RFLAGS_ARITH;

			if (op == KHV_ALU_AND || op == KHV_ALU_OR ||
			    op == KHV_ALU_XOR || op == KHV_ALU_TEST)
				cmp &= ~KHV_RFLAGS_AF;
			for (a = 0; a < nv; a++) {
				for (b = 0; b < nv; b++) {
					u64 fin = 0x202 | (rnd() & KHV_RFLAGS_ARITH);
					u64 hw_f = fin, sw_f, hw_r, sw_r;
					/* garbage above size: khv_alu must ignore it */
					u64 junk = rnd() & ~mask;

					hw_r = hw_alu(op, vals[a], vals[b], size, &hw_f);
					sw_r = khv_alu(op, vals[a] | junk, vals[b] | junk,
						       size, fin, &sw_f);
					hw_r &= mask;
					CHECK(sw_r == hw_r && !((sw_f ^ hw_f) & cmp),
					      "%s%u %#llx, %#llx fin %#llx: khv %#llx "
					      "%#llx, cpu %#llx %#llx", op_name(op),
					      size * 8, (unsigned long long)vals[a],
					      (unsigned long long)vals[b],
					      (unsigned long long)fin,
					      (unsigned long long)sw_r,
					      (unsigned long long)(sw_f & KHV_RFLAGS_ARITH),
					      (unsigned long long)hw_r,
					      (unsigned long long)(hw_f & KHV_RFLAGS_ARITH));
					checked++;
				}
			}
		}
	}
	ksft_diag("%llu operations agree with the CPU", checked);
	return KSFT_PASS;
}
#else
static int t_vs_cpu(void)
{
	SKIP_IF(1, "not an x86-64 host");
	return KSFT_PASS;
}
#endif

static const struct ksft_case cases[] = {
	{ "alu_add", t_add },
	{ "alu_adc", t_adc },
	{ "alu_sub", t_sub },
	{ "alu_sbb", t_sbb },
	{ "alu_cmp", t_cmp },
	{ "alu_and_or_xor_test", t_logic },
	{ "alu_inc_dec", t_inc_dec },
	{ "alu_neg_not_xchg", t_neg_not_xchg },
	{ "alu_api", t_api },
	{ "alu_vs_cpu", t_vs_cpu },
};

int main(void)
{
	return KSFT_RUN(cases);
}
