// SPDX-License-Identifier: GPL-2.0
/*
 * MSRs as stock KVM has them (issue 12, point 7): a differential test.
 *
 * A long-mode guest sweeps every index of the architectural MSR ranges
 * (0-0x1fff, 0xc0000000-0xc0001fff, 0xc0010000-0xc0011fff). For each it
 * reads the MSR (twice, to tell a counter from a register), writes back
 * the value read, writes 0, reads what that left and writes the first
 * value back again; where 0 was taken, it does the same with a few
 * patterns (below). Each access either completes or raises #GP, which
 * the guest's handler counts and steps over; the outcomes go into a table
 * in guest memory, so the whole sweep is one KVM_RUN. The VM has the
 * in-kernel irqchip (KVM_CREATE_IRQCHIP), as QEMU's and KVM's own
 * selftests' VMs do, so the local APIC's MSRs are compared too.
 *
 * In the stock lane (kvm_amd) the table is the reference: it is saved to
 * $KHV_MSR_TABLE (default /tmp/khv-msrs-as-kvm.stock, the test machine's
 * tmpfs, which both lanes of one boot see). In the khv lane the sweep
 * runs again and every outcome that differs from the reference fails the
 * test, unless the expectations table below lists it with its reason
 * (Documentation/msrs.md explains each). Without a reference from the
 * same kernel, the comparison is skipped and says so.
 *
 * Both lanes give the guest the same CPUID, made from the test machine's
 * own CPUID masked to a fixed set of features (the_cpuid()): no
 * hypervisor's KVM_GET_SUPPORTED_CPUID enters it, so it is the same
 * whichever module is loaded, and the reference records it for the khv
 * lane to check. Firmware and test suites probe MSRs that Linux never
 * touches; which of them exist depends on the vendor and on CPUID bits,
 * and with one CPUID on both sides only the hypervisor differs.
 *
 * No MSR is left out of the sweep: every write the guest does is of a
 * value it read, 0 or a pattern, and the guest's own state survives them
 * on both lanes (EFER.LME cannot be cleared under paging, which is #GP on
 * both; FS/GS base, PAT, the MTRRs and the SYSENTER/SYSCALL MSRs are not
 * used by the guest code; each MSR gets its first value back at once).
 *
 * Two more cases check rules whose inputs the sweep does not reach, on
 * both lanes alike: TSC_ADJUST with its CPUID bit, and MCi_STATUS with
 * HWCR.McStatusWrEn.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <cpuid.h>

#include "guest.h"

static int sys_fd;

/* The swept ranges: 8 KiB of indices each. */
static const uint32_t range_base[] = { 0x00000000, 0xc0000000, 0xc0010000 };
#define NRANGES		3
#define RANGE_LEN	0x2000u
#define NMSRS		(NRANGES * RANGE_LEN)

/* What happened to one MSR; OK_* say which accesses completed. */
#define OK_RD		(1u << 0)	/* RDMSR: rd */
#define OK_RD2		(1u << 1)	/* second RDMSR: rd2 */
#define OK_WV		(1u << 2)	/* WRMSR of rd (tried only after OK_RD) */
#define OK_W0		(1u << 3)	/* WRMSR of 0 */
#define OK_R0		(1u << 4)	/* RDMSR after OK_W0: r0 */
#define OK_RESTORE	(1u << 5)	/* WRMSR of rd after OK_W0 and OK_RD */
#define OK_ALL		0x3fu

/*
 * Where writing 0 worked, a few more values are written, each followed by
 * a read and by writing the first value back: all ones (reserved bits),
 * bit 0 (an enable bit), a page address (aligned pointers) and bit 63
 * (non-canonical addresses, high reserved bits). The page is one of the
 * free area the guest does not use: an MSR that takes a guest address may
 * have the hypervisor write there (KVM's old wall-clock MSR 0x11 does at
 * once), and bit 0 as an address is page 0, also unused.
 */
