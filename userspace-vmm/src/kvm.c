// SPDX-License-Identifier: GPL-2.0
/* KVM ABI wrapper. See kvm.h. */
#include "kvm.h"

#include "boot.h"
#include "util.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#define CPUID_MAX_ENTRIES 256
#define TSS_ADDR 0xfffbd000	/* KVM's VMX real-mode helper; khv accepts it */

static const struct {
	long cap;
	const char *name;
} required_caps[] = {
	{ KVM_CAP_USER_MEMORY, "KVM_CAP_USER_MEMORY" },
	{ KVM_CAP_IMMEDIATE_EXIT, "KVM_CAP_IMMEDIATE_EXIT" },
	{ KVM_CAP_EXT_CPUID, "KVM_CAP_EXT_CPUID" },
	{ KVM_CAP_SET_TSS_ADDR, "KVM_CAP_SET_TSS_ADDR" },
};

static int check_caps(struct hv *hv)
{
	for (size_t i = 0; i < ARRAY_SIZE(required_caps); i++) {
		if (ioctl(hv->sys_fd, KVM_CHECK_EXTENSION, required_caps[i].cap) <= 0) {
			vmm_msg("%s lacks %s", hv->dev, required_caps[i].name);
			return -ENOTSUP;
		}
	}
	return 0;
}

int hv_open(struct hv *hv, const char *dev)
{
	int r;

	hv->dev = dev;
	hv->vm_fd = hv->vcpu_fd = -1;
	hv->run = NULL;
	hv->sys_fd = open(dev, O_RDWR | O_CLOEXEC);
	if (hv->sys_fd < 0)
		return vmm_err(-errno, "cannot open %s", dev);
	r = ioctl(hv->sys_fd, KVM_GET_API_VERSION, 0);
	if (r < 0)
		return vmm_err(-errno, "%s: not a KVM-compatible device", dev);
	if (r != KVM_API_VERSION) {
		vmm_msg("%s: API version %d, want %d", dev, r, KVM_API_VERSION);
		return -ENOTSUP;
	}
	r = check_caps(hv);
	if (r)
		return r;
	hv->vm_fd = ioctl(hv->sys_fd, KVM_CREATE_VM, 0);
	if (hv->vm_fd < 0)
		return vmm_err(-errno, "%s: KVM_CREATE_VM", dev);
	if (ioctl(hv->vm_fd, KVM_SET_TSS_ADDR, TSS_ADDR) < 0)
		return vmm_err(-errno, "%s: KVM_SET_TSS_ADDR", dev);
	return 0;
}

void hv_close(struct hv *hv)
{
	if (hv->run)
		munmap(hv->run, hv->run_size);
	if (hv->vcpu_fd >= 0)
		close(hv->vcpu_fd);
	if (hv->vm_fd >= 0)
		close(hv->vm_fd);
	if (hv->sys_fd >= 0)
		close(hv->sys_fd);
	hv->run = NULL;
	hv->vcpu_fd = hv->vm_fd = hv->sys_fd = -1;
}

int hv_set_ram(struct hv *hv, void *host, uint64_t size)
{
	struct kvm_userspace_memory_region r = {
		.slot = 0,
		.guest_phys_addr = 0,
		.memory_size = size,
		.userspace_addr = (uint64_t)(uintptr_t)host,
	};

	if (ioctl(hv->vm_fd, KVM_SET_USER_MEMORY_REGION, &r) < 0)
		return vmm_err(-errno, "KVM_SET_USER_MEMORY_REGION (%llu MiB)",
			       (unsigned long long)(size >> 20));
	return 0;
}

static struct kvm_cpuid_entry2 *find_leaf(struct kvm_cpuid2 *c, uint32_t fn)
{
	for (uint32_t i = 0; i < c->nent; i++)
		if (c->entries[i].function == fn)
			return &c->entries[i];
	return NULL;
}

void hv_filter_cpuid(struct kvm_cpuid2 *c)
{
	struct kvm_cpuid_entry2 *e = find_leaf(c, 1), *sig;

	if (e) {
		e->ecx &= ~(1u << 21);	/* x2APIC */
		e->ecx &= ~(1u << 24);	/* TSC-deadline timer */
		e->edx &= ~(1u << 9);	/* APIC: the LAPIC is disabled */
	}
	sig = find_leaf(c, 0x40000000);
	/* "KVMKVMKVM\0\0\0": hide kvmclock and the other PV features. */
	if (sig && sig->ebx == 0x4b4d564b && sig->ecx == 0x564b4d56 &&
	    sig->edx == 0x4d) {
		e = find_leaf(c, 0x40000001);
		if (e)
			e->eax = e->ebx = e->ecx = e->edx = 0;
	}
}

