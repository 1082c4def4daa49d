// SPDX-License-Identifier: GPL-2.0
/*
 * XSAVE state and the debug registers as KVM offers them: CPUID leaf 0xD
 * and CPUID.1:ECX.OSXSAVE following CR4; XSETBV checked as the CPU checks
 * it (#UD without CR4.OSXSAVE, #GP for a bad XCR index or value), the
 * guest's XCR0 live while it runs (XGETBV, AVX registers); KVM_GET/SET_XCRS,
 * KVM_GET/SET_XSAVE and KVM_GET_XSAVE2 carrying the AVX registers both
 * ways; KVM_GET/SET_DEBUGREGS with their checks. Skips where the CPU (the
 * test machine's) has no XSAVE or AVX.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "guest.h"

static int sys_fd;

#define CR4_OSXSAVE	(1ull << 18)
#define XF_FP		0x1ull
#define XF_SSE		0x2ull
#define XF_YMM		0x4ull

/* Leaf 0xD.2's offset of the AVX upper halves, and XSAVE's header. */
#define XSAVE_HDR_OFF	512

static uint64_t supported_xcr0(struct kvm_cpuid2 *c)
{
	struct kvm_cpuid_entry2 *e = cpuid_entry(c, 0xd, 0);

	if (!cpuid_has(c, 1, 2, 26) || !e)
		return 0;
	return ((uint64_t)e->edx << 32) | e->eax;
}

GUEST_CODE static uint64_t g_xgetbv(uint32_t index)
{
	uint32_t lo, hi;

	__asm__ volatile("xgetbv" : "=a"(lo), "=d"(hi) : "c"(index));
	return ((uint64_t)hi << 32) | lo;
}

/* XSETBV, 3 bytes (0F 01 D1): the fault handlers skip it. */
GUEST_CODE static void g_xsetbv(uint32_t index, uint64_t v)
{
	__asm__ volatile("xsetbv" : : "c"(index), "a"((uint32_t)v),
			 "d"((uint32_t)(v >> 32)) : "memory");
}

GUEST_CODE static void g_cpuid(uint32_t leaf, uint32_t sub, uint32_t r[4])
{
	__asm__ volatile("cpuid" : "=a"(r[0]), "=b"(r[1]), "=c"(r[2]), "=d"(r[3])
			 : "a"(leaf), "c"(sub));
}

GUEST_CODE static uint64_t g_read_cr4(void)
{
	uint64_t v;

	__asm__ volatile("mov %%cr4, %0" : "=r"(v));
	return v;
}

GUEST_CODE static void g_write_cr4(uint64_t v)
{
	__asm__ volatile("mov %0, %%cr4" : : "r"(v) : "memory");
}

static volatile uint64_t g_ud, g_gp;

GUEST_CODE static void ud_skip(struct guest_frame *f)
{
	g_ud++;
	f->rip += 3;
}

GUEST_CODE static void gp_skip(struct guest_frame *f)
{
	g_gp++;
	f->rip += 3;
}

/*
 * a0: the XCR0 to enable (x87|SSE|AVX where offered), a1: the size
 * CPUID.(0xD,0).EBX must then report. With AVX, YMM0's upper half goes out
 * to the host at SYNC 2, and comes back changed by KVM_SET_XSAVE at SYNC 3.
 */
