// SPDX-License-Identifier: GPL-2.0
/*
 * Port I/O exits (KVM_EXIT_IO): OUT and IN of 1, 2 and 4 bytes; data in the
 * PIO page at run + io.data_offset; IN data landing in the guest register;
 * where RIP stands at the exit; string I/O (REP OUTS/INS) with the count
 * and data of every exit, the final guest memory and RSI/RDI/RCX.
 *
 * Stock KVM is the reference for how string I/O is split into exits: it
 * emulates OUTS one element per exit, and INS as many elements per exit as
 * fit up to the end of the destination page (at most 1 KiB).
 */
#include <string.h>

#include "guest.h"

static int sys_fd;

#define PORT_A	0xe0
#define PORT_B	0x2345		/* above 0xff: through DX only */

/* One expected I/O exit; for IN, @data is what user space answers. */
struct io_step {
	uint8_t dir;
	uint16_t port;
	uint8_t size;
	uint32_t count;
	uint64_t data;
};

/* Check the fields of the current I/O exit against @s (count included). */
static int check_io_fields(struct gvcpu *v, const struct io_step *s, int i)
{
	struct kvm_run *run = v->run;

	if (run->io.direction != s->dir || run->io.port != s->port ||
	    run->io.size != s->size || run->io.count != s->count) {
		gvcpu_describe_exit(v, "wrong I/O exit");
		ksft_diag("step %d: want %s port %#x size %u count %u", i,
			  s->dir == KVM_EXIT_IO_OUT ? "OUT" : "IN", s->port,
			  s->size, s->count);
		return -1;
	}
	if (run->io.data_offset < sizeof(*run) ||
	    run->io.data_offset + s->size * s->count > v->run_size) {
		ksft_diag("step %d: data_offset %#llx outside the mmap", i,
			  run->io.data_offset);
		return -1;
	}
	return 0;
}

static int check_io_exit(struct gvcpu *v, const struct io_step *s, int i)
{
	if (gvcpu_run_expect(v, KVM_EXIT_IO))
		return -1;
	return check_io_fields(v, s, i);
}

/* Run through @steps (single I/O of count 1 each), then expect DONE. */
static int run_io_steps(struct gvcpu *v, const struct io_step *steps, int n)
{
	uint64_t got;
	int i;

	for (i = 0; i < n; i++) {
		const struct io_step *s = &steps[i];

		if (check_io_exit(v, s, i))
			return KSFT_FAIL;
		if (s->dir == KVM_EXIT_IO_IN) {
			memcpy(gvcpu_io_data(v), &s->data, s->size);
			continue;
		}
		got = 0;
		memcpy(&got, gvcpu_io_data(v), s->size);
		CHECK(got == s->data, "step %d: OUT data %#lx, want %#lx", i,
		      got, s->data);
	}
	CHECK(!gvcpu_run_done(v), "DONE");
	return KSFT_PASS;
}

/* Build a VM running @fn and drive it with @steps. */
static int io_case(const void *fn, const struct io_step *steps, int n)
{
	struct gvm *vm = gvm_create(sys_fd, 0);
	struct gvcpu *v;
	int r;

	CHECK(vm, "VM");
	v = gvcpu_create_long(vm, 0, fn, 0, 0);
	CHECK(v, "vCPU");
	r = run_io_steps(v, steps, n);
	gvcpu_destroy(v);
	gvm_destroy(vm);
	return r;
}

/* ---- single OUT/IN ---- */

GUEST_CODE static void guest_out_sizes(uint64_t a, uint64_t b)
{
	__asm__ volatile("outb %%al, %0" : : "N"(PORT_A), "a"(0x12));
	__asm__ volatile("outw %%ax, %0" : : "N"(PORT_A), "a"(0xff3456));
	__asm__ volatile("outl %%eax, %0" : : "N"(PORT_A), "a"(0x789abcde));
	__asm__ volatile("outb %%al, %%dx" : : "a"(0x9a), "d"(PORT_B));
	__asm__ volatile("outw %%ax, %%dx" : : "a"(0xbcde), "d"(PORT_B));
	__asm__ volatile("outl %%eax, %%dx" : : "a"(0xf0e1d2c3), "d"(PORT_B));
	GUEST_DONE();
}

static int t_out_sizes(void)
{
	static const struct io_step steps[] = {
		{ KVM_EXIT_IO_OUT, PORT_A, 1, 1, 0x12 },
		{ KVM_EXIT_IO_OUT, PORT_A, 2, 1, 0x3456 },
		{ KVM_EXIT_IO_OUT, PORT_A, 4, 1, 0x789abcde },
		{ KVM_EXIT_IO_OUT, PORT_B, 1, 1, 0x9a },
		{ KVM_EXIT_IO_OUT, PORT_B, 2, 1, 0xbcde },
		{ KVM_EXIT_IO_OUT, PORT_B, 4, 1, 0xf0e1d2c3 },
	};

	return io_case(guest_out_sizes, steps, 6);
}