#define PATTERN_PAGE	0x200000ull
_Static_assert(PATTERN_PAGE >= GUEST_FREE_GPA && PATTERN_PAGE + 0x1000 <= GUEST_FREE_END,
	       "the pattern page is in the free area");

static const uint64_t patterns[] = {
	~0ull, 1, PATTERN_PAGE, 1ull << 63,
};

#define NPAT		4
#define PAT_WR(i)	(1u << (2 * (i)))	/* WRMSR of patterns[i] */
#define PAT_RD(i)	(1u << (2 * (i) + 1))	/* RDMSR after it: pv[i] */
#define PAT_ALL		0xffu

struct outcome {
	uint64_t rd, rd2, r0, pv[NPAT];
	uint32_t ok, pok;
};

/* Guest memory (the guest's copy of these globals; see GVM_VAR). */
static struct outcome g_out[NMSRS];
static volatile uint64_t g_gp, g_bad_err;

/* #GP from RDMSR or WRMSR (both two bytes): note it and step over. */
GUEST_CODE static void on_gp(struct guest_frame *f)
{
	g_gp++;
	if (f->error_code)
		g_bad_err++;
	f->rip += 2;
}

/* 0 if the RDMSR completed, else 1 (it raised #GP). */
GUEST_CODE static int rdmsr_safe(uint32_t index, uint64_t *v)
{
	uint64_t before = g_gp;
	uint32_t lo = 0, hi = 0;

	__asm__ volatile("rdmsr" : "+a"(lo), "+d"(hi) : "c"(index) : "memory");
	*v = (uint64_t)hi << 32 | lo;
	return g_gp != before;
}

GUEST_CODE static int wrmsr_safe(uint32_t index, uint64_t v)
{
	uint64_t before = g_gp;

	__asm__ volatile("wrmsr" : : "c"(index), "a"((uint32_t)v),
			 "d"((uint32_t)(v >> 32)) : "memory");
	return g_gp != before;
}

GUEST_CODE static void sweep_patterns(uint32_t index, struct outcome *o)
{
	uint32_t i, pok = 0;

	for (i = 0; i < NPAT; i++) {
		if (wrmsr_safe(index, patterns[i]))
			continue;
		pok |= PAT_WR(i);
		if (!rdmsr_safe(index, &o->pv[i]))
			pok |= PAT_RD(i);
		wrmsr_safe(index, o->ok & OK_RD ? o->rd : 0);
	}
	o->pok = pok;
}

GUEST_CODE static void sweep_one(uint32_t index, struct outcome *o)
{
	uint32_t ok = 0;
	uint64_t v;

	if (!rdmsr_safe(index, &o->rd)) {
		ok |= OK_RD;
		if (!rdmsr_safe(index, &o->rd2))
			ok |= OK_RD2;
		if (!wrmsr_safe(index, o->rd))
			ok |= OK_WV;
	}
	if (!wrmsr_safe(index, 0)) {
		ok |= OK_W0;
		if (!rdmsr_safe(index, &v)) {
			ok |= OK_R0;
			o->r0 = v;
		}
		if ((ok & OK_RD) && !wrmsr_safe(index, o->rd))
			ok |= OK_RESTORE;
	}
	o->ok = ok;
	if (ok & OK_W0)
		sweep_patterns(index, o);
}

GUEST_CODE static void guest_sweep(uint64_t a, uint64_t b)
{
	uint32_t r, i;

	for (r = 0; r < NRANGES; r++)
		for (i = 0; i < RANGE_LEN; i++)
			sweep_one(range_base[r] + i, &g_out[r * RANGE_LEN + i]);
	GUEST_DONE();
}

/*
 * The guest's CPUID: the test machine's own leaves 0, 1, 0x80000000,
 * 0x80000001 and 0x80000008, each register masked to the features below
 * (bit numbers from the SDM vol. 2 and APM vol. 3, CPUID). They are the
 * ones an x86-64 CPU of the kind the test machine emulates has and whose
 * MSRs both hypervisors are meant to give: TSC, MSR, MCE/MCA, MTRR, PAT,
 * APIC, SYSENTER, SYSCALL, NX, long mode, RDTSCP. Left out on purpose:
 * SVM (nested virtualization), the PMU, speculation controls, x2APIC,
 * TSC deadline, XSAVE, leaf 7 and the hypervisor leaves.
 */
