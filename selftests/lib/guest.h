/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Guest-running selftests: a VM with guest RAM, vCPUs in long mode (running a
 * C function of the test binary itself), 32/16-bit protected mode or real
 * mode (running raw machine code), and "ucall", the guest's way to talk to
 * the host through an OUT to a reserved port.
 *
 * Guest memory map (GPA == guest virtual address, identity-mapped):
 *
 *   0x001000  GDT (GDT_* selectors below; limit GUEST_GDT_LIMIT)
 *   0x002000  IDT: 256 gates, each to a stub in guest.c
 *   0x003000  page tables up to 0x8fff: PML4, PDPT, 4 PDs (2 MiB pages
 *             mapping 0..4 GiB)
 *   0x009000  one 64-bit TSS per vCPU id, GUEST_TSS_SIZE apart
 *   0x010000  free for tests (GUEST_FREE_GPA .. GUEST_FREE_END)
 *   0x400000  the test binary's PT_LOAD segments, at their link address
 *   RAM end   vCPU stacks, GUEST_STACK_SIZE each, vCPU 0 at the top: in
 *             each, the stack proper (top 40 KiB), then the IST stacks the
 *             IDT switches to, for NMIs (12 KiB) and everything else
 *             (12 KiB). So an exception or interrupt never overwrites the
 *             red zone of the code it interrupts; a fault inside a handler
 *             (other than an NMI) is not supported.
 *
 * Everything above the end of RAM and below 4 GiB is mapped in the guest
 * page tables but backed by no memslot: accesses there are MMIO exits.
 */
#ifndef KHV_GUEST_H
#define KHV_GUEST_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <linux/kvm.h>

#include "khv_test.h"

#define GUEST_RAM_DEFAULT	(32ull << 20)
#define GUEST_GDT_GPA		0x1000
#define GUEST_GDT_LIMIT		0x22f	/* through the last vCPU's TSS */
#define GUEST_IDT_GPA		0x2000
#define GUEST_PT_GPA		0x3000
#define GUEST_TSS_GPA		0x9000
#define GUEST_TSS_SIZE		0x80
#define GUEST_FREE_GPA		0x10000
#define GUEST_FREE_END		0x400000
#define GUEST_STACK_SIZE	0x10000
#define GUEST_MAX_VCPUS		32

/* GDT selectors */
#define GDT_CODE64		0x08
#define GDT_DATA		0x10	/* flat 4 GiB read/write */
#define GDT_CODE32		0x18	/* flat 4 GiB, 32-bit */
#define GDT_CODE16		0x20	/* 64 KiB, 16-bit; base set per vCPU */
#define GDT_DATA16		0x28	/* 64 KiB, 16-bit */
#define GDT_TSS			0x30	/* vCPU id's TSS: GDT_TSS + 16 * id */

#define UCALL_PORT		0x1000

/*
 * ucall commands. The guest executes "outl %eax, %dx" with DX = UCALL_PORT,
 * EAX = RDI = command, and arguments in RSI, R8, R9, R10, R11:
 *
 *   SYNC         args[0] = stage, args[1] = value
 *   DONE         (none)
 *   ASSERT_FAIL  args[0] = line, args[1] = a, args[2] = b,
 *                args[3] = file (guest address), args[4] = expression text
 *   UNHANDLED    args[0] = vector, args[1] = RIP, args[2] = error code
 *
 * The host reads them with KVM_GET_REGS at the KVM_EXIT_IO and then just
 * runs the vCPU again: RIP stays at the OUT until that KVM_RUN completes it.
 */
#define UCALL_NONE		0	/* the exit is not a ucall */
#define UCALL_SYNC		1
#define UCALL_DONE		2
#define UCALL_ASSERT_FAIL	3
#define UCALL_UNHANDLED		4

#define UCALL_NARGS 5

struct ucall {
	uint64_t cmd;
	uint64_t args[UCALL_NARGS];
	char file[64];		/* ASSERT_FAIL: copied from guest memory */
	char expr[128];
};

