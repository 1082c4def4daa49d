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

static long cap(struct hv *hv, long which)
{
	int r = ioctl(hv->sys_fd, KVM_CHECK_EXTENSION, which);

	return r > 0 ? r : 0;
}

static int check_caps(struct hv *hv)
{
	struct hv_caps *c = &hv->caps;

	for (size_t i = 0; i < ARRAY_SIZE(required_caps); i++) {
		if (!cap(hv, required_caps[i].cap)) {
			vmm_msg("%s lacks %s", hv->dev, required_caps[i].name);
			return -ENOTSUP;
		}
	}
	c->irqchip = cap(hv, KVM_CAP_IRQCHIP);
	c->pit2 = cap(hv, KVM_CAP_PIT2);
	c->ioeventfd = cap(hv, KVM_CAP_IOEVENTFD);
	c->irqfd = cap(hv, KVM_CAP_IRQFD);
	c->irqfd_resample = cap(hv, KVM_CAP_IRQFD_RESAMPLE);
	c->max_vcpus = cap(hv, KVM_CAP_MAX_VCPUS);
	c->nr_vcpus = cap(hv, KVM_CAP_NR_VCPUS);
	c->max_vcpu_id = cap(hv, KVM_CAP_MAX_VCPU_ID);
	return 0;
}

int hv_open(struct hv *hv, const char *dev)
{
	int r;

	memset(hv, 0, sizeof(*hv));
	hv->dev = dev;
	hv->vm_fd = -1;
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
	r = ioctl(hv->sys_fd, KVM_GET_VCPU_MMAP_SIZE, 0);
	if (r < (int)sizeof(struct kvm_run))
		return vmm_err(r < 0 ? -errno : -EINVAL, "KVM_GET_VCPU_MMAP_SIZE");
	hv->run_size = (size_t)r;
	return 0;
}

