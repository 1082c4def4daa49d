/* SPDX-License-Identifier: GPL-2.0 */
/*
 * An i8042 keyboard controller with nothing plugged in: 0x60 data, 0x64
 * status/command. The controller answers its own commands (configuration
 * byte, self tests, port enables, the auxiliary loopback), and every byte
 * sent to the keyboard or the auxiliary device gets the "no device"
 * answer (0xfe with the timeout status bit), so a guest driver gives up
 * quickly. Pulsing output line 0 (command 0xfe, or writing the output port
 * with bit 0 clear) resets the machine. IRQ 1 and 12 as the configuration
 * byte enables them. Pure.
 */
#ifndef KHV_VMM_I8042_H
#define KHV_VMM_I8042_H

#include "irq.h"

#include <stdbool.h>
#include <stdint.h>

#define I8042_STR_OBF 0x01
#define I8042_STR_SYSFLAG 0x04
#define I8042_STR_CMDDAT 0x08
#define I8042_STR_KEYLOCK 0x10
#define I8042_STR_AUXDATA 0x20
#define I8042_STR_TIMEOUT 0x40
#define I8042_CTR_KBDINT 0x01
#define I8042_CTR_AUXINT 0x02
#define I8042_CTR_SYSFLAG 0x04
#define I8042_CTR_KBDDIS 0x10
#define I8042_CTR_AUXDIS 0x20
#define I8042_CTR_XLATE 0x40

#define I8042_QUEUE 8

struct i8042_byte {
	uint8_t data;
	bool aux;
	bool timeout;
};

struct i8042 {
	uint8_t ctr;		/* controller configuration byte */
	uint8_t pending;	/* command waiting for its data byte, or 0 */
	bool last_was_cmd;
	struct i8042_byte out[I8042_QUEUE];
	unsigned int out_head, out_count;
	uint8_t last_data;
	struct irq_pin kbd_irq, aux_irq;
	bool kbd_level, aux_level;
	void (*reset)(void *ctx);
	void *reset_ctx;
};

void i8042_init(struct i8042 *kbc, const struct irq_pin *kbd_irq,
		const struct irq_pin *aux_irq, void (*reset)(void *ctx),
		void *reset_ctx);

uint8_t i8042_read_status(const struct i8042 *kbc);
uint8_t i8042_read_data(struct i8042 *kbc);
void i8042_write_command(struct i8042 *kbc, uint8_t cmd);
void i8042_write_data(struct i8042 *kbc, uint8_t val);

/* Bus handlers (0x60 and 0x64); opaque is the struct i8042. */
int i8042_data_io(void *opaque, uint64_t off, void *data, unsigned int len,
		  bool is_write);
int i8042_cmd_io(void *opaque, uint64_t off, void *data, unsigned int len,
		 bool is_write);

#endif