GUEST_CODE static void guest_xsave(uint64_t xcr0, uint64_t size)
{
	uint32_t r[4];
	uint64_t y[4];

	/* without CR4.OSXSAVE: CPUID says so, XSETBV is #UD */
	g_cpuid(1, 0, r);
	GUEST_ASSERT_EQ(r[2] & (1u << 27), 0);
	g_xsetbv(0, XF_FP | XF_SSE);
	GUEST_ASSERT_EQ(g_ud, 1);
	g_write_cr4(g_read_cr4() | CR4_OSXSAVE);
	g_cpuid(1, 0, r);
	GUEST_ASSERT(r[2] & (1u << 27));
	GUEST_ASSERT_EQ(g_xgetbv(0), XF_FP);		/* power-on value */
	/* bad values and indexes: #GP, XCR0 unchanged */
	g_xsetbv(0, 0);
	g_xsetbv(0, XF_SSE);
	g_xsetbv(0, XF_FP | XF_YMM);			/* AVX without SSE */
	g_xsetbv(0, XF_FP | (1ull << 9));		/* PKRU: not offered */
	g_xsetbv(0, XF_FP | (1ull << 62));
	g_xsetbv(1, XF_FP);
	GUEST_ASSERT_EQ(g_gp, 6);
	GUEST_ASSERT_EQ(g_xgetbv(0), XF_FP);
	g_xsetbv(0, xcr0);
	GUEST_ASSERT_EQ(g_gp, 6);
	GUEST_ASSERT_EQ(g_xgetbv(0), xcr0);
	g_cpuid(0xd, 0, r);
	GUEST_SYNC(1, r[1]);		/* CPUID.(0xD,0).EBX: the enabled size */
	/* XCR0 survives an exit (the host set it again with KVM_SET_XCRS) */
	GUEST_ASSERT_EQ(g_xgetbv(0), xcr0);
	if (!(xcr0 & XF_YMM))
		GUEST_DONE();
	y[0] = 0x1111111111111111ull;
	y[1] = 0x2222222222222222ull;
	y[2] = 0x3333333333333333ull;
	y[3] = 0x4444444444444444ull;
	__asm__ volatile("vmovdqu %0, %%ymm0" : : "m"(y) : "xmm0");
	GUEST_SYNC(2, 0);
	__asm__ volatile("vmovdqu %%ymm0, %0" : "=m"(y));
	GUEST_SYNC(3, y[2] ^ y[3]);
	GUEST_DONE();
}

static int t_cpuid_leaf_d(void)
{
	struct kvm_cpuid2 *c = khv_supported_cpuid(sys_fd);
	struct kvm_cpuid_entry2 *d0, *d1;
	uint64_t x;

	if (!c)
		return KSFT_FAIL;
	x = supported_xcr0(c);
	if (!x) {
		free(c);
		ksft_diag("no XSAVE in KVM_GET_SUPPORTED_CPUID (the CPU has none)");
		return KSFT_SKIP;
	}
	d0 = cpuid_entry(c, 0xd, 0);
	d1 = cpuid_entry(c, 0xd, 1);
	ksft_diag("XCR0 offered %#llx, XSAVE size %u, leaf 0xD.1 EAX %#x",
		  (unsigned long long)x, d0->ecx, d1 ? d1->eax : 0);
	if ((x & (XF_FP | XF_SSE)) != (XF_FP | XF_SSE) || d0->ecx < 576 ||
	    !(d0->flags & KVM_CPUID_FLAG_SIGNIFCANT_INDEX) ||
	    ((x & XF_YMM) && !cpuid_entry(c, 0xd, 2))) {
		free(c);
		return KSFT_FAIL;
	}
	free(c);
	return KSFT_PASS;
}

