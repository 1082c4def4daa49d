// SPDX-License-Identifier: GPL-2.0
/*
 * KVM_IRQFD and KVM_IOEVENTFD: an eventfd signalled from user space
 * interrupts the guest through an MSI route and through an IOAPIC pin, a
 * resampled irqfd keeps a level line up until the guest's EOI and then
 * signals its resample fd, a deassigned irqfd no longer interrupts; a
 * guest's port and MMIO writes signal ioeventfds (one length or any,
 * with and without a value to match) without an exit, and the writes no
 * ioeventfd matches still exit; a guest that does nothing but such writes
 * still takes its interrupts, loses and doubles no write, and KVM_RUN
 * still returns for a signal. Plus the argument checks KVM makes.
 */
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/time.h>
#include <unistd.h>

#include "guest.h"
#include "apic.h"

static int sys_fd;

#define VEC_MSI		0x50
#define VEC_LEVEL	0x51
#define GSI_MSI		40
#define GSI_LEVEL	10	/* IOAPIC pin 10 by KVM's default routes */

#define PIO_ANY		0xe0
#define PIO_MATCH	0xe4
#define PIO_STORM	0xe8
#define MMIO_ANY	0xd0000000ull
#define MMIO_MATCH	0xd0001000ull

static volatile uint64_t count[256];

GUEST_CODE static void on_irq(struct guest_frame *f)
{
	count[f->vector & 0xff]++;
	apic_write(APIC_EOI, 0);
}

/* Interrupts on for a while: whatever is pending comes in. */
GUEST_CODE static void window(void)
{
	int i;

	for (i = 0; i < 1000; i++)
		__asm__ volatile("sti; nop; cli");
}

/*
 * Halt until @n interrupts of @vec came (guest_wait_irq() is safe from the
 * test machine's lost STI shadow, which hung irqfd_resample once in 1079
 * runs before it: Documentation/testing.md).
 */
GUEST_CODE static void wait_count(int vec, uint64_t n)
{
	while (count[vec] < n)
		guest_wait_irq();
}

static struct gvm *irq_vm(void)
{
	struct gvm *vm = gvm_create(sys_fd, 0);

	if (!vm)
		return NULL;
	gvm_set_handler(vm, VEC_MSI, on_irq);
	gvm_set_handler(vm, VEC_LEVEL, on_irq);
	if (khv_ioctl(vm->fd, KVM_CREATE_IRQCHIP, 0)) {
		gvm_destroy(vm);
		return NULL;
	}
	return vm;
}

static int irqfd(struct gvm *vm, int fd, uint32_t gsi, uint32_t flags, int rfd)
{
	struct kvm_irqfd a = { .fd = fd, .gsi = gsi, .flags = flags,
			       .resamplefd = rfd };

	return (int)khv_ioctl(vm->fd, KVM_IRQFD, (unsigned long)&a);
}

static int ioeventfd(struct gvm *vm, int fd, uint64_t addr, uint32_t len,
		     uint32_t flags, uint64_t match)
{
	struct kvm_ioeventfd a = { .fd = fd, .addr = addr, .len = len,
				   .flags = flags, .datamatch = match };

	return (int)khv_ioctl(vm->fd, KVM_IOEVENTFD, (unsigned long)&a);
}

static void signal_fd(int fd)
{
	uint64_t one = 1;

	if (write(fd, &one, sizeof(one)) != sizeof(one))
		ksft_diag("eventfd write: %s", strerror(errno));
}

/* The eventfd's counter, read and cleared (0 when not signalled). */
static uint64_t drain(int fd)
{
	uint64_t v = 0;

	if (read(fd, &v, sizeof(v)) != sizeof(v))
		return 0;
	return v;
}

