// SPDX-License-Identifier: GPL-2.0
/*
 * Tracepoints through tracefs: with the hypervisor's entry, exit, port
 * I/O, MMIO and interrupt-injection events enabled (khv: khv:khv_entry,
 * khv_exit, khv_pio, khv_mmio, khv_inj_irq; stock KVM, the reference:
 * kvm:kvm_entry, kvm_exit, kvm_pio, kvm_mmio, kvm_inj_virq), a guest that
 * makes an OUT, an IN, an MMIO write and read and takes an injected
 * interrupt leaves each event in the trace, with the port, the MMIO
 * address and the vector in the text. And with the in-kernel LAPIC, a
 * TSC write from user space and a TSC-deadline timer the guest arms
 * leave theirs (khv: khv_tsc_write, khv_lapic_timer; stock KVM:
 * kvm_write_tsc_offset, kvm_msr of 0x6e0).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>

#include "guest.h"
#include "apic.h"

#define ARRAY_LEN(a)	(sizeof(a) / sizeof((a)[0]))

static int sys_fd;
static char tracefs[64];

#define TEST_PORT	0x3f7
#define MMIO_GPA	0xe0001000ull
#define VECTOR		0x43

static volatile uint64_t irq_seen;

GUEST_CODE static void on_irq(struct guest_frame *f)
{
	irq_seen = f->vector;
}

GUEST_CODE static void guest_events(uint64_t mmio, uint64_t b)
{
	uint32_t v;

	__asm__ volatile("outb %%al, %%dx" : : "a"(0x5a), "d"(TEST_PORT));
	__asm__ volatile("inb %%dx, %%al" : "=a"(v) : "d"(TEST_PORT));
	*(volatile uint32_t *)mmio = 0xfeed;
	v = *(volatile uint32_t *)mmio;
	__asm__ volatile("sti; nop");
	GUEST_SYNC(1, v);
	GUEST_SYNC(2, irq_seen);
}

static int write_file(const char *rel, const char *text)
{
	char path[256];
	int fd, r;

	snprintf(path, sizeof(path), "%s/%s", tracefs, rel);
	fd = open(path, O_WRONLY | O_TRUNC);
	if (fd < 0)
		return -errno;
	r = write(fd, text, strlen(text)) == (ssize_t)strlen(text) ? 0 : -errno;
	close(fd);
	return r;
}

/* The whole trace buffer, NUL-terminated (malloc'd), or NULL. */
static char *read_trace(void)
{
	char path[256];
	size_t size = 1 << 20, got = 0;
	char *buf = malloc(size);
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), "%s/trace", tracefs);
	fd = open(path, O_RDONLY);
	if (!buf || fd < 0) {
		free(buf);
		return NULL;
	}
	while (got + 1 < size && (n = read(fd, buf + got, size - 1 - got)) > 0)
		got += n;
	buf[got] = 0;
	close(fd);
	return buf;
}

/* A trace line of event @ev that contains @text (NULL: any). */
static const char *find_event(const char *trace, const char *ev, const char *text)
{
	char key[64];
	const char *p = trace, *eol;

	snprintf(key, sizeof(key), " %s: ", ev);
	while ((p = strstr(p, key))) {
		eol = strchr(p, '\n');
		if (!text || (strstr(p, text) && (!eol || strstr(p, text) < eol)))
			return p;
		p += strlen(key);
	}
	return NULL;
}

/* Enable @n events of @sys and empty the trace: 0, or -1 (said why). */
static int enable_events(const char *sys, const char *const *evs, size_t n)
{
	char rel[128];
	size_t i;

	for (i = 0; i < n; i++) {
		snprintf(rel, sizeof(rel), "events/%s/%s/enable", sys, evs[i]);
		if (write_file(rel, "1")) {
			ksft_diag("cannot enable %s: %s", rel, strerror(errno));
			return -1;
		}
	}
	if (write_file("trace", "")) {
		ksft_diag("cannot clear the trace");
		return -1;
	}
	return 0;
}

