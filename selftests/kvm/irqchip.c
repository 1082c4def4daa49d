// SPDX-License-Identifier: GPL-2.0
/*
 * The in-kernel irqchip: KVM_CREATE_IRQCHIP and its ordering rules, the
 * state ioctls (KVM_GET/SET_IRQCHIP, KVM_GET/SET_LAPIC), and guests
 * using it: the xAPIC page (ID, self-IPI, EOI), the LAPIC timer in
 * one-shot and periodic mode with HLT sleeping in the kernel, the IOAPIC
 * fed by KVM_IRQ_LINE (edge and level, remote IRR), KVM_SIGNAL_MSI and
 * MSI routes, the PIC through LINT0, the PIT, split mode's
 * KVM_EXIT_IOAPIC_EOI, a second vCPU started with INIT and SIPI and
 * woken by an IPI, HLT's sleep (a signal ends it; an NMI blocked by the
 * handler running does not), and an armed TSC-deadline timer saved and
 * restored the way QEMU migrates it.
 */
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <string.h>
#include <unistd.h>

#include "guest.h"
#include "apic.h"

static int sys_fd;

#define VEC_IPI		0x40
#define VEC_TIMER	0x41
#define VEC_EDGE	0x42
#define VEC_LEVEL	0x43
#define VEC_MSI		0x44
#define VEC_ROUTE	0x45
#define VEC_PIC		0x48	/* the PIC's base: IRQ 0 */
#define VEC_PIT		0x46

static volatile uint64_t count[256];
static volatile uint64_t level_irr_seen;

GUEST_CODE static void on_irq(struct guest_frame *f)
{
	count[f->vector & 0xff]++;
	apic_write(APIC_EOI, 0);
}

/* Level pin: remote IRR is set while the handler runs; say so, then EOI. */
GUEST_CODE static void on_level(struct guest_frame *f)
{
	count[f->vector & 0xff]++;
	level_irr_seen = !!(ioapic_read(0x10 + 2 * 6) & (1u << 14));
	GUEST_SYNC(10, level_irr_seen);
	apic_write(APIC_EOI, 0);
}

/* Wait, interrupts on, until count[@vec] reaches @n (HLT between). */
GUEST_CODE static void wait_count(int vec, uint64_t n)
{
	while (count[vec] < n)
		guest_wait_irq();
}

static struct gvm *irq_vm(bool create)
{
	struct gvm *vm = gvm_create(sys_fd, 0);
	int vec;

	if (!vm)
		return NULL;
	for (vec = 0x40; vec < 0x50; vec++)
		gvm_set_handler(vm, vec, on_irq);
	gvm_set_handler(vm, VEC_LEVEL, on_level);
	if (create && khv_ioctl(vm->fd, KVM_CREATE_IRQCHIP, 0)) {
		gvm_destroy(vm);
		return NULL;
	}
	return vm;
}

/* Creation: once, before vCPUs; split mode only instead of it. */
static int t_create(void)
{
	struct gvm *vm = irq_vm(false);
	struct kvm_enable_cap cap = { .cap = KVM_CAP_SPLIT_IRQCHIP, .args = { 24 } };
	struct gvcpu *v;

	CHECK(vm, "VM");
	CHECK(!khv_ioctl(vm->fd, KVM_CREATE_IRQCHIP, 0), "create");
	CHECK(khv_ioctl(vm->fd, KVM_CREATE_IRQCHIP, 0) == -EEXIST, "twice");
	CHECK(khv_ioctl(vm->fd, KVM_ENABLE_CAP, (unsigned long)&cap) == -EEXIST,
	      "split after full");
	gvm_destroy(vm);

	vm = irq_vm(false);
	CHECK(vm, "VM");
	v = gvcpu_create(vm, 0);
	CHECK(v, "vCPU");
	CHECK(khv_ioctl(vm->fd, KVM_CREATE_IRQCHIP, 0) == -EINVAL,
	      "after a vCPU");
	CHECK(khv_ioctl(v->fd, KVM_GET_LAPIC, (unsigned long)&(struct kvm_lapic_state){ 0 }) ==
	      -EINVAL, "GET_LAPIC without irqchip");
	gvcpu_destroy(v);
	gvm_destroy(vm);
	return KSFT_PASS;
}

/* State after creation, and round trips through GET/SET. */
static int t_state(void)
{
	struct gvm *vm = irq_vm(true);
	struct kvm_irqchip chip, chip2;
	struct kvm_lapic_state ls, ls2;
	struct kvm_mp_state mp;
	struct gvcpu *v0, *v1;
	uint32_t *r;
	int i;

	CHECK(vm, "VM with irqchip");
	memset(&chip, 0, sizeof(chip));
	chip.chip_id = KVM_IRQCHIP_IOAPIC;
	CHECK(!khv_ioctl(vm->fd, KVM_GET_IRQCHIP, (unsigned long)&chip), "get ioapic");
	CHECK(chip.chip.ioapic.base_address == IOAPIC_BASE, "base %#llx",
	      (unsigned long long)chip.chip.ioapic.base_address);
	for (i = 0; i < KVM_IOAPIC_NUM_PINS; i++)
		CHECK(chip.chip.ioapic.redirtbl[i].fields.mask, "pin %d unmasked", i);
	chip.chip.ioapic.redirtbl[3].bits = 0x1a055;	/* masked, level, vector 0x55 */
	CHECK(!khv_ioctl(vm->fd, KVM_SET_IRQCHIP, (unsigned long)&chip), "set ioapic");
	memset(&chip2, 0, sizeof(chip2));
	chip2.chip_id = KVM_IRQCHIP_IOAPIC;
	CHECK(!khv_ioctl(vm->fd, KVM_GET_IRQCHIP, (unsigned long)&chip2), "get again");
	CHECK(chip2.chip.ioapic.redirtbl[3].bits == 0x1a055, "entry %#llx",
	      (unsigned long long)chip2.chip.ioapic.redirtbl[3].bits);
	for (i = 0; i < 2; i++) {
		memset(&chip, 0, sizeof(chip));
		chip.chip_id = i;
		CHECK(!khv_ioctl(vm->fd, KVM_GET_IRQCHIP, (unsigned long)&chip), "get pic %d", i);
		CHECK(!khv_ioctl(vm->fd, KVM_SET_IRQCHIP, (unsigned long)&chip), "set pic %d", i);
	}
	chip.chip_id = 3;
	CHECK(khv_ioctl(vm->fd, KVM_GET_IRQCHIP, (unsigned long)&chip) == -EINVAL, "chip 3");

	v0 = gvcpu_create(vm, 0);
	v1 = gvcpu_create(vm, 1);
	CHECK(v0 && v1, "vCPUs");
	CHECK(!khv_ioctl(v0->fd, KVM_GET_MP_STATE, (unsigned long)&mp) &&
	      mp.mp_state == KVM_MP_STATE_RUNNABLE, "BSP state %u", mp.mp_state);
	CHECK(!khv_ioctl(v1->fd, KVM_GET_MP_STATE, (unsigned long)&mp) &&
	      mp.mp_state == KVM_MP_STATE_UNINITIALIZED, "AP state %u", mp.mp_state);
	CHECK(!khv_ioctl(v1->fd, KVM_GET_LAPIC, (unsigned long)&ls), "get lapic");
	r = (uint32_t *)ls.regs;
	CHECK(r[APIC_ID / 4] == 1u << 24, "ID %#x", r[APIC_ID / 4]);
	CHECK((r[APIC_VERSION / 4] & 0xff) == 0x14, "version %#x", r[APIC_VERSION / 4]);
	CHECK(r[APIC_LVTT / 4] & (1u << 16), "timer LVT unmasked");
	r[APIC_TPR / 4] = 0x20;
	r[APIC_SVR / 4] = 0x1ff;
	CHECK(!khv_ioctl(v1->fd, KVM_SET_LAPIC, (unsigned long)&ls), "set lapic");
	CHECK(!khv_ioctl(v1->fd, KVM_GET_LAPIC, (unsigned long)&ls2), "get lapic");
	r = (uint32_t *)ls2.regs;
	CHECK(r[APIC_TPR / 4] == 0x20 && r[APIC_SVR / 4] == 0x1ff,
	      "TPR %#x SVR %#x", r[APIC_TPR / 4], r[APIC_SVR / 4]);
	mp.mp_state = KVM_MP_STATE_HALTED;
	CHECK(!khv_ioctl(v1->fd, KVM_SET_MP_STATE, (unsigned long)&mp), "HALTED");
	CHECK(!khv_ioctl(v1->fd, KVM_GET_MP_STATE, (unsigned long)&mp) &&
	      mp.mp_state == KVM_MP_STATE_HALTED, "state %u", mp.mp_state);
	gvcpu_destroy(v0);
	gvcpu_destroy(v1);
	gvm_destroy(vm);
	return KSFT_PASS;
}

GUEST_CODE static void guest_self_ipi(uint64_t a, uint64_t b)
{
	GUEST_SYNC(1, apic_read(APIC_ID));
	apic_write(APIC_SVR, 0x1ff);
	apic_write(APIC_ICR, 0x40000 | VEC_IPI);	/* self, fixed */
	__asm__ volatile("sti; nop; cli");
	GUEST_SYNC(2, count[VEC_IPI]);
	/* TPR above the vector's class holds it in IRR */
	apic_write(APIC_TPR, 0x50);
	apic_write(APIC_ICR, 0x40000 | VEC_IPI);
	__asm__ volatile("sti; nop; nop; cli");
	GUEST_SYNC(3, count[VEC_IPI]);
	GUEST_SYNC(4, apic_read(APIC_IRR + 0x20) & (1u << (VEC_IPI & 31)));
	apic_write(APIC_TPR, 0);
	__asm__ volatile("sti; nop; cli");
	GUEST_SYNC(5, count[VEC_IPI]);
	GUEST_DONE();
}

