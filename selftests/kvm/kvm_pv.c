// SPDX-License-Identifier: GPL-2.0
/*
 * KVM's paravirtual features besides kvmclock, as a KVM guest (and a CPU
 * model such as QEMU's qemu64) expects them: CPUID 0x40000001 offers
 * NOP_IO_DELAY, ASYNC_PF, STEAL_TIME and PV_EOI; MSR_KVM_ASYNC_PF_EN,
 * MSR_KVM_STEAL_TIME and MSR_KVM_PV_EOI_EN take what KVM takes and refuse
 * what it refuses (reserved bits, misalignment, no RAM there); a guest
 * that enables steal time finds its structure written under the version
 * protocol; a guest that enables PV EOI takes a run of self-IPIs, ending
 * each one with the PV EOI bit when the hypervisor set it and with the
 * EOI register otherwise, and loses none. With
 * KVM_CAP_ENFORCE_PV_FEATURE_CPUID the MSRs follow the guest's CPUID;
 * KVM's hypercalls answer as KVM's, also when the guest uses the other
 * vendor's instruction (KVM_X86_QUIRK_FIX_HYPERCALL_INSN).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "guest.h"
#include "apic.h"

static int sys_fd;

#define MSR_KVM_ASYNC_PF_EN	0x4b564d02
#define MSR_KVM_STEAL_TIME	0x4b564d03
#define MSR_KVM_PV_EOI_EN	0x4b564d04
#define F_NOP_IO_DELAY		(1u << 1)
#define F_ASYNC_PF		(1u << 4)
#define F_STEAL_TIME		(1u << 5)
#define F_PV_EOI		(1u << 6)
#define F_CLOCKSOURCE		(1u << 0)
#define F_CLOCKSOURCE2		(1u << 3)
#define F_CLOCKSOURCE_STABLE	(1u << 24)	/* KVM: on every host */
#define F_PV_SCHED_YIELD	(1u << 13)

#define STEAL_GPA	0x300000	/* in the guest's free RAM, 64-byte aligned */
#define PV_EOI_GPA	0x301000
#define VEC		0x40
#define ROUNDS		20

struct steal {
	uint64_t steal;
	uint32_t version, flags;
	uint8_t preempted, pad8[3];
	uint32_t pad[11];
};

static volatile uint64_t handled, pv_eois;

static int t_cpuid(void)
{
	struct kvm_cpuid2 *c = khv_supported_cpuid(sys_fd);
	struct kvm_cpuid_entry2 *e;
	uint32_t want = F_NOP_IO_DELAY | F_ASYNC_PF | F_STEAL_TIME | F_PV_EOI |
			F_CLOCKSOURCE | F_CLOCKSOURCE2 | F_CLOCKSOURCE_STABLE;

	CHECK(c, "KVM_GET_SUPPORTED_CPUID");
	e = cpuid_entry(c, 0x40000001, 0);
	CHECK(e, "leaf 0x40000001");
	ksft_diag("0x40000001 EAX %#x", e->eax);
	CHECK((e->eax & want) == want, "EAX %#x lacks %#x", e->eax, want & ~e->eax);
	free(c);
	return KSFT_PASS;
}

