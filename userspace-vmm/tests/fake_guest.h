/* SPDX-License-Identifier: GPL-2.0 */
/* A fake guest for virtqueue tests: RAM in a buffer, a driver-side ring. */
#ifndef KHV_VMM_FAKE_GUEST_H
#define KHV_VMM_FAKE_GUEST_H

#include "guest_mem.h"
#include "virtqueue.h"

#include <stdlib.h>
#include <string.h>

#define FG_RAM (1u << 20)
#define FG_DESC 0x1000
#define FG_AVAIL 0x2000
#define FG_USED 0x3000

struct fake_guest {
	struct guest_mem mem;
	uint16_t size;
	uint16_t next_desc;
	uint16_t avail_idx;
};

static inline void fg_init(struct fake_guest *g, uint16_t size)
{
	g->mem.host = calloc(1, FG_RAM);
	g->mem.size = FG_RAM;
	g->size = size;
	g->next_desc = 0;
	g->avail_idx = 0;
}

static inline void fg_free(struct fake_guest *g)
{
	free(g->mem.host);
}

/* Point q at the fake rings and enable it. */
static inline int fg_queue(struct fake_guest *g, struct virtq *q)
{
	virtq_reset(q, &g->mem, g->size);
	q->desc_addr = FG_DESC;
	q->avail_addr = FG_AVAIL;
	q->used_addr = FG_USED;
	return virtq_enable(q);
}

static inline struct virtq_desc *fg_desc(struct fake_guest *g, uint16_t i)
{
	return (struct virtq_desc *)(g->mem.host + FG_DESC) + i;
}

static inline uint16_t *fg_avail(struct fake_guest *g, unsigned int word)
{
	return (uint16_t *)(g->mem.host + FG_AVAIL) + word;
}

static inline uint16_t *fg_used16(struct fake_guest *g, unsigned int word)
{
	return (uint16_t *)(g->mem.host + FG_USED) + word;
}

static inline struct virtq_used_elem *fg_used(struct fake_guest *g, uint16_t i)
{
	return (struct virtq_used_elem *)(g->mem.host + FG_USED + 4) + i;
}

/* Add a chain of n buffers (gpa, len, writable) and make it available. */
struct fg_buf {
	uint64_t gpa;
	uint32_t len;
	int writable;
};

static inline uint16_t fg_add(struct fake_guest *g, const struct fg_buf *b,
			      unsigned int n)
{
	uint16_t head = g->next_desc;

	for (unsigned int i = 0; i < n; i++) {
		uint16_t d = (uint16_t)((head + i) % g->size);
		struct virtq_desc *desc = fg_desc(g, d);

		desc->addr = b[i].gpa;
		desc->len = b[i].len;
		desc->flags = (uint16_t)((b[i].writable ? VIRTQ_DESC_F_WRITE : 0) |
					 (i + 1 < n ? VIRTQ_DESC_F_NEXT : 0));
		desc->next = (uint16_t)((d + 1) % g->size);
	}
	g->next_desc = (uint16_t)((head + n) % g->size);
	*fg_avail(g, 2 + g->avail_idx % g->size) = head;
	g->avail_idx++;
	*fg_avail(g, 1) = g->avail_idx;
	return head;
}

#endif
