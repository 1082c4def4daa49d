/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The PC's system control ports and the POST port:
 *   0x61 port B: bit 0 PIT channel 2 gate, bit 1 speaker data, bits 2-3
 *        stored, bit 4 refresh toggle (flips on every read), bit 5 PIT
 *        channel 2 OUT (what Linux polls to calibrate the TSC);
 *   0x92 port A: bit 1 A20 (always on), bit 0 fast reset;
 *   0x80 POST code / I/O delay port: writes are ignored.
 */
#ifndef KHV_VMM_SYSCTL_PORTS_H
#define KHV_VMM_SYSCTL_PORTS_H

#include "i8254.h"

#include <stdbool.h>
#include <stdint.h>

struct sysctl_ports {
	struct i8254 *pit;
	uint8_t port_b;		/* stored bits 0-3 */
	bool refresh;
	uint8_t post_code;
	void (*reset)(void *ctx);
	void *reset_ctx;
};

void sysctl_ports_init(struct sysctl_ports *sp, struct i8254 *pit,
		       void (*reset)(void *ctx), void *reset_ctx);

uint8_t sysctl_port_b_read(struct sysctl_ports *sp, uint64_t now_ns);
void sysctl_port_b_write(struct sysctl_ports *sp, uint8_t val, uint64_t now_ns);

/* Bus handlers; opaque is the struct sysctl_ports. */
int sysctl_port_b_io(void *opaque, uint64_t off, void *data, unsigned int len,
		     bool is_write);
int sysctl_port_a_io(void *opaque, uint64_t off, void *data, unsigned int len,
		     bool is_write);
int sysctl_post_io(void *opaque, uint64_t off, void *data, unsigned int len,
		   bool is_write);

#endif