/* The xAPIC page: ID, a self-IPI taken when IF allows, TPR holding one. */
static int t_self_ipi(void)
{
	struct gvm *vm = irq_vm(true);
	struct gvcpu *v;
	uint64_t val;

	CHECK(vm, "VM");
	v = gvcpu_create_long(vm, 0, guest_self_ipi, 0, 0);
	CHECK(v, "vCPU");
	CHECK(!gvcpu_run_sync(v, 1, &val) && val == 0, "APIC ID %#llx",
	      (unsigned long long)val);
	CHECK(!gvcpu_run_sync(v, 2, &val) && val == 1, "IPIs %llu", (unsigned long long)val);
	CHECK(!gvcpu_run_sync(v, 3, &val) && val == 1, "held IPI taken: %llu",
	      (unsigned long long)val);
	CHECK(!gvcpu_run_sync(v, 4, &val) && val, "IRR bit not set");
	CHECK(!gvcpu_run_sync(v, 5, &val) && val == 2, "released IPI: %llu",
	      (unsigned long long)val);
	CHECK(!gvcpu_run_done(v), "DONE");
	gvcpu_destroy(v);
	gvm_destroy(vm);
	return KSFT_PASS;
}

GUEST_CODE static void guest_cr8(uint64_t a, uint64_t b)
{
	uint64_t seen;

	apic_write(APIC_SVR, 0x1ff);
	__asm__ volatile("mov %0, %%cr8" : : "r"(15ull));
	apic_write(APIC_ICR, 0x40000 | VEC_IPI);	/* self; class 4 < 15 */
	__asm__ volatile("sti; nop; nop; cli");
	GUEST_SYNC(1, count[VEC_IPI]);
	/* lowering CR8 lets it in at once, with no other exit on the way */
	__asm__ volatile("sti; mov %1, %%cr8; nop; nop; mov %2, %0; cli"
			 : "=r"(seen) : "r"(0ull), "m"(count[VEC_IPI]) : "memory");
	GUEST_SYNC(2, seen);
	GUEST_SYNC(3, apic_read(APIC_TPR));
	GUEST_DONE();
}

/* CR8 is the TPR's class: a raised CR8 holds an interrupt, lowering frees it. */
static int t_cr8(void)
{
	struct gvm *vm = irq_vm(true);
	struct gvcpu *v;
	uint64_t val;

	CHECK(vm, "VM");
	v = gvcpu_create_long(vm, 0, guest_cr8, 0, 0);
	CHECK(v, "vCPU");
	CHECK(!gvcpu_run_sync(v, 1, &val) && val == 0, "taken under CR8 15: %llu",
	      (unsigned long long)val);
	CHECK(!gvcpu_run_sync(v, 2, &val) && val == 1, "not taken at CR8 0: %llu",
	      (unsigned long long)val);
	CHECK(!gvcpu_run_sync(v, 3, &val) && val == 0, "TPR %#llx", (unsigned long long)val);
	CHECK(!gvcpu_run_done(v), "DONE");
	gvcpu_destroy(v);
	gvm_destroy(vm);
	return KSFT_PASS;
}

/*
 * Interrupts that arrive while the guest runs with IF=0: taken when IF
 * allows, highest class first, held by the TPR, and not in service (ISR)
 * before the guest took them. khv on SVM offers such a vector to the CPU
 * (V_IRQ) and acknowledges it only once the guest took it.
 * The TPR is written through the xAPIC page, not CR8: in the test machine
 * a guest's CR8 write while V_IRQ waits (as stock KVM leaves it for the
 * interrupt window) aborts QEMU 7.2's TCG (tcg_handle_interrupt asserts
 * the iothread lock); khv makes CR8 writes exit while it offers a vector.
 */
#define VEC_P5	0x51
#define VEC_P6	0x61
#define VEC_P7	0x71

static volatile uint64_t taken_order[8], ntaken;

GUEST_CODE static bool apic_vec(uint32_t reg, int vec)
{
	return apic_read(reg + (vec / 32) * 0x10) & (1u << (vec % 32));
}

GUEST_CODE static void on_taken(struct guest_frame *f)
{
	taken_order[ntaken++ & 7] = f->vector;
	apic_write(APIC_EOI, 0);
}

/* 0x61's handler: 0x71 arrives while it runs (IF=0, 0x61 in service) */
GUEST_CODE static void on_taken_p6(struct guest_frame *f)
{
	taken_order[ntaken++ & 7] = f->vector;
	GUEST_SYNC(10, 0);
	GUEST_SYNC(11, apic_vec(APIC_ISR, VEC_P6) |
		   apic_vec(APIC_ISR, VEC_P7) << 1 |
		   apic_vec(APIC_IRR, VEC_P7) << 2);
	apic_write(APIC_EOI, 0);
}

GUEST_CODE static void guest_pending_cli(uint64_t a, uint64_t b)
{
	uint32_t isr = 0;
	int i;

	apic_write(APIC_SVR, 0x1ff);
	__asm__ volatile("cli");
	GUEST_SYNC(1, 0);			/* the host sends 0x51 */
	GUEST_SYNC(2, apic_vec(APIC_IRR, VEC_P5) |
		   apic_vec(APIC_ISR, VEC_P5) << 1);	/* then 0x71 */
	apic_write(APIC_TPR, 0x70);
	__asm__ volatile("sti; nop; nop; cli");
	GUEST_SYNC(3, ntaken);
	apic_write(APIC_TPR, 0x60);
	__asm__ volatile("sti; nop; nop; cli");
	GUEST_SYNC(4, ntaken | taken_order[0] << 8);
	apic_write(APIC_TPR, 0);
	__asm__ volatile("sti; nop; nop; cli");
	GUEST_SYNC(5, ntaken | taken_order[1] << 8);	/* then 0x61 */
	__asm__ volatile("sti; nop; nop; cli");
	GUEST_SYNC(6, ntaken | taken_order[2] << 8 | taken_order[3] << 16);
	for (i = 0; i < 8; i++)
		isr |= apic_read(APIC_ISR + i * 0x10);
	GUEST_SYNC(7, isr);
	GUEST_DONE();
}

static int send_msi(struct gvm *vm, uint32_t vector)
{
	struct kvm_msi msi = { .address_lo = APIC_BASE, .data = vector };

	return (int)khv_ioctl(vm->fd, KVM_SIGNAL_MSI, (unsigned long)&msi);
}

static int t_pending_cli(void)
{
	struct gvm *vm = irq_vm(true);
	struct gvcpu *v;
	uint64_t val;

	CHECK(vm, "VM");
	gvm_set_handler(vm, VEC_P5, on_taken);
	gvm_set_handler(vm, VEC_P6, on_taken_p6);
	gvm_set_handler(vm, VEC_P7, on_taken);
	v = gvcpu_create_long(vm, 0, guest_pending_cli, 0, 0);
	CHECK(v, "vCPU");
	CHECK(!gvcpu_run_sync(v, 1, NULL), "SYNC 1");
	CHECK(send_msi(vm, VEC_P5) == 1, "MSI 0x51");
	CHECK(!gvcpu_run_sync(v, 2, &val) && val == 1,
	      "0x51 with IF=0: IRR/ISR bits %#llx, want IRR only",
	      (unsigned long long)val);
	CHECK(send_msi(vm, VEC_P7) == 1, "MSI 0x71");
	CHECK(!gvcpu_run_sync(v, 3, &val) && val == 0,
	      "taken under TPR 0x70: %llu", (unsigned long long)val);
	CHECK(!gvcpu_run_sync(v, 4, &val) && val == (1 | VEC_P7 << 8),
	      "under TPR 0x60: %#llx, want 0x71 alone", (unsigned long long)val);
	CHECK(!gvcpu_run_sync(v, 5, &val) && val == (2 | VEC_P5 << 8),
	      "at TPR 0: %#llx, want 0x51 next", (unsigned long long)val);
	CHECK(send_msi(vm, VEC_P6) == 1, "MSI 0x61");
	CHECK(!gvcpu_run_sync(v, 10, NULL), "0x61's handler");
	CHECK(send_msi(vm, VEC_P7) == 1, "MSI 0x71 during it");
	CHECK(!gvcpu_run_sync(v, 11, &val) && val == (1 | 4),
	      "in 0x61's handler: ISR 0x61 %llu, ISR 0x71 %llu, IRR 0x71 %llu",
	      (unsigned long long)(val & 1), (unsigned long long)(val >> 1 & 1),
	      (unsigned long long)(val >> 2 & 1));
	CHECK(!gvcpu_run_sync(v, 6, &val) &&
	      val == (4 | VEC_P6 << 8 | VEC_P7 << 16),
	      "order %#llx, want 0x61 then 0x71", (unsigned long long)val);
	CHECK(!gvcpu_run_sync(v, 7, &val) && val == 0, "ISR %#llx after all EOIs",
	      (unsigned long long)val);
	CHECK(!gvcpu_run_done(v), "DONE");
	gvcpu_destroy(v);
	gvm_destroy(vm);
	return KSFT_PASS;
}

