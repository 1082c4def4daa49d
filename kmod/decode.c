// SPDX-License-Identifier: GPL-2.0
/*
 * x86 instruction decoder for MMIO emulation. Pure code: see khv_pure.h;
 * the contract is in decode.h. Encodings follow the SDM vol. 2 and the
 * APM vol. 3 opcode maps:
 *
 *   legacy prefixes (any order) [REX, 64-bit mode only] opcode
 *   [ModRM [SIB] [disp8/16/32] | moffs16/32/64] [imm8/16/32]
 *
 * Decoding is a walk down that line: khv_dec_prefixes(), a look-up in
 * khv_opcodes[] (by opcode, and for group opcodes by ModRM.reg too), then
 * the operand bytes the entry says are there.
 */
#include "decode.h"

#define REX_B		BIT(0)
#define REX_X		BIT(1)
#define REX_R		BIT(2)
#define REX_W		BIT(3)

#define KHV_SEG_NONE	0xff

/* What follows the opcode byte(s), and how the operands are sized. */
#define OP_MODRM	BIT(0)	/* ModRM with a memory operand */
#define OP_GROUP	BIT(1)	/* ModRM.reg is an opcode extension, must be .grp */
#define OP_BYTE		BIT(2)	/* 8-bit operation */
#define OP_SRC8		BIT(3)	/* 8-bit memory source, wider register (MOVZX/SX) */
#define OP_SRC16	BIT(4)	/* 16-bit memory source, wider register */
#define OP_IMM		BIT(5)	/* immediate, at most 32 bits */
#define OP_MOFFS	BIT(6)	/* address-sized offset, register rAX */
#define OP_STRING	BIT(7)	/* rSI/rDI addressing, REP allowed */
#define OP_SRC32	BIT(8)	/* 32-bit memory source, wider register (MOVSXD) */
#define OP_LONG		BIT(9)	/* only in 64-bit mode (63 is ARPL elsewhere) */
#define OP_LEGACY	BIT(10)	/* not in 64-bit mode (82 is #UD there) */
#define OP_IMM8		BIT(11)	/* imm8, sign-extended to the operand size (83) */
#define OP_LOCK		BIT(12)	/* LOCK allowed (with a memory operand) */
#define OP_DST_REG	BIT(13)	/* ALU: the register is the destination, memory the source */
#define OP_MODRM_IMM	(OP_MODRM | OP_GROUP | OP_IMM)	/* C6/C7 /0, group 1, F6/F7 /0 */

struct khv_opcode {
	u8 map;		/* 0: one-byte map, 1: 0F map */
	u8 op;
	u8 grp;		/* OP_GROUP: the ModRM.reg value (/n) of this entry */
	u8 kind;	/* enum khv_insn_kind */
	u8 ext;		/* enum khv_insn_ext (LOAD) */
	u8 alu;		/* enum khv_alu_op (ALU) */
	u16 flags;	/* OP_* */
};

/*
 * The ALU entries. Operands: the memory operand is the destination and
 * the ModRM.reg register the source, unless OP_DST_REG swaps them; group
 * entries have an immediate source (OP_IMM) or none (INC DEC NOT NEG).
 * lock is OP_LOCK or 0: the SDM's LOCK page allows it on ADD ADC AND DEC
 * INC NEG NOT OR SBB SUB XOR XCHG with a memory destination only.
 */
#define ALU(op, grp, alu, flags)	{ 0, op, grp, KHV_INSN_ALU, KHV_EXT_NONE, alu, flags }

/* op r/m8, r8 (o) | op r/m, r (o+1) | op r8, r/m8 (o+2) | op r, r/m (o+3) */
#define ALU_RM(o, alu, lock)						\
	ALU((o) + 0, 0, alu, OP_MODRM | OP_BYTE | (lock)),		\
	ALU((o) + 1, 0, alu, OP_MODRM | (lock)),			\
	ALU((o) + 2, 0, alu, OP_MODRM | OP_BYTE | OP_DST_REG),		\
	ALU((o) + 3, 0, alu, OP_MODRM | OP_DST_REG)