#define RAX_INIT 0x1122334455667788ull

/* IN writes AL/AX and keeps the rest of RAX; IN to EAX zeroes bits 63:32. */
GUEST_CODE static void guest_in_sizes(uint64_t a, uint64_t b)
{
	uint64_t rax = RAX_INIT;

	__asm__ volatile("inb %1, %%al" : "+a"(rax) : "N"(PORT_A));
	GUEST_ASSERT_EQ(rax, 0x11223344556677a5ull);
	rax = RAX_INIT;
	__asm__ volatile("inw %1, %%ax" : "+a"(rax) : "N"(PORT_A));
	GUEST_ASSERT_EQ(rax, 0x112233445566b6c7ull);
	rax = RAX_INIT;
	__asm__ volatile("inl %1, %%eax" : "+a"(rax) : "N"(PORT_A));
	GUEST_ASSERT_EQ(rax, 0xd8e9fa0bull);
	rax = RAX_INIT;
	__asm__ volatile("inb %%dx, %%al" : "+a"(rax) : "d"(PORT_B));
	GUEST_ASSERT_EQ(rax, 0x1122334455667700ull);
	rax = RAX_INIT;
	__asm__ volatile("inw %%dx, %%ax" : "+a"(rax) : "d"(PORT_B));
	GUEST_ASSERT_EQ(rax, 0x112233445566ffffull);
	rax = RAX_INIT;
	__asm__ volatile("inl %%dx, %%eax" : "+a"(rax) : "d"(PORT_B));
	GUEST_ASSERT_EQ(rax, 0x80000001ull);
	GUEST_DONE();
}

static int t_in_sizes(void)
{
	static const struct io_step steps[] = {
		{ KVM_EXIT_IO_IN, PORT_A, 1, 1, 0xa5 },
		{ KVM_EXIT_IO_IN, PORT_A, 2, 1, 0xb6c7 },
		{ KVM_EXIT_IO_IN, PORT_A, 4, 1, 0xd8e9fa0b },
		{ KVM_EXIT_IO_IN, PORT_B, 1, 1, 0x00 },
		{ KVM_EXIT_IO_IN, PORT_B, 2, 1, 0xffff },
		{ KVM_EXIT_IO_IN, PORT_B, 4, 1, 0x80000001 },
	};

	return io_case(guest_in_sizes, steps, 6);
}

extern const char out_insn[], in_insn[], in_next[];

GUEST_CODE static void guest_io_rip(uint64_t a, uint64_t b)
{
	uint64_t rax = 0;

	__asm__ volatile("out_insn: outb %%al, %0"
			 : : "N"(PORT_A), "a"(0x33));
	__asm__ volatile("in_insn: inb %1, %%al\nin_next:"
			 : "+a"(rax) : "N"(PORT_A));
	GUEST_SYNC(1, rax);
}

/*
 * At an I/O exit RIP still points at the instruction, OUT as well as IN:
 * stock KVM completes it (advancing RIP, and for IN writing the data into
 * the register) at the next KVM_RUN. (Except for KVM's OUT-to-port-0x7e
 * quirk, not tested here.)
 */
static int t_rip_at_exit(void)
{
	struct gvm *vm = gvm_create(sys_fd, 0);
	struct kvm_regs regs;
	struct gvcpu *v;
	uint64_t val;

	CHECK(vm, "VM");
	v = gvcpu_create_long(vm, 0, guest_io_rip, 0, 0);
	CHECK(v, "vCPU");
	CHECK(!gvcpu_run_expect(v, KVM_EXIT_IO), "OUT exit");
	CHECK(!gvcpu_get_regs(v, &regs), "KVM_GET_REGS");
	CHECK(regs.rip == (uint64_t)out_insn, "RIP at OUT exit %#llx, OUT at %p",
	      regs.rip, out_insn);
	CHECK(!gvcpu_run_expect(v, KVM_EXIT_IO), "IN exit");
	CHECK(v->run->io.direction == KVM_EXIT_IO_IN, "not IN");
	CHECK(!gvcpu_get_regs(v, &regs), "KVM_GET_REGS");
	CHECK(regs.rip == (uint64_t)in_insn, "RIP at IN exit %#llx, IN at %p",
	      regs.rip, in_insn);
	*(uint8_t *)gvcpu_io_data(v) = 0x77;
	CHECK(!gvcpu_run_sync(v, 1, &val) && val == 0x77, "IN gave %#lx", val);
	CHECK(!gvcpu_get_regs(v, &regs), "KVM_GET_REGS");
	CHECK(regs.rip > (uint64_t)in_next, "RIP %#llx", regs.rip);
	gvcpu_destroy(v);
	gvm_destroy(vm);
	return KSFT_PASS;
}