/*
 * Stop @sys's events and read the trace: each of @evs must be there,
 * mentioning its @wants text (NULL: any line of it). Shows what it found.
 */
static int expect_events(const char *sys, const char *const *evs,
			 const char *const *wants, size_t n)
{
	char rel[64], *trace;
	int r = KSFT_PASS;
	size_t i;

	snprintf(rel, sizeof(rel), "events/%s/enable", sys);
	write_file(rel, "0");
	trace = read_trace();
	if (!trace)
		return KSFT_FAIL;
	for (i = 0; i < n; i++) {
		const char *line = find_event(trace, evs[i], wants[i]);

		if (!line) {
			ksft_diag("no %s event%s%s in the trace", evs[i],
				  wants[i] ? " mentioning " : "", wants[i] ? wants[i] : "");
			r = KSFT_FAIL;
			continue;
		}
		ksft_diag("%.*s", (int)strcspn(line + 1, "\n"), line + 1);
	}
	free(trace);
	return r;
}

/* The events of @sys off, the VM gone; @r. */
static int finish(const char *sys, struct gvm *vm, struct gvcpu *v, int r)
{
	char rel[64];

	snprintf(rel, sizeof(rel), "events/%s/enable", sys);
	write_file(rel, "0");
	if (v)
		gvcpu_destroy(v);
	if (vm)
		gvm_destroy(vm);
	return r;
}

static int t_events_in_trace(void)
{
	const char *module = khv_module();
	bool khv = module && !strcmp(module, "khv");
	const char *sys = khv ? "khv" : "kvm";
	const char *ev_entry = khv ? "khv_entry" : "kvm_entry";
	const char *ev_exit = khv ? "khv_exit" : "kvm_exit";
	const char *ev_pio = khv ? "khv_pio" : "kvm_pio";
	const char *ev_mmio = khv ? "khv_mmio" : "kvm_mmio";
	const char *ev_irq = khv ? "khv_inj_irq" : "kvm_inj_virq";
	const char *evs[] = { ev_entry, ev_exit, ev_pio, ev_mmio, ev_irq };
	struct kvm_interrupt irq = { .irq = VECTOR };
	char port[16], gpa[24], vec[16];
	const char *wants[] = { NULL, NULL, port, gpa, vec };
	struct gvcpu *v = NULL;
	struct gvm *vm = NULL;
	uint64_t val;
	int r = KSFT_FAIL;

	if (enable_events(sys, evs, ARRAY_LEN(evs)))
		goto out;
	vm = gvm_create(sys_fd, 0);
	if (!vm)
		goto out;
	gvm_set_handler(vm, VECTOR, on_irq);
	v = gvcpu_create_long(vm, 0, guest_events, MMIO_GPA, 0);
	if (!v)
		goto out;
	if (gvcpu_run_expect(v, KVM_EXIT_IO))	/* OUT */
		goto out;
	if (gvcpu_run_expect(v, KVM_EXIT_IO))	/* IN */
		goto out;
	*(uint8_t *)gvcpu_io_data(v) = 0xa5;
	if (gvcpu_run_expect(v, KVM_EXIT_MMIO))	/* write */
		goto out;
	if (gvcpu_run_expect(v, KVM_EXIT_MMIO))	/* read */
		goto out;
	memcpy(v->run->mmio.data, "\x78\x56\x34\x12", 4);
	if (gvcpu_run_sync(v, 1, &val) || val != 0x12345678) {
		ksft_diag("MMIO read gave %#lx", val);
		goto out;
	}
	if (khv_ioctl(v->fd, KVM_INTERRUPT, (unsigned long)&irq))
		goto out;
	if (gvcpu_run_sync(v, 2, &val) || val != VECTOR) {
		ksft_diag("the guest's handler saw vector %#lx", val);
		goto out;
	}
	snprintf(port, sizeof(port), "%x", TEST_PORT);
	snprintf(gpa, sizeof(gpa), "%llx", MMIO_GPA);
	snprintf(vec, sizeof(vec), "%x", VECTOR);
	r = expect_events(sys, evs, wants, ARRAY_LEN(evs));
out:
	return finish(sys, vm, v, r);
}

