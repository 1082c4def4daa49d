/* SPDX-License-Identifier: GPL-2.0 */
/*
 * khv core: objects behind the KVM ioctl ABI.
 *
 * Object lifetimes: /dev/khv fd -> (KVM_CREATE_VM) VM fd -> (KVM_CREATE_VCPU)
 * vCPU fd. Every VM and vCPU fd holds one reference on its khv_vm; vCPUs live
 * as long as their VM and are freed with it. Every fd also pins the module
 * (fops->owner), so rmmod waits for the last close.
 *
 * Lock order: khv_vcpu.lock -> khv_vm.lock -> khv_vm.mmu_lock.
 * A vCPU's registers and event state belong to whoever holds its lock (the
 * thread in a vCPU ioctl, KVM_RUN included). Other threads only set bits
 * in khv_vcpu.requests and kick.
 */
#ifndef KHV_H
#define KHV_H

#include <linux/preempt.h>
#include <linux/kvm.h>
#include <linux/kref.h>
#include <linux/mutex.h>
#include <linux/signal.h>
#include <linux/xarray.h>
#include <linux/wait.h>
#include <linux/rcupdate.h>
#include <linux/atomic.h>
#include <asm/fpu/api.h>
#include <asm/kvm_para.h>

#include "backend.h"
#include "compat.h"
#include "memslot.h"
#include "pgtable.h"
#include "decode.h"
#include "irq/irqchip.h"
#include "pvclock_calc.h"

/*
 * vCPU mmap: page 0 is struct kvm_run, page KVM_PIO_PAGE_OFFSET the PIO
 * data, page KVM_COALESCED_MMIO_PAGE_OFFSET the VM's coalesced MMIO ring.
 */
#define KHV_VCPU_MMAP_PAGES	3

/*
 * Counters behind KVM_GET_STATS_FD and debugfs khv/vm/ (stats.c, which
 * describes each one). u64 each, in the order of stats.c's tables. A
 * VM's are written under mmu_lock; a vCPU's only by the thread holding
 * its lock. Readers take them as they are, without locks, as KVM's do.
 */
struct khv_vm_stat {
	u64 remote_tlb_flush;
	u64 pages_mapped;
	u64 pages_unmapped;
	u64 pages_pinned;		/* filled in when read: held_pages */
	u64 pages_pinned_peak;
	u64 npt_table_pages;
	u64 pages_4k;			/* filled in when read: the NPT's leaves */
	u64 pages_2m;
	u64 vcpus;			/* filled in when read: nr_vcpus */
};

struct khv_vcpu_stat {
	u64 runs;
	u64 exits;
	/* exits by reason: these sum to exits */
	u64 exits_io;
	u64 exits_npt_fault;
	u64 exits_hlt;
	u64 exits_cpuid;
	u64 exits_msr;
	u64 exits_host_irq;
	u64 exits_irq_window;
	u64 exits_nmi_window;
	u64 exits_cr;
	u64 exits_dr;
	u64 exits_exception;
	u64 exits_shutdown;
	u64 exits_pause;
	u64 exits_other;
	/* exits to user space, KVM's names */
	u64 io_exits;
	u64 mmio_exits;
	u64 halt_exits;
	u64 signal_exits;
	u64 request_irq_exits;
	u64 irq_injections;
	u64 nmi_injections;
	u64 exception_injections;
	u64 npt_pages_mapped;
	u64 tlb_flush;
	u64 insn_emulation;
	u64 insn_emulation_fail;
	u64 guest_time_ns;
	u64 timer_advance_ns;
	u64 timer_advance_waits;
};

/* A counter's place in struct khv_vcpu_stat, counted in u64s. */
#define KHV_STAT_IDX(field)	(offsetof(struct khv_vcpu_stat, field) / sizeof(u64))

/* Coalesced MMIO/PIO zones and their ring (coalesced.c). */
#define KHV_COALESCED_ZONES	256

struct khv_coalesced {
	spinlock_t lock;		/* the zones, insertion into the ring */
	u32 nzones;			/* written under lock, read without */
	struct kvm_coalesced_mmio_zone zones[KHV_COALESCED_ZONES];
	struct kvm_coalesced_mmio_ring *ring;	/* a page, shared with user space */
};

struct khv_msr_filter;

