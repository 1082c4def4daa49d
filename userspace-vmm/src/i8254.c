// SPDX-License-Identifier: GPL-2.0
/* i8254 PIT. See i8254.h. */
#include "i8254.h"

#include "util.h"

#include <string.h>

#define PIT_CONTROL 3

uint64_t pit_ns_to_ticks(uint64_t ns)
{
	return (uint64_t)((unsigned __int128)ns * PIT_HZ / 1000000000ULL);
}

uint64_t pit_ticks_to_ns(uint64_t ticks)
{
	/* Rounded up: the tick has happened by then. */
	return (uint64_t)(((unsigned __int128)ticks * 1000000000ULL +
			   PIT_HZ - 1) / PIT_HZ);
}

void i8254_init(struct i8254 *pit, const struct irq_pin *irq0)
{
	memset(pit, 0, sizeof(*pit));
	if (irq0)
		pit->irq0 = *irq0;
	for (int i = 0; i < 3; i++) {
		pit->ch[i].rw = 3;
		pit->ch[i].reload = 65536;
		pit->ch[i].gate = i != 2;	/* channel 2: port 0x61 bit 0 */
	}
}

static uint64_t elapsed_ticks(const struct pit_channel *c, uint64_t now)
{
	if (!c->running)
		return c->paused_ticks;
	if (now < c->start_ns)
		return 0;
	return pit_ns_to_ticks(now - c->start_ns);
}

uint16_t i8254_count(const struct i8254 *pit, unsigned int ch, uint64_t now)
{
	const struct pit_channel *c = &pit->ch[ch % 3];
	uint64_t t = elapsed_ticks(c, now), n = c->reload, p, first;

	if (!c->loaded)
		return 0;
	switch (c->mode) {
	case 2:
		return (uint16_t)(n - t % n);
	case 3:
		/* Counts down by two; the first half is the longer one. */
		p = t % n;
		first = (n + 1) / 2;
		if (p >= first)
			p -= first;
		return (uint16_t)(n - 2 * p);
	default:	/* 0, 1, 4, 5: one pass, then wraps through 0xffff */
		return (uint16_t)(n - t);
	}
}

bool i8254_out(const struct i8254 *pit, unsigned int ch, uint64_t now)
{
	const struct pit_channel *c = &pit->ch[ch % 3];
	uint64_t t = elapsed_ticks(c, now), n = c->reload;

	if (!c->loaded)
		return c->mode != 0;
	switch (c->mode) {
	case 0:
		return t >= n;
	case 1:
		return !c->running || t >= n;
	case 2:
		return !c->running || t % n != n - 1;
	case 3:
		return !c->running || t % n < (n + 1) / 2;
	default:	/* 4, 5: low for one clock at terminal count */
		return !c->running || t != n;
	}
}

/* OUT rising edges after `t` ticks of counting. */
static uint64_t out_edges(const struct pit_channel *c, uint64_t t)
{
	switch (c->mode) {
	case 0:
	case 1:
		return t >= c->reload;
	case 2:
	case 3:
		return t / c->reload;
	default:
		return t >= (uint64_t)c->reload + 1;
	}
}

/* Ticks at which OUT rising edge number k (from 1) happens; 0 = never. */
static uint64_t edge_ticks(const struct pit_channel *c, uint64_t k)
{
	switch (c->mode) {
	case 0:
	case 1:
		return k == 1 ? c->reload : 0;
	case 2:
	case 3:
		return k * c->reload;
	default:
		return k == 1 ? (uint64_t)c->reload + 1 : 0;
	}
}

static void drive_irq0(struct i8254 *pit, bool level)
{
	if (pit->irq_level == level)
		return;
	pit->irq_level = level;
	irq_pin_set(&pit->irq0, level);
}

uint64_t i8254_poll(struct i8254 *pit, uint64_t now)
{
	struct pit_channel *c = &pit->ch[0];
	uint64_t edges, next;

	if (!c->loaded || !c->running)
		return 0;
	edges = out_edges(c, elapsed_ticks(c, now));
	if (edges > c->edges_seen) {
		c->edges_seen = edges;
		/* A low-high pulse: one IRQ 0 edge, the line stays high. */
		irq_pin_set(&pit->irq0, 0);
		irq_pin_set(&pit->irq0, 1);
		pit->irq_level = true;
	}
	next = edge_ticks(c, c->edges_seen + 1);
	return next ? c->start_ns + pit_ticks_to_ns(next) : 0;
}

static void start_counting(struct pit_channel *c, uint64_t now)
{
	c->start_ns = now;
	c->paused_ticks = 0;
	c->edges_seen = 0;
	c->running = true;
}

static void load_count(struct i8254 *pit, struct pit_channel *c, uint16_t v,
		       uint64_t now)
{
	c->reload = v ? v : 65536;
	c->loaded = true;
	c->null_count = false;
	start_counting(c, now);
	/* Modes 1 and 5 wait for a gate edge; a low gate holds the others. */
	if (c->mode == 1 || c->mode == 5 || !c->gate)
		c->running = false;
	if (c == &pit->ch[0] && c->mode == 0)
		drive_irq0(pit, false);
}

