// SPDX-License-Identifier: GPL-2.0
/* CMOS RTC. See cmos_rtc.h. */
#include "cmos_rtc.h"

#include <string.h>

void cmos_rtc_init(struct cmos_rtc *rtc)
{
	memset(rtc, 0, sizeof(*rtc));
	rtc->ram[CMOS_REG_A] = 0x26;		/* 32.768 kHz, 1.024 kHz rate */
	rtc->ram[CMOS_REG_B] = CMOS_B_24H;	/* BCD, 24 hour */
	rtc->ram[CMOS_REG_D] = 0x80;		/* valid RAM and time */
}

static uint8_t encode(const struct cmos_rtc *rtc, unsigned int v)
{
	if (rtc->ram[CMOS_REG_B] & CMOS_B_BINARY)
		return (uint8_t)v;
	return (uint8_t)((v / 10) << 4 | v % 10);
}

static uint8_t hour_reg(const struct cmos_rtc *rtc, int hour)
{
	int h12;

	if (rtc->ram[CMOS_REG_B] & CMOS_B_24H)
		return encode(rtc, (unsigned int)hour);
	h12 = hour % 12 ? hour % 12 : 12;
	return encode(rtc, (unsigned int)h12) | (hour >= 12 ? 0x80 : 0);
}

uint8_t cmos_rtc_read_reg(struct cmos_rtc *rtc, unsigned int reg, time_t now)
{
	struct tm tm;
	uint8_t v;

	reg &= 0x7f;
	if (reg <= 9 || reg == CMOS_CENTURY) {
		gmtime_r(&now, &tm);
		switch (reg) {
		case 0: return encode(rtc, (unsigned int)tm.tm_sec % 60);
		case 2: return encode(rtc, (unsigned int)tm.tm_min);
		case 4: return hour_reg(rtc, tm.tm_hour);
		case 6: return encode(rtc, (unsigned int)tm.tm_wday + 1);
		case 7: return encode(rtc, (unsigned int)tm.tm_mday);
		case 8: return encode(rtc, (unsigned int)tm.tm_mon + 1);
		case 9: return encode(rtc, (unsigned int)(tm.tm_year % 100));
		case CMOS_CENTURY:
			return encode(rtc, (unsigned int)(1900 + tm.tm_year) / 100);
		default: return rtc->ram[reg];	/* alarm registers */
		}
	}
	v = rtc->ram[reg];
	if (reg == CMOS_REG_C)
		rtc->ram[reg] = 0;	/* reading clears the flags */
	return v;
}

void cmos_rtc_write_reg(struct cmos_rtc *rtc, unsigned int reg, uint8_t val)
{
	reg &= 0x7f;
	switch (reg) {
	case 0: case 2: case 4: case 6: case 7: case 8: case 9:
	case CMOS_CENTURY:
	case CMOS_REG_C: case CMOS_REG_D:
		return;	/* the clock follows the host; C and D are read-only */
	case CMOS_REG_A:
		rtc->ram[reg] = val & 0x7f;	/* UIP is read-only (always 0) */
		return;
	default:
		rtc->ram[reg] = val;
	}
}

int cmos_rtc_io(void *opaque, uint64_t off, void *data, unsigned int len,
		bool is_write)
{
	struct cmos_rtc *rtc = opaque;
	uint8_t *b = data;

	for (unsigned int i = 0; i < len; i++) {
		if ((off + i) % 2 == 0) {	/* 0x70: index (write-only) */
			if (is_write)
				rtc->index = b[i] & 0x7f;
			else
				b[i] = 0xff;
		} else if (is_write) {
			cmos_rtc_write_reg(rtc, rtc->index, b[i]);
		} else {
			b[i] = cmos_rtc_read_reg(rtc, rtc->index, time(NULL));
		}
	}
	return 0;
}
