// SPDX-License-Identifier: GPL-2.0
/*
 * The 8254 PIT and the PIT bits of port 0x61 as a pure state machine. The
 * model, what it leaves out and the contract with the glue are in pit.h.
 *
 * A channel is the KVM-visible struct kvm_pit_channel_state (count is the
 * count register) plus struct khv_pit_ce, the counting element: HELD,
 * FROZEN at a position, or RUN from a start time and position with an
 * initial count. Everything a guest can observe (the CE's value, OUT,
 * channel 0's edges) is computed from that and the time, so nothing has
 * to happen between calls; the only event that would is a count written
 * during a mode 2/3 period, which the CE takes at the end of the period
 * or half-cycle: that is kept as a second run starting at reload_at and
 * folded in (settle_all()) by the next call that changes state.
 */
#include "pit.h"

#define PIT_NS_PER_S	1000000000ULL
#define PIT_HZ		((u64)KHV_PIT_FREQ_HZ)
#define PIT_MAX_COUNT	0x10000		/* a count register of 0 */

u64 khv_pit_ns_to_ticks(u64 ns)
{
	/*
	 * floor(ns * HZ / 1e9) without the 2^64 overflow of the product,
	 * which 4.3 hours of uptime reach: whole seconds and the rest.
	 */
	return ns / PIT_NS_PER_S * PIT_HZ + ns % PIT_NS_PER_S * PIT_HZ / PIT_NS_PER_S;
}

u64 khv_pit_ticks_to_ns(u64 ticks)
{
	u64 q = ticks / PIT_HZ;
	u64 r = ticks % PIT_HZ;
	u64 ns;

	/* the first ns at which khv_pit_ns_to_ticks() reaches @ticks */
	if (q > KHV_PIT_NO_TIMER / PIT_NS_PER_S)
		return KHV_PIT_NO_TIMER;
	ns = q * PIT_NS_PER_S;
	r = (r * PIT_NS_PER_S + PIT_HZ - 1) / PIT_HZ;
	if (ns > KHV_PIT_NO_TIMER - r)
		return KHV_PIT_NO_TIMER;
	return ns + r;
}

/* Times saturate at KHV_PIT_NO_TIMER: an edge past 2^64 ns is no edge. */
static u64 add_sat(u64 a, u64 b)
{
	return a > KHV_PIT_NO_TIMER - b ? KHV_PIT_NO_TIMER : a + b;
}

static bool mode_periodic(u8 mode)
{
	return mode == 2 || mode == 3;
}

static bool mode_triggered(u8 mode)
{
	return mode == 1 || mode == 5;
}

/* Mode 0, and the unprogrammed channel that counts like it. */
static bool mode_0like(u8 mode)
{
	return mode == 0 || mode == KHV_PIT_MODE_NONE;
}

/* Input clocks a count register value stands for (never 0). */
static u64 count_ticks(u32 cr, bool bcd)
{
	if (!cr || cr >= PIT_MAX_COUNT)
		return bcd ? 10000 : PIT_MAX_COUNT;
	if (!bcd)
		return cr;
	/* decimal digits; A-F weigh their value (pit.h) */
	return (cr >> 12 & 0xf) * 1000 + (cr >> 8 & 0xf) * 100 +
	       (cr >> 4 & 0xf) * 10 + (cr & 0xf);
}

/* The 16 bits a CE holding @v shows. */
static u16 ce_bits(u64 v, bool bcd)
{
	if (!bcd)
		return v & 0xffff;
	v %= 10000;
	return (v / 1000) << 12 | (v / 100 % 10) << 8 | (v / 10 % 10) << 4 |
	       v % 10;
}

