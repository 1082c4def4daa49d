/* SPDX-License-Identifier: GPL-2.0 */
/*
 * A 16550A UART (8250 family): eight registers at base..base+7, a 16-byte
 * receive FIFO, an instant transmitter (each THR byte goes straight to the
 * `tx` callback), loopback mode, the PC's OUT2 gate on the interrupt line.
 * Receive has no overruns: the feeder asks serial8250_rx_room() first and
 * is called back (`rx_space`) when the guest drains the FIFO. Pure.
 */
#ifndef KHV_VMM_SERIAL8250_H
#define KHV_VMM_SERIAL8250_H

#include "irq.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define UART_FIFO_SIZE 16

/* Register offsets (DLAB = LCR bit 7 selects DLL/DLM at 0/1). */
enum {
	UART_RBR = 0, UART_THR = 0, UART_DLL = 0,
	UART_IER = 1, UART_DLM = 1,
	UART_IIR = 2, UART_FCR = 2,
	UART_LCR = 3, UART_MCR = 4, UART_LSR = 5, UART_MSR = 6, UART_SCR = 7,
};

#define UART_IER_RDI 0x01
#define UART_IER_THRI 0x02
#define UART_IER_RLSI 0x04
#define UART_IER_MSI 0x08
#define UART_IIR_NO_INT 0x01
#define UART_IIR_MSI 0x00
#define UART_IIR_THRI 0x02
#define UART_IIR_RDI 0x04
#define UART_IIR_FIFO 0xc0
#define UART_LCR_DLAB 0x80
#define UART_MCR_DTR 0x01
#define UART_MCR_RTS 0x02
#define UART_MCR_OUT1 0x04
#define UART_MCR_OUT2 0x08
#define UART_MCR_LOOP 0x10
#define UART_LSR_DR 0x01
#define UART_LSR_THRE 0x20
#define UART_LSR_TEMT 0x40
#define UART_MSR_CTS 0x10
#define UART_MSR_DSR 0x20
#define UART_MSR_RI 0x40
#define UART_MSR_DCD 0x80
#define UART_FCR_ENABLE 0x01
#define UART_FCR_CLEAR_RX 0x02

struct serial8250 {
	uint8_t ier, lcr, mcr, msr, scr, dll, dlm;
	bool fifo_enabled;
	bool thre_pending;	/* THR-empty interrupt condition */
	uint8_t rx[UART_FIFO_SIZE];
	unsigned int rx_head, rx_count;
	struct irq_pin irq;
	bool irq_level;
	void (*tx)(void *ctx, uint8_t byte);
	void (*rx_space)(void *ctx);
	void *ctx;
};

void serial8250_init(struct serial8250 *s, const struct irq_pin *irq,
		     void (*tx)(void *ctx, uint8_t byte),
		     void (*rx_space)(void *ctx), void *ctx);

void serial8250_write(struct serial8250 *s, unsigned int reg, uint8_t val);
uint8_t serial8250_read(struct serial8250 *s, unsigned int reg);

/* Bytes the receive FIFO can take now. */
size_t serial8250_rx_room(const struct serial8250 *s);
/* Queue received bytes; returns how many were taken (at most the room). */
size_t serial8250_rx_push(struct serial8250 *s, const uint8_t *buf, size_t n);

/* Bus handler; opaque is the struct serial8250. */
int serial8250_io(void *opaque, uint64_t off, void *data, unsigned int len,
		  bool is_write);

#endif