/* The MSRs from the host side: KVM_SET_MSRS's count says accepted (1) or not. */
static int t_msrs(void)
{
	struct gvm *vm = gvm_create(sys_fd, 0);
	struct gvcpu *v;
	uint64_t val;

	CHECK(vm && !khv_ioctl(vm->fd, KVM_CREATE_IRQCHIP, 0), "VM with irqchip");
	v = gvcpu_create(vm, 0);
	CHECK(v, "vCPU");
	CHECK(gvcpu_set_msr(v, MSR_KVM_ASYNC_PF_EN, 0) == 1, "ASYNC_PF_EN 0");
	CHECK(gvcpu_set_msr(v, MSR_KVM_ASYNC_PF_EN, STEAL_GPA | 0x10) == 0,
	      "ASYNC_PF_EN bit 4 reserved");
	CHECK(gvcpu_set_msr(v, MSR_KVM_ASYNC_PF_EN, STEAL_GPA | 0x20) == 0,
	      "ASYNC_PF_EN bit 5 reserved");
	CHECK(gvcpu_set_msr(v, MSR_KVM_STEAL_TIME, STEAL_GPA | 2) == 0,
	      "STEAL_TIME reserved bit 1");
	CHECK(gvcpu_set_msr(v, MSR_KVM_STEAL_TIME, STEAL_GPA | 1) == 1 &&
	      gvcpu_get_msr(v, MSR_KVM_STEAL_TIME, &val) == 1 && val == (STEAL_GPA | 1),
	      "STEAL_TIME round trip %#llx", (unsigned long long)val);
	CHECK(gvcpu_set_msr(v, MSR_KVM_PV_EOI_EN, PV_EOI_GPA | 2 | 1) == 0,
	      "PV_EOI_EN misaligned");
	CHECK(gvcpu_set_msr(v, MSR_KVM_PV_EOI_EN, 0x7ff00000000ull | 1) == 0,
	      "PV_EOI_EN outside RAM");
	CHECK(gvcpu_set_msr(v, MSR_KVM_PV_EOI_EN, PV_EOI_GPA | 1) == 1 &&
	      gvcpu_get_msr(v, MSR_KVM_PV_EOI_EN, &val) == 1 && val == (PV_EOI_GPA | 1),
	      "PV_EOI_EN round trip %#llx", (unsigned long long)val);
	CHECK(gvcpu_set_msr(v, MSR_KVM_PV_EOI_EN, 0) == 1, "PV_EOI_EN off");
	gvcpu_destroy(v);
	gvm_destroy(vm);
	return KSFT_PASS;
}

GUEST_CODE static void guest_steal(uint64_t a, uint64_t b)
{
	volatile struct steal *st = (volatile struct steal *)STEAL_GPA;

	st->version = 0x77;	/* junk, odd: the first update makes it even */
	gmsr_write(MSR_KVM_STEAL_TIME, STEAL_GPA | 1);
	GUEST_SYNC(1, 0);
	GUEST_SYNC(2, st->version | (uint64_t)st->preempted << 32);
	GUEST_DONE();
}

static int t_steal_time(void)
{
	struct gvm *vm = gvm_create(sys_fd, 0);
	struct gvcpu *v;
	uint64_t val;

	CHECK(vm, "VM");
	v = gvcpu_create_long(vm, 0, guest_steal, 0, 0);
	CHECK(v, "vCPU");
	CHECK(!gvcpu_run_sync(v, 1, NULL), "stage 1");
	CHECK(!gvcpu_run_sync(v, 2, &val), "stage 2");
	ksft_diag("steal time version %u, preempted %u", (uint32_t)val,
		  (uint32_t)(val >> 32));
	CHECK(!(val & 1) && (uint32_t)val > 0x77, "version %#x: not updated, or odd",
	      (uint32_t)val);
	CHECK(!(val >> 32), "preempted while running");
	CHECK(!gvcpu_run_done(v), "DONE");
	gvm_teardown(vm, v);
	return KSFT_PASS;
}

GUEST_CODE static void on_ipi(struct guest_frame *f)
{
	volatile uint8_t *pv = (volatile uint8_t *)PV_EOI_GPA;

	handled++;
	/* the guest's side of PV EOI: the bit set means no register write */
	if (*pv & 1) {
		*pv &= ~1;
		pv_eois++;
		return;
	}
	apic_write(APIC_EOI, 0);
}

GUEST_CODE static void guest_pv_eoi(uint64_t a, uint64_t b)
{
	uint64_t i;

	apic_write(APIC_SVR, 0x1ff);
	gmsr_write(MSR_KVM_PV_EOI_EN, PV_EOI_GPA | 1);
	for (i = 1; i <= ROUNDS; i++) {
		apic_write(APIC_ICR, 0x40000 | VEC);	/* self, fixed */
		while (handled < i)
			__asm__ volatile("sti; nop; cli");
	}
	GUEST_SYNC(1, handled | pv_eois << 32);
	GUEST_SYNC(2, apic_read(APIC_ISR + 0x20) & (1u << (VEC & 31)));
	GUEST_DONE();
}