/* The CE's value @t ticks into a run of count @n (table in pit.h). */
static u64 ce_value(u8 mode, u64 n, u64 t, bool bcd)
{
	u64 m = bcd ? 10000 : PIT_MAX_COUNT;
	u64 p, h;

	switch (mode) {
	case 2:
		return n - t % n;
	case 3:
		/* both halves count down by two from N (even) or N - 1 (odd) */
		p = t % n;
		h = (n + 1) / 2;
		return (n & ~1ULL) - 2 * (p < h ? p : p - h);
	default:
		/* modes 0, 1, 4, 5 go through zero and on down */
		return (n % m + m - t % m) % m;
	}
}

static bool out_at(u8 mode, u64 n, u64 t)
{
	switch (mode) {
	case 2:
		/* count 1 is illegal; OUT stays high, as pit.h says */
		return n == 1 || t % n != n - 1;
	case 3:
		return t % n < (n + 1) / 2;
	case 4:
	case 5:
		return t != n;
	default:
		/* mode 0 rises at terminal count, mode 1's one-shot ends */
		return t >= n;
	}
}

/* Position of the one rising edge of OUT in modes 0, 1, 4 and 5. */
static u64 single_edge(u8 mode, u64 n)
{
	return mode == 4 || mode == 5 ? n + 1 : n;
}

/* A stretch of counting: at @start the CE was @pos ticks into count @n. */
struct pit_run {
	u64 start;
	u64 pos;
	u64 n;
};

/* Where @r is at @now; a clock that went backwards does not unwind it. */
static u64 run_pos(const struct pit_run *r, u64 now)
{
	return r->pos + (now > r->start ? khv_pit_ns_to_ticks(now - r->start) : 0);
}

/*
 * The runs of a RUN channel: the current one, and whether a mode 2/3
 * reload makes @next start at reload_at.
 */
static bool ch_runs(const struct khv_pit *pit, int c, struct pit_run *cur,
		    struct pit_run *next)
{
	const struct kvm_pit_channel_state *ch = &pit->ch[c];
	const struct khv_pit_ce *ce = &pit->ce[c];

	cur->start = ce->start;
	cur->pos = ce->pos;
	cur->n = count_ticks(ce->init, ch->bcd);
	if (!ce->cr_new || !mode_periodic(ch->mode))
		return false;
	next->start = ce->reload_at;
	next->n = count_ticks(ch->count, ch->bcd);
	next->pos = ce->reload_low ? (next->n + 1) / 2 : 0;
	return true;
}

static void run_now(const struct khv_pit *pit, int c, u64 now,
		    struct pit_run *r)
{
	struct pit_run next;

	if (ch_runs(pit, c, r, &next) && now >= next.start)
		*r = next;
}

/* The value a read of channel @c's CE shows at @now. */
static u16 ce_read(const struct khv_pit *pit, int c, u64 now)
{
	const struct kvm_pit_channel_state *ch = &pit->ch[c];
	const struct khv_pit_ce *ce = &pit->ce[c];
	struct pit_run r;

	switch (ce->run) {
	case KHV_PIT_HELD:
		return ce->held;
	case KHV_PIT_FROZEN:
		return ce_bits(ce_value(ch->mode, count_ticks(ce->init, ch->bcd),
					ce->pos, ch->bcd), ch->bcd);
	}
	run_now(pit, c, now, &r);
	return ce_bits(ce_value(ch->mode, r.n, run_pos(&r, now), ch->bcd), ch->bcd);
}

bool khv_pit_out(const struct khv_pit *pit, unsigned int channel, u64 now_ns)
{
	const struct kvm_pit_channel_state *ch;
	const struct khv_pit_ce *ce;
	struct pit_run r;

	if (channel >= ARRAY_SIZE(pit->ch))
		return false;
	ch = &pit->ch[channel];
	ce = &pit->ce[channel];
	switch (ce->run) {
	case KHV_PIT_HELD:
		/* the level a control word sets */
		return !mode_0like(ch->mode);
	case KHV_PIT_FROZEN:
		/* gate low forces OUT high in modes 2 and 3 only */
		return mode_periodic(ch->mode) ||
		       out_at(ch->mode, count_ticks(ce->init, ch->bcd), ce->pos);
	}
	run_now(pit, channel, now_ns, &r);
	return out_at(ch->mode, r.n, run_pos(&r, now_ns));
}

