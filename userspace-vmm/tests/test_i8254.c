// SPDX-License-Identifier: GPL-2.0
/* i8254 PIT: programming, mode 0/2/3 counting and reload, IRQ 0 edges,
 * latches and read-back, channel 2 gate and OUT through port 0x61. */
#include "i8254.h"
#include "sysctl_ports.h"
#include "tap.h"

#define T0 1000000000ULL	/* an arbitrary "now" to start from */

static int pulses, level;

static void rec_irq(void *ctx, unsigned int line, unsigned int source, int lvl)
{
	(void)ctx;
	(void)line;
	(void)source;
	if (lvl && !level)
		pulses++;
	level = lvl;
}

static void setup(struct i8254 *pit)
{
	struct irq_pin pin = { rec_irq, NULL, 0, 0 };

	pulses = level = 0;
	i8254_init(pit, &pin);
}

/* Time after `ticks` PIT clocks from T0. */
static uint64_t at(uint64_t ticks)
{
	return T0 + pit_ticks_to_ns(ticks);
}

static void program(struct i8254 *pit, unsigned int ch, uint8_t mode_bits,
		    uint16_t count, uint64_t now)
{
	i8254_write(pit, 3, (uint8_t)(ch << 6 | 0x30 | mode_bits), now);
	i8254_write(pit, ch, count & 0xff, now);
	i8254_write(pit, ch, count >> 8, now);
}

static void conversions(void)
{
	CHECK_EQ(pit_ns_to_ticks(1000000000ULL), PIT_HZ);
	CHECK_EQ(pit_ns_to_ticks(pit_ticks_to_ns(4773)), 4773);
	CHECK_EQ(pit_ns_to_ticks(pit_ticks_to_ns(1)), 1);
	/* Linux's LATCH at HZ=250 is 4773 ticks: about 4 ms. */
	CHECK(pit_ticks_to_ns(4773) > 3999000 && pit_ticks_to_ns(4773) < 4001000);
}

static void mode2_reload(void)
{
	struct i8254 pit;

	setup(&pit);
	program(&pit, 0, 0x04, 4773, T0);	/* 0x34: LSB/MSB, mode 2 */
	CHECK_EQ(pit.ch[0].mode, 2);
	CHECK_EQ(i8254_count(&pit, 0, at(0)), 4773);
	CHECK_EQ(i8254_count(&pit, 0, at(1)), 4772);
	CHECK_EQ(i8254_count(&pit, 0, at(4772)), 1);
	CHECK(!i8254_out(&pit, 0, at(4772)));	/* low for the count of 1 */
	CHECK_EQ(i8254_count(&pit, 0, at(4773)), 4773);	/* reloaded */
	CHECK(i8254_out(&pit, 0, at(4773)));
	CHECK_EQ(i8254_count(&pit, 0, at(3 * 4773 + 10)), 4763);
}

static void mode3_square(void)
{
	struct i8254 pit;

	setup(&pit);
	program(&pit, 0, 0x06, 1000, T0);	/* 0x36: mode 3 */
	CHECK_EQ(i8254_count(&pit, 0, at(0)), 1000);
	CHECK_EQ(i8254_count(&pit, 0, at(10)), 980);	/* by two */
	CHECK(i8254_out(&pit, 0, at(499)));
	CHECK(!i8254_out(&pit, 0, at(500)));
	CHECK_EQ(i8254_count(&pit, 0, at(500)), 1000);	/* second half */
	CHECK(i8254_out(&pit, 0, at(1000)));
	/* Mode 7 is an alias of mode 3. */
	i8254_write(&pit, 3, 0x3e, T0);
	CHECK_EQ(pit.ch[0].mode, 3);
}

static void mode0_one_shot(void)
{
	struct i8254 pit;

	setup(&pit);
	i8254_write(&pit, 3, 0x30, T0);		/* mode 0: OUT goes low */
	CHECK(!i8254_out(&pit, 0, T0));
	CHECK_EQ(level, 0);
	i8254_write(&pit, 0, 100, T0);
	i8254_write(&pit, 0, 0, T0);
	CHECK(!i8254_out(&pit, 0, at(99)));
	CHECK(i8254_out(&pit, 0, at(100)));
	CHECK_EQ(i8254_count(&pit, 0, at(101)), 0xffff);	/* wraps on */
	CHECK_EQ(i8254_poll(&pit, at(50)), at(100));
	CHECK_EQ(pulses, 0);
	CHECK_EQ(i8254_poll(&pit, at(150)), 0);	/* one edge, nothing after */
	CHECK_EQ(pulses, 1);
	CHECK_EQ(i8254_poll(&pit, at(100000)), 0);
	CHECK_EQ(pulses, 1);
}

static void periodic_irq(void)
{
	struct i8254 pit;
	uint64_t next;

	setup(&pit);
	program(&pit, 0, 0x04, 4773, T0);
	CHECK_EQ(level, 1);		/* mode 2 OUT starts high */
	pulses = 0;
	next = i8254_poll(&pit, T0);
	CHECK_EQ(next, at(4773));
	CHECK_EQ(pulses, 0);
	next = i8254_poll(&pit, next);
	CHECK_EQ(pulses, 1);
	CHECK_EQ(next, at(2 * 4773));
	/* Ten periods late: they coalesce into one edge. */
	next = i8254_poll(&pit, at(12 * 4773 + 5));
	CHECK_EQ(pulses, 2);
	CHECK_EQ(next, at(13 * 4773));
	/* Count 0 means 65536. */
	program(&pit, 0, 0x04, 0, T0);
	CHECK_EQ(pit.ch[0].reload, 65536);
	CHECK_EQ(i8254_poll(&pit, T0), at(65536));
}