GUEST_CODE static void guest_irqfd(uint64_t a, uint64_t b)
{
	apic_write(APIC_SVR, 0x1ff);
	GUEST_SYNC(1, 0);
	wait_count(VEC_MSI, 1);		/* signalled before KVM_IRQFD */
	GUEST_SYNC(2, count[VEC_MSI]);
	wait_count(VEC_MSI, 2);		/* signalled while assigned */
	GUEST_SYNC(3, count[VEC_MSI]);
	window();			/* signalled after deassign */
	GUEST_SYNC(4, count[VEC_MSI]);
	GUEST_DONE();
}

/* An irqfd on an MSI route: pending at assignment, live, deassigned. */
static int t_irqfd(void)
{
	struct gvm *vm = gvm_create(sys_fd, 0);
	int efd = eventfd(0, EFD_NONBLOCK), efd2 = eventfd(0, EFD_NONBLOCK);
	struct gvcpu *v;
	uint64_t val;

	CHECK(vm && efd >= 0 && efd2 >= 0, "VM, eventfds");
	SKIP_IF(!khv_cap(vm->fd, KVM_CAP_IRQFD), "no KVM_CAP_IRQFD");
	CHECK(irqfd(vm, efd, GSI_MSI, 0, 0) == -EINVAL, "irqfd without an irqchip");
	gvm_destroy(vm);

	vm = irq_vm();
	CHECK(vm, "VM with irqchip");
	CHECK(!gvm_set_msi_route(vm, GSI_MSI, APIC_BASE, VEC_MSI), "MSI route");
	v = gvcpu_create_long(vm, 0, guest_irqfd, 0, 0);
	CHECK(v, "vCPU");
	CHECK(!gvcpu_run_sync(v, 1, NULL), "APIC on");
	CHECK(irqfd(vm, efd, GSI_MSI, 4, 0) == -EINVAL, "unknown flag");
	CHECK(irqfd(vm, sys_fd, GSI_MSI, 0, 0) == -EINVAL, "not an eventfd");
	CHECK(irqfd(vm, -1, GSI_MSI, 0, 0) == -EBADF, "bad fd");
	signal_fd(efd);
	CHECK(!irqfd(vm, efd, GSI_MSI, 0, 0), "assign");
	CHECK(irqfd(vm, efd, GSI_MSI + 1, 0, 0) == -EBUSY, "one eventfd twice");
	CHECK(!gvcpu_run_sync(v, 2, &val) && val == 1, "pending signal: %llu",
	      (unsigned long long)val);
	/* KVM injects a count found at assignment without reading it */
	CHECK(drain(efd) == 1, "the count pending at assignment stays");
	signal_fd(efd);
	CHECK(!gvcpu_run_sync(v, 3, &val) && val == 2, "live signal: %llu",
	      (unsigned long long)val);
	CHECK(!irqfd(vm, efd, GSI_MSI, KVM_IRQFD_FLAG_DEASSIGN, 0), "deassign");
	CHECK(!irqfd(vm, efd2, GSI_MSI, KVM_IRQFD_FLAG_DEASSIGN, 0),
	      "deassigning what is not assigned");
	signal_fd(efd);
	CHECK(!gvcpu_run_sync(v, 4, &val) && val == 2, "after deassign: %llu",
	      (unsigned long long)val);
	CHECK(drain(efd) == 1, "the count stays in the eventfd");
	CHECK(!gvcpu_run_done(v), "DONE");
	/* assigned again, then the eventfd closes under it */
	CHECK(!irqfd(vm, efd, GSI_MSI, 0, 0), "assign again");
	close(efd);
	CHECK(!irqfd(vm, efd2, GSI_MSI, 0, 0), "another eventfd on the GSI");
	gvcpu_destroy(v);
	gvm_destroy(vm);	/* with efd2 still assigned */
	close(efd2);
	return KSFT_PASS;
}

/* 0 once the IOAPIC's input @pin is up, polling for up to @ms. */
static int line_up_within(struct gvm *vm, int pin, int ms)
{
	struct kvm_irqchip chip = { .chip_id = KVM_IRQCHIP_IOAPIC };

	for (; ms >= 0; ms--) {
		if (khv_ioctl(vm->fd, KVM_GET_IRQCHIP, (unsigned long)&chip))
			return -1;
		if (chip.chip.ioapic.irr & (1u << pin))
			return 0;
		usleep(1000);
	}
	return -1;
}

