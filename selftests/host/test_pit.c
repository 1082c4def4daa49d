// SPDX-License-Identifier: GPL-2.0
/*
 * Host unit test of kmod/irq/pit.c, the 8254 PIT and port 0x61. The
 * expected values come from the Intel 8254 datasheet's description of each
 * mode (OUT level and counting element value per input clock, gate and
 * reprogramming rules, latch and read-back commands) and from what KVM's
 * KVM_GET_PIT2 shows (reset state, field encodings), with the conventions
 * pit.h states: the clock pulse that loads a count coincides with the
 * write, so tick k of a count loaded at L is at L + tk(k) below, the first
 * ns at which k pulses have passed.
 */
#include <stdio.h>
#include <string.h>

#include "ksft.h"
#include "irq/pit.h"

#define NS		1000000000ULL
#define T0		(5 * NS)
#define NONE		KHV_PIT_NO_TIMER
#define CTRL		0x43
#define P61		0x61

static struct khv_pit P;
static struct kvm_pit_state2 S1, S2;

/* The oracle: ns after a load at which tick @k happens (k < 1.8e10). */
static u64 tk(u64 k)
{
	return (k * NS + KHV_PIT_FREQ_HZ - 1) / KHV_PIT_FREQ_HZ;
}

/* Ticks in @ns, for ns < 1.5e13. */
static u64 ticks(u64 ns)
{
	return ns * KHV_PIT_FREQ_HZ / NS;
}

static int rd(u16 port, u64 now)
{
	u8 v = 0;

	return khv_pit_read(&P, port, &v, now) ? -1 : v;
}

/* A write: the reprogram flag, or -1. */
static int wr(u16 port, u8 val, u64 now)
{
	bool re = false;

	return khv_pit_write(&P, port, val, now, &re) ? -1 : re;
}

/* Counter latch command, then LSB and MSB (the channel is in rw mode 3). */
static int latched(int c, u64 now)
{
	int lo, hi;

	if (wr(CTRL, c << 6, now) != 0)
		return -1;
	lo = rd(0x40 + c, now);
	hi = rd(0x40 + c, now);
	return lo < 0 || hi < 0 ? -1 : lo | hi << 8;
}

/* Read-back of the status byte. */
static int status(int c, u64 now)
{
	if (wr(CTRL, 0xe0 | 2 << c, now) != 0)
		return -1;
	return rd(0x40 + c, now);
}

static int out(int c, u64 now)
{
	int st = status(c, now);

	return st < 0 ? -1 : st >> 7;
}

/* Control word (rw mode 3, @mb = mode << 1 | bcd) and a two-byte count. */
static int program(int c, u8 mb, u32 count, u64 at)
{
	if (wr(CTRL, c << 6 | 0x30 | mb, at) < 0 ||
	    wr(0x40 + c, count & 0xff, at) < 0 ||
	    wr(0x40 + c, count >> 8 & 0xff, at) < 0)
		return -1;
	return 0;
}

#define N64(x)	((unsigned long long)(x))

#define EXPECT(c, at, cnt, o)						\
	CHECK(latched(c, at) == (int)(cnt) && out(c, at) == (o),	\
	      "ch%d at %llu: count %#x out %d, want %#x %d", c, N64(at),	\
	      latched(c, at), out(c, at), (unsigned int)(cnt), o)

#define EXPECT_NEXT(now, want)						\
	CHECK(khv_pit_ch0_next(&P, now) == (want),			\
	      "ch0_next(%llu) = %llu, want %llu", N64(now),		\
	      N64(khv_pit_ch0_next(&P, now)), N64(want))

static int t_reset(void)
{
	int c, k;

	khv_pit_reset(&P, T0);
	memset(&S1, 0x5a, sizeof(S1));
	khv_pit_get_state(&P, &S1);
	/* what KVM_GET_PIT2 shows after KVM_CREATE_PIT2 */
	for (c = 0; c < 3; c++) {
		const struct kvm_pit_channel_state *ch = &S1.channels[c];

		CHECK(ch->mode == 0xff && ch->count == 0x10000 &&
		      ch->gate == (c != 2) && ch->rw_mode == 0 &&
		      ch->read_state == 0 && ch->write_state == 0 &&
		      ch->count_latched == 0 && ch->status_latched == 0 &&
		      ch->bcd == 0 && ch->count_load_time == (s64)T0,
		      "channel %d after reset", c);
	}
	CHECK(S1.flags == 0, "flags %#x", S1.flags);
	for (k = 0; k < (int)ARRAY_SIZE(S1.reserved); k++)
		CHECK(S1.reserved[k] == 0, "reserved[%d] %#x", k, S1.reserved[k]);

	/* no interrupt from an unprogrammed channel 0 */
	EXPECT_NEXT(T0, NONE);
	CHECK(khv_pit_ch0_period_ns(&P) == 0, "period");
	CHECK(khv_pit_ch0_edges(&P, 0, NONE) == 0, "edges");

	/* it counts down from 65536 like mode 0; no format: LSB reads */
	CHECK(rd(0x40, T0 + tk(1)) == 0xff, "ch0 LSB after 1 tick");
	CHECK(rd(0x40, T0 + tk(1)) == 0xff, "still the LSB");
	CHECK(rd(0x40, T0 + tk(0x1234)) == 0xcc, "ch0 after 0x1234 ticks");
	CHECK(rd(0x41, T0 + tk(0x1234)) == 0xcc, "ch1 after 0x1234 ticks");
	/* channel 2's gate is low: it holds 65536, which reads 0 */
	CHECK(rd(0x42, T0 + NS) == 0, "ch2 holds");
	CHECK(rd(CTRL, T0) == 0xff, "port 0x43 reads 0xff");

	/* no rw format: a latch command latches nothing (as in KVM) */
	CHECK(wr(CTRL, 0x00, T0 + tk(10)) == 0, "latch");
	khv_pit_get_state(&P, &S1);
	CHECK(S1.channels[0].count_latched == 0, "latched with rw 0");
	CHECK(rd(0x40, T0 + tk(20)) == 0xec, "live read");

	/* status: OUT as mode 0 (high from 65536 ticks), bits 5:0 zero */
	CHECK(status(0, T0) == 0x00, "status %#x", status(0, T0));
	CHECK(status(0, T0 + tk(65536) - 1) == 0x00, "status before 65536");
	CHECK(status(0, T0 + tk(65536)) == 0x80, "status at 65536");

	/* channel 2 starts counting when its gate rises */
	CHECK(wr(P61, 0x01, T0 + NS) == 0, "gate 2 up");
	CHECK(rd(0x42, T0 + NS + tk(2)) == 0xfe, "ch2 counts");
	return KSFT_PASS;
}

static int t_ports(void)
{
	static const u16 bad[] = { 0, 0x20, 0x3f, 0x44, 0x47, 0x48, 0x60, 0x62,
				   0x80, 0x140, 0x161, 0xff40, 0xffff };
	unsigned int i;
	bool re;
	u8 v;

	khv_pit_reset(&P, T0);
	CHECK(program(0, 2 << 1, 1000, T0) == 0, "program");
	khv_pit_get_state(&P, &S1);
	for (i = 0; i < ARRAY_SIZE(bad); i++) {
		v = 0x5a;
		CHECK(khv_pit_read(&P, bad[i], &v, T0 + 1) == -EINVAL && v == 0x5a,
		      "read port %#x", bad[i]);
		re = true;
		CHECK(khv_pit_write(&P, bad[i], 0x34, T0 + 1, &re) == -EINVAL && !re,
		      "write port %#x", bad[i]);
		CHECK(khv_pit_write(&P, bad[i], 0x34, T0 + 1, NULL) == -EINVAL,
		      "write port %#x, no reprogram", bad[i]);
	}
	CHECK(khv_pit_read(&P, 0x40, NULL, T0) == -EINVAL, "NULL val");
	khv_pit_get_state(&P, &S2);
	CHECK(!memcmp(&S1, &S2, sizeof(S1)), "bad ports changed the state");
	EXPECT_NEXT(T0, T0 + tk(1000));
	/* every good port reads; reprogram may be NULL */
	for (i = 0; i < 4; i++)
		CHECK(khv_pit_read(&P, 0x40 + i, &v, T0) == 0, "read %#x", 0x40 + i);
	CHECK(khv_pit_read(&P, 0x61, &v, T0) == 0, "read 0x61");
	CHECK(khv_pit_write(&P, 0x61, 0, T0, NULL) == 0, "write 0x61");
	CHECK(khv_pit_write(&P, 0x41, 0, T0, NULL) == 0, "write 0x41");
	CHECK(rd(CTRL, T0) == 0xff, "0x43 after programming");
	return KSFT_PASS;
}

