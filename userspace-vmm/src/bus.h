/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The I/O bus: one interval map per address space (port I/O and MMIO),
 * every device registered with the same handler signature. Regions never
 * overlap: bus_register() refuses a range that touches a registered one.
 * Pure: no hypervisor, no threads (the caller holds the machine lock).
 */
#ifndef KHV_VMM_BUS_H
#define KHV_VMM_BUS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum bus_space { BUS_PIO, BUS_MMIO, BUS_NR_SPACES };

/*
 * A device's access handler. `offset` is relative to the region's base;
 * `data` holds `len` bytes, little-endian (filled by the handler on a read).
 * Returns 0, or a negative errno for a fatal device error.
 */
typedef int (*bus_handler_fn)(void *opaque, uint64_t offset, void *data,
			      unsigned int len, bool is_write);

struct bus_region {
	uint64_t base;
	uint64_t len;
	bus_handler_fn fn;
	void *opaque;
	const char *name;
};

struct bus_map {
	struct bus_region *regions;	/* sorted by base, disjoint */
	size_t nr, cap;
};

struct bus {
	struct bus_map space[BUS_NR_SPACES];
};

void bus_init(struct bus *bus);
void bus_destroy(struct bus *bus);

/* 0; -EINVAL (empty or wrapping range); -EEXIST (overlap); -ENOMEM. */
int bus_register(struct bus *bus, enum bus_space space, uint64_t base,
		 uint64_t len, bus_handler_fn fn, void *opaque,
		 const char *name);
/* Removes the region starting at `base`; -ENOENT if there is none. */
int bus_unregister(struct bus *bus, enum bus_space space, uint64_t base);

/* The region holding [addr, addr+len), or NULL. */
const struct bus_region *bus_find(const struct bus *bus, enum bus_space space,
				  uint64_t addr, unsigned int len);

/*
 * Dispatch one access. -ENOENT when no region holds it entirely (reads
 * then return all ones in `data`), else the handler's result.
 */
int bus_access(struct bus *bus, enum bus_space space, uint64_t addr,
	       void *data, unsigned int len, bool is_write);

#endif