#define TIMER_VECTOR	0x44

static volatile uint64_t timer_seen;

GUEST_CODE static void on_timer(struct guest_frame *f)
{
	timer_seen = f->vector;
	apic_write(APIC_EOI, 0);
}

/* A TSC-deadline timer due now: its interrupt comes at once. */
GUEST_CODE static void guest_deadline(uint64_t a, uint64_t b)
{
	uint32_t lo, hi;

	apic_write(APIC_SVR, 0x1ff);
	apic_write(APIC_LVTT, TIMER_VECTOR | (2u << 17));
	__asm__ volatile("rdtsc" : "=a"(lo), "=d"(hi));
	gmsr_write(0x6e0, (uint64_t)hi << 32 | lo);
	while (!timer_seen)
		guest_wait_irq();
	GUEST_SYNC(1, timer_seen);
}

static int t_timer_tsc_in_trace(void)
{
	const char *module = khv_module();
	bool khv = module && !strcmp(module, "khv");
	const char *ev_tsc = khv ? "khv_tsc_write" : "kvm_write_tsc_offset";
	const char *ev_timer = khv ? "khv_lapic_timer" : "kvm_msr";
	const char *sys = khv ? "khv" : "kvm";
	const char *evs[] = { ev_tsc, ev_timer };
	/* the TSC user space set, 2^40, and a deadline just after it */
	const char *wants[] = { khv ? "tsc 0x10000000000" : NULL,
				khv ? "deadline 0x100" : "msr_write 6e0 = 0x100" };
	struct kvm_cpuid_entry2 *e;
	struct gvcpu *v = NULL;
	struct gvm *vm = NULL;
	uint64_t val;
	int r = KSFT_FAIL;

	if (khv_cap(sys_fd, KVM_CAP_TSC_DEADLINE_TIMER) <= 0)
		return KSFT_SKIP;
	if (enable_events(sys, evs, ARRAY_LEN(evs)))
		goto out;
	vm = gvm_create(sys_fd, 0);
	if (!vm || khv_ioctl(vm->fd, KVM_CREATE_IRQCHIP, 0))
		goto out;
	gvm_set_handler(vm, TIMER_VECTOR, on_timer);
	e = cpuid_entry(vm->cpuid, 1, 0);
	if (!e)
		goto out;
	e->ecx |= 1u << 24;			/* TSC-deadline */
	v = gvcpu_create_long(vm, 0, guest_deadline, 0, 0);
	if (!v || gvcpu_set_msr(v, 0x10, 1ull << 40) != 1)
		goto out;
	if (gvcpu_run_sync(v, 1, &val) || val != TIMER_VECTOR) {
		ksft_diag("the guest's timer handler saw vector %#lx", val);
		goto out;
	}
	r = expect_events(sys, evs, wants, ARRAY_LEN(evs));
out:
	return finish(sys, vm, v, r);
}

static const struct ksft_case cases[] = {
	{ "events_in_trace", t_events_in_trace },
	{ "timer_tsc_in_trace", t_timer_tsc_in_trace },
};

int main(int argc, char **argv)
{
	static const char *const where[] = { "/sys/kernel/tracing",
					     "/sys/kernel/debug/tracing" };
	struct stat st;
	char path[96];
	size_t i;

	khv_test_init(argc, argv);
	sys_fd = khv_open_dev();
	for (i = 0; i < sizeof(where) / sizeof(where[0]); i++) {
		snprintf(path, sizeof(path), "%s/events", where[i]);
		if (!stat(path, &st)) {
			snprintf(tracefs, sizeof(tracefs), "%s", where[i]);
			break;
		}
	}
	if (!tracefs[0])
		ksft_exit_skip("no tracefs");
	return KSFT_RUN(cases);
}