static int t_xsetbv_and_state(void)
{
	struct kvm_cpuid2 *c = khv_supported_cpuid(sys_fd);
	struct kvm_cpuid_entry2 *d2;
	struct gvm *vm = NULL;
	struct gvcpu *v = NULL;
	struct kvm_xsave *xs = NULL;
	struct kvm_xcrs xcrs;
	uint64_t xcr0, size = 576, val, *hi;
	int r = KSFT_FAIL;
	long bufsize;

	if (!c)
		return KSFT_FAIL;
	xcr0 = supported_xcr0(c) & (XF_FP | XF_SSE | XF_YMM);
	if (!xcr0) {
		ksft_diag("no XSAVE offered");
		r = KSFT_SKIP;
		goto out;
	}
	if (!cpuid_has(c, 1, 2, 28))
		xcr0 &= ~XF_YMM;
	d2 = cpuid_entry(c, 0xd, 2);
	if ((xcr0 & XF_YMM) && d2)
		size = d2->ebx + d2->eax;
	vm = gvm_create(sys_fd, 0);
	v = vm ? gvcpu_create_long(vm, 0, guest_xsave, xcr0, size) : NULL;
	if (!v || gvm_set_handler(vm, 6, ud_skip) || gvm_set_handler(vm, 13, gp_skip))
		goto out;
	memset(&xcrs, 0, sizeof(xcrs));
	if (khv_ioctl(v->fd, KVM_GET_XCRS, (unsigned long)&xcrs) ||
	    xcrs.nr_xcrs != 1 || xcrs.xcrs[0].xcr != 0 || xcrs.xcrs[0].value != XF_FP) {
		ksft_diag("KVM_GET_XCRS at reset: nr %u xcr %u value %#llx",
			  xcrs.nr_xcrs, xcrs.xcrs[0].xcr,
			  (unsigned long long)xcrs.xcrs[0].value);
		goto out;
	}
	if (gvcpu_run_sync(v, 1, &val))
		goto out;
	memset(&xcrs, 0, sizeof(xcrs));
	if (khv_ioctl(v->fd, KVM_GET_XCRS, (unsigned long)&xcrs))
		goto out;
	if (xcrs.xcrs[0].value == XF_FP && xcr0 != XF_FP) {
		/*
		 * The hypervisor never saw the XSETBV: QEMU's TCG does not
		 * intercept it for a nested guest. Its effect on CPUID and
		 * KVM_GET_XCRS cannot be shown on this CPU; the rest can, with
		 * XCR0 set by KVM_SET_XCRS below.
		 */
		ksft_diag("XSETBV did not exit to the hypervisor on this CPU: "
			  "its CPUID and KVM_GET_XCRS effects not checked");
	} else if (xcrs.xcrs[0].value != xcr0 || val != size) {
		ksft_diag("after XSETBV(%#llx): KVM_GET_XCRS %#llx, CPUID.(0xD,0).EBX %#llx "
			  "(wanted %#llx)", (unsigned long long)xcr0,
			  (unsigned long long)xcrs.xcrs[0].value,
			  (unsigned long long)val, (unsigned long long)size);
		goto out;
	}
	/* KVM_SET_XCRS: checked as XSETBV, the same value round-trips */
	xcrs.xcrs[0].value = 0;
	if (khv_ioctl(v->fd, KVM_SET_XCRS, (unsigned long)&xcrs) != -EINVAL)
		goto fail_xcrs;
	xcrs.xcrs[0].value = XF_FP | (1ull << 9);
	if (khv_ioctl(v->fd, KVM_SET_XCRS, (unsigned long)&xcrs) != -EINVAL)
		goto fail_xcrs;
	xcrs.xcrs[0].value = xcr0;
	xcrs.flags = 1;
	if (khv_ioctl(v->fd, KVM_SET_XCRS, (unsigned long)&xcrs) != -EINVAL)
		goto fail_xcrs;
	xcrs.flags = 0;
	if (khv_ioctl(v->fd, KVM_SET_XCRS, (unsigned long)&xcrs))
		goto fail_xcrs;
	if (!(xcr0 & XF_YMM)) {
		ksft_diag("no AVX offered: the AVX state part is not run");
		r = gvcpu_run_done(v) ? KSFT_FAIL : KSFT_PASS;
		goto out;
	}
	if (gvcpu_run_sync(v, 2, NULL))
		goto out;
	/* as QEMU: KVM_GET_XSAVE2 when the state outgrows 4 KiB */
	bufsize = khv_cap(sys_fd, KVM_CAP_XSAVE2);
	if (bufsize < (long)sizeof(*xs))
		bufsize = sizeof(*xs);
	xs = calloc(1, bufsize);
	if (!xs || khv_ioctl(v->fd, bufsize > (long)sizeof(*xs) ?
			     KVM_GET_XSAVE2 : KVM_GET_XSAVE, (unsigned long)xs)) {
		ksft_diag("KVM_GET_XSAVE failed");
		goto out;
	}
	hi = (uint64_t *)((char *)xs->region + d2->ebx);
	if (!(((uint64_t *)((char *)xs->region + XSAVE_HDR_OFF))[0] & XF_YMM) ||
	    hi[0] != 0x3333333333333333ull || hi[1] != 0x4444444444444444ull) {
		ksft_diag("YMM0's upper half in KVM_GET_XSAVE: %#llx %#llx",
			  (unsigned long long)hi[0], (unsigned long long)hi[1]);
		goto out;
	}
	hi[0] = 0x5555555555555555ull;
	hi[1] = 0x5555555555555555ull ^ 0x77;
	if (khv_ioctl(v->fd, KVM_SET_XSAVE, (unsigned long)xs)) {
		ksft_diag("KVM_SET_XSAVE failed");
		goto out;
	}
	if (gvcpu_run_sync(v, 3, &val) || val != 0x77) {
		ksft_diag("YMM0 after KVM_SET_XSAVE: xor %#llx", (unsigned long long)val);
		goto out;
	}
	r = gvcpu_run_done(v) ? KSFT_FAIL : KSFT_PASS;
	goto out;
fail_xcrs:
	ksft_diag("KVM_SET_XCRS accepted a bad value or refused a good one");
out:
	free(xs);
	free(c);
	gvm_teardown(vm, v);
	return r;
}