int hv_create_irqchip(struct hv *hv, bool pit)
{
	struct kvm_pit_config pc = { .flags = KVM_PIT_SPEAKER_DUMMY };

	if (ioctl(hv->vm_fd, KVM_CREATE_IRQCHIP, 0) < 0)
		return vmm_err(-errno, "%s: KVM_CREATE_IRQCHIP", hv->dev);
	if (pit && ioctl(hv->vm_fd, KVM_CREATE_PIT2, &pc) < 0)
		return vmm_err(-errno, "%s: KVM_CREATE_PIT2", hv->dev);
	return 0;
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

int hv_supported_cpuid(struct hv *hv, struct kvm_cpuid2 **out)
{
	size_t bytes = sizeof(struct kvm_cpuid2) +
		       CPUID_MAX_ENTRIES * sizeof(struct kvm_cpuid_entry2);
	struct kvm_cpuid2 *c = calloc(1, bytes);

	if (!c)
		return -ENOMEM;
	c->nent = CPUID_MAX_ENTRIES;
	if (ioctl(hv->sys_fd, KVM_GET_SUPPORTED_CPUID, c) < 0) {
		free(c);
		return vmm_err(-errno, "KVM_GET_SUPPORTED_CPUID");
	}
	*out = c;
	return 0;
}

int hv_create_vcpu(struct hv *hv, struct hv_vcpu *v, unsigned int id,
		   const struct kvm_cpuid2 *cpuid)
{
	v->id = id;
	v->run = NULL;
	v->fd = ioctl(hv->vm_fd, KVM_CREATE_VCPU, (unsigned long)id);
	if (v->fd < 0)
		return vmm_err(-errno, "KVM_CREATE_VCPU %u", id);
	v->run_size = hv->run_size;
	v->run = mmap(NULL, v->run_size, PROT_READ | PROT_WRITE, MAP_SHARED,
		      v->fd, 0);
	if (v->run == MAP_FAILED) {
		v->run = NULL;
		return vmm_err(-errno, "mmap of vCPU %u's kvm_run", id);
	}
	if (ioctl(v->fd, KVM_SET_CPUID2, cpuid) < 0)
		return vmm_err(-errno, "KVM_SET_CPUID2 (vCPU %u)", id);
	return 0;
}

static struct kvm_segment flat_segment(uint16_t sel, uint8_t type, int code64)
{
	return (struct kvm_segment){
		.base = 0, .limit = 0xffffffff, .selector = sel, .type = type,
		.present = 1, .dpl = 0, .db = !code64, .s = 1, .l = !!code64,
		.g = 1,
	};
}

int hv_setup_long_mode(struct hv_vcpu *v, uint64_t entry, uint64_t zero_page,
		       bool lapic)
{
	struct kvm_sregs s;
	struct kvm_regs r = { 0 };

	if (ioctl(v->fd, KVM_GET_SREGS, &s) < 0)
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
	/* The BSP; without a LAPIC, its base with the enable bit clear. */
	s.apic_base = 0xfee00000 | 0x100 | (lapic ? 0x800 : 0);
	if (ioctl(v->fd, KVM_SET_SREGS, &s) < 0)
		return vmm_err(-errno, "KVM_SET_SREGS (long mode)");
	r.rip = entry;
	r.rsi = zero_page;
	r.rsp = BOOT_STACK_TOP;
	r.rflags = 0x2;
	if (ioctl(v->fd, KVM_SET_REGS, &r) < 0)
		return vmm_err(-errno, "KVM_SET_REGS");
	return 0;
}

int hv_interrupt(struct hv_vcpu *v, uint8_t vector)
{
	struct kvm_interrupt irq = { .irq = vector };

	if (ioctl(v->fd, KVM_INTERRUPT, &irq) < 0)
		return vmm_err(-errno, "KVM_INTERRUPT vector %u", vector);
	return 0;
}

int hv_irq_line(struct hv *hv, unsigned int gsi, int level)
{
	struct kvm_irq_level l = { .irq = gsi, .level = level ? 1 : 0 };

	if (ioctl(hv->vm_fd, KVM_IRQ_LINE, &l) < 0)
		return vmm_err(-errno, "KVM_IRQ_LINE %u level %d", gsi, level);
	return 0;
}

int hv_ioeventfd(struct hv *hv, uint64_t addr, unsigned int len,
		 uint64_t value, int fd, bool assign)
{
	struct kvm_ioeventfd e = {
		.datamatch = value, .addr = addr, .len = len, .fd = fd,
		.flags = KVM_IOEVENTFD_FLAG_DATAMATCH |
			 (assign ? 0 : KVM_IOEVENTFD_FLAG_DEASSIGN),
	};

	if (ioctl(hv->vm_fd, KVM_IOEVENTFD, &e) < 0)
		return vmm_err(-errno, "KVM_IOEVENTFD %s at %#llx",
			       assign ? "assign" : "deassign",
			       (unsigned long long)addr);
	return 0;
}

int hv_irqfd(struct hv *hv, unsigned int gsi, int fd, int resample_fd)
{
	struct kvm_irqfd f = {
		.fd = (uint32_t)fd, .gsi = gsi, .flags = KVM_IRQFD_FLAG_RESAMPLE,
		.resamplefd = (uint32_t)resample_fd,
	};

	if (ioctl(hv->vm_fd, KVM_IRQFD, &f) < 0)
		return vmm_err(-errno, "KVM_IRQFD on GSI %u", gsi);
	return 0;
}

int hv_vcpu_stopped(struct hv_vcpu *v, struct hv_stop_answer *a)
{
	struct kvm_mp_state mp;
	struct kvm_regs r;

	if (ioctl(v->fd, KVM_GET_MP_STATE, &mp) < 0)
		return vmm_err(-errno, "KVM_GET_MP_STATE (vCPU %u)", v->id);
	if (ioctl(v->fd, KVM_GET_REGS, &r) < 0)
		return vmm_err(-errno, "KVM_GET_REGS (vCPU %u)", v->id);
	a->mp_state = mp.mp_state;
	a->rip = r.rip;
	a->rflags = r.rflags;
	switch (mp.mp_state) {
	case KVM_MP_STATE_UNINITIALIZED:
	case KVM_MP_STATE_INIT_RECEIVED:
		a->stopped = true;
		break;
	case KVM_MP_STATE_HALTED:
		a->stopped = !(r.rflags & 0x200);	/* IF */
		break;
	default:
		a->stopped = false;
		break;
	}
	return 0;
}

void hv_dump_regs(struct hv_vcpu *v)
{
	struct kvm_regs r;
	struct kvm_sregs s;

	if (ioctl(v->fd, KVM_GET_REGS, &r) < 0 ||
	    ioctl(v->fd, KVM_GET_SREGS, &s) < 0) {
		vmm_err(-errno, "cannot read vCPU %u's registers", v->id);
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