GUEST_CODE static void guest_resample(uint64_t a, uint64_t b)
{
	apic_write(APIC_SVR, 0x1ff);
	pic_off();
	ioapic_write(IOAPIC_RTE(GSI_LEVEL), VEC_LEVEL | IOAPIC_LEVEL);
	ioapic_write(IOAPIC_RTE(GSI_LEVEL) + 1, 0);
	GUEST_SYNC(1, 0);
	wait_count(VEC_LEVEL, 1);
	window();			/* a line left up would re-send at EOI */
	GUEST_SYNC(2, count[VEC_LEVEL]);
	wait_count(VEC_LEVEL, 2);
	GUEST_SYNC(3, count[VEC_LEVEL]);
	GUEST_DONE();
}

/* A resampled irqfd on a level IOAPIC pin: up until the EOI, then told. */
static int t_resample(void)
{
	struct kvm_enable_cap cap = { .cap = KVM_CAP_SPLIT_IRQCHIP, .args = { 24 } };
	int efd = eventfd(0, EFD_NONBLOCK), rfd = eventfd(0, EFD_NONBLOCK);
	struct kvm_irqchip chip = { .chip_id = KVM_IRQCHIP_IOAPIC };
	struct gvm *vm = gvm_create(sys_fd, 0);
	struct gvcpu *v;
	uint64_t val;

	CHECK(vm && efd >= 0 && rfd >= 0, "VM, eventfds");
	SKIP_IF(!khv_cap(vm->fd, KVM_CAP_IRQFD_RESAMPLE), "no KVM_CAP_IRQFD_RESAMPLE");
	CHECK(!khv_ioctl(vm->fd, KVM_ENABLE_CAP, (unsigned long)&cap), "split");
	CHECK(irqfd(vm, efd, GSI_LEVEL, KVM_IRQFD_FLAG_RESAMPLE, rfd) == -EINVAL,
	      "resample needs the in-kernel IOAPIC");
	gvm_destroy(vm);

	vm = irq_vm();
	CHECK(vm, "VM with irqchip");
	v = gvcpu_create_long(vm, 0, guest_resample, 0, 0);
	CHECK(v, "vCPU");
	CHECK(!gvcpu_run_sync(v, 1, NULL), "IOAPIC set up");
	CHECK(!irqfd(vm, efd, GSI_LEVEL, KVM_IRQFD_FLAG_RESAMPLE, rfd), "assign");
	signal_fd(efd);
	/* KVM injects from a worker: the line rises soon, not at once */
	CHECK(!line_up_within(vm, GSI_LEVEL, 2000), "line up until the EOI");
	CHECK(!gvcpu_run_sync(v, 2, &val) && val == 1, "one interrupt: %llu",
	      (unsigned long long)val);
	CHECK(drain(rfd) == 1, "resample fd signalled at the EOI");
	CHECK(!khv_ioctl(vm->fd, KVM_GET_IRQCHIP, (unsigned long)&chip), "get");
	CHECK(!(chip.chip.ioapic.irr & (1u << GSI_LEVEL)) &&
	      !chip.chip.ioapic.redirtbl[GSI_LEVEL].fields.remote_irr,
	      "line down, remote IRR clear: irr %#x", chip.chip.ioapic.irr);
	signal_fd(efd);
	CHECK(!gvcpu_run_sync(v, 3, &val) && val == 2, "again: %llu",
	      (unsigned long long)val);
	CHECK(drain(rfd) == 1, "resample fd signalled again");
	CHECK(!gvcpu_run_done(v), "DONE");
	CHECK(!irqfd(vm, efd, GSI_LEVEL, KVM_IRQFD_FLAG_DEASSIGN, 0), "deassign");
	gvcpu_destroy(v);
	gvm_destroy(vm);
	close(efd);
	close(rfd);
	return KSFT_PASS;
}

