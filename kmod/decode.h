/* SPDX-License-Identifier: GPL-2.0 */
/*
 * x86 instruction decoder for MMIO emulation (pure: see khv_pure.h).
 *
 * When a guest access faults on a GPA that no memslot backs, khv fetches
 * the bytes at the guest's RIP and decodes them here. Only the instructions
 * that device drivers use to touch MMIO are understood: MOV in its memory
 * forms (88/89/8A/8B, C6/C7 /0, A0-A3), MOVZX/MOVSX (0F B6/B7/BE/BF) and
 * the string moves MOVS/STOS/LODS (A4/A5/AA/AB/AC/AD) with or without REP.
 * That is what Linux's readX/writeX, memcpy_{to,from}io and memset_io
 * compile to. On top of those, the read-modify-write instructions drivers
 * apply to device registers (KHV_INSN_ALU, computed by alu.h):
 *   ADD OR ADC SBB AND SUB XOR CMP  r/m,r (00/01 .. 38/39), r,r/m (02/03 ..
 *                                   3A/3B), 80/81/83 /n imm (and 82 /n,
 *                                   the alias of 80 /n, outside 64-bit mode)
 *   TEST                            r/m,r (84/85), F6/F7 /0 imm (and /1,
 *                                   TEST in the APM's opcode map)
 *   INC DEC                         FE/FF /0 /1
 *   NOT NEG                         F6/F7 /2 /3
 *   XCHG                            r/m,r (86/87)
 * And group 7's SMSW m16 (0F 01 /4, KHV_INSN_SMSW: a 2-byte store of
 * CR0's low word, which the emulator supplies: a guest's SMSW to MMIO, or
 * one intercepted while the guest's CR0 differs from the CPU's) and LMSW
 * m16 (0F 01 /6, KHV_INSN_LMSW: the 2-byte operand of an intercepted
 * LMSW).
 * Everything else is -EOPNOTSUPP.
 *
 * khv_insn_decode() returns 0 and fills *insn, or:
 *   -EAGAIN      the bytes end before the instruction does: fetch more
 *                (at most KHV_INSN_MAX_LEN) and call again;
 *   -EINVAL      the instruction would fault rather than access memory:
 *                LOCK where it is #UD (MOV, MOVS and friends, CMP, TEST,
 *                forms whose destination is a register, any register
 *                operand ModRM.mod == 3), longer than 15 bytes (#GP), or a
 *                bad mode argument;
 *   -EOPNOTSUPP  not one of the instructions above, or one of them with a
 *                register (ModRM.mod == 3) instead of a memory operand.
 * LOCK is accepted on ADD OR ADC SBB AND SUB XOR INC DEC NOT NEG XCHG with
 * a memory destination, the forms the SDM's LOCK page lists.
 */
#ifndef KHV_DECODE_H
#define KHV_DECODE_H

#include "khv_pure.h"
#include "alu.h"

#define KHV_INSN_MAX_LEN	15

/* Default operand/address sizes: real, prot16 16/16; prot32 32/32; long64 32/64. */
enum khv_cpu_mode {
	KHV_MODE_REAL,
	KHV_MODE_PROT16,	/* protected mode, CS.D = 0 (or virtual-8086) */
	KHV_MODE_PROT32,	/* protected mode or compatibility mode, CS.D = 1 */
	KHV_MODE_LONG64,	/* EFER.LMA = 1 and CS.L = 1 */
};

/* General-purpose registers, numbered as in struct kvm_regs and ModRM. */
enum khv_gpr {
	KHV_REG_RAX, KHV_REG_RCX, KHV_REG_RDX, KHV_REG_RBX,
	KHV_REG_RSP, KHV_REG_RBP, KHV_REG_RSI, KHV_REG_RDI,
	KHV_REG_R8, KHV_REG_R9, KHV_REG_R10, KHV_REG_R11,
	KHV_REG_R12, KHV_REG_R13, KHV_REG_R14, KHV_REG_R15,
	KHV_NR_GPRS,
	KHV_REG_NONE = 0xff,
};

