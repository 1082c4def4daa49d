// SPDX-License-Identifier: GPL-2.0
/*
 * Integer ALU for MMIO read-modify-write emulation. Pure code: see
 * khv_pure.h; the contract is in alu.h.
 *
 * Every operation is an addition, a subtraction or a bitwise operation on
 * operands truncated to the operand size. Flags, per SDM vol. 1 3.4.3.1
 * and each instruction's "Flags Affected":
 *   CF  carry out of (addition) or borrow into (subtraction) the top bit;
 *   PF  the low byte of the result has an even number of 1 bits;
 *   AF  carry out of or borrow into bit 3, i.e. a carry or borrow into
 *       bit 4;
 *   ZF  the result is 0;
 *   SF  the result's top bit;
 *   OF  the result's sign is wrong for a signed operation: the operands
 *       of an addition agree in sign and the result does not; those of a
 *       subtraction differ and the result's differs from the minuend's.
 * Bitwise operations clear CF and OF; AF is undefined for them and khv
 * clears it.
 */
#include "alu.h"

/* Operand geometry: all-ones mask and the sign bit for size bytes. */
struct khv_alu_width {
	u64 mask;
	u64 sign;
};

static struct khv_alu_width khv_alu_width(u8 size)
{
	u32 bits = size == 1 || size == 2 || size == 4 ? 8 * size : 64;

	return (struct khv_alu_width){
		.mask = bits == 64 ? ~0ULL : (1ULL << bits) - 1,
		.sign = 1ULL << (bits - 1),
	};
}

/* PF, ZF and SF of a truncated result. */
static u64 khv_alu_pzs(u64 r, const struct khv_alu_width *w)
{
	u8 low = r;
	u64 f = 0;

	low ^= low >> 4;
	low ^= low >> 2;
	low ^= low >> 1;
	if (!(low & 1))
		f |= KHV_RFLAGS_PF;
	if (!r)
		f |= KHV_RFLAGS_ZF;
	if (r & w->sign)
		f |= KHV_RFLAGS_SF;
	return f;
}

/*
 * d + s + carry_in. Bit i carries out when both d and s have it, or one
 * of them does and the sum's bit is 0 (so a carry came in). Bit i of
 * d ^ s ^ r is the carry into bit i.
 */
static u64 khv_alu_add(u64 d, u64 s, u64 carry_in,
		       const struct khv_alu_width *w, u64 *flags)
{
	u64 r = (d + s + carry_in) & w->mask;
	u64 carry_out = (d & s) | ((d | s) & ~r);

	*flags = khv_alu_pzs(r, w);
	if (carry_out & w->sign)
		*flags |= KHV_RFLAGS_CF;
	if ((d ^ s ^ r) & BIT_ULL(4))
		*flags |= KHV_RFLAGS_AF;
	if ((d ^ r) & (s ^ r) & w->sign)
		*flags |= KHV_RFLAGS_OF;
	return r;
}

/*
 * d - s - borrow_in. Bit i borrows when d lacks it and s has it, or when
 * d and s agree on it (d's bit 0 or s's bit 1) and a borrow came in,
 * which shows as a 1 in the difference. Bit i of d ^ s ^ r is the borrow
 * into bit i.
 */
static u64 khv_alu_sub(u64 d, u64 s, u64 borrow_in,
		       const struct khv_alu_width *w, u64 *flags)
{
	u64 r = (d - s - borrow_in) & w->mask;
	u64 borrow_out = (~d & s) | ((~d | s) & r);

	*flags = khv_alu_pzs(r, w);
	if (borrow_out & w->sign)
		*flags |= KHV_RFLAGS_CF;
	if ((d ^ s ^ r) & BIT_ULL(4))
		*flags |= KHV_RFLAGS_AF;
	if ((d ^ s) & (d ^ r) & w->sign)
		*flags |= KHV_RFLAGS_OF;
	return r;
}

u64 khv_alu(enum khv_alu_op op, u64 dst, u64 src, u8 size, u64 rflags_in,
	    u64 *rflags_out)
{
	const struct khv_alu_width w = khv_alu_width(size);
	u64 cf = rflags_in & KHV_RFLAGS_CF ? 1 : 0;
	u64 written = KHV_RFLAGS_ARITH;		/* flags the operation sets */
	u64 flags = 0, r;

	dst &= w.mask;
	src &= w.mask;
	switch (op) {
	case KHV_ALU_ADD:
		r = khv_alu_add(dst, src, 0, &w, &flags);
		break;
	case KHV_ALU_ADC:
		r = khv_alu_add(dst, src, cf, &w, &flags);
		break;
	case KHV_ALU_SUB:
		r = khv_alu_sub(dst, src, 0, &w, &flags);
		break;
	case KHV_ALU_SBB:
		r = khv_alu_sub(dst, src, cf, &w, &flags);
		break;
	case KHV_ALU_CMP:
		khv_alu_sub(dst, src, 0, &w, &flags);
		r = dst;
		break;
	case KHV_ALU_OR:
		r = dst | src;
		flags = khv_alu_pzs(r, &w);
		break;
	case KHV_ALU_AND:
		r = dst & src;
		flags = khv_alu_pzs(r, &w);
		break;
	case KHV_ALU_XOR:
		r = dst ^ src;
		flags = khv_alu_pzs(r, &w);
		break;
	case KHV_ALU_TEST:
		flags = khv_alu_pzs(dst & src, &w);
		r = dst;
		break;
	case KHV_ALU_INC:
		r = khv_alu_add(dst, 1, 0, &w, &flags);
		written &= ~KHV_RFLAGS_CF;
		break;
	case KHV_ALU_DEC:
		r = khv_alu_sub(dst, 1, 0, &w, &flags);
		written &= ~KHV_RFLAGS_CF;
		break;
	case KHV_ALU_NEG:
		r = khv_alu_sub(0, dst, 0, &w, &flags);
		break;
	case KHV_ALU_NOT:
		r = ~dst & w.mask;
		written = 0;
		break;
	case KHV_ALU_XCHG:
		r = src;
		written = 0;
		break;
	default:
		r = dst;
		written = 0;
		break;
	}
	if (rflags_out)
		*rflags_out = (rflags_in & ~written) | (flags & written);
	return r;
}