/* The ioctls' own checks and sizes, without running a guest. */
static int t_xsave_ioctls(void)
{
	struct kvm_cpuid2 *c = khv_supported_cpuid(sys_fd);
	struct gvm *vm = gvm_create(sys_fd, 0);
	struct gvcpu *v = vm ? gvcpu_create(vm, 0) : NULL;
	long size = khv_cap(sys_fd, KVM_CAP_XSAVE2);
	uint64_t offered = c ? supported_xcr0(c) : 0;
	struct kvm_xsave *xs = NULL;
	int r = KSFT_FAIL;

	if (!v || !c)
		goto out;
	if (!khv_cap(sys_fd, KVM_CAP_XSAVE) || size < 4096) {
		ksft_diag("KVM_CAP_XSAVE %ld, KVM_CAP_XSAVE2 %ld",
			  khv_cap(sys_fd, KVM_CAP_XSAVE), size);
		goto out;
	}
	xs = calloc(1, size);
	if (!xs || khv_ioctl(v->fd, KVM_GET_XSAVE2, (unsigned long)xs)) {
		ksft_diag("KVM_GET_XSAVE2 failed");
		goto out;
	}
	/* reset: FCW 0x37f, MXCSR 0x1f80 */
	if ((xs->region[0] & 0xffff) != 0x37f || xs->region[6] != 0x1f80) {
		ksft_diag("reset FCW %#x MXCSR %#x", xs->region[0] & 0xffff,
			  xs->region[6]);
		goto out;
	}
	if (khv_ioctl(v->fd, KVM_SET_XSAVE, (unsigned long)xs)) {
		ksft_diag("KVM_SET_XSAVE of what KVM_GET_XSAVE2 gave failed");
		goto out;
	}
	/* MXCSR reserved bits (checked with SSE state present), a component
	 * never offered: EINVAL */
	((uint64_t *)((char *)xs->region + XSAVE_HDR_OFF))[0] |= XF_SSE;
	xs->region[6] = 0xffffffff;
	if (khv_ioctl(v->fd, KVM_SET_XSAVE, (unsigned long)xs) != -EINVAL) {
		ksft_diag("KVM_SET_XSAVE took reserved MXCSR bits");
		goto out;
	}
	xs->region[6] = 0x1f80;
	if (offered) {
		((uint64_t *)((char *)xs->region + XSAVE_HDR_OFF))[0] |= 1ull << 62;
		if (khv_ioctl(v->fd, KVM_SET_XSAVE, (unsigned long)xs) != -EINVAL) {
			ksft_diag("KVM_SET_XSAVE took an XSTATE_BV bit never offered");
			goto out;
		}
	}
	r = KSFT_PASS;
out:
	free(xs);
	free(c);
	gvm_teardown(vm, v);
	return r;
}