/* Segment registers in the SDM's Sreg encoding. */
enum khv_seg {
	KHV_SEG_ES, KHV_SEG_CS, KHV_SEG_SS, KHV_SEG_DS, KHV_SEG_FS, KHV_SEG_GS,
};

enum khv_insn_kind {
	KHV_INSN_LOAD = 1,	/* memory -> reg (MOV, MOVZX, MOVSX) */
	KHV_INSN_STORE_REG,	/* reg -> memory */
	KHV_INSN_STORE_IMM,	/* imm -> memory */
	KHV_INSN_MOVS,		/* seg:rSI -> ES:rDI */
	KHV_INSN_STOS,		/* rAX -> ES:rDI */
	KHV_INSN_LODS,		/* seg:rSI -> rAX */
	KHV_INSN_ALU,		/* read memory, khv_alu(alu_op), maybe write back */
	KHV_INSN_SMSW,		/* CR0[15:0] -> memory (size 2) */
	KHV_INSN_LMSW,		/* memory (size 2) -> CR0[3:0], as LMSW does */
};

/* How a load widens the value read (size bytes) to the register (dst_size). */
enum khv_insn_ext {
	KHV_EXT_NONE,
	KHV_EXT_ZERO,		/* MOVZX */
	KHV_EXT_SIGN,		/* MOVSX */
};

/*
 * Repeat prefix of a string instruction, as encoded. MOVS, STOS and LODS
 * do not test ZF, so both kinds mean "repeat rCX times" for them.
 */
enum khv_insn_rep {
	KHV_REP_NONE,
	KHV_REP_REP,		/* F3 */
	KHV_REP_REPNE,		/* F2 */
};

/* Where an ALU instruction's dst and src (khv_alu()'s arguments) come from. */
enum khv_insn_operand {
	KHV_OPND_NONE,		/* no such operand (src of INC DEC NOT NEG) */
	KHV_OPND_MEM,		/* the memory operand, size bytes */
	KHV_OPND_REG,		/* register reg (bits 15:8 if reg_high), size bytes */
	KHV_OPND_IMM,		/* imm */
};

/*
 * The memory operand's offset in its segment is
 *   disp + base + index * scale (+ address of the next insn if rip_rel),
 * truncated to addr_size: see khv_insn_mem_offset(). For MOVS and LODS
 * this is the source, rSI; for STOS the destination, rDI. The destination
 * of MOVS is always ES:rDI.
 */
struct khv_insn_mem {
	u64 disp;		/* sign-extended; the offset itself for moffs */
	u8 base;		/* enum khv_gpr or KHV_REG_NONE */
	u8 index;		/* enum khv_gpr or KHV_REG_NONE */
	u8 scale;		/* 1, 2, 4 or 8 */
	u8 rip_rel;		/* 1: RIP-relative (64-bit mode, mod 00 rm 101) */
};

/*
 * A decoded instruction. For KHV_INSN_ALU, the emulator reads size bytes
 * of memory (every ALU form does), then:
 *
 *	khv_insn_alu_operands(insn, mem, reg_value, &dst, &src);
 *	result = khv_alu(insn->alu_op, dst, src, insn->size, rflags, &rflags);
 *	khv_insn_alu_results(insn, mem, reg_value, result, &mem_out, &reg_out);
 *	if (insn->mem_write) write mem_out (size bytes) back to memory;
 *	if (insn->reg_write) GPR insn->reg = reg_out;
 *	if (insn->flags_write) RFLAGS = rflags (khv_alu() kept it otherwise);
 *
 * with reg_value the whole 64-bit GPR insn->reg (anything if KHV_REG_NONE).
 * insn->lock says the read and the write must be one atomic access.
 */
