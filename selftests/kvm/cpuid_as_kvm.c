// SPDX-License-Identifier: GPL-2.0
/*
 * KVM_GET_SUPPORTED_CPUID as stock KVM reports it: a differential test.
 *
 * A VMM that hands the supported table to its guest (QEMU's -cpu host,
 * khv-vmm, KVM's own selftests) gives the guest the machine the
 * hypervisor describes, so khv's table should be stock KVM's on the same
 * host. In the stock lane the table is the reference: it is saved to
 * $KHV_CPUID_TABLE (default /tmp/khv-cpuid-as-kvm.stock, the test
 * machine's tmpfs, which both lanes of one boot see). In the khv lane
 * every bit that differs from it fails the test, unless the list below
 * names it with its reason (Documentation/abi.md, "CPUID"). A leaf one
 * table lacks counts as zeros there: that is what a guest's CPUID gives
 * for it. Without a reference from the same kernel the comparison is
 * skipped and says so.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "khv_test.h"

static int sys_fd;

#define TABLE_MAGIC	"khv-cpuid-as-kvm 1"
#define MAX_ENTRIES	256
#define ALL		0xffffffffu
#define B(n)		(1u << (n))

enum { EAX, EBX, ECX, EDX };

/*
 * Bits khv's table may have other than stock's, per leaf (any subleaf
 * when @any_index) and register, and why.
 */
static const struct allowed {
	uint32_t function, index;
	bool any_index;
	uint32_t mask[4];
	const char *why;
} allowed[] = {
	{ 0x0, 0, false, { ALL, 0, 0, 0 },
	  "highest basic leaf: stock lists the host's, khv those it fills" },
	{ 0x1, 0, false, { 0, 0xffff0000u, B(5), 0 },
	  "the host's APIC ID and logical count (khv: the VMM's); VMX: nested" },
	{ 0x2, 0, true, { ALL, ALL, ALL, ALL },
	  "the host's cache descriptors (khv: none)" },
	{ 0x4, 0, true, { ALL, ALL, ALL, ALL },
	  "the host's cache parameters (khv: none)" },
	{ 0x7, 0, false, { 0, B(9), B(2), B(10) | B(26) | B(27) | B(28) | B(31) },
	  "ERMS as the host kernel sees it; UMIP emulated by KVM; speculation "
	  "controls khv does not pass yet (MD_CLEAR, SPEC_CTRL, STIBP, "
	  "FLUSH_L1D, SSBD)" },
	{ 0xb, 0, true, { ALL, ALL, ALL, ALL },
	  "the host's topology (khv: the VMM's)" },
	{ 0x80000000, 0, false, { ALL, 0, 0, 0 },
	  "highest extended leaf (stock's reaches its nested SVM leaf)" },
	{ 0x80000001, 0, false, { 0, 0, B(1) | B(2), 0 },
	  "CmpLegacy (khv reports no SMT topology); SVM: nested" },
	{ 0x80000002, 0, false, { ALL, ALL, ALL, ALL }, "brand string (6.1 zeroes it)" },
	{ 0x80000003, 0, false, { ALL, ALL, ALL, ALL }, "brand string (6.1 zeroes it)" },
	{ 0x80000004, 0, false, { ALL, ALL, ALL, ALL }, "brand string (6.1 zeroes it)" },
	{ 0x80000005, 0, false, { ALL, ALL, ALL, ALL },
	  "L1 cache and TLB descriptors (6.1 zeroes them, 6.12 passes them)" },
	{ 0x80000008, 0, false, { 0xffff0000u, ALL, ALL, 0 },
	  "guest physical address size (6.12); AMD speculation-control bits and "
	  "core count" },
	{ 0x8000000a, 0, false, { ALL, ALL, ALL, ALL }, "nested SVM" },
	{ 0x40000000, 0, false, { ALL, ALL, ALL, ALL },
	  "signature: \"KhvKhvKhv\" (a VMM announces KVM's, as QEMU does)" },
	{ 0x40000001, 0, false, { ALL, ALL, ALL, ALL },
	  "KVM's PV features that khv implements (abi.md)" },
};

static const struct allowed *allowed_for(uint32_t function, uint32_t index)
{
	size_t i;

	for (i = 0; i < sizeof(allowed) / sizeof(allowed[0]); i++)
		if (allowed[i].function == function &&
		    (allowed[i].any_index || allowed[i].index == index))
			return &allowed[i];
	return NULL;
}

static const char *table_path(void)
{
	const char *p = getenv("KHV_CPUID_TABLE");

	return p && *p ? p : "/tmp/khv-cpuid-as-kvm.stock";
}

static struct kvm_cpuid2 *new_table(void)
{
	struct kvm_cpuid2 *c = calloc(1, sizeof(*c) +
				      MAX_ENTRIES * sizeof(c->entries[0]));

	if (c)
		c->nent = MAX_ENTRIES;
	return c;
}

/* The reference: all or nothing (khv_ref_create/commit). */
static int save_table(const struct kvm_cpuid2 *c)
{
	FILE *f = khv_ref_create(table_path(), TABLE_MAGIC);
	uint32_t k;

	if (!f)
		return -errno;
	for (k = 0; k < c->nent; k++) {
		const struct kvm_cpuid_entry2 *e = &c->entries[k];

		fprintf(f, "cpuid %#x %#x %#x %#x %#x %#x %#x\n", e->function,
			e->index, e->flags, e->eax, e->ebx, e->ecx, e->edx);
	}
	return khv_ref_commit(f, table_path());
}