/* Group 1, /n = alu: 80 r/m8, imm8 | 81 r/m, imm16/32 | 82 (= 80) | 83 r/m, imm8 */
#define ALU_GRP1(alu, lock)						\
	ALU(0x80, alu, alu, OP_MODRM_IMM | OP_BYTE | (lock)),		\
	ALU(0x81, alu, alu, OP_MODRM_IMM | (lock)),			\
	ALU(0x82, alu, alu, OP_MODRM_IMM | OP_BYTE | OP_LEGACY | (lock)), \
	ALU(0x83, alu, alu, OP_MODRM_IMM | OP_IMM8 | (lock))

/* Byte (o) and full-size (o+1) forms of a group opcode /grp without immediate. */
#define ALU_UNARY(o, grp, alu)						\
	ALU((o) + 0, grp, alu, OP_MODRM | OP_GROUP | OP_BYTE | OP_LOCK), \
	ALU((o) + 1, grp, alu, OP_MODRM | OP_GROUP | OP_LOCK)

static const struct khv_opcode khv_opcodes[] = {
	/* map op grp kind               ext           alu flags */
	{ 0, 0x88, 0, KHV_INSN_STORE_REG, KHV_EXT_NONE, 0, OP_MODRM | OP_BYTE },	/* MOV r/m8, r8 */
	{ 0, 0x89, 0, KHV_INSN_STORE_REG, KHV_EXT_NONE, 0, OP_MODRM },		/* MOV r/m, r */
	{ 0, 0x8a, 0, KHV_INSN_LOAD,      KHV_EXT_NONE, 0, OP_MODRM | OP_BYTE },	/* MOV r8, r/m8 */
	{ 0, 0x8b, 0, KHV_INSN_LOAD,      KHV_EXT_NONE, 0, OP_MODRM },		/* MOV r, r/m */
	{ 0, 0xa0, 0, KHV_INSN_LOAD,      KHV_EXT_NONE, 0, OP_MOFFS | OP_BYTE },	/* MOV AL, moffs8 */
	{ 0, 0xa1, 0, KHV_INSN_LOAD,      KHV_EXT_NONE, 0, OP_MOFFS },		/* MOV rAX, moffs */
	{ 0, 0xa2, 0, KHV_INSN_STORE_REG, KHV_EXT_NONE, 0, OP_MOFFS | OP_BYTE },	/* MOV moffs8, AL */
	{ 0, 0xa3, 0, KHV_INSN_STORE_REG, KHV_EXT_NONE, 0, OP_MOFFS },		/* MOV moffs, rAX */
	{ 0, 0xa4, 0, KHV_INSN_MOVS,      KHV_EXT_NONE, 0, OP_STRING | OP_BYTE },	/* MOVSB */
	{ 0, 0xa5, 0, KHV_INSN_MOVS,      KHV_EXT_NONE, 0, OP_STRING },		/* MOVSW/D/Q */
	{ 0, 0xaa, 0, KHV_INSN_STOS,      KHV_EXT_NONE, 0, OP_STRING | OP_BYTE },	/* STOSB */
	{ 0, 0xab, 0, KHV_INSN_STOS,      KHV_EXT_NONE, 0, OP_STRING },		/* STOSW/D/Q */
	{ 0, 0xac, 0, KHV_INSN_LODS,      KHV_EXT_NONE, 0, OP_STRING | OP_BYTE },	/* LODSB */
	{ 0, 0xad, 0, KHV_INSN_LODS,      KHV_EXT_NONE, 0, OP_STRING },		/* LODSW/D/Q */
	{ 0, 0xc6, 0, KHV_INSN_STORE_IMM, KHV_EXT_NONE, 0, OP_MODRM_IMM | OP_BYTE },	/* MOV r/m8, imm8 */
	{ 0, 0xc7, 0, KHV_INSN_STORE_IMM, KHV_EXT_NONE, 0, OP_MODRM_IMM },		/* MOV r/m, imm */
	{ 0, 0x63, 0, KHV_INSN_LOAD,      KHV_EXT_SIGN, 0, OP_MODRM | OP_SRC32 | OP_LONG },	/* MOVSXD r, r/m32 */
	{ 1, 0xc3, 0, KHV_INSN_STORE_REG, KHV_EXT_NONE, 0, OP_MODRM },		/* MOVNTI m, r */
	{ 1, 0xb6, 0, KHV_INSN_LOAD,      KHV_EXT_ZERO, 0, OP_MODRM | OP_SRC8 },	/* MOVZX r, r/m8 */
	{ 1, 0xb7, 0, KHV_INSN_LOAD,      KHV_EXT_ZERO, 0, OP_MODRM | OP_SRC16 },	/* MOVZX r, r/m16 */
	{ 1, 0xbe, 0, KHV_INSN_LOAD,      KHV_EXT_SIGN, 0, OP_MODRM | OP_SRC8 },	/* MOVSX r, r/m8 */
	{ 1, 0xbf, 0, KHV_INSN_LOAD,      KHV_EXT_SIGN, 0, OP_MODRM | OP_SRC16 },	/* MOVSX r, r/m16 */
	{ 1, 0x01, 4, KHV_INSN_SMSW,      KHV_EXT_NONE, 0, OP_MODRM | OP_GROUP | OP_SRC16 },	/* SMSW m16 */
	{ 1, 0x01, 6, KHV_INSN_LMSW,      KHV_EXT_NONE, 0, OP_MODRM | OP_GROUP | OP_SRC16 },	/* LMSW m16 */
	ALU_RM(0x00, KHV_ALU_ADD, OP_LOCK),
	ALU_RM(0x08, KHV_ALU_OR,  OP_LOCK),
	ALU_RM(0x10, KHV_ALU_ADC, OP_LOCK),
	ALU_RM(0x18, KHV_ALU_SBB, OP_LOCK),
	ALU_RM(0x20, KHV_ALU_AND, OP_LOCK),
	ALU_RM(0x28, KHV_ALU_SUB, OP_LOCK),
	ALU_RM(0x30, KHV_ALU_XOR, OP_LOCK),
	ALU_RM(0x38, KHV_ALU_CMP, 0),
	ALU_GRP1(KHV_ALU_ADD, OP_LOCK),
	ALU_GRP1(KHV_ALU_OR,  OP_LOCK),
	ALU_GRP1(KHV_ALU_ADC, OP_LOCK),
	ALU_GRP1(KHV_ALU_SBB, OP_LOCK),
	ALU_GRP1(KHV_ALU_AND, OP_LOCK),
	ALU_GRP1(KHV_ALU_SUB, OP_LOCK),
	ALU_GRP1(KHV_ALU_XOR, OP_LOCK),
	ALU_GRP1(KHV_ALU_CMP, 0),
	ALU(0x84, 0, KHV_ALU_TEST, OP_MODRM | OP_BYTE),			/* TEST r/m8, r8 */
	ALU(0x85, 0, KHV_ALU_TEST, OP_MODRM),				/* TEST r/m, r */
	ALU(0x86, 0, KHV_ALU_XCHG, OP_MODRM | OP_BYTE | OP_LOCK),	/* XCHG r/m8, r8 */
	ALU(0x87, 0, KHV_ALU_XCHG, OP_MODRM | OP_LOCK),			/* XCHG r/m, r */
	ALU(0xf6, 0, KHV_ALU_TEST, OP_MODRM_IMM | OP_BYTE),		/* TEST r/m8, imm8 */
	ALU(0xf7, 0, KHV_ALU_TEST, OP_MODRM_IMM),			/* TEST r/m, imm16/32 */
	/* /1: blank in the SDM's group 3 table, TEST in the APM's (Table A-6) */
	ALU(0xf6, 1, KHV_ALU_TEST, OP_MODRM_IMM | OP_BYTE),
	ALU(0xf7, 1, KHV_ALU_TEST, OP_MODRM_IMM),
	ALU_UNARY(0xf6, 2, KHV_ALU_NOT),
	ALU_UNARY(0xf6, 3, KHV_ALU_NEG),
	ALU_UNARY(0xfe, 0, KHV_ALU_INC),
	ALU_UNARY(0xfe, 1, KHV_ALU_DEC),
};

