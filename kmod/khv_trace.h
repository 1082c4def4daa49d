/* SPDX-License-Identifier: GPL-2.0 */
/*
 * khv's tracepoints, system "khv" (perf list 'khv:*', trace-cmd -e khv):
 * every guest entry and exit, the I/O and MMIO that go to user space,
 * interrupts put into the guest, the LAPIC timer's arming and user
 * space's TSC writes. Defined in stats.c.
 */
#undef TRACE_SYSTEM
#define TRACE_SYSTEM khv

#if !defined(KHV_TRACE_H) || defined(TRACE_HEADER_MULTI_READ)
#define KHV_TRACE_H

#include <linux/tracepoint.h>
#include "backend.h"

#define KHV_EXIT_KINDS						\
	EM(KHV_EXIT_RESUME,		"resume")		\
	EM(KHV_EXIT_HOST_EVENT,		"host_irq")		\
	EM(KHV_EXIT_DONE,		"done")			\
	EM(KHV_EXIT_IO,			"io")			\
	EM(KHV_EXIT_NPF,		"npt_fault")		\
	EM(KHV_EXIT_HLT,		"hlt")			\
	EM(KHV_EXIT_CPUID,		"cpuid")		\
	EM(KHV_EXIT_RDMSR,		"rdmsr")		\
	EM(KHV_EXIT_WRMSR,		"wrmsr")		\
	EM(KHV_EXIT_IRQ_WINDOW,		"irq_window")		\
	EM(KHV_EXIT_NMI_WINDOW,		"nmi_window")		\
	EM(KHV_EXIT_DR_ACCESS,		"dr")			\
	EM(KHV_EXIT_CR_WRITE,		"cr_write")		\
	EM(KHV_EXIT_CR_READ,		"cr_read")		\
	EM(KHV_EXIT_EXCEPTION,		"exception")		\
	EM(KHV_EXIT_ICEBP,		"icebp")		\
	EM(KHV_EXIT_RDPMC,		"rdpmc")		\
	EM(KHV_EXIT_WBINVD,		"wbinvd")		\
	EM(KHV_EXIT_MWAIT,		"mwait")		\
	EM(KHV_EXIT_PAUSE,		"pause")		\
	EM(KHV_EXIT_TASK_SWITCH,	"task_switch")		\
	EM(KHV_EXIT_HYPERCALL,		"hypercall")		\
	EM(KHV_EXIT_SHUTDOWN,		"shutdown")		\
	EM(KHV_EXIT_FAIL_ENTRY,		"fail_entry")		\
	EMe(KHV_EXIT_UNHANDLED,		"unhandled")

/* the enum's values, for tools that read the format files */
#undef EM
#undef EMe
#define EM(a, b)	TRACE_DEFINE_ENUM(a);
#define EMe(a, b)	TRACE_DEFINE_ENUM(a);
KHV_EXIT_KINDS
#undef EM
#undef EMe
#define EM(a, b)	{ a, b },
#define EMe(a, b)	{ a, b }

TRACE_EVENT(khv_entry,
	TP_PROTO(u32 vcpu_id, u64 rip),
	TP_ARGS(vcpu_id, rip),
	TP_STRUCT__entry(
		__field(u32, vcpu_id)
		__field(u64, rip)
	),
	TP_fast_assign(
		__entry->vcpu_id = vcpu_id;
		__entry->rip = rip;
	),
	TP_printk("vcpu %u rip 0x%llx", __entry->vcpu_id, __entry->rip)
);

TRACE_EVENT(khv_exit,
	TP_PROTO(u32 vcpu_id, u32 kind, u64 hw_code, u64 rip, u64 info1, u64 info2),
	TP_ARGS(vcpu_id, kind, hw_code, rip, info1, info2),
	TP_STRUCT__entry(
		__field(u32, vcpu_id)
		__field(u32, kind)
		__field(u64, hw_code)
		__field(u64, rip)
		__field(u64, info1)
		__field(u64, info2)
	),
	TP_fast_assign(
		__entry->vcpu_id = vcpu_id;
		__entry->kind = kind;
		__entry->hw_code = hw_code;
		__entry->rip = rip;
		__entry->info1 = info1;
		__entry->info2 = info2;
	),
	TP_printk("vcpu %u reason %s rip 0x%llx code 0x%llx info 0x%llx 0x%llx",
		  __entry->vcpu_id, __print_symbolic(__entry->kind, KHV_EXIT_KINDS),
		  __entry->rip, __entry->hw_code, __entry->info1, __entry->info2)
);

/* what an MMIO exit carries: a write, a read asked of user space, its answer */
#define KHV_TRACE_MMIO_WRITE		0
#define KHV_TRACE_MMIO_READ_ASK		1
#define KHV_TRACE_MMIO_READ		2