GUEST_CODE static void guest_timer(uint64_t a, uint64_t b)
{
	uint32_t cur;

	apic_write(APIC_SVR, 0x1ff);
	apic_write(APIC_TDCR, 0xb);			/* divide by 1 */
	apic_write(APIC_LVTT, VEC_TIMER);		/* one-shot */
	/* long enough that TCG reads the count before it runs out */
	apic_write(APIC_TMICT, 50000000);		/* 50 ms */
	cur = apic_read(APIC_TMCCT);
	GUEST_ASSERT(cur > 0 && cur <= 50000000);
	wait_count(VEC_TIMER, 1);
	GUEST_SYNC(1, apic_read(APIC_TMCCT));
	apic_write(APIC_LVTT, VEC_TIMER | (1u << 17));	/* periodic */
	apic_write(APIC_TMICT, 1000000);		/* 1 ms */
	wait_count(VEC_TIMER, 4);
	apic_write(APIC_LVTT, VEC_TIMER | (1u << 16));	/* masked */
	apic_write(APIC_TMICT, 0);
	GUEST_SYNC(2, count[VEC_TIMER]);
	GUEST_DONE();
}

/* One-shot and periodic ticks wake a HLT that never leaves the kernel. */
static int t_timer(void)
{
	struct gvm *vm = irq_vm(true);
	struct gvcpu *v;
	uint64_t val;

	CHECK(vm, "VM");
	v = gvcpu_create_long(vm, 0, guest_timer, 0, 0);
	CHECK(v, "vCPU");
	CHECK(!gvcpu_run_sync(v, 1, &val) && val == 0, "count after one-shot %llu",
	      (unsigned long long)val);
	CHECK(!gvcpu_run_sync(v, 2, &val) && val >= 4, "ticks %llu",
	      (unsigned long long)val);
	CHECK(!gvcpu_run_done(v), "DONE");
	gvcpu_destroy(v);
	gvm_destroy(vm);
	return KSFT_PASS;
}

GUEST_CODE static void guest_ioapic(uint64_t a, uint64_t b)
{
	apic_write(APIC_SVR, 0x1ff);
	pic_off();
	ioapic_write(0x10 + 2 * 5, VEC_EDGE);		/* pin 5: edge, to APIC 0 */
	ioapic_write(0x11 + 2 * 5, 0);
	ioapic_write(0x10 + 2 * 6, VEC_LEVEL | (1u << 15));	/* pin 6: level */
	ioapic_write(0x11 + 2 * 6, 0);
	GUEST_SYNC(1, ioapic_read(1));			/* version */
	wait_count(VEC_EDGE, 1);
	GUEST_SYNC(2, count[VEC_EDGE]);
	wait_count(VEC_LEVEL, 1);
	GUEST_SYNC(3, count[VEC_LEVEL]);
	wait_count(VEC_MSI, 1);
	wait_count(VEC_ROUTE, 1);
	GUEST_SYNC(4, count[VEC_MSI] | count[VEC_ROUTE] << 8);
	GUEST_DONE();
}

static int irq_line(struct gvm *vm, uint32_t gsi, int level)
{
	struct kvm_irq_level l = { .irq = gsi, .level = level };

	if (khv_ioctl(vm->fd, KVM_IRQ_LINE_STATUS, (unsigned long)&l))
		return -1000;
	return l.status;
}

/* KVM_IRQ_LINE into the IOAPIC, KVM_SIGNAL_MSI, an MSI route. */
static int t_ioapic(void)
{
	struct gvm *vm = irq_vm(true);
	/*
	 * The address as QEMU's APIC MMIO window passes it: the offset into
	 * 0xfee00000 (KVM ignores bits 31:20); the route below has the base.
	 */
	struct kvm_msi msi = { .address_lo = 0, .data = VEC_MSI };
	struct {
		struct kvm_irq_routing r;
		struct kvm_irq_routing_entry e[3];
	} rt;
	struct kvm_irqchip chip;
	struct gvcpu *v;
	uint64_t val;

	CHECK(vm, "VM");
	v = gvcpu_create_long(vm, 0, guest_ioapic, 0, 0);
	CHECK(v, "vCPU");
	CHECK(!gvcpu_run_sync(v, 1, &val) && (val & 0xff) == 0x11 &&
	      ((val >> 16) & 0xff) == 23, "IOAPIC version %#llx", (unsigned long long)val);
	CHECK(irq_line(vm, 5, 1) >= 1, "edge delivered");
	CHECK(irq_line(vm, 5, 0) != -1000, "edge low");
	CHECK(!gvcpu_run_sync(v, 2, &val) && val == 1, "edge count %llu",
	      (unsigned long long)val);
	CHECK(irq_line(vm, 6, 1) >= 1, "level delivered");
	CHECK(!gvcpu_run_sync(v, 10, &val) && val == 1, "remote IRR in handler");
	CHECK(irq_line(vm, 6, 0) != -1000, "level low");
	CHECK(!gvcpu_run_sync(v, 3, &val) && val == 1, "level count %llu",
	      (unsigned long long)val);
	memset(&chip, 0, sizeof(chip));
	chip.chip_id = KVM_IRQCHIP_IOAPIC;
	CHECK(!khv_ioctl(vm->fd, KVM_GET_IRQCHIP, (unsigned long)&chip), "get");
	CHECK(!chip.chip.ioapic.redirtbl[6].fields.remote_irr, "remote IRR after EOI");

	CHECK(khv_ioctl(vm->fd, KVM_SIGNAL_MSI, (unsigned long)&msi) == 1,
	      "MSI at offset 0 of the APIC window");
	memset(&rt, 0, sizeof(rt));
	rt.r.nr = 1;
	rt.e[0].gsi = 30;
	rt.e[0].type = KVM_IRQ_ROUTING_MSI;
	rt.e[0].u.msi.address_lo = APIC_BASE;
	rt.e[0].u.msi.data = VEC_ROUTE;
	CHECK(!khv_ioctl(vm->fd, KVM_SET_GSI_ROUTING, (unsigned long)&rt), "routes");
	CHECK(irq_line(vm, 30, 1) == 1, "MSI route");
	CHECK(irq_line(vm, 30, 0) == -1, "MSI route low");
	CHECK(irq_line(vm, 5, 1) == -1, "gsi 5 now unrouted");
	CHECK(!gvcpu_run_sync(v, 4, &val) && val == 0x101, "MSI counts %#llx",
	      (unsigned long long)val);
	CHECK(!gvcpu_run_done(v), "DONE");

	/* bad routes */
	rt.e[0].type = KVM_IRQ_ROUTING_IRQCHIP;
	rt.e[0].u.irqchip.irqchip = KVM_IRQCHIP_IOAPIC;
	rt.e[0].u.irqchip.pin = 24;
	CHECK(khv_ioctl(vm->fd, KVM_SET_GSI_ROUTING, (unsigned long)&rt) == -EINVAL, "pin 24");
	rt.e[0].u.irqchip.irqchip = 3;
	rt.e[0].u.irqchip.pin = 0;
	CHECK(khv_ioctl(vm->fd, KVM_SET_GSI_ROUTING, (unsigned long)&rt) == -EINVAL, "chip 3");
	rt.e[0].u.irqchip.irqchip = KVM_IRQCHIP_PIC_MASTER;
	rt.e[0].u.irqchip.pin = 8;
	CHECK(khv_ioctl(vm->fd, KVM_SET_GSI_ROUTING, (unsigned long)&rt) == -EINVAL, "pic pin 8");
	rt.r.nr = 2;
	rt.e[0].u.irqchip.pin = 1;
	rt.e[1] = rt.e[0];
	rt.e[1].u.irqchip.pin = 2;
	CHECK(khv_ioctl(vm->fd, KVM_SET_GSI_ROUTING, (unsigned long)&rt) == -EINVAL,
	      "one chip twice for a GSI");
	rt.r.nr = 1;
	rt.e[0].gsi = 4096;
	CHECK(khv_ioctl(vm->fd, KVM_SET_GSI_ROUTING, (unsigned long)&rt) == -EINVAL, "gsi 4096");
	rt.r.nr = 4097;
	CHECK(khv_ioctl(vm->fd, KVM_SET_GSI_ROUTING, (unsigned long)&rt) == -EINVAL, "nr 4097");
	gvcpu_destroy(v);
	gvm_destroy(vm);
	return KSFT_PASS;
}

GUEST_CODE static void guest_pic_pit(uint64_t a, uint64_t b)
{
	apic_write(APIC_SVR, 0x1ff);
	apic_write(APIC_LVT0, 0x700);			/* ExtINT */
	/* the 8259 pair as Linux sets it up, master vectors at VEC_PIC */
	outb(0x20, 0x11);
	outb(0x21, VEC_PIC);
	outb(0x21, 0x04);
	outb(0x21, 0x01);
	outb(0xa0, 0x11);
	outb(0xa1, VEC_PIC + 8);
	outb(0xa1, 0x02);
	outb(0xa1, 0x01);
	outb(0x21, 0xf7);				/* only IRQ 3 */
	outb(0xa1, 0xff);
	GUEST_SYNC(1, 0);
	while (count[VEC_PIC + 3] < 1)
		guest_wait_irq();
	outb(0x20, 0x20);				/* EOI: on_irq did the LAPIC's */
	outb(0x21, 0xff);
	/* PIT channel 0, mode 2, 1 ms, to IOAPIC pin 0 (KVM's default route) */
	ioapic_write(0x10, VEC_PIT);
	ioapic_write(0x11, 0);
	outb(0x43, 0x34);
	outb(0x40, 1193 & 0xff);
	outb(0x40, 1193 >> 8);
	wait_count(VEC_PIT, 3);
	ioapic_write(0x10, VEC_PIT | (1u << 16));
	GUEST_SYNC(2, count[VEC_PIT]);
	GUEST_DONE();
}

