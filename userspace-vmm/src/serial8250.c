// SPDX-License-Identifier: GPL-2.0
/* 16550A UART. See serial8250.h. */
#include "serial8250.h"

#include <string.h>

/* Modem status inputs when not in loopback: carrier, DSR and CTS up. */
#define MSR_LINES_UP (UART_MSR_DCD | UART_MSR_DSR | UART_MSR_CTS)

void serial8250_init(struct serial8250 *s, const struct irq_pin *irq,
		     void (*tx)(void *ctx, uint8_t byte),
		     void (*rx_space)(void *ctx), void *ctx)
{
	memset(s, 0, sizeof(*s));
	if (irq)
		s->irq = *irq;
	s->tx = tx;
	s->rx_space = rx_space;
	s->ctx = ctx;
	s->msr = MSR_LINES_UP;
	s->thre_pending = false;
}

static unsigned int rx_capacity(const struct serial8250 *s)
{
	return s->fifo_enabled ? UART_FIFO_SIZE : 1;
}

size_t serial8250_rx_room(const struct serial8250 *s)
{
	unsigned int cap = rx_capacity(s);

	return s->rx_count < cap ? cap - s->rx_count : 0;
}

/* The IIR value for the highest-priority pending interrupt. */
static uint8_t iir_value(const struct serial8250 *s)
{
	uint8_t fifo = s->fifo_enabled ? UART_IIR_FIFO : 0;

	if ((s->ier & UART_IER_RDI) && s->rx_count)
		return fifo | UART_IIR_RDI;
	if ((s->ier & UART_IER_THRI) && s->thre_pending)
		return fifo | UART_IIR_THRI;
	if ((s->ier & UART_IER_MSI) && (s->msr & 0x0f))
		return fifo | UART_IIR_MSI;
	return fifo | UART_IIR_NO_INT;
}

static void update_irq(struct serial8250 *s)
{
	bool level = !(iir_value(s) & UART_IIR_NO_INT) &&
		     (s->mcr & UART_MCR_OUT2) && !(s->mcr & UART_MCR_LOOP);

	if (level != s->irq_level) {
		s->irq_level = level;
		irq_pin_set(&s->irq, level);
	}
}

static void rx_clear(struct serial8250 *s)
{
	s->rx_head = 0;
	s->rx_count = 0;
}

static size_t rx_push(struct serial8250 *s, const uint8_t *buf, size_t n)
{
	size_t room = serial8250_rx_room(s), i;

	for (i = 0; i < n && i < room; i++) {
		s->rx[(s->rx_head + s->rx_count) % UART_FIFO_SIZE] = buf[i];
		s->rx_count++;
	}
	return i;
}

size_t serial8250_rx_push(struct serial8250 *s, const uint8_t *buf, size_t n)
{
	size_t done = rx_push(s, buf, n);

	update_irq(s);
	return done;
}

static uint8_t rx_pop(struct serial8250 *s)
{
	uint8_t b;

	if (!s->rx_count)
		return 0;
	b = s->rx[s->rx_head];
	s->rx_head = (s->rx_head + 1) % UART_FIFO_SIZE;
	s->rx_count--;
	if (s->rx_space && !(s->mcr & UART_MCR_LOOP))
		s->rx_space(s->ctx);
	return b;
}

/* Loopback wires MCR outputs to MSR inputs; deltas are latched. */
static void update_msr(struct serial8250 *s)
{
	uint8_t lines = MSR_LINES_UP, old = s->msr;

	if (s->mcr & UART_MCR_LOOP) {
		lines = 0;
		if (s->mcr & UART_MCR_RTS)
			lines |= UART_MSR_CTS;
		if (s->mcr & UART_MCR_DTR)
			lines |= UART_MSR_DSR;
		if (s->mcr & UART_MCR_OUT1)
			lines |= UART_MSR_RI;
		if (s->mcr & UART_MCR_OUT2)
			lines |= UART_MSR_DCD;
	}
	s->msr = (old & 0x0f) | lines;
	if ((old ^ lines) & UART_MSR_CTS)
		s->msr |= 0x01;
	if ((old ^ lines) & UART_MSR_DSR)
		s->msr |= 0x02;
	if ((old & UART_MSR_RI) && !(lines & UART_MSR_RI))
		s->msr |= 0x04;	/* trailing edge of ring indicator */
	if ((old ^ lines) & UART_MSR_DCD)
		s->msr |= 0x08;
}

static void write_thr(struct serial8250 *s, uint8_t val)
{
	if (s->mcr & UART_MCR_LOOP)
		rx_push(s, &val, 1);
	else if (s->tx)
		s->tx(s->ctx, val);
	s->thre_pending = true;	/* transmitted at once: THR empty again */
}

static void write_fcr(struct serial8250 *s, uint8_t val)
{
	bool enable = val & UART_FCR_ENABLE;

	if (enable != s->fifo_enabled || (val & UART_FCR_CLEAR_RX))
		rx_clear(s);
	s->fifo_enabled = enable;
	if (s->rx_space)
		s->rx_space(s->ctx);
}

void serial8250_write(struct serial8250 *s, unsigned int reg, uint8_t val)
{
	bool dlab = s->lcr & UART_LCR_DLAB;

	switch (reg & 7) {
	case UART_THR:
		if (dlab)
			s->dll = val;
		else
			write_thr(s, val);
		break;
	case UART_IER:
		if (dlab) {
			s->dlm = val;
			break;
		}
		s->ier = val & 0x0f;
		/* Enabling the THRE interrupt with THR empty raises it. */
		if (s->ier & UART_IER_THRI)
			s->thre_pending = true;
		break;
	case UART_FCR:
		write_fcr(s, val);
		break;
	case UART_LCR:
		s->lcr = val;
		break;
	case UART_MCR:
		s->mcr = val & 0x1f;
		update_msr(s);
		break;
	case UART_LSR:
	case UART_MSR:
		break;	/* read-only */
	case UART_SCR:
		s->scr = val;
		break;
	}
	update_irq(s);
}

uint8_t serial8250_read(struct serial8250 *s, unsigned int reg)
{
	bool dlab = s->lcr & UART_LCR_DLAB;
	uint8_t v = 0;

	switch (reg & 7) {
	case UART_RBR:
		v = dlab ? s->dll : rx_pop(s);
		break;
	case UART_IER:
		v = dlab ? s->dlm : s->ier;
		break;
	case UART_IIR:
		v = iir_value(s);
		if ((v & 0x0f) == UART_IIR_THRI)
			s->thre_pending = false;
		break;
	case UART_LCR:
		v = s->lcr;
		break;
	case UART_MCR:
		v = s->mcr;
		break;
	case UART_LSR:
		v = UART_LSR_THRE | UART_LSR_TEMT;
		if (s->rx_count)
			v |= UART_LSR_DR;
		break;
	case UART_MSR:
		v = s->msr;
		s->msr &= 0xf0;	/* reading clears the deltas */
		break;
	case UART_SCR:
		v = s->scr;
		break;
	}
	update_irq(s);
	return v;
}

int serial8250_io(void *opaque, uint64_t off, void *data, unsigned int len,
		  bool is_write)
{
	uint8_t *b = data;

	for (unsigned int i = 0; i < len; i++) {
		if (is_write)
			serial8250_write(opaque, (unsigned int)(off + i), b[i]);
		else
			b[i] = serial8250_read(opaque, (unsigned int)(off + i));
	}
	return 0;
}