struct khv_insn {
	u64 imm;		/* STORE_IMM, ALU with src IMM: the immediate, extended and masked to size */
	struct khv_insn_mem mem;
	u8 len;			/* instruction length, 1..15 */
	u8 kind;		/* enum khv_insn_kind */
	u8 size;		/* bytes accessed in memory (per element for strings) */
	u8 reg;			/* register operand (rAX for moffs, STOS, LODS) or KHV_REG_NONE */
	u8 reg_high;		/* 1: reg means AH/CH/DH/BH, bits 15:8 of reg 0..3 */
	u8 ext;			/* enum khv_insn_ext (loads) */
	u8 dst_size;		/* LOAD, LODS, ALU with reg_write: bytes written to reg; 0 otherwise */
	u8 rep;			/* enum khv_insn_rep (strings; 0 otherwise) */
	u8 addr_size;		/* 2, 4 or 8: address arithmetic, rSI/rDI/rCX width */
	u8 seg;			/* enum khv_seg of mem, after any override */
	/* KHV_INSN_ALU only; all 0 for the other kinds. */
	u8 alu_op;		/* enum khv_alu_op */
	u8 dst;			/* enum khv_insn_operand: MEM, or REG (02/03 .. 3A/3B) */
	u8 src;			/* enum khv_insn_operand: REG, MEM, IMM or NONE */
	u8 mem_write;		/* 1: memory is written (not CMP, TEST, reg destination) */
	u8 reg_write;		/* 1: reg is written (reg destination but CMP; XCHG) */
	u8 flags_write;		/* 1: arithmetic flags are written (not NOT, XCHG) */
	u8 lock;		/* 1: locked: F0 prefix, or XCHG (always locked) */
};

int khv_insn_decode(const u8 *bytes, u32 len, enum khv_cpu_mode mode,
		    struct khv_insn *insn);

/*
 * The new value of register insn->reg after a load (LOAD, LODS) read
 * mem_value from memory: MOVZX/MOVSX extension, merge into the low 8 or
 * 16 bits or into bits 15:8 for AH..BH, and 32-bit destinations zero-
 * extended to 64 bits. (Outside 64-bit mode the upper half is
 * architecturally undefined; zero is as good a value as any.)
 */
u64 khv_insn_reg_after_load(const struct khv_insn *insn, u64 old_reg,
			    u64 mem_value);

/*
 * The value a store writes to memory, masked to insn->size: the immediate
 * for STORE_IMM, else reg_value (bits 15:8 of it for AH..BH). For MOVS,
 * pass the value read from the source.
 */
u64 khv_insn_store_value(const struct khv_insn *insn, u64 reg_value);

/*
 * khv_alu()'s dst and src for a KHV_INSN_ALU, picked as insn->dst and
 * insn->src say from mem_value (what the memory operand holds), reg_value
 * (the whole GPR insn->reg; bits 15:8 are taken for AH..BH) and insn->imm,
 * each truncated to insn->size. A NONE operand is 0.
 */
void khv_insn_alu_operands(const struct khv_insn *insn, u64 mem_value,
			   u64 reg_value, u64 *dst, u64 *src);

/*
 * Where khv_alu()'s result goes, for a KHV_INSN_ALU. *mem_out: the value
 * to store if insn->mem_write, the result truncated to insn->size (for
 * XCHG that is the register's value). *reg_out: the new value of the GPR
 * insn->reg if insn->reg_write, the result (for XCHG: mem_value) merged
 * into reg_value as a MOV to the register would (8/16-bit and AH..BH
 * writes keep the other bits, 32-bit writes zero-extend). When a flag is
 * 0 the matching output is still set (to the current value) but unused.
 */
void khv_insn_alu_results(const struct khv_insn *insn, u64 mem_value,
			  u64 reg_value, u64 result, u64 *mem_out,
			  u64 *reg_out);

/*
 * Offset of the memory operand within its segment (insn->seg), given the
 * guest's GPRs and the RIP of the instruction's first byte. String steps
 * (+size or -size per element) follow RFLAGS.DF, which the caller knows.
 */
u64 khv_insn_mem_offset(const struct khv_insn *insn,
			const u64 gprs[KHV_NR_GPRS], u64 rip);

/* Mask for an address (or rSI/rDI/rCX) of insn->addr_size bytes. */
static inline u64 khv_insn_addr_mask(const struct khv_insn *insn)
{
	return insn->addr_size >= 8 ? ~0ULL : (1ULL << (8 * insn->addr_size)) - 1;
}

#endif /* KHV_DECODE_H */
