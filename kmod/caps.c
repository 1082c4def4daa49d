// SPDX-License-Identifier: GPL-2.0
/*
 * The capability table: one line per KVM_CAP_* that khv implements. Every
 * capability not listed answers 0, so adding a line here is a claim that
 * the feature works (and has a selftest). Pure code: see khv_pure.h.
 */
#include <linux/kvm.h>
#include "caps.h"

struct khv_cap {
	u32 cap;
	long value;					/* when !compute */
	long (*compute)(const struct khv_host_info *host);
};

static long khv_cap_nr_vcpus(const struct khv_host_info *host)
{
	/* KVM's "recommended" vCPU count: no more than the host can run. */
	u32 n = host->online_cpus ? host->online_cpus : 1;

	return n < KHV_MAX_VCPUS ? n : KHV_MAX_VCPUS;
}

static const struct khv_cap khv_caps[] = {
	{ KVM_CAP_NR_VCPUS,		.compute = khv_cap_nr_vcpus },
	{ KVM_CAP_MAX_VCPUS,		.value = KHV_MAX_VCPUS },
	{ KVM_CAP_MAX_VCPU_ID,		.value = KHV_MAX_VCPU_IDS },
	{ KVM_CAP_CHECK_EXTENSION_VM,	.value = 1 },
};

long khv_cap_value(long cap, const struct khv_host_info *host)
{
	size_t i;

	for (i = 0; i < ARRAY_SIZE(khv_caps); i++) {
		if (khv_caps[i].cap != cap)
			continue;
		if (khv_caps[i].compute)
			return khv_caps[i].compute(host);
		return khv_caps[i].value;
	}
	return 0;
}
