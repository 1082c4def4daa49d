/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The 8254 programmable interval timer of a PC (ports 0x40-0x43) and the
 * bits of system control port B (0x61) that belong to it, as a pure state
 * machine (see khv_pure.h): no locks, no clock, no timers. Every call takes
 * the time in ns; the glue (irqchip) passes ktime_get_ns(), which is the
 * clock user space reads count_load_time against in KVM_GET_PIT2 (QEMU
 * converts it from CLOCK_MONOTONIC), serializes the calls, arms an hrtimer
 * at khv_pit_ch0_next() and raises IRQ 0 (PIC input 0, IOAPIC pin 2) at
 * each rising edge of channel 0's OUT.
 *
 * Model. The input clock is KHV_PIT_FREQ_HZ. A channel's counting element
 * (CE) runs from a start time: after d ns it has seen
 * khv_pit_ns_to_ticks(d) clock pulses, and the CLK pulse that loads a
 * count is taken to be the moment of the write (or gate trigger) itself,
 * as KVM does; so a mode 0 count of N raises OUT N ticks after the write
 * (the datasheet's "N + 1 pulses", counting the loading one). From that:
 *
 *   mode  OUT (t ticks since the load, N the count)      CE value read
 *   0     low until t = N, then high                     N - t, wrapping
 *   1     low from the gate trigger until t = N          N - t, wrapping
 *   2     low for one tick when the CE is 1 (t % N = N-1) N - t % N
 *   3     high for (N+1)/2 ticks, low for N/2            by twos, below
 *   4, 5  low for the one tick t = N (the strobe)        N - t, wrapping
 *
 * Mode 3 counts by two: even N shows N, N-2 .. 2 in each half; odd N
 * shows N-1, N-3 .. 0 in the high half and N-1 .. 2 in the low half (the
 * datasheet loads N-1 and holds OUT high one pulse past expiry). Mode 0,
 * 1, 4 and 5 counters wrap through 0 to FFFF (9999 in BCD) and go on.
 * Count 0 means 65536 (10000 in BCD). Rising edges of OUT: modes 2 and 3
 * every N ticks (t = N, 2N, ...), mode 0 and 1 once at t = N, modes 4 and
 * 5 once at t = N + 1 (the end of the strobe).
 *
 * Programming follows the Intel 8254 datasheet:
 * - A control word resets the channel: OUT goes to the mode's initial
 *   level (low in mode 0, high otherwise), the CE stops and holds its
 *   value (null count set) until a count is written, latched count and
 *   status are dropped ("held until read or the counter is
 *   reprogrammed"), and both byte flip-flops restart at the LSB.
 * - A count loads at once in modes 0 and 4 (a mode 0 LSB of a two-byte
 *   count first stops the CE and drops OUT); in modes 2 and 3 it waits
 *   for the end of the current period (mode 2) or half-cycle (mode 3)
 *   unless counting had not started; in modes 1 and 5 it waits for the
 *   next gate rising edge ("trigger"). Until then the status byte reports
 *   null count.
 * - Gate: low stops the CE in modes 0, 2, 3, 4 (and forces OUT high in 2
 *   and 3); a rising edge resumes modes 0 and 4, and restarts modes 1, 2,
 *   3, 5 from the count register. Channels 0 and 1 have their gates tied
 *   high on a PC; only channel 2's moves (port 0x61 bit 0), so only it
 *   sees edges. khv_pit_set_state() sets levels without edges.
 * - Counter latch and read-back commands (count and/or status of any
 *   channels; a second latch before the first is read is ignored; status
 *   is read before the count whichever was latched first). The status
 *   byte is OUT, null count, and bits 5:0 of the control word as written.
 *   Read and write byte flip-flops are independent, so reads and writes
 *   of a two-byte count may interleave. Reads without a latch see the
 *   live CE, byte by byte.
 * - BCD counting is decimal: the count register's digits are the count,
 *   and reads show the CE in BCD. Digits A-F (undefined by the datasheet)
 *   weigh their value (0x00FA counts 160) and the CE shows its value
 *   modulo 10000 in BCD.
 * - Port 0x61: bit 0 is channel 2's gate, bit 1 the speaker data enable
 *   (KVM_PIT_FLAGS_SPEAKER_DATA_ON), bits 2-3 read back as written, bit 4
 *   is the refresh request toggle firmware times delays with: it flips
 *   every KHV_PIT_REFRESH_TICKS input clocks counted from 0 of the
 *   caller's clock (15.09 us, a PC's DRAM refresh interval; it does not
 *   depend on channel 1), bit 5 is OUT of channel 2, bits 6-7
 *   (parity and I/O check NMI sources) read 0.
 * - Port 0x43 reads 0xff (the 8254 does not drive the bus for it).
 *
 * What is not modelled, and why:
 * - The CLK phase: the CE ticks 1/KHV_PIT_FREQ_HZ apart from the moment it
 *   is (re)loaded, resumed, triggered or takes a new mode 2/3 count (the
 *   ns of that tick, rounded up); a guest cannot tell a sub-tick phase
 *   from I/O latency.
 * - Counts of 1 in modes 2 and 3 are illegal per the datasheet; here OUT
 *   stays high and OUT0 has no edges (a 1.19 MHz interrupt is of no use to
 *   anyone and would only load the host).
 * - Before its first control word a channel is in KVM's "mode 0xff":
 *   it counts as mode 0 from 65536 loaded at reset, but channel 0 raises
 *   no interrupt. The 8254's power-up state is undefined; this is what
 *   KVM_GET_PIT2 shows after KVM_CREATE_PIT2 (mode 0xff, count 65536,
 *   gates 1, 1, 0, rw_mode 0).
 * - With KVM_PIT_FLAGS_HPET_LEGACY set (the HPET has taken over IRQ 0)
 *   channel 0 still counts but raises no interrupt, as in KVM.
 *
 * KVM-visible behaviour: the state layout and the encodings of rw_mode,
 * read_state, write_state (1 LSB, 2 MSB, 3 LSB of a word next, 4 its MSB
 * next; 0 as 1) and count_latched (the rw format still to read) are
 * KVM's, so states move between KVM and khv. KVM models the 8254 less
 * closely, and a guest can see these differences: KVM counts in binary
 * even with BCD set, keeps the old channel 0 timer running after a
 * control word until a count is written, starts modes 1 and 5 on the
 * count write, applies a new mode 2/3 count immediately, ignores the gate
 * in modes 0 and 4, never reports null count, reports modes 6 and 7 as 2
 * and 3 in the status byte, keeps latches across a control word, inverts
 * OUT in modes 4 and 5, and toggles port 0x61 bit 4 every 2^14 ns.
 *
 * KVM_SET_PIT2 (khv_pit_set_state()): as in KVM, every channel's count is
 * reloaded at the time of the call and the count_load_time passed in is
 * ignored (it is a time on the saving host's clock, meaningless here);
 * the other fields are checked and normalized (see the function).
 */
#ifndef KHV_IRQ_PIT_H
#define KHV_IRQ_PIT_H

#include "khv_pure.h"
#include <linux/kvm.h>

#define KHV_PIT_FREQ_HZ		1193182
#define KHV_PIT_NO_TIMER	((u64)-1)

#define KHV_PIT_PORT_CH0	0x40	/* channel n at 0x40 + n */
#define KHV_PIT_PORT_CTRL	0x43
#define KHV_PIT_PORT_SPEAKER	0x61

/* Port 0x61 (system control port B) bits. */
#define KHV_PIT_61_GATE2	BIT(0)
#define KHV_PIT_61_SPEAKER	BIT(1)
#define KHV_PIT_61_RW		0x0f	/* what the guest writes and reads back */
#define KHV_PIT_61_REFRESH	BIT(4)
#define KHV_PIT_61_OUT2		BIT(5)

/* Input clocks per half period of port 0x61's refresh toggle. */
#define KHV_PIT_REFRESH_TICKS	18

/* ch[].mode of a channel no control word has programmed (KVM's value). */
#define KHV_PIT_MODE_NONE	0xff

/* ch[].rw_mode / read_state / write_state / count_latched: KVM's values. */
#define KHV_PIT_RW_LSB		1
#define KHV_PIT_RW_MSB		2
#define KHV_PIT_RW_WORD0	3	/* LSB then MSB; the LSB is next */
#define KHV_PIT_RW_WORD1	4	/* LSB then MSB; the MSB is next */

/* Status byte (read-back). */
#define KHV_PIT_ST_OUT		BIT(7)
#define KHV_PIT_ST_NULL		BIT(6)

/*
 * What a channel's counting element is doing. HELD: stopped, showing
 * @held (no count since the control word, mode 0 between the bytes of a
 * count, modes 1 and 5 before their first trigger). RUN: counting from
 * @pos at @start. FROZEN: gate low in modes 0, 2, 3, 4, stopped at @pos.
 */
enum khv_pit_run {
	KHV_PIT_HELD,
	KHV_PIT_RUN,
	KHV_PIT_FROZEN,
};

/*
 * A channel's counting element, beyond what kvm_pit_channel_state says
 * (that struct's count is the count register). Positions are in input
 * clocks since the CE was loaded with @init.
 */
struct khv_pit_ce {
	u64 start;	/* RUN: ns (caller's clock) at which the CE was at @pos */
	u64 pos;	/* RUN: position at @start; FROZEN: position held */
	u64 reload_at;	/* modes 2/3, RUN, @cr_new: ns the CE takes the count */
	u32 init;	/* the count the CE runs with, count register encoding */
	u16 held;	/* HELD: the value reads show */
	u8 run;		/* enum khv_pit_run */
	u8 ctrl;	/* bits 5:0 of the last control word, for the status */
	bool cr_new;	/* the count register holds a count the CE has not taken */
	bool reload_low; /* mode 3: @reload_at ends a high half, go on low */
};

struct khv_pit {
	/*
	 * count (the count register, 1..65536), latched_count, count_latched,
	 * status_latched, status, read_state, write_state, write_latch,
	 * rw_mode, mode, bcd, gate, count_load_time (ns, the caller's clock,
	 * when the CE would have been at position 0 of its current run).
	 */
	struct kvm_pit_channel_state ch[3];
	u32 flags;				/* KVM_PIT_FLAGS_* */
	u8 speaker;				/* port 0x61 bits 0-3 as last written */
	struct khv_pit_ce ce[3];
};

/* Input clocks in @ns (rounded down) and ns until tick @ticks (rounded up). */
u64 khv_pit_ns_to_ticks(u64 ns);
u64 khv_pit_ticks_to_ns(u64 ticks);

/*
 * The state after KVM_CREATE_PIT2 (and a PIT reset): channels unprogrammed
 * (mode 0xff), count 65536 loaded at @now_ns, gates 1, 1, 0, flags 0,
 * port 0x61 zero. The glue re-arms after it (channel 0 has no timer).
 */
void khv_pit_reset(struct khv_pit *pit, u64 now_ns);

/*
 * Guest I/O, one byte, for ports 0x40-0x43 and 0x61; -EINVAL for any other
 * port (and a NULL @val), with nothing changed. Wider accesses are the
 * glue's: KVM gives them to the first port as one byte (writes use the
 * low byte, reads return the byte zero-extended). *@reprogram (may be NULL)
 * is set true when anything channel 0's edges depend on changed: the glue
 * must then cancel its hrtimer and re-arm it at khv_pit_ch0_next().
 */
int khv_pit_read(struct khv_pit *pit, u16 port, u8 *val, u64 now_ns);
int khv_pit_write(struct khv_pit *pit, u16 port, u8 val, u64 now_ns,
		  bool *reprogram);

/*
 * Channel 0's interrupt schedule. khv_pit_ch0_next(): the time of the
 * first rising edge of OUT0 at or after @now_ns, KHV_PIT_NO_TIMER if there
 * is none (modes 0/1/4/5 past their one edge, no count loaded, gate low,
 * unprogrammed, HPET legacy, illegal count 1 in modes 2/3). After the
 * hrtimer fires for an edge at T the glue asks again with T + 1: edges are
 * exact to the ns, with no drift, and a count written mid-period in modes
 * 2/3 takes effect at the right edge. khv_pit_ch0_period_ns(): the period
 * (rounded down) of the count channel 0 runs with in modes 2 and 3, 0
 * otherwise; it is for the glue's minimum-period check (KVM does not let a
 * guest's periodic PIT go below min_timer_period_us, 200 us by default:
 * the glue should space its hrtimer at least that far apart, counting the
 * edges it skips with khv_pit_ch0_edges()) and for statistics.
 * khv_pit_ch0_edges(): how many rising edges of OUT0 fall in
 * (@after_ns, @until_ns], for reinjection of ticks the guest missed.
 */
u64 khv_pit_ch0_next(const struct khv_pit *pit, u64 now_ns);
u64 khv_pit_ch0_period_ns(const struct khv_pit *pit);
u64 khv_pit_ch0_edges(const struct khv_pit *pit, u64 after_ns, u64 until_ns);

/* OUT of @channel (0-2) at @now_ns; false for any other channel. */
bool khv_pit_out(const struct khv_pit *pit, unsigned int channel, u64 now_ns);

/*
 * KVM_GET_PIT2 / KVM_SET_PIT2. The glue does KVM_GET_PIT / KVM_SET_PIT
 * with them too: channels only, keeping the current flags on set.
 * khv_pit_set_state() changes nothing and returns -EINVAL if a field has
 * no meaning: flags other than HPET_LEGACY and SPEAKER_DATA_ON, mode
 * above 7 other than 0xff, rw_mode above 3, read_state or write_state
 * above 4, count_latched above 3, count above 65536. It normalizes what
 * has one: modes 6 and 7 to 2 and 3, count 0 to 65536, nonzero bcd,
 * gate and status_latched to 1. Then, as KVM does, each channel's count
 * is loaded at @now_ns (count_load_time is ignored): modes 0, 2, 3, 4
 * count from it if their gate is high and hold it if low, modes 1 and 5
 * start as if triggered, a mode 0 channel with write_state 4 (LSB of a
 * new count written) is stopped with OUT low, showing its count.
 * Latches, flip-flops and write_latch are taken as given; every value
 * they can hold reads back defined bytes. Port 0x61 bits 0 and 1 follow gate 2 and the flag; its
 * bits 2-3 are not part of the state and stay as they were. The glue
 * re-arms after it.
 */
void khv_pit_get_state(const struct khv_pit *pit, struct kvm_pit_state2 *s);
int khv_pit_set_state(struct khv_pit *pit, const struct kvm_pit_state2 *s,
		      u64 now_ns);

#endif /* KHV_IRQ_PIT_H */