GUEST_CODE static void guest_ioeventfd(uint64_t a, uint64_t b)
{
	outb(PIO_ANY, 1);				/* signals */
	outl(PIO_MATCH, 0x1234);			/* signals */
	outl(PIO_MATCH, 0x5678);			/* exits */
	*(volatile uint8_t *)MMIO_ANY = 1;		/* signals */
	*(volatile uint32_t *)MMIO_ANY = 2;		/* signals */
	*(volatile uint64_t *)MMIO_ANY = 3;		/* signals */
	*(volatile uint16_t *)MMIO_MATCH = 0xbeef;	/* signals */
	*(volatile uint16_t *)MMIO_MATCH = 0xdead;	/* exits */
	*(volatile uint32_t *)MMIO_MATCH = 0xbeef;	/* exits: other length */
	GUEST_DONE();
}

/* Guest writes signal without exits; the writes nothing matches exit. */
static int t_ioeventfd(void)
{
	struct gvm *vm = gvm_create(sys_fd, 0);
	int pany = eventfd(0, EFD_NONBLOCK), pmatch = eventfd(0, EFD_NONBLOCK);
	int many = eventfd(0, EFD_NONBLOCK), mmatch = eventfd(0, EFD_NONBLOCK);
	struct gvcpu *v;

	CHECK(vm && pany >= 0 && pmatch >= 0 && many >= 0 && mmatch >= 0, "VM, eventfds");
	SKIP_IF(!khv_cap(vm->fd, KVM_CAP_IOEVENTFD), "no KVM_CAP_IOEVENTFD");
	/* no irqchip needed */
	CHECK(!ioeventfd(vm, pany, PIO_ANY, 1, KVM_IOEVENTFD_FLAG_PIO, 0), "PIO");
	CHECK(!ioeventfd(vm, pmatch, PIO_MATCH, 4,
			 KVM_IOEVENTFD_FLAG_PIO | KVM_IOEVENTFD_FLAG_DATAMATCH, 0x1234),
	      "PIO datamatch");
	CHECK(!ioeventfd(vm, many, MMIO_ANY, 0, 0, 0), "MMIO any length");
	CHECK(!ioeventfd(vm, mmatch, MMIO_MATCH, 2, KVM_IOEVENTFD_FLAG_DATAMATCH, 0xbeef),
	      "MMIO datamatch");
	v = gvcpu_create_long(vm, 0, guest_ioeventfd, 0, 0);
	CHECK(v, "vCPU");
	CHECK(!gvcpu_run_expect(v, KVM_EXIT_IO) && v->run->io.port == PIO_MATCH &&
	      *(uint32_t *)gvcpu_io_data(v) == 0x5678, "unmatched PIO exits");
	CHECK(drain(pany) == 1 && drain(pmatch) == 1, "PIO signals");
	CHECK(!gvcpu_run_expect(v, KVM_EXIT_MMIO) && v->run->mmio.phys_addr == MMIO_MATCH &&
	      v->run->mmio.len == 2, "unmatched MMIO value exits");
	CHECK(drain(many) == 3 && drain(mmatch) == 1, "MMIO signals");
	CHECK(!gvcpu_run_expect(v, KVM_EXIT_MMIO) && v->run->mmio.len == 4,
	      "MMIO of another length exits");
	CHECK(!gvcpu_run_done(v), "DONE");
	CHECK(!drain(pany) && !drain(pmatch) && !drain(many) && !drain(mmatch),
	      "nothing else signalled");
	gvcpu_destroy(v);
	gvm_destroy(vm);	/* with all four assigned */
	close(pany);
	close(pmatch);
	close(many);
	close(mmatch);
	return KSFT_PASS;
}

#define STORM_IRQS	20

static volatile uint64_t storm_writes;

/*
 * Nothing but port writes an ioeventfd takes, interrupts on, until enough
 * interrupts came in; then the writes go on for good.
 */
