/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Integer ALU for emulating read-modify-write instructions on MMIO (pure:
 * see khv_pure.h). khv_alu() computes an operation's result and the
 * arithmetic flags CF PF AF ZF SF OF as the SDM vol. 2 (each instruction's
 * "Flags Affected") and the APM vol. 3 define them, for 1, 2, 4 and 8-byte
 * operands. decode.c says which instruction uses which operation and how
 * its operands map to dst and src (khv_insn_alu_operands()).
 */
#ifndef KHV_ALU_H
#define KHV_ALU_H

#include "khv_pure.h"

/* RFLAGS bits that khv_alu() computes. */
#define KHV_RFLAGS_CF		BIT_ULL(0)
#define KHV_RFLAGS_PF		BIT_ULL(2)
#define KHV_RFLAGS_AF		BIT_ULL(4)
#define KHV_RFLAGS_ZF		BIT_ULL(6)
#define KHV_RFLAGS_SF		BIT_ULL(7)
#define KHV_RFLAGS_OF		BIT_ULL(11)
#define KHV_RFLAGS_ARITH	(KHV_RFLAGS_CF | KHV_RFLAGS_PF | KHV_RFLAGS_AF | \
				 KHV_RFLAGS_ZF | KHV_RFLAGS_SF | KHV_RFLAGS_OF)

/*
 * The operations. ADD..CMP are numbered as the /n of group 1 (80-83) and
 * bits 5:3 of opcodes 00-3B encode them.
 *
 *   op    result            flags
 *   ADD   dst + src         all, from the sum
 *   OR    dst | src         CF = OF = 0, AF = 0 (undefined), PF ZF SF
 *   ADC   dst + src + CF    all, from the sum
 *   SBB   dst - src - CF    all, from the difference (CF = borrow)
 *   AND   dst & src         as OR
 *   SUB   dst - src         all, from the difference (CF = borrow)
 *   XOR   dst ^ src         as OR
 *   CMP   dst (unchanged)   as SUB
 *   TEST  dst (unchanged)   as AND
 *   INC   dst + 1           as ADD dst, 1 but CF unchanged
 *   DEC   dst - 1           as SUB dst, 1 but CF unchanged
 *   NOT   ~dst              none
 *   NEG   0 - dst           as SUB 0, dst: CF = (dst != 0), OF = (dst == MIN)
 *   XCHG  src               none (the caller moves dst to the register)
 *
 * The unary operations (INC DEC NOT NEG) work on dst and ignore src.
 */
enum khv_alu_op {
	KHV_ALU_ADD,
	KHV_ALU_OR,
	KHV_ALU_ADC,
	KHV_ALU_SBB,
	KHV_ALU_AND,
	KHV_ALU_SUB,
	KHV_ALU_XOR,
	KHV_ALU_CMP,
	KHV_ALU_TEST,
	KHV_ALU_INC,
	KHV_ALU_DEC,
	KHV_ALU_NOT,
	KHV_ALU_NEG,
	KHV_ALU_XCHG,
	KHV_NR_ALU_OPS,
};

/* Whether op writes its destination operand: all but CMP and TEST. */
static inline bool khv_alu_writes_dst(enum khv_alu_op op)
{
	return op != KHV_ALU_CMP && op != KHV_ALU_TEST;
}

/* Whether op changes RFLAGS: all but NOT and XCHG. */
static inline bool khv_alu_writes_flags(enum khv_alu_op op)
{
	return op != KHV_ALU_NOT && op != KHV_ALU_XCHG;
}

/*
 * Perform op on size-byte operands (1, 2, 4 or 8; any other size is taken
 * as 8). dst and src are truncated to size first. Returns the new value of
 * the destination, zero-extended from size bytes: the result, or dst
 * itself for CMP and TEST. *rflags_out (if not NULL) gets rflags_in with
 * the arithmetic flags the operation writes replaced and every other bit,
 * including the flags it leaves alone, kept. Only ADC and SBB read
 * rflags_in (CF). An op out of range changes nothing: dst, rflags_in.
 */
u64 khv_alu(enum khv_alu_op op, u64 dst, u64 src, u8 size, u64 rflags_in,
	    u64 *rflags_out);

#endif /* KHV_ALU_H */
