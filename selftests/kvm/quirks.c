// SPDX-License-Identifier: GPL-2.0
/*
 * KVM's x86 quirks (KVM_CAP_DISABLE_QUIRKS2), each on by default and
 * each switched off by user space, with what a guest and the VMM see
 * either way:
 *
 * - MWAIT_NEVER_UD_FAULTS: MONITOR and MWAIT run as NOPs even where the
 *   guest's CPUID does not announce them; without the quirk they are #UD
 *   then (checked only where the CPU has MONITOR/MWAIT: a CPU without
 *   them raises #UD itself, before any intercept).
 * - MISC_ENABLE_NO_MWAIT: with the quirk, IA32_MISC_ENABLE's ENABLE_MWAIT
 *   bit is only stored; without it, it switches CPUID.1:ECX.MONITOR (as
 *   KVM_GET_CPUID2 and the guest's CPUID show it) and may change only
 *   with SSE3 in the guest's CPUID.
 * - OUT_7E_INC_RIP: at the exit for OUT to port 0x7e RIP is already past
 *   the instruction; without the quirk it is still at it, and moves on
 *   when the exit completes.
 * - LINT0_REENABLED: the BSP's LVT0 is ExtINT and unmasked after reset;
 *   without the quirk it is masked, as on hardware.
 * - LAPIC_MMIO_HOLE: the xAPIC page of a LAPIC in x2APIC mode reads all
 *   ones and drops writes; without the quirk those accesses exit to user
 *   space as MMIO.
 * - CD_NW_CLEARED: on AMD the CPU runs the guest with caching on whatever
 *   CR0.CD and NW say. Not visible to the guest, by design: with the
 *   quirk on and off it reads (MOV, SMSW to a register of each size and
 *   to memory) and changes (MOV, CLTS, LMSW from a register and from
 *   memory) its own CD and NW, and KVM_GET/SET_SREGS carry them.
 */
#include <errno.h>
#include <string.h>
#include <unistd.h>
#include <cpuid.h>

#include "guest.h"

static int sys_fd;

#define QUIRK_LINT0_REENABLED		(1ull << 0)
#define QUIRK_CD_NW_CLEARED		(1ull << 1)
#define QUIRK_LAPIC_MMIO_HOLE		(1ull << 2)
#define QUIRK_OUT_7E_INC_RIP		(1ull << 3)
#define QUIRK_MISC_ENABLE_NO_MWAIT	(1ull << 4)
#define QUIRK_MWAIT_NEVER_UD_FAULTS	(1ull << 6)

#define MSR_IA32_MISC_ENABLE		0x1a0
#define MISC_ENABLE_MWAIT		(1ull << 18)
#define CPUID_1_ECX_SSE3		(1u << 0)
#define CPUID_1_ECX_MONITOR		(1u << 3)

static int disable_quirks(struct gvm *vm, uint64_t quirks)
{
	struct kvm_enable_cap cap = { .cap = KVM_CAP_DISABLE_QUIRKS2, .args = { quirks } };

	return (int)khv_ioctl(vm->fd, KVM_ENABLE_CAP, (unsigned long)&cap);
}

/* KVM_SET_MSRS / KVM_GET_MSRS of one MSR: true if it was taken. */
static bool msr_set(struct gvcpu *v, uint32_t index, uint64_t value)
{
	return gvcpu_set_msr(v, index, value) == 1;
}

static bool msr_get(struct gvcpu *v, uint32_t index, uint64_t *value)
{
	return gvcpu_get_msr(v, index, value) == 1;
}

static bool have_quirks(uint64_t quirks)
{
	long cap = khv_cap(sys_fd, KVM_CAP_DISABLE_QUIRKS2);

	return cap > 0 && ((uint64_t)cap & quirks) == quirks;
}

