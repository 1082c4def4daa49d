// SPDX-License-Identifier: GPL-2.0
/* Split virtqueues, device side. See virtqueue.h. */
#include "virtqueue.h"

#include <errno.h>
#include <string.h>

/* Ring layouts (virtio 1.x 2.7.6 and 2.7.8), little-endian like the host. */
#define AVAIL_FLAGS 0
#define AVAIL_IDX 2
#define AVAIL_RING 4
#define USED_FLAGS 0
#define USED_IDX 2
#define USED_RING 4

static size_t desc_bytes(uint16_t n) { return 16u * n; }
static size_t avail_bytes(uint16_t n) { return 6u + 2u * n; }
static size_t used_bytes(uint16_t n) { return 6u + 8u * n; }

void virtq_reset(struct virtq *q, const struct guest_mem *mem, uint16_t size)
{
	memset(q, 0, sizeof(*q));
	q->mem = mem;
	q->size = size;
}

int virtq_enable(struct virtq *q)
{
	if (!q->size || q->size > VIRTQ_MAX_SIZE || (q->size & (q->size - 1)))
		return -EINVAL;
	if ((q->desc_addr & 15) || (q->avail_addr & 1) || (q->used_addr & 3))
		return -EINVAL;
	if (!gmem_ptr(q->mem, q->desc_addr, desc_bytes(q->size)) ||
	    !gmem_ptr(q->mem, q->avail_addr, avail_bytes(q->size)) ||
	    !gmem_ptr(q->mem, q->used_addr, used_bytes(q->size)))
		return -EINVAL;
	q->enabled = true;
	return 0;
}

static uint16_t *avail_field(const struct virtq *q, size_t off)
{
	return (uint16_t *)(q->mem->host + q->avail_addr + off);
}

static uint16_t *used_field(const struct virtq *q, size_t off)
{
	return (uint16_t *)(q->mem->host + q->used_addr + off);
}

static uint16_t avail_idx(const struct virtq *q)
{
	/* Pairs with the driver's write barrier before it bumps idx. */
	return __atomic_load_n(avail_field(q, AVAIL_IDX), __ATOMIC_ACQUIRE);
}

bool virtq_has_avail(const struct virtq *q)
{
	return q->enabled && avail_idx(q) != q->last_avail;
}

static int add_buf(const struct virtq *q, struct virtq_chain *c,
		   const struct virtq_desc *d)
{
	bool writable = d->flags & VIRTQ_DESC_F_WRITE;
	uint8_t *p;

	if (d->flags & VIRTQ_DESC_F_INDIRECT)
		return -EINVAL;
	if (!writable && c->writable)
		return -EINVAL;	/* readable buffers come first */
	p = gmem_ptr(q->mem, d->addr, d->len);
	if (!p)
		return -EINVAL;
	c->buf[c->n++] = (struct virtq_buf){ p, d->len, writable };
	if (writable)
		c->writable += d->len;
	else
		c->readable += d->len;
	return 0;
}

int virtq_pop(struct virtq *q, struct virtq_chain *c)
{
	const struct virtq_desc *table;
	uint16_t idx, head, i;

	if (!q->enabled)
		return 0;
	idx = avail_idx(q);
	if (idx == q->last_avail)
		return 0;
	if ((uint16_t)(idx - q->last_avail) > q->size)
		return -EINVAL;
	head = *avail_field(q, AVAIL_RING + 2u * (q->last_avail % q->size));
	if (head >= q->size)
		return -EINVAL;
	q->last_avail++;
	table = (const struct virtq_desc *)(q->mem->host + q->desc_addr);
	memset(c, 0, offsetof(struct virtq_chain, buf));
	c->head = head;
	for (i = head;;) {
		struct virtq_desc d = table[i];

		if (c->n >= q->size || add_buf(q, c, &d))
			return -EINVAL;
		if (!(d.flags & VIRTQ_DESC_F_NEXT))
			return 1;
		if (d.next >= q->size)
			return -EINVAL;
		i = d.next;
	}
}

int virtq_push(struct virtq *q, uint16_t head, uint32_t written)
{
	struct virtq_used_elem *e;

	if (!q->enabled || head >= q->size)
		return -EINVAL;
	e = (struct virtq_used_elem *)(q->mem->host + q->used_addr + USED_RING) +
	    q->used_idx % q->size;
	e->id = head;
	e->len = written;
	q->used_idx++;
	/* The element is visible before the index that publishes it. */
	__atomic_store_n(used_field(q, USED_IDX), q->used_idx, __ATOMIC_RELEASE);
	return 0;
}

bool virtq_interrupt_wanted(const struct virtq *q)
{
	/* Our used idx store is ordered before reading the driver's flags. */
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	return !(__atomic_load_n(avail_field(q, AVAIL_FLAGS), __ATOMIC_RELAXED) &
		 VIRTQ_AVAIL_F_NO_INTERRUPT);
}

unsigned int virtq_chain_iov(const struct virtq_chain *c, bool writable,
			     size_t off, size_t len, struct iovec *iov,
			     unsigned int max, size_t *covered)
{
	unsigned int n = 0;
	size_t done = 0;

	for (unsigned int i = 0; i < c->n && done < len && n < max; i++) {
		const struct virtq_buf *b = &c->buf[i];
		size_t take;

		if (b->writable != writable)
			continue;
		if (off >= b->len) {
			off -= b->len;
			continue;
		}
		take = b->len - off;
		if (take > len - done)
			take = len - done;
		iov[n].iov_base = b->addr + off;
		iov[n].iov_len = take;
		n++;
		done += take;
		off = 0;
	}
	if (covered)
		*covered = done;
	return n;
}

static size_t chain_copy(const struct virtq_chain *c, bool writable,
			 size_t off, void *mem, size_t len)
{
	struct iovec iov[VIRTQ_MAX_SIZE];
	unsigned int n = virtq_chain_iov(c, writable, off, len, iov,
					 VIRTQ_MAX_SIZE, NULL);
	uint8_t *p = mem;
	size_t done = 0;

	for (unsigned int i = 0; i < n; i++) {
		if (writable)
			memcpy(iov[i].iov_base, p + done, iov[i].iov_len);
		else
			memcpy(p + done, iov[i].iov_base, iov[i].iov_len);
		done += iov[i].iov_len;
	}
	return done;
}

size_t virtq_chain_read(const struct virtq_chain *c, size_t off, void *dst,
			size_t len)
{
	return chain_copy(c, false, off, dst, len);
}

size_t virtq_chain_write(const struct virtq_chain *c, size_t off,
			 const void *src, size_t len)
{
	return chain_copy(c, true, off, (void *)src, len);
}
