// SPDX-License-Identifier: GPL-2.0
/* i8042 without devices: controller commands, no-device answers, IRQs,
 * the reset line. */
#include "i8042.h"
#include "tap.h"

static int resets, kbd_level, aux_level;

static void on_reset(void *ctx) { (void)ctx; resets++; }

static void rec_irq(void *ctx, unsigned int line, unsigned int source, int lvl)
{
	(void)ctx;
	(void)source;
	if (line == 1)
		kbd_level = lvl;
	else
		aux_level = lvl;
}

static void setup(struct i8042 *k)
{
	struct irq_pin kbd = { rec_irq, NULL, 1, 0 }, aux = { rec_irq, NULL, 12, 0 };

	resets = kbd_level = aux_level = 0;
	i8042_init(k, &kbd, &aux, on_reset, NULL);
}

static void controller_commands(void)
{
	struct i8042 k;

	setup(&k);
	CHECK_EQ(i8042_read_status(&k) & I8042_STR_OBF, 0);	/* flush finds nothing */
	i8042_write_command(&k, 0xaa);
	CHECK(i8042_read_status(&k) & I8042_STR_OBF);
	CHECK_EQ(i8042_read_data(&k), 0x55);
	CHECK_EQ(i8042_read_status(&k) & I8042_STR_OBF, 0);
	i8042_write_command(&k, 0x60);			/* write CTR */
	i8042_write_data(&k, 0x47);
	i8042_write_command(&k, 0x20);			/* read CTR */
	CHECK_EQ(i8042_read_data(&k), 0x47);
	i8042_write_command(&k, 0xa7);
	i8042_write_command(&k, 0x20);
	CHECK(i8042_read_data(&k) & I8042_CTR_AUXDIS);
	i8042_write_command(&k, 0xab);
	CHECK_EQ(i8042_read_data(&k), 0x00);
}

static void no_devices(void)
{
	struct i8042 k;
	uint8_t st;

	setup(&k);
	i8042_write_data(&k, 0xff);			/* keyboard reset */
	st = i8042_read_status(&k);
	CHECK(st & I8042_STR_OBF);
	CHECK(st & I8042_STR_TIMEOUT);
	CHECK(!(st & I8042_STR_AUXDATA));
	CHECK_EQ(kbd_level, 1);				/* CTR enables IRQ 1 */
	CHECK_EQ(i8042_read_data(&k), 0xfe);
	CHECK_EQ(kbd_level, 0);
	i8042_write_command(&k, 0x60);
	i8042_write_data(&k, I8042_CTR_AUXINT);
	i8042_write_command(&k, 0xd4);			/* to the mouse */
	i8042_write_data(&k, 0xf2);
	st = i8042_read_status(&k);
	CHECK(st & I8042_STR_AUXDATA);
	CHECK(st & I8042_STR_TIMEOUT);
	CHECK_EQ(aux_level, 1);
	CHECK_EQ(i8042_read_data(&k), 0xfe);
	CHECK_EQ(aux_level, 0);
}

/* The AUX loopback echoes; Linux's MUX probe must not see a version. */
static void aux_loopback(void)
{
	struct i8042 k;
	static const uint8_t mux_probe[3] = { 0xf0, 0x56, 0xa4 };

	setup(&k);
	for (int i = 0; i < 3; i++) {
		i8042_write_command(&k, 0xd3);
		i8042_write_data(&k, mux_probe[i]);
		CHECK(i8042_read_status(&k) & I8042_STR_AUXDATA);
		CHECK_EQ(i8042_read_data(&k), mux_probe[i]);
	}
}

static void reset_line(void)
{
	struct i8042 k;

	setup(&k);
	i8042_write_command(&k, 0xff);			/* pulse nothing */
	CHECK_EQ(resets, 0);
	i8042_write_command(&k, 0xfe);			/* pulse line 0 */
	CHECK_EQ(resets, 1);
	i8042_write_command(&k, 0xd1);
	i8042_write_data(&k, 0x01);
	CHECK_EQ(resets, 1);
	i8042_write_command(&k, 0xd1);
	i8042_write_data(&k, 0x00);
	CHECK_EQ(resets, 2);
}

int main(void)
{
	tap_begin();
	TEST(controller_commands);
	TEST(no_devices);
	TEST(aux_loopback);
	TEST(reset_line);
	return tap_done();
}
