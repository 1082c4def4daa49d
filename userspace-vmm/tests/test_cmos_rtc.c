// SPDX-License-Identifier: GPL-2.0
/* CMOS RTC: time registers in BCD/binary and 12/24 h, status registers. */
#include "cmos_rtc.h"
#include "tap.h"

/* 2026-11-21 19:52:07 UTC, a Saturday. */
#define NOW ((time_t)1795290727)

static void bcd_24h(void)
{
	struct cmos_rtc r;

	cmos_rtc_init(&r);
	CHECK_EQ(cmos_rtc_read_reg(&r, 0, NOW), 0x07);
	CHECK_EQ(cmos_rtc_read_reg(&r, 2, NOW), 0x52);
	CHECK_EQ(cmos_rtc_read_reg(&r, 4, NOW), 0x19);
	CHECK_EQ(cmos_rtc_read_reg(&r, 6, NOW), 0x07);	/* Saturday = 7 */
	CHECK_EQ(cmos_rtc_read_reg(&r, 7, NOW), 0x21);
	CHECK_EQ(cmos_rtc_read_reg(&r, 8, NOW), 0x11);
	CHECK_EQ(cmos_rtc_read_reg(&r, 9, NOW), 0x26);
	CHECK_EQ(cmos_rtc_read_reg(&r, CMOS_CENTURY, NOW), 0x20);
}

static void binary_12h(void)
{
	struct cmos_rtc r;

	cmos_rtc_init(&r);
	cmos_rtc_write_reg(&r, CMOS_REG_B, CMOS_B_BINARY);	/* 12 h, binary */
	CHECK_EQ(cmos_rtc_read_reg(&r, 2, NOW), 52);
	CHECK_EQ(cmos_rtc_read_reg(&r, 4, NOW), 0x80 | 7);	/* 7 PM */
	cmos_rtc_write_reg(&r, CMOS_REG_B, 0);			/* 12 h, BCD */
	CHECK_EQ(cmos_rtc_read_reg(&r, 4, NOW), 0x87);
	CHECK_EQ(cmos_rtc_read_reg(&r, 4, NOW - 19 * 3600), 0x12);	/* midnight */
}

static void status_registers(void)
{
	struct cmos_rtc r;

	cmos_rtc_init(&r);
	CHECK_EQ(cmos_rtc_read_reg(&r, CMOS_REG_A, NOW) & 0x80, 0);	/* no UIP */
	CHECK_EQ(cmos_rtc_read_reg(&r, CMOS_REG_D, NOW), 0x80);		/* valid */
	r.ram[CMOS_REG_C] = 0xf0;
	CHECK_EQ(cmos_rtc_read_reg(&r, CMOS_REG_C, NOW), 0xf0);
	CHECK_EQ(cmos_rtc_read_reg(&r, CMOS_REG_C, NOW), 0);		/* read clears */
	cmos_rtc_write_reg(&r, CMOS_REG_A, 0xa6);
	CHECK_EQ(cmos_rtc_read_reg(&r, CMOS_REG_A, NOW), 0x26);
}

static void ram_and_ports(void)
{
	struct cmos_rtc r;
	uint8_t b;

	cmos_rtc_init(&r);
	cmos_rtc_write_reg(&r, 0x40, 0x5a);
	CHECK_EQ(cmos_rtc_read_reg(&r, 0x40, NOW), 0x5a);
	cmos_rtc_write_reg(&r, 0, 0x33);	/* time writes are ignored */
	CHECK_EQ(cmos_rtc_read_reg(&r, 0, NOW), 0x07);
	b = 0x80 | 0x41;			/* index with NMI-disable bit */
	cmos_rtc_io(&r, 0, &b, 1, true);
	b = 0x99;
	cmos_rtc_io(&r, 1, &b, 1, true);
	CHECK_EQ(r.ram[0x41], 0x99);
	b = 0;
	cmos_rtc_io(&r, 1, &b, 1, false);
	CHECK_EQ(b, 0x99);
}

int main(void)
{
	tap_begin();
	TEST(bcd_24h);
	TEST(binary_12h);
	TEST(status_registers);
	TEST(ram_and_ports);
	return tap_done();
}