struct khv_vm {
	struct kref ref;		/* VM fd + one per vCPU fd */
	struct mm_struct *mm;		/* creator's (mmgrab); const */
	struct mutex lock;		/* vCPU creation, VM ioctls */
	struct xarray vcpus;		/* vcpu_id -> khv_vcpu; insert under lock */
	u32 nr_vcpus;			/* under lock */
	u32 max_vcpu_ids;		/* KVM_CAP_MAX_VCPU_ID; 0 unset; under lock */
	unsigned long spin_next;	/* vcpu_id a PAUSE exit looks at first */

	struct mutex mmu_lock;		/* memslots and the nested page table */
	struct khv_memslots slots;	/* under mmu_lock */
	struct khv_pt npt;		/* nested page table; under mmu_lock */
	u64 held_pages;			/* guest pages pinned; under mmu_lock */
	/* KVM_CAP_MANUAL_DIRTY_LOG_PROTECT2's KVM_DIRTY_LOG_* flags; mmu_lock */
	u64 manual_dirty_log;

	struct khv_vm_stat stat;	/* see struct khv_vm_stat */
	pid_t pid;			/* creator's (thread group); const */
	struct dentry *debugfs;		/* khv/vm/<pid>-<fd>/, or an error */

	/*
	 * In-kernel interrupt controllers (irq/irqchip.h). The mode leaves
	 * NONE once, under lock, before the first vCPU; irqchip and pit are
	 * published whole and live as long as the VM.
	 */
	enum khv_irqchip_mode irqchip_mode;
	struct khv_irqchip *irqchip;	/* IOAPIC and PIC (KERNEL mode) */
	struct khv_vpit *pit;		/* KVM_CREATE_PIT2 */
	struct khv_irq_routing __rcu *irq_routing;	/* replaced under lock */
	u32 split_ioapic_pins;		/* SPLIT mode: user space's IOAPIC */
	u32 bsp_vcpu_id;		/* the vCPU INIT leaves running */
	bool platform_info_hidden;	/* KVM_CAP_MSR_PLATFORM_INFO off: guest RDMSR #GP */
	u64 quirks_disabled;		/* KVM_CAP_DISABLE_QUIRKS2: KVM_X86_QUIRK_* */
	/* KVM_CAP_X2APIC_API: KVM_X2APIC_API_* switched on [lock] (only on) */
	u32 x2apic_api;
	/* KVM_CAP_X86_USER_SPACE_MSR: KVM_MSR_EXIT_REASON_* that exit */
	u32 user_space_msrs;
	/* KVM_X86_SET_MSR_FILTER (msr.c): replaced under lock, read under RCU */
	struct khv_msr_filter __rcu *msr_filter;

	/* KVM_(UN)REGISTER_COALESCED_MMIO (coalesced.c) */
	struct khv_coalesced coalesced;

	/* KVM_IRQFD, KVM_IOEVENTFD (eventfd.c) */
	spinlock_t irqfd_lock;
	struct list_head irqfds;	/* under irqfd_lock */
	struct mutex eventfd_lock;	/* changes to the two lists below */
	struct list_head resamplers;	/* RCU */
	struct list_head ioeventfds;	/* RCU */

	/* KVM's TSC synchronisation of host writes (msr.c), under tsc_lock */
	spinlock_t tsc_lock;
	bool tsc_set;			/* a write happened: the fields are valid */
	u64 tsc_offset;			/* the offset of the current generation */
	u64 tsc_last_write;		/* the value of the last host write */
	u64 tsc_last_ns;		/* and when it was made */

	/* The VM's clock and kvmclock's reference (kvmclock.c), under lock */
	struct {
		spinlock_t lock;
		bool master;		/* one reference pair for all vCPUs */
		u64 master_tsc;		/* host TSC of the reference */
		u64 master_ns;		/* host boot-time ns of the reference */
		u64 offset;		/* VM clock = boot-time ns + offset */
		struct khv_pvclock_scale scale;	/* host TSC ticks to ns */
		u64 wall_msr;		/* MSR_KVM_WALL_CLOCK(_NEW), VM-wide */
	} clock;

	u64 tss_addr;			/* KVM_SET_TSS_ADDR: recorded only */
	unsigned long nr_mmu_pages;	/* KVM_SET_NR_MMU_PAGES: recorded only */
	u64 identity_map_addr;		/* KVM_SET_IDENTITY_MAP_ADDR: recorded only */
};

