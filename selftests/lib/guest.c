// SPDX-License-Identifier: GPL-2.0
/*
 * Guest-running selftest library: VMs with RAM, vCPUs in every x86 mode,
 * ucall decoding and exit reporting. See guest.h for the guest memory map.
 */
#define _GNU_SOURCE
#include <elf.h>
#include <errno.h>
#include <sched.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/mman.h>

#include "guest.h"

#define STR(x)	#x
#define XSTR(x)	STR(x)

/* ------------------------------------------------------------------ */
/* Guest side: IDT stubs, handler dispatch, return-from-guest-function */
/* ------------------------------------------------------------------ */

/* Per-VM in effect: each VM's guest has its own copy (see gvm_set_handler). */
guest_handler_t guest_handlers[256];

/*
 * 256 stubs, 16 bytes apart. Vectors without a CPU-pushed error code push
 * a 0 so every frame looks the same, then the vector. The common part
 * saves the general registers (struct guest_frame), calls the handler
 * registered for the vector with the stack 16-byte aligned, and IRETQs; a
 * vector without a handler becomes a ucall UNHANDLED(vector, rip, error).
 * An interrupt (vector 32 or above) taken with RIP on guest_wait_irq()'s
 * HLT returns past it: see guest_wait_irq() in guest.h.
 */
__asm__(
	".pushsection .text\n"
	".align 16\n"
	".globl guest_idt_stubs\n"
	"guest_idt_stubs:\n"
	".altmacro\n"
	".macro guest_stub vec\n"
	"	.align 16\n"
	"	.if ((\\vec == 8) || ((\\vec >= 10) && (\\vec <= 14)) || "
	"(\\vec == 17) || (\\vec == 21) || (\\vec == 29) || (\\vec == 30))\n"
	"	.else\n"
	"	pushq $0\n"
	"	.endif\n"
	"	pushq $\\vec\n"
	"	jmp guest_exc_common\n"
	".endm\n"
	".set vec, 0\n"
	".rept 256\n"
	"	guest_stub %vec\n"
	"	.set vec, vec + 1\n"
	".endr\n"
	".purgem guest_stub\n"
	".noaltmacro\n"
	"guest_exc_common:\n"
	"	push %rax; push %rbx; push %rcx; push %rdx\n"
	"	push %rsi; push %rdi; push %rbp; push %r8\n"
	"	push %r9; push %r10; push %r11; push %r12\n"
	"	push %r13; push %r14; push %r15\n"
	/* an interrupt taken at guest_wait_irq's HLT: resume after it */
	"	cmpq $32, 120(%rsp)\n"
	"	jb 3f\n"
	"	leaq guest_wait_irq_hlt(%rip), %rax\n"
	"	cmpq %rax, 136(%rsp)\n"
	"	jne 3f\n"
	"	incq 136(%rsp)\n"
	"3:	mov 120(%rsp), %rax\n"
	"	mov guest_handlers(,%rax,8), %rax\n"
	"	test %rax, %rax\n"
	"	jz 1f\n"
	"	mov %rsp, %rdi\n"
	"	cld\n"
	"	call *%rax\n"
	"	pop %r15; pop %r14; pop %r13; pop %r12\n"
	"	pop %r11; pop %r10; pop %r9; pop %r8\n"
	"	pop %rbp; pop %rdi; pop %rsi; pop %rdx\n"
	"	pop %rcx; pop %rbx; pop %rax\n"
	"	add $16, %rsp\n"
	"	iretq\n"
	"1:	mov 120(%rsp), %rsi\n"
	"	mov 136(%rsp), %r8\n"
	"	mov 128(%rsp), %r9\n"
	"	mov $" XSTR(UCALL_UNHANDLED) ", %edi\n"
	"	jmp guest_ucall_and_halt\n"
	/* A guest function that returns lands here: DONE. */
	".globl guest_return\n"
	"guest_return:\n"
	"	mov $" XSTR(UCALL_DONE) ", %edi\n"
	"guest_ucall_and_halt:\n"
	"	mov %edi, %eax\n"
	"	mov $" XSTR(UCALL_PORT) ", %edx\n"
	"	outl %eax, %dx\n"
	"2:	hlt\n"
	"	jmp 2b\n"
	/* guest_wait_irq(), in guest.h */
	".globl guest_wait_irq\n"
	"guest_wait_irq:\n"
	"	sti\n"
	".globl guest_wait_irq_hlt\n"
	"guest_wait_irq_hlt:\n"
	"	hlt\n"
	"	cli\n"
	"	ret\n"
	".popsection\n");

extern const char guest_idt_stubs[];
extern const char guest_return[];

/* ------------------------------------------------------------------ */
/* Small helpers                                                       */
/* ------------------------------------------------------------------ */

long khv_cap(int fd, long cap)
{
	long r = khv_ioctl(fd, KVM_CHECK_EXTENSION, cap);

	return r < 0 ? 0 : r;
}

struct kvm_cpuid2 *khv_supported_cpuid(int sys_fd)
{
	struct kvm_cpuid2 *c = NULL;
	uint32_t n;
	long r;

	for (n = 8; n <= 4096; n *= 2) {
		free(c);
		c = calloc(1, sizeof(*c) + n * sizeof(c->entries[0]));
		if (!c)
			return NULL;
		c->nent = n;
		r = khv_ioctl(sys_fd, KVM_GET_SUPPORTED_CPUID, (unsigned long)c);
		if (!r)
			return c;
		if (r != -E2BIG)
			break;
	}
	ksft_diag("KVM_GET_SUPPORTED_CPUID: %ld", r);
	free(c);
	return NULL;
}