/* 16-bit ModRM.rm: base and index registers (rm 110 with mod 00 is disp16). */
static const u8 khv_mem16[8][2] = {
	{ KHV_REG_RBX, KHV_REG_RSI }, { KHV_REG_RBX, KHV_REG_RDI },
	{ KHV_REG_RBP, KHV_REG_RSI }, { KHV_REG_RBP, KHV_REG_RDI },
	{ KHV_REG_RSI, KHV_REG_NONE }, { KHV_REG_RDI, KHV_REG_NONE },
	{ KHV_REG_RBP, KHV_REG_NONE }, { KHV_REG_RBX, KHV_REG_NONE },
};

/* Decoder state: the bytes, the position, and what the prefixes said. */
struct khv_dec {
	const u8 *buf;
	u32 len;
	u32 pos;
	enum khv_cpu_mode mode;
	u8 rex;		/* the REX byte right before the opcode, or 0 */
	u8 rep;		/* last of F2/F3, or 0 */
	u8 seg;		/* segment override, or KHV_SEG_NONE */
	bool opsize;	/* 66 */
	bool addrsize;	/* 67 */
	bool lock;	/* F0 */
};

static u64 khv_size_mask(u32 bytes)
{
	return bytes >= 8 ? ~0ULL : (1ULL << (8 * bytes)) - 1;
}