/* What the last exit to user space left to finish at the next KVM_RUN. */
enum khv_pending {
	KHV_PENDING_NONE,
	KHV_PENDING_PIO,	/* run->io: IN data to take, or a string to go on */
	KHV_PENDING_MMIO,	/* run->mmio: load data to take, or insn to finish */
	KHV_PENDING_RDMSR,	/* run->msr: user space's answer to a RDMSR */
	KHV_PENDING_WRMSR,	/* run->msr: user space's verdict on a WRMSR */
};

/* An I/O instruction in flight (possibly a REP string over several exits). */
struct khv_pio {
	u16 port;
	u8 size;		/* 1, 2, 4 */
	bool in;
	bool string;
	bool rep;
	u8 addr_size;		/* 2, 4, 8: for RSI/RDI/RCX updates */
	u8 seg;			/* source segment of OUTS (SDM order) */
	u32 count;		/* elements in this exit */
	u64 rip;		/* of the instruction */
	u64 next_rip;
};

/*
 * An MMIO access in flight. A MOV-family access is cut at page borders
 * into fragments; RAM fragments are done directly, each MMIO fragment is
 * one exit to user space (as KVM). String elements are one exit each.
 */
struct khv_mmio_frag {
	u64 gpa;
	u8 offset;		/* within the access */
	u8 len;
	bool mmio;
};

struct khv_mmio {
	struct khv_insn insn;
	bool write;
	u8 nfrag;
	u8 next;		/* the fragment to do next */
	u8 last;		/* the fragment whose exit is in flight */
	struct khv_mmio_frag frag[2];
	u8 data[8];		/* the access's bytes */
	u64 dst_gla;		/* MOVS from MMIO: where the element goes */
	u64 gpa;		/* the access that exited */
	u64 npf_error;		/* its nested page fault's error code */
};

/* Requests other threads post to a vCPU (bits in khv_vcpu.requests). */
#define KHV_REQ_TLB_FLUSH	0
#define KHV_REQ_EVENT		1	/* its LAPIC/PIC may have an interrupt */
#define KHV_REQ_NMI		2	/* an NMI message arrived */
#define KHV_REQ_INIT		3	/* an INIT message arrived */
#define KHV_REQ_SIPI		4	/* a SIPI arrived: sipi_vector */
#define KHV_REQ_EOI_EXIT	5	/* own: KVM_EXIT_IOAPIC_EOI to report */
#define KHV_REQ_CLOCK		6	/* rewrite its kvmclock structure */
#define KHV_REQ_TRIPLE_FAULT	7	/* shut down before the next entry */
#define KHV_REQ_SSTEP_EXIT	8	/* single-step: an emulated instruction completed */
#define KHV_REQ_TIMER_SOON	9	/* its TSC deadline is within the timer advance */
#define KHV_REQ_MSR_FILTER	10	/* the VM's MSR filter changed */

struct khv_vcpu {
	struct khv_vm *vm;		/* const */
	u32 id;				/* KVM_CREATE_VCPU argument; const */
	struct mutex lock;		/* serializes this vCPU's ioctls */
	struct kvm_run *run;		/* shared with user space: read once */
	void *pio_data;			/* shared with user space */