void i8254_set_gate(struct i8254 *pit, unsigned int ch, bool gate,
		    uint64_t now)
{
	struct pit_channel *c = &pit->ch[ch % 3];

	if (c->gate == gate)
		return;
	c->gate = gate;
	if (!c->loaded)
		return;
	switch (c->mode) {
	case 0:
	case 4:	/* the gate suspends counting */
		if (!gate) {
			c->paused_ticks = elapsed_ticks(c, now);
			c->running = false;
		} else {
			uint64_t back = pit_ticks_to_ns(c->paused_ticks);

			c->start_ns = now > back ? now - back : 0;
			c->running = true;
		}
		break;
	case 2:
	case 3:	/* low stops counting (OUT high); a rising edge reloads */
		if (gate) {
			start_counting(c, now);
		} else {
			c->paused_ticks = elapsed_ticks(c, now) % c->reload;
			c->running = false;
		}
		break;
	default:	/* 1, 5: a rising edge triggers */
		if (gate)
			start_counting(c, now);
		break;
	}
}

static uint8_t status_byte(const struct i8254 *pit, unsigned int ch,
			   uint64_t now)
{
	const struct pit_channel *c = &pit->ch[ch];

	return (uint8_t)(i8254_out(pit, ch, now) << 7 | c->null_count << 6 |
			 c->rw << 4 | c->mode << 1 | c->bcd);
}

static void latch_count(struct i8254 *pit, unsigned int ch, uint64_t now)
{
	struct pit_channel *c = &pit->ch[ch];

	if (c->count_latched)
		return;
	c->latch = i8254_count(pit, ch, now);
	c->count_latched = true;
	c->latch_msb = c->rw == 2;
}

static void read_back(struct i8254 *pit, uint8_t val, uint64_t now)
{
	for (unsigned int ch = 0; ch < 3; ch++) {
		struct pit_channel *c = &pit->ch[ch];

		if (!(val & (2u << ch)))
			continue;
		if (!(val & 0x20))
			latch_count(pit, ch, now);
		if (!(val & 0x10) && !c->status_latched) {
			c->status = status_byte(pit, ch, now);
			c->status_latched = true;
		}
	}
}

static void write_control(struct i8254 *pit, uint8_t val, uint64_t now)
{
	unsigned int ch = val >> 6, rw = (val >> 4) & 3;
	struct pit_channel *c;

	if (ch == 3) {
		read_back(pit, val, now);
		return;
	}
	if (rw == 0) {
		latch_count(pit, ch, now);
		return;
	}
	c = &pit->ch[ch];
	c->rw = rw;
	c->mode = (val >> 1) & 7;
	if (c->mode > 5)
		c->mode -= 4;	/* 6 and 7 are aliases of 2 and 3 */
	c->bcd = val & 1;
	c->loaded = false;
	c->running = false;
	c->null_count = true;
	c->write_msb = false;
	c->read_msb = false;
	c->count_latched = false;
	c->edges_seen = 0;
	if (ch == 0)
		drive_irq0(pit, c->mode != 0);
}

static void write_counter(struct i8254 *pit, unsigned int ch, uint8_t val,
			  uint64_t now)
{
	struct pit_channel *c = &pit->ch[ch];

	switch (c->rw) {
	case 1:
		load_count(pit, c, val, now);
		break;
	case 2:
		load_count(pit, c, (uint16_t)(val << 8), now);
		break;
	default:
		if (!c->write_msb) {
			c->write_lsb = val;
			c->write_msb = true;
		} else {
			c->write_msb = false;
			load_count(pit, c, (uint16_t)(c->write_lsb | val << 8), now);
		}
		break;
	}
}

void i8254_write(struct i8254 *pit, unsigned int port, uint8_t val,
		 uint64_t now)
{
	if ((port & 3) == PIT_CONTROL)
		write_control(pit, val, now);
	else
		write_counter(pit, port & 3, val, now);
}

static uint8_t read_latched(struct pit_channel *c)
{
	uint8_t b = c->latch_msb ? c->latch >> 8 : c->latch & 0xff;

	if (c->rw == 3 && !c->latch_msb)
		c->latch_msb = true;
	else
		c->count_latched = false;
	return b;
}

uint8_t i8254_read(struct i8254 *pit, unsigned int port, uint64_t now)
{
	unsigned int ch = port & 3;
	struct pit_channel *c;
	uint16_t v;

	if (ch == PIT_CONTROL)
		return 0xff;	/* the control word register is write-only */
	c = &pit->ch[ch];
	if (c->status_latched) {
		c->status_latched = false;
		return c->status;
	}
	if (c->count_latched)
		return read_latched(c);
	v = i8254_count(pit, ch, now);
	switch (c->rw) {
	case 1:
		return v & 0xff;
	case 2:
		return v >> 8;
	default:
		c->read_msb = !c->read_msb;
		return c->read_msb ? v & 0xff : v >> 8;
	}
}

int i8254_io(void *opaque, uint64_t off, void *data, unsigned int len,
	     bool is_write)
{
	uint64_t now = vmm_now_ns();
	uint8_t *b = data;

	for (unsigned int i = 0; i < len; i++) {
		if (is_write)
			i8254_write(opaque, (unsigned int)(off + i), b[i], now);
		else
			b[i] = i8254_read(opaque, (unsigned int)(off + i), now);
	}
	return 0;
}
