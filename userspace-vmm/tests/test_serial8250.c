// SPDX-License-Identifier: GPL-2.0
/* 16550A UART: THR/RBR, LSR, IIR priorities, IER, FIFO, loopback, IRQ. */
#include "serial8250.h"
#include "tap.h"

#include <string.h>

static uint8_t txbuf[64];
static unsigned int ntx, rx_space_calls;
static int irq_level, irq_edges;

static void tx(void *ctx, uint8_t b)
{
	(void)ctx;
	if (ntx < sizeof(txbuf))
		txbuf[ntx++] = b;
}

static void rx_space(void *ctx)
{
	(void)ctx;
	rx_space_calls++;
}

static void rec_irq(void *ctx, unsigned int line, unsigned int source, int lvl)
{
	(void)ctx;
	(void)line;
	(void)source;
	if (lvl && !irq_level)
		irq_edges++;
	irq_level = lvl;
}

static void setup(struct serial8250 *s)
{
	struct irq_pin pin = { rec_irq, NULL, 4, 0 };

	ntx = rx_space_calls = 0;
	irq_level = irq_edges = 0;
	serial8250_init(s, &pin, tx, rx_space, NULL);
}

static void reset_state(void)
{
	struct serial8250 s;

	setup(&s);
	CHECK_EQ(serial8250_read(&s, UART_LSR), 0x60);	/* THRE | TEMT */
	CHECK_EQ(serial8250_read(&s, UART_IIR), 0x01);	/* no interrupt */
	CHECK_EQ(serial8250_read(&s, UART_IER), 0);
	CHECK_EQ(serial8250_read(&s, UART_MSR) & 0xf0, 0xb0);	/* DCD DSR CTS */
}

static void transmit(void)
{
	struct serial8250 s;

	setup(&s);
	serial8250_write(&s, UART_THR, 'h');
	serial8250_write(&s, UART_THR, 'i');
	CHECK_EQ(ntx, 2);
	CHECK(!memcmp(txbuf, "hi", 2));
	CHECK_EQ(serial8250_read(&s, UART_LSR) & 0x60, 0x60);
}

static void divisor_latch(void)
{
	struct serial8250 s;

	setup(&s);
	serial8250_write(&s, UART_LCR, 0x83);	/* DLAB, 8N1 */
	serial8250_write(&s, UART_DLL, 0x01);
	serial8250_write(&s, UART_DLM, 0x00);
	CHECK_EQ(ntx, 0);			/* DLL is not THR */
	CHECK_EQ(serial8250_read(&s, UART_DLL), 0x01);
	CHECK_EQ(serial8250_read(&s, UART_DLM), 0x00);
	serial8250_write(&s, UART_LCR, 0x03);
	CHECK_EQ(serial8250_read(&s, UART_LCR), 0x03);
	CHECK_EQ(serial8250_read(&s, UART_IER), 0);
	serial8250_write(&s, UART_SCR, 0xa5);
	CHECK_EQ(serial8250_read(&s, UART_SCR), 0xa5);
}

/* Linux's serial8250_do_startup check that THRE re-asserts. */
static void thre_interrupt(void)
{
	struct serial8250 s;
	uint8_t iir1, iir2;

	setup(&s);
	serial8250_write(&s, UART_MCR, UART_MCR_OUT2);
	serial8250_write(&s, UART_IER, 0xff);
	CHECK_EQ(serial8250_read(&s, UART_IER), 0x0f);	/* 4 bits */
	serial8250_write(&s, UART_IER, 0);
	serial8250_write(&s, UART_IER, UART_IER_THRI);
	iir1 = serial8250_read(&s, UART_IIR);
	serial8250_write(&s, UART_IER, 0);
	serial8250_write(&s, UART_IER, UART_IER_THRI);
	iir2 = serial8250_read(&s, UART_IIR);
	CHECK_EQ(iir1 & 0x0f, UART_IIR_THRI);
	CHECK_EQ(iir2 & 0x0f, UART_IIR_THRI);
	/* Reading IIR cleared it; a THR write brings it back. */
	CHECK_EQ(serial8250_read(&s, UART_IIR) & 0x0f, UART_IIR_NO_INT);
	CHECK_EQ(irq_level, 0);
	serial8250_write(&s, UART_THR, 'x');
	CHECK_EQ(irq_level, 1);
	CHECK_EQ(serial8250_read(&s, UART_IIR) & 0x0f, UART_IIR_THRI);
	CHECK_EQ(irq_level, 0);
}