#define B(n)	(1u << (n))

static const struct {
	uint32_t leaf;
	uint32_t mask[4];	/* EAX, EBX, ECX, EDX */
} cpuid_masks[] = {
	{ 0x0, { 0, ~0u, ~0u, ~0u } },			/* EAX set below */
	{ 0x1, { ~0u, 0xffffu,				/* signature; CLFLUSH size */
		 B(0) | B(1) | B(9) | B(13) | B(19) | B(20) | B(23),
		 B(0) | B(1) | B(2) | B(3) | B(4) | B(5) | B(6) | B(7) | B(8) |
		 B(9) | B(11) | B(12) | B(13) | B(14) | B(15) | B(16) | B(17) |
		 B(19) | B(23) | B(24) | B(25) | B(26) } },
	{ 0x80000000, { 0, ~0u, ~0u, ~0u } },		/* EAX set below */
	{ 0x80000001, { ~0u, 0,
		 B(0) | B(5) | B(6),			/* LAHF/SAHF ABM SSE4A */
		 B(0) | B(1) | B(2) | B(3) | B(4) | B(5) | B(6) | B(7) | B(8) |
		 B(9) | B(11) | B(12) | B(13) | B(14) | B(15) | B(16) | B(17) |
		 B(20) | B(22) | B(23) | B(24) | B(25) | B(27) | B(29) } },
	{ 0x80000008, { 0xffffu, 0, 0, 0 } },		/* address sizes */
};

#define NCPUID	(sizeof(cpuid_masks) / sizeof(cpuid_masks[0]))
#define CPUID_HYPERVISOR	B(31)	/* leaf 1 ECX: set, as every guest has it */

static struct kvm_cpuid2 *the_cpuid(void)
{
	struct kvm_cpuid2 *c = calloc(1, sizeof(*c) + NCPUID * sizeof(c->entries[0]));
	uint32_t max_ext = __get_cpuid_max(0x80000000, NULL);
	size_t i, n = 0;

	if (!c)
		return NULL;
	for (i = 0; i < NCPUID; i++) {
		struct kvm_cpuid_entry2 *e = &c->entries[n];
		uint32_t leaf = cpuid_masks[i].leaf;
		uint32_t r[4];

		if (leaf >= 0x80000000 && leaf > max_ext)
			continue;
		__cpuid_count(leaf, 0, r[0], r[1], r[2], r[3]);
		e->function = leaf;
		e->eax = r[0] & cpuid_masks[i].mask[0];
		e->ebx = r[1] & cpuid_masks[i].mask[1];
		e->ecx = r[2] & cpuid_masks[i].mask[2];
		e->edx = r[3] & cpuid_masks[i].mask[3];
		if (leaf == 0x0)
			e->eax = 1;
		if (leaf == 0x1)
			e->ecx |= CPUID_HYPERVISOR;
		if (leaf == 0x80000000)
			e->eax = max_ext < 0x80000008 ? max_ext : 0x80000008;
		n++;
	}
	c->nent = n;
	return c;
}

/* ------------------------------------------------------------------ */
/* The expected differences: khv's outcome differs from stock KVM's     */
/* on purpose. Documentation/msrs.md has the same list, longer.         */
/* ------------------------------------------------------------------ */

/* What an expectation covers. */
#define D_READ		(1u << 0)	/* RDMSR completes on one side only */
#define D_VALUE		(1u << 1)	/* a value differs: first, after 0, after a pattern */
#define D_WV		(1u << 2)	/* writing back the value read */
#define D_W0		(1u << 3)	/* writing 0 */
#define D_R0		(1u << 4)	/* reading after writing 0 */
#define D_PAT		(1u << 5)	/* writing the patterns, reading after them */
#define D_ANY		0x3fu