/* The vCPU's own CPUID leaf 1 ECX, as KVM_GET_CPUID2 gives it. */
static int vcpu_cpuid1_ecx(struct gvcpu *v, uint32_t *ecx)
{
	struct {
		struct kvm_cpuid2 c;
		struct kvm_cpuid_entry2 e[256];
	} buf = { .c.nent = 256 };
	uint32_t i;

	if (khv_ioctl(v->fd, KVM_GET_CPUID2, (unsigned long)&buf))
		return -1;
	for (i = 0; i < buf.c.nent; i++)
		if (buf.e[i].function == 1) {
			*ecx = buf.e[i].ecx;
			return 0;
		}
	return -1;
}

/* ------------------------------------------------- faults in the guest */

static volatile uint64_t g_count, g_vec, g_skip;

GUEST_CODE static void record_and_skip(struct guest_frame *f)
{
	g_count++;
	g_vec = f->vector;
	f->rip += g_skip;
}

static const int faults[] = { 6, 13, 14 };

static int set_handlers(struct gvm *vm)
{
	size_t i;

	for (i = 0; i < sizeof(faults) / sizeof(faults[0]); i++)
		if (gvm_set_handler(vm, faults[i], record_and_skip))
			return -1;
	return 0;
}

GUEST_CODE static uint32_t guest_cpuid1_ecx(void)
{
	uint32_t a = 1, b, c = 0, d;

	__asm__ volatile("cpuid" : "+a"(a), "=b"(b), "+c"(c), "=d"(d));
	return c;
}

/* ------------------------------------------------------- MONITOR/MWAIT */

static volatile uint64_t monitored;

/* The vector MONITOR (then MWAIT) raised, 0 for none: vec_mwait << 8 | vec_monitor. */
GUEST_CODE static uint64_t guest_monitor_mwait(void)
{
	uint64_t r = 0, before;

	g_skip = 3;
	before = g_count;
	g_vec = 0;
	/* valid operands: the CPU checks them before the intercept */
	__asm__ volatile("monitor" : : "a"(&monitored), "c"(0), "d"(0) : "memory");
	if (g_count != before)
		r |= g_vec;
	before = g_count;
	g_vec = 0;
	__asm__ volatile("mwait" : : "a"(0), "c"(0) : "memory");
	if (g_count != before)
		r |= g_vec << 8;
	return r;
}

/* Forever: SYNC 1 with the faults, then SYNC 2 with the CPUID bit. */
GUEST_CODE static void guest_mwait_loop(uint64_t a0, uint64_t a1)
{
	for (;;) {
		GUEST_SYNC(1, guest_monitor_mwait());
		GUEST_SYNC(2, !!(guest_cpuid1_ecx() & CPUID_1_ECX_MONITOR));
	}
}

static bool host_has_monitor(void)
{
	unsigned int a, b, c, d;

	__cpuid(1, a, b, c, d);
	return c & CPUID_1_ECX_MONITOR;
}

static int mwait_round(struct gvcpu *v, const char *what, uint64_t want,
		       uint64_t want_cpuid)
{
	uint64_t got, cpuid;

	CHECK(!gvcpu_run_sync(v, 1, &got), "%s: SYNC 1", what);
	CHECK(got == want, "%s: MONITOR/MWAIT raised %#llx, want %#llx", what,
	      (unsigned long long)got, (unsigned long long)want);
	CHECK(!gvcpu_run_sync(v, 2, &cpuid), "%s: SYNC 2", what);
	CHECK(cpuid == want_cpuid, "%s: the guest's CPUID.1:ECX.MONITOR is %llu",
	      what, (unsigned long long)cpuid);
	return KSFT_PASS;
}

/*
 * The steps of KVM's own monitor_mwait_test, with the guest's CPUID
 * without MONITOR: NOPs with the quirk; #UD without it; NOPs again once
 * MISC_ENABLE.ENABLE_MWAIT (the MISC_ENABLE quirk off) puts MONITOR in the
 * guest's CPUID; #UD once it takes it out.
 */