/* ------------------------------------------------------------------ */
/* Guest side. Guest functions must not call libc, nor anything that   */
/* does: the guest has no libc state (TLS, IFUNCs, stdio).             */
/* ------------------------------------------------------------------ */

/*
 * For functions run by the guest: not inlined into host code or cloned,
 * no stack protector (it would read %fs:0x28), no compiler-generated
 * memset/memcpy calls. The guest starts with interrupts off; exceptions
 * and interrupts run on IST stacks, so the red zone is safe either way.
 * Handlers must not use SSE registers (they are not saved).
 */
#define GUEST_CODE							\
	__attribute__((noipa, no_stack_protector,			\
		       optimize("no-tree-loop-distribute-patterns")))

static inline void guest_ucall(uint64_t cmd, uint64_t a0, uint64_t a1,
			       uint64_t a2, uint64_t a3, uint64_t a4)
{
	register uint64_t r8 __asm__("r8") = a1;
	register uint64_t r9 __asm__("r9") = a2;
	register uint64_t r10 __asm__("r10") = a3;
	register uint64_t r11 __asm__("r11") = a4;

	__asm__ volatile("outl %%eax, %%dx"
			 : : "a"(cmd), "d"(UCALL_PORT), "D"(cmd), "S"(a0),
			   "r"(r8), "r"(r9), "r"(r10), "r"(r11)
			 : "memory");
}

/* After a failed assert the guest only halts; the host stops running it. */
/* The TSC, in guest code (the host's own where host code calls it). */
static inline uint64_t guest_rdtsc(void)
{
	uint32_t lo, hi;

	__asm__ volatile("rdtsc" : "=a"(lo), "=d"(hi));
	return ((uint64_t)hi << 32) | lo;
}

/* RDMSR / WRMSR in guest code (a #GP is the guest's handler's). */
static inline uint64_t gmsr_read(uint32_t index)
{
	uint32_t lo, hi;

	__asm__ volatile("rdmsr" : "=a"(lo), "=d"(hi) : "c"(index));
	return ((uint64_t)hi << 32) | lo;
}

static inline void gmsr_write(uint32_t index, uint64_t value)
{
	__asm__ volatile("wrmsr" : : "c"(index), "a"((uint32_t)value),
			 "d"((uint32_t)(value >> 32)) : "memory");
}

static inline void __attribute__((noreturn)) guest_halt_forever(void)
{
	for (;;)
		__asm__ volatile("hlt");
}

/*
 * Wait for one interrupt: STI; HLT; CLI. STI's shadow makes the pair safe
 * on hardware: an interrupt already pending is taken only once HLT began,
 * and ends it. The test machine's QEMU 7.2 drops that shadow when a
 * hypervisor (stock KVM or khv) enters the guest again inside it: its
 * VMRUN does not load the VMCB's interrupt shadow (QEMU fixed it in June
 * 2024). A host-interrupt exit between STI and HLT then lets the interrupt
 * in before HLT, whose wait for the next one can last forever. So the
 * IDT stubs resume an interrupt taken at this HLT past it, where the
 * interrupt would have left it on hardware, and the emulator's bug cannot
 * hang a test (Documentation/testing.md). Use it for every interrupt wait
 * in a loop; a test of HLT itself keeps its own instruction.
 */
void guest_wait_irq(void);

#define GUEST_SYNC(stage, value)					\
	guest_ucall(UCALL_SYNC, (stage), (uint64_t)(value), 0, 0, 0)
#define GUEST_DONE() guest_ucall(UCALL_DONE, 0, 0, 0, 0, 0)

#define __GUEST_ASSERT(cond, text, a, b)				\
	do {								\
		if (!(cond)) {						\
			guest_ucall(UCALL_ASSERT_FAIL, __LINE__,	\
				    (uint64_t)(a), (uint64_t)(b),	\
				    (uint64_t)__FILE__, (uint64_t)(text)); \
			guest_halt_forever();				\
		}							\
	} while (0)