static int t_mode0(void)
{
	u64 l = T0 + 5000, x, y;

	khv_pit_reset(&P, T0);
	/* control word: OUT low, null count, no timer until a count */
	CHECK(wr(CTRL, 0x30, T0) == 1, "control word reprograms");
	CHECK(status(0, T0) == 0x70, "status %#x", status(0, T0));
	EXPECT_NEXT(T0, NONE);
	CHECK(wr(0x40, 100, T0) == 1, "LSB");
	CHECK(status(0, T0) == 0x70, "after LSB %#x", status(0, T0));
	CHECK(wr(0x40, 0, l) == 1, "MSB loads");
	CHECK(status(0, l) == 0x30, "loaded %#x", status(0, l));

	EXPECT(0, l, 100, 0);
	EXPECT(0, l + tk(1) - 1, 100, 0);
	EXPECT(0, l + tk(1), 99, 0);
	EXPECT(0, l + tk(99), 1, 0);
	EXPECT(0, l + tk(100) - 1, 1, 0);
	EXPECT(0, l + tk(100), 0, 1);
	EXPECT(0, l + tk(101), 0xffff, 1);	/* wraps, OUT stays high */
	EXPECT(0, l + tk(200), 0xff9c, 1);
	EXPECT(0, l + tk(65636), 0, 1);

	/* one edge, at terminal count */
	EXPECT_NEXT(l, l + tk(100));
	EXPECT_NEXT(l + tk(100), l + tk(100));
	EXPECT_NEXT(l + tk(100) + 1, NONE);
	CHECK(khv_pit_ch0_period_ns(&P) == 0, "not periodic");
	CHECK(khv_pit_ch0_edges(&P, l, l + tk(100)) == 1, "one edge");
	CHECK(khv_pit_ch0_edges(&P, l, l + tk(100) - 1) == 0, "not yet");
	CHECK(khv_pit_ch0_edges(&P, l + tk(100), NONE - 1) == 0, "only one");

	/* rewriting after terminal count: the LSB drops OUT and stops */
	x = l + tk(300);
	CHECK(wr(0x40, 0x20, x) == 1, "LSB of a new count");
	EXPECT(0, x, 0xff38, 0);	/* 100 - 300, held */
	EXPECT(0, x + NS, 0xff38, 0);
	CHECK(status(0, x + NS) == 0x70, "null count while stopped");
	EXPECT_NEXT(x, NONE);
	y = x + 2 * NS;
	CHECK(wr(0x40, 0x01, y) == 1, "MSB");
	EXPECT(0, y + tk(0x120) - 1, 1, 0);
	EXPECT(0, y + tk(0x120), 0, 1);
	EXPECT_NEXT(y, y + tk(0x120));

	/* reprogramming mid-count restarts from the new count */
	y += tk(0x100);
	CHECK(program(0, 0, 50, y) == 0, "program 50");
	EXPECT(0, y + tk(10), 40, 0);
	EXPECT_NEXT(y, y + tk(50));
	/* LSB-only format: each byte is a whole count, loaded at once */
	CHECK(wr(CTRL, 0x10, y + tk(20)) == 1, "rw LSB");
	CHECK(wr(0x40, 7, y + tk(30)) == 1, "count 7");
	EXPECT_NEXT(y + tk(30), y + tk(30) + tk(7));
	CHECK(rd(0x40, y + tk(30) + tk(3)) == 4, "LSB read");
	CHECK(rd(0x40, y + tk(30) + tk(3)) == 4, "LSB again");
	/* count 0 means 65536 */
	CHECK(wr(0x40, 0, y + tk(40)) == 1, "count 0");
	EXPECT_NEXT(y + tk(40), y + tk(40) + tk(65536));
	return KSFT_PASS;
}

static int t_mode0_gate(void)
{
	u64 l = T0 + 777, g1, g2, h, h2;

	khv_pit_reset(&P, T0);
	CHECK(wr(P61, 0x01, T0) == 0, "gate 2 up, not channel 0's business");
	CHECK(program(2, 0, 1000, l) == 0, "program");
	EXPECT(2, l + tk(300), 700, 0);
	/* gate low stops the count, OUT unaffected */
	g1 = l + tk(300) + 10;
	CHECK(wr(P61, 0x00, g1) == 0, "gate down");
	EXPECT(2, g1 + NS, 700, 0);
	CHECK((rd(P61, g1 + NS) & 0x21) == 0, "gate and OUT2 read 0");
	/* and a rising edge goes on from there */
	g2 = g1 + NS + 123;
	CHECK(wr(P61, 0x01, g2) == 0, "gate up");
	EXPECT(2, g2, 700, 0);
	EXPECT(2, g2 + tk(699), 1, 0);
	EXPECT(2, g2 + tk(700) - 1, 1, 0);
	EXPECT(2, g2 + tk(700), 0, 1);
	CHECK((rd(P61, g2 + tk(700)) & 0x21) == 0x21, "OUT2 in port 0x61");
	CHECK((rd(P61, g2 + tk(700) - 1) & 0x21) == 0x01, "OUT2 low before");

	/* a count written while the gate is low loads but does not count */
	h = g2 + NS;
	CHECK(wr(P61, 0x00, h) == 0, "gate down");
	CHECK(program(2, 0, 50, h + 1) == 0, "program 50");
	EXPECT(2, h + NS, 50, 0);
	CHECK(status(2, h + NS) == 0x30, "loaded (no null count)");
	h2 = h + 2 * NS;
	CHECK(wr(P61, 0x01, h2) == 0, "gate up");
	EXPECT(2, h2 + tk(50) - 1, 1, 0);
	EXPECT(2, h2 + tk(50), 0, 1);
	/* channel 0 never saw any of it */
	EXPECT_NEXT(T0, NONE);
	return KSFT_PASS;
}

static int t_mode1(void)
{
	u64 l = T0 + 100, g, r, w, r2;

	khv_pit_reset(&P, T0);
	CHECK(wr(CTRL, 0xb2, T0) == 0, "ch2 mode 1");
	CHECK(status(2, T0) == 0xf2, "OUT high, null: %#x", status(2, T0));
	CHECK(wr(0x42, 500 & 0xff, l) == 0 && wr(0x42, 500 >> 8, l) == 0, "count");
	/* armed, waiting for a trigger: nothing moves */
	CHECK(status(2, l + NS) == 0xf2, "armed %#x", status(2, l + NS));
	CHECK(latched(2, l) == latched(2, l + NS), "held while armed");

	g = l + 2 * NS;
	CHECK(wr(P61, 0x01, g) == 0, "trigger");
	CHECK(status(2, g) == 0x32, "one-shot: OUT low, count in: %#x",
	      status(2, g));
	EXPECT(2, g, 500, 0);
	EXPECT(2, g + tk(1), 499, 0);
	EXPECT(2, g + tk(499), 1, 0);
	EXPECT(2, g + tk(500) - 1, 1, 0);
	EXPECT(2, g + tk(500), 0, 1);
	EXPECT(2, g + tk(501), 0xffff, 1);

	/* the gate's level does not matter, its rising edge retriggers */
	g += tk(1000);
	CHECK(wr(P61, 0x00, g) == 0 && wr(P61, 0x01, g) == 0, "retrigger");
	CHECK(wr(P61, 0x00, g + tk(100)) == 0, "gate low mid-pulse");
	EXPECT(2, g + tk(200), 300, 0);
	r = g + tk(200) + 7;
	CHECK(wr(P61, 0x01, r) == 0, "retrigger mid-pulse");
	EXPECT(2, r + tk(499), 1, 0);
	EXPECT(2, r + tk(500), 0, 1);

	/* a new count waits for the next trigger */
	r += tk(1000);
	CHECK(wr(P61, 0x00, r) == 0 && wr(P61, 0x01, r) == 0, "trigger");
	w = r + tk(10);
	CHECK(wr(0x42, 200, w) == 0 && wr(0x42, 0, w) == 0, "count 200");
	CHECK(status(2, w) == 0x72, "OUT low, null count: %#x", status(2, w));
	EXPECT(2, r + tk(499), 1, 0);
	EXPECT(2, r + tk(500), 0, 1);
	r2 = r + tk(600);
	CHECK(wr(P61, 0x00, r2) == 0 && wr(P61, 0x01, r2) == 0, "trigger");
	CHECK(status(2, r2) == 0x32, "taken: %#x", status(2, r2));
	EXPECT(2, r2 + tk(200) - 1, 1, 0);
	EXPECT(2, r2 + tk(200), 0, 1);

	/* a trigger with no count since the control word loads nothing */
	r2 += NS;
	CHECK(wr(P61, 0x00, r2) == 0 && wr(CTRL, 0xb2, r2) == 0, "mode 1 again");
	CHECK(wr(P61, 0x01, r2 + 1) == 0, "trigger");
	CHECK(status(2, r2 + NS) == 0xf2, "still waiting: %#x",
	      status(2, r2 + NS));
	CHECK(wr(P61, 0x00, r2) == 0 && wr(CTRL, 0xb4, r2) == 0, "mode 2");
	CHECK(wr(P61, 0x01, r2 + 1) == 0, "gate up");
	CHECK(status(2, r2 + NS) == 0xf4 && latched(2, r2 + NS) == latched(2, r2),
	      "mode 2 waits for a count too");

	/* on channel 0 (gate tied high) there is never a trigger */
	CHECK(program(0, 1 << 1, 100, T0) == 0, "ch0 mode 1");
	EXPECT_NEXT(T0, NONE);
	CHECK(out(0, T0 + NS) == 1, "OUT0 high");
	return KSFT_PASS;
}

