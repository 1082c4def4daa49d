// SPDX-License-Identifier: GPL-2.0
/*
 * A C function of this binary runs as a 64-bit guest: arguments, arithmetic,
 * memory, SSE, globals shared through guest memory, ucall SYNC/DONE, a
 * failing GUEST_ASSERT and guest exceptions (handled and unhandled).
 */
#include <string.h>
#include <unistd.h>

#include "guest.h"

static int sys_fd;

/* ---- guest code ---- */

static volatile uint64_t guest_scratch[64];
static volatile uint64_t shared_word;	/* the host writes the guest's copy */

GUEST_CODE static uint64_t fib(uint64_t n)
{
	uint64_t a = 0, b = 1, t;

	while (n--) {
		t = a + b;
		a = b;
		b = t;
	}
	return a;
}

GUEST_CODE static void guest_arith(uint64_t a, uint64_t b)
{
	uint64_t sum = 0, i;

	GUEST_SYNC(1, a * b);
	for (i = 1; i <= 100; i++)
		sum += i * i;
	GUEST_SYNC(2, sum);
	GUEST_SYNC(3, fib(50));
	for (i = 0; i < 64; i++)
		guest_scratch[i] = i * 0x0101010101010101ull;
	for (sum = 0, i = 0; i < 64; i++)
		sum ^= guest_scratch[i] + i;
	GUEST_SYNC(4, sum);
	GUEST_SYNC(5, (a << 32) / (b | 1) + (a % 7));
	GUEST_DONE();
}

static uint64_t host_xor(void)
{
	uint64_t sum = 0, i;

	for (i = 0; i < 64; i++)
		sum ^= i * 0x0101010101010101ull + i;
	return sum;
}

static int t_arith(void)
{
	struct gvm *vm = gvm_create(sys_fd, 0);
	struct gvcpu *v;
	uint64_t val, a = 0x12345, b = 0x6789;

	CHECK(vm, "VM");
	v = gvcpu_create_long(vm, 0, guest_arith, a, b);
	CHECK(v, "vCPU");
	CHECK(!gvcpu_run_sync(v, 1, &val) && val == a * b, "a*b: %#lx", val);
	CHECK(!gvcpu_run_sync(v, 2, &val) && val == 338350, "sum: %lu", val);
	CHECK(!gvcpu_run_sync(v, 3, &val) && val == 12586269025ull,
	      "fib(50): %lu", val);
	CHECK(!gvcpu_run_sync(v, 4, &val) && val == host_xor(),
	      "memory: %#lx, want %#lx", val, host_xor());
	CHECK(!gvcpu_run_sync(v, 5, &val) && val == (a << 32) / (b | 1) + a % 7,
	      "div: %#lx", val);
	CHECK(!gvcpu_run_done(v), "DONE");
	gvcpu_destroy(v);
	gvm_destroy(vm);
	return KSFT_PASS;
}

GUEST_CODE static void guest_globals(uint64_t a, uint64_t b)
{
	int i;

	for (i = 0; i < 64; i++)
		guest_scratch[i] = a + i;
	GUEST_SYNC(1, 0);
	GUEST_SYNC(2, shared_word);
}

/* Guest writes reach the host through gpa->host, and the reverse. */
static int t_globals(void)
{
	struct gvm *vm = gvm_create(sys_fd, 0);
	volatile uint64_t *g;
	struct gvcpu *v;
	uint64_t val;
	int i;

	CHECK(vm, "VM");
	v = gvcpu_create_long(vm, 0, guest_globals, 0xabc000, 0);
	CHECK(v, "vCPU");
	g = GVM_VAR(vm, guest_scratch[0]);
	CHECK(g && g[0] == 0 && g[63] == 0, "fresh guest copy not zero");
	CHECK(!gvcpu_run_sync(v, 1, NULL), "stage 1");
	for (i = 0; i < 64; i++)
		CHECK(g[i] == 0xabc000ull + i, "guest_scratch[%d] = %#lx", i, g[i]);
	CHECK(guest_scratch[0] == 0, "the host's own copy changed");
	*GVM_VAR(vm, shared_word) = 0xfeedface12345678ull;
	CHECK(!gvcpu_run_sync(v, 2, &val), "stage 2");
	CHECK(val == 0xfeedface12345678ull, "guest read %#lx", val);
	/* returning from the guest function is DONE */
	CHECK(!gvcpu_run_done(v), "DONE after return");
	gvcpu_destroy(v);
	gvm_destroy(vm);
	return KSFT_PASS;
}

GUEST_CODE static void guest_sse(uint64_t a, uint64_t b)
{
	volatile double x = (double)a, y = (double)b;

	GUEST_SYNC(1, (uint64_t)(x / y * 1000.0));
	GUEST_SYNC(2, (uint64_t)(x * x + y));
}

static int t_sse(void)
{
	struct gvm *vm = gvm_create(sys_fd, 0);
	struct gvcpu *v;
	uint64_t val;

	CHECK(vm, "VM");
	v = gvcpu_create_long(vm, 0, guest_sse, 22, 7);
	CHECK(v, "vCPU");
	CHECK(!gvcpu_run_sync(v, 1, &val) && val == 3142, "22/7*1000: %lu", val);
	CHECK(!gvcpu_run_sync(v, 2, &val) && val == 491, "22*22+7: %lu", val);
	CHECK(!gvcpu_run_done(v), "DONE");
	gvcpu_destroy(v);
	gvm_destroy(vm);
	return KSFT_PASS;
}