static void receive_fifo(void)
{
	struct serial8250 s;
	const uint8_t in[20] = "0123456789abcdefghi";

	setup(&s);
	CHECK_EQ(serial8250_rx_room(&s), 1);		/* no FIFO: one byte */
	serial8250_write(&s, UART_FCR, 0x07);		/* enable, clear */
	CHECK_EQ(serial8250_read(&s, UART_IIR) & 0xc0, 0xc0);
	CHECK_EQ(serial8250_rx_room(&s), 16);
	CHECK_EQ(serial8250_rx_push(&s, in, 20), 16);	/* no overrun */
	CHECK_EQ(serial8250_read(&s, UART_LSR) & 0x01, 0x01);
	for (int i = 0; i < 16; i++)
		CHECK_EQ(serial8250_read(&s, UART_RBR), in[i]);
	CHECK_EQ(serial8250_read(&s, UART_LSR) & 0x01, 0);
	CHECK_EQ(rx_space_calls >= 16, 1);
	/* FCR clear drops what is queued. */
	serial8250_rx_push(&s, in, 4);
	serial8250_write(&s, UART_FCR, 0x03);
	CHECK_EQ(serial8250_read(&s, UART_LSR) & 0x01, 0);
}

static void iir_priority_and_irq(void)
{
	struct serial8250 s;
	uint8_t c = 'k';

	setup(&s);
	serial8250_write(&s, UART_FCR, 0x01);
	serial8250_write(&s, UART_IER, UART_IER_RDI | UART_IER_THRI);
	CHECK_EQ(irq_level, 0);			/* OUT2 gates the line */
	serial8250_write(&s, UART_MCR, UART_MCR_OUT2 | UART_MCR_DTR | UART_MCR_RTS);
	CHECK_EQ(irq_level, 1);
	serial8250_rx_push(&s, &c, 1);
	/* Received data outranks THRE. */
	CHECK_EQ(serial8250_read(&s, UART_IIR), 0xc4);
	CHECK_EQ(serial8250_read(&s, UART_RBR), 'k');
	CHECK_EQ(serial8250_read(&s, UART_IIR), 0xc2);
	CHECK_EQ(serial8250_read(&s, UART_IIR), 0xc1);
	CHECK_EQ(irq_level, 0);
	CHECK_EQ(irq_edges, 1);
}

static void loopback(void)
{
	struct serial8250 s;

	setup(&s);
	serial8250_write(&s, UART_MCR, 0x1a);	/* LOOP | OUT2 | RTS */
	CHECK_EQ(serial8250_read(&s, UART_MSR) & 0xf0, 0x90);	/* DCD, CTS */
	serial8250_write(&s, UART_MCR, 0x1f);
	CHECK_EQ(serial8250_read(&s, UART_MSR) & 0xf0, 0xf0);
	serial8250_write(&s, UART_THR, 0x42);
	CHECK_EQ(ntx, 0);			/* nothing leaves */
	CHECK_EQ(serial8250_read(&s, UART_LSR) & 0x01, 0x01);
	CHECK_EQ(serial8250_read(&s, UART_RBR), 0x42);
	serial8250_write(&s, UART_IER, UART_IER_RDI);
	serial8250_write(&s, UART_THR, 0x43);
	CHECK_EQ(irq_level, 0);			/* no IRQ out of loopback */
	/* Modem status deltas: set on change, cleared by reading MSR. */
	serial8250_write(&s, UART_MCR, 0x10);
	CHECK(serial8250_read(&s, UART_MSR) & 0x0f);
	CHECK_EQ(serial8250_read(&s, UART_MSR) & 0x0f, 0);
}

int main(void)
{
	tap_begin();
	TEST(reset_state);
	TEST(transmit);
	TEST(divisor_latch);
	TEST(thre_interrupt);
	TEST(receive_fifo);
	TEST(iir_priority_and_irq);
	TEST(loopback);
	return tap_done();
}