static int t_mode2(void)
{
	static const int cnt[] = { 5, 4, 3, 2, 1 };
	u64 l = T0 + 1, w, t;
	int k;

	khv_pit_reset(&P, T0);
	CHECK(program(0, 2 << 1, 5, l) == 0, "program 5");
	CHECK(status(0, l) == 0xb4, "status %#x", status(0, l));
	/* OUT low while the CE is 1, reload after: every tick, 3 periods */
	for (k = 0; k < 15; k++)
		EXPECT(0, l + tk(k), cnt[k % 5], k % 5 != 4);
	for (k = 1; k < 15; k++)
		EXPECT(0, l + tk(k) - 1, cnt[(k - 1) % 5], (k - 1) % 5 != 4);

	CHECK(program(0, 2 << 1, 1000, l) == 0, "program 1000");
	EXPECT(0, l + tk(999), 1, 0);
	EXPECT(0, l + tk(1000), 1000, 1);
	EXPECT(0, l + tk(1001), 999, 1);
	CHECK(khv_pit_ch0_period_ns(&P) == 838095, "period %llu",
	      N64(khv_pit_ch0_period_ns(&P)));
	EXPECT_NEXT(l, l + tk(1000));
	EXPECT_NEXT(l + tk(1000), l + tk(1000));
	EXPECT_NEXT(l + tk(1000) + 1, l + tk(2000));
	/* 123456789 ns in is tick 147306: the next edge is tick 148000 */
	EXPECT_NEXT(l + 123456789, l + 124038077);
	CHECK(khv_pit_ch0_edges(&P, l, l + tk(5000)) == 5, "5 edges");
	CHECK(khv_pit_ch0_edges(&P, l + tk(1000), l + tk(5000) - 1) == 3,
	      "3 edges");
	CHECK(khv_pit_ch0_edges(&P, l + tk(5000), l + tk(1000)) == 0,
	      "empty interval");

	/* the first byte of a new count changes nothing in mode 2 */
	w = l + tk(2300);
	CHECK(wr(0x40, 500 & 0xff, w) == 0, "LSB");
	CHECK(status(0, w) == 0xb4, "no null count yet");
	/* a new count waits for the end of the period */
	CHECK(wr(0x40, 500 >> 8, w) == 1, "MSB");
	CHECK(status(0, w) == 0xf4, "null count: %#x", status(0, w));
	EXPECT(0, l + tk(2999), 1, 0);
	EXPECT_NEXT(w, l + tk(3000));
	EXPECT_NEXT(l + tk(3000) + 1, l + tk(3000) + tk(500));
	CHECK(khv_pit_ch0_edges(&P, w, l + tk(3000) + tk(1000)) == 3,
	      "edges across the reload");
	CHECK(khv_pit_ch0_edges(&P, l, w) == 2, "edges before it");
	EXPECT(0, l + tk(3000), 500, 1);
	CHECK(status(0, l + tk(3000)) == 0xb4, "taken: %#x",
	      status(0, l + tk(3000)));
	CHECK(khv_pit_ch0_period_ns(&P) == 419047, "period %llu",
	      N64(khv_pit_ch0_period_ns(&P)));
	t = l + tk(3000);
	EXPECT(0, t + tk(499), 1, 0);
	EXPECT(0, t + tk(500), 500, 1);

	/* a count of 1 is illegal: OUT stays high, no interrupt */
	CHECK(program(0, 2 << 1, 1, t) == 0, "program 1");
	EXPECT_NEXT(t, NONE);
	CHECK(out(0, t + tk(5)) == 1, "OUT high");
	CHECK(khv_pit_ch0_period_ns(&P) == 0, "no period");
	CHECK(khv_pit_ch0_edges(&P, t, t + NS) == 0, "no edges");

	/* gate (channel 2): low forces OUT high and stops, rising reloads */
	CHECK(wr(P61, 0x01, t) == 0, "gate up");
	CHECK(program(2, 2 << 1, 100, t) == 0, "ch2 mode 2");
	EXPECT(2, t + tk(99), 1, 0);
	CHECK(wr(P61, 0x00, t + tk(99) + 5) == 0, "gate down in the pulse");
	EXPECT(2, t + tk(99) + 5, 1, 1);
	EXPECT(2, t + NS, 1, 1);
	CHECK(wr(0x42, 40, t + NS) == 0 && wr(0x42, 0, t + NS) == 0, "count 40");
	CHECK(status(2, t + NS) == 0xf4, "null count while stopped: %#x",
	      status(2, t + NS));
	w = t + 2 * NS;
	CHECK(wr(P61, 0x01, w) == 0, "gate up");
	EXPECT(2, w, 40, 1);
	EXPECT(2, w + tk(39), 1, 0);
	EXPECT(2, w + tk(40), 40, 1);
	/* writes to channel 2 do not move channel 0's schedule */
	EXPECT_NEXT(t, NONE);
	return KSFT_PASS;
}

static int t_mode3(void)
{
	/* the datasheet's mode 3: even counts by two, odd ones from N - 1 */
	static const int c10[] = { 10, 8, 6, 4, 2, 10, 8, 6, 4, 2 };
	static const int c7[] = { 6, 4, 2, 0, 6, 4, 2 };
	u64 l = T0 + 3, w, s;
	int k;

	khv_pit_reset(&P, T0);
	CHECK(program(0, 3 << 1, 10, l) == 0, "program 10");
	CHECK(status(0, l) == 0xb6, "status %#x", status(0, l));
	for (k = 0; k < 30; k++)
		EXPECT(0, l + tk(k), c10[k % 10], k % 10 < 5);
	EXPECT_NEXT(l, l + tk(10));
	EXPECT_NEXT(l + tk(10) + 1, l + tk(20));

	CHECK(program(0, 3 << 1, 7, l) == 0, "program 7");
	/* high for (N + 1) / 2 = 4 ticks, low for 3 */
	for (k = 0; k < 21; k++)
		EXPECT(0, l + tk(k), c7[k % 7], k % 7 < 4);
	for (k = 1; k < 21; k++)
		CHECK(out(0, l + tk(k) - 1) == ((k - 1) % 7 < 4), "tick %d", k);
	EXPECT_NEXT(l + 1, l + tk(7));
	EXPECT_NEXT(l + tk(7) + 1, l + tk(14));
	CHECK(khv_pit_ch0_edges(&P, l, l + tk(70)) == 10, "10 edges");

	/* Linux's and the BIOS's 18.2 Hz: count 0 */
	CHECK(program(0, 3 << 1, 0, l) == 0, "program 0");
	CHECK(khv_pit_ch0_period_ns(&P) == 54925401, "period %llu",
	      N64(khv_pit_ch0_period_ns(&P)));
	EXPECT_NEXT(l, l + 54925402);
	EXPECT(0, l, 0, 1);
	EXPECT(0, l + tk(1), 0xfffe, 1);
	EXPECT(0, l + tk(32767), 2, 1);
	EXPECT(0, l + tk(32768), 0, 0);
	EXPECT(0, l + tk(65535), 2, 0);

	/* a new count is taken at the end of the current half-cycle */
	CHECK(program(0, 3 << 1, 10, l) == 0, "program 10");
	w = l + tk(12);
	CHECK(wr(0x40, 20, w) == 0 && wr(0x40, 0, w) == 1, "count 20");
	CHECK(status(0, w) == 0xf6, "null count: %#x", status(0, w));
	EXPECT(0, l + tk(14), 2, 1);
	/* ... which began at tick 15: the low half of 20 (10 ticks) */
	s = l + tk(15);
	EXPECT_NEXT(w, s + tk(10));
	EXPECT_NEXT(s + tk(10) + 1, s + tk(30));
	EXPECT(0, s, 20, 0);
	CHECK(status(0, s) == 0x36, "taken: %#x", status(0, s));
	EXPECT(0, s + tk(9), 2, 0);
	EXPECT(0, s + tk(10), 20, 1);
	EXPECT(0, s + tk(19), 2, 1);
	EXPECT(0, s + tk(20), 20, 0);
	/* written in the low half: taken at the end of the period */
	w = s + tk(23);
	CHECK(wr(0x40, 8, w) == 0 && wr(0x40, 0, w) == 1, "count 8");
	EXPECT_NEXT(w, s + tk(30));
	EXPECT_NEXT(s + tk(30) + 1, s + tk(30) + tk(8));
	EXPECT(0, s + tk(30), 8, 1);
	EXPECT(0, s + tk(30) + tk(4), 8, 0);

	/* gate (channel 2): low forces OUT high, rising restarts high */
	CHECK(wr(P61, 0x01, l) == 0, "gate up");
	CHECK(program(2, 3 << 1, 4, l) == 0, "ch2 mode 3, count 4");
	for (k = 0; k < 8; k++)
		CHECK(!!(rd(P61, l + tk(k)) & 0x20) == (k % 4 < 2),
		      "OUT2 at tick %d", k);
	CHECK(wr(P61, 0x00, l + tk(2)) == 0, "gate down in the low half");
	EXPECT(2, l + tk(2), 4, 1);
	EXPECT(2, l + tk(100), 4, 1);
	CHECK(wr(P61, 0x01, l + NS) == 0, "gate up");
	EXPECT(2, l + NS + tk(1), 2, 1);
	EXPECT(2, l + NS + tk(2), 4, 0);

	/* count 1 is illegal: OUT stays high, no interrupt */
	CHECK(program(0, 3 << 1, 1, l) == 0, "program 1");
	EXPECT_NEXT(l, NONE);
	CHECK(out(0, l + tk(3)) == 1, "OUT high");
	/* modes 6 and 7 are 2 and 3 */
	CHECK(program(0, 7 << 1, 10, l) == 0, "mode 7");
	EXPECT_NEXT(l + 1, l + tk(10));
	EXPECT(0, l + tk(5), 10, 0);
	CHECK(status(0, l) == 0xbe, "status keeps the mode as written: %#x",
	      status(0, l));
	CHECK(program(0, 6 << 1, 10, l) == 0, "mode 6");
	EXPECT(0, l + tk(9), 1, 0);
	khv_pit_get_state(&P, &S1);
	CHECK(S1.channels[0].mode == 2, "mode 6 is 2");
	return KSFT_PASS;
}

