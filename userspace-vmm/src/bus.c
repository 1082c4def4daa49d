// SPDX-License-Identifier: GPL-2.0
/* The I/O bus: sorted disjoint intervals, binary search. See bus.h. */
#include "bus.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

void bus_init(struct bus *bus)
{
	memset(bus, 0, sizeof(*bus));
}

void bus_destroy(struct bus *bus)
{
	for (int s = 0; s < BUS_NR_SPACES; s++)
		free(bus->space[s].regions);
	memset(bus, 0, sizeof(*bus));
}

/* Index of the first region whose end is above addr (may be nr). */
static size_t first_ending_above(const struct bus_map *m, uint64_t addr)
{
	size_t lo = 0, hi = m->nr;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		const struct bus_region *r = &m->regions[mid];

		if (r->base + r->len - 1 < addr)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

static int map_grow(struct bus_map *m)
{
	size_t cap = m->cap ? m->cap * 2 : 16;
	struct bus_region *n = realloc(m->regions, cap * sizeof(*n));

	if (!n)
		return -ENOMEM;
	m->regions = n;
	m->cap = cap;
	return 0;
}

int bus_register(struct bus *bus, enum bus_space space, uint64_t base,
		 uint64_t len, bus_handler_fn fn, void *opaque,
		 const char *name)
{
	struct bus_map *m;
	size_t i;

	if ((unsigned int)space >= BUS_NR_SPACES || !fn || len == 0 ||
	    base + len - 1 < base)
		return -EINVAL;
	m = &bus->space[space];
	i = first_ending_above(m, base);
	if (i < m->nr && m->regions[i].base <= base + len - 1)
		return -EEXIST;
	if (m->nr == m->cap && map_grow(m))
		return -ENOMEM;
	memmove(&m->regions[i + 1], &m->regions[i],
		(m->nr - i) * sizeof(m->regions[0]));
	m->regions[i] = (struct bus_region){ base, len, fn, opaque, name };
	m->nr++;
	return 0;
}

int bus_unregister(struct bus *bus, enum bus_space space, uint64_t base)
{
	struct bus_map *m;
	size_t i;

	if ((unsigned int)space >= BUS_NR_SPACES)
		return -EINVAL;
	m = &bus->space[space];
	i = first_ending_above(m, base);
	if (i >= m->nr || m->regions[i].base != base)
		return -ENOENT;
	memmove(&m->regions[i], &m->regions[i + 1],
		(m->nr - i - 1) * sizeof(m->regions[0]));
	m->nr--;
	return 0;
}

const struct bus_region *bus_find(const struct bus *bus, enum bus_space space,
				  uint64_t addr, unsigned int len)
{
	const struct bus_map *m;
	const struct bus_region *r;
	size_t i;

	if ((unsigned int)space >= BUS_NR_SPACES || len == 0 ||
	    addr + len - 1 < addr)
		return NULL;
	m = &bus->space[space];
	i = first_ending_above(m, addr);
	if (i >= m->nr)
		return NULL;
	r = &m->regions[i];
	if (addr < r->base || addr + len - 1 > r->base + r->len - 1)
		return NULL;
	return r;
}

int bus_access(struct bus *bus, enum bus_space space, uint64_t addr,
	       void *data, unsigned int len, bool is_write)
{
	const struct bus_region *r = bus_find(bus, space, addr, len);

	if (!r) {
		if (!is_write)
			memset(data, 0xff, len);
		return -ENOENT;
	}
	return r->fn(r->opaque, addr - r->base, data, len, is_write);
}
