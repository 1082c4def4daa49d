// SPDX-License-Identifier: GPL-2.0
/*
 * The VM's clock and kvmclock as KVM offers them: KVM_GET_CLOCK runs
 * forward from about 0 at VM creation, KVM_SET_CLOCK moves it (with
 * KVM_CLOCK_REALTIME, by the wall-clock time elapsed since), bad flags
 * are refused; a guest that enables MSR_KVM_SYSTEM_TIME_NEW reads the same
 * clock from its pvclock structure (never backwards, and moved by
 * KVM_SET_CLOCK before it runs again) and the VM's start in wall-clock
 * time from MSR_KVM_WALL_CLOCK_NEW; the kvmclock MSRs round-trip through
 * KVM_GET/SET_MSRS; KVM_GET/SET_TSC_KHZ; the vCPU attribute
 * KVM_VCPU_TSC_OFFSET: what it sets is the guest's TSC - the host's.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "guest.h"

static int sys_fd;

#define MSR_KVM_WALL_CLOCK_NEW	0x4b564d00
#define MSR_KVM_SYSTEM_TIME_NEW	0x4b564d01
#define KVMCLOCK_GPA		0x300000	/* in the guest's free RAM */
#define WALLCLOCK_GPA		0x300100
#define NSEC			1000000000ull

struct pvti {
	uint32_t version, pad0;
	uint64_t tsc_timestamp, system_time;
	uint32_t mul;
	int8_t shift;
	uint8_t flags, pad[2];
};

struct wall {
	uint32_t version, sec, nsec;
};

/* The pvclock read protocol: retry while the version is odd or changed. */
GUEST_CODE static uint64_t g_kvmclock(volatile struct pvti *p)
{
	uint32_t v;
	uint64_t ns, d;

	do {
		v = p->version;
		__asm__ volatile("" : : : "memory");
		d = guest_rdtsc() - p->tsc_timestamp;
		if (p->shift < 0)
			d >>= -p->shift;
		else
			d <<= p->shift;
		ns = p->system_time +
		     (uint64_t)(((unsigned __int128)d * p->mul) >> 32);
		__asm__ volatile("" : : : "memory");
	} while ((v & 1) || v != p->version);
	return ns;
}

GUEST_CODE static void guest_kvmclock(uint64_t a0, uint64_t a1)
{
	volatile struct pvti *p = (volatile struct pvti *)KVMCLOCK_GPA;
	volatile struct wall *w = (volatile struct wall *)WALLCLOCK_GPA;
	uint64_t t1, t2, t3;

	gmsr_write(MSR_KVM_SYSTEM_TIME_NEW, KVMCLOCK_GPA | 1);
	GUEST_ASSERT(p->mul != 0);
	GUEST_ASSERT_EQ(p->version & 1, 0);
	t1 = g_kvmclock(p);
	GUEST_SYNC(1, t1);
	t2 = g_kvmclock(p);
	GUEST_ASSERT(t2 >= t1);
	GUEST_SYNC(2, t2);		/* the host moves the clock here */
	t3 = g_kvmclock(p);
	GUEST_SYNC(3, t3);
	gmsr_write(MSR_KVM_WALL_CLOCK_NEW, WALLCLOCK_GPA);
	GUEST_ASSERT_EQ(w->version & 1, 0);
	GUEST_SYNC(4, w->sec);
	gmsr_write(MSR_KVM_SYSTEM_TIME_NEW, 0);	/* off */
	GUEST_DONE();
}

/* Three seconds of kvmclock without an exit of its own, then its reading. */
GUEST_CODE static void guest_kvmclock_spin(uint64_t a0, uint64_t a1)
{
	volatile struct pvti *p = (volatile struct pvti *)KVMCLOCK_GPA;
	uint64_t t0, t;

	gmsr_write(MSR_KVM_SYSTEM_TIME_NEW, KVMCLOCK_GPA | 1);
	t0 = g_kvmclock(p);
	GUEST_SYNC(1, t0);
	do
		t = g_kvmclock(p);
	while (t - t0 < 3 * NSEC);
	GUEST_SYNC(2, t);
	GUEST_DONE();
}