static int t_mode4_5(void)
{
	static const int c4[] = { 5, 4, 3, 2, 1, 0, 0xffff, 0xfffe };
	u64 l = T0 + 11, w, g, r;
	int k;

	khv_pit_reset(&P, T0);
	CHECK(program(0, 4 << 1, 5, l) == 0, "program 5");
	CHECK(status(0, l) == 0xb8, "status %#x", status(0, l));
	/* OUT high, low for the one tick the CE is 0, high again */
	for (k = 0; k < 8; k++)
		EXPECT(0, l + tk(k), c4[k], k != 5);
	CHECK(out(0, l + tk(6) - 1) == 0, "strobe until tick 6");
	EXPECT_NEXT(l, l + tk(6));
	EXPECT_NEXT(l + tk(6), l + tk(6));
	EXPECT_NEXT(l + tk(6) + 1, NONE);
	CHECK(khv_pit_ch0_edges(&P, l, l + NS) == 1, "one edge");

	/* the first byte does nothing, the second restarts */
	CHECK(program(0, 4 << 1, 100, l) == 0, "program 100");
	CHECK(wr(0x40, 30, l + tk(2)) == 0, "LSB");
	EXPECT(0, l + tk(3), 97, 1);
	EXPECT_NEXT(l + tk(3), l + tk(101));
	w = l + tk(10);
	CHECK(wr(0x40, 0, w) == 1, "MSB");
	EXPECT(0, w + tk(30), 0, 0);
	EXPECT_NEXT(w, w + tk(31));

	/* gate low stops mode 4, OUT unaffected */
	CHECK(wr(P61, 0x01, l) == 0, "gate up");
	CHECK(program(2, 4 << 1, 10, l) == 0, "ch2 mode 4");
	CHECK(wr(P61, 0x00, l + tk(4)) == 0, "gate down");
	EXPECT(2, l + NS, 6, 1);
	CHECK(wr(P61, 0x01, l + 2 * NS) == 0, "gate up");
	EXPECT(2, l + 2 * NS + tk(6), 0, 0);
	EXPECT(2, l + 2 * NS + tk(7), 0xffff, 1);

	/* mode 5 waits for a trigger, strobes N + 1 ticks after it */
	l += 3 * NS;
	CHECK(wr(P61, 0x00, l) == 0, "gate down");
	CHECK(program(2, 5 << 1, 5, l) == 0, "ch2 mode 5");
	CHECK(status(2, l + NS) == 0xfa, "armed: %#x", status(2, l + NS));
	g = l + NS;
	CHECK(wr(P61, 0x01, g) == 0, "trigger");
	for (k = 0; k < 8; k++)
		EXPECT(2, g + tk(k), c4[k], k != 5);
	/* a retrigger before expiry starts over with a new count */
	g += NS;
	CHECK(wr(P61, 0x00, g) == 0 && wr(P61, 0x01, g) == 0, "trigger");
	CHECK(wr(0x42, 10, g + tk(2)) == 0 && wr(0x42, 0, g + tk(2)) == 0,
	      "count 10");
	EXPECT(2, g + tk(3), 2, 1);
	r = g + tk(4);
	CHECK(wr(P61, 0x00, r) == 0 && wr(P61, 0x01, r) == 0, "retrigger");
	EXPECT(2, r + tk(5), 5, 1);
	EXPECT(2, r + tk(10), 0, 0);
	EXPECT(2, r + tk(11), 0xffff, 1);
	return KSFT_PASS;
}

static int t_latch(void)
{
	u64 l = T0 + 29;

	khv_pit_reset(&P, T0);
	CHECK(program(0, 2 << 1, 1000, l) == 0, "program");
	/* latched at tick 100, read much later */
	CHECK(wr(CTRL, 0x00, l + tk(100)) == 0, "latch");
	CHECK(rd(0x40, l + tk(500)) == (900 & 0xff), "latched LSB");
	CHECK(rd(0x40, l + tk(600)) == 900 >> 8, "latched MSB");
	/* then the CE again, live */
	CHECK(rd(0x40, l + tk(700)) == (300 & 0xff), "live LSB");
	CHECK(rd(0x40, l + tk(700)) == 300 >> 8, "live MSB");

	/* a second latch before the first is read is ignored */
	CHECK(wr(CTRL, 0x00, l + tk(100)) == 0, "latch");
	CHECK(wr(CTRL, 0x00, l + tk(200)) == 0, "latch again");
	CHECK(rd(0x40, l + tk(300)) == (900 & 0xff), "first LSB");
	CHECK(wr(CTRL, 0x00, l + tk(250)) == 0, "latch with the MSB unread");
	CHECK(rd(0x40, l + tk(300)) == 900 >> 8, "first MSB");
	CHECK(latched(0, l + tk(300)) == 700, "a new latch works");

	/* a control word drops the latch; the CE holds its value */
	CHECK(wr(CTRL, 0x00, l + tk(100)) == 0, "latch");
	CHECK(wr(CTRL, 0x34, l + tk(400)) == 1, "control word");
	CHECK(rd(0x40, l + tk(450)) == (600 & 0xff), "held LSB");
	CHECK(rd(0x40, l + tk(450)) == 600 >> 8, "held MSB");
	CHECK(wr(0x40, 0, l + tk(500)) == 0 && wr(0x40, 1, l + tk(500)) == 1,
	      "count 256");

	/* one-byte formats latch one byte */
	CHECK(wr(CTRL, 0x14, l) == 1 && wr(0x40, 0x80, l) == 1, "rw LSB");
	CHECK(wr(CTRL, 0x00, l + tk(0x10)) == 0, "latch");
	CHECK(rd(0x40, l + tk(0x20)) == 0x70, "latched LSB");
	CHECK(rd(0x40, l + tk(0x20)) == 0x60, "then live");
	CHECK(wr(CTRL, 0x24, l) == 1 && wr(0x40, 0x12, l) == 1, "rw MSB");
	CHECK(wr(CTRL, 0x00, l + tk(0x100)) == 0, "latch");
	CHECK(rd(0x40, l + tk(0x300)) == 0x11, "latched MSB");
	CHECK(rd(0x40, l + tk(0x300)) == 0x0f, "then live");
	khv_pit_get_state(&P, &S1);
	CHECK(S1.channels[0].count == 0x1200, "MSB-only count %#x",
	      S1.channels[0].count);
	return KSFT_PASS;
}