static int t_mwait(void)
{
	const uint64_t ud = 6 | 6 << 8;
	struct kvm_cpuid_entry2 *e;
	struct gvcpu *v = NULL;
	struct gvm *vm;
	int r = KSFT_FAIL;

	SKIP_IF(!host_has_monitor(),
		"the CPU has no MONITOR/MWAIT: it raises #UD before any intercept");
	SKIP_IF(!have_quirks(QUIRK_MWAIT_NEVER_UD_FAULTS | QUIRK_MISC_ENABLE_NO_MWAIT),
		"KVM_CAP_DISABLE_QUIRKS2 lacks the MWAIT quirks");
	vm = gvm_create(sys_fd, 0);
	CHECK(vm, "VM");
	e = cpuid_entry(vm->cpuid, 1, 0);
	if (!e || set_handlers(vm))
		goto out;
	e->ecx &= ~CPUID_1_ECX_MONITOR;
	v = gvcpu_create_long(vm, 0, guest_mwait_loop, 0, 0);
	if (!v || mwait_round(v, "quirks on", 0, 0))
		goto out;
	if (disable_quirks(vm, QUIRK_MWAIT_NEVER_UD_FAULTS) ||
	    mwait_round(v, "MWAIT quirk off", ud, 0))
		goto out;
	if (disable_quirks(vm, QUIRK_MWAIT_NEVER_UD_FAULTS | QUIRK_MISC_ENABLE_NO_MWAIT) ||
	    !msr_set(v, MSR_IA32_MISC_ENABLE, MISC_ENABLE_MWAIT) ||
	    mwait_round(v, "both off, ENABLE_MWAIT", 0, 1))
		goto out;
	if (!msr_set(v, MSR_IA32_MISC_ENABLE, 0) ||
	    mwait_round(v, "both off, no ENABLE_MWAIT", ud, 0))
		goto out;
	/* the MWAIT quirk alone on again: NOPs without the CPUID bit */
	if (disable_quirks(vm, QUIRK_MISC_ENABLE_NO_MWAIT) ||
	    mwait_round(v, "MISC_ENABLE quirk off", 0, 0))
		goto out;
	r = KSFT_PASS;
out:
	gvm_teardown(vm, v);
	return r;
}

/* ------------------------------------------------- MISC_ENABLE and CPUID */

/* The guest clears ENABLE_MWAIT: SYNC 1 with its CPUID bit, SYNC 2 with any fault. */
GUEST_CODE static void guest_misc_enable(uint64_t set, uint64_t a1)
{
	uint64_t v = gmsr_read(MSR_IA32_MISC_ENABLE);

	GUEST_SYNC(1, !!(guest_cpuid1_ecx() & CPUID_1_ECX_MONITOR));
	g_skip = 2;
	g_vec = 0;
	__asm__ volatile("wrmsr" : : "c"(MSR_IA32_MISC_ENABLE),
			 "a"((uint32_t)(set ? v | MISC_ENABLE_MWAIT : v & ~MISC_ENABLE_MWAIT)),
			 "d"((uint32_t)(v >> 32)) : "memory");
	GUEST_SYNC(2, g_vec);
	GUEST_SYNC(3, !!(guest_cpuid1_ecx() & CPUID_1_ECX_MONITOR));
	GUEST_DONE();
}

static int misc_enable_vcpu(bool sse3, uint64_t guest_sets, struct gvm **pvm,
			    struct gvcpu **pv)
{
	struct kvm_cpuid_entry2 *e;

	*pv = NULL;
	*pvm = gvm_create(sys_fd, 0);
	if (!*pvm || set_handlers(*pvm))
		return -1;
	e = cpuid_entry((*pvm)->cpuid, 1, 0);
	if (!e)
		return -1;
	e->ecx &= ~CPUID_1_ECX_MONITOR;
	if (sse3)
		e->ecx |= CPUID_1_ECX_SSE3;
	else
		e->ecx &= ~CPUID_1_ECX_SSE3;
	*pv = gvcpu_create_long(*pvm, 0, guest_misc_enable, guest_sets, 0);
	return *pv ? 0 : -1;
}