static int get_clock(int vm_fd, struct kvm_clock_data *d)
{
	memset(d, 0, sizeof(*d));
	return (int)khv_ioctl(vm_fd, KVM_GET_CLOCK, (unsigned long)d);
}

static uint64_t real_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return ts.tv_sec * NSEC + ts.tv_nsec;
}

static int t_clock_ioctls(void)
{
	struct gvm *vm = gvm_create(sys_fd, 0);
	struct kvm_clock_data a, b;
	long cap = khv_cap(sys_fd, KVM_CAP_ADJUST_CLOCK);
	int r = KSFT_FAIL;

	if (!vm)
		return KSFT_FAIL;
	if (!cap) {
		r = KSFT_SKIP;
		goto out;
	}
	if (get_clock(vm->fd, &a) || get_clock(vm->fd, &b)) {
		ksft_diag("KVM_GET_CLOCK failed");
		goto out;
	}
	ksft_diag("KVM_CAP_ADJUST_CLOCK %#lx, fresh VM's clock %llu ns, flags %#x",
		  cap, (unsigned long long)a.clock, a.flags);
	if (a.clock > 30 * NSEC || b.clock < a.clock || (a.flags & ~cap)) {
		ksft_diag("clock %llu then %llu", (unsigned long long)a.clock,
			  (unsigned long long)b.clock);
		goto out;
	}
	if ((a.flags & KVM_CLOCK_REALTIME) &&
	    (a.realtime > real_ns() || a.realtime + 60 * NSEC < real_ns())) {
		ksft_diag("realtime %llu is not now", (unsigned long long)a.realtime);
		goto out;
	}
	a.clock = 1000 * NSEC;
	a.flags = 0;
	if (khv_ioctl(vm->fd, KVM_SET_CLOCK, (unsigned long)&a) || get_clock(vm->fd, &b) ||
	    b.clock < 1000 * NSEC || b.clock > 1010 * NSEC) {
		ksft_diag("after KVM_SET_CLOCK(1000 s): %llu", (unsigned long long)b.clock);
		goto out;
	}
	a.flags = 1;		/* no such flag */
	if (khv_ioctl(vm->fd, KVM_SET_CLOCK, (unsigned long)&a) != -EINVAL) {
		ksft_diag("KVM_SET_CLOCK took flag bit 0");
		goto out;
	}
	if (cap & KVM_CLOCK_REALTIME) {
		/* "taken 5 s ago": the clock comes out 5 s further on */
		a.clock = 2000 * NSEC;
		a.flags = KVM_CLOCK_REALTIME;
		a.realtime = real_ns() - 5 * NSEC;
		if (khv_ioctl(vm->fd, KVM_SET_CLOCK, (unsigned long)&a) ||
		    get_clock(vm->fd, &b) || b.clock < 2005 * NSEC ||
		    b.clock > 2015 * NSEC) {
			ksft_diag("KVM_SET_CLOCK with REALTIME: %llu",
				  (unsigned long long)b.clock);
			goto out;
		}
	}
	r = KSFT_PASS;
out:
	gvm_destroy(vm);
	return r;
}