	/*
	 * Architectural state the core owns. The backend loads it before
	 * each entry and stores it after each exit (the rest of the guest's
	 * state lives in the VMCB / VMCS, reached through backend ops).
	 */
	u64 gprs[16];			/* KVM order: RAX=0 ... R15=15 */
	u64 rip;
	u64 rflags;
	struct fpu_guest guest_fpu;
	u64 xcr0;			/* the guest's XCR0 (loaded while it runs) */
	bool guest_osxsave;		/* its CR4.OSXSAVE: XCR0 is switched */
	u64 apic_base;			/* IA32_APIC_BASE (the LAPIC's, if any) */
	u64 dr[8];			/* the guest's debug registers (MOV DR's view) */
	/*
	 * What the entry loads: DR0-3 (only when the DR7 below enables a
	 * breakpoint) and DR7, the guest's or KVM_SET_GUEST_DEBUG's
	 * (USE_HW_BP); DR6 as the guest's, or fresh while user space debugs
	 * (then the exit's DR6 says only what this entry hit).
	 */
	u64 hw_dr6;
	u64 hw_dr7;
	u64 dbg_dr[4];			/* KVM_SET_GUEST_DEBUG's DR0-3 */
	u64 dbg_dr7;			/* ... and DR7 */
	u8 tpr;				/* CR8 */
	u64 kvmclock_msr;		/* MSR_KVM_SYSTEM_TIME(_NEW): GPA | enable */
	int kvmclock_cpu;		/* host CPU of its last kvmclock update */
	unsigned long kvmclock_switches;	/* its thread's context switches then */
	/* KVM's other PV MSRs (kvm_pv.c); PV EOI's work in irq/vlapic.c */
	u64 async_pf_msr;		/* MSR_KVM_ASYNC_PF_EN: kept, never used */
	bool pv_enforce;		/* KVM_CAP_ENFORCE_PV_FEATURE_CPUID */
	u64 steal_msr;			/* MSR_KVM_STEAL_TIME: GPA | enable */
	u64 steal_last;			/* run_delay at the last update */
	bool steal_update;		/* write it before the next entry */
	u64 pv_eoi_msr;			/* MSR_KVM_PV_EOI_EN: GPA | enable */
	bool pv_eoi_pending;		/* the guest's PV EOI bit is set */
	u32 tsc_khz;			/* KVM_SET_TSC_KHZ's, 0: the host's */
	u32 guest_debug;		/* KVM_SET_GUEST_DEBUG's control */

	/* CPUID table (KVM_SET_CPUID2), answered in the kernel. */
	struct kvm_cpuid_entry2 *cpuid;
	u32 cpuid_nent;
	bool cpuid_set;			/* KVM_SET_CPUID2 happened (even with none) */
	bool ran;			/* KVM_RUN happened: CPUID is frozen */

	/* MSRs no backend holds */
	struct khv_msrs *msrs;

	/* Events */
	bool irq_pending;		/* KVM_INTERRUPT, not yet injected */
	u8 irq_vector;
	bool nmi_pending;
	bool nmi_masked;		/* an NMI handler runs (until IRET) */
	bool nmi_iret_wait;		/* its IRET exited; unmask once RIP moves */
	int irq_offer;			/* LAPIC vector offered for IF=1, or -1 */
	u64 nmi_iret_rip;
	u32 mp_state;

	/* In-kernel local APIC (irq/vlapic.c), or NULL */
	struct khv_vlapic *apic;
	wait_queue_head_t wq;		/* a halted vCPU sleeps here */
	u8 sipi_vector;			/* with KHV_REQ_SIPI */
	u8 eoi_exit_vector;		/* with KHV_REQ_EOI_EXIT */

	enum khv_pending pending;
	struct khv_pio pio;
	u64 msr_next_rip;		/* KHV_PENDING_RDMSR/WRMSR: after the insn */
	struct khv_mmio mmio;

	sigset_t sigmask;		/* KVM_SET_SIGNAL_MASK */
	bool sigmask_set;

	unsigned long requests;		/* KHV_REQ_* */
	int cpu;			/* CPU in guest mode, or -1 */
	struct pid __rcu *pid;		/* the thread of its last KVM_RUN */
	struct preempt_notifier pn;	/* while KVM_RUN runs: vcpu_put */

	struct khv_vcpu_stat stat;	/* see struct khv_vcpu_stat */
	u32 guest_time_mult;		/* TSC cycles -> ns, << 22; 0: local_clock() */
};

/* Live objects and held pages, for debugfs khv/ and the selftests. */
struct khv_stats {
	atomic_t vms;
	atomic_t vcpus;
	atomic64_t pages;		/* guest pages pinned by khv */
};

extern const struct khv_backend_ops *khv_ops;
extern struct khv_stats khv_stats;
extern const struct file_operations khv_dev_fops;

/* main.c */
DECLARE_PER_CPU(bool, khv_cpu_on);

/* Can this CPU run guests (SVM/VMX on)? Preemption off. */
static inline bool khv_this_cpu_on(void)
{
	return this_cpu_read(khv_cpu_on);
}

/* Has user space disabled KVM_X86_QUIRK_@quirk (KVM_CAP_DISABLE_QUIRKS2)? */
static inline bool khv_quirk_off(struct khv_vm *vm, u64 quirk)
{
	return READ_ONCE(vm->quirks_disabled) & quirk;
}