static int t_pv_eoi(void)
{
	struct gvm *vm = gvm_create(sys_fd, 0);
	struct kvm_lapic_state ls;
	struct gvcpu *v;
	uint64_t val;
	uint32_t isr;
	int i;

	CHECK(vm, "VM");
	gvm_set_handler(vm, VEC, on_ipi);
	CHECK(!khv_ioctl(vm->fd, KVM_CREATE_IRQCHIP, 0), "irqchip");
	v = gvcpu_create_long(vm, 0, guest_pv_eoi, 0, 0);
	CHECK(v, "vCPU");
	CHECK(!gvcpu_run_sync(v, 1, &val), "stage 1");
	ksft_diag("%u self-IPIs taken, %u ended by PV EOI", (uint32_t)val,
		  (uint32_t)(val >> 32));
	CHECK((uint32_t)val == ROUNDS, "taken %u of %d", (uint32_t)val, ROUNDS);
	CHECK(val >> 32, "PV EOI never offered");
	CHECK(!gvcpu_run_sync(v, 2, &val) && !val, "vector still in service (guest view)");
	CHECK(!khv_ioctl(v->fd, KVM_GET_LAPIC, (unsigned long)&ls), "GET_LAPIC");
	for (i = 0; i < 8; i++) {
		memcpy(&isr, ls.regs + 0x100 + i * 16, 4);
		CHECK(!isr, "ISR word %d %#x after the run", i, isr);
	}
	CHECK(!gvcpu_run_done(v), "DONE");
	gvm_teardown(vm, v);
	return KSFT_PASS;
}

/*
 * KVM_CAP_ENFORCE_PV_FEATURE_CPUID on the vCPU: a paravirtual MSR whose
 * feature the guest's CPUID does not announce is #GP, one it announces
 * works. And KVM's hypercalls (VMMCALL on AMD, VMCALL on Intel): one khv
 * and KVM lack or the CPUID does not announce (KVM_HC_SCHED_YIELD)
 * returns -KVM_ENOSYS, KVM_HC_VAPIC_POLL_IRQ returns 0.
 */
#define MSR_KVM_SYSTEM_TIME_NEW	0x4b564d01
#define HC_VAPIC_POLL_IRQ	1
#define HC_SCHED_YIELD		11
#define KVM_ENOSYS_RET		((uint64_t)-1000)

static volatile uint64_t gp_count;

GUEST_CODE static void on_gp(struct guest_frame *f)
{
	gp_count++;
	f->rip += 2;	/* RDMSR and WRMSR are two bytes */
}

GUEST_CODE static uint64_t hypercall(uint64_t nr)
{
	uint32_t eax = 0, ebx, ecx = 0, edx;
	uint64_t r;

	__asm__ volatile("cpuid" : "+a"(eax), "=b"(ebx), "+c"(ecx), "=d"(edx));
	if (ebx == 0x68747541)		/* "Auth"enticAMD */
		__asm__ volatile("vmmcall" : "=a"(r) : "a"(nr), "b"(0), "c"(0),
				 "d"(0), "S"(0) : "memory");
	else
		__asm__ volatile("vmcall" : "=a"(r) : "a"(nr), "b"(0), "c"(0),
				 "d"(0), "S"(0) : "memory");
	return r;
}

GUEST_CODE static void guest_enforce(uint64_t a, uint64_t b)
{
	gmsr_read(MSR_KVM_SYSTEM_TIME_NEW);	/* CLOCKSOURCE2 not announced */
	gmsr_write(MSR_KVM_STEAL_TIME, 0);	/* STEAL_TIME not announced */
	gmsr_read(MSR_KVM_PV_EOI_EN);		/* PV_EOI announced */
	GUEST_SYNC(1, gp_count);
	GUEST_SYNC(2, hypercall(HC_SCHED_YIELD));
	GUEST_SYNC(3, hypercall(HC_VAPIC_POLL_IRQ));
	GUEST_DONE();
}