static int t_guest_kvmclock(void)
{
	struct gvm *vm = gvm_create(sys_fd, 0);
	struct gvcpu *v = vm ? gvcpu_create_long(vm, 0, guest_kvmclock, 0, 0) : NULL;
	struct kvm_clock_data c;
	uint64_t t1, t2, t3, sec, real_start;
	int r = KSFT_FAIL;

	if (!v)
		goto out;
	if (!khv_cap(sys_fd, KVM_CAP_ADJUST_CLOCK)) {
		r = KSFT_SKIP;
		goto out;
	}
	if (gvcpu_run_sync(v, 1, &t1) || get_clock(vm->fd, &c))
		goto out;
	/* the host reads after the guest did: the same clock, a bit later */
	if (c.clock < t1 || c.clock > t1 + 5 * NSEC) {
		ksft_diag("guest's kvmclock %llu, KVM_GET_CLOCK %llu",
			  (unsigned long long)t1, (unsigned long long)c.clock);
		goto out;
	}
	if (gvcpu_run_sync(v, 2, &t2) || t2 < t1)
		goto out;
	c.clock += 500 * NSEC;
	c.flags = 0;
	if (khv_ioctl(vm->fd, KVM_SET_CLOCK, (unsigned long)&c))
		goto out;
	if (gvcpu_run_sync(v, 3, &t3) || t3 < c.clock || t3 > c.clock + 10 * NSEC) {
		ksft_diag("guest's kvmclock after KVM_SET_CLOCK(+500 s): %llu, set %llu",
			  (unsigned long long)t3, (unsigned long long)c.clock);
		goto out;
	}
	if (gvcpu_run_sync(v, 4, &sec) || get_clock(vm->fd, &c))
		goto out;
	/* wall clock at VM clock 0 = now - clock */
	real_start = (real_ns() - c.clock) / NSEC;
	if (sec + 10 < real_start || sec > real_start + 10) {
		ksft_diag("wall clock of the VM's start %llu s, expected %llu s",
			  (unsigned long long)sec, (unsigned long long)real_start);
		goto out;
	}
	r = gvcpu_run_done(v) ? KSFT_FAIL : KSFT_PASS;
out:
	gvm_teardown(vm, v);
	return r;
}

static int t_msrs_and_tsc_khz(void)
{
	struct gvm *vm = gvm_create(sys_fd, 0);
	struct gvcpu *v = vm ? gvcpu_create(vm, 0) : NULL;
	uint64_t val = 0;
	long khz;
	int r = KSFT_FAIL;

	if (!v)
		goto out;
	/* gvcpu_get/set_msr: KVM_GET/SET_MSRS's count, 1 when done */
	if (gvcpu_set_msr(v, MSR_KVM_SYSTEM_TIME_NEW, KVMCLOCK_GPA) != 1 ||
	    gvcpu_get_msr(v, MSR_KVM_SYSTEM_TIME_NEW, &val) != 1 || val != KVMCLOCK_GPA) {
		ksft_diag("MSR_KVM_SYSTEM_TIME_NEW round trip: %#llx",
			  (unsigned long long)val);
		goto out;
	}
	if (gvcpu_set_msr(v, MSR_KVM_WALL_CLOCK_NEW, WALLCLOCK_GPA) != 1 ||
	    gvcpu_get_msr(v, MSR_KVM_WALL_CLOCK_NEW, &val) != 1 || val != WALLCLOCK_GPA) {
		ksft_diag("MSR_KVM_WALL_CLOCK_NEW round trip: %#llx",
			  (unsigned long long)val);
		goto out;
	}
	if (!khv_cap(sys_fd, KVM_CAP_GET_TSC_KHZ)) {
		r = KSFT_PASS;
		goto out;
	}
	khz = khv_ioctl(v->fd, KVM_GET_TSC_KHZ, 0);
	ksft_diag("KVM_GET_TSC_KHZ %ld, KVM_CAP_TSC_CONTROL %ld", khz,
		  khv_cap(sys_fd, KVM_CAP_TSC_CONTROL));
	if (khz <= 0 || khv_ioctl(v->fd, KVM_SET_TSC_KHZ, khz) ||
	    khv_ioctl(v->fd, KVM_GET_TSC_KHZ, 0) != khz) {
		ksft_diag("KVM_SET_TSC_KHZ of the TSC's own rate failed");
		goto out;
	}
	/* slower than the hardware, without TSC scaling: refused, as KVM */
	if (!khv_cap(sys_fd, KVM_CAP_TSC_CONTROL) &&
	    khv_ioctl(v->fd, KVM_SET_TSC_KHZ, khz / 2) != -EINVAL) {
		ksft_diag("KVM_SET_TSC_KHZ(half) accepted without TSC scaling");
		goto out;
	}
	r = KSFT_PASS;
out:
	gvm_teardown(vm, v);
	return r;
}