/* dev.c */
long khv_check_extension(unsigned long cap);
long khv_get_supported_cpuid(unsigned long arg);
struct kvm_cpuid_entry2 *khv_supported_cpuid(u32 *n);
long khv_get_msr_index_list(unsigned long arg);
long khv_get_msr_feature_index_list(unsigned long arg);
long khv_get_feature_msrs(unsigned long arg);

/* vm.c */
struct file *khv_anon_file(const char *name, const struct file_operations *fops,
			   void *priv, int flags, int *fd);
long khv_vm_create_fd(unsigned long type);
int khv_read_enable_cap(unsigned long arg, struct kvm_enable_cap *cap);
void khv_vm_put(struct khv_vm *vm);
void khv_vm_flush_tlbs(struct khv_vm *vm);

/* vcpu.c */
long khv_vcpu_create_fd(struct khv_vm *vm, unsigned long id);
void khv_vcpu_free(struct khv_vcpu *vcpu);

/* run.c */
bool khv_entry_begin(struct khv_vcpu *vcpu, bool *flush);
void khv_entry_end(struct khv_vcpu *vcpu);
void khv_vcpu_thread_enter(struct khv_vcpu *vcpu);
void khv_vcpu_thread_leave(struct khv_vcpu *vcpu);
long khv_vcpu_run(struct khv_vcpu *vcpu);
void khv_skip_insn(struct khv_vcpu *vcpu, u64 next_rip);
void khv_vcpu_kick(struct khv_vcpu *vcpu);
void khv_vcpu_init_reset(struct khv_vcpu *vcpu);
u32 khv_guest_time_mult(void);

/* stats.c: KVM_GET_STATS_FD, debugfs khv/vm/, tracepoints */
extern struct dentry *khv_debugfs_dir;
long khv_vm_stats_fd(struct khv_vm *vm, unsigned long arg);
long khv_vcpu_stats_fd(struct khv_vcpu *vcpu, unsigned long arg);
void khv_debugfs_vm_add(struct khv_vm *vm, int fd);
void khv_debugfs_vcpu_add(struct khv_vcpu *vcpu);
void khv_debugfs_vm_remove(struct khv_vm *vm);
void khv_debugfs_stats_init(void);
/* each exit kind's counter, a KHV_STAT_IDX(); 0: exits_other */
extern const u8 khv_exit_stat[KHV_EXIT_UNHANDLED + 1];

/* mmu.c */
int khv_mmu_init(struct khv_vm *vm);
void khv_mmu_destroy(struct khv_vm *vm);
long khv_set_memory_region(struct khv_vm *vm, unsigned long arg);
long khv_get_dirty_log(struct khv_vm *vm, unsigned long arg);
long khv_clear_dirty_log(struct khv_vm *vm, unsigned long arg);
int khv_enable_manual_dirty_log(struct khv_vm *vm, u64 flags);
int khv_mmu_fault(struct khv_vcpu *vcpu, u64 gpa, u64 error, bool *mmio);
bool khv_gpa_is_ram(struct khv_vcpu *vcpu, u64 gpa, bool write);
int khv_read_guest(struct khv_vcpu *vcpu, u64 gpa, void *buf, u32 len);
int khv_guest_copy_locked(struct khv_vcpu *vcpu, u64 gpa, void *buf, u32 len,
			  bool write);
int khv_write_guest(struct khv_vcpu *vcpu, u64 gpa, const void *buf, u32 len);

/* regs.c: vCPU state ioctls */
void khv_regs_get(struct khv_vcpu *vcpu, struct kvm_regs *r);
void khv_regs_set(struct khv_vcpu *vcpu, const struct kvm_regs *r);
void khv_sregs_get(struct khv_vcpu *vcpu, struct kvm_sregs *s);
int khv_sregs_set(struct khv_vcpu *vcpu, const struct kvm_sregs *s);
long khv_vcpu_get_regs(struct khv_vcpu *vcpu, unsigned long arg);
long khv_vcpu_set_regs(struct khv_vcpu *vcpu, unsigned long arg);
long khv_vcpu_get_sregs(struct khv_vcpu *vcpu, unsigned long arg);
long khv_vcpu_set_sregs(struct khv_vcpu *vcpu, unsigned long arg);
long khv_vcpu_get_fpu(struct khv_vcpu *vcpu, unsigned long arg);
long khv_vcpu_set_fpu(struct khv_vcpu *vcpu, unsigned long arg);
long khv_vcpu_get_xsave(struct khv_vcpu *vcpu, unsigned long arg);
long khv_vcpu_get_xsave2(struct khv_vcpu *vcpu, unsigned long arg);
long khv_vcpu_set_xsave(struct khv_vcpu *vcpu, unsigned long arg);
long khv_vcpu_get_xcrs(struct khv_vcpu *vcpu, unsigned long arg);
long khv_vcpu_get_debugregs(struct khv_vcpu *vcpu, unsigned long arg);
long khv_vcpu_set_debugregs(struct khv_vcpu *vcpu, unsigned long arg);
long khv_vcpu_set_guest_debug(struct khv_vcpu *vcpu, unsigned long arg);
long khv_vcpu_set_xcrs(struct khv_vcpu *vcpu, unsigned long arg);
int khv_set_xcr0(struct khv_vcpu *vcpu, u64 xcr0);
void khv_vcpu_reset_regs(struct khv_vcpu *vcpu);