GUEST_CODE static void guest_storm(uint64_t a, uint64_t b)
{
	apic_write(APIC_SVR, 0x1ff);
	__asm__ volatile("sti");
	while (count[VEC_MSI] < STORM_IRQS) {
		__asm__ volatile("outb %%al, %0" : : "i"(PIO_STORM), "a"(0));
		storm_writes++;
	}
	__asm__ volatile("cli");
	GUEST_SYNC(1, storm_writes);
	for (;;)
		__asm__ volatile("outb %%al, %0" : : "i"(PIO_STORM), "a"(0));
}

struct storm {
	int irq_fd;
	volatile bool stop;
};

/* An irqfd signalled every millisecond until told to stop. */
static void *storm_irqs(void *arg)
{
	struct storm *s = arg;

	while (!s->stop) {
		signal_fd(s->irq_fd);
		usleep(1000);
	}
	return NULL;
}

static void on_alarm(int sig)
{
}

/*
 * Writes that exit only as far as the kernel (KVM and khv handle them
 * without returning from KVM_RUN, khv without its run loop's round) must
 * not keep interrupts, or signals, from the vCPU, nor lose or double a
 * signal to the eventfd.
 */
static int t_ioeventfd_storm(void)
{
	struct sigaction sa = { .sa_handler = on_alarm }, old;
	struct itimerval it = { .it_value.tv_sec = 20 }, off = { 0 };
	struct storm s = { .irq_fd = eventfd(0, EFD_NONBLOCK) };
	int efd = eventfd(0, EFD_NONBLOCK), r;
	struct gvm *vm = NULL;
	struct gvcpu *v;
	uint64_t writes = 0, signalled;
	pthread_t t;

	CHECK(efd >= 0 && s.irq_fd >= 0, "eventfds");
	vm = gvm_create(sys_fd, 0);
	CHECK(vm, "VM");
	SKIP_IF(!khv_cap(vm->fd, KVM_CAP_IRQFD) || !khv_cap(vm->fd, KVM_CAP_IOEVENTFD),
		"no KVM_CAP_IRQFD or KVM_CAP_IOEVENTFD");
	gvm_destroy(vm);
	vm = irq_vm();
	CHECK(vm, "VM with irqchip");
	CHECK(!gvm_set_msi_route(vm, GSI_MSI, APIC_BASE, VEC_MSI), "MSI route");
	CHECK(!irqfd(vm, s.irq_fd, GSI_MSI, 0, 0), "irqfd");
	CHECK(!ioeventfd(vm, efd, PIO_STORM, 1, KVM_IOEVENTFD_FLAG_PIO, 0), "ioeventfd");
	v = gvcpu_create_long(vm, 0, guest_storm, 0, 0);
	CHECK(v, "vCPU");
	CHECK(!sigaction(SIGALRM, &sa, &old), "sigaction");	/* no SA_RESTART */
	CHECK(!pthread_create(&t, NULL, storm_irqs, &s), "thread");
	/* a watchdog: a vCPU deaf to interrupts would never come back */
	setitimer(ITIMER_REAL, &it, NULL);
	r = gvcpu_run_sync(v, 1, &writes);
	setitimer(ITIMER_REAL, &off, NULL);
	s.stop = true;
	pthread_join(t, NULL);
	CHECK(!r, "%d interrupts through %llu writes (%llu came)", STORM_IRQS,
	      (unsigned long long)storm_writes, (unsigned long long)count[VEC_MSI]);
	signalled = drain(efd);
	ksft_diag("%llu writes, %llu signals", (unsigned long long)writes,
		  (unsigned long long)signalled);
	CHECK(writes && signalled == writes, "one signal per write");
	/* the writes go on: a signal must still end KVM_RUN */
	it.it_value.tv_sec = 0;
	it.it_value.tv_usec = 100000;
	setitimer(ITIMER_REAL, &it, NULL);
	r = (int)khv_ioctl(v->fd, KVM_RUN, 0);
	setitimer(ITIMER_REAL, &off, NULL);
	sigaction(SIGALRM, &old, NULL);
	CHECK(r == -EINTR && v->run->exit_reason == KVM_EXIT_INTR,
	      "a signal ends KVM_RUN: %d, exit %u", r, v->run->exit_reason);
	CHECK(drain(efd) > 0, "the writes went on");
	gvcpu_destroy(v);
	gvm_destroy(vm);
	close(efd);
	close(s.irq_fd);
	return KSFT_PASS;
}