GUEST_CODE static void guest_tsc(uint64_t a, uint64_t b)
{
	uint64_t i;

	for (i = 1;; i++)
		GUEST_SYNC(i, guest_rdtsc());
}

static long tsc_attr(struct gvcpu *v, unsigned long cmd, uint64_t group,
		     uint64_t attr, uint64_t *val)
{
	struct kvm_device_attr a = {
		.group = group, .attr = attr, .addr = (uint64_t)(unsigned long)val,
	};

	return khv_ioctl(v->fd, cmd, (unsigned long)&a);
}

/*
 * KVM_VCPU_TSC_CTRL/KVM_VCPU_TSC_OFFSET (KVM_CAP_VCPU_ATTRIBUTES): the
 * offset read back is the one set, and the guest's RDTSC reads host TSC +
 * offset (between the host's readings before and after the run), for 0
 * and for 180 s ahead and behind; other attributes and groups are ENXIO.
 * Where the host's TSC is marked unstable (the TCG test machine's is),
 * stock KVM moves the offset at every vCPU ioctl so that the guest's TSC
 * goes on from its last value: there both checks allow SLACK cycles
 * (about 0.4 s at most; the offsets tried are 180 s apart or more).
 */
#define SLACK	(1ull << 30)

static int t_tsc_offset_attr(void)
{
	const int64_t ghz_s = 180ll * NSEC;	/* 180 s at 1 GHz, at least */
	const int64_t offs[] = { 0, ghz_s, -ghz_s };
	struct gvm *vm = gvm_create(sys_fd, 0);
	struct gvcpu *v = vm ? gvcpu_create_long(vm, 0, guest_tsc, 0, 0) : NULL;
	uint64_t val, start, end, obs;
	unsigned int i;

	CHECK(v, "VM and vCPU");
	if (!khv_cap(sys_fd, KVM_CAP_VCPU_ATTRIBUTES)) {
		gvm_teardown(vm, v);
		return KSFT_SKIP;
	}
	CHECK(!tsc_attr(v, KVM_HAS_DEVICE_ATTR, KVM_VCPU_TSC_CTRL,
			KVM_VCPU_TSC_OFFSET, NULL), "HAS TSC_OFFSET");
	CHECK(tsc_attr(v, KVM_HAS_DEVICE_ATTR, KVM_VCPU_TSC_CTRL, 1, NULL) == -ENXIO,
	      "HAS attr 1");
	CHECK(tsc_attr(v, KVM_HAS_DEVICE_ATTR, 1, KVM_VCPU_TSC_OFFSET, NULL) ==
	      -ENXIO, "HAS group 1");
	CHECK(tsc_attr(v, KVM_GET_DEVICE_ATTR, KVM_VCPU_TSC_CTRL, 1, &val) == -ENXIO,
	      "GET attr 1");
	CHECK(tsc_attr(v, KVM_GET_DEVICE_ATTR, KVM_VCPU_TSC_CTRL,
		       KVM_VCPU_TSC_OFFSET, NULL) == -EFAULT, "GET to NULL");
	CHECK(tsc_attr(v, KVM_SET_DEVICE_ATTR, KVM_VCPU_TSC_CTRL,
		       KVM_VCPU_TSC_OFFSET, NULL) == -EFAULT, "SET from NULL");
	/* a new vCPU's TSC starts near 0: its offset is about -host TSC */
	CHECK(!tsc_attr(v, KVM_GET_DEVICE_ATTR, KVM_VCPU_TSC_CTRL,
			KVM_VCPU_TSC_OFFSET, &val), "GET");
	CHECK(val + guest_rdtsc() < 1000ull * NSEC, "initial offset %#llx",
	      (unsigned long long)val);
	for (i = 0; i < sizeof(offs) / sizeof(offs[0]); i++) {
		val = (uint64_t)offs[i];
		CHECK(!tsc_attr(v, KVM_SET_DEVICE_ATTR, KVM_VCPU_TSC_CTRL,
				KVM_VCPU_TSC_OFFSET, &val), "SET %lld",
		      (long long)offs[i]);
		val = 1;
		CHECK(!tsc_attr(v, KVM_GET_DEVICE_ATTR, KVM_VCPU_TSC_CTRL,
				KVM_VCPU_TSC_OFFSET, &val) &&
		      val - (uint64_t)offs[i] + SLACK <= 2 * SLACK,
		      "GET %#llx after SET %#llx", (unsigned long long)val,
		      (unsigned long long)offs[i]);
		if (val != (uint64_t)offs[i])
			ksft_diag("offset %lld read back %+lld cycles off",
				  (long long)offs[i], (long long)(val - offs[i]));
		start = guest_rdtsc() + offs[i];
		CHECK(!gvcpu_run_sync(v, i + 1, &obs), "run %u", i + 1);
		end = guest_rdtsc() + offs[i];
		CHECK(obs + SLACK >= start && obs <= end + SLACK,
		      "offset %lld: guest TSC %llu outside [%llu, %llu] (+-%llu)",
		      (long long)offs[i], (unsigned long long)obs,
		      (unsigned long long)start, (unsigned long long)end, SLACK);
	}
	gvm_teardown(vm, v);
	return KSFT_PASS;
}