/* An IRQ through the 8259 pair and LINT0, and PIT ticks. */
static int t_pic_pit(void)
{
	struct gvm *vm = irq_vm(true);
	struct kvm_pit_config pc = { .flags = KVM_PIT_SPEAKER_DUMMY };
	struct kvm_pit_state2 ps;
	struct gvcpu *v;
	uint64_t val;

	CHECK(vm, "VM");
	CHECK(!khv_ioctl(vm->fd, KVM_CREATE_PIT2, (unsigned long)&pc), "PIT");
	CHECK(khv_ioctl(vm->fd, KVM_CREATE_PIT2, (unsigned long)&pc) == -EEXIST, "PIT twice");
	CHECK(!khv_ioctl(vm->fd, KVM_GET_PIT2, (unsigned long)&ps), "get PIT");
	CHECK(!khv_ioctl(vm->fd, KVM_SET_PIT2, (unsigned long)&ps), "set PIT");
	v = gvcpu_create_long(vm, 0, guest_pic_pit, 0, 0);
	CHECK(v, "vCPU");
	CHECK(!gvcpu_run_sync(v, 1, NULL), "PIC set up");
	CHECK(irq_line(vm, 3, 1) >= 1, "IRQ 3");
	CHECK(irq_line(vm, 3, 0) != -1000, "IRQ 3 low");
	CHECK(!gvcpu_run_sync(v, 2, &val) && val >= 3, "PIT ticks %llu",
	      (unsigned long long)val);
	CHECK(!gvcpu_run_done(v), "DONE");
	CHECK(!khv_ioctl(vm->fd, KVM_GET_PIT2, (unsigned long)&ps), "get PIT");
	CHECK(ps.channels[0].mode == 2 && ps.channels[0].count == 1193,
	      "channel 0 mode %u count %u", ps.channels[0].mode, ps.channels[0].count);
	gvcpu_destroy(v);
	gvm_destroy(vm);
	return KSFT_PASS;
}

/*
 * PIT tick reinjection (KVM_REINJECT_CONTROL; on by default, as KVM).
 * Channel 0 ticks every RI_PERIOD_MS into IOAPIC pin 0 (GSI 0 by KVM's
 * default routes) while the vCPU is out of the guest for RI_PAUSE_MS;
 * then the guest counts ticks with interrupts on until it has RI_WANT.
 * Reinjecting, the ticks owed come one per EOI, faster than the PIT's rate
 * (the bound: 3/4 of a period per tick; they may come back to back, the
 * whole backlog before the guest's loop looks again, so the bound is on
 * the rate, not on the time to RI_WANT); without reinjection they merged,
 * and n ticks take (n - 2) periods at least (17/20 of that allowed for
 * the test machine's clocks). An
 * unmask of the pin (KVM's mask notifier) forgets what is owed. With PV
 * EOI on, the tick's EOI must still exit (KVM offers no PV EOI for a
 * vector whose EOI it listens for), or the next owed tick would wait for
 * an unrelated exit: that round has no time away and no bounds on time
 * (stock KVM 6.1 under the test machine's TCG with highres=off stalled in
 * 2 of 8 runs draining a backlog with PV EOI on), only the PV EOI count.
 */
#define RI_PERIOD_MS	2
#define RI_PAUSE_MS	500
#define RI_WANT		100
#define RI_PV_EOI_GPA	0x301000
#define MSR_KVM_PV_EOI_EN	0x4b564d04

enum { RI_DEFAULT, RI_PV_EOI, RI_OFF, RI_UNMASK };

static volatile uint64_t ri_pv_eois;

GUEST_CODE static void on_pit_pv(struct guest_frame *f)
{
	volatile uint8_t *pv = (volatile uint8_t *)RI_PV_EOI_GPA;

	uint32_t eax = 0, ebx, ecx = 0, edx;

	count[f->vector & 0xff]++;
	/* an exit with the tick in service: the next entry decides on PV EOI */
	__asm__ volatile("cpuid" : "+a"(eax), "=b"(ebx), "+c"(ecx), "=d"(edx));
	if (*pv & 1) {
		*pv &= ~1;
		ri_pv_eois++;
		return;
	}
	apic_write(APIC_EOI, 0);
}

GUEST_CODE static void guest_pit_reinject(uint64_t how, uint64_t tsc_khz)
{
	uint64_t t0, t, limit = 2000 * tsc_khz;

	apic_write(APIC_SVR, 0x1ff);
	pic_off();
	if (how == RI_PV_EOI)
		gmsr_write(MSR_KVM_PV_EOI_EN, RI_PV_EOI_GPA | 1);
	ioapic_write(0x11, 0);
	ioapic_write(0x10, VEC_PIT);		/* pin 0, edge, to APIC 0 */
	outb(0x43, 0x34);			/* channel 0, mode 2 */
	outb(0x40, (1193 * RI_PERIOD_MS) & 0xff);
	outb(0x40, (1193 * RI_PERIOD_MS) >> 8);
	if (how == RI_UNMASK)
		ioapic_write(0x10, VEC_PIT | (1u << 16));
	GUEST_SYNC(1, 0);			/* the host waits RI_PAUSE_MS */
	if (how == RI_UNMASK)
		ioapic_write(0x10, VEC_PIT);
	count[VEC_PIT] = 0;
	t0 = guest_rdtsc();
	__asm__ volatile("sti");
	/* PAUSE: KVM's reinjection is a kthread that a spinning vCPU holds up */
	do {
		__asm__ volatile("pause");
		t = guest_rdtsc() - t0;
	} while (count[VEC_PIT] < RI_WANT && t < limit);
	__asm__ volatile("cli");
	GUEST_SYNC(2, count[VEC_PIT] << 32 | t / tsc_khz);
	GUEST_SYNC(3, ri_pv_eois);
	GUEST_DONE();
}

static int pit_reinject_round(int how, uint64_t *ms, uint64_t *n)
{
	static const char *const name[] = { "default", "pv_eoi", "off", "unmask" };
	struct gvm *vm = irq_vm(true);
	struct kvm_pit_config pc = { .flags = 0 };
	struct kvm_reinject_control rc = { .pit_reinject = 0 };
	struct kvm_regs regs;
	struct gvcpu *v;
	uint64_t val;
	long khz;

	CHECK(vm, "VM");
	if (how == RI_PV_EOI)
		gvm_set_handler(vm, VEC_PIT, on_pit_pv);
	CHECK(khv_ioctl(vm->fd, KVM_REINJECT_CONTROL, (unsigned long)&rc) == -ENXIO,
	      "KVM_REINJECT_CONTROL without a PIT");
	CHECK(!khv_ioctl(vm->fd, KVM_CREATE_PIT2, (unsigned long)&pc), "PIT");
	if (how == RI_OFF)
		CHECK(!khv_ioctl(vm->fd, KVM_REINJECT_CONTROL, (unsigned long)&rc),
		      "reinjection off");
	v = gvcpu_create_long(vm, 0, guest_pit_reinject, how, 0);
	CHECK(v, "vCPU");
	khz = khv_ioctl(v->fd, KVM_GET_TSC_KHZ, 0);
	CHECK(khz >= 1000, "KVM_GET_TSC_KHZ %ld", khz);
	CHECK(!gvcpu_get_regs(v, &regs), "regs");
	regs.rsi = khz;				/* the guest's second argument */
	CHECK(!gvcpu_set_regs(v, &regs), "set regs");
	CHECK(!gvcpu_run_sync(v, 1, NULL), "PIT set up");
	if (how != RI_PV_EOI)
		usleep(RI_PAUSE_MS * 1000);
	CHECK(!gvcpu_run_sync(v, 2, &val), "counted");
	*n = val >> 32;
	*ms = (uint32_t)val;
	ksft_diag("%s: %llu ticks in %llu ms after %d ms away", name[how],
		  (unsigned long long)*n, (unsigned long long)*ms,
		  how == RI_PV_EOI ? 0 : RI_PAUSE_MS);
	CHECK(!gvcpu_run_sync(v, 3, &val), "PV EOIs");
	CHECK(!val, "%s: %llu ticks ended by PV EOI while the PIT reinjects",
	      name[how], (unsigned long long)val);
	CHECK(!gvcpu_run_done(v), "DONE");
	gvm_teardown(vm, v);
	return KSFT_PASS;
}

/* One round of each kind in @hows; the case skips without the ioctl. */
static int pit_reinject_rounds(const int *hows, int n_hows)
{
	uint64_t ms, n;
	int i, how;

	SKIP_IF(khv_ioctl(sys_fd, KVM_CHECK_EXTENSION, KVM_CAP_REINJECT_CONTROL) != 1,
		"no KVM_CAP_REINJECT_CONTROL");
	for (i = 0; i < n_hows; i++) {
		how = hows[i];
		CHECK(pit_reinject_round(how, &ms, &n) == KSFT_PASS, "round %d", how);
		CHECK(n >= RI_WANT, "round %d: %llu ticks in %llu ms", how,
		      (unsigned long long)n, (unsigned long long)ms);
		if (how == RI_PV_EOI)
			continue;
		if (how == RI_DEFAULT)
			CHECK(ms * 4 < n * RI_PERIOD_MS * 3,
			      "round %d: owed ticks not reinjected (%llu in %llu ms)",
			      how, (unsigned long long)n, (unsigned long long)ms);
		else
			CHECK(ms * 20 >= (n - 2) * RI_PERIOD_MS * 17,
			      "round %d: ticks not merged (%llu in %llu ms)",
			      how, (unsigned long long)n, (unsigned long long)ms);
	}
	return KSFT_PASS;
}

/* Reinjection by default; KVM_REINJECT_CONTROL off merges ticks. */
static int t_pit_reinject(void)
{
	static const int hows[] = { RI_DEFAULT, RI_OFF };

	return pit_reinject_rounds(hows, 2);
}

/* Unmasking GSI 0's IOAPIC pin forgets the ticks owed. */
static int t_pit_reinject_unmask(void)
{
	static const int hows[] = { RI_UNMASK };

	return pit_reinject_rounds(hows, 1);
}

