// SPDX-License-Identifier: GPL-2.0
/* Host unit test of the pure SVM/VMX support checks (svm_support.c, vmx_support.c). */
#include "ksft.h"
#include "hw_support.h"

#define SVM_OK_FACTS { .max_ext_leaf = 0x8000001f, .ext1_ecx = 1u << 2, \
		       .svm_edx = 1u << 0, .vm_cr = 0 }
#define VMX_OK_FACTS { .leaf1_ecx = 1u << 5, .feature_control = 0x5, \
		       .procbased_ctls = 1ull << 63, \
		       .procbased_ctls2 = (1ull << 33) | (1ull << 39) }

static int t_svm(void)
{
	struct svm_facts ok = SVM_OK_FACTS, f;

	CHECK(svm_check_support(&ok).verdict == KHV_HW_OK, "good CPU");
	f = ok; f.ext1_ecx = 0;
	CHECK(svm_check_support(&f).verdict == KHV_HW_ABSENT, "no SVM bit");
	f = ok; f.vm_cr = 1u << 4;
	CHECK(svm_check_support(&f).verdict == KHV_HW_DISABLED, "SVMDIS");
	f = ok; f.svm_edx = 0;
	CHECK(svm_check_support(&f).verdict == KHV_HW_MISSING, "no NPT");
	f = ok; f.max_ext_leaf = 0x80000008;
	CHECK(svm_check_support(&f).verdict == KHV_HW_MISSING, "no leaf 0x8000000a");
	f = ok; f.ext1_ecx = 0; f.vm_cr = 1u << 4;
	CHECK(svm_check_support(&f).verdict == KHV_HW_ABSENT, "absent wins");
	return KSFT_PASS;
}

static int t_vmx(void)
{
	struct vmx_facts ok = VMX_OK_FACTS, f;

	CHECK(vmx_check_support(&ok).verdict == KHV_HW_OK, "good CPU");
	f = ok; f.leaf1_ecx = 0;
	CHECK(vmx_check_support(&f).verdict == KHV_HW_ABSENT, "no VMX bit");
	f = ok; f.feature_control = 0x1;
	CHECK(vmx_check_support(&f).verdict == KHV_HW_DISABLED, "locked off");
	f = ok; f.feature_control = 0x4;
	CHECK(vmx_check_support(&f).verdict == KHV_HW_DISABLED, "not locked");
	f = ok; f.procbased_ctls = 0;
	CHECK(vmx_check_support(&f).verdict == KHV_HW_MISSING, "no secondary ctls");
	f = ok; f.procbased_ctls2 = 1ull << 33;
	CHECK(vmx_check_support(&f).verdict == KHV_HW_MISSING, "no unrestricted guest");
	f = ok; f.procbased_ctls2 = 1ull << 39;
	CHECK(vmx_check_support(&f).verdict == KHV_HW_MISSING, "no EPT");
	return KSFT_PASS;
}

static int t_messages(void)
{
	struct svm_facts s = SVM_OK_FACTS;
	struct vmx_facts v = VMX_OK_FACTS;

	CHECK(svm_check_support(&s).what && vmx_check_support(&v).what, "text");
	s.vm_cr = 1u << 4;
	v.feature_control = 0;
	CHECK(svm_check_support(&s).what[0] && vmx_check_support(&v).what[0], "text");
	return KSFT_PASS;
}

static const struct ksft_case cases[] = {
	{ "svm_support", t_svm },
	{ "vmx_support", t_vmx },
	{ "support_messages", t_messages },
};

int main(void)
{
	return KSFT_RUN(cases);
}