/*
 * 0, -ENOENT (none), -ESTALE (another kernel's) or -EINVAL (malformed:
 * every line is checked, /tmp being writable by anyone).
 */
static int load_table(struct kvm_cpuid2 *c)
{
	char line[1024];
	bool end = false;
	unsigned int v[7];
	int r;
	FILE *f = khv_ref_open(table_path(), TABLE_MAGIC, &r);

	if (!f)
		return r;
	c->nent = 0;
	while (!r && !end && fgets(line, sizeof(line), f)) {
		if (!strcmp(line, "end\n")) {
			end = true;
		} else if (sscanf(line, "cpuid %x %x %x %x %x %x %x", &v[0], &v[1],
				  &v[2], &v[3], &v[4], &v[5], &v[6]) == 7 &&
			   c->nent < MAX_ENTRIES) {
			c->entries[c->nent++] = (struct kvm_cpuid_entry2){
				.function = v[0], .index = v[1], .flags = v[2],
				.eax = v[3], .ebx = v[4], .ecx = v[5], .edx = v[6] };
		} else {
			r = -EINVAL;
		}
	}
	fclose(f);
	return r ? r : end ? 0 : -EINVAL;
}

static const struct kvm_cpuid_entry2 *find(const struct kvm_cpuid2 *c,
					   uint32_t function, uint32_t index)
{
	uint32_t k;

	for (k = 0; k < c->nent; k++)
		if (c->entries[k].function == function &&
		    c->entries[k].index == index)
			return &c->entries[k];
	return NULL;
}

static void regs_of(const struct kvm_cpuid_entry2 *e, uint32_t r[4])
{
	r[EAX] = e ? e->eax : 0;
	r[EBX] = e ? e->ebx : 0;
	r[ECX] = e ? e->ecx : 0;
	r[EDX] = e ? e->edx : 0;
}

/*
 * Each (function, index) of either table, once: the bits that differ
 * outside the allowed masks are printed; returns how many entries had any.
 */
static int compare_one(const struct kvm_cpuid2 *stock, const struct kvm_cpuid2 *khv,
		       uint32_t function, uint32_t index)
{
	static const char *const name[4] = { "EAX", "EBX", "ECX", "EDX" };
	const struct kvm_cpuid_entry2 *s = find(stock, function, index);
	const struct kvm_cpuid_entry2 *k = find(khv, function, index);
	const struct allowed *a = allowed_for(function, index);
	uint32_t rs[4], rk[4];
	int i, bad = 0;

	regs_of(s, rs);
	regs_of(k, rk);
	for (i = 0; i < 4; i++) {
		uint32_t diff = (rs[i] ^ rk[i]) & ~(a ? a->mask[i] : 0);

		if (!diff)
			continue;
		ksft_diag("leaf %#x.%u %s: stock 0x%08x, khv 0x%08x (bits %#x)",
			  function, index, name[i], rs[i], rk[i], diff);
		bad = 1;
	}
	/* flags too, but for a leaf whose every bit may differ */
	if (s && k && s->flags != k->flags &&
	    !(a && (a->mask[EAX] & a->mask[EBX] & a->mask[ECX] & a->mask[EDX]) == ALL)) {
		ksft_diag("leaf %#x.%u flags: stock %#x, khv %#x", function, index,
			  s->flags, k->flags);
		bad = 1;
	}
	return bad;
}

static int t_supported(void)
{
	struct kvm_cpuid2 *mine = new_table(), *ref = new_table();
	uint32_t k;
	int r, bad = 0;

	CHECK(mine && ref, "memory");
	r = khv_ioctl(sys_fd, KVM_GET_SUPPORTED_CPUID, (unsigned long)mine);
	CHECK(!r, "KVM_GET_SUPPORTED_CPUID: %s", strerror(-r));
	if (khv_lane_is_stock()) {
		unlink(table_path());	/* no stale reference if this fails */
		r = save_table(mine);
		CHECK(!r, "%s: %s", table_path(), strerror(-r));
		ksft_diag("%u entries, the reference, saved to %s", mine->nent,
			  table_path());
		free(mine);
		free(ref);
		return KSFT_PASS;
	}
	r = load_table(ref);
	if (r == -ENOENT || r == -ESTALE) {
		free(mine);
		free(ref);
		SKIP_IF(true, "no reference from stock KVM on this kernel in %s "
			"(the stock lane writes it): comparison not done", table_path());
	}
	CHECK(!r, "%s: %s", table_path(), strerror(-r));
	for (k = 0; k < ref->nent; k++)
		bad += compare_one(ref, mine, ref->entries[k].function,
				   ref->entries[k].index);
	for (k = 0; k < mine->nent; k++)
		if (!find(ref, mine->entries[k].function, mine->entries[k].index))
			bad += compare_one(ref, mine, mine->entries[k].function,
					   mine->entries[k].index);
	ksft_diag("%u entries against stock's %u: %d differ beyond the listed bits",
		  mine->nent, ref->nent, bad);
	free(mine);
	free(ref);
	return bad ? KSFT_FAIL : KSFT_PASS;
}

static const struct ksft_case cases[] = {
	{ "supported_cpuid_as_kvm", t_supported },
};

int main(int argc, char **argv)
{
	khv_test_init(argc, argv);
	sys_fd = khv_open_dev();
	return KSFT_RUN(cases);
}