struct kvm_cpuid_entry2 *cpuid_entry(struct kvm_cpuid2 *c, uint32_t function,
				     uint32_t index)
{
	uint32_t i;

	for (i = 0; i < c->nent; i++) {
		struct kvm_cpuid_entry2 *e = &c->entries[i];

		if (e->function != function)
			continue;
		if (!(e->flags & KVM_CPUID_FLAG_SIGNIFCANT_INDEX) ||
		    e->index == index)
			return e;
	}
	return NULL;
}

bool cpuid_has(struct kvm_cpuid2 *c, uint32_t function, int reg, int bit)
{
	struct kvm_cpuid_entry2 *e = cpuid_entry(c, function, 0);
	uint32_t regs[4];

	if (!e)
		return false;
	regs[0] = e->eax;
	regs[1] = e->ebx;
	regs[2] = e->ecx;
	regs[3] = e->edx;
	return regs[reg] & (1u << bit);
}

static const char *const exit_names[] = {
#define N(x) [KVM_EXIT_##x] = #x
	N(UNKNOWN), N(EXCEPTION), N(IO), N(HYPERCALL), N(DEBUG), N(HLT),
	N(MMIO), N(IRQ_WINDOW_OPEN), N(SHUTDOWN), N(FAIL_ENTRY), N(INTR),
	N(SET_TPR), N(TPR_ACCESS), N(NMI), N(INTERNAL_ERROR),
	N(SYSTEM_EVENT), N(IOAPIC_EOI), N(HYPERV), N(X86_RDMSR),
	N(X86_WRMSR), N(DIRTY_RING_FULL), N(X86_BUS_LOCK), N(NOTIFY),
#undef N
};

const char *kvm_exit_name(uint32_t reason)
{
	if (reason < sizeof(exit_names) / sizeof(exit_names[0]) &&
	    exit_names[reason])
		return exit_names[reason];
	return "?";
}

/* ------------------------------------------------------------------ */
/* Memory                                                              */
/* ------------------------------------------------------------------ */

int gvm_set_region(int vm_fd, uint32_t slot, uint32_t flags, uint64_t gpa,
		   uint64_t size, void *hva)
{
	struct kvm_userspace_memory_region r = {
		.slot = slot,
		.flags = flags,
		.guest_phys_addr = gpa,
		.memory_size = size,
		.userspace_addr = (uint64_t)hva,
	};

	return (int)khv_ioctl(vm_fd, KVM_SET_USER_MEMORY_REGION,
			      (unsigned long)&r);
}

static struct gvm_slot *find_slot(struct gvm *vm, uint32_t slot)
{
	int i;

	for (i = 0; i < vm->nslots; i++)
		if (vm->slots[i].slot == slot)
			return &vm->slots[i];
	return NULL;
}