static const struct expected {
	uint32_t first, last;
	uint32_t what;
	const char *why;
} expected[] = {
	{ 0x3b, 0x3b, D_VALUE,
	  "TSC_ADJUST adds up the guest's TSC writes: its value is how long the "
	  "sweep took between reading the TSC and writing it back" },
	{ 0xc0011029, 0xc0011029, D_WV | D_W0 | D_R0 | D_PAT | D_VALUE,
	  "DE_CFG: kvm_amd 6.1 refuses every guest write; 6.12 takes the bits "
	  "the host supports, and so does khv" },
};

#define NEXPECTED	(sizeof(expected) / sizeof(expected[0]))

/* ------------------------------------------------------------------ */
/* The reference table                                                  */
/* ------------------------------------------------------------------ */

#define TABLE_MAGIC	"khv-msrs-as-kvm 3"

static const char *table_path(void)
{
	const char *p = getenv("KHV_MSR_TABLE");

	return p && *p ? p : "/tmp/khv-msrs-as-kvm.stock";
}

static uint32_t msr_index(size_t k)
{
	return range_base[k / RANGE_LEN] + (uint32_t)(k % RANGE_LEN);
}

/* Position of @index in the sweep, or -1 outside the ranges. */
static long msr_slot(uint32_t index)
{
	int r;

	for (r = 0; r < NRANGES; r++)
		if (index - range_base[r] < RANGE_LEN)
			return (long)r * RANGE_LEN + (index - range_base[r]);
	return -1;
}

/* The reference, all or nothing (khv_ref_create/commit): CPUID, then MSRs. */
static int save_table(const struct kvm_cpuid2 *c, const struct outcome *o)
{
	FILE *f = khv_ref_create(table_path(), TABLE_MAGIC);
	size_t k;

	if (!f)
		return -errno;
	for (k = 0; k < c->nent; k++) {
		const struct kvm_cpuid_entry2 *e = &c->entries[k];

		fprintf(f, "cpuid %#x %#x %#x %#x %#x %#x\n", e->function,
			e->index, e->eax, e->ebx, e->ecx, e->edx);
	}
	/* Only MSRs where anything completed: the rest is #GP throughout. */
	for (k = 0; k < NMSRS; k++)
		if (o[k].ok)
			fprintf(f, "msr %#x %#x %#llx %#llx %#llx %#x %#llx %#llx %#llx %#llx\n",
				msr_index(k), o[k].ok, (unsigned long long)o[k].rd,
				(unsigned long long)o[k].rd2,
				(unsigned long long)o[k].r0, o[k].pok,
				(unsigned long long)o[k].pv[0],
				(unsigned long long)o[k].pv[1],
				(unsigned long long)o[k].pv[2],
				(unsigned long long)o[k].pv[3]);
	return khv_ref_commit(f, table_path());
}

/*
 * Read a reference: 0, -ENOENT (none), -ESTALE (another kernel's), or
 * -EINVAL (malformed; every line and number is checked, since the file
 * is only as trustworthy as whatever else writes to /tmp).
 */