static u64 khv_sext(u64 v, u32 bytes)
{
	u32 shift = 64 - 8 * bytes;

	return (u64)((s64)(v << shift) >> shift);
}

/* Consume n little-endian bytes. */
static int khv_dec_fetch(struct khv_dec *d, u32 n, u64 *val)
{
	u32 i;

	if (d->pos + n > KHV_INSN_MAX_LEN)
		return -EINVAL;
	if (d->pos + n > d->len)
		return -EAGAIN;
	*val = 0;
	for (i = 0; i < n; i++)
		*val |= (u64)d->buf[d->pos + i] << (8 * i);
	d->pos += n;
	return 0;
}

/* The next byte, not consumed. */
static int khv_dec_peek(const struct khv_dec *d, u8 *b)
{
	if (d->pos >= KHV_INSN_MAX_LEN)
		return -EINVAL;
	if (d->pos >= d->len)
		return -EAGAIN;
	*b = d->buf[d->pos];
	return 0;
}

/* Record a legacy prefix; false if b is not one. */
static bool khv_dec_legacy_prefix(struct khv_dec *d, u8 b)
{
	switch (b) {
	case 0x66:
		d->opsize = true;
		return true;
	case 0x67:
		d->addrsize = true;
		return true;
	case 0xf0:
		d->lock = true;
		return true;
	case 0xf2:
	case 0xf3:
		d->rep = b;
		return true;
	case 0x26:
	case 0x2e:
	case 0x36:
	case 0x3e:
		/* ES/CS/SS/DS: bits 4:3 are the Sreg; ignored in 64-bit mode. */
		if (d->mode != KHV_MODE_LONG64)
			d->seg = (b >> 3) & 3;
		return true;
	case 0x64:
		d->seg = KHV_SEG_FS;
		return true;
	case 0x65:
		d->seg = KHV_SEG_GS;
		return true;
	}
	return false;
}

/* Consume prefixes and return the first opcode byte. */
static int khv_dec_prefixes(struct khv_dec *d, u8 *opcode)
{
	u64 b;
	int r;

	for (;;) {
		r = khv_dec_fetch(d, 1, &b);
		if (r)
			return r;
		if (khv_dec_legacy_prefix(d, b)) {
			d->rex = 0;	/* a REX not next to the opcode is ignored */
			continue;
		}
		if (d->mode == KHV_MODE_LONG64 && (b & 0xf0) == 0x40) {
			d->rex = b;
			continue;
		}
		*opcode = b;
		return 0;
	}
}

/* Does entry e exist in this mode? */
static bool khv_dec_mode_ok(const struct khv_dec *d, const struct khv_opcode *e)
{
	if (e->flags & OP_LONG)
		return d->mode == KHV_MODE_LONG64;
	if (e->flags & OP_LEGACY)
		return d->mode != KHV_MODE_LONG64;
	return true;
}

/* Find the entry for the opcode; group entries also match ModRM.reg. */
static int khv_dec_opcode(struct khv_dec *d, u8 first,
			  const struct khv_opcode **opp)
{
	const struct khv_opcode *e;
	u64 op = first;
	u8 map = 0, modrm;
	size_t i;
	int r;

	if (first == 0x0f) {
		r = khv_dec_fetch(d, 1, &op);
		if (r)
			return r;
		map = 1;
	}
	for (i = 0; i < ARRAY_SIZE(khv_opcodes); i++) {
		e = &khv_opcodes[i];
		if (e->map != map || e->op != op || !khv_dec_mode_ok(d, e))
			continue;
		if (e->flags & OP_GROUP) {
			r = khv_dec_peek(d, &modrm);
			if (r)
				return r;
			if (((modrm >> 3) & 7) != e->grp)
				continue;
		}
		*opp = e;
		return 0;
	}
	return -EOPNOTSUPP;
}