static void start_run(struct khv_pit *pit, int c, u64 start, u64 pos, u32 init)
{
	struct khv_pit_ce *ce = &pit->ce[c];

	ce->run = KHV_PIT_RUN;
	ce->start = start;
	ce->pos = pos;
	ce->init = init;
	/* KVM's meaning: when the CE would have been loaded to get here */
	pit->ch[c].count_load_time = (s64)(start - khv_pit_ticks_to_ns(pos));
}

static void freeze(struct khv_pit *pit, int c, u64 pos, u32 init)
{
	pit->ce[c].run = KHV_PIT_FROZEN;
	pit->ce[c].pos = pos;
	pit->ce[c].init = init;
}

static void hold(struct khv_pit *pit, int c, u16 held)
{
	pit->ce[c].run = KHV_PIT_HELD;
	pit->ce[c].held = held;
}

/* A mode 2/3 reload that has come due becomes the current run. */
static void settle_all(struct khv_pit *pit, u64 now)
{
	struct pit_run cur, next;
	int c;

	for (c = 0; c < 3; c++) {
		if (pit->ce[c].run != KHV_PIT_RUN ||
		    !ch_runs(pit, c, &cur, &next) || now < next.start)
			continue;
		start_run(pit, c, next.start, next.pos, pit->ch[c].count);
		pit->ce[c].cr_new = false;
	}
}

/*
 * A count written while a mode 2/3 CE runs: it is taken at the end of
 * the current period (mode 2) or half-cycle (mode 3), the next boundary
 * strictly after the present tick.
 */
static void schedule_reload(struct khv_pit *pit, int c, u64 now)
{
	struct khv_pit_ce *ce = &pit->ce[c];
	struct pit_run r;
	u64 t, p, b;

	r.start = ce->start;
	r.pos = ce->pos;
	r.n = count_ticks(ce->init, pit->ch[c].bcd);
	t = run_pos(&r, now);
	p = t % r.n;
	ce->reload_low = pit->ch[c].mode == 3 && p < (r.n + 1) / 2;
	b = t - p + (ce->reload_low ? (r.n + 1) / 2 : r.n);
	ce->reload_at = add_sat(r.start, khv_pit_ticks_to_ns(b - r.pos));
}

/* A whole count written to the count register (0 meaning the maximum). */
static void load_count(struct khv_pit *pit, int c, u32 cr, u64 now)
{
	struct kvm_pit_channel_state *ch = &pit->ch[c];
	struct khv_pit_ce *ce = &pit->ce[c];

	ch->count = cr ? cr : PIT_MAX_COUNT;
	if (mode_triggered(ch->mode)) {
		/* armed: the next gate trigger loads it */
		ce->cr_new = true;
		return;
	}
	if (mode_periodic(ch->mode) && ce->run != KHV_PIT_HELD) {
		/* the running period is not affected; a trigger takes it too */
		if (ce->run == KHV_PIT_RUN && !ce->cr_new)
			schedule_reload(pit, c, now);
		ce->cr_new = true;
		return;
	}
	/* modes 0, 4, and the first count after a 2/3 control word */
	ce->cr_new = false;
	if (ch->gate)
		start_run(pit, c, now, 0, ch->count);
	else
		freeze(pit, c, 0, ch->count);
}