static int load_table(struct kvm_cpuid2 *c, struct outcome *o)
{
	char line[1024];
	unsigned int a[6];
	unsigned long long rd, rd2, r0, pv[NPAT];
	bool end = false;
	uint32_t ncpuid = 0, cap = c->nent;
	int r;
	FILE *f = khv_ref_open(table_path(), TABLE_MAGIC, &r);

	if (!f)
		return r;
	memset(o, 0, NMSRS * sizeof(*o));
	while (!r && !end && fgets(line, sizeof(line), f)) {
		if (sscanf(line, "cpuid %x %x %x %x %x %x", &a[0], &a[1],
				  &a[2], &a[3], &a[4], &a[5]) == 6) {
			if (ncpuid >= cap) {
				r = -EINVAL;
				break;
			}
			c->entries[ncpuid++] = (struct kvm_cpuid_entry2){
				.function = a[0], .index = a[1], .eax = a[2],
				.ebx = a[3], .ecx = a[4], .edx = a[5] };
		} else if (sscanf(line, "msr %x %x %llx %llx %llx %x %llx %llx %llx %llx",
				  &a[0], &a[1], &rd, &rd2, &r0, &a[2], &pv[0],
				  &pv[1], &pv[2], &pv[3]) == 10) {
			long k = msr_slot(a[0]);

			if (k < 0 || !a[1] || (a[1] & ~OK_ALL) || (a[2] & ~PAT_ALL) ||
			    o[k].ok) {
				r = -EINVAL;
				break;
			}
			o[k] = (struct outcome){ .rd = rd, .rd2 = rd2, .r0 = r0,
						 .ok = a[1], .pok = a[2],
						 .pv = { pv[0], pv[1], pv[2], pv[3] } };
		} else if (!strcmp(line, "end\n")) {
			end = true;
		} else {
			r = -EINVAL;
		}
	}
	fclose(f);
	if (!r && !end)
		r = -EINVAL;
	c->nent = ncpuid;
	return r;
}

/* ------------------------------------------------------------------ */
/* The sweep                                                            */
/* ------------------------------------------------------------------ */

/* Run the sweep with CPUID @c; the outcomes into @out. 0 or -1. */
static int sweep(struct kvm_cpuid2 *c, struct outcome *out)
{
	struct gvm *vm = gvm_create(sys_fd, 0);
	struct kvm_cpuid2 *copy;
	struct gvcpu *v = NULL;
	size_t sz = sizeof(*c) + c->nent * sizeof(c->entries[0]);
	double t0;
	int r = -1;

	/* with the in-kernel irqchip, as QEMU and KVM's selftests run guests */
	if (!vm || gvm_set_handler(vm, 13, on_gp) ||
	    khv_ioctl(vm->fd, KVM_CREATE_IRQCHIP, 0)) {
		ksft_diag("VM");
		goto out;
	}
	/* gvcpu_create() sets vm->cpuid on the vCPU; gvm_destroy() frees it */
	copy = malloc(sz);
	if (!copy)
		goto out;
	memcpy(copy, c, sz);
	free(vm->cpuid);
	vm->cpuid = copy;
	v = gvcpu_create_long(vm, 0, guest_sweep, 0, 0);
	if (!v) {
		ksft_diag("vCPU");
		goto out;
	}
	t0 = ksft_mono_s();
	if (gvcpu_run_done(v))
		goto out;
	ksft_diag("%u MSRs swept in %.1f s, %llu #GP", NMSRS, ksft_mono_s() - t0,
		  (unsigned long long)*GVM_VAR(vm, g_gp));
	if (*GVM_VAR(vm, g_bad_err)) {
		ksft_diag("%llu #GP with an error code other than 0",
			  (unsigned long long)*GVM_VAR(vm, g_bad_err));
		goto out;
	}
	memcpy(out, GVM_VAR(vm, g_out[0]), sizeof(g_out));
	r = 0;
out:
	gvcpu_destroy(v);
	if (vm)
		gvm_destroy(vm);
	return r;
}

/* ------------------------------------------------------------------ */
/* The comparison                                                       */
/* ------------------------------------------------------------------ */

static const struct expected *find_expected(uint32_t index, uint32_t what)
{
	size_t i;

	for (i = 0; i < NEXPECTED; i++)
		if (index >= expected[i].first && index <= expected[i].last &&
		    (expected[i].what & what))
			return &expected[i];
	return NULL;
}

static void describe_read(char *buf, size_t len, bool ok, uint64_t v)
{
	if (ok)
		snprintf(buf, len, "%#llx", (unsigned long long)v);
	else
		snprintf(buf, len, "#GP");
}

/* The patterns' outcomes: "w/r" per pattern, w = write ok, r = value read. */
static void describe_patterns(char *buf, size_t len, const struct outcome *o)
{
	size_t at = 0;
	int i;

	for (i = 0; i < NPAT && at < len; i++) {
		char r[32];

		describe_read(r, sizeof(r), o->pok & PAT_RD(i), o->pv[i]);
		at += snprintf(buf + at, len - at, "%s%s", i ? " " : "",
			       o->pok & PAT_WR(i) ? r : "#GP");
	}
}