static int t_misc_enable_mwait(void)
{
	uint64_t base, val, vec;
	struct gvcpu *v;
	struct gvm *vm;
	uint32_t ecx;

	SKIP_IF(!have_quirks(QUIRK_MISC_ENABLE_NO_MWAIT),
		"KVM_CAP_DISABLE_QUIRKS2 lacks MISC_ENABLE_NO_MWAIT");
	/* with the quirk: the bit is stored, CPUID stays */
	CHECK(!misc_enable_vcpu(true, 0, &vm, &v), "VM");
	CHECK(msr_get(v, MSR_IA32_MISC_ENABLE, &base), "MISC_ENABLE");
	CHECK(!(base & MISC_ENABLE_MWAIT), "MISC_ENABLE at reset %#llx",
	      (unsigned long long)base);
	CHECK(msr_set(v, MSR_IA32_MISC_ENABLE, base | MISC_ENABLE_MWAIT),
	      "quirk on: ENABLE_MWAIT refused");
	CHECK(msr_get(v, MSR_IA32_MISC_ENABLE, &val) &&
	      val == (base | MISC_ENABLE_MWAIT), "quirk on: read back %#llx",
	      (unsigned long long)val);
	CHECK(!vcpu_cpuid1_ecx(v, &ecx) && !(ecx & CPUID_1_ECX_MONITOR),
	      "quirk on: KVM_GET_CPUID2 took MONITOR from MISC_ENABLE");
	/* without it: the bit is CPUID's MONITOR, for the VMM and the guest */
	CHECK(msr_set(v, MSR_IA32_MISC_ENABLE, base), "clear ENABLE_MWAIT");
	CHECK(!disable_quirks(vm, QUIRK_MISC_ENABLE_NO_MWAIT), "disable the quirk");
	CHECK(msr_set(v, MSR_IA32_MISC_ENABLE, base | MISC_ENABLE_MWAIT),
	      "quirk off: ENABLE_MWAIT refused with SSE3");
	CHECK(!vcpu_cpuid1_ecx(v, &ecx) && (ecx & CPUID_1_ECX_MONITOR),
	      "quirk off: KVM_GET_CPUID2 without MONITOR after ENABLE_MWAIT (%#x)", ecx);
	CHECK(!gvcpu_run_sync(v, 1, &val) && val == 1, "the guest's CPUID: MONITOR %llu",
	      (unsigned long long)val);
	CHECK(!gvcpu_run_sync(v, 2, &vec) && !vec, "the guest's WRMSR raised %llu",
	      (unsigned long long)vec);
	CHECK(!gvcpu_run_sync(v, 3, &val) && !val,
	      "the guest cleared ENABLE_MWAIT: its CPUID still has MONITOR");
	CHECK(!vcpu_cpuid1_ecx(v, &ecx) && !(ecx & CPUID_1_ECX_MONITOR),
	      "KVM_GET_CPUID2 kept MONITOR after the guest's write");
	CHECK(!gvcpu_run_done(v), "DONE");
	gvm_teardown(vm, v);

	/* without SSE3 the bit cannot change: KVM_SET_MSRS refuses, WRMSR is #GP */
	CHECK(!misc_enable_vcpu(false, 1, &vm, &v), "VM without SSE3");
	CHECK(!disable_quirks(vm, QUIRK_MISC_ENABLE_NO_MWAIT), "disable the quirk");
	CHECK(!msr_set(v, MSR_IA32_MISC_ENABLE, base | MISC_ENABLE_MWAIT),
	      "no SSE3: KVM_SET_MSRS took ENABLE_MWAIT");
	CHECK(!gvcpu_run_sync(v, 1, &val) && !val, "no SSE3: the guest sees MONITOR");
	CHECK(!gvcpu_run_sync(v, 2, &vec) && vec == 13,
	      "no SSE3: the guest's WRMSR of ENABLE_MWAIT raised %llu, not #GP",
	      (unsigned long long)vec);
	CHECK(!gvcpu_run_sync(v, 3, &val) && !val, "no SSE3: MONITOR appeared");
	CHECK(msr_get(v, MSR_IA32_MISC_ENABLE, &val) && val == base,
	      "no SSE3: MISC_ENABLE is %#llx", (unsigned long long)val);
	CHECK(!gvcpu_run_done(v), "DONE");
	gvm_teardown(vm, v);
	return KSFT_PASS;
}