/* ---- string I/O ---- */

#define BUF_PAGES 3
static volatile uint8_t io_buf[BUF_PAGES * 4096] __attribute__((aligned(4096)));

enum { OUTSB, OUTSW, INSB, INSL, INSB_BACKWARD };

/*
 * String I/O of @count elements at io_buf + @offset, then reports the final
 * RSI or RDI (SYNC 1) and RCX (SYNC 2).
 */
GUEST_CODE static void guest_string_io(uint64_t op, uint64_t offset_count)
{
	uint64_t ptr = (uint64_t)io_buf + (offset_count >> 32);
	uint64_t rcx = offset_count & 0xffffffff;

	switch (op) {
	case OUTSB:
		__asm__ volatile("rep outsb" : "+S"(ptr), "+c"(rcx)
				 : "d"(PORT_A) : "memory");
		break;
	case OUTSW:
		__asm__ volatile("rep outsw" : "+S"(ptr), "+c"(rcx)
				 : "d"(PORT_A) : "memory");
		break;
	case INSB:
		__asm__ volatile("rep insb" : "+D"(ptr), "+c"(rcx)
				 : "d"(PORT_A) : "memory");
		break;
	case INSL:
		__asm__ volatile("rep insl" : "+D"(ptr), "+c"(rcx)
				 : "d"(PORT_A) : "memory");
		break;
	case INSB_BACKWARD:
		__asm__ volatile("std; rep insb; cld" : "+D"(ptr), "+c"(rcx)
				 : "d"(PORT_A) : "memory", "cc");
		break;
	}
	GUEST_SYNC(1, ptr);
	GUEST_SYNC(2, rcx);
}

struct string_case {
	int op;
	uint32_t offset;	/* into io_buf */
	uint32_t count;		/* RCX */
	uint8_t size;
	int nexits;		/* stock KVM's number of exits; 0: not checked */
	uint32_t counts[8];	/* count of each exit */
};

/* Byte @i of what user space answers to IN exit @exit. */
static uint8_t in_byte(int exit, uint32_t i)
{
	return (uint8_t)(0x80 + exit * 0x20 + i);
}

/*
 * Drive the exits of one string case: check each one's direction, size
 * and count, collect OUT data into @seen, answer IN exits with in_byte().
 * Returns the number of exits, or -1.
 */
static int drive_string_exits(struct gvcpu *v, const struct string_case *c,
			      uint8_t *seen)
{
	bool in = c->op >= INSB;
	struct kvm_run *run = v->run;
	uint32_t i, bytes, elems = 0;
	int n = 0;

	while (elems < c->count) {
		struct io_step s = { in ? KVM_EXIT_IO_IN : KVM_EXIT_IO_OUT,
				     PORT_A, c->size, 0, 0 };

		if (gvcpu_run_expect(v, KVM_EXIT_IO))
			return -1;
		s.count = run->io.count;
		if (c->nexits && (n >= c->nexits || s.count != c->counts[n])) {
			ksft_diag("exit %d: count %u, stock KVM gives %u", n,
				  s.count, n < c->nexits ? c->counts[n] : 0);
			return -1;
		}
		if (!s.count || elems + s.count > c->count ||
		    check_io_fields(v, &s, n))
			return -1;
		bytes = s.count * s.size;
		for (i = 0; i < bytes; i++) {
			uint8_t *d = (uint8_t *)gvcpu_io_data(v) + i;

			if (in)
				*d = in_byte(n, i);
			seen[elems * s.size + i] = *d;
		}
		elems += s.count;
		n++;
	}
	return n;
}

static uint8_t buf_init(uint32_t i)
{
	return (uint8_t)(i * 7 + 3);
}