/* kvmclock.c */
#define KHV_CLOCK_VALID_FLAGS	(KVM_CLOCK_TSC_STABLE | KVM_CLOCK_REALTIME | \
				 KVM_CLOCK_HOST_TSC)
u32 khv_kvmclock_features(void);
void khv_kvmclock_vm_init(struct khv_vm *vm);
long khv_vm_get_clock(struct khv_vm *vm, unsigned long arg);
long khv_vm_set_clock(struct khv_vm *vm, unsigned long arg);
void __khv_kvmclock_before_entry(struct khv_vcpu *vcpu);

/*
 * Per entry: no call at all while kvmclock is off, and no request left
 * standing (a TSC write asks whether kvmclock is on or not; turning it on
 * asks again).
 */
static inline void khv_kvmclock_before_entry(struct khv_vcpu *vcpu)
{
	if (vcpu->kvmclock_msr & 1)
		__khv_kvmclock_before_entry(vcpu);
	else if (test_bit(KHV_REQ_CLOCK, &vcpu->requests))
		clear_bit(KHV_REQ_CLOCK, &vcpu->requests);
}
int khv_kvmclock_rdmsr(struct khv_vcpu *vcpu, u32 index, u64 *data);
int khv_kvmclock_wrmsr(struct khv_vcpu *vcpu, u32 index, u64 data);
long khv_vcpu_get_tsc_khz(struct khv_vcpu *vcpu, unsigned long arg);
long khv_vcpu_set_tsc_khz(struct khv_vcpu *vcpu, unsigned long arg);

/* kvm_pv.c */
u32 khv_pv_features(void);
void __khv_steal_time_before_entry(struct khv_vcpu *vcpu);

/* per entry: no call at all while steal time is off */
static inline void khv_steal_time_before_entry(struct khv_vcpu *vcpu)
{
	if (vcpu->steal_msr & KVM_MSR_ENABLED)
		__khv_steal_time_before_entry(vcpu);
}
int khv_pv_rdmsr(struct khv_vcpu *vcpu, u32 index, u64 *data);
bool khv_pv_msr_allowed(struct khv_vcpu *vcpu, u32 index);
bool khv_pv_guest_has(struct khv_vcpu *vcpu, u8 feature);
int khv_pv_wrmsr(struct khv_vcpu *vcpu, u32 index, u64 data);
void khv_pv_reset(struct khv_vcpu *vcpu);