static void set_gate(struct khv_pit *pit, int c, bool gate, u64 now)
{
	struct kvm_pit_channel_state *ch = &pit->ch[c];
	struct khv_pit_ce *ce = &pit->ce[c];
	bool was = ch->gate;

	ch->gate = gate;
	if (gate == was)
		return;
	if (gate) {
		if (mode_triggered(ch->mode) || mode_periodic(ch->mode)) {
			/*
			 * A trigger reloads the count register on the next
			 * clock; after a control word with no count since
			 * there is nothing to load.
			 */
			if (ce->run == KHV_PIT_HELD && !ce->cr_new)
				return;
			start_run(pit, c, now, 0, ch->count);
			ce->cr_new = false;
		} else if (ce->run == KHV_PIT_FROZEN) {
			/* modes 0 and 4 go on from where they stopped */
			start_run(pit, c, now, ce->pos, ce->init);
		}
		return;
	}
	/* low: modes 1 and 5 ignore the level, the others stop counting */
	if (!mode_triggered(ch->mode) && ce->run == KHV_PIT_RUN) {
		struct pit_run r = {
			.start = ce->start,
			.pos = ce->pos,
		};

		freeze(pit, c, run_pos(&r, now), ce->init);
	}
}

static void latch_count(struct khv_pit *pit, int c, u64 now)
{
	struct kvm_pit_channel_state *ch = &pit->ch[c];

	/* the first latch holds until read */
	if (ch->count_latched)
		return;
	ch->latched_count = ce_read(pit, c, now);
	/* bytes still to read, in KVM's encoding: the rw format (0: none) */
	ch->count_latched = ch->rw_mode;
}

static void latch_status(struct khv_pit *pit, int c, u64 now)
{
	struct kvm_pit_channel_state *ch = &pit->ch[c];
	const struct khv_pit_ce *ce = &pit->ce[c];
	u8 st = ce->ctrl & 0x3f;

	if (ch->status_latched)
		return;
	if (khv_pit_out(pit, c, now))
		st |= KHV_PIT_ST_OUT;
	if (ce->run == KHV_PIT_HELD || ce->cr_new)
		st |= KHV_PIT_ST_NULL;
	ch->status = st;
	ch->status_latched = 1;
}

static void control_word(struct khv_pit *pit, u8 val, u64 now)
{
	struct kvm_pit_channel_state *ch;
	struct khv_pit_ce *ce;
	int c = val >> 6;
	u8 rw = val >> 4 & 3;
	u8 mode = val >> 1 & 7;

	if (c == 3) {
		/* read-back: bit 5 clear latches counts, bit 4 clear status */
		for (c = 0; c < 3; c++) {
			if (!(val & BIT(c + 1)))
				continue;
			if (!(val & BIT(5)))
				latch_count(pit, c, now);
			if (!(val & BIT(4)))
				latch_status(pit, c, now);
		}
		return;
	}
	if (!rw) {
		latch_count(pit, c, now);
		return;
	}
	ch = &pit->ch[c];
	ce = &pit->ce[c];
	/* the CE stops where it is until a count comes */
	hold(pit, c, ce_read(pit, c, now));
	ce->cr_new = false;
	ce->ctrl = val & 0x3f;
	ch->mode = mode > 5 ? mode - 4 : mode;
	ch->bcd = val & 1;
	ch->rw_mode = rw;
	ch->read_state = rw;
	ch->write_state = rw;
	ch->count_latched = 0;
	ch->status_latched = 0;
}

static u8 read_channel(struct khv_pit *pit, int c, u64 now)
{
	struct kvm_pit_channel_state *ch = &pit->ch[c];
	u16 v;

	/* latched status first, whichever was latched first */
	if (ch->status_latched) {
		ch->status_latched = 0;
		return ch->status;
	}
	switch (ch->count_latched) {
	case KHV_PIT_RW_LSB:
		ch->count_latched = 0;
		return ch->latched_count & 0xff;
	case KHV_PIT_RW_MSB:
		ch->count_latched = 0;
		return ch->latched_count >> 8;
	case KHV_PIT_RW_WORD0:
		ch->count_latched = KHV_PIT_RW_MSB;
		return ch->latched_count & 0xff;
	}
	v = ce_read(pit, c, now);
	switch (ch->read_state) {
	case KHV_PIT_RW_MSB:
		return v >> 8;
	case KHV_PIT_RW_WORD0:
		ch->read_state = KHV_PIT_RW_WORD1;
		return v & 0xff;
	case KHV_PIT_RW_WORD1:
		ch->read_state = KHV_PIT_RW_WORD0;
		return v >> 8;
	default:
		/* LSB, and 0 (no control word yet) as KVM reads it */
		return v & 0xff;
	}
}