/* Guest memory and registers after the string I/O of @c. */
static int check_string_result(struct gvm *vm, struct gvcpu *v,
			       const struct string_case *c,
			       const uint8_t *data)
{
	volatile uint8_t *buf = GVM_VAR(vm, io_buf[0]);
	uint32_t bytes = c->count * c->size, k;
	uint64_t start = (uint64_t)io_buf + c->offset, ptr, rcx;
	bool back = c->op == INSB_BACKWARD;

	/* the last IN completes with the next KVM_RUN */
	CHECK(!gvcpu_run_sync(v, 1, &ptr), "SYNC 1");
	CHECK(ptr == (back ? start - bytes : start + bytes),
	      "final RSI/RDI %#lx, start %#lx", ptr, start);
	for (k = 0; k < bytes; k++) {
		uint32_t at = back ? c->offset - k : c->offset + k;
		uint8_t want = c->op >= INSB ? data[k] : buf_init(c->offset + k);

		if (c->op < INSB)	/* OUT: what the exits carried */
			CHECK(data[k] == want, "OUT byte %u: %#x, want %#x", k,
			      data[k], want);
		else
			CHECK(buf[at] == want, "guest byte %#x: %#x, want %#x",
			      at, buf[at], want);
	}
	if (c->op >= INSB) {	/* nothing written outside */
		uint32_t lo = back ? c->offset - bytes : c->offset - 1;
		uint32_t hi = back ? c->offset + 1 : c->offset + bytes;

		CHECK(buf[lo] == buf_init(lo) && buf[hi] == buf_init(hi),
		      "INS wrote outside its buffer");
	}
	CHECK(!gvcpu_run_sync(v, 2, &rcx) && rcx == 0, "final RCX %lu", rcx);
	CHECK(!gvcpu_run_done(v), "DONE");
	return KSFT_PASS;
}

static int string_case(const struct string_case *c)
{
	struct gvm *vm = gvm_create(sys_fd, 0);
	uint8_t data[4096];
	volatile uint8_t *buf;
	struct gvcpu *v;
	uint32_t i;
	int n, r;

	CHECK(vm, "VM");
	buf = GVM_VAR(vm, io_buf[0]);
	for (i = 0; i < sizeof(io_buf); i++)
		buf[i] = buf_init(i);
	v = gvcpu_create_long(vm, 0, guest_string_io, c->op,
			      (uint64_t)c->offset << 32 | c->count);
	CHECK(v, "vCPU");
	n = drive_string_exits(v, c, data);
	CHECK(n > 0, "string I/O exits");
	CHECK(!c->nexits || n == c->nexits, "%d exits, stock KVM gives %d", n,
	      c->nexits);
	r = check_string_result(vm, v, c, data);
	gvcpu_destroy(v);
	gvm_destroy(vm);
	return r;
}

/* Stock KVM: one element per OUTS exit. */
static int t_rep_outsb(void)
{
	static const struct string_case c = {
		OUTSB, 0, 8, 1, 8, { 1, 1, 1, 1, 1, 1, 1, 1 } };

	return string_case(&c);
}

static int t_rep_outsw(void)
{
	static const struct string_case c = {
		OUTSW, 0x100, 5, 2, 5, { 1, 1, 1, 1, 1 } };

	return string_case(&c);
}

/* Stock KVM: every element of a short INS within one page in one exit. */
static int t_rep_insb(void)
{
	static const struct string_case c = { INSB, 0x10, 8, 1, 1, { 8 } };

	return string_case(&c);
}

static int t_rep_insl(void)
{
	static const struct string_case c = { INSL, 0x20, 6, 4, 1, { 6 } };

	return string_case(&c);
}

/*
 * An INS crossing a page boundary takes one exit per page, and user space
 * answers each exit with different data (in_byte()).
 */
static int t_rep_insb_page_split(void)
{
	static const struct string_case c = {
		INSB, 4096 - 5, 16, 1, 2, { 5, 11 } };

	return string_case(&c);
}

/*
 * With EFLAGS.DF=1, INS fills downwards. Only the result is checked: how
 * stock KVM splits it is an artefact (3, 1, then 4 exits for 8 bytes from
 * page offset 3, as it counts the bytes left in the page as the offset).
 */
static int t_rep_insb_backward(void)
{
	static const struct string_case c = {
		INSB_BACKWARD, 4096 + 3, 8, 1, 0, { 0 } };

	return string_case(&c);
}

static const struct ksft_case cases[] = {
	{ "out_sizes", t_out_sizes },
	{ "in_sizes", t_in_sizes },
	{ "rip_at_exit", t_rip_at_exit },
	{ "rep_outsb", t_rep_outsb },
	{ "rep_outsw", t_rep_outsw },
	{ "rep_insb", t_rep_insb },
	{ "rep_insl", t_rep_insl },
	{ "rep_insb_page_split", t_rep_insb_page_split },
	{ "rep_insb_backward", t_rep_insb_backward },
};

int main(int argc, char **argv)
{
	khv_test_init(argc, argv);
	sys_fd = khv_open_dev();
	return KSFT_RUN(cases);
}