TRACE_EVENT(khv_mmio,
	TP_PROTO(u32 vcpu_id, int type, u32 len, u64 gpa, const void *data),
	TP_ARGS(vcpu_id, type, len, gpa, data),
	TP_STRUCT__entry(
		__field(u32, vcpu_id)
		__field(u32, type)
		__field(u32, len)
		__field(u64, gpa)
		__field(u64, val)
	),
	TP_fast_assign(
		__entry->vcpu_id = vcpu_id;
		__entry->type = type;
		__entry->len = len;
		__entry->gpa = gpa;
		__entry->val = 0;
		if (data)
			memcpy(&__entry->val, data, min_t(u32, len, sizeof(u64)));
	),
	TP_printk("vcpu %u %s len %u gpa 0x%llx val 0x%llx", __entry->vcpu_id,
		  __print_symbolic(__entry->type,
				   { KHV_TRACE_MMIO_WRITE, "write" },
				   { KHV_TRACE_MMIO_READ_ASK, "read_unsatisfied" },
				   { KHV_TRACE_MMIO_READ, "read" }),
		  __entry->len, __entry->gpa, __entry->val)
);

TRACE_EVENT(khv_pio,
	TP_PROTO(u32 vcpu_id, bool in, u16 port, u8 size, u32 count, const void *data),
	TP_ARGS(vcpu_id, in, port, size, count, data),
	TP_STRUCT__entry(
		__field(u32, vcpu_id)
		__field(bool, in)
		__field(u16, port)
		__field(u8, size)
		__field(u32, count)
		__field(u64, val)
	),
	TP_fast_assign(
		__entry->vcpu_id = vcpu_id;
		__entry->in = in;
		__entry->port = port;
		__entry->size = size;
		__entry->count = count;
		__entry->val = 0;
		if (data)
			memcpy(&__entry->val, data, min_t(u32, size, sizeof(u64)));
	),
	TP_printk("vcpu %u %s port 0x%x size %u count %u val 0x%llx",
		  __entry->vcpu_id, __entry->in ? "in" : "out", __entry->port,
		  __entry->size, __entry->count, __entry->val)
);

TRACE_EVENT(khv_inj_irq,
	TP_PROTO(u32 vcpu_id, u8 vector),
	TP_ARGS(vcpu_id, vector),
	TP_STRUCT__entry(
		__field(u32, vcpu_id)
		__field(u8, vector)
	),
	TP_fast_assign(
		__entry->vcpu_id = vcpu_id;
		__entry->vector = vector;
	),
	TP_printk("vcpu %u vector 0x%x", __entry->vcpu_id, __entry->vector)
);

/* The in-kernel LAPIC timer (re)armed: when it fires, in ns from now. */
TRACE_EVENT(khv_lapic_timer,
	TP_PROTO(u32 vcpu_id, u64 tsc_deadline, u64 guest_tsc, u64 expiry, u64 now),
	TP_ARGS(vcpu_id, tsc_deadline, guest_tsc, expiry, now),
	TP_STRUCT__entry(
		__field(u32, vcpu_id)
		__field(u64, tsc_deadline)
		__field(u64, guest_tsc)
		__field(s64, delay)
	),
	TP_fast_assign(
		__entry->vcpu_id = vcpu_id;
		__entry->tsc_deadline = tsc_deadline;
		__entry->guest_tsc = guest_tsc;
		__entry->delay = expiry == U64_MAX ? -1 : (s64)(expiry - now);
	),
	TP_printk("vcpu %u deadline 0x%llx tsc 0x%llx fires in %lld ns",
		  __entry->vcpu_id, __entry->tsc_deadline, __entry->guest_tsc,
		  __entry->delay)
);

/* User space set a vCPU's TSC: the offset it got, and whether matched. */
TRACE_EVENT(khv_tsc_write,
	TP_PROTO(u32 vcpu_id, u64 data, u64 offset, bool matched),
	TP_ARGS(vcpu_id, data, offset, matched),
	TP_STRUCT__entry(
		__field(u32, vcpu_id)
		__field(u64, data)
		__field(u64, offset)
		__field(bool, matched)
	),
	TP_fast_assign(
		__entry->vcpu_id = vcpu_id;
		__entry->data = data;
		__entry->offset = offset;
		__entry->matched = matched;
	),
	TP_printk("vcpu %u tsc 0x%llx offset 0x%llx%s", __entry->vcpu_id,
		  __entry->data, __entry->offset,
		  __entry->matched ? " (matches the VM's last write)" : "")
);

#endif /* KHV_TRACE_H */

/* define_trace.h finds this file on the include path (ccflags: -I kmod) */
#undef TRACE_INCLUDE_PATH
#define TRACE_INCLUDE_PATH .
#undef TRACE_INCLUDE_FILE
#define TRACE_INCLUDE_FILE khv_trace
#include <trace/define_trace.h>