/* ------------------------------------------------------------ OUT 0x7e */

extern const char out7e_insn[], out7e_after[];

GUEST_CODE static void guest_out7e(uint64_t a0, uint64_t a1)
{
	__asm__ volatile(".globl out7e_insn, out7e_after\n"
			 "out7e_insn:\n\t"
			 "outb %%al, $0x7e\n"
			 "out7e_after:\n"
			 : : "a"(0x5a) : "memory");
	GUEST_DONE();
}

static int out7e_once(bool disable)
{
	uint64_t want = (uint64_t)(disable ? out7e_insn : out7e_after);
	struct kvm_regs regs;
	struct gvcpu *v;
	struct gvm *vm;

	vm = gvm_create(sys_fd, 0);
	CHECK(vm, "VM");
	CHECK(!disable || !disable_quirks(vm, QUIRK_OUT_7E_INC_RIP), "disable the quirk");
	v = gvcpu_create_long(vm, 0, guest_out7e, 0, 0);
	CHECK(v, "vCPU");
	CHECK(!gvcpu_run_expect(v, KVM_EXIT_IO), "the OUT's exit");
	CHECK(v->run->io.port == 0x7e && v->run->io.direction == KVM_EXIT_IO_OUT &&
	      v->run->io.size == 1 && *(uint8_t *)gvcpu_io_data(v) == 0x5a,
	      "port %#x direction %u size %u", v->run->io.port, v->run->io.direction,
	      v->run->io.size);
	CHECK(!gvcpu_get_regs(v, &regs), "KVM_GET_REGS");
	CHECK(regs.rip == want, "quirk %s: RIP at the exit %#llx, want %#llx",
	      disable ? "off" : "on", (unsigned long long)regs.rip,
	      (unsigned long long)want);
	CHECK(!gvcpu_run_done(v), "quirk %s: the guest went on past the OUT",
	      disable ? "off" : "on");
	gvm_teardown(vm, v);
	return KSFT_PASS;
}

static int t_out_7e(void)
{
	int r;

	SKIP_IF(!have_quirks(QUIRK_OUT_7E_INC_RIP),
		"KVM_CAP_DISABLE_QUIRKS2 lacks OUT_7E_INC_RIP");
	r = out7e_once(false);
	return r == KSFT_PASS ? out7e_once(true) : r;
}

/* --------------------------------------------------------------- LINT0 */

#define APIC_LVT0	0x350

static int lvt0_of(bool disable, int id, uint32_t *lvt0)
{
	struct kvm_lapic_state s;
	struct gvcpu *v = NULL;
	struct gvm *vm;
	int r = -1;

	vm = gvm_create(sys_fd, 0);
	if (!vm || khv_ioctl(vm->fd, KVM_CREATE_IRQCHIP, 0) ||
	    (disable && disable_quirks(vm, QUIRK_LINT0_REENABLED)))
		goto out;
	v = gvcpu_create(vm, id);
	if (v && !khv_ioctl(v->fd, KVM_GET_LAPIC, (unsigned long)&s)) {
		memcpy(lvt0, &s.regs[APIC_LVT0], 4);
		r = 0;
	}
out:
	gvm_teardown(vm, v);
	return r;
}