static int setup_cpuid(struct hv *hv)
{
	size_t bytes = sizeof(struct kvm_cpuid2) +
		       CPUID_MAX_ENTRIES * sizeof(struct kvm_cpuid_entry2);
	struct kvm_cpuid2 *c = calloc(1, bytes);
	int r = 0;

	if (!c)
		return -ENOMEM;
	c->nent = CPUID_MAX_ENTRIES;
	if (ioctl(hv->sys_fd, KVM_GET_SUPPORTED_CPUID, c) < 0) {
		r = vmm_err(-errno, "KVM_GET_SUPPORTED_CPUID");
		goto out;
	}
	hv_filter_cpuid(c);
	if (ioctl(hv->vcpu_fd, KVM_SET_CPUID2, c) < 0)
		r = vmm_err(-errno, "KVM_SET_CPUID2");
out:
	free(c);
	return r;
}

int hv_create_vcpu(struct hv *hv)
{
	int size;

	hv->vcpu_fd = ioctl(hv->vm_fd, KVM_CREATE_VCPU, 0);
	if (hv->vcpu_fd < 0)
		return vmm_err(-errno, "KVM_CREATE_VCPU");
	size = ioctl(hv->sys_fd, KVM_GET_VCPU_MMAP_SIZE, 0);
	if (size < (int)sizeof(struct kvm_run))
		return vmm_err(size < 0 ? -errno : -EINVAL, "KVM_GET_VCPU_MMAP_SIZE");
	hv->run_size = (size_t)size;
	hv->run = mmap(NULL, hv->run_size, PROT_READ | PROT_WRITE, MAP_SHARED,
		       hv->vcpu_fd, 0);
	if (hv->run == MAP_FAILED) {
		hv->run = NULL;
		return vmm_err(-errno, "mmap of kvm_run");
	}
	return setup_cpuid(hv);
}

static struct kvm_segment flat_segment(uint16_t sel, uint8_t type, int code64)
{
	return (struct kvm_segment){
		.base = 0, .limit = 0xffffffff, .selector = sel, .type = type,
		.present = 1, .dpl = 0, .db = !code64, .s = 1, .l = !!code64,
		.g = 1,
	};
}

int hv_setup_long_mode(struct hv *hv, uint64_t entry, uint64_t zero_page)
{
	struct kvm_sregs s;
	struct kvm_regs r = { 0 };

	if (ioctl(hv->vcpu_fd, KVM_GET_SREGS, &s) < 0)
		return vmm_err(-errno, "KVM_GET_SREGS");
	s.cs = flat_segment(BOOT_SEL_CODE, 0xb, 1);
	s.ds = s.es = s.fs = s.gs = s.ss = flat_segment(BOOT_SEL_DATA, 0x3, 0);
	/* TR and LDTR keep their reset state (busy TSS, LDT at 0). */
	s.gdt.base = BOOT_GDT;
	s.gdt.limit = 4 * 8 - 1;
	s.idt.base = 0;
	s.idt.limit = 0;
	s.cr0 = 0x80050033;	/* PG, AM, WP, NE, ET, MP, PE */
	s.cr3 = BOOT_PML4;
	s.cr4 = 0x20;		/* PAE */
	s.efer = 0x500;		/* LMA, LME */
	/* No LAPIC: keep its base but clear the global enable bit. */
	s.apic_base = 0xfee00000 | 0x100;	/* BSP */
	if (ioctl(hv->vcpu_fd, KVM_SET_SREGS, &s) < 0)
		return vmm_err(-errno, "KVM_SET_SREGS (long mode)");
	r.rip = entry;
	r.rsi = zero_page;
	r.rsp = BOOT_STACK_TOP;
	r.rflags = 0x2;
	if (ioctl(hv->vcpu_fd, KVM_SET_REGS, &r) < 0)
		return vmm_err(-errno, "KVM_SET_REGS");
	return 0;
}

int hv_interrupt(struct hv *hv, uint8_t vector)
{
	struct kvm_interrupt irq = { .irq = vector };

	if (ioctl(hv->vcpu_fd, KVM_INTERRUPT, &irq) < 0)
		return vmm_err(-errno, "KVM_INTERRUPT vector %u", vector);
	return 0;
}

void hv_dump_regs(struct hv *hv)
{
	struct kvm_regs r;
	struct kvm_sregs s;

	if (ioctl(hv->vcpu_fd, KVM_GET_REGS, &r) < 0 ||
	    ioctl(hv->vcpu_fd, KVM_GET_SREGS, &s) < 0) {
		vmm_err(-errno, "cannot read the vCPU registers");
		return;
	}
	fprintf(stderr,
		"  rip %016llx rsp %016llx rflags %08llx\n"
		"  rax %016llx rbx %016llx rcx %016llx rdx %016llx\n"
		"  rsi %016llx rdi %016llx rbp %016llx\n"
		"  cr0 %016llx cr2 %016llx cr3 %016llx cr4 %016llx efer %llx\n"
		"  cs %04x base %llx l %u db %u  ss %04x\n",
		r.rip, r.rsp, r.rflags, r.rax, r.rbx, r.rcx, r.rdx, r.rsi,
		r.rdi, r.rbp, s.cr0, s.cr2, s.cr3, s.cr4, s.efer,
		s.cs.selector, s.cs.base, s.cs.l, s.cs.db, s.ss.selector);
}