/* PV EOI on: never offered for the reinjected tick's vector. */
static int t_pit_reinject_pv_eoi(void)
{
	static const int hows[] = { RI_PV_EOI };

	return pit_reinject_rounds(hows, 1);
}

GUEST_CODE static void guest_split(uint64_t a, uint64_t b)
{
	apic_write(APIC_SVR, 0x1ff);
	GUEST_SYNC(1, 0);
	wait_count(VEC_LEVEL, 1);
	GUEST_DONE();
}

/* Split mode: LAPIC in the kernel; a level MSI's EOI exits to user space. */
static int t_split(void)
{
	struct kvm_enable_cap cap = { .cap = KVM_CAP_SPLIT_IRQCHIP, .args = { 24 } };
	struct gvm *vm = irq_vm(false);
	struct {
		struct kvm_irq_routing r;
		struct kvm_irq_routing_entry e[1];
	} rt;
	struct kvm_irqchip chip = { .chip_id = KVM_IRQCHIP_IOAPIC };
	struct gvcpu *v;

	CHECK(vm, "VM");
	/* the IOAPIC is user space's here: the handler only EOIs */
	gvm_set_handler(vm, VEC_LEVEL, on_irq);
	SKIP_IF(!khv_cap(vm->fd, KVM_CAP_SPLIT_IRQCHIP), "no split irqchip");
	CHECK(!khv_ioctl(vm->fd, KVM_ENABLE_CAP, (unsigned long)&cap), "split");
	CHECK(khv_ioctl(vm->fd, KVM_CREATE_IRQCHIP, 0) == -EEXIST, "full after split");
	CHECK(khv_ioctl(vm->fd, KVM_GET_IRQCHIP, (unsigned long)&chip) == -ENXIO,
	      "no in-kernel IOAPIC");
	memset(&rt, 0, sizeof(rt));
	rt.r.nr = 1;
	rt.e[0].gsi = 5;
	rt.e[0].type = KVM_IRQ_ROUTING_IRQCHIP;
	rt.e[0].u.irqchip.irqchip = KVM_IRQCHIP_IOAPIC;
	rt.e[0].u.irqchip.pin = 5;
	CHECK(khv_ioctl(vm->fd, KVM_SET_GSI_ROUTING, (unsigned long)&rt) == -EINVAL,
	      "irqchip route in split mode");
	rt.e[0].type = KVM_IRQ_ROUTING_MSI;
	rt.e[0].u.msi.address_lo = APIC_BASE;
	rt.e[0].u.msi.data = VEC_LEVEL | (1u << 15) | (1u << 14);	/* level, assert */
	CHECK(!khv_ioctl(vm->fd, KVM_SET_GSI_ROUTING, (unsigned long)&rt), "MSI route");
	v = gvcpu_create_long(vm, 0, guest_split, 0, 0);
	CHECK(v, "vCPU");
	CHECK(irq_line(vm, 5, 1) == 0, "level MSI to a software-disabled APIC");
	CHECK(!gvcpu_run_sync(v, 1, NULL), "APIC on");
	CHECK(irq_line(vm, 5, 1) == 1, "level MSI");
	CHECK(!gvcpu_run_expect(v, KVM_EXIT_IOAPIC_EOI), "EOI exit");
	CHECK(v->run->eoi.vector == VEC_LEVEL, "EOI vector %#x", v->run->eoi.vector);
	CHECK(!gvcpu_run_done(v), "DONE");
	gvcpu_destroy(v);
	gvm_destroy(vm);
	return KSFT_PASS;
}

/* Real-mode code for the AP at 0x8000 (SIPI vector 8): OUT 0x80, HLT. */
static const uint8_t ap_code[] = {
	0xb0, 0x5a,		/* mov $0x5a, %al */
	0xe6, 0x80,		/* out %al, $0x80 */
	0xf4,			/* hlt */
	0xeb, 0xfd,		/* jmp hlt */
};

static volatile uint64_t ap_ready;

GUEST_CODE static void guest_bsp(uint64_t a, uint64_t b)
{
	apic_write(APIC_SVR, 0x1ff);
	apic_write(APIC_ICR2, 1u << 24);
	apic_write(APIC_ICR, 0xc500);			/* INIT, level assert */
	apic_write(APIC_ICR2, 1u << 24);
	apic_write(APIC_ICR, 0x8500);			/* INIT de-assert */
	apic_write(APIC_ICR2, 1u << 24);
	apic_write(APIC_ICR, 0x4608);			/* SIPI, vector 8 */
	GUEST_DONE();
}

GUEST_CODE static void guest_ipi_target(uint64_t a, uint64_t b)
{
	apic_write(APIC_SVR, 0x1ff);
	ap_ready = 1;
	wait_count(VEC_IPI, 1);
	GUEST_DONE();
}

GUEST_CODE static void guest_ipi_sender(uint64_t a, uint64_t b)
{
	apic_write(APIC_SVR, 0x1ff);
	while (!ap_ready)
		__asm__ volatile("pause");
	apic_write(APIC_ICR2, 1u << 24);
	apic_write(APIC_ICR, VEC_IPI);			/* fixed, physical, APIC 1 */
	GUEST_DONE();
}

struct ap_run {
	struct gvcpu *v;
	int result;
};

static void *ap_init_sipi(void *p)
{
	struct ap_run *ap = p;

	ap->result = gvcpu_run_expect(ap->v, KVM_EXIT_IO) ||
		     ap->v->run->io.port != 0x80 ||
		     *(uint8_t *)gvcpu_io_data(ap->v) != 0x5a;
	return NULL;
}

static void *ap_done(void *p)
{
	struct ap_run *ap = p;

	ap->result = gvcpu_run_done(ap->v);
	return NULL;
}

/*
 * INIT and SIPI start an AP in real mode, its TSC still in step with the
 * BSP's; an IPI wakes a halted vCPU.
 */
static int t_smp(void)
{
	struct gvm *vm = irq_vm(true);
	struct ap_run ap = { 0 };
	uint64_t tsc_bsp, tsc_ap;
	struct gvcpu *bsp;
	pthread_t th;

	CHECK(vm, "VM");
	memcpy(gvm_hva(vm, 0x8000), ap_code, sizeof(ap_code));
	bsp = gvcpu_create_long(vm, 0, guest_bsp, 0, 0);
	ap.v = gvcpu_create(vm, 1);
	CHECK(bsp && ap.v, "vCPUs");
	CHECK(!pthread_create(&th, NULL, ap_init_sipi, &ap), "thread");
	CHECK(!gvcpu_run_done(bsp), "BSP DONE");
	pthread_join(th, NULL);
	CHECK(!ap.result, "AP did not start at the SIPI vector");
	/* INIT leaves the TSC alone: the AP still ticks with the BSP */
	CHECK(gvcpu_get_msr(bsp, 0x10, &tsc_bsp) == 1 && gvcpu_get_msr(ap.v, 0x10, &tsc_ap) == 1,
	      "KVM_GET_MSRS(TSC)");
	CHECK(tsc_ap - tsc_bsp + (1ull << 32) < (1ull << 33),
	      "after INIT-SIPI the AP's TSC %llu, the BSP's %llu",
	      (unsigned long long)tsc_ap, (unsigned long long)tsc_bsp);
	gvcpu_destroy(bsp);
	gvcpu_destroy(ap.v);
	gvm_destroy(vm);

	vm = irq_vm(true);
	CHECK(vm, "VM");
	bsp = gvcpu_create_long(vm, 0, guest_ipi_sender, 0, 0);
	ap.v = gvcpu_create_long(vm, 1, guest_ipi_target, 0, 0);
	CHECK(bsp && ap.v, "vCPUs");
	CHECK(!pthread_create(&th, NULL, ap_done, &ap), "thread");
	CHECK(!gvcpu_run_done(bsp), "sender DONE");
	pthread_join(th, NULL);
	CHECK(!ap.result, "target did not wake");
	gvcpu_destroy(bsp);
	gvcpu_destroy(ap.v);
	gvm_destroy(vm);
	return KSFT_PASS;
}

/*
 * Real-mode code at 0x9000 (SIPI vector 9) for 63 APs: count in, then
 * say so with OUT 0x80 (AL = 0x5b). The counter at 0x8ff0.
 */
static const uint8_t ap_count_code[] = {
	0xf0, 0xff, 0x06, 0xf0, 0x8f,	/* lock incw 0x8ff0 */
	0xb0, 0x5b,			/* mov $0x5b, %al */
	0xe6, 0x80,			/* out %al, $0x80 */
	0xf4,				/* hlt */
	0xeb, 0xfd,			/* jmp hlt */
};

#define MANY_VCPUS	64

GUEST_CODE static void guest_bsp_broadcast(uint64_t a, uint64_t b)
{
	volatile uint16_t *in = (volatile uint16_t *)0x8ff0;

	apic_write(APIC_SVR, 0x1ff);
	/* INIT, SIPI, SIPI to all excluding self, as Linux's old boot path */
	apic_write(APIC_ICR, 0xc4500);
	apic_write(APIC_ICR, 0xc4609);
	apic_write(APIC_ICR, 0xc4609);	/* lost: they left wait-for-SIPI */
	while (*in < a)
		__asm__ volatile("pause");
	GUEST_SYNC(1, *in);
	GUEST_DONE();
}

static void *ap_counted(void *p)
{
	struct ap_run *ap = p;

	ap->result = gvcpu_run_expect(ap->v, KVM_EXIT_IO) ||
		     ap->v->run->io.port != 0x80 ||
		     *(uint8_t *)gvcpu_io_data(ap->v) != 0x5b;
	return NULL;
}