/*
 * The guest's kvmclock and KVM_GET_CLOCK are one clock, also after the
 * guest has extrapolated from its pvclock structure for a while: what the
 * guest read just before an exit is not ahead of what the host reads just
 * after it (a migration carries the host's value; a guest whose clock was
 * ahead of it would find its time standing still on the other side).
 */
static int t_kvmclock_vs_get_clock(void)
{
	struct gvm *vm = gvm_create(sys_fd, 0);
	struct gvcpu *v = vm ? gvcpu_create_long(vm, 0, guest_kvmclock_spin, 0, 0) : NULL;
	struct kvm_clock_data c;
	uint64_t t0, t, slack;

	CHECK(v, "VM and vCPU");
	if (!khv_cap(sys_fd, KVM_CAP_ADJUST_CLOCK)) {
		gvm_teardown(vm, v);
		return KSFT_SKIP;
	}
	CHECK(!gvcpu_run_sync(v, 1, &t0), "stage 1");
	CHECK(!gvcpu_run_sync(v, 2, &t) && !get_clock(vm->fd, &c), "stage 2");
	/*
	 * With a stable TSC (KVM's master clock) both sides extrapolate one
	 * reference with one scale: 1 ms covers the exit. Without one the
	 * host's clock is its own clocksource (the QEMU machine's HPET) and
	 * the guest's runs on the TSC at the calibrated rate since its last
	 * pvclock update: they part by the calibration error, up to 0.1%
	 * (3 ms in 3 s) on KVM and khv alike.
	 */
	slack = c.flags & KVM_CLOCK_TSC_STABLE ? 1000000 : 4000000;
	ksft_diag("guest's kvmclock after 3 s: %llu, KVM_GET_CLOCK after the exit: %llu (%+lld ns), flags %#x",
		  (unsigned long long)t, (unsigned long long)c.clock,
		  (long long)(c.clock - t), c.flags);
	CHECK(c.clock + slack >= t, "the guest's clock is %llu ns ahead of the host's",
	      (unsigned long long)(t - c.clock));
	CHECK(c.clock < t + 2 * NSEC, "the host's clock is %llu ns ahead of the guest's",
	      (unsigned long long)(c.clock - t));
	CHECK(!gvcpu_run_done(v), "DONE");
	gvm_teardown(vm, v);
	return KSFT_PASS;
}

static const struct ksft_case cases[] = {
	{ "clock_ioctls", t_clock_ioctls },
	{ "kvmclock_vs_get_clock", t_kvmclock_vs_get_clock },
	{ "tsc_offset_attr", t_tsc_offset_attr },
	{ "guest_kvmclock", t_guest_kvmclock },
	{ "msrs_and_tsc_khz", t_msrs_and_tsc_khz },
};

int main(int argc, char **argv)
{
	khv_test_init(argc, argv);
	sys_fd = khv_open_dev();
	return KSFT_RUN(cases);
}