static int t_readback(void)
{
	u64 l = T0 + 41;

	khv_pit_reset(&P, T0);
	CHECK(program(0, 0, 100, l) == 0, "ch0 mode 0");
	CHECK(program(1, 2 << 1, 300, l) == 0, "ch1 mode 2");
	CHECK(wr(P61, 1, l) == 0, "gate 2");
	CHECK(program(2, 3 << 1, 1000, l) == 0, "ch2 mode 3");

	/* count and status: status first, then the count */
	CHECK(wr(CTRL, 0xc2, l + tk(10)) == 0, "read-back ch0");
	CHECK(rd(0x40, l + tk(200)) == 0x30, "status");
	CHECK(rd(0x40, l + tk(200)) == 90, "LSB");
	CHECK(rd(0x40, l + tk(200)) == 0, "MSB");
	/* count latched before status: still status first */
	CHECK(wr(CTRL, 0xd2, l + tk(20)) == 0, "count");
	CHECK(wr(CTRL, 0xe2, l + tk(200)) == 0, "status, OUT now high");
	CHECK(rd(0x40, l + tk(300)) == 0xb0, "status first");
	CHECK(rd(0x40, l + tk(300)) == 80, "then LSB");
	CHECK(rd(0x40, l + tk(300)) == 0, "MSB");
	/* a second status latch before the read is ignored */
	CHECK(wr(CTRL, 0xe2, l + tk(10)) == 0, "status, OUT low");
	CHECK(wr(CTRL, 0xe2, l + tk(200)) == 0, "status again");
	CHECK(rd(0x40, l + tk(200)) == 0x30, "the first status");
	CHECK(rd(0x40, l + tk(200)) == 0xff - 99, "then live");
	CHECK(rd(0x40, l + tk(200)) == 0xff, "live MSB");
	/* all three at once; bit 0 is reserved and ignored */
	CHECK(wr(CTRL, 0xcf, l + tk(100)) == 0, "read-back all");
	CHECK(rd(0x40, l + tk(500)) == 0xb0 && rd(0x40, l) == 0 &&
	      rd(0x40, l) == 0, "ch0");
	CHECK(rd(0x41, l + tk(500)) == 0xb4 && rd(0x41, l) == 200 &&
	      rd(0x41, l) == 0, "ch1");
	CHECK(rd(0x42, l + tk(500)) == 0xb6 && rd(0x42, l) == (800 & 0xff) &&
	      rd(0x42, l) == 800 >> 8, "ch2");
	/* count of 1 and 2 only: channel 0 has nothing latched */
	CHECK(wr(CTRL, 0xdc, l + tk(150)) == 0, "read-back ch1 ch2");
	CHECK(rd(0x40, l + tk(170)) == 0xff - 69, "ch0 live");
	CHECK(rd(0x41, l + tk(170)) == 150, "ch1 latched");
	CHECK(rd(0x41, l + tk(170)) == 0, "ch1 latched MSB");
	CHECK(rd(0x42, l + tk(170)) == (1000 - 300) % 256, "ch2 latched");
	CHECK(rd(0x42, l + tk(170)) == 700 >> 8, "ch2 latched MSB");
	/* bits 5 and 4 both set latch nothing */
	CHECK(wr(CTRL, 0xfe, l + tk(150)) == 0, "read-back of nothing");
	CHECK(rd(0x41, l + tk(160)) == 140, "ch1 live");
	/* null count: after the control word, and until a count is taken */
	CHECK(wr(CTRL, 0x74, l) == 0, "ch1 control word");
	CHECK(status(1, l) == 0xf4, "null count %#x", status(1, l));
	CHECK(wr(0x41, 5, l) == 0 && wr(0x41, 0, l) == 0, "count 5");
	CHECK(status(1, l) == 0xb4, "loaded %#x", status(1, l));
	return KSFT_PASS;
}

static int t_flipflops(void)
{
	u64 l = T0 + 53;
	int lo, hi;

	khv_pit_reset(&P, T0);
	CHECK(program(0, 2 << 1, 0x1234, l) == 0, "program");
	/* live reads: each byte from the CE at its own time */
	lo = rd(0x40, l + tk(0x34));
	hi = rd(0x40, l + tk(0x235));
	CHECK(lo == 0x00 && hi == 0x0f, "live %#x %#x", lo, hi);
	/* reads and writes of a word interleave, each with its flip-flop */
	CHECK(rd(0x40, l + tk(0x100)) == 0x34, "read LSB");
	CHECK(wr(0x40, 0x78, l + tk(0x100)) == 0, "write LSB");
	CHECK(rd(0x40, l + tk(0x100)) == 0x11, "read MSB");
	CHECK(wr(0x40, 0x56, l + tk(0x100)) == 1, "write MSB");
	khv_pit_get_state(&P, &S1);
	CHECK(S1.channels[0].count == 0x5678, "count %#x", S1.channels[0].count);
	CHECK(S1.channels[0].read_state == KHV_PIT_RW_WORD0 &&
	      S1.channels[0].write_state == KHV_PIT_RW_WORD0, "flip-flops");
	/* half a read, then a control word: the next read is an LSB */
	CHECK(rd(0x40, l + tk(0x201)) == 0x33, "LSB");
	khv_pit_get_state(&P, &S1);
	CHECK(S1.channels[0].read_state == KHV_PIT_RW_WORD1, "MSB next");
	l += NS;
	CHECK(program(0, 2 << 1, 0x1234, l) == 0, "program");
	CHECK(rd(0x40, l + tk(1)) == 0x33, "LSB again");
	/* half a write, then a control word: the LSB is forgotten */
	CHECK(wr(0x40, 0x99, l) == 0, "LSB");
	CHECK(wr(CTRL, 0x34, l) == 1, "control word");
	CHECK(wr(0x40, 0x10, l) == 0 && wr(0x40, 0, l) == 1, "word 0x10");
	khv_pit_get_state(&P, &S1);
	CHECK(S1.channels[0].count == 0x10, "count %#x", S1.channels[0].count);
	/* one-byte formats: every access is that byte */
	CHECK(wr(CTRL, 0x24, l) == 1 && wr(0x40, 0x12, l) == 1, "rw MSB");
	CHECK(rd(0x40, l + tk(0x101)) == 0x10 && rd(0x40, l + tk(0x101)) == 0x10,
	      "MSB twice");
	CHECK(wr(CTRL, 0x14, l) == 1 && wr(0x40, 0x12, l) == 1, "rw LSB");
	CHECK(rd(0x40, l + tk(2)) == 0x10 && rd(0x40, l + tk(2)) == 0x10,
	      "LSB twice");
	return KSFT_PASS;
}

static int t_bcd(void)
{
	u64 l = T0 + 67;

	khv_pit_reset(&P, T0);
	/* count 0100 in BCD is 100 clocks, read in BCD */
	CHECK(program(0, 0 << 1 | 1, 0x0100, l) == 0, "mode 0 BCD");
	CHECK(status(0, l) == 0x31, "status %#x", status(0, l));
	EXPECT(0, l, 0x0100, 0);
	EXPECT(0, l + tk(1), 0x0099, 0);
	EXPECT(0, l + tk(91), 0x0009, 0);
	EXPECT(0, l + tk(100), 0x0000, 1);
	EXPECT(0, l + tk(101), 0x9999, 1);	/* wraps at 10^4 */
	EXPECT_NEXT(l, l + tk(100));

	/* count 0 is 10^4 in BCD */
	CHECK(program(0, 2 << 1 | 1, 0, l) == 0, "mode 2 BCD, 0");
	CHECK(khv_pit_ch0_period_ns(&P) == 8380951, "period %llu",
	      N64(khv_pit_ch0_period_ns(&P)));
	EXPECT_NEXT(l, l + tk(10000));
	EXPECT(0, l + tk(1), 0x9999, 1);
	EXPECT(0, l + tk(9999), 0x0001, 0);
	EXPECT(0, l + tk(10000), 0x0000, 1);
	CHECK(program(0, 2 << 1 | 1, 0x1000, l) == 0, "mode 2 BCD 1000");
	EXPECT_NEXT(l + 1, l + tk(1000));
	EXPECT(0, l + tk(1), 0x0999, 1);

	/* mode 3 by twos, in decimal */
	CHECK(program(0, 3 << 1 | 1, 0x0012, l) == 0, "mode 3 BCD 12");
	EXPECT(0, l + tk(1), 0x0010, 1);
	EXPECT(0, l + tk(5), 0x0002, 1);
	EXPECT(0, l + tk(6), 0x0012, 0);
	EXPECT_NEXT(l + 1, l + tk(12));

	/* one-byte BCD counts */
	CHECK(wr(CTRL, 0x11, l) == 1 && wr(0x40, 0x99, l) == 1, "LSB 99");
	CHECK(rd(0x40, l + tk(9)) == 0x90, "BCD LSB");
	EXPECT_NEXT(l, l + tk(99));
	CHECK(wr(CTRL, 0x21, l) == 1 && wr(0x40, 0x25, l) == 1, "MSB 25");
	CHECK(rd(0x40, l + tk(1)) == 0x24, "BCD MSB of 2499");
	EXPECT_NEXT(l, l + tk(2500));

	/* digits A-F weigh their value; reads stay BCD */
	CHECK(program(0, 0 << 1 | 1, 0x00fa, l) == 0, "0x00fa");
	EXPECT(0, l, 0x0160, 0);
	EXPECT(0, l + tk(1), 0x0159, 0);
	EXPECT_NEXT(l, l + tk(160));
	CHECK(program(0, 0 << 1 | 1, 0xffff, l) == 0, "0xffff");
	EXPECT(0, l, 0x6665, 0);
	EXPECT_NEXT(l, l + tk(16665));
	return KSFT_PASS;
}