/* 64 vCPUs: a broadcast INIT and SIPI start 63 APs, each exactly once. */
static int t_smp64(void)
{
	static struct ap_run aps[MANY_VCPUS];
	static pthread_t th[MANY_VCPUS];
	struct gvm *vm = irq_vm(true);
	struct gvcpu *bsp;
	uint64_t val;
	int i, bad = 0;

	CHECK(vm, "VM");
	CHECK(khv_cap(vm->fd, KVM_CAP_MAX_VCPUS) >= MANY_VCPUS, "KVM_CAP_MAX_VCPUS %ld",
	      khv_cap(vm->fd, KVM_CAP_MAX_VCPUS));
	memcpy(gvm_hva(vm, 0x9000), ap_count_code, sizeof(ap_count_code));
	*(uint16_t *)gvm_hva(vm, 0x8ff0) = 0;
	bsp = gvcpu_create_long(vm, 0, guest_bsp_broadcast, MANY_VCPUS - 1, 0);
	CHECK(bsp, "BSP");
	for (i = 1; i < MANY_VCPUS; i++) {
		aps[i].v = gvcpu_create(vm, i);
		CHECK(aps[i].v, "vCPU %d", i);
	}
	for (i = 1; i < MANY_VCPUS; i++)
		CHECK(!pthread_create(&th[i], NULL, ap_counted, &aps[i]), "thread %d", i);
	CHECK(!gvcpu_run_sync(bsp, 1, &val) && val == MANY_VCPUS - 1, "APs counted: %llu",
	      (unsigned long long)val);
	CHECK(!gvcpu_run_done(bsp), "BSP DONE");
	for (i = 1; i < MANY_VCPUS; i++) {
		pthread_join(th[i], NULL);
		bad += aps[i].result != 0;
	}
	CHECK(!bad, "%d APs did not start at the SIPI vector", bad);
	CHECK(*(uint16_t *)gvm_hva(vm, 0x8ff0) == MANY_VCPUS - 1, "counter %u",
	      *(uint16_t *)gvm_hva(vm, 0x8ff0));
	for (i = 1; i < MANY_VCPUS; i++)
		gvcpu_destroy(aps[i].v);
	gvcpu_destroy(bsp);
	gvm_destroy(vm);
	return KSFT_PASS;
}

/* ---- KVM_CAP_X2APIC_API ---- */

#define X2_ID		300	/* an x2APIC ID that 8 bits cannot name */
#define MSR_APIC_BASE	0x1b

static int x2_irr(struct gvcpu *v, int vec)
{
	struct kvm_lapic_state ls;

	if (khv_ioctl(v->fd, KVM_GET_LAPIC, (unsigned long)&ls))
		return -1;
	return !!(*(uint32_t *)&ls.regs[0x200 + (vec / 32) * 0x10] & (1u << (vec % 32)));
}

static long x2_msi(struct gvm *vm, uint32_t dest_lo, uint32_t hi, uint32_t vec)
{
	struct kvm_msi msi = { .address_lo = APIC_BASE | dest_lo << 12,
			       .address_hi = hi, .data = vec };

	return khv_ioctl(vm->fd, KVM_SIGNAL_MSI, (unsigned long)&msi);
}

static long x2_enable(struct gvm *vm, uint64_t flags)
{
	struct kvm_enable_cap cap = { .cap = KVM_CAP_X2APIC_API, .args = { flags } };

	return khv_ioctl(vm->fd, KVM_ENABLE_CAP, (unsigned long)&cap);
}

/*
 * A VM with vCPU 0 (xAPIC, software-disabled: it takes no fixed
 * interrupt) and vCPU X2_ID in x2APIC mode, software-enabled; the API's
 * @flags enabled before the vCPUs exist, @late_flags after.
 */
static struct gvm *x2_vm(uint64_t flags, uint64_t late_flags, struct gvcpu **v0,
			 struct gvcpu **vx)
{
	struct gvm *vm = irq_vm(true);
	struct kvm_lapic_state ls;

	*v0 = *vx = NULL;
	if (!vm || (flags && x2_enable(vm, flags)))
		goto fail;
	*v0 = gvcpu_create(vm, 0);
	*vx = gvcpu_create(vm, X2_ID);
	if (!*v0 || !*vx)
		goto fail;
	/*
	 * Software-enabled in xAPIC mode, then EN | EXTD: x2APIC mode, which
	 * user space may enter directly; its ID and LDR come from the vCPU
	 * id. (KVM_SET_LAPIC in x2APIC mode without 32-bit IDs would set
	 * them from the ID's low byte on KVM.)
	 */
	if (khv_ioctl((*vx)->fd, KVM_GET_LAPIC, (unsigned long)&ls))
		goto fail;
	*(uint32_t *)&ls.regs[0xf0] = 0x1ff;	/* SVR: software-enabled */
	if (khv_ioctl((*vx)->fd, KVM_SET_LAPIC, (unsigned long)&ls) ||
	    gvcpu_set_msr(*vx, MSR_APIC_BASE, APIC_BASE | 0xc00) != 1 ||
	    (late_flags && x2_enable(vm, late_flags)))
		goto fail;
	return vm;
fail:
	ksft_diag("x2APIC VM (flags %#llx, then %#llx) could not be set up",
		  (unsigned long long)flags, (unsigned long long)late_flags);
	if (*vx)
		gvcpu_destroy(*vx);
	if (*v0)
		gvcpu_destroy(*v0);
	if (vm)
		gvm_destroy(vm);
	return NULL;
}

static void x2_put(struct gvm *vm, struct gvcpu *v0, struct gvcpu *vx)
{
	gvcpu_destroy(vx);
	gvcpu_destroy(v0);
	gvm_destroy(vm);
}

/*
 * KVM_CAP_X2APIC_API: without it an x2APIC ID reads as ID << 24 in
 * KVM_GET_LAPIC and MSIs name 8-bit destinations; with
 * KVM_X2APIC_API_USE_32BIT_IDS the ID is whole (KVM_SET_LAPIC refuses
 * another) and address_hi[31:8] carries destination bits 31:8 (its low
 * byte must be 0: KVM_SIGNAL_MSI and routes refuse it). An MSI to 0xff
 * reaches an x2APIC-mode APIC (KVM's broadcast quirk) unless
 * KVM_X2APIC_API_DISABLE_BROADCAST_QUIRK, also when enabled late.
 */
static int t_x2apic_api(void)
{
	struct kvm_lapic_state ls;
	struct gvcpu *v0, *vx;
	struct gvm *vm;
	long r;

	r = khv_cap(sys_fd, KVM_CAP_X2APIC_API);
	SKIP_IF(r <= 0, "no KVM_CAP_X2APIC_API");
	CHECK(r == (KVM_X2APIC_API_USE_32BIT_IDS | KVM_X2APIC_API_DISABLE_BROADCAST_QUIRK),
	      "KVM_CAP_X2APIC_API %ld", r);

	/* without the API */
	vm = x2_vm(0, 0, &v0, &vx);
	CHECK(vm, "VM");
	CHECK(x2_enable(vm, 4) == -EINVAL, "unknown flag 4 taken");
	CHECK(!khv_ioctl(vx->fd, KVM_GET_LAPIC, (unsigned long)&ls) &&
	      *(uint32_t *)&ls.regs[0x20] == (uint32_t)X2_ID << 24,
	      "x2APIC ID in KVM_GET_LAPIC %#x, not ID << 24", *(uint32_t *)&ls.regs[0x20]);
	x2_msi(vm, X2_ID & 0xff, X2_ID & ~0xff, 0x51);
	CHECK(x2_irr(vx, 0x51) == 0, "address_hi named a destination without the API");
	x2_msi(vm, 0xff, 0, 0x52);
	CHECK(x2_irr(vx, 0x52) == 1, "MSI to 0xff missed the x2APIC CPU (broadcast quirk)");
	x2_put(vm, v0, vx);

	/* 32-bit IDs, broadcast quirk on */
	vm = x2_vm(KVM_X2APIC_API_USE_32BIT_IDS, 0, &v0, &vx);
	CHECK(vm, "VM");
	CHECK(!khv_ioctl(vx->fd, KVM_GET_LAPIC, (unsigned long)&ls) &&
	      *(uint32_t *)&ls.regs[0x20] == X2_ID,
	      "x2APIC ID in KVM_GET_LAPIC %#x, not %u", *(uint32_t *)&ls.regs[0x20], X2_ID);
	*(uint32_t *)&ls.regs[0x20] = X2_ID + 1;
	CHECK(khv_ioctl(vx->fd, KVM_SET_LAPIC, (unsigned long)&ls) == -EINVAL,
	      "KVM_SET_LAPIC took x2APIC ID %u on vCPU %u", X2_ID + 1, X2_ID);
	CHECK(x2_msi(vm, X2_ID & 0xff, X2_ID & ~0xff, 0x51) == 1 && x2_irr(vx, 0x51) == 1,
	      "MSI to 32-bit destination %u not delivered", X2_ID);
	CHECK(x2_msi(vm, X2_ID & 0xff, X2_ID, 0x53) == -EINVAL,
	      "address_hi with a low byte taken");
	CHECK(gvm_set_msi_route(vm, 5, APIC_BASE, 0x53) == 0, "an MSI route");
	{
		struct {
			struct kvm_irq_routing r;
			struct kvm_irq_routing_entry e;
		} rt = { .r = { .nr = 1 }, .e = { .gsi = 5, .type = KVM_IRQ_ROUTING_MSI,
			 .u.msi = { .address_lo = APIC_BASE, .address_hi = 0x101,
				    .data = 0x53 } } };

		CHECK(khv_ioctl(vm->fd, KVM_SET_GSI_ROUTING, (unsigned long)&rt) == -EINVAL,
		      "an MSI route with address_hi's low byte taken");
	}
	/* bits 11:5 of address_lo (the guest's 15-bit "extended destination
	 * ID", which a VMM turns into address_hi) are no destination here */
	{
		struct kvm_msi msi = { .address_lo = APIC_BASE | (X2_ID & 0xff) << 12 |
						     (X2_ID >> 8) << 5, .data = 0x55 };

		khv_ioctl(vm->fd, KVM_SIGNAL_MSI, (unsigned long)&msi);
	}
	CHECK(x2_irr(vx, 0x55) == 0, "address_lo bits 11:5 taken as destination bits 14:8");
	x2_msi(vm, 0xff, 0, 0x52);
	CHECK(x2_irr(vx, 0x52) == 1, "MSI to 0xff missed the x2APIC CPU (broadcast quirk)");
	x2_put(vm, v0, vx);

	/* the quirk off, enabled once the vCPUs exist */
	vm = x2_vm(KVM_X2APIC_API_USE_32BIT_IDS, KVM_X2APIC_API_DISABLE_BROADCAST_QUIRK,
		   &v0, &vx);
	CHECK(vm, "VM");
	x2_msi(vm, 0xff, 0, 0x52);
	CHECK(x2_irr(vx, 0x52) == 0, "MSI to 0xff reached x2APIC ID %u, quirk off", X2_ID);
	CHECK(x2_msi(vm, 0xff, 0xffffff00, 0x54) >= 1 && x2_irr(vx, 0x54) == 1,
	      "MSI to 0xffffffff missed the x2APIC CPU");
	x2_put(vm, v0, vx);
	return KSFT_PASS;
}