static u8 khv_dec_opsize(const struct khv_dec *d)
{
	if (d->rex & REX_W)
		return 8;
	if (d->mode == KHV_MODE_PROT32 || d->mode == KHV_MODE_LONG64)
		return d->opsize ? 2 : 4;
	return d->opsize ? 4 : 2;
}

static u8 khv_dec_addrsize(const struct khv_dec *d)
{
	if (d->mode == KHV_MODE_LONG64)
		return d->addrsize ? 4 : 8;
	if (d->mode == KHV_MODE_PROT32)
		return d->addrsize ? 2 : 4;
	return d->addrsize ? 4 : 2;
}

/* Displacement of n bytes; disp8 is sign-extended, as is disp32. */
static int khv_dec_disp(struct khv_dec *d, u32 n, struct khv_insn *insn)
{
	u64 v = 0;
	int r;

	if (!n)
		return 0;
	r = khv_dec_fetch(d, n, &v);
	insn->mem.disp = n == 2 ? v : khv_sext(v, n);
	return r;
}

/* 16-bit addressing: no SIB; BP-based forms default to SS. */
static int khv_dec_mem16(struct khv_dec *d, struct khv_insn *insn,
			 u8 mod, u8 rm)
{
	struct khv_insn_mem *m = &insn->mem;

	if (mod == 0 && rm == 6) {
		m->base = KHV_REG_NONE;
		m->index = KHV_REG_NONE;
		return khv_dec_disp(d, 2, insn);
	}
	m->base = khv_mem16[rm][0];
	m->index = khv_mem16[rm][1];
	if (m->base == KHV_REG_RBP)
		insn->seg = KHV_SEG_SS;
	return khv_dec_disp(d, mod, insn);	/* mod 1: disp8, 2: disp16 */
}

/* 32/64-bit addressing: SIB when rm is 100, disp32 or RIP-relative for 101. */
static int khv_dec_mem32(struct khv_dec *d, struct khv_insn *insn,
			 u8 mod, u8 rm)
{
	struct khv_insn_mem *m = &insn->mem;
	u32 disp_len = mod == 1 ? 1 : mod == 2 ? 4 : 0;
	u8 base = rm;
	u64 sib;
	int r;

	m->index = KHV_REG_NONE;
	if (rm == 4) {
		r = khv_dec_fetch(d, 1, &sib);
		if (r)
			return r;
		m->scale = 1 << (sib >> 6);
		m->index = ((sib >> 3) & 7) | (d->rex & REX_X ? 8 : 0);
		if (m->index == KHV_REG_RSP)
			m->index = KHV_REG_NONE;
		base = sib & 7;
	}
	if (mod == 0 && base == 5) {
		/* No base: disp32 (RIP-relative without SIB in 64-bit mode). */
		m->base = KHV_REG_NONE;
		m->rip_rel = rm == 5 && d->mode == KHV_MODE_LONG64;
		disp_len = 4;
	} else {
		m->base = base | (d->rex & REX_B ? 8 : 0);
		if (m->base == KHV_REG_RSP || m->base == KHV_REG_RBP)
			insn->seg = KHV_SEG_SS;
	}
	return khv_dec_disp(d, disp_len, insn);
}

/* ModRM and the memory operand; *reg gets ModRM.reg (without REX.R). */
static int khv_dec_modrm(struct khv_dec *d, struct khv_insn *insn, u8 *reg)
{
	u64 modrm;
	u8 mod, rm;
	int r;

	r = khv_dec_fetch(d, 1, &modrm);
	if (r)
		return r;
	mod = modrm >> 6;
	*reg = (modrm >> 3) & 7;
	rm = modrm & 7;
	if (mod == 3)		/* register operand: not an MMIO access */
		return d->lock ? -EINVAL : -EOPNOTSUPP;	/* LOCK: #UD */
	if (insn->addr_size == 2)
		return khv_dec_mem16(d, insn, mod, rm);
	return khv_dec_mem32(d, insn, mod, rm);
}