/* cpuid.c, msr.c */
extern u64 khv_host_cr4;
extern u64 khv_host_xcr0;	/* the host kernel's XCR0 (0 without XSAVE) */
extern u64 khv_xcr0_supported;	/* the components guests may enable */
extern u32 khv_xsave_uabi_size;	/* bytes of KVM_GET_XSAVE2's buffer */
int khv_cpuid_init(void);
void khv_cpuid_update_runtime(struct khv_vcpu *vcpu);
void khv_cpuid_apply_controls(struct khv_vcpu *vcpu);
bool khv_vcpu_cr4_valid(struct khv_vcpu *vcpu, u64 cr4);
bool khv_cpuid_has(struct khv_vcpu *vcpu, u32 leaf, int reg, u32 bit);
long khv_vcpu_set_cpuid2(struct khv_vcpu *vcpu, unsigned long arg);
long khv_vcpu_get_cpuid2(struct khv_vcpu *vcpu, unsigned long arg);
void khv_emulate_cpuid(struct khv_vcpu *vcpu);
void khv_set_apic_base(struct khv_vcpu *vcpu, u64 apic_base);
int khv_msrs_alloc(struct khv_vcpu *vcpu);
bool khv_cpuid_faulting(struct khv_vcpu *vcpu);
bool khv_misc_enable_mwait(struct khv_vcpu *vcpu);
long khv_get_mce_cap_supported(unsigned long arg);
long khv_vcpu_setup_mce(struct khv_vcpu *vcpu, unsigned long arg);
long khv_vcpu_set_mce(struct khv_vcpu *vcpu, unsigned long arg);
long khv_vcpu_get_msrs(struct khv_vcpu *vcpu, unsigned long arg);
long khv_vcpu_set_msrs(struct khv_vcpu *vcpu, unsigned long arg);
int khv_guest_rdmsr(struct khv_vcpu *vcpu, u32 index, u64 *data);
bool khv_msr_filter_allowed(struct khv_vcpu *vcpu, u32 index, bool write);
long khv_vm_set_msr_filter(struct khv_vm *vm, unsigned long arg);
void khv_vm_free_msr_filter(struct khv_vm *vm);
int khv_guest_wrmsr(struct khv_vcpu *vcpu, u32 index, u64 data);
void khv_tsc_host_write(struct khv_vcpu *vcpu, u64 data);
long khv_vcpu_device_attr(struct khv_vcpu *vcpu, unsigned int cmd,
			  unsigned long arg);

/* events.c */
long khv_vcpu_interrupt(struct khv_vcpu *vcpu, unsigned long arg);
long khv_vcpu_nmi(struct khv_vcpu *vcpu, unsigned long arg);
void khv_events_get(struct khv_vcpu *vcpu, struct kvm_vcpu_events *e);
int khv_events_set(struct khv_vcpu *vcpu, const struct kvm_vcpu_events *e);
long khv_vcpu_get_events(struct khv_vcpu *vcpu, unsigned long arg);
long khv_vcpu_set_events(struct khv_vcpu *vcpu, unsigned long arg);
long khv_vcpu_get_mp_state(struct khv_vcpu *vcpu, unsigned long arg);
long khv_vcpu_set_mp_state(struct khv_vcpu *vcpu, unsigned long arg);
bool khv_inject_events(struct khv_vcpu *vcpu, bool want_window);
bool khv_ready_for_interrupt(struct khv_vcpu *vcpu);
bool khv_interrupt_allowed(struct khv_vcpu *vcpu);
bool khv_interrupts_open(struct khv_vcpu *vcpu);
bool khv_nmi_allowed(struct khv_vcpu *vcpu);
bool khv_injected_irq_waits(struct khv_vcpu *vcpu);

/* eventfd.c: KVM_IRQFD, KVM_IOEVENTFD */
int khv_eventfd_module_init(void);
void khv_eventfd_module_exit(void);
void khv_eventfd_vm_init(struct khv_vm *vm);
void khv_eventfd_vm_destroy(struct khv_vm *vm);
long khv_vm_irqfd(struct khv_vm *vm, unsigned long arg);
long khv_vm_ioeventfd(struct khv_vm *vm, unsigned long arg);
void khv_irqfd_ack(struct khv_vm *vm, u32 gsi);
bool khv_irqfd_has_resamplers(struct khv_vm *vm);
bool khv_ioeventfd_write(struct khv_vm *vm, bool pio, u64 addr, u32 len,
			 const void *data);
bool khv_ioeventfd_write_irqoff(struct khv_vm *vm, u16 port, u32 len,
				const void *data);

/* coalesced.c: KVM_(UN)REGISTER_COALESCED_MMIO */
int khv_coalesced_vm_init(struct khv_vm *vm);
void khv_coalesced_vm_destroy(struct khv_vm *vm);
struct page *khv_coalesced_ring_page(struct khv_vm *vm);
bool khv_coalesced_write(struct khv_vm *vm, bool pio, u64 addr, u32 len,
			 const void *data);
long khv_vm_register_coalesced(struct khv_vm *vm, unsigned long arg);
long khv_vm_unregister_coalesced(struct khv_vm *vm, unsigned long arg);

/* bench.c: KHV_BENCH_VMRUN, for make bench only */
long khv_bench_vmrun(struct khv_vcpu *vcpu, unsigned long arg);

#endif /* KHV_H */