static int t_port61(void)
{
	static const u64 at[] = { 0, 1, 15085, 15086, 30171, 30172, 45258 };
	static const int rbit[] = { 0, 0, 0, 1, 1, 0, 1 };
	unsigned int i;
	u64 t;

	khv_pit_reset(&P, 0);
	/* refresh toggle: every 18 clocks of the caller's clock */
	for (i = 0; i < ARRAY_SIZE(at); i++)
		CHECK(!!(rd(P61, at[i]) & 0x10) == rbit[i], "refresh at %llu",
		      N64(at[i]));
	/* and it keeps toggling, whatever the time */
	for (t = T0; t < T0 + 100 * NS; t += 7777777)
		CHECK(!!(rd(P61, t) & 0x10) == (ticks(t) / 18 & 1),
		      "refresh at %llu", N64(t));
	CHECK(!!(rd(P61, 864000 * NS) & 0x10) == 0, "refresh at 10 days");
	CHECK(!!(rd(P61, 864000 * NS + 15086) & 0x10) == 1,
	      "refresh at 10 days + 15086 ns");

	/* bits 0-1: gate 2 and speaker data; 2-3 read back; 4-7 read-only */
	CHECK(wr(P61, 0x03, T0) == 0, "gate and data");
	CHECK((rd(P61, T0) & 0xef) == 0x03, "%#x", rd(P61, T0));
	khv_pit_get_state(&P, &S1);
	CHECK(S1.flags == KVM_PIT_FLAGS_SPEAKER_DATA_ON && S1.channels[2].gate,
	      "flags %#x", S1.flags);
	CHECK(wr(P61, 0x0c, T0) == 0, "bits 2-3");
	CHECK((rd(P61, T0) & 0xef) == 0x0c, "%#x", rd(P61, T0));
	khv_pit_get_state(&P, &S1);
	CHECK(S1.flags == 0 && !S1.channels[2].gate, "flags %#x", S1.flags);
	CHECK(wr(P61, 0xf0, T0) == 0, "read-only bits");
	CHECK((rd(P61, T0) & 0xef) == 0x00, "%#x", rd(P61, T0));
	/* OUT2 is bit 5: mode 2 count 3 */
	CHECK(wr(P61, 0x01, T0) == 0, "gate");
	CHECK(program(2, 2 << 1, 3, T0) == 0, "ch2 mode 2");
	for (i = 0; i < 9; i++)
		CHECK((rd(P61, T0 + tk(i)) & 0xef) == (i % 3 == 2 ? 0x01 : 0x21),
		      "OUT2 at tick %u: %#x", i, rd(P61, T0 + tk(i)));
	/* reading port 0x61 changes nothing */
	khv_pit_get_state(&P, &S1);
	rd(P61, T0 + NS);
	khv_pit_get_state(&P, &S2);
	CHECK(!memcmp(&S1, &S2, sizeof(S1)), "read changed the state");
	CHECK(!khv_pit_out(&P, 3, T0) && !khv_pit_out(&P, ~0u, T0),
	      "no channel 3");
	return KSFT_PASS;
}

static int t_reprogram(void)
{
	bool re;

	khv_pit_reset(&P, T0);
	CHECK(wr(CTRL, 0x74, T0) == 0, "ch1 control word");
	CHECK(wr(CTRL, 0xb4, T0) == 0, "ch2 control word");
	CHECK(wr(0x41, 3, T0) == 0 && wr(0x41, 0, T0) == 0, "ch1 count");
	CHECK(wr(P61, 3, T0) == 0, "port 0x61");
	CHECK(wr(CTRL, 0x34, T0) == 1, "ch0 control word");
	CHECK(wr(0x40, 3, T0) == 0, "ch0 LSB, mode 2");
	CHECK(wr(0x40, 1, T0) == 1, "ch0 MSB");
	CHECK(wr(CTRL, 0x00, T0) == 0, "ch0 latch");
	CHECK(wr(CTRL, 0xc2, T0) == 0, "ch0 read-back");
	CHECK(rd(0x40, T0) >= 0 && rd(0x40, T0) >= 0 && rd(0x40, T0) >= 0,
	      "reads");
	/* the reload that comes due is no change of schedule */
	CHECK(wr(0x40, 0, T0 + tk(5)) == 0, "LSB");
	CHECK(wr(0x40, 2, T0 + tk(5)) == 1, "MSB, pending");
	CHECK(wr(CTRL, 0x00, T0 + tk(0x103)) == 0, "latch after the reload");
	/* the same value again in mode 2: pending again */
	CHECK(wr(0x40, 0, T0 + tk(0x110)) == 0, "LSB");
	CHECK(wr(0x40, 2, T0 + tk(0x110)) == 1, "MSB");
	re = true;
	CHECK(khv_pit_write(&P, 0x41, 0, T0, &re) == 0 && !re, "reset to false");
	return KSFT_PASS;
}

/* Every count and OUT of modes 2 and 3 over a few periods, from a scan. */
static int t_schedule(void)
{
	static const u32 counts[] = { 2, 3, 4, 5, 7, 10, 99, 1000, 4321,
				      65535, 65536 };
	u64 l = T0 + 12345, now, want, t, k, n;
	unsigned int i, m, j;

	khv_pit_reset(&P, T0);
	for (m = 2; m <= 3; m++) {
		for (i = 0; i < ARRAY_SIZE(counts); i++) {
			n = counts[i];
			CHECK(program(0, m << 1, n, l) == 0, "program");
			CHECK(khv_pit_ch0_period_ns(&P) == n * NS / KHV_PIT_FREQ_HZ,
			      "period of %llu", N64(n));
			for (j = 0; j < 40; j++) {
				/* times around the edges and in between */
				now = l + (j % 4 == 0 ? tk(n * (j / 4)) :
					   j % 4 == 1 ? tk(n * (j / 4)) + 1 :
					   j % 4 == 2 ? tk(n * (j / 4 + 1)) - 1 :
					   tk(n * (j / 4)) + 15000 * j);
				for (k = 1; l + tk(k * n) < now; k++)
					;
				want = l + tk(k * n);
				EXPECT_NEXT(now, want);
				CHECK(khv_pit_ch0_edges(&P, l, now) ==
				      (l + tk(k * n) == now ? k : k - 1),
				      "edges to %llu", N64(now));
				t = ticks(now - l);
				CHECK(khv_pit_out(&P, 0, now) ==
				      (m == 2 ? t % n != n - 1 : t % n < (n + 1) / 2),
				      "mode %u count %llu OUT at tick %llu", m,
				      N64(n), N64(t));
			}
		}
	}
	return KSFT_PASS;
}