static int t_lint0(void)
{
	uint32_t lvt0;

	SKIP_IF(!have_quirks(QUIRK_LINT0_REENABLED),
		"KVM_CAP_DISABLE_QUIRKS2 lacks LINT0_REENABLED");
	SKIP_IF(khv_cap(sys_fd, KVM_CAP_IRQCHIP) <= 0, "no in-kernel irqchip");
	CHECK(!lvt0_of(false, 0, &lvt0), "BSP's LAPIC");
	CHECK(lvt0 == 0x700, "quirk on: the BSP's LVT0 %#x, not ExtINT", lvt0);
	CHECK(!lvt0_of(false, 1, &lvt0), "AP's LAPIC");
	CHECK(lvt0 == 0x10000, "quirk on: an AP's LVT0 %#x, not masked", lvt0);
	CHECK(!lvt0_of(true, 0, &lvt0), "BSP's LAPIC, quirk off");
	CHECK(lvt0 == 0x10000, "quirk off: the BSP's LVT0 %#x, not masked", lvt0);
	return KSFT_PASS;
}

/* ----------------------------------------------------- LAPIC MMIO hole */

#define MSR_IA32_APIC_BASE	0x1b
#define APIC_BASE_EXTD		(1ull << 10)
#define APIC_PAGE_GPA		0xfee00000ull

/* In x2APIC mode: SYNC 1 with what the xAPIC page's ID register reads, after a write to it. */
GUEST_CODE static void guest_mmio_hole(uint64_t a0, uint64_t a1)
{
	volatile uint32_t *id = (volatile uint32_t *)(APIC_PAGE_GPA + 0x20);

	gmsr_write(MSR_IA32_APIC_BASE, gmsr_read(MSR_IA32_APIC_BASE) | APIC_BASE_EXTD);
	*id = 0x12345678;
	GUEST_SYNC(1, *id);
	GUEST_DONE();
}

static int mmio_hole_once(bool disable)
{
	struct gvcpu *v = NULL;
	struct kvm_run *run;
	uint64_t val;
	struct gvm *vm;
	int r = KSFT_FAIL;

	vm = gvm_create(sys_fd, 0);
	CHECK(vm && !khv_ioctl(vm->fd, KVM_CREATE_IRQCHIP, 0), "VM with an irqchip");
	if (disable && disable_quirks(vm, QUIRK_LAPIC_MMIO_HOLE))
		goto out;
	v = gvcpu_create_long(vm, 0, guest_mmio_hole, 0, 0);
	if (!v)
		goto out;
	run = v->run;
	if (!disable) {
		if (gvcpu_run_sync(v, 1, &val))
			goto out;
		if (val != 0xffffffff) {
			ksft_diag("quirk on: the x2APIC's xAPIC page read %#llx",
				  (unsigned long long)val);
			goto out;
		}
	} else {
		if (gvcpu_run_expect(v, KVM_EXIT_MMIO))
			goto out;
		if (run->mmio.phys_addr != APIC_PAGE_GPA + 0x20 || !run->mmio.is_write ||
		    run->mmio.len != 4) {
			ksft_diag("quirk off: the write exited at %#llx, write %u, len %u",
				  (unsigned long long)run->mmio.phys_addr,
				  run->mmio.is_write, run->mmio.len);
			goto out;
		}
		if (gvcpu_run_expect(v, KVM_EXIT_MMIO))
			goto out;
		if (run->mmio.phys_addr != APIC_PAGE_GPA + 0x20 || run->mmio.is_write) {
			ksft_diag("quirk off: the read exited at %#llx, write %u",
				  (unsigned long long)run->mmio.phys_addr,
				  run->mmio.is_write);
			goto out;
		}
		memcpy(run->mmio.data, "\x11\x22\x33\x44", 4);
		if (gvcpu_run_sync(v, 1, &val))
			goto out;
		if (val != 0x44332211) {
			ksft_diag("quirk off: the read gave %#llx, not user space's data",
				  (unsigned long long)val);
			goto out;
		}
	}
	if (!gvcpu_run_done(v))
		r = KSFT_PASS;
out:
	gvm_teardown(vm, v);
	return r;
}

static int t_lapic_mmio_hole(void)
{
	int r;

	SKIP_IF(!have_quirks(QUIRK_LAPIC_MMIO_HOLE),
		"KVM_CAP_DISABLE_QUIRKS2 lacks LAPIC_MMIO_HOLE");
	SKIP_IF(khv_cap(sys_fd, KVM_CAP_IRQCHIP) <= 0, "no in-kernel irqchip");
	r = mmio_hole_once(false);
	return r == KSFT_PASS ? mmio_hole_once(true) : r;
}

