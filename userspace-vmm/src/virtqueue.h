/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Split virtqueues (virtio 1.x, section 2.7): the device side. Descriptor
 * chains are checked against guest RAM and the queue size before use; the
 * used ring is published with release ordering. No indirect descriptors
 * and no event index (neither feature is offered). Pure: guest memory is a
 * struct guest_mem, so tests use a plain buffer.
 */
#ifndef KHV_VMM_VIRTQUEUE_H
#define KHV_VMM_VIRTQUEUE_H

#include "guest_mem.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/uio.h>

#define VIRTQ_DESC_F_NEXT 1
#define VIRTQ_DESC_F_WRITE 2
#define VIRTQ_DESC_F_INDIRECT 4
#define VIRTQ_AVAIL_F_NO_INTERRUPT 1
#define VIRTQ_USED_F_NO_NOTIFY 1

#define VIRTQ_MAX_SIZE 256

struct virtq_desc {
	uint64_t addr;
	uint32_t len;
	uint16_t flags;
	uint16_t next;
};
_Static_assert(sizeof(struct virtq_desc) == 16, "virtq_desc layout");

struct virtq_used_elem {
	uint32_t id;
	uint32_t len;
};
_Static_assert(sizeof(struct virtq_used_elem) == 8, "virtq_used_elem layout");

struct virtq {
	uint16_t size;		/* entries (a power of 2) */
	bool enabled;
	uint64_t desc_addr, avail_addr, used_addr;
	uint16_t last_avail;	/* next avail ring entry to take */
	uint16_t used_idx;	/* next used ring entry to fill */
	const struct guest_mem *mem;
};

struct virtq_buf {
	uint8_t *addr;		/* host address of the buffer */
	uint32_t len;
	bool writable;		/* device-writable */
};

/* One descriptor chain, as host buffers. */
struct virtq_chain {
	uint16_t head;
	unsigned int n;
	size_t readable;	/* total bytes of device-readable buffers */
	size_t writable;	/* total bytes of device-writable buffers */
	struct virtq_buf buf[VIRTQ_MAX_SIZE];
};

/* Reset to disabled, with `size` entries. */
void virtq_reset(struct virtq *q, const struct guest_mem *mem, uint16_t size);
/* Check the rings lie in RAM and enable the queue: 0 or -EINVAL. */
int virtq_enable(struct virtq *q);

/* Chains the driver has made available and the device has not taken. */
bool virtq_has_avail(const struct virtq *q);
/*
 * Take the next available chain: 1 (done), 0 (none), -EINVAL (the driver
 * broke the ring: bad index, out-of-RAM buffer, loop, indirect, or a
 * readable buffer after a writable one).
 */
int virtq_pop(struct virtq *q, struct virtq_chain *c);
/* Return chain `head` with `written` bytes written into it. */
int virtq_push(struct virtq *q, uint16_t head, uint32_t written);
/* After pushing: does the driver want an interrupt? */
bool virtq_interrupt_wanted(const struct virtq *q);

/*
 * The byte range [off, off+len) of the chain's readable (or writable)
 * stream as an iovec array; returns the number of entries (at most
 * `max`), the bytes covered in *covered.
 */
unsigned int virtq_chain_iov(const struct virtq_chain *c, bool writable,
			     size_t off, size_t len, struct iovec *iov,
			     unsigned int max, size_t *covered);
/* Copy out of the readable stream / into the writable stream; bytes done. */
size_t virtq_chain_read(const struct virtq_chain *c, size_t off, void *dst,
			size_t len);
size_t virtq_chain_write(const struct virtq_chain *c, size_t off,
			 const void *src, size_t len);

#endif