/* What KVM refuses: lengths, flags, collisions, unknown deassigns. */
static int t_ioeventfd_args(void)
{
	struct gvm *vm = gvm_create(sys_fd, 0);
	int e1 = eventfd(0, EFD_NONBLOCK), e2 = eventfd(0, EFD_NONBLOCK);
	const uint32_t pio = KVM_IOEVENTFD_FLAG_PIO, dm = KVM_IOEVENTFD_FLAG_DATAMATCH;
	const uint32_t de = KVM_IOEVENTFD_FLAG_DEASSIGN;

	CHECK(vm && e1 >= 0 && e2 >= 0, "VM, eventfds");
	SKIP_IF(!khv_cap(vm->fd, KVM_CAP_IOEVENTFD), "no KVM_CAP_IOEVENTFD");
	CHECK(ioeventfd(vm, e1, 0x100, 3, pio, 0) == -EINVAL, "length 3");
	CHECK(ioeventfd(vm, e1, 0x100, 16, 0, 0) == -EINVAL, "length 16");
	CHECK(ioeventfd(vm, e1, 0x100, 0, dm, 0) == -EINVAL, "datamatch, no length");
	CHECK(ioeventfd(vm, e1, 0x100, 4, 1u << 7, 0) == -EINVAL, "unknown flag");
	CHECK(ioeventfd(vm, e1, ~0ull - 1, 4, 0, 0) == -EINVAL, "wraps around");
	CHECK(ioeventfd(vm, sys_fd, 0x100, 4, 0, 0) == -EINVAL, "not an eventfd");
	CHECK(!ioeventfd(vm, e1, 0x100, 4, pio | dm, 7), "assign");
	CHECK(ioeventfd(vm, e2, 0x100, 4, pio | dm, 7) == -EEXIST, "same match");
	CHECK(ioeventfd(vm, e2, 0x100, 4, pio, 0) == -EEXIST, "wildcard over a match");
	CHECK(ioeventfd(vm, e2, 0x100, 0, pio, 0) == -EEXIST, "any length over one");
	CHECK(!ioeventfd(vm, e2, 0x100, 4, pio | dm, 8), "another value");
	CHECK(!ioeventfd(vm, e2, 0x100, 2, pio, 0), "another length");
	CHECK(!ioeventfd(vm, e2, 0x100, 4, 0, 0), "MMIO at the same address");
	CHECK(ioeventfd(vm, e1, 0x100, 4, pio | dm | de, 8) == -ENOENT,
	      "deassign: value differs");
	CHECK(ioeventfd(vm, e1, 0x100, 4, pio | de, 0) == -ENOENT,
	      "deassign: wildcard for a match");
	CHECK(!ioeventfd(vm, e1, 0x100, 4, pio | dm | de, 7), "deassign");
	CHECK(ioeventfd(vm, e1, 0x100, 4, pio | dm | de, 7) == -ENOENT, "twice");
	gvm_destroy(vm);
	close(e1);
	close(e2);
	return KSFT_PASS;
}

static const struct ksft_case cases[] = {
	{ "irqfd", t_irqfd },
	{ "irqfd_resample", t_resample },
	{ "ioeventfd", t_ioeventfd },
	{ "ioeventfd_args", t_ioeventfd_args },
	{ "ioeventfd_storm", t_ioeventfd_storm },
};

int main(int argc, char **argv)
{
	khv_test_init(argc, argv);
	sys_fd = khv_open_dev();
	return KSFT_RUN(cases);
}