static void write_channel(struct khv_pit *pit, int c, u8 val, u64 now)
{
	struct kvm_pit_channel_state *ch = &pit->ch[c];

	switch (ch->write_state) {
	case KHV_PIT_RW_MSB:
		load_count(pit, c, (u32)val << 8, now);
		break;
	case KHV_PIT_RW_WORD0:
		ch->write_latch = val;
		ch->write_state = KHV_PIT_RW_WORD1;
		if (mode_0like(ch->mode)) {
			/* mode 0: the first byte stops the CE and drops OUT */
			hold(pit, c, ce_read(pit, c, now));
			pit->ce[c].cr_new = true;
		}
		break;
	case KHV_PIT_RW_WORD1:
		ch->write_state = KHV_PIT_RW_WORD0;
		load_count(pit, c, ch->write_latch | (u32)val << 8, now);
		break;
	default:
		/* LSB, and 0 (no control word yet) as KVM writes it */
		load_count(pit, c, val, now);
		break;
	}
}

static u8 read_port61(const struct khv_pit *pit, u64 now)
{
	u8 v = pit->speaker & (KHV_PIT_61_RW & ~(KHV_PIT_61_GATE2 | KHV_PIT_61_SPEAKER));

	if (pit->ch[2].gate)
		v |= KHV_PIT_61_GATE2;
	if (pit->flags & KVM_PIT_FLAGS_SPEAKER_DATA_ON)
		v |= KHV_PIT_61_SPEAKER;
	if (khv_pit_ns_to_ticks(now) / KHV_PIT_REFRESH_TICKS & 1)
		v |= KHV_PIT_61_REFRESH;
	if (khv_pit_out(pit, 2, now))
		v |= KHV_PIT_61_OUT2;
	return v;
}

static void write_port61(struct khv_pit *pit, u8 val, u64 now)
{
	pit->speaker = val & KHV_PIT_61_RW;
	if (val & KHV_PIT_61_SPEAKER)
		pit->flags |= KVM_PIT_FLAGS_SPEAKER_DATA_ON;
	else
		pit->flags &= ~KVM_PIT_FLAGS_SPEAKER_DATA_ON;
	set_gate(pit, 2, val & KHV_PIT_61_GATE2, now);
}

static bool pit_port(u16 port)
{
	return (port >= KHV_PIT_PORT_CH0 && port <= KHV_PIT_PORT_CTRL) ||
	       port == KHV_PIT_PORT_SPEAKER;
}

int khv_pit_read(struct khv_pit *pit, u16 port, u8 *val, u64 now_ns)
{
	if (!val || !pit_port(port))
		return -EINVAL;
	settle_all(pit, now_ns);
	if (port == KHV_PIT_PORT_SPEAKER)
		*val = read_port61(pit, now_ns);
	else if (port == KHV_PIT_PORT_CTRL)
		*val = 0xff;
	else
		*val = read_channel(pit, port - KHV_PIT_PORT_CH0, now_ns);
	return 0;
}

/* Did anything channel 0's edges depend on change? */
static bool ch0_changed(const struct khv_pit *pit,
			const struct kvm_pit_channel_state *ch,
			const struct khv_pit_ce *ce)
{
	const struct kvm_pit_channel_state *nch = &pit->ch[0];
	const struct khv_pit_ce *nce = &pit->ce[0];

	return ch->mode != nch->mode || ch->bcd != nch->bcd ||
	       ch->count != nch->count || ce->run != nce->run ||
	       ce->start != nce->start || ce->pos != nce->pos ||
	       ce->init != nce->init || ce->cr_new != nce->cr_new ||
	       ce->reload_at != nce->reload_at ||
	       ce->reload_low != nce->reload_low;
}