static int t_enforce_pv_cpuid(void)
{
	struct kvm_enable_cap cap = {
		.cap = KVM_CAP_ENFORCE_PV_FEATURE_CPUID, .args = { 1 },
	};
	struct kvm_cpuid_entry2 *e;
	struct gvm *vm;
	struct gvcpu *v;
	uint64_t val;

	SKIP_IF(khv_ioctl(sys_fd, KVM_CHECK_EXTENSION,
			  KVM_CAP_ENFORCE_PV_FEATURE_CPUID) <= 0,
		"no KVM_CAP_ENFORCE_PV_FEATURE_CPUID");
	vm = gvm_create(sys_fd, 0);
	CHECK(vm && !gvm_set_handler(vm, 13, on_gp), "VM");
	e = cpuid_entry(vm->cpuid, 0x40000001, 0);
	CHECK(e && (e->eax & F_PV_EOI), "leaf 0x40000001 with PV_EOI");
	e->eax &= ~(F_CLOCKSOURCE2 | F_STEAL_TIME | F_PV_SCHED_YIELD);
	v = gvcpu_create_long(vm, 0, guest_enforce, 0, 0);
	CHECK(v, "vCPU");
	CHECK(!khv_ioctl(v->fd, KVM_ENABLE_CAP, (unsigned long)&cap), "KVM_ENABLE_CAP");
	CHECK(!gvcpu_run_sync(v, 1, &val) && val == 2,
	      "#GP for the two MSRs not announced, none for PV_EOI_EN: %llu #GP",
	      (unsigned long long)val);
	CHECK(!gvcpu_run_sync(v, 2, &val) && val == KVM_ENOSYS_RET,
	      "KVM_HC_SCHED_YIELD: %lld", (long long)val);
	CHECK(!gvcpu_run_sync(v, 3, &val) && !val,
	      "KVM_HC_VAPIC_POLL_IRQ: %lld", (long long)val);
	CHECK(!gvcpu_run_done(v), "DONE");
	gvm_teardown(vm, v);
	return KSFT_PASS;
}

/*
 * KVM_X86_QUIRK_FIX_HYPERCALL_INSN: the guest's hypercall is the other
 * vendor's instruction (VMCALL on AMD, VMMCALL on Intel), a #UD on this
 * CPU. With the quirk (the default) the hypervisor rewrites it to this
 * CPU's instruction and the call works: KVM_HC_SCHED_YIELD to itself and
 * to an APIC ID no vCPU has both return 0. With the quirk disabled
 * (KVM_CAP_DISABLE_QUIRKS2) the guest takes the #UD and the bytes stay.
 */
#define UD_MARK		0x0badull
#define QUIRK_FIX_HYPERCALL_INSN	(1ull << 5)

extern uint8_t hc_site[3];
static volatile uint64_t ud_count;

GUEST_CODE static void on_ud(struct guest_frame *f)
{
	ud_count++;
	f->rax = UD_MARK;
	f->rip += 3;
}

GUEST_CODE static __attribute__((noinline)) uint64_t hypercall_at_site(uint64_t nr,
									 uint64_t a0)
{
	uint64_t r;

	/* three bytes the host fills with the other vendor's instruction */
	__asm__ volatile(".globl hc_site\nhc_site:\n\t.byte 0x90, 0x90, 0x90"
			 : "=a"(r) : "a"(nr), "b"(a0), "c"(0), "d"(0), "S"(0) : "memory");
	return r;
}

GUEST_CODE static void guest_fix_hypercall(uint64_t a, uint64_t b)
{
	GUEST_SYNC(1, hypercall_at_site(HC_SCHED_YIELD, 0));
	GUEST_SYNC(2, hypercall_at_site(HC_SCHED_YIELD, 77));
	GUEST_SYNC(3, ud_count);
	GUEST_DONE();
}