static int t_state(void)
{
	u64 l = T0 + 89, s = T0 + 10 * NS;
	int c;

	khv_pit_reset(&P, T0);
	CHECK(program(0, 2 << 1, 1000, l) == 0, "ch0 mode 2");
	CHECK(program(1, 3 << 1 | 1, 0x0500, l) == 0, "ch1 mode 3 BCD");
	CHECK(wr(P61, 0x03, l) == 0, "gate 2, speaker");
	CHECK(program(2, 1 << 1, 300, l) == 0, "ch2 mode 1");
	CHECK(wr(CTRL, 0xd2, l + tk(100)) == 0, "latch ch0 count");
	CHECK(rd(0x40, l + tk(100)) == (900 & 0xff), "half of it");
	CHECK(wr(CTRL, 0xe4, l + tk(100)) == 0, "latch ch1 status");
	CHECK(wr(0x42, 0x44, l + tk(100)) == 0, "half a count on ch2");
	CHECK(rd(0x41, l + tk(100)) == 0xb7, "ch1 status");
	CHECK(rd(0x41, l + tk(100)) >= 0, "ch1 half a live read");
	khv_pit_get_state(&P, &S1);
	CHECK(S1.flags == KVM_PIT_FLAGS_SPEAKER_DATA_ON, "flags");
	CHECK(S1.channels[0].count_latched == KHV_PIT_RW_MSB &&
	      S1.channels[0].latched_count == 900, "ch0 latch");
	CHECK(S1.channels[1].read_state == KHV_PIT_RW_WORD1, "ch1 read state");
	CHECK(S1.channels[2].write_state == KHV_PIT_RW_WORD1 &&
	      S1.channels[2].write_latch == 0x44, "ch2 write state");
	CHECK(S1.channels[0].count_load_time == (s64)l, "load time");

	/* onto a fresh PIT: the same state, loaded at the time of the set */
	khv_pit_reset(&P, 0);
	CHECK(khv_pit_set_state(&P, &S1, s) == 0, "set");
	khv_pit_get_state(&P, &S2);
	for (c = 0; c < 3; c++) {
		CHECK(S2.channels[c].count_load_time == (s64)s, "ch%d rebased", c);
		S2.channels[c].count_load_time = S1.channels[c].count_load_time;
	}
	CHECK(!memcmp(&S1, &S2, sizeof(S1)), "round trip");
	/* and it behaves as that state */
	CHECK(rd(0x40, s + NS) == 900 >> 8, "the latched MSB");
	EXPECT_NEXT(s, s + tk(1000));
	CHECK(rd(0x41, s + tk(2)) == 0x04, "ch1 MSB of 496 in BCD");
	CHECK(rd(P61, s) & 0x02, "speaker data");
	CHECK(wr(0x42, 0x01, s) == 0, "the rest of ch2's count");
	khv_pit_get_state(&P, &S2);
	CHECK(S2.channels[2].count == 0x0144, "ch2 count %#x",
	      S2.channels[2].count);
	/* mode 1 restarted by the set (as KVM does) */
	EXPECT(2, s + tk(299), 1, 0);
	EXPECT(2, s + tk(300), 0, 1);
	/* whatever the gate: it is no level for modes 1 and 5 */
	khv_pit_get_state(&P, &S2);
	S2.channels[2].mode = 5;
	S2.channels[2].gate = 0;
	S2.channels[2].count = 10;
	CHECK(khv_pit_set_state(&P, &S2, s + NS) == 0, "mode 5, gate low");
	EXPECT(2, s + NS + tk(10), 0, 0);
	EXPECT(2, s + NS + tk(11), 0xffff, 1);
	CHECK((rd(P61, s + NS) & 0x03) == 0x02, "gate 2 low in port 0x61");

	/* QEMU's reset state: mode 3, no rw format, count 65536 */
	memset(&S1, 0, sizeof(S1));
	for (c = 0; c < 3; c++) {
		S1.channels[c].mode = 3;
		S1.channels[c].count = 0x10000;
		S1.channels[c].gate = c != 2;
		S1.channels[c].count_load_time = 0x7fffffffffffffffLL;
	}
	CHECK(khv_pit_set_state(&P, &S1, s) == 0, "QEMU's reset");
	EXPECT_NEXT(s, s + tk(65536));
	CHECK(khv_pit_ch0_period_ns(&P) == 54925401, "period");
	CHECK(rd(0x40, s + tk(1)) == 0xfe && rd(0x40, s + tk(1)) == 0xfe,
	      "LSB reads");
	CHECK(status(0, s) == 0x86, "status %#x", status(0, s));
	/* a write with no rw format is an LSB count, as in KVM */
	CHECK(wr(0x40, 50, s + NS) == 1, "count 50, pending (mode 3)");
	/* tick 1193182 is in a high half, which ends at tick 1212416 */
	EXPECT_NEXT(s + NS + 1, s + tk(1212416) + tk(25));
	/* ch2's gate is low: held */
	CHECK(rd(0x42, s + NS) == 0, "ch2 holds");

	/* KVM's own reset state: no timer */
	khv_pit_reset(&P, T0);
	khv_pit_get_state(&P, &S1);
	CHECK(khv_pit_set_state(&P, &S1, s) == 0, "KVM's reset");
	EXPECT_NEXT(s, NONE);
	CHECK(rd(0x40, s + tk(3)) == 0xfd, "counts from 65536");

	/* gate 0 holds a periodic channel 0, HPET legacy silences it */
	S1.channels[0].mode = 2;
	S1.channels[0].count = 100;
	S1.channels[0].gate = 0;
	CHECK(khv_pit_set_state(&P, &S1, s) == 0, "gate 0");
	EXPECT_NEXT(s, NONE);
	CHECK(out(0, s + NS) == 1, "OUT high");
	S1.channels[0].gate = 1;
	S1.flags = KVM_PIT_FLAGS_HPET_LEGACY;
	CHECK(khv_pit_set_state(&P, &S1, s) == 0, "HPET legacy");
	EXPECT_NEXT(s, NONE);
	CHECK(khv_pit_ch0_period_ns(&P) == 0 &&
	      khv_pit_ch0_edges(&P, s, s + NS) == 0, "no ticks");
	CHECK(rd(0x40, s + tk(3)) == 97, "but it counts");
	S1.flags = 0;
	CHECK(khv_pit_set_state(&P, &S1, s) == 0, "HPET legacy off");
	EXPECT_NEXT(s, s + tk(100));

	/* mode 0 between the bytes of a count: stopped, OUT low */
	S1.channels[0].mode = 0;
	S1.channels[0].rw_mode = 3;
	S1.channels[0].read_state = 3;
	S1.channels[0].write_state = 4;
	S1.channels[0].write_latch = 0x20;
	CHECK(khv_pit_set_state(&P, &S1, s) == 0, "mode 0 mid-write");
	EXPECT_NEXT(s, NONE);
	CHECK(status(0, s + NS) == 0x70, "status %#x", status(0, s + NS));
	CHECK(latched(0, s + NS) == 100, "held");
	CHECK(wr(0x40, 0x01, s + NS) == 1, "MSB");
	EXPECT_NEXT(s + NS, s + NS + tk(0x120));
	return KSFT_PASS;
}

static int t_state_hostile(void)
{
	static const struct {
		unsigned int field;
		u32 val;
	} bad[] = {
		{ 0, 8 }, { 0, 0x80 }, { 0, 0xfe }, { 1, 4 }, { 1, 0xff },
		{ 2, 5 }, { 2, 0xff }, { 3, 5 }, { 3, 0x80 }, { 4, 4 },
		{ 4, 0xff }, { 5, 0x10001 }, { 5, 0xffffffff }, { 5, 0x80000000 },
	};
	unsigned int i, c;

	for (i = 0; i < ARRAY_SIZE(bad); i++) {
		for (c = 0; c < 3; c++) {
			struct kvm_pit_channel_state *ch = &S1.channels[c];

			khv_pit_reset(&P, T0);
			CHECK(program(0, 2 << 1, 1000, T0) == 0, "program");
			khv_pit_get_state(&P, &S1);
			switch (bad[i].field) {
			case 0:
				ch->mode = bad[i].val;
				break;
			case 1:
				ch->rw_mode = bad[i].val;
				break;
			case 2:
				ch->read_state = bad[i].val;
				break;
			case 3:
				ch->write_state = bad[i].val;
				break;
			case 4:
				ch->count_latched = bad[i].val;
				break;
			default:
				ch->count = bad[i].val;
				break;
			}
			/* rejected whole: channel 0 is untouched either way */
			CHECK(khv_pit_set_state(&P, &S1, T0 + NS) == -EINVAL,
			      "field %u = %#x in channel %u", bad[i].field,
			      bad[i].val, c);
			khv_pit_get_state(&P, &S2);
			CHECK(S2.channels[0].mode == 2 &&
			      S2.channels[0].count_load_time == (s64)T0,
			      "changed by a rejected state");
			EXPECT_NEXT(T0 + NS, T0 + tk(1000 * (ticks(NS) / 1000 + 1)));
		}
	}
	khv_pit_get_state(&P, &S1);
	S1.flags = 4;
	CHECK(khv_pit_set_state(&P, &S1, T0) == -EINVAL, "flags 4");
	S1.flags = 0x80000000;
	CHECK(khv_pit_set_state(&P, &S1, T0) == -EINVAL, "flags bit 31");

	/* what has a meaning is normalized */
	khv_pit_reset(&P, T0);
	khv_pit_get_state(&P, &S1);
	S1.flags = 0;
	S1.channels[0].mode = 6;
	S1.channels[0].rw_mode = 3;
	S1.channels[0].count = 0;
	S1.channels[0].bcd = 0x80;
	S1.channels[0].gate = 9;
	S1.channels[0].status_latched = 3;
	S1.channels[0].status = 0x12;
	S1.channels[1].mode = 7;
	S1.channels[2].mode = 6;
	S1.reserved[0] = 0xdeadbeef;
	CHECK(khv_pit_set_state(&P, &S1, T0) == 0, "normalized");
	khv_pit_get_state(&P, &S2);
	CHECK(S2.channels[0].mode == 2 && S2.channels[0].count == 0x10000 &&
	      S2.channels[0].bcd == 1 && S2.channels[0].gate == 1 &&
	      S2.channels[0].status_latched == 1 && S2.channels[1].mode == 3 &&
	      S2.channels[2].mode == 2 && S2.reserved[0] == 0, "normalized");
	CHECK(rd(0x40, T0) == 0x12, "the latched status");
	EXPECT_NEXT(T0, T0 + tk(10000));

	/* flip-flops that do not match the format: still defined bytes */
	khv_pit_get_state(&P, &S1);
	S1.channels[0].bcd = 0;
	S1.channels[0].count = 0x1234;
	S1.channels[0].rw_mode = 1;
	S1.channels[0].read_state = 4;
	S1.channels[0].write_state = 2;
	S1.channels[0].count_latched = 2;
	S1.channels[0].latched_count = 0xabcd;
	S1.channels[0].status_latched = 0;
	CHECK(khv_pit_set_state(&P, &S1, T0) == 0, "odd flip-flops");
	CHECK(rd(0x40, T0) == 0xab, "latched MSB");
	CHECK(rd(0x40, T0) == 0x12, "live MSB (read state 4)");
	CHECK(rd(0x40, T0) == 0x34, "live LSB");
	CHECK(wr(0x40, 0x05, T0) == 1, "write state 2: an MSB count");
	khv_pit_get_state(&P, &S2);
	CHECK(S2.channels[0].count == 0x0500, "count %#x", S2.channels[0].count);
	return KSFT_PASS;
}

