// SPDX-License-Identifier: GPL-2.0
/* System control ports A and B, POST port. See sysctl_ports.h. */
#include "sysctl_ports.h"

#include "util.h"

#include <string.h>

void sysctl_ports_init(struct sysctl_ports *sp, struct i8254 *pit,
		       void (*reset)(void *ctx), void *reset_ctx)
{
	memset(sp, 0, sizeof(*sp));
	sp->pit = pit;
	sp->reset = reset;
	sp->reset_ctx = reset_ctx;
}

uint8_t sysctl_port_b_read(struct sysctl_ports *sp, uint64_t now_ns)
{
	uint8_t v = sp->port_b & 0x0f;

	sp->refresh = !sp->refresh;
	if (sp->refresh)
		v |= 0x10;
	if (i8254_out(sp->pit, 2, now_ns))
		v |= 0x20;
	return v;
}

void sysctl_port_b_write(struct sysctl_ports *sp, uint8_t val, uint64_t now_ns)
{
	sp->port_b = val & 0x0f;
	i8254_set_gate(sp->pit, 2, val & 0x01, now_ns);
}

int sysctl_port_b_io(void *opaque, uint64_t off, void *data, unsigned int len,
		     bool is_write)
{
	uint8_t *b = data;

	(void)off;
	if (is_write)
		sysctl_port_b_write(opaque, b[0], vmm_now_ns());
	else
		b[0] = sysctl_port_b_read(opaque, vmm_now_ns());
	if (!is_write && len > 1)
		memset(b + 1, 0xff, len - 1);
	return 0;
}

int sysctl_port_a_io(void *opaque, uint64_t off, void *data, unsigned int len,
		     bool is_write)
{
	struct sysctl_ports *sp = opaque;
	uint8_t *b = data;

	(void)off;
	if (!is_write) {
		memset(b, 0xff, len);
		b[0] = 0x02;	/* A20 enabled */
	} else if ((b[0] & 0x01) && sp->reset) {
		sp->reset(sp->reset_ctx);
	}
	return 0;
}

int sysctl_post_io(void *opaque, uint64_t off, void *data, unsigned int len,
		   bool is_write)
{
	struct sysctl_ports *sp = opaque;

	(void)off;
	if (is_write)
		sp->post_code = *(uint8_t *)data;
	else
		memset(data, 0xff, len);
	return 0;
}