#define GUEST_ASSERT(cond) __GUEST_ASSERT(cond, #cond, 0, 0)
#define GUEST_ASSERT_EQ(a, b)						\
	do {								\
		uint64_t __a = (uint64_t)(a), __b = (uint64_t)(b);	\
		__GUEST_ASSERT(__a == __b, #a " == " #b, __a, __b);	\
	} while (0)

/*
 * Guest exception/interrupt frame, as the IDT stubs build it: the general
 * registers they push, then vector and error code (0 for vectors without
 * one), then what the CPU pushed. A handler may change any field (e.g. rip
 * to skip the faulting instruction); IRETQ resumes from it.
 */
struct guest_frame {
	uint64_t r15, r14, r13, r12, r11, r10, r9, r8;
	uint64_t rbp, rdi, rsi, rdx, rcx, rbx, rax;
	uint64_t vector, error_code;
	uint64_t rip, cs, rflags, rsp, ss;
};

typedef void (*guest_handler_t)(struct guest_frame *frame);

/* ------------------------------------------------------------------ */
/* Host side                                                           */
/* ------------------------------------------------------------------ */

struct gvm_slot {
	uint32_t slot;
	uint32_t flags;
	uint64_t gpa;
	uint64_t size;
	void *hva;
};

struct gvm {
	int sys_fd;			/* the device; not owned */
	int fd;				/* the VM */
	uint64_t ram_size;		/* slot 0, at GPA 0 */
	struct kvm_cpuid2 *cpuid;	/* KVM_GET_SUPPORTED_CPUID */
	struct gvm_slot *slots;
	int nslots;
};

struct gvcpu {
	struct gvm *vm;
	int fd;
	int id;
	struct kvm_run *run;
	size_t run_size;
};

/* KVM_CHECK_EXTENSION on @fd. */
long khv_cap(int fd, long cap);
/* KVM_GET_SUPPORTED_CPUID, growing the buffer on E2BIG; NULL on error. */
struct kvm_cpuid2 *khv_supported_cpuid(int sys_fd);
struct kvm_cpuid_entry2 *cpuid_entry(struct kvm_cpuid2 *c, uint32_t function,
				     uint32_t index);
/* Whether the supported CPUID has bit @bit of register @reg (0..3 = EAX..EDX). */
bool cpuid_has(struct kvm_cpuid2 *c, uint32_t function, int reg, int bit);
const char *kvm_exit_name(uint32_t reason);

/*
 * A VM with @ram_size bytes (0: GUEST_RAM_DEFAULT) of anonymous memory in
 * slot 0 at GPA 0, holding the descriptor tables, page tables and the
 * test binary. NULL (with a diagnostic) on error.
 */
struct gvm *gvm_create(int sys_fd, uint64_t ram_size);
void gvm_destroy(struct gvm *vm);
/* Destroy @v (if any), then @vm (if any): a test's common exit path. */
void gvm_teardown(struct gvm *vm, struct gvcpu *v);
/* Fresh anonymous memory as slot @slot; returns its host address or NULL. */
void *gvm_add_slot(struct gvm *vm, uint32_t slot, uint64_t gpa, uint64_t size,
		   uint32_t flags);
/* 0 or -errno. */
int gvm_move_slot(struct gvm *vm, uint32_t slot, uint64_t new_gpa);
int gvm_delete_slot(struct gvm *vm, uint32_t slot);
/* Host address of guest physical address @gpa, or NULL outside every slot. */
void *gvm_hva(struct gvm *vm, uint64_t gpa);
/* Host address of a guest global (the guest's copy of it). */
#define GVM_VAR(vm, var) ((__typeof__(&(var)))gvm_hva((vm), (uint64_t)&(var)))
/* Route @vector to @fn in this VM's guest (NULL: back to UNHANDLED). */
int gvm_set_handler(struct gvm *vm, int vector, guest_handler_t fn);
/* KVM_SET_GSI_ROUTING with one MSI route, for @gsi: 0 or -errno. */
int gvm_set_msi_route(struct gvm *vm, uint32_t gsi, uint32_t address_lo,
		      uint32_t data);
/*
 * Deliver @vector on its IST stack (@ist, the default) or on the stack of
 * the code it interrupts. Without IST a delivery nested in the same
 * vector's stub gets a frame of its own instead of overwriting the
 * first; the interrupted code must then not use the red zone (build it
 * with -mno-red-zone).
 */
int gvm_set_gate_stack(struct gvm *vm, int vector, bool ist);
/* KVM_SET_USER_MEMORY_REGION: 0 or -errno. */
int gvm_set_region(int vm_fd, uint32_t slot, uint32_t flags, uint64_t gpa,
		   uint64_t size, void *hva);

/* A vCPU with the supported CPUID set and its reset register state. */
struct gvcpu *gvcpu_create(struct gvm *vm, int id);
/* A 64-bit vCPU about to call fn(arg0, arg1); returning from fn is DONE. */
struct gvcpu *gvcpu_create_long(struct gvm *vm, int id, const void *fn,
				uint64_t arg0, uint64_t arg1);
/* Raw code copied to @gpa, run from its first byte in the given mode. */
struct gvcpu *gvcpu_create_real(struct gvm *vm, int id, uint64_t gpa,
				const void *code, size_t len);
struct gvcpu *gvcpu_create_pm16(struct gvm *vm, int id, uint64_t gpa,
				const void *code, size_t len);
struct gvcpu *gvcpu_create_pm32(struct gvm *vm, int id, uint64_t gpa,
				const void *code, size_t len);
void gvcpu_destroy(struct gvcpu *v);

/* KVM_RUN, retried on EINTR unless run->immediate_exit: 0 or -errno. */
int gvcpu_run(struct gvcpu *v);
/* Decode the current exit as a ucall: its command, or UCALL_NONE. */
int ucall_get(struct gvcpu *v, struct ucall *uc);
/* Print a diagnostic line describing the current exit (and RIP). */
void gvcpu_describe_exit(struct gvcpu *v, const char *why);
/* Run; 0 if the exit is @reason, else -1 with the exit described. */
int gvcpu_run_expect(struct gvcpu *v, uint32_t reason);
/* Run until a ucall: its command; anything but SYNC/DONE is described. */
int gvcpu_run_ucall(struct gvcpu *v, struct ucall *uc);
/* Run; 0 if the guest did GUEST_SYNC(@stage, value), else -1 (described). */
int gvcpu_run_sync(struct gvcpu *v, uint64_t stage, uint64_t *value);
/* Run; 0 if the guest did GUEST_DONE() (or returned), else -1. */
int gvcpu_run_done(struct gvcpu *v);
/*
 * gvcpu_run_done() in a thread of its own, pinned to host CPU @cpu (or
 * anywhere: -1). Start: 0 or -1; join: KSFT_PASS if the guest got to DONE.
 */
struct gvcpu_runner {
	struct gvcpu *v;
	pthread_t thread;
	int result;
};
int gvcpu_runner_start(struct gvcpu_runner *r, struct gvcpu *v, int cpu);
int gvcpu_runner_join(struct gvcpu_runner *r);
/* The data of the current KVM_EXIT_IO, in the PIO page. */
void *gvcpu_io_data(struct gvcpu *v);

/* Register access: 0 or -errno. */
int gvcpu_get_regs(struct gvcpu *v, struct kvm_regs *regs);
int gvcpu_set_regs(struct gvcpu *v, const struct kvm_regs *regs);
int gvcpu_get_sregs(struct gvcpu *v, struct kvm_sregs *sregs);
int gvcpu_set_sregs(struct gvcpu *v, const struct kvm_sregs *sregs);
/* One MSR through KVM_GET/SET_MSRS: the ioctl's return (1 = done) or -errno. */
int gvcpu_get_msr(struct gvcpu *v, uint32_t index, uint64_t *value);
int gvcpu_set_msr(struct gvcpu *v, uint32_t index, uint64_t value);

#endif /* KHV_GUEST_H */