#define DR_VALUE(n)	(0x1000ull * ((n) + 1) + 0xabc0000)

GUEST_CODE static void guest_dr(uint64_t a0, uint64_t a1)
{
	uint64_t v0, v3, v7;

	__asm__ volatile("mov %%db0, %0" : "=r"(v0));
	__asm__ volatile("mov %%db3, %0" : "=r"(v3));
	__asm__ volatile("mov %%db7, %0" : "=r"(v7));
	GUEST_ASSERT_EQ(v0, DR_VALUE(0));
	GUEST_ASSERT_EQ(v3, DR_VALUE(3));
	GUEST_ASSERT_EQ(v7, 0x400);
	__asm__ volatile("mov %0, %%db1" : : "r"(DR_VALUE(7)));
	GUEST_DONE();
}

static int t_debugregs(void)
{
	struct gvm *vm = gvm_create(sys_fd, 0);
	struct gvcpu *v = vm ? gvcpu_create_long(vm, 0, guest_dr, 0, 0) : NULL;
	struct kvm_debugregs d;
	int r = KSFT_FAIL, i;

	if (!v)
		goto out;
	if (!khv_cap(sys_fd, KVM_CAP_DEBUGREGS)) {
		r = KSFT_SKIP;
		goto out;
	}
	memset(&d, 0xcc, sizeof(d));
	if (khv_ioctl(v->fd, KVM_GET_DEBUGREGS, (unsigned long)&d) ||
	    d.db[0] || d.db[3] || (d.dr6 & 0xffff0ff0) != 0xffff0ff0 ||
	    d.dr7 != 0x400 || d.flags) {
		ksft_diag("reset: db0 %#llx dr6 %#llx dr7 %#llx flags %#llx",
			  (unsigned long long)d.db[0], (unsigned long long)d.dr6,
			  (unsigned long long)d.dr7, (unsigned long long)d.flags);
		goto out;
	}
	for (i = 0; i < 4; i++)
		d.db[i] = DR_VALUE(i);
	d.dr7 = 1ull << 32;
	if (khv_ioctl(v->fd, KVM_SET_DEBUGREGS, (unsigned long)&d) != -EINVAL)
		goto bad_check;
	d.dr7 = 0x400;
	d.dr6 = 1ull << 40;
	if (khv_ioctl(v->fd, KVM_SET_DEBUGREGS, (unsigned long)&d) != -EINVAL)
		goto bad_check;
	d.dr6 = 0xffff0ff0;
	d.flags = 1;
	if (khv_ioctl(v->fd, KVM_SET_DEBUGREGS, (unsigned long)&d) != -EINVAL)
		goto bad_check;
	d.flags = 0;
	if (khv_ioctl(v->fd, KVM_SET_DEBUGREGS, (unsigned long)&d))
		goto bad_check;
	if (gvcpu_run_done(v))
		goto out;
	memset(&d, 0, sizeof(d));
	if (khv_ioctl(v->fd, KVM_GET_DEBUGREGS, (unsigned long)&d) ||
	    d.db[1] != DR_VALUE(7) || d.db[2] != DR_VALUE(2)) {
		ksft_diag("after the guest: db1 %#llx db2 %#llx",
			  (unsigned long long)d.db[1], (unsigned long long)d.db[2]);
		goto out;
	}
	r = KSFT_PASS;
	goto out;
bad_check:
	ksft_diag("KVM_SET_DEBUGREGS: a bad value taken or a good one refused");
out:
	gvm_teardown(vm, v);
	return r;
}

static const struct ksft_case cases[] = {
	{ "cpuid_leaf_d", t_cpuid_leaf_d },
	{ "xsave_ioctls", t_xsave_ioctls },
	{ "xsetbv_and_state", t_xsetbv_and_state },
	{ "debugregs", t_debugregs },
};

int main(int argc, char **argv)
{
	khv_test_init(argc, argv);
	sys_fd = khv_open_dev();
	return KSFT_RUN(cases);
}