static void on_alarm(int sig)
{
}

GUEST_CODE static void guest_hlt_forever(uint64_t a, uint64_t b)
{
	__asm__ volatile("cli; hlt");
	GUEST_DONE();
}

/*
 * KVM_RUN of a vCPU that halts for good: a signal a second later must end
 * it (KVM_EXIT_INTR) with the vCPU still HALTED.
 */
static int run_until_signal_halted(struct gvcpu *v)
{
	struct sigaction sa = { .sa_handler = on_alarm };
	struct kvm_mp_state mp;
	long r;

	sigaction(SIGALRM, &sa, NULL);
	alarm(1);
	r = khv_ioctl(v->fd, KVM_RUN, 0);
	alarm(0);
	CHECK(r == -EINTR && v->run->exit_reason == KVM_EXIT_INTR,
	      "the halt ended: KVM_RUN %ld, exit %u%s", r, v->run->exit_reason,
	      v->run->exit_reason == KVM_EXIT_IO ? " (the guest ran past its HLT)" : "");
	CHECK(!khv_ioctl(v->fd, KVM_GET_MP_STATE, (unsigned long)&mp) &&
	      mp.mp_state == KVM_MP_STATE_HALTED, "state %u", mp.mp_state);
	return KSFT_PASS;
}

/* HLT with IF=0 sleeps in the kernel; a signal ends KVM_RUN, HALTED stays. */
static int t_hlt_signal(void)
{
	struct gvm *vm = irq_vm(true);
	struct gvcpu *v;

	CHECK(vm, "VM");
	v = gvcpu_create_long(vm, 0, guest_hlt_forever, 0, 0);
	CHECK(v, "vCPU");
	CHECK(run_until_signal_halted(v) == KSFT_PASS, "HLT with IF=0");
	gvcpu_destroy(v);
	gvm_destroy(vm);
	return KSFT_PASS;
}

/*
 * An NMI handler that halts, interrupts off, and never returns: how
 * Linux stops its other CPUs when the reboot IPI was not enough.
 */
GUEST_CODE static void on_nmi_halt(struct guest_frame *f)
{
	uint64_t wakes = 0;

	(void)f;
	GUEST_SYNC(1, 0);
	for (;;) {
		__asm__ volatile("cli; hlt" : : : "memory");
		GUEST_SYNC(2, ++wakes);
	}
}

/*
 * HLT inside an NMI handler: a second NMI, blocked until the handler's
 * IRET, does not end the halt (nor does it on a CPU); the vCPU sleeps
 * in the kernel until a signal, HALTED.
 */
static int t_hlt_nmi_blocked(void)
{
	struct gvm *vm = irq_vm(true);
	struct gvcpu *v;
	uint64_t val;

	CHECK(vm, "VM");
	CHECK(!gvm_set_handler(vm, 2, on_nmi_halt), "NMI handler");
	v = gvcpu_create_long(vm, 0, guest_hlt_forever, 0, 0);
	CHECK(v, "vCPU");
	CHECK(!khv_ioctl(v->fd, KVM_NMI, 0), "KVM_NMI");
	CHECK(!gvcpu_run_sync(v, 1, &val), "the NMI handler did not run");
	CHECK(!khv_ioctl(v->fd, KVM_NMI, 0), "KVM_NMI, the handler running");
	CHECK(run_until_signal_halted(v) == KSFT_PASS, "the blocked NMI ended the halt");
	gvcpu_destroy(v);
	gvm_destroy(vm);
	return KSFT_PASS;
}

#define MSR_TSC_DEADLINE	0x6e0

GUEST_CODE static void guest_deadline(uint64_t delta, uint64_t b)
{
	apic_write(APIC_SVR, 0x1ff);
	apic_write(APIC_LVTT, VEC_TIMER | (2u << 17));	/* TSC-deadline */
	gmsr_write(MSR_TSC_DEADLINE, guest_rdtsc() + delta);
	GUEST_SYNC(1, count[VEC_TIMER]);	/* the VMM saves and restores */
	wait_count(VEC_TIMER, 1);
	GUEST_SYNC(2, count[VEC_TIMER]);
	GUEST_DONE();
}

/*
 * Never early: deadlines from 5 to 100 us ahead, waited for in HLT and
 * in a running loop by turns; the handler reads the TSC, the loop then the
 * deadline MSR. A hypervisor that wakes early for a deadline (KVM's and
 * khv's timer advance) must still deliver at or after it, the MSR cleared.
 */
#define VEC_DEADLINE	0x4e
#define NEVER_EARLY_N	400

static volatile uint64_t dl_deadline, dl_fired, dl_early, dl_msr_set;
static volatile int64_t dl_worst;	/* least TSC - deadline seen in the handler */

GUEST_CODE static void on_deadline(struct guest_frame *f)
{
	int64_t late = (int64_t)(guest_rdtsc() - dl_deadline);

	(void)f;
	if (late < 0)
		dl_early++;
	if (late < dl_worst)
		dl_worst = late;
	dl_fired++;
	apic_write(APIC_EOI, 0);
}

GUEST_CODE static void guest_never_early(uint64_t tsc_per_us, uint64_t n)
{
	uint64_t i;

	apic_write(APIC_SVR, 0x1ff);
	apic_write(APIC_LVTT, VEC_DEADLINE | (2u << 17));	/* TSC-deadline */
	dl_worst = INT64_MAX;
	for (i = 0; i < n; i++) {
		/* 5..100 us in 0.5 us steps, scattered */
		uint64_t delta = (10 + i * 7919 % 191) * tsc_per_us / 2;

		__asm__ volatile("cli");
		dl_deadline = guest_rdtsc() + delta;
		gmsr_write(MSR_TSC_DEADLINE, dl_deadline);
		if (i & 1) {
			while (dl_fired <= i)
				guest_wait_irq();
		} else {
			__asm__ volatile("sti");
			while (dl_fired <= i)
				__asm__ volatile("pause");
			__asm__ volatile("cli");
		}
		/* fired and not armed again: the deadline MSR reads 0 */
		if (gmsr_read(MSR_TSC_DEADLINE))
			dl_msr_set++;
	}
	GUEST_SYNC(1, dl_fired);
	GUEST_SYNC(2, dl_early);
	GUEST_SYNC(3, dl_msr_set);
	GUEST_SYNC(4, (uint64_t)dl_worst);
	GUEST_DONE();
}

/* SIGALRM: the guest takes too long; KVM_RUN returns instead of going on */
static struct gvcpu *dl_vcpu;

/*
 * The watcher: more timer interrupts than deadlines written is a storm
 * (stock kvm_amd of 6.1 and 6.12 had them, Documentation/status.md): the
 * vCPU is stopped at once rather than after the 60 s alarm. A halt the
 * test machine's lost STI shadow would leave waiting is resumed by the
 * guest library (guest_wait_irq()), so nothing here wakes the guest.
 */
static volatile int dl_watching;

static pthread_t dl_main;

static void *dl_watcher(void *p)
{
	struct gvm *vm = p;

	while (dl_watching) {
		usleep(50000);
		if (*GVM_VAR(vm, dl_fired) > NEVER_EARLY_N) {
			pthread_kill(dl_main, SIGALRM);
			break;
		}
	}
	return NULL;
}

static void dl_timeout(int sig)
{
	(void)sig;
	dl_vcpu->run->immediate_exit = 1;
}