/* ------------------------------------------------------- CR0.CD and NW */

#define CR0_EM		(1ull << 2)
#define CR0_TS		(1ull << 3)
#define CR0_NW		(1ull << 29)
#define CR0_CD		(1ull << 30)

static volatile uint32_t g_msw_mem;

GUEST_CODE static uint64_t guest_read_cr0(void)
{
	uint64_t cr0;

	__asm__ volatile("mov %%cr0, %0" : "=r"(cr0));
	return cr0;
}

GUEST_CODE static void guest_write_cr0(uint64_t cr0)
{
	__asm__ volatile("mov %0, %%cr0" : : "r"(cr0) : "memory");
}

/*
 * Stage 1: CR0 by MOV (the VMM set CD and NW); 2: SMSW r64; 3: SMSW r32;
 * 4: SMSW r16 into 0x1122334455667788; 5: SMSW m16 into 0xa5a5a5a5; 6:
 * MOV after TS set by MOV and cleared by CLTS; 7: after LMSW r16 set TS;
 * 8: after CLTS and LMSW m16 set EM (a change beyond TS and MP: it exits
 * with the quirk off too); 9: after MOV cleared CD and NW; 10: after MOV
 * set CD alone. Then DONE.
 */
GUEST_CODE static void guest_cd_nw(uint64_t a0, uint64_t a1)
{
	uint64_t cr0 = guest_read_cr0(), v;

	GUEST_SYNC(1, cr0);
	__asm__ volatile("smsw %0" : "=r"(v));
	GUEST_SYNC(2, v);
	v = ~0ull;
	__asm__ volatile("smsw %k0" : "+r"(v));
	GUEST_SYNC(3, v);
	v = 0x1122334455667788ull;
	__asm__ volatile("smsw %w0" : "+r"(v));
	GUEST_SYNC(4, v);
	g_msw_mem = 0xa5a5a5a5;
	__asm__ volatile("smsw (%0)" : : "r"(&g_msw_mem) : "memory");
	GUEST_SYNC(5, g_msw_mem);
	guest_write_cr0(cr0 | CR0_TS);
	__asm__ volatile("clts" : : : "memory");
	GUEST_SYNC(6, guest_read_cr0());
	v = (cr0 & 0xffff) | CR0_TS;
	__asm__ volatile("lmsw %w0" : : "r"(v) : "memory");
	GUEST_SYNC(7, guest_read_cr0());
	__asm__ volatile("clts" : : : "memory");
	/* no FPU or SSE instruction until EM is clear again */
	g_msw_mem = (uint32_t)((cr0 & 0xffff) | CR0_EM);
	__asm__ volatile("lmsw (%0)" : : "r"(&g_msw_mem) : "memory");
	v = guest_read_cr0();
	guest_write_cr0(cr0);
	GUEST_SYNC(8, v);
	guest_write_cr0(cr0 & ~(CR0_CD | CR0_NW));
	GUEST_SYNC(9, guest_read_cr0());
	guest_write_cr0((cr0 & ~CR0_NW) | CR0_CD);
	GUEST_SYNC(10, guest_read_cr0());
	GUEST_DONE();
}