int khv_pit_write(struct khv_pit *pit, u16 port, u8 val, u64 now_ns,
		  bool *reprogram)
{
	struct kvm_pit_channel_state ch0;
	struct khv_pit_ce ce0;

	if (reprogram)
		*reprogram = false;
	if (!pit_port(port))
		return -EINVAL;
	settle_all(pit, now_ns);
	ch0 = pit->ch[0];
	ce0 = pit->ce[0];
	if (port == KHV_PIT_PORT_SPEAKER)
		write_port61(pit, val, now_ns);
	else if (port == KHV_PIT_PORT_CTRL)
		control_word(pit, val, now_ns);
	else
		write_channel(pit, port - KHV_PIT_PORT_CH0, val, now_ns);
	if (reprogram)
		*reprogram = ch0_changed(pit, &ch0, &ce0);
	return 0;
}

/* Whether channel 0 drives IRQ 0 at all. */
static bool ch0_ticks(const struct khv_pit *pit)
{
	return !(pit->flags & KVM_PIT_FLAGS_HPET_LEGACY) &&
	       pit->ch[0].mode != KHV_PIT_MODE_NONE &&
	       pit->ce[0].run == KHV_PIT_RUN;
}

/* The first rising edge of @r at or after @at: a time, or NO_TIMER. */
static u64 first_edge(const struct pit_run *r, u8 mode, u64 at)
{
	u64 lo, t;

	/*
	 * Edges are at positions past r->pos; the k-th tick of the run is at
	 * r->start + khv_pit_ticks_to_ns(k), at or after @at from k = lo on.
	 */
	lo = at > r->start ? khv_pit_ns_to_ticks(at - r->start - 1) + 1 : 1;
	if (mode_periodic(mode)) {
		if (r->n < 2)
			return KHV_PIT_NO_TIMER;
		t = (r->pos + lo + r->n - 1) / r->n * r->n;
	} else {
		t = single_edge(mode, r->n);
		if (t < r->pos + lo)
			return KHV_PIT_NO_TIMER;
	}
	return add_sat(r->start, khv_pit_ticks_to_ns(t - r->pos));
}

/* How many rising edges @r has at or before @at. */
static u64 edges_upto(const struct pit_run *r, u8 mode, u64 at)
{
	u64 hi, t;

	if (at <= r->start)
		return 0;
	hi = r->pos + khv_pit_ns_to_ticks(at - r->start);
	if (mode_periodic(mode))
		return r->n < 2 ? 0 : hi / r->n - r->pos / r->n;
	t = single_edge(mode, r->n);
	return t > r->pos && t <= hi;
}

u64 khv_pit_ch0_next(const struct khv_pit *pit, u64 now_ns)
{
	u8 mode = pit->ch[0].mode;
	struct pit_run cur, next;
	u64 e;

	if (!ch0_ticks(pit))
		return KHV_PIT_NO_TIMER;
	if (!ch_runs(pit, 0, &cur, &next))
		return first_edge(&cur, mode, now_ns);
	if (now_ns > next.start)
		return first_edge(&next, mode, now_ns);
	e = first_edge(&cur, mode, now_ns);
	return e <= next.start ? e : first_edge(&next, mode, next.start);
}

static u64 ch0_edges_upto(const struct khv_pit *pit, u64 at)
{
	u8 mode = pit->ch[0].mode;
	struct pit_run cur, next;

	if (!ch_runs(pit, 0, &cur, &next) || at < next.start)
		return edges_upto(&cur, mode, at);
	return edges_upto(&cur, mode, next.start) + edges_upto(&next, mode, at);
}

u64 khv_pit_ch0_edges(const struct khv_pit *pit, u64 after_ns, u64 until_ns)
{
	if (!ch0_ticks(pit) || until_ns <= after_ns)
		return 0;
	return ch0_edges_upto(pit, until_ns) - ch0_edges_upto(pit, after_ns);
}