/* D_VALUE: the first value, what reads after 0, after each pattern. */
static void describe_values(char *buf, size_t len, const struct outcome *o)
{
	char r0[32], pat[160];

	describe_read(r0, sizeof(r0), (o->ok & OK_W0) && (o->ok & OK_R0), o->r0);
	describe_patterns(pat, sizeof(pat), o);
	snprintf(buf, len, "%#llx, after 0 %s, after the patterns %s",
		 (unsigned long long)o->rd, r0, pat);
}

static void describe(char *buf, size_t len, const struct outcome *o,
		     uint32_t what)
{
	switch (what) {
	case D_READ:
		describe_read(buf, len, o->ok & OK_RD, o->rd);
		break;
	case D_VALUE:
		describe_values(buf, len, o);
		break;
	case D_WV:
		snprintf(buf, len, "%s", o->ok & OK_WV ? "ok" : "#GP");
		break;
	case D_W0:
		snprintf(buf, len, "%s", o->ok & OK_W0 ? "ok" : "#GP");
		break;
	case D_R0:
		describe_read(buf, len, o->ok & OK_R0, o->r0);
		break;
	default:
		describe_patterns(buf, len, o);
		break;
	}
}

static const char *what_name(uint32_t what)
{
	switch (what) {
	case D_READ:	return "read";
	case D_VALUE:	return "values";
	case D_WV:	return "write of the value read";
	case D_W0:	return "write of 0";
	case D_R0:	return "read after writing 0";
	default:	return "patterns (each: #GP, or the value read after it)";
	}
}

/* A value that changed between the two reads is a counter (TSC, ...). */
static bool counter(const struct outcome *o)
{
	return (o->ok & OK_RD) && (!(o->ok & OK_RD2) || o->rd != o->rd2);
}

/* The differences of one MSR, as D_* bits. */
static uint32_t differences(const struct outcome *s, const struct outcome *k)
{
	bool both_read = (s->ok & OK_RD) && (k->ok & OK_RD);
	bool values = !counter(s) && !counter(k);
	uint32_t d = 0;
	int i;

	if ((s->ok ^ k->ok) & OK_RD)
		d |= D_READ;
	if (both_read && values && s->rd != k->rd)
		d |= D_VALUE;
	if (both_read && ((s->ok ^ k->ok) & OK_WV))
		d |= D_WV;
	if ((s->ok ^ k->ok) & OK_W0)
		return d | D_W0;
	if (!(s->ok & OK_W0))
		return d;
	if ((s->ok ^ k->ok) & OK_R0)
		d |= D_R0;
	else if ((s->ok & OK_R0) && values && s->r0 != k->r0)
		d |= D_VALUE;
	if (s->pok != k->pok)
		return d | D_PAT;
	for (i = 0; i < NPAT; i++)
		if ((s->pok & PAT_RD(i)) && values && s->pv[i] != k->pv[i])
			d |= D_VALUE;
	return d;
}

#define MAX_REPORTED	300

static int compare(const struct outcome *s, const struct outcome *k)
{
	unsigned int hits[NEXPECTED] = { 0 };
	unsigned int unexpected = 0, counters = 0;
	size_t i, n;

	for (n = 0; n < NMSRS; n++) {
		uint32_t d = differences(&s[n], &k[n]), what;
		uint32_t index = msr_index(n);

		if (counter(&s[n]) || counter(&k[n])) {
			ksft_diag("%#x changes between two reads: compared as readable only",
				  index);
			counters++;
		}
		for (what = D_READ; what & D_ANY; what <<= 1) {
			const struct expected *e = find_expected(index, what);
			char a[256], b[256];

			if (!(d & what))
				continue;
			if (e) {
				hits[e - expected]++;
				continue;
			}
			if (++unexpected > MAX_REPORTED)
				continue;
			describe(a, sizeof(a), &s[n], what);
			describe(b, sizeof(b), &k[n], what);
			ksft_diag("DIFF %#x %s: stock %s, khv %s", index,
				  what_name(what), a, b);
		}
	}
	for (i = 0; i < NEXPECTED; i++) {
		if (expected[i].first == expected[i].last)
			ksft_diag("expected: %#x, %u differences: %s",
				  expected[i].first, hits[i], expected[i].why);
		else
			ksft_diag("expected: %#x-%#x, %u differences: %s",
				  expected[i].first, expected[i].last, hits[i],
				  expected[i].why);
	}
	ksft_diag("%u counters, %u unexpected differences", counters, unexpected);
	return unexpected ? KSFT_FAIL : KSFT_PASS;
}

