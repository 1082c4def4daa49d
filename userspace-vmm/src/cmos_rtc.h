/* SPDX-License-Identifier: GPL-2.0 */
/*
 * MC146818-style CMOS RTC at 0x70 (index, bit 7 = NMI disable) and 0x71
 * (data): the time registers read the host's UTC clock (BCD or binary,
 * 12 or 24 hour as register B says), status registers A-D, 114 bytes of
 * RAM. No alarms, periodic or update interrupts (IRQ 8 never fires);
 * writes to the time registers are ignored. Pure: time is passed in.
 */
#ifndef KHV_VMM_CMOS_RTC_H
#define KHV_VMM_CMOS_RTC_H

#include <stdbool.h>
#include <stdint.h>
#include <time.h>

#define CMOS_REG_A 0x0a
#define CMOS_REG_B 0x0b
#define CMOS_REG_C 0x0c
#define CMOS_REG_D 0x0d
#define CMOS_CENTURY 0x32
#define CMOS_B_24H 0x02
#define CMOS_B_BINARY 0x04

struct cmos_rtc {
	uint8_t index;
	uint8_t ram[128];
};

void cmos_rtc_init(struct cmos_rtc *rtc);
uint8_t cmos_rtc_read_reg(struct cmos_rtc *rtc, unsigned int reg, time_t now);
void cmos_rtc_write_reg(struct cmos_rtc *rtc, unsigned int reg, uint8_t val);

/* Bus handler (0x70-0x71); opaque is the struct cmos_rtc. */
int cmos_rtc_io(void *opaque, uint64_t off, void *data, unsigned int len,
		bool is_write);

#endif