/* The ModRM.reg register operand; 8-bit 4..7 are AH..BH unless REX. */
static void khv_dec_set_reg(const struct khv_dec *d, struct khv_insn *insn,
			    u8 reg, u8 reg_size)
{
	if (reg_size == 1 && !d->rex && reg >= 4) {
		insn->reg = reg - 4;
		insn->reg_high = 1;
		return;
	}
	insn->reg = reg | (d->rex & REX_R ? 8 : 0);
}

static int khv_dec_modrm_operands(struct khv_dec *d, struct khv_insn *insn,
				  const struct khv_opcode *op, u8 opsize)
{
	u64 imm;
	u32 imm_len;
	u8 reg;
	int r;

	r = khv_dec_modrm(d, insn, &reg);
	if (r)
		return r;
	if (!(op->flags & OP_GROUP))
		khv_dec_set_reg(d, insn, reg, opsize);
	if (!(op->flags & OP_IMM))
		return 0;
	imm_len = op->flags & OP_IMM8 ? 1 : opsize > 4 ? 4 : opsize;
	r = khv_dec_fetch(d, imm_len, &imm);
	if (r)
		return r;
	insn->imm = khv_sext(imm, imm_len) & khv_size_mask(insn->size);
	return 0;
}

static int khv_dec_moffs(struct khv_dec *d, struct khv_insn *insn)
{
	insn->reg = KHV_REG_RAX;
	insn->mem.base = KHV_REG_NONE;
	insn->mem.index = KHV_REG_NONE;
	return khv_dec_fetch(d, insn->addr_size, &insn->mem.disp);
}

/* MOVS/LODS read seg:rSI (DS by default); STOS writes ES:rDI, no override. */
static void khv_dec_string(const struct khv_dec *d, struct khv_insn *insn)
{
	insn->reg = insn->kind == KHV_INSN_MOVS ? KHV_REG_NONE : KHV_REG_RAX;
	insn->mem.index = KHV_REG_NONE;
	if (insn->kind == KHV_INSN_STOS) {
		insn->mem.base = KHV_REG_RDI;
		insn->seg = KHV_SEG_ES;
	} else {
		insn->mem.base = KHV_REG_RSI;
	}
	if (d->rep)
		insn->rep = d->rep == 0xf3 ? KHV_REP_REP : KHV_REP_REPNE;
}

/* An ALU instruction's operands and effects; insn->size is set. */
static void khv_dec_alu(const struct khv_dec *d, struct khv_insn *insn,
			const struct khv_opcode *op)
{
	enum khv_alu_op alu = op->alu;
	bool writes = khv_alu_writes_dst(alu);

	insn->alu_op = alu;
	if (op->flags & OP_DST_REG) {
		insn->dst = KHV_OPND_REG;
		insn->src = KHV_OPND_MEM;
	} else {
		insn->dst = KHV_OPND_MEM;
		insn->src = op->flags & OP_IMM ? KHV_OPND_IMM :
			    op->flags & OP_GROUP ? KHV_OPND_NONE : KHV_OPND_REG;
	}
	insn->mem_write = insn->dst == KHV_OPND_MEM && writes;
	insn->reg_write = (insn->dst == KHV_OPND_REG && writes) ||
			  alu == KHV_ALU_XCHG;
	insn->dst_size = insn->reg_write ? insn->size : 0;
	insn->flags_write = khv_alu_writes_flags(alu);
	insn->lock = d->lock || alu == KHV_ALU_XCHG;
}

static int khv_dec_operands(struct khv_dec *d, struct khv_insn *insn,
			    const struct khv_opcode *op)
{
	u8 opsize = op->flags & OP_BYTE ? 1 : khv_dec_opsize(d);
	bool load = op->kind == KHV_INSN_LOAD || op->kind == KHV_INSN_LODS;

	insn->kind = op->kind;
	insn->ext = op->ext;
	insn->size = op->flags & OP_SRC8 ? 1 : op->flags & OP_SRC16 ? 2 :
		     op->flags & OP_SRC32 && opsize > 4 ? 4 : opsize;
	insn->dst_size = load ? opsize : 0;
	insn->addr_size = khv_dec_addrsize(d);
	insn->reg = KHV_REG_NONE;
	insn->mem.scale = 1;
	insn->seg = KHV_SEG_DS;
	if (op->kind == KHV_INSN_ALU)
		khv_dec_alu(d, insn, op);
	if (op->flags & OP_MODRM)
		return khv_dec_modrm_operands(d, insn, op, opsize);
	if (op->flags & OP_MOFFS)
		return khv_dec_moffs(d, insn);
	khv_dec_string(d, insn);
	return 0;
}