GUEST_CODE static void guest_failing_assert(uint64_t a, uint64_t b)
{
	GUEST_SYNC(1, __LINE__ + 1);
	GUEST_ASSERT_EQ(a + 1, b);
	GUEST_DONE();
}

/* A failing GUEST_ASSERT_EQ reaches the host with file, line, text, values. */
static int t_assert_fail(void)
{
	struct gvm *vm = gvm_create(sys_fd, 0);
	struct gvcpu *v;
	struct ucall uc;
	uint64_t line;
	int cmd;

	CHECK(vm, "VM");
	v = gvcpu_create_long(vm, 0, guest_failing_assert, 41, 43);
	CHECK(v, "vCPU");
	CHECK(!gvcpu_run_sync(v, 1, &line), "stage 1");
	CHECK(!gvcpu_run(v), "KVM_RUN");
	cmd = ucall_get(v, &uc);
	CHECK(cmd == UCALL_ASSERT_FAIL, "ucall %d", cmd);
	CHECK(uc.args[0] == line, "line %lu, want %lu", uc.args[0], line);
	CHECK(uc.args[1] == 42 && uc.args[2] == 43, "values %lu, %lu",
	      uc.args[1], uc.args[2]);
	CHECK(strstr(uc.file, "guest_long_mode.c"), "file '%s'", uc.file);
	CHECK(!strcmp(uc.expr, "a + 1 == b"), "text '%s'", uc.expr);
	/* a failed guest only halts from then on */
	CHECK(!gvcpu_run_expect(v, KVM_EXIT_HLT), "HLT after the assert");
	gvcpu_destroy(v);
	gvm_destroy(vm);
	return KSFT_PASS;
}

extern const char ud2_insn[];

GUEST_CODE static void guest_ud2(uint64_t a, uint64_t b)
{
	__asm__ volatile("ud2_insn: ud2");
	GUEST_DONE();
}

/* An exception without a handler: ucall UNHANDLED(vector, rip, error). */
static int t_unhandled_ud(void)
{
	struct gvm *vm = gvm_create(sys_fd, 0);
	struct gvcpu *v;
	struct ucall uc;
	int cmd;

	CHECK(vm, "VM");
	v = gvcpu_create_long(vm, 0, guest_ud2, 0, 0);
	CHECK(v, "vCPU");
	CHECK(!gvcpu_run(v), "KVM_RUN");
	cmd = ucall_get(v, &uc);
	CHECK(cmd == UCALL_UNHANDLED, "ucall %d", cmd);
	CHECK(uc.args[0] == 6, "vector %lu", uc.args[0]);
	CHECK(uc.args[1] == (uint64_t)ud2_insn, "rip %#lx, ud2 at %p",
	      uc.args[1], ud2_insn);
	CHECK(uc.args[2] == 0, "error code %#lx", uc.args[2]);
	gvcpu_destroy(v);
	gvm_destroy(vm);
	return KSFT_PASS;
}

static volatile uint64_t ud_count, gp_error;

GUEST_CODE static void skip_ud2(struct guest_frame *f)
{
	ud_count++;
	f->rip += 2;
}

GUEST_CODE static void skip_gp_load(struct guest_frame *f)
{
	gp_error = f->error_code | 0x100;
	f->rip += 3;	/* mov (%rax), %rax */
	f->rax = 0x5a5a;
}

GUEST_CODE static void guest_handled(uint64_t a, uint64_t b)
{
	uint64_t v = 0x8000000000000000ull;	/* non-canonical: #GP(0) */

	__asm__ volatile("ud2; ud2; ud2");
	GUEST_SYNC(1, ud_count);
	__asm__ volatile(".byte 0x48, 0x8b, 0x00" : "+a"(v) : : "memory");
	GUEST_SYNC(2, v);
	GUEST_SYNC(3, gp_error);
}

/* Handlers registered with gvm_set_handler run and return with IRETQ. */
static int t_handled_exceptions(void)
{
	struct gvm *vm = gvm_create(sys_fd, 0);
	struct gvcpu *v;
	uint64_t val;

	CHECK(vm, "VM");
	CHECK(!gvm_set_handler(vm, 6, skip_ud2), "set #UD handler");
	CHECK(!gvm_set_handler(vm, 13, skip_gp_load), "set #GP handler");
	v = gvcpu_create_long(vm, 0, guest_handled, 0, 0);
	CHECK(v, "vCPU");
	CHECK(!gvcpu_run_sync(v, 1, &val) && val == 3, "#UD count %lu", val);
	CHECK(!gvcpu_run_sync(v, 2, &val) && val == 0x5a5a, "rax %#lx", val);
	CHECK(!gvcpu_run_sync(v, 3, &val) && val == 0x100, "#GP error %#lx",
	      val - 0x100);
	CHECK(!gvcpu_run_done(v), "DONE");
	gvcpu_destroy(v);
	gvm_destroy(vm);
	return KSFT_PASS;
}

static const struct ksft_case cases[] = {
	{ "arith_sync_done", t_arith },
	{ "globals_via_gpa", t_globals },
	{ "sse", t_sse },
	{ "assert_fail", t_assert_fail },
	{ "unhandled_ud", t_unhandled_ud },
	{ "handled_exceptions", t_handled_exceptions },
};

int main(int argc, char **argv)
{
	khv_test_init(argc, argv);
	sys_fd = khv_open_dev();
	return KSFT_RUN(cases);
}
