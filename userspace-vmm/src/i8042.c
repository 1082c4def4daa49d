// SPDX-License-Identifier: GPL-2.0
/* i8042 controller without devices. See i8042.h. */
#include "i8042.h"

#include <string.h>

#define NO_DEVICE 0xfe

void i8042_init(struct i8042 *kbc, const struct irq_pin *kbd_irq,
		const struct irq_pin *aux_irq, void (*reset)(void *ctx),
		void *reset_ctx)
{
	memset(kbc, 0, sizeof(*kbc));
	if (kbd_irq)
		kbc->kbd_irq = *kbd_irq;
	if (aux_irq)
		kbc->aux_irq = *aux_irq;
	kbc->reset = reset;
	kbc->reset_ctx = reset_ctx;
	kbc->ctr = I8042_CTR_SYSFLAG | I8042_CTR_XLATE | I8042_CTR_KBDINT;
}

/* IRQ 1 / 12 follow a full output buffer whose source is enabled. */
static void update_irqs(struct i8042 *kbc)
{
	const struct i8042_byte *head = kbc->out_count ? &kbc->out[kbc->out_head] : NULL;
	bool kbd = head && !head->aux && (kbc->ctr & I8042_CTR_KBDINT);
	bool aux = head && head->aux && (kbc->ctr & I8042_CTR_AUXINT);

	if (kbd != kbc->kbd_level) {
		kbc->kbd_level = kbd;
		irq_pin_set(&kbc->kbd_irq, kbd);
	}
	if (aux != kbc->aux_level) {
		kbc->aux_level = aux;
		irq_pin_set(&kbc->aux_irq, aux);
	}
}

static void queue(struct i8042 *kbc, uint8_t data, bool aux, bool timeout)
{
	if (kbc->out_count < I8042_QUEUE) {
		kbc->out[(kbc->out_head + kbc->out_count) % I8042_QUEUE] =
			(struct i8042_byte){ data, aux, timeout };
		kbc->out_count++;
	}
	update_irqs(kbc);
}

uint8_t i8042_read_status(const struct i8042 *kbc)
{
	uint8_t s = I8042_STR_KEYLOCK;

	if (kbc->ctr & I8042_CTR_SYSFLAG)
		s |= I8042_STR_SYSFLAG;
	if (kbc->last_was_cmd)
		s |= I8042_STR_CMDDAT;
	if (kbc->out_count) {
		const struct i8042_byte *b = &kbc->out[kbc->out_head];

		s |= I8042_STR_OBF;
		if (b->aux)
			s |= I8042_STR_AUXDATA;
		if (b->timeout)
			s |= I8042_STR_TIMEOUT;
	}
	return s;
}

uint8_t i8042_read_data(struct i8042 *kbc)
{
	if (kbc->out_count) {
		kbc->last_data = kbc->out[kbc->out_head].data;
		kbc->out_head = (kbc->out_head + 1) % I8042_QUEUE;
		kbc->out_count--;
		update_irqs(kbc);
	}
	return kbc->last_data;
}

static void do_reset(struct i8042 *kbc)
{
	if (kbc->reset)
		kbc->reset(kbc->reset_ctx);
}

void i8042_write_command(struct i8042 *kbc, uint8_t cmd)
{
	kbc->last_was_cmd = true;
	kbc->pending = 0;
	if (cmd >= 0xf0) {		/* pulse output lines; bit 0 low = reset */
		if (!(cmd & 0x01))
			do_reset(kbc);
		return;
	}
	switch (cmd) {
	case 0x20: queue(kbc, kbc->ctr, false, false); break;
	case 0xa7: kbc->ctr |= I8042_CTR_AUXDIS; break;
	case 0xa8: kbc->ctr &= (uint8_t)~I8042_CTR_AUXDIS; break;
	case 0xa9: queue(kbc, 0x00, false, false); break;	/* aux port test */
	case 0xaa: queue(kbc, 0x55, false, false); break;	/* self test */
	case 0xab: queue(kbc, 0x00, false, false); break;	/* kbd port test */
	case 0xad: kbc->ctr |= I8042_CTR_KBDDIS; break;
	case 0xae: kbc->ctr &= (uint8_t)~I8042_CTR_KBDDIS; break;
	case 0xd0: queue(kbc, 0x01, false, false); break;	/* output port */
	case 0x60: case 0xd1: case 0xd2: case 0xd3: case 0xd4:
		kbc->pending = cmd;
		break;
	default:
		break;	/* unknown commands are ignored */
	}
	update_irqs(kbc);
}

void i8042_write_data(struct i8042 *kbc, uint8_t val)
{
	uint8_t cmd = kbc->pending;

	kbc->last_was_cmd = false;
	kbc->pending = 0;
	switch (cmd) {
	case 0x60: kbc->ctr = val; update_irqs(kbc); break;
	case 0xd1: if (!(val & 0x01)) do_reset(kbc); break;
	case 0xd2: queue(kbc, val, false, false); break;	/* kbd loopback */
	case 0xd3: queue(kbc, val, true, false); break;		/* aux loopback */
	case 0xd4: queue(kbc, NO_DEVICE, true, true); break;	/* to aux */
	default: queue(kbc, NO_DEVICE, false, true); break;	/* to keyboard */
	}
}

int i8042_data_io(void *opaque, uint64_t off, void *data, unsigned int len,
		  bool is_write)
{
	uint8_t *b = data;

	(void)off;
	if (is_write)
		i8042_write_data(opaque, b[0]);
	else
		b[0] = i8042_read_data(opaque);
	if (!is_write && len > 1)
		memset(b + 1, 0xff, len - 1);
	return 0;
}

int i8042_cmd_io(void *opaque, uint64_t off, void *data, unsigned int len,
		 bool is_write)
{
	uint8_t *b = data;

	(void)off;
	if (is_write)
		i8042_write_command(opaque, b[0]);
	else
		b[0] = i8042_read_status(opaque);
	if (!is_write && len > 1)
		memset(b + 1, 0xff, len - 1);
	return 0;
}