static int fix_hypercall_once(bool disable)
{
	static const uint8_t vmcall[3] = { 0x0f, 0x01, 0xc1 }, vmmcall[3] = { 0x0f, 0x01, 0xd9 };
	const uint8_t *native = khv_cpu_is_amd() ? vmmcall : vmcall;
	const uint8_t *other = khv_cpu_is_amd() ? vmcall : vmmcall;
	struct kvm_enable_cap cap = {
		.cap = KVM_CAP_DISABLE_QUIRKS2, .args = { QUIRK_FIX_HYPERCALL_INSN },
	};
	uint64_t want = disable ? UD_MARK : 0, val;
	struct gvm *vm;
	struct gvcpu *v;
	uint8_t *site;

	vm = gvm_create(sys_fd, 0);
	CHECK(vm && !gvm_set_handler(vm, 6, on_ud), "VM");
	if (disable)
		CHECK(!khv_ioctl(vm->fd, KVM_ENABLE_CAP, (unsigned long)&cap),
		      "KVM_ENABLE_CAP(KVM_CAP_DISABLE_QUIRKS2)");
	site = gvm_hva(vm, (uint64_t)hc_site);
	CHECK(site, "the call site in guest memory");
	memcpy(site, other, 3);
	v = gvcpu_create_long(vm, 0, guest_fix_hypercall, 0, 0);
	CHECK(v, "vCPU");
	CHECK(!gvcpu_run_sync(v, 1, &val) && val == want,
	      "quirk %s: the other vendor's hypercall returned %#llx, not %#llx",
	      disable ? "off" : "on", (unsigned long long)val, (unsigned long long)want);
	CHECK(!memcmp(site, disable ? other : native, 3),
	      "quirk %s: the call site holds %02x %02x %02x", disable ? "off" : "on",
	      site[0], site[1], site[2]);
	CHECK(!gvcpu_run_sync(v, 2, &val) && val == want,
	      "quirk %s: KVM_HC_SCHED_YIELD to no vCPU returned %#llx",
	      disable ? "off" : "on", (unsigned long long)val);
	CHECK(!gvcpu_run_sync(v, 3, &val) && val == (disable ? 2 : 0), "#UD taken %llu times",
	      (unsigned long long)val);
	CHECK(!gvcpu_run_done(v), "DONE");
	gvm_teardown(vm, v);
	return KSFT_PASS;
}

static int t_fix_hypercall(void)
{
	struct kvm_enable_cap cap = { .cap = KVM_CAP_DISABLE_QUIRKS2, .args = { 1ull << 62 } };
	long quirks = khv_cap(sys_fd, KVM_CAP_DISABLE_QUIRKS2);
	int fd, r;

	SKIP_IF(quirks <= 0 || !(quirks & QUIRK_FIX_HYPERCALL_INSN),
		"KVM_CAP_DISABLE_QUIRKS2 is %ld", quirks);
	fd = khv_create_vm(sys_fd);
	CHECK(fd >= 0, "VM");
	r = (int)khv_ioctl(fd, KVM_ENABLE_CAP, (unsigned long)&cap);
	close(fd);
	CHECK(r == -EINVAL, "a quirk nobody has (bit 62): %d", r);
	r = fix_hypercall_once(false);
	return r == KSFT_PASS ? fix_hypercall_once(true) : r;
}

static const struct ksft_case cases[] = {
	{ "cpuid", t_cpuid },
	{ "msrs", t_msrs },
	{ "steal_time", t_steal_time },
	{ "pv_eoi", t_pv_eoi },
	{ "enforce_pv_cpuid", t_enforce_pv_cpuid },
	{ "fix_hypercall", t_fix_hypercall },
};

int main(int argc, char **argv)
{
	khv_test_init(argc, argv);
	sys_fd = khv_open_dev();
	return KSFT_RUN(cases);
}