/* ------------------------------------------------------------------ */
/* The cases                                                            */
/* ------------------------------------------------------------------ */

static struct outcome lane_out[NMSRS], ref_out[NMSRS];
static bool swept;

static int t_sweep(void)
{
	struct kvm_cpuid2 *c = the_cpuid();
	int r;

	CHECK(c, "CPUID");
	if (khv_lane_is_stock())
		unlink(table_path());	/* no stale reference if this fails */
	r = sweep(c, lane_out);
	if (!r && khv_lane_is_stock()) {
		r = save_table(c, lane_out);
		if (r)
			ksft_diag("%s: %s", table_path(), strerror(-r));
		else
			ksft_diag("reference saved to %s", table_path());
	}
	free(c);
	CHECK(!r, "sweep");
	swept = true;
	return KSFT_PASS;
}

static int t_compare(void)
{
	struct kvm_cpuid2 *c = the_cpuid(), *ref;
	size_t sz;
	int r;

	SKIP_IF(khv_lane_is_stock(), "the stock lane is the reference");
	CHECK(c, "CPUID");
	sz = sizeof(*ref) + 64 * sizeof(ref->entries[0]);
	ref = calloc(1, sz);
	CHECK(ref, "memory");
	ref->nent = 64;
	r = load_table(ref, ref_out);
	if (r == -ENOENT || r == -ESTALE) {
		free(c);
		free(ref);
		SKIP_IF(true, "no reference from stock KVM on this kernel in %s "
			"(the stock lane writes it): comparison not done",
			table_path());
	}
	CHECK(!r, "%s: %s", table_path(), strerror(-r));
	r = ref->nent == c->nent &&
	    !memcmp(ref->entries, c->entries, c->nent * sizeof(c->entries[0]));
	free(c);
	free(ref);
	CHECK(r, "the reference was made with another CPUID");
	CHECK(swept, "the sweep on this lane did not run");
	return compare(ref_out, lane_out);
}

/* ------------------------------------------------------------------ */
/* Rules the sweep's values do not reach, checked on both lanes         */
/* ------------------------------------------------------------------ */

#define MSR_TSC			0x10
#define MSR_TSC_ADJUST		0x3b
#define MSR_MC1_STATUS		0x405
#define MSR_HWCR		0xc0010015
#define HWCR_MCSTATUSWREN	(1ull << 18)

GUEST_CODE static uint64_t guest_rdmsr(uint32_t index)
{
	uint64_t v = 0;

	GUEST_ASSERT(!rdmsr_safe(index, &v));
	return v;
}

/*
 * With TSC_ADJUST in its CPUID, the guest moves its TSC by writing
 * TSC_ADJUST, and its TSC writes move TSC_ADJUST (SDM vol. 3, 18.17.3).
 * The margins allow for the time between two instructions under TCG.
 */