u64 khv_pit_ch0_period_ns(const struct khv_pit *pit)
{
	u64 n;

	if (!ch0_ticks(pit) || !mode_periodic(pit->ch[0].mode))
		return 0;
	n = count_ticks(pit->ce[0].init, pit->ch[0].bcd);
	return n < 2 ? 0 : n * PIT_NS_PER_S / PIT_HZ;
}

void khv_pit_reset(struct khv_pit *pit, u64 now_ns)
{
	int c;

	*pit = (struct khv_pit){};
	for (c = 0; c < 3; c++) {
		struct kvm_pit_channel_state *ch = &pit->ch[c];

		ch->mode = KHV_PIT_MODE_NONE;
		ch->gate = c != 2;
		ch->count = PIT_MAX_COUNT;
		ch->count_load_time = (s64)now_ns;
		if (ch->gate)
			start_run(pit, c, now_ns, 0, ch->count);
		else
			freeze(pit, c, 0, ch->count);
	}
}

void khv_pit_get_state(const struct khv_pit *pit, struct kvm_pit_state2 *s)
{
	int c;

	*s = (struct kvm_pit_state2){};
	for (c = 0; c < 3; c++)
		s->channels[c] = pit->ch[c];
	s->flags = pit->flags;
}

static bool channel_state_ok(const struct kvm_pit_channel_state *ch)
{
	return (ch->mode <= 7 || ch->mode == KHV_PIT_MODE_NONE) &&
	       ch->rw_mode <= 3 && ch->read_state <= KHV_PIT_RW_WORD1 &&
	       ch->write_state <= KHV_PIT_RW_WORD1 &&
	       ch->count_latched <= KHV_PIT_RW_WORD0 &&
	       ch->count <= PIT_MAX_COUNT;
}

int khv_pit_set_state(struct khv_pit *pit, const struct kvm_pit_state2 *s,
		      u64 now_ns)
{
	int c;

	if (s->flags & ~(KVM_PIT_FLAGS_HPET_LEGACY | KVM_PIT_FLAGS_SPEAKER_DATA_ON))
		return -EINVAL;
	for (c = 0; c < 3; c++)
		if (!channel_state_ok(&s->channels[c]))
			return -EINVAL;

	for (c = 0; c < 3; c++) {
		struct kvm_pit_channel_state *ch = &pit->ch[c];
		struct khv_pit_ce *ce = &pit->ce[c];

		*ch = s->channels[c];
		if (ch->mode == 6 || ch->mode == 7)
			ch->mode -= 4;
		if (!ch->count)
			ch->count = PIT_MAX_COUNT;
		ch->bcd = !!ch->bcd;
		ch->gate = !!ch->gate;
		ch->status_latched = !!ch->status_latched;
		ch->count_load_time = (s64)now_ns;

		*ce = (struct khv_pit_ce){};
		ce->ctrl = ch->rw_mode << 4 | ch->bcd;
		if (ch->mode != KHV_PIT_MODE_NONE)
			ce->ctrl |= ch->mode << 1;
		if (mode_0like(ch->mode) && ch->write_state == KHV_PIT_RW_WORD1) {
			/* stopped by the first byte of a new count */
			hold(pit, c, ch->count & 0xffff);
			ce->cr_new = true;
		} else if (ch->gate || mode_triggered(ch->mode)) {
			start_run(pit, c, now_ns, 0, ch->count);
		} else {
			freeze(pit, c, 0, ch->count);
		}
	}
	pit->flags = s->flags;
	pit->speaker &= ~(KHV_PIT_61_GATE2 | KHV_PIT_61_SPEAKER);
	if (pit->ch[2].gate)
		pit->speaker |= KHV_PIT_61_GATE2;
	if (pit->flags & KVM_PIT_FLAGS_SPEAKER_DATA_ON)
		pit->speaker |= KHV_PIT_61_SPEAKER;
	return 0;
}