int khv_insn_decode(const u8 *bytes, u32 len, enum khv_cpu_mode mode,
		    struct khv_insn *insn)
{
	struct khv_dec d = {
		.buf = bytes, .len = len, .mode = mode, .seg = KHV_SEG_NONE,
	};
	const struct khv_opcode *op;
	u8 first;
	int r;

	*insn = (struct khv_insn){ 0 };
	if (mode > KHV_MODE_LONG64)
		return -EINVAL;
	r = khv_dec_prefixes(&d, &first);
	if (r)
		return r;
	r = khv_dec_opcode(&d, first, &op);
	if (r)
		return r;
	if (d.lock && !(op->flags & OP_LOCK))
		return -EINVAL;		/* LOCK MOV/MOVS/CMP/TEST/...: #UD */
	if (op->map == 1 && d.rep)
		return -EOPNOTSUPP;	/* F2/F3 select other 0F instructions */
	r = khv_dec_operands(&d, insn, op);
	if (r)
		return r;
	if (d.seg != KHV_SEG_NONE && insn->kind != KHV_INSN_STOS)
		insn->seg = d.seg;
	insn->len = d.pos;
	return 0;
}

u64 khv_insn_reg_after_load(const struct khv_insn *insn, u64 old_reg,
			    u64 mem_value)
{
	u64 v = mem_value & khv_size_mask(insn->size);
	u64 mask = khv_size_mask(insn->dst_size);

	if (insn->ext == KHV_EXT_SIGN)
		v = khv_sext(v, insn->size);
	if (insn->reg_high)
		return (old_reg & ~0xff00ULL) | ((v & 0xff) << 8);
	if (insn->dst_size >= 4)
		return v & mask;	/* 32-bit writes zero-extend */
	return (old_reg & ~mask) | (v & mask);
}

u64 khv_insn_store_value(const struct khv_insn *insn, u64 reg_value)
{
	u64 v = insn->kind == KHV_INSN_STORE_IMM ? insn->imm : reg_value;

	if (insn->reg_high)
		v >>= 8;
	return v & khv_size_mask(insn->size);
}

void khv_insn_alu_operands(const struct khv_insn *insn, u64 mem_value,
			   u64 reg_value, u64 *dst, u64 *src)
{
	u64 reg = insn->reg_high ? reg_value >> 8 : reg_value;
	u64 mask = khv_size_mask(insn->size);
	const u64 values[] = {
		[KHV_OPND_NONE] = 0,
		[KHV_OPND_MEM] = mem_value,
		[KHV_OPND_REG] = reg,
		[KHV_OPND_IMM] = insn->imm,
	};

	*dst = insn->dst < ARRAY_SIZE(values) ? values[insn->dst] & mask : 0;
	*src = insn->src < ARRAY_SIZE(values) ? values[insn->src] & mask : 0;
}

void khv_insn_alu_results(const struct khv_insn *insn, u64 mem_value,
			  u64 reg_value, u64 result, u64 *mem_out,
			  u64 *reg_out)
{
	u64 mask = khv_size_mask(insn->size);
	u64 to_reg = insn->dst == KHV_OPND_REG ? result : mem_value;

	*mem_out = (insn->mem_write ? result : mem_value) & mask;
	*reg_out = insn->reg_write ?
		   khv_insn_reg_after_load(insn, reg_value, to_reg) : reg_value;
}

u64 khv_insn_mem_offset(const struct khv_insn *insn,
			const u64 gprs[KHV_NR_GPRS], u64 rip)
{
	const struct khv_insn_mem *m = &insn->mem;
	u64 ea = m->disp;

	if (m->base < KHV_NR_GPRS)
		ea += gprs[m->base];
	if (m->index < KHV_NR_GPRS)
		ea += gprs[m->index] * m->scale;
	if (m->rip_rel)
		ea += rip + insn->len;
	return ea & khv_insn_addr_mask(insn);
}