static int t_deadline_never_early(void)
{
	struct sigaction sa = { .sa_handler = dl_timeout };
	uint64_t fired = 0, early = 0, msr_set = 0, worst = 0;
	struct kvm_cpuid_entry2 *e;
	struct kvm_regs regs;
	pthread_t watcher;
	struct gvm *vm;
	struct gvcpu *v;
	long khz;
	int r;

	if (khv_cap(sys_fd, KVM_CAP_TSC_DEADLINE_TIMER) <= 0)
		return KSFT_SKIP;
	vm = irq_vm(true);
	CHECK(vm, "VM");
	gvm_set_handler(vm, VEC_DEADLINE, on_deadline);
	e = cpuid_entry(vm->cpuid, 1, 0);
	CHECK(e, "CPUID leaf 1");
	e->ecx |= 1u << 24;
	v = gvcpu_create_long(vm, 0, guest_never_early, 1, NEVER_EARLY_N);
	CHECK(v, "vCPU");
	khz = khv_ioctl(v->fd, KVM_GET_TSC_KHZ, 0);
	CHECK(khz >= 1000, "KVM_GET_TSC_KHZ %ld", khz);
	CHECK(!gvcpu_get_regs(v, &regs), "regs");
	regs.rdi = (uint64_t)khz / 1000;	/* TSC ticks per us */
	CHECK(!gvcpu_set_regs(v, &regs), "regs");
	dl_vcpu = v;
	dl_main = pthread_self();
	dl_watching = 1;
	sigaction(SIGALRM, &sa, NULL);
	CHECK(!pthread_create(&watcher, NULL, dl_watcher, vm), "thread");
	alarm(60);
	r = gvcpu_run_sync(v, 1, &fired) || gvcpu_run_sync(v, 2, &early) ||
	    gvcpu_run_sync(v, 3, &msr_set) || gvcpu_run_sync(v, 4, &worst);
	alarm(0);
	dl_watching = 0;
	pthread_join(watcher, NULL);
	if (r) {
		uint64_t tsc = 0, msr = 0;
		struct kvm_lapic_state ls = { 0 };
		uint32_t bit = 1u << (VEC_DEADLINE % 32), off = VEC_DEADLINE / 32 * 16;

		gvcpu_get_msr(v, 0x10, &tsc);
		gvcpu_get_msr(v, MSR_TSC_DEADLINE, &msr);
		khv_ioctl(v->fd, KVM_GET_LAPIC, (unsigned long)&ls);
		if (gvcpu_get_regs(v, &regs))
			memset(&regs, 0, sizeof(regs));
		ksft_diag("stopped: %llu deadlines fired; the last 0x%llx, the MSR 0x%llx, "
			  "the TSC 0x%llx; exit %u, rip 0x%llx, rflags 0x%llx; vector 0x%x "
			  "in IRR %d, in ISR %d; LVTT 0x%x",
			  (unsigned long long)*GVM_VAR(vm, dl_fired),
			  (unsigned long long)*GVM_VAR(vm, dl_deadline),
			  (unsigned long long)msr, (unsigned long long)tsc,
			  v->run->exit_reason, (unsigned long long)regs.rip,
			  (unsigned long long)regs.rflags, VEC_DEADLINE,
			  !!(*(uint32_t *)&ls.regs[APIC_IRR + off] & bit),
			  !!(*(uint32_t *)&ls.regs[APIC_ISR + off] & bit),
			  *(uint32_t *)&ls.regs[APIC_LVTT]);
	}
	CHECK(!r, "the guest did not finish its %d deadlines%s", NEVER_EARLY_N,
	      *GVM_VAR(vm, dl_fired) > NEVER_EARLY_N ?
	      ": more timer interrupts than deadlines written" : " in 60 s");
	ksft_diag("%llu deadlines, earliest handler %lld TSC ticks after its deadline",
		  (unsigned long long)fired, (long long)worst);
	CHECK(fired == NEVER_EARLY_N, "%llu interrupts for %d deadlines",
	      (unsigned long long)fired, NEVER_EARLY_N);
	CHECK(!early, "%llu interrupts before their deadline (earliest %lld TSC ticks)",
	      (unsigned long long)early, (long long)worst);
	CHECK(!msr_set, "%llu times the deadline MSR read non-zero after its interrupt",
	      (unsigned long long)msr_set);
	CHECK(!gvcpu_run_done(v), "DONE");
	gvcpu_destroy(v);
	gvm_destroy(vm);
	return KSFT_PASS;
}

#define MAX_LISTED	512

/*
 * A TSC-deadline timer still armed when a VMM saves the vCPU fires after
 * the VMM restores it as QEMU does on the next host: KVM_SET_LAPIC, then
 * every MSR of KVM_GET_MSR_INDEX_LIST with the value it read, the
 * deadline (0x6e0) last. In between the vCPU's timer is off, as on a new
 * host. (A deadline missing from the list left a moved guest's CPU
 * without ticks: libvirt's live migration on khv, 2026-12-05.)
 */
static int t_deadline_restore(void)
{
	struct { struct kvm_msr_list hdr; uint32_t idx[MAX_LISTED]; } l = {
		.hdr.nmsrs = MAX_LISTED };
	struct sigaction sa = { .sa_handler = on_alarm };
	static uint64_t vals[MAX_LISTED];
	struct kvm_lapic_state saved, off;
	struct kvm_cpuid_entry2 *e;
	struct kvm_regs regs;
	bool listed = false;
	struct gvm *vm;
	struct gvcpu *v;
	uint64_t val;
	uint32_t i;
	long khz, r;

	if (khv_cap(sys_fd, KVM_CAP_TSC_DEADLINE_TIMER) <= 0)
		return KSFT_SKIP;
	CHECK(!khv_ioctl(sys_fd, KVM_GET_MSR_INDEX_LIST, (unsigned long)&l), "index list");
	for (i = 0; i < l.hdr.nmsrs; i++)
		listed |= l.idx[i] == MSR_TSC_DEADLINE;
	CHECK(listed, "0x6e0 (TSC_DEADLINE) is not in KVM_GET_MSR_INDEX_LIST (%u MSRs)",
	      l.hdr.nmsrs);
	vm = irq_vm(true);
	CHECK(vm, "VM");
	e = cpuid_entry(vm->cpuid, 1, 0);
	CHECK(e, "CPUID leaf 1");
	e->ecx |= 1u << 24;			/* what QEMU adds with an irqchip */
	v = gvcpu_create_long(vm, 0, guest_deadline, 0, 0);
	CHECK(v, "vCPU");
	/* 0.3 s of the guest's TSC: the save and restore happen before it */
	khz = khv_ioctl(v->fd, KVM_GET_TSC_KHZ, 0);
	CHECK(khz > 0, "KVM_GET_TSC_KHZ %ld", khz);
	CHECK(!gvcpu_get_regs(v, &regs), "regs");
	regs.rdi = (uint64_t)khz * 300;
	CHECK(!gvcpu_set_regs(v, &regs), "regs");
	CHECK(!gvcpu_run_sync(v, 1, &val) && val == 0, "armed: %llu ticks already",
	      (unsigned long long)val);

	/* save */
	for (i = 0; i < l.hdr.nmsrs; i++)
		CHECK(gvcpu_get_msr(v, l.idx[i], &vals[i]) == 1, "KVM_GET_MSRS 0x%x",
		      l.idx[i]);
	CHECK(!khv_ioctl(v->fd, KVM_GET_LAPIC, (unsigned long)&saved), "KVM_GET_LAPIC");
	/* a new host's vCPU: the timer masked, one-shot, not counting */
	off = saved;
	*(uint32_t *)&off.regs[APIC_LVTT] = (1u << 16) | VEC_TIMER;
	*(uint32_t *)&off.regs[APIC_TMICT] = 0;
	CHECK(!khv_ioctl(v->fd, KVM_SET_LAPIC, (unsigned long)&off), "KVM_SET_LAPIC off");
	CHECK(gvcpu_get_msr(v, MSR_TSC_DEADLINE, &val) == 1 && !val,
	      "the deadline 0x%llx survives leaving TSC-deadline mode",
	      (unsigned long long)val);
	/* restore */
	CHECK(!khv_ioctl(v->fd, KVM_SET_LAPIC, (unsigned long)&saved), "KVM_SET_LAPIC");
	for (i = 0; i < l.hdr.nmsrs; i++)
		if (l.idx[i] != MSR_TSC_DEADLINE)
			CHECK(gvcpu_set_msr(v, l.idx[i], vals[i]) == 1,
			      "KVM_SET_MSRS 0x%x = 0x%llx (the value read)", l.idx[i],
			      (unsigned long long)vals[i]);
	for (i = 0; i < l.hdr.nmsrs; i++)
		if (l.idx[i] == MSR_TSC_DEADLINE)
			CHECK(gvcpu_set_msr(v, l.idx[i], vals[i]) == 1, "KVM_SET_MSRS 0x6e0");

	sigaction(SIGALRM, &sa, NULL);
	alarm(10);
	r = gvcpu_run_sync(v, 2, &val);
	alarm(0);
	CHECK(!r && val == 1, "after the restore: KVM_RUN %ld, %llu ticks (exit %u)", r,
	      (unsigned long long)val, v->run->exit_reason);
	CHECK(!gvcpu_run_done(v), "DONE");
	gvcpu_destroy(v);
	gvm_destroy(vm);
	return KSFT_PASS;
}

static const struct ksft_case cases[] = {
	{ "create", t_create },
	{ "state", t_state },
	{ "self_ipi", t_self_ipi },
	{ "cr8", t_cr8 },
	{ "pending_cli", t_pending_cli },
	{ "timer", t_timer },
	{ "ioapic", t_ioapic },
	{ "pic_pit", t_pic_pit },
	{ "pit_reinject", t_pit_reinject },
	{ "pit_reinject_unmask", t_pit_reinject_unmask },
	{ "pit_reinject_pv_eoi", t_pit_reinject_pv_eoi },
	{ "split", t_split },
	{ "smp", t_smp },
	{ "smp64", t_smp64 },
	{ "hlt_signal", t_hlt_signal },
	{ "hlt_nmi_blocked", t_hlt_nmi_blocked },
	{ "x2apic_api", t_x2apic_api },
	{ "deadline_restore", t_deadline_restore },
	{ "deadline_never_early", t_deadline_never_early },
};

int main(int argc, char **argv)
{
	khv_test_init(argc, argv);
	sys_fd = khv_open_dev();
	return KSFT_RUN(cases);
}