GUEST_CODE static void guest_tsc_adjust(uint64_t a0, uint64_t a1)
{
	uint64_t adj = guest_rdmsr(MSR_TSC_ADJUST), t0, t1, step = 1ull << 40;

	t0 = guest_rdmsr(MSR_TSC);
	GUEST_ASSERT(!wrmsr_safe(MSR_TSC_ADJUST, adj + step));
	t1 = guest_rdmsr(MSR_TSC);
	GUEST_ASSERT_EQ(guest_rdmsr(MSR_TSC_ADJUST), adj + step);
	GUEST_ASSERT(t1 - t0 >= step && t1 - t0 < step + (1ull << 36));
	adj += step;
	t0 = guest_rdmsr(MSR_TSC);
	GUEST_ASSERT(!wrmsr_safe(MSR_TSC, t0 + (1ull << 36)));
	t1 = guest_rdmsr(MSR_TSC_ADJUST) - adj;
	GUEST_ASSERT(t1 <= (1ull << 36) && t1 > (1ull << 35));
	GUEST_DONE();
}

/* MCi_STATUS takes other values than 0 only with HWCR.McStatusWrEn (AMD). */
GUEST_CODE static void guest_mci_status(uint64_t a0, uint64_t a1)
{
	GUEST_ASSERT(wrmsr_safe(MSR_MC1_STATUS, 0x1234));
	GUEST_ASSERT(!wrmsr_safe(MSR_HWCR, HWCR_MCSTATUSWREN));
	GUEST_ASSERT_EQ(guest_rdmsr(MSR_HWCR), HWCR_MCSTATUSWREN);
	GUEST_ASSERT(!wrmsr_safe(MSR_MC1_STATUS, 0x1234));
	GUEST_ASSERT_EQ(guest_rdmsr(MSR_MC1_STATUS), 0x1234);
	GUEST_ASSERT(!wrmsr_safe(MSR_MC1_STATUS, 0));
	GUEST_DONE();
}

/* Run @fn to DONE in a vCPU with CPUID @c. */
static int run_with_cpuid(struct kvm_cpuid2 *c, const void *fn)
{
	struct gvm *vm = gvm_create(sys_fd, 0);
	struct gvcpu *v = NULL;
	int r = KSFT_FAIL;

	if (vm && !gvm_set_handler(vm, 13, on_gp)) {
		free(vm->cpuid);	/* gvm_destroy() frees @c */
		vm->cpuid = c;
		c = NULL;
		v = gvcpu_create_long(vm, 0, fn, 0, 0);
	}
	if (v && !gvcpu_run_done(v))
		r = KSFT_PASS;
	gvcpu_destroy(v);
	if (vm)
		gvm_destroy(vm);
	free(c);
	return r;
}

static int t_tsc_adjust(void)
{
	struct kvm_cpuid2 *c = the_cpuid(), *big;
	struct kvm_cpuid_entry2 *e;

	CHECK(c, "CPUID");
	big = realloc(c, sizeof(*c) + (c->nent + 1) * sizeof(c->entries[0]));
	if (!big)
		free(c);
	CHECK(big, "memory");
	/* leaf 7 with TSC_ADJUST (EBX bit 1), and leaf 0 saying it is there */
	e = &big->entries[big->nent++];
	*e = (struct kvm_cpuid_entry2){ .function = 7,
		.flags = KVM_CPUID_FLAG_SIGNIFCANT_INDEX, .ebx = 1u << 1 };
	e = cpuid_entry(big, 0, 0);
	CHECK(e, "leaf 0");
	e->eax = 7;
	return run_with_cpuid(big, guest_tsc_adjust);
}

static int t_mci_status(void)
{
	struct kvm_cpuid2 *c = the_cpuid();

	CHECK(c, "CPUID");
	if (!khv_cpu_is_amd()) {
		free(c);
		SKIP_IF(true, "McStatusWrEn is AMD's; the guest's CPUID is an Intel one");
	}
	return run_with_cpuid(c, guest_mci_status);
}

static const struct ksft_case cases[] = {
	{ "sweep", t_sweep },
	{ "compare_with_stock", t_compare },
	{ "tsc_adjust", t_tsc_adjust },
	{ "mci_status_write_enable", t_mci_status },
};

int main(int argc, char **argv)
{
	khv_test_init(argc, argv);
	sys_fd = khv_open_dev();
	return KSFT_RUN(cases);
}