static int cd_nw_once(bool disable)
{
	const char *q = disable ? "quirk off" : "quirk on";
	struct kvm_sregs sregs;
	uint64_t cr0, v;
	struct gvcpu *v0;
	struct gvm *vm;

	vm = gvm_create(sys_fd, 0);
	CHECK(vm, "VM");
	CHECK(!disable || !disable_quirks(vm, QUIRK_CD_NW_CLEARED), "disable the quirk");
	v0 = gvcpu_create_long(vm, 0, guest_cd_nw, 0, 0);
	CHECK(v0, "vCPU");
	CHECK(!gvcpu_get_sregs(v0, &sregs), "KVM_GET_SREGS");
	cr0 = sregs.cr0 | CR0_CD | CR0_NW;
	sregs.cr0 = cr0;
	CHECK(!gvcpu_set_sregs(v0, &sregs), "KVM_SET_SREGS with CD and NW");
	CHECK(!gvcpu_run_sync(v0, 1, &v) && v == cr0,
	      "%s: MOV from CR0 read %#llx, KVM_SET_SREGS gave %#llx", q,
	      (unsigned long long)v, (unsigned long long)cr0);
	CHECK(!gvcpu_get_sregs(v0, &sregs) && sregs.cr0 == cr0,
	      "%s: KVM_GET_SREGS %#llx", q, (unsigned long long)sregs.cr0);
	CHECK(!gvcpu_run_sync(v0, 2, &v) && v == cr0, "%s: SMSW r64 %#llx", q,
	      (unsigned long long)v);
	CHECK(!gvcpu_run_sync(v0, 3, &v) && v == (uint32_t)cr0,
	      "%s: SMSW r32 %#llx", q, (unsigned long long)v);
	CHECK(!gvcpu_run_sync(v0, 4, &v) &&
	      v == (0x1122334455660000ull | (cr0 & 0xffff)),
	      "%s: SMSW r16 %#llx", q, (unsigned long long)v);
	CHECK(!gvcpu_run_sync(v0, 5, &v) && v == (0xa5a50000ull | (cr0 & 0xffff)),
	      "%s: SMSW m16 left %#llx", q, (unsigned long long)v);
	CHECK(!gvcpu_run_sync(v0, 6, &v) && v == cr0,
	      "%s: after MOV (TS) and CLTS %#llx", q, (unsigned long long)v);
	CHECK(!gvcpu_run_sync(v0, 7, &v) && v == (cr0 | CR0_TS),
	      "%s: after LMSW (TS) %#llx", q, (unsigned long long)v);
	CHECK(!gvcpu_run_sync(v0, 8, &v) && v == (cr0 | CR0_EM),
	      "%s: after LMSW m16 (EM) %#llx", q, (unsigned long long)v);
	CHECK(!gvcpu_run_sync(v0, 9, &v) && v == (cr0 & ~(CR0_CD | CR0_NW)),
	      "%s: after clearing CD and NW %#llx", q, (unsigned long long)v);
	CHECK(!gvcpu_get_sregs(v0, &sregs) && sregs.cr0 == v,
	      "%s: KVM_GET_SREGS %#llx after the guest cleared CD and NW", q,
	      (unsigned long long)sregs.cr0);
	CHECK(!gvcpu_run_sync(v0, 10, &v) && v == ((cr0 & ~CR0_NW) | CR0_CD),
	      "%s: after setting CD %#llx", q, (unsigned long long)v);
	CHECK(!gvcpu_get_sregs(v0, &sregs) && sregs.cr0 == v,
	      "%s: KVM_GET_SREGS %#llx with CD", q, (unsigned long long)sregs.cr0);
	CHECK(!gvcpu_run_done(v0), "DONE");
	gvm_teardown(vm, v0);
	return KSFT_PASS;
}

static int t_cd_nw(void)
{
	int r = cd_nw_once(false);

	if (r != KSFT_PASS)
		return r;
	SKIP_IF(!have_quirks(QUIRK_CD_NW_CLEARED),
		"KVM_CAP_DISABLE_QUIRKS2 lacks CD_NW_CLEARED (quirk on: passed)");
	return cd_nw_once(true);
}

static const struct ksft_case cases[] = {
	{ "mwait", t_mwait },
	{ "misc_enable_mwait", t_misc_enable_mwait },
	{ "out_7e", t_out_7e },
	{ "lint0", t_lint0 },
	{ "lapic_mmio_hole", t_lapic_mmio_hole },
	{ "cd_nw", t_cd_nw },
};

int main(int argc, char **argv)
{
	khv_test_init(argc, argv);
	sys_fd = khv_open_dev();
	return KSFT_RUN(cases);
}