/* xorshift64: the same sequence on the host and in KUnit */
static u64 rnd_state = 0x9e3779b97f4a7c15ULL;

static u64 rnd(void)
{
	rnd_state ^= rnd_state << 13;
	rnd_state ^= rnd_state >> 7;
	rnd_state ^= rnd_state << 17;
	return rnd_state;
}

/*
 * Random valid states and random I/O: every access succeeds, the state
 * stays in range, and channel 0's schedule agrees with OUT0: at the
 * next edge OUT0 is high and a ns before it low, with no edge between.
 */
static int t_random(void)
{
	static const u16 ports[] = { 0x40, 0x41, 0x42, 0x43, 0x61 };
	static const u8 modes[] = { 0, 1, 2, 3, 4, 5, 6, 7, 0xff };
	u64 now, next;
	int round, op, c;
	u8 v;

	for (round = 0; round < 300; round++) {
		now = T0 + rnd() % (1000 * NS);
		khv_pit_reset(&P, now);
		memset(&S1, 0, sizeof(S1));
		for (c = 0; c < 3; c++) {
			struct kvm_pit_channel_state *ch = &S1.channels[c];

			ch->mode = modes[rnd() % ARRAY_SIZE(modes)];
			ch->rw_mode = rnd() % 4;
			ch->read_state = rnd() % 5;
			ch->write_state = rnd() % 5;
			ch->count_latched = rnd() % 4;
			ch->count = rnd() % 3 ? rnd() % 0x10001 : rnd() % 8;
			ch->latched_count = rnd();
			ch->status_latched = rnd() % 2;
			ch->status = rnd();
			ch->write_latch = rnd();
			ch->bcd = rnd() % 4 == 0;
			ch->gate = rnd() % 2;
			ch->count_load_time = rnd();
		}
		S1.flags = rnd() % 4;
		CHECK(khv_pit_set_state(&P, &S1, now) == 0, "round %d", round);
		for (op = 0; op < 200; op++) {
			u16 port = ports[rnd() % ARRAY_SIZE(ports)];

			now += rnd() % 4 ? rnd() % 3000 : rnd() % (20 * NS);
			v = rnd();
			if (rnd() % 2)
				CHECK(khv_pit_read(&P, port, &v, now) == 0, "read");
			else
				CHECK(khv_pit_write(&P, port, v, now, NULL) == 0,
				      "write");
			khv_pit_get_state(&P, &S2);
			for (c = 0; c < 3; c++) {
				const struct kvm_pit_channel_state *ch = &S2.channels[c];

				CHECK((ch->mode <= 5 || ch->mode == 0xff) &&
				      ch->rw_mode <= 3 && ch->read_state <= 4 &&
				      ch->write_state <= 4 && ch->count_latched <= 3 &&
				      ch->count >= 1 && ch->count <= 0x10000 &&
				      ch->bcd <= 1 && ch->gate <= 1 &&
				      ch->status_latched <= 1,
				      "round %d op %d channel %d out of range",
				      round, op, c);
			}
			next = khv_pit_ch0_next(&P, now);
			if (next == NONE)
				continue;
			CHECK(next >= now, "next %llu before now %llu", N64(next),
			      N64(now));
			CHECK(khv_pit_out(&P, 0, next) && !khv_pit_out(&P, 0, next - 1),
			      "round %d op %d: no rising edge at %llu", round, op,
			      N64(next));
			CHECK(khv_pit_ch0_edges(&P, now - 1, next) >= 1 &&
			      khv_pit_ch0_edges(&P, now - 1, next - 1) == 0,
			      "round %d op %d: edges disagree", round, op);
		}
	}
	return KSFT_PASS;
}

static int t_long_uptime(void)
{
	const u64 d = 864000 * NS;	/* 10 days */
	u64 k;

	CHECK(khv_pit_ns_to_ticks(d) == 1030909248000ULL, "ticks in 10 days");
	CHECK(khv_pit_ticks_to_ns(1030909248000ULL) == d, "and back");
	CHECK(khv_pit_ns_to_ticks(~0ULL) == 22010322987356910ULL,
	      "ticks in 2^64 ns");
	CHECK(khv_pit_ticks_to_ns(~0ULL) == NONE, "saturates");
	CHECK(khv_pit_ticks_to_ns(22010322987356910ULL) == 18446744073709551435ULL &&
	      khv_pit_ticks_to_ns(22010322987356911ULL) == NONE, "the last tick");
	/* the two conversions are each other's inverse */
	for (k = 1; k < 3000000; k += 9973) {
		u64 x = k * 1234567 + (k & 1 ? d : 0);

		CHECK(khv_pit_ns_to_ticks(khv_pit_ticks_to_ns(x)) == x &&
		      khv_pit_ns_to_ticks(khv_pit_ticks_to_ns(x) - 1) == x - 1,
		      "tick %llu", N64(x));
	}

	/* loaded at boot, looked at 10 days later */
	khv_pit_reset(&P, 0);
	CHECK(rd(0x40, d) == 0x00 && rd(0x41, d) == 0x00, "LSB of 0x3e00");
	CHECK(wr(CTRL, 0x00, d) == 0, "no latch with rw 0");
	khv_pit_get_state(&P, &S1);
	S1.channels[0].mode = 2;
	S1.channels[0].rw_mode = 3;
	S1.channels[0].read_state = 3;
	S1.channels[0].write_state = 3;
	S1.channels[1].mode = 3;
	S1.channels[1].rw_mode = 3;
	S1.channels[1].read_state = 3;
	S1.channels[1].write_state = 3;
	CHECK(khv_pit_set_state(&P, &S1, 0) == 0, "set at 0");
	EXPECT_NEXT(d, 864000013302246ULL);
	CHECK(khv_pit_ch0_edges(&P, 0, d) == 15730426, "edges in 10 days");
	CHECK(latched(0, d) == 15872, "mode 2 at 10 days: %#x",
	      latched(0, d));
	CHECK(latched(1, d) == 0x7c00 && out(1, d) == 0, "mode 3 at 10 days");

	/* loaded 10 days in, looked at shortly after */
	CHECK(program(0, 2 << 1, 1000, d + 123456789) == 0, "program");
	EXPECT_NEXT(d + 123456789 + 123456789, d + 123456789 + 124038077);
	EXPECT(0, d + 123456789 + tk(147306), 1000 - 306, 1);
	CHECK(program(0, 0, 100, d + NS) == 0, "mode 0");
	EXPECT_NEXT(d + NS, d + NS + tk(100));
	EXPECT(0, d + NS + tk(100), 0, 1);
	/* 200 years: still exact */
	CHECK(program(0, 3 << 1, 0, 6307200000ULL * NS) == 0, "200 years");
	EXPECT_NEXT(6307200000ULL * NS + 1, 6307200000ULL * NS + 54925402);
	return KSFT_PASS;
}

static const struct ksft_case cases[] = {
	{ "pit_reset", t_reset },
	{ "pit_ports", t_ports },
	{ "pit_mode0", t_mode0 },
	{ "pit_mode0_gate", t_mode0_gate },
	{ "pit_mode1", t_mode1 },
	{ "pit_mode2", t_mode2 },
	{ "pit_mode3", t_mode3 },
	{ "pit_mode4_5", t_mode4_5 },
	{ "pit_latch", t_latch },
	{ "pit_readback", t_readback },
	{ "pit_flipflops", t_flipflops },
	{ "pit_bcd", t_bcd },
	{ "pit_port61", t_port61 },
	{ "pit_reprogram", t_reprogram },
	{ "pit_schedule", t_schedule },
	{ "pit_state", t_state },
	{ "pit_state_hostile", t_state_hostile },
	{ "pit_random", t_random },
	{ "pit_long_uptime", t_long_uptime },
};

int main(void)
{
	return KSFT_RUN(cases);
}
