// SPDX-License-Identifier: GPL-2.0
/* Shared interrupt lines. See irq.h. */
#include "irq.h"

#include <errno.h>

int irq_lines_add_source(struct irq_lines *l, unsigned int line)
{
	if (line >= IRQ_LINES || l->nr_sources[line] >= IRQ_LINE_SOURCES)
		return -ENOSPC;
	return l->nr_sources[line]++;
}

bool irq_lines_set(struct irq_lines *l, unsigned int line, unsigned int source,
		   int level)
{
	uint16_t *high = &l->high[line % IRQ_LINES];
	bool was = *high != 0;
	uint16_t bit = (uint16_t)(1u << (source % IRQ_LINE_SOURCES));

	if (level)
		*high |= bit;
	else
		*high &= (uint16_t)~bit;
	return was != (*high != 0);
}

bool irq_lines_level(const struct irq_lines *l, unsigned int line)
{
	return l->high[line % IRQ_LINES] != 0;
}