static void latch_and_byte_modes(void)
{
	struct i8254 pit;
	uint8_t lo, hi;

	setup(&pit);
	program(&pit, 0, 0x04, 0x1234, T0);
	i8254_write(&pit, 3, 0x00, at(0x10));	/* latch channel 0 */
	lo = i8254_read(&pit, 0, at(0x100));	/* later reads see the latch */
	hi = i8254_read(&pit, 0, at(0x200));
	CHECK_EQ(hi << 8 | lo, 0x1224);
	/* Unlatched: LSB then MSB of the live count. */
	lo = i8254_read(&pit, 0, at(0x34));
	hi = i8254_read(&pit, 0, at(0x34));
	CHECK_EQ(hi << 8 | lo, 0x1200);
	/* LSB-only and MSB-only access modes. */
	i8254_write(&pit, 3, 0x54, T0);		/* ch 1, LSB only, mode 2 */
	i8254_write(&pit, 1, 0x80, T0);
	CHECK_EQ(pit.ch[1].reload, 0x80);
	CHECK_EQ(i8254_read(&pit, 1, at(1)), 0x7f);
	i8254_write(&pit, 3, 0x64, T0);		/* ch 1, MSB only */
	i8254_write(&pit, 1, 0x02, T0);
	CHECK_EQ(pit.ch[1].reload, 0x200);
	CHECK_EQ(i8254_read(&pit, 1, at(0x100)), 0x01);
}

static void read_back(void)
{
	struct i8254 pit;
	uint8_t status, lo, hi;

	setup(&pit);
	i8254_write(&pit, 3, 0xb0, T0);		/* ch 2, LSB/MSB, mode 0 */
	i8254_write(&pit, 3, 0xe8, T0);		/* read-back status of ch 2 */
	status = i8254_read(&pit, 2, T0);
	CHECK_EQ(status, 0x70);			/* OUT low, null count, rw 3, mode 0 */
	i8254_set_gate(&pit, 2, true, T0);
	i8254_write(&pit, 2, 0x00, T0);
	i8254_write(&pit, 2, 0x10, T0);
	i8254_write(&pit, 3, 0xc8, at(0x100));	/* read-back count + status */
	status = i8254_read(&pit, 2, at(0x500));
	CHECK_EQ(status, 0x30);
	lo = i8254_read(&pit, 2, at(0x500));
	hi = i8254_read(&pit, 2, at(0x500));
	CHECK_EQ(hi << 8 | lo, 0x0f00);
}

/* What Linux's pit_calibrate_tsc does through port 0x61. */
static void channel2_port_b(void)
{
	struct i8254 pit;
	struct sysctl_ports sp;
	uint8_t b;

	setup(&pit);
	sysctl_ports_init(&sp, &pit, NULL, NULL);
	b = sysctl_port_b_read(&sp, T0);
	sysctl_port_b_write(&sp, (uint8_t)((b & ~0x02) | 0x01), T0);	/* gate on */
	CHECK(pit.ch[2].gate);
	i8254_write(&pit, 3, 0xb0, T0);
	i8254_write(&pit, 2, 11932 & 0xff, T0);	/* 10 ms */
	i8254_write(&pit, 2, 11932 >> 8, T0);
	CHECK_EQ(sysctl_port_b_read(&sp, at(11000)) & 0x20, 0);
	CHECK_EQ(sysctl_port_b_read(&sp, at(11932)) & 0x20, 0x20);
	CHECK_EQ(sysctl_port_b_read(&sp, at(1)) & 0x01, 0x01);
	/* Gate low pauses mode 0, gate high resumes it. */
	program(&pit, 2, 0x00, 1000, T0);
	sysctl_port_b_write(&sp, 0x00, at(400));
	CHECK_EQ(i8254_count(&pit, 2, at(900)), 600);
	sysctl_port_b_write(&sp, 0x01, at(900));
	CHECK_EQ(i8254_count(&pit, 2, at(1000)), 500);
	/* The refresh bit toggles between reads. */
	CHECK((sysctl_port_b_read(&sp, T0) ^ sysctl_port_b_read(&sp, T0)) & 0x10);
}

static void gate_mode2_reload(void)
{
	struct i8254 pit;

	setup(&pit);
	i8254_set_gate(&pit, 2, true, T0);
	program(&pit, 2, 0x04, 100, T0);
	CHECK_EQ(i8254_count(&pit, 2, at(30)), 70);
	i8254_set_gate(&pit, 2, false, at(30));
	CHECK(i8254_out(&pit, 2, at(99)));	/* gate low: OUT high */
	i8254_set_gate(&pit, 2, true, at(50));	/* rising edge reloads */
	CHECK_EQ(i8254_count(&pit, 2, at(60)), 90);
}

int main(void)
{
	tap_begin();
	TEST(conversions);
	TEST(mode2_reload);
	TEST(mode3_square);
	TEST(mode0_one_shot);
	TEST(periodic_irq);
	TEST(latch_and_byte_modes);
	TEST(read_back);
	TEST(channel2_port_b);
	TEST(gate_mode2_reload);
	return tap_done();
}