void *gvm_add_slot(struct gvm *vm, uint32_t slot, uint64_t gpa, uint64_t size,
		   uint32_t flags)
{
	struct gvm_slot *s;
	void *hva;
	int r;

	s = realloc(vm->slots, (vm->nslots + 1) * sizeof(*s));
	if (!s)
		return NULL;
	vm->slots = s;
	hva = mmap(NULL, size, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (hva == MAP_FAILED) {
		ksft_diag("mmap %#llx bytes: %s", (unsigned long long)size,
			  strerror(errno));
		return NULL;
	}
	r = gvm_set_region(vm->fd, slot, flags, gpa, size, hva);
	if (r) {
		ksft_diag("slot %u at %#llx size %#llx: %s", slot,
			  (unsigned long long)gpa, (unsigned long long)size,
			  strerror(-r));
		munmap(hva, size);
		return NULL;
	}
	vm->slots[vm->nslots++] = (struct gvm_slot){ slot, flags, gpa, size, hva };
	return hva;
}

int gvm_move_slot(struct gvm *vm, uint32_t slot, uint64_t new_gpa)
{
	struct gvm_slot *s = find_slot(vm, slot);
	int r;

	if (!s)
		return -ENOENT;
	r = gvm_set_region(vm->fd, slot, s->flags, new_gpa, s->size, s->hva);
	if (!r)
		s->gpa = new_gpa;
	return r;
}

int gvm_delete_slot(struct gvm *vm, uint32_t slot)
{
	struct gvm_slot *s = find_slot(vm, slot);
	int r;

	if (!s)
		return -ENOENT;
	r = gvm_set_region(vm->fd, slot, s->flags, s->gpa, 0, s->hva);
	if (r)
		return r;
	munmap(s->hva, s->size);
	*s = vm->slots[--vm->nslots];
	return 0;
}

void *gvm_hva(struct gvm *vm, uint64_t gpa)
{
	int i;

	for (i = 0; i < vm->nslots; i++) {
		struct gvm_slot *s = &vm->slots[i];

		if (gpa >= s->gpa && gpa - s->gpa < s->size)
			return (char *)s->hva + (gpa - s->gpa);
	}
	return NULL;
}

/* Bytes of guest memory contiguous in one slot from @gpa. */
static uint64_t gvm_bytes_at(struct gvm *vm, uint64_t gpa)
{
	int i;

	for (i = 0; i < vm->nslots; i++) {
		struct gvm_slot *s = &vm->slots[i];

		if (gpa >= s->gpa && gpa - s->gpa < s->size)
			return s->size - (gpa - s->gpa);
	}
	return 0;
}

int gvm_set_handler(struct gvm *vm, int vector, guest_handler_t fn)
{
	guest_handler_t *p;

	if (vector < 0 || vector > 255)
		return -EINVAL;
	p = GVM_VAR(vm, guest_handlers[vector]);
	if (!p)
		return -EFAULT;
	*p = fn;
	return 0;
}

int gvm_set_msi_route(struct gvm *vm, uint32_t gsi, uint32_t address_lo,
		      uint32_t data)
{
	struct {
		struct kvm_irq_routing r;
		struct kvm_irq_routing_entry e[1];
	} rt;

	memset(&rt, 0, sizeof(rt));
	rt.r.nr = 1;
	rt.e[0].gsi = gsi;
	rt.e[0].type = KVM_IRQ_ROUTING_MSI;
	rt.e[0].u.msi.address_lo = address_lo;
	rt.e[0].u.msi.data = data;
	return (int)khv_ioctl(vm->fd, KVM_SET_GSI_ROUTING, (unsigned long)&rt);
}

int gvm_set_gate_stack(struct gvm *vm, int vector, bool ist)
{
	uint64_t *gate = gvm_hva(vm, GUEST_IDT_GPA + 16 * vector);

	if (vector < 0 || vector > 255)
		return -EINVAL;
	if (!gate)
		return -EFAULT;
	*gate &= ~(7ull << 32);
	if (ist)
		*gate |= (vector == 2 ? 2ull : 1ull) << 32;
	return 0;
}

/* ------------------------------------------------------------------ */
/* The guest image: descriptor tables, page tables, the test binary     */
/* ------------------------------------------------------------------ */

/* A GDT descriptor; @flags holds G, D/B, L, AVL in bits 3..0. */
static uint64_t gdt_desc(uint32_t base, uint32_t limit, uint8_t access,
			 uint8_t flags)
{
	return (limit & 0xffffull) | (uint64_t)(base & 0xffffff) << 16 |
	       (uint64_t)access << 40 | (uint64_t)((limit >> 16) & 0xf) << 48 |
	       (uint64_t)(flags & 0xf) << 52 | (uint64_t)(base >> 24) << 56;
}

#define TSS_LIMIT	0x67
#define IST_SIZE	0x3000ull

_Static_assert(GDT_TSS + 16 * GUEST_MAX_VCPUS - 1 == GUEST_GDT_LIMIT,
	       "GUEST_GDT_LIMIT");
_Static_assert(GUEST_TSS_GPA + GUEST_TSS_SIZE * GUEST_MAX_VCPUS <= GUEST_FREE_GPA,
	       "TSS area");

static uint64_t tss_gpa(int id)
{
	return GUEST_TSS_GPA + (uint64_t)id * GUEST_TSS_SIZE;
}

/* The top of vCPU @id's stack; its IST stacks are at the bottom. */
static uint64_t stack_top(struct gvm *vm, int id)
{
	return vm->ram_size - (uint64_t)id * GUEST_STACK_SIZE;
}

static void build_gdt(struct gvm *vm)
{
	uint64_t *gdt = gvm_hva(vm, GUEST_GDT_GPA);
	int id;

	gdt[GDT_CODE64 / 8] = gdt_desc(0, 0xfffff, 0x9b, 0xa);
	gdt[GDT_DATA / 8] = gdt_desc(0, 0xfffff, 0x93, 0xc);
	gdt[GDT_CODE32 / 8] = gdt_desc(0, 0xfffff, 0x9b, 0xc);
	gdt[GDT_CODE16 / 8] = gdt_desc(0, 0xffff, 0x9b, 0);
	gdt[GDT_DATA16 / 8] = gdt_desc(0, 0xffff, 0x93, 0);
	for (id = 0; id < GUEST_MAX_VCPUS; id++)	/* 16 bytes each */
		gdt[GDT_TSS / 8 + 2 * id] =
			gdt_desc(tss_gpa(id), TSS_LIMIT, 0x89, 0);
}

/* Each vCPU's TSS: IST1 for exceptions and interrupts, IST2 for NMIs. */
static void build_tss(struct gvm *vm)
{
	int id;

	for (id = 0; id < GUEST_MAX_VCPUS; id++) {
		uint8_t *tss = gvm_hva(vm, tss_gpa(id));
		uint64_t stack = stack_top(vm, id) - GUEST_STACK_SIZE;
		uint64_t ist1 = stack + IST_SIZE, ist2 = stack + 2 * IST_SIZE;
		uint16_t no_iomap = TSS_LIMIT + 1;

		memcpy(tss + 0x24, &ist1, 8);
		memcpy(tss + 0x2c, &ist2, 8);
		memcpy(tss + 0x66, &no_iomap, 2);
	}
}

/* 64-bit interrupt gates, DPL 0, to the stubs, on the IST stacks. */
static void build_idt(struct gvm *vm)
{
	uint64_t *idt = gvm_hva(vm, GUEST_IDT_GPA);
	int v;

	for (v = 0; v < 256; v++) {
		uint64_t addr = (uint64_t)guest_idt_stubs + 16 * v;
		uint64_t ist = v == 2 ? 2 : 1;

		idt[2 * v] = (addr & 0xffff) | (uint64_t)GDT_CODE64 << 16 |
			     ist << 32 | 0x8eull << 40 |
			     ((addr >> 16) & 0xffff) << 48;
		idt[2 * v + 1] = addr >> 32;
	}
}

/* PML4 -> PDPT -> 4 PDs of 2 MiB pages: identity map of 0..4 GiB. */
static void build_page_tables(struct gvm *vm)
{
	uint64_t *pml4 = gvm_hva(vm, GUEST_PT_GPA);
	uint64_t *pdpt = gvm_hva(vm, GUEST_PT_GPA + 0x1000);
	uint64_t i;

	pml4[0] = (GUEST_PT_GPA + 0x1000) | 3;
	for (i = 0; i < 4; i++) {
		uint64_t pd_gpa = GUEST_PT_GPA + 0x2000 + i * 0x1000;
		uint64_t *pd = gvm_hva(vm, pd_gpa);
		uint64_t j;

		pdpt[i] = pd_gpa | 3;
		for (j = 0; j < 512; j++)
			pd[j] = ((i * 512 + j) << 21) | 0x83;	/* P RW PS */
	}
}

/* Lowest GPA the vCPU stacks use. */
static uint64_t stacks_base(struct gvm *vm)
{
	return vm->ram_size - GUEST_MAX_VCPUS * GUEST_STACK_SIZE;
}

static int load_segment(struct gvm *vm, int fd, const Elf64_Phdr *ph)
{
	void *hva = gvm_hva(vm, ph->p_vaddr);

	if (ph->p_vaddr < GUEST_FREE_END ||
	    ph->p_vaddr + ph->p_memsz > stacks_base(vm) || !hva) {
		ksft_diag("segment %#llx+%#llx does not fit guest RAM",
			  (unsigned long long)ph->p_vaddr,
			  (unsigned long long)ph->p_memsz);
		return -1;
	}
	if (pread(fd, hva, ph->p_filesz, ph->p_offset) != (ssize_t)ph->p_filesz)
		return -1;
	return 0;	/* the rest up to p_memsz is fresh, zeroed memory */
}

/* The PT_LOAD segments of /proc/self/exe, at their link addresses. */
static int load_image(struct gvm *vm)
{
	Elf64_Ehdr eh;
	Elf64_Phdr ph;
	int fd, i, r = -1;

	fd = open("/proc/self/exe", O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	if (pread(fd, &eh, sizeof(eh), 0) != sizeof(eh) ||
	    memcmp(eh.e_ident, ELFMAG, SELFMAG) || eh.e_type != ET_EXEC) {
		ksft_diag("/proc/self/exe is not a static non-PIE ELF");
		goto out;
	}
	for (i = 0; i < eh.e_phnum; i++) {
		if (pread(fd, &ph, sizeof(ph), eh.e_phoff + i * sizeof(ph)) !=
		    sizeof(ph))
			goto out;
		if (ph.p_type == PT_LOAD && load_segment(vm, fd, &ph))
			goto out;
	}
	r = 0;
out:
	close(fd);
	return r;
}

struct gvm *gvm_create(int sys_fd, uint64_t ram_size)
{
	struct gvm *vm = calloc(1, sizeof(*vm));

	if (!vm)
		return NULL;
	vm->sys_fd = sys_fd;
	vm->ram_size = ram_size ? ram_size : GUEST_RAM_DEFAULT;
	vm->fd = khv_create_vm(sys_fd);
	if (vm->fd < 0) {
		ksft_diag("KVM_CREATE_VM: %s", strerror(-vm->fd));
		free(vm);
		return NULL;
	}
	vm->cpuid = khv_supported_cpuid(sys_fd);
	if (!vm->cpuid || !gvm_add_slot(vm, 0, 0, vm->ram_size, 0))
		goto fail;
	build_gdt(vm);
	build_tss(vm);
	build_idt(vm);
	build_page_tables(vm);
	if (load_image(vm))
		goto fail;
	return vm;
fail:
	gvm_destroy(vm);
	return NULL;
}

void gvm_destroy(struct gvm *vm)
{
	int i;

	if (!vm)
		return;
	close(vm->fd);
	for (i = 0; i < vm->nslots; i++)
		munmap(vm->slots[i].hva, vm->slots[i].size);
	free(vm->slots);
	free(vm->cpuid);
	free(vm);
}

/* ------------------------------------------------------------------ */
/* vCPUs                                                               */
/* ------------------------------------------------------------------ */

int gvcpu_get_regs(struct gvcpu *v, struct kvm_regs *regs)
{
	return (int)khv_ioctl(v->fd, KVM_GET_REGS, (unsigned long)regs);
}

int gvcpu_set_regs(struct gvcpu *v, const struct kvm_regs *regs)
{
	return (int)khv_ioctl(v->fd, KVM_SET_REGS, (unsigned long)regs);
}

int gvcpu_get_sregs(struct gvcpu *v, struct kvm_sregs *sregs)
{
	return (int)khv_ioctl(v->fd, KVM_GET_SREGS, (unsigned long)sregs);
}

int gvcpu_set_sregs(struct gvcpu *v, const struct kvm_sregs *sregs)
{
	return (int)khv_ioctl(v->fd, KVM_SET_SREGS, (unsigned long)sregs);
}

int gvcpu_get_msr(struct gvcpu *v, uint32_t index, uint64_t *value)
{
	struct {
		struct kvm_msrs hdr;
		struct kvm_msr_entry e;
	} m = { .hdr.nmsrs = 1, .e.index = index };
	int r = (int)khv_ioctl(v->fd, KVM_GET_MSRS, (unsigned long)&m);

	*value = m.e.data;
	return r;
}

int gvcpu_set_msr(struct gvcpu *v, uint32_t index, uint64_t value)
{
	struct {
		struct kvm_msrs hdr;
		struct kvm_msr_entry e;
	} m = { .hdr.nmsrs = 1, .e.index = index, .e.data = value };

	return (int)khv_ioctl(v->fd, KVM_SET_MSRS, (unsigned long)&m);
}

struct gvcpu *gvcpu_create(struct gvm *vm, int id)
{
	struct gvcpu *v = calloc(1, sizeof(*v));
	long sz = khv_ioctl(vm->sys_fd, KVM_GET_VCPU_MMAP_SIZE, 0);
	long r;

	if (!v)
		return NULL;
	v->vm = vm;
	v->id = id;
	v->fd = khv_create_vcpu(vm->fd, id);
	if (v->fd < 0 || sz <= 0) {
		ksft_diag("KVM_CREATE_VCPU %d: %d, mmap size %ld", id, v->fd, sz);
		if (v->fd >= 0)
			close(v->fd);
		free(v);
		return NULL;
	}
	v->run_size = sz;
	v->run = mmap(NULL, sz, PROT_READ | PROT_WRITE, MAP_SHARED, v->fd, 0);
	r = khv_ioctl(v->fd, KVM_SET_CPUID2, (unsigned long)vm->cpuid);
	if (v->run == MAP_FAILED || r) {
		ksft_diag("vCPU %d: mmap or KVM_SET_CPUID2 (%ld) failed", id, r);
		if (v->run == MAP_FAILED)
			v->run = NULL;
		gvcpu_destroy(v);
		return NULL;
	}
	return v;
}

void gvcpu_destroy(struct gvcpu *v)
{
	if (!v)
		return;
	if (v->run)
		munmap(v->run, v->run_size);
	close(v->fd);
	free(v);
}

static struct kvm_segment segment(uint16_t sel, uint64_t base, uint32_t limit,
				  uint8_t type, bool s, bool db, bool l)
{
	return (struct kvm_segment){
		.base = base, .limit = limit, .selector = sel, .type = type,
		.present = 1, .s = s, .db = db, .l = l,
		.g = limit > 0xfffff,
	};
}

static void set_data_segments(struct kvm_sregs *sr, struct kvm_segment seg)
{
	sr->ds = sr->es = sr->fs = sr->gs = sr->ss = seg;
}

#define CR0_PE	(1ull << 0)
#define CR0_MP	(1ull << 1)
#define CR0_ET	(1ull << 4)
#define CR0_NE	(1ull << 5)
#define CR0_PG	(1ull << 31)
#define CR4_PAE	(1ull << 5)
#define CR4_OSFXSR	(1ull << 9)
#define CR4_OSXMMEXCPT	(1ull << 10)
#define EFER_LME	(1ull << 8)
#define EFER_LMA	(1ull << 10)
#define EFER_NXE	(1ull << 11)

/* Descriptor-table registers, TR and LDTR of a protected-mode vCPU. */
static void set_tables(struct kvm_sregs *sr, int id, bool long_mode)
{
	sr->gdt.base = GUEST_GDT_GPA;
	sr->gdt.limit = GUEST_GDT_LIMIT;
	/* the IDT holds 64-bit gates: outside long mode a fault shuts down */
	sr->idt.base = long_mode ? GUEST_IDT_GPA : 0;
	sr->idt.limit = long_mode ? 256 * 16 - 1 : 0;
	sr->tr = segment(GDT_TSS + 16 * id, tss_gpa(id), TSS_LIMIT, 0xb, false,
			 false, false);
	sr->ldt = (struct kvm_segment){ .type = 2, .unusable = 1 };
}

static int set_mode(struct gvcpu *v, struct kvm_sregs *sr, uint64_t rip,
		    uint64_t rsp)
{
	struct kvm_regs regs = { .rip = rip, .rsp = rsp, .rflags = 2 };
	int r = gvcpu_set_sregs(v, sr);

	if (!r)
		r = gvcpu_set_regs(v, &regs);
	if (r)
		ksft_diag("vCPU %d: KVM_SET_SREGS/REGS: %s", v->id, strerror(-r));
	return r;
}

/* Get the reset sregs, let @setup change them, set them and the regs. */
static struct gvcpu *create_in_mode(struct gvm *vm, int id,
				    void (*setup)(struct gvm *, int, struct kvm_sregs *),
				    uint64_t rip, uint64_t rsp)
{
	struct gvcpu *v = gvcpu_create(vm, id);
	struct kvm_sregs sr;

	if (!v)
		return NULL;
	if (gvcpu_get_sregs(v, &sr)) {
		gvcpu_destroy(v);
		return NULL;
	}
	setup(vm, id, &sr);
	if (set_mode(v, &sr, rip, rsp)) {
		gvcpu_destroy(v);
		return NULL;
	}
	/*
	 * Set up to run: with an in-kernel irqchip an application
	 * processor would otherwise wait for INIT and SIPI (as KVM's
	 * selftests, the state is set whatever the irqchip).
	 */
	if (khv_ioctl(v->fd, KVM_SET_MP_STATE,
		      (unsigned long)&(struct kvm_mp_state){ KVM_MP_STATE_RUNNABLE })) {
		gvcpu_destroy(v);
		return NULL;
	}
	return v;
}

static void setup_long(struct gvm *vm, int id, struct kvm_sregs *sr)
{
	sr->cr0 = CR0_PE | CR0_MP | CR0_ET | CR0_NE | CR0_PG;
	sr->cr3 = GUEST_PT_GPA;
	sr->cr4 = CR4_PAE | CR4_OSFXSR | CR4_OSXMMEXCPT;
	sr->efer = EFER_LME | EFER_LMA;
	if (cpuid_has(vm->cpuid, 0x80000001, 3, 20))
		sr->efer |= EFER_NXE;
	sr->cs = segment(GDT_CODE64, 0, 0xffffffff, 0xb, true, false, true);
	set_data_segments(sr, segment(GDT_DATA, 0, 0xffffffff, 3, true, true,
				      false));
	set_tables(sr, id, true);
}

struct gvcpu *gvcpu_create_long(struct gvm *vm, int id, const void *fn,
				uint64_t arg0, uint64_t arg1)
{
	uint64_t top = stack_top(vm, id);
	struct kvm_regs regs;
	struct gvcpu *v;

	if (id < 0 || id >= GUEST_MAX_VCPUS) {
		ksft_diag("vCPU id %d: no guest stack for it", id);
		return NULL;
	}
	/* as if called: the return address on top, RSP+8 16-byte aligned */
	*(uint64_t *)gvm_hva(vm, top - 8) = (uint64_t)guest_return;
	v = create_in_mode(vm, id, setup_long, (uint64_t)fn, top - 8);
	if (!v)
		return NULL;
	gvcpu_get_regs(v, &regs);
	regs.rdi = arg0;
	regs.rsi = arg1;
	if (gvcpu_set_regs(v, &regs)) {
		gvcpu_destroy(v);
		return NULL;
	}
	return v;
}

static int place_code(struct gvm *vm, uint64_t gpa, const void *code,
		      size_t len)
{
	void *hva = gvm_hva(vm, gpa);

	if (!hva || gvm_bytes_at(vm, gpa) < len) {
		ksft_diag("code at %#llx: not in guest RAM",
			  (unsigned long long)gpa);
		return -1;
	}
	memcpy(hva, code, len);
	return 0;
}

/* Real mode: CS = DS = ES = SS = @gpa >> 4; the code starts at IP 0. */
struct gvcpu *gvcpu_create_real(struct gvm *vm, int id, uint64_t gpa,
				const void *code, size_t len)
{
	struct gvcpu *v;
	struct kvm_sregs sr;

	if ((gpa & 0xf) || gpa + 0x10000 > 0x100000 ||
	    place_code(vm, gpa, code, len))
		return NULL;
	v = gvcpu_create(vm, id);
	if (!v || gvcpu_get_sregs(v, &sr))
		goto fail;
	sr.cs.selector = gpa >> 4;
	sr.cs.base = gpa;
	sr.ds = sr.es = sr.ss = sr.cs;
	sr.ds.type = sr.es.type = sr.ss.type = 3;
	if (set_mode(v, &sr, 0, 0xfff0))
		goto fail;
	return v;
fail:
	gvcpu_destroy(v);
	return NULL;
}

/* 16-bit protected mode: 64 KiB segments based at @gpa, IP 0, SP 0xfff0. */
struct gvcpu *gvcpu_create_pm16(struct gvm *vm, int id, uint64_t gpa,
				const void *code, size_t len)
{
	struct gvcpu *v;
	struct kvm_sregs sr;

	if (id < 0 || id >= GUEST_MAX_VCPUS || gpa > 0xffffffffull ||
	    place_code(vm, gpa, code, len))
		return NULL;
	v = gvcpu_create(vm, id);
	if (!v || gvcpu_get_sregs(v, &sr))
		goto fail;
	sr.cr0 = CR0_PE | CR0_MP | CR0_ET | CR0_NE;
	sr.cs = segment(GDT_CODE16, gpa, 0xffff, 0xb, true, false, false);
	set_data_segments(&sr, segment(GDT_DATA16, gpa, 0xffff, 3, true, false,
				       false));
	set_tables(&sr, id, false);
	if (set_mode(v, &sr, 0, 0xfff0))
		goto fail;
	return v;
fail:
	gvcpu_destroy(v);
	return NULL;
}

static void setup_pm32(struct gvm *vm, int id, struct kvm_sregs *sr)
{
	sr->cr0 = CR0_PE | CR0_MP | CR0_ET | CR0_NE;
	sr->cr4 = CR4_OSFXSR | CR4_OSXMMEXCPT;
	sr->cs = segment(GDT_CODE32, 0, 0xffffffff, 0xb, true, true, false);
	set_data_segments(sr, segment(GDT_DATA, 0, 0xffffffff, 3, true, true,
				      false));
	set_tables(sr, id, false);
}

/* 32-bit protected mode, flat, no paging: EIP = @gpa, ESP the stack top. */
struct gvcpu *gvcpu_create_pm32(struct gvm *vm, int id, uint64_t gpa,
				const void *code, size_t len)
{
	if (id < 0 || id >= GUEST_MAX_VCPUS || gpa > 0xffffffffull ||
	    place_code(vm, gpa, code, len))
		return NULL;
	return create_in_mode(vm, id, setup_pm32, gpa, stack_top(vm, id) - 16);
}

/* ------------------------------------------------------------------ */
/* Running and exits                                                   */
/* ------------------------------------------------------------------ */

/*
 * A signal (none of these tests' business when they call this) ends
 * KVM_RUN with -EINTR: run again. Not when user space asked for that
 * with immediate_exit, which would loop forever.
 */
int gvcpu_run(struct gvcpu *v)
{
	int r;

	/*
	 * -EAGAIN: an application processor of an in-kernel irqchip that
	 * was waiting for INIT got it, and runs on (as KVM documents).
	 */
	do
		r = (int)khv_ioctl(v->fd, KVM_RUN, 0);
	while ((r == -EINTR && !v->run->immediate_exit) || r == -EAGAIN);
	return r;
}

void *gvcpu_io_data(struct gvcpu *v)
{
	return (char *)v->run + v->run->io.data_offset;
}

static bool is_ucall_exit(struct kvm_run *run)
{
	return run->exit_reason == KVM_EXIT_IO &&
	       run->io.port == UCALL_PORT &&
	       run->io.direction == KVM_EXIT_IO_OUT && run->io.size == 4 &&
	       run->io.count == 1;
}

/* Copy a NUL-terminated string from guest memory, bounded by its slot. */
static void copy_guest_string(struct gvm *vm, uint64_t gpa, char *buf,
			      size_t len)
{
	const char *src = gvm_hva(vm, gpa);
	uint64_t avail = gvm_bytes_at(vm, gpa);
	size_t i;

	for (i = 0; src && i + 1 < len && i < avail && src[i]; i++)
		buf[i] = src[i];
	buf[i] = 0;
}

int ucall_get(struct gvcpu *v, struct ucall *uc)
{
	struct kvm_regs regs;

	memset(uc, 0, sizeof(*uc));
	if (!is_ucall_exit(v->run) || gvcpu_get_regs(v, &regs))
		return UCALL_NONE;
	uc->cmd = regs.rdi;
	uc->args[0] = regs.rsi;
	uc->args[1] = regs.r8;
	uc->args[2] = regs.r9;
	uc->args[3] = regs.r10;
	uc->args[4] = regs.r11;
	if (uc->cmd == UCALL_ASSERT_FAIL) {
		copy_guest_string(v->vm, uc->args[3], uc->file, sizeof(uc->file));
		copy_guest_string(v->vm, uc->args[4], uc->expr, sizeof(uc->expr));
	}
	if (uc->cmd < UCALL_SYNC || uc->cmd > UCALL_UNHANDLED)
		uc->cmd = UCALL_NONE;
	return (int)uc->cmd;
}

static void describe_ucall(struct gvcpu *v, char *buf, size_t len)
{
	struct ucall uc;
	const char *base;

	switch (ucall_get(v, &uc)) {
	case UCALL_SYNC:
		snprintf(buf, len, "ucall SYNC(stage %llu, value %#llx)",
			 (unsigned long long)uc.args[0],
			 (unsigned long long)uc.args[1]);
		break;
	case UCALL_DONE:
		snprintf(buf, len, "ucall DONE");
		break;
	case UCALL_ASSERT_FAIL:
		base = strrchr(uc.file, '/');
		snprintf(buf, len,
			 "guest assertion failed at %s:%llu: %s (%#llx, %#llx)",
			 base ? base + 1 : uc.file,
			 (unsigned long long)uc.args[0], uc.expr,
			 (unsigned long long)uc.args[1],
			 (unsigned long long)uc.args[2]);
		break;
	case UCALL_UNHANDLED:
		snprintf(buf, len,
			 "guest exception: UNHANDLED vector %llu at rip %#llx, "
			 "error code %#llx",
			 (unsigned long long)uc.args[0],
			 (unsigned long long)uc.args[1],
			 (unsigned long long)uc.args[2]);
		break;
	default:
		snprintf(buf, len, "bad ucall command %#llx",
			 (unsigned long long)uc.cmd);
	}
}

static void describe_io(struct gvcpu *v, char *buf, size_t len)
{
	struct kvm_run *r = v->run;
	uint64_t d = 0;

	if (is_ucall_exit(r)) {
		describe_ucall(v, buf, len);
		return;
	}
	if (r->io.data_offset + r->io.size <= v->run_size)
		memcpy(&d, gvcpu_io_data(v), r->io.size < 8 ? r->io.size : 8);
	snprintf(buf, len, "%s port %#x size %u count %u data %#llx",
		 r->io.direction == KVM_EXIT_IO_OUT ? "OUT" : "IN", r->io.port,
		 r->io.size, r->io.count, (unsigned long long)d);
}

static void describe_mmio(struct gvcpu *v, char *buf, size_t len)
{
	struct kvm_run *r = v->run;
	uint64_t d;

	memcpy(&d, r->mmio.data, 8);
	snprintf(buf, len, "%s gpa %#llx len %u data %#llx",
		 r->mmio.is_write ? "write" : "read",
		 (unsigned long long)r->mmio.phys_addr, r->mmio.len,
		 (unsigned long long)d);
}

static void describe_internal(struct gvcpu *v, char *buf, size_t len)
{
	struct kvm_run *r = v->run;
	uint32_t i;
	int n;

	n = snprintf(buf, len, "suberror %u ndata %u", r->internal.suberror,
		     r->internal.ndata);
	for (i = 0; i < r->internal.ndata && i < 16 && n < (int)len; i++)
		n += snprintf(buf + n, len - n, " %#llx",
			      (unsigned long long)r->internal.data[i]);
}

/* The fields of the current exit that matter, as text in @buf. */
static void describe_fields(struct gvcpu *v, char *buf, size_t len)
{
	struct kvm_run *r = v->run;

	buf[0] = 0;
	switch (r->exit_reason) {
	case KVM_EXIT_IO:
		describe_io(v, buf, len);
		break;
	case KVM_EXIT_MMIO:
		describe_mmio(v, buf, len);
		break;
	case KVM_EXIT_INTERNAL_ERROR:
		describe_internal(v, buf, len);
		break;
	case KVM_EXIT_FAIL_ENTRY:
		snprintf(buf, len, "hardware reason %#llx cpu %u",
			 (unsigned long long)r->fail_entry.hardware_entry_failure_reason,
			 r->fail_entry.cpu);
		break;
	case KVM_EXIT_UNKNOWN:
		snprintf(buf, len, "hardware reason %#llx",
			 (unsigned long long)r->hw.hardware_exit_reason);
		break;
	case KVM_EXIT_EXCEPTION:
		snprintf(buf, len, "exception %u error code %#x",
			 r->ex.exception, r->ex.error_code);
		break;
	case KVM_EXIT_SYSTEM_EVENT:
		snprintf(buf, len, "type %u", r->system_event.type);
		break;
	}
}

void gvcpu_describe_exit(struct gvcpu *v, const char *why)
{
	struct kvm_regs regs = { 0 };
	char fields[256] = "";

	gvcpu_get_regs(v, &regs);
	describe_fields(v, fields, sizeof(fields));
	ksft_diag("%s: vCPU %d exit %s (%u)%s%s, rip %#llx", why, v->id,
		  kvm_exit_name(v->run->exit_reason), v->run->exit_reason,
		  fields[0] ? ": " : "", fields, (unsigned long long)regs.rip);
}

int gvcpu_run_expect(struct gvcpu *v, uint32_t reason)
{
	int r = gvcpu_run(v);
	char why[64];

	if (r) {
		ksft_diag("vCPU %d: KVM_RUN: %s", v->id, strerror(-r));
		return -1;
	}
	if (v->run->exit_reason == reason)
		return 0;
	snprintf(why, sizeof(why), "expected %s", kvm_exit_name(reason));
	gvcpu_describe_exit(v, why);
	return -1;
}

int gvcpu_run_ucall(struct gvcpu *v, struct ucall *uc)
{
	int r = gvcpu_run(v), cmd;

	memset(uc, 0, sizeof(*uc));
	if (r) {
		ksft_diag("vCPU %d: KVM_RUN: %s", v->id, strerror(-r));
		return UCALL_NONE;
	}
	cmd = ucall_get(v, uc);
	if (cmd != UCALL_SYNC && cmd != UCALL_DONE)
		gvcpu_describe_exit(v, "expected a ucall");
	return cmd;
}

int gvcpu_run_sync(struct gvcpu *v, uint64_t stage, uint64_t *value)
{
	struct ucall uc;
	int cmd = gvcpu_run_ucall(v, &uc);

	if (cmd == UCALL_SYNC && uc.args[0] == stage) {
		if (value)
			*value = uc.args[1];
		return 0;
	}
	if (cmd == UCALL_SYNC || cmd == UCALL_DONE)
		ksft_diag("vCPU %d: expected SYNC stage %llu, got %s stage %llu",
			  v->id, (unsigned long long)stage,
			  cmd == UCALL_DONE ? "DONE" : "SYNC",
			  (unsigned long long)uc.args[0]);
	return -1;
}

int gvcpu_run_done(struct gvcpu *v)
{
	struct ucall uc;
	int cmd = gvcpu_run_ucall(v, &uc);

	if (cmd == UCALL_DONE)
		return 0;
	if (cmd == UCALL_SYNC)
		ksft_diag("vCPU %d: expected DONE, got SYNC stage %llu", v->id,
			  (unsigned long long)uc.args[0]);
	return -1;
}

static void *gvcpu_runner_fn(void *arg)
{
	struct gvcpu_runner *r = arg;

	r->result = gvcpu_run_done(r->v) ? KSFT_FAIL : KSFT_PASS;
	return NULL;
}

int gvcpu_runner_start(struct gvcpu_runner *r, struct gvcpu *v, int cpu)
{
	pthread_attr_t attr;
	cpu_set_t set;
	int err;

	r->v = v;
	r->result = KSFT_FAIL;
	if (pthread_attr_init(&attr))
		return -1;
	CPU_ZERO(&set);
	if (cpu >= 0) {
		CPU_SET(cpu, &set);
		if (pthread_attr_setaffinity_np(&attr, sizeof(set), &set)) {
			pthread_attr_destroy(&attr);
			return -1;
		}
	}
	err = pthread_create(&r->thread, &attr, gvcpu_runner_fn, r);
	pthread_attr_destroy(&attr);
	if (err)
		ksft_diag("pthread_create: %s", strerror(err));
	return err ? -1 : 0;
}

int gvcpu_runner_join(struct gvcpu_runner *r)
{
	pthread_join(r->thread, NULL);
	return r->result;
}

void gvm_teardown(struct gvm *vm, struct gvcpu *v)
{
	if (v)
		gvcpu_destroy(v);
	if (vm)
		gvm_destroy(vm);
}
