/* SPDX-License-Identifier: GPL-2.0 */
/*
 * virtio-blk (virtio 1.x, 5.2) over a raw image file or block device:
 * read, write, flush and get-id, handled synchronously when the driver
 * notifies the queue. Transport-independent.
 */
#ifndef KHV_VMM_VIRTIO_BLK_H
#define KHV_VMM_VIRTIO_BLK_H

#include "virtio.h"

#include <stdbool.h>
#include <stdint.h>

#define VIRTIO_BLK_F_SEG_MAX (1ULL << 2)
#define VIRTIO_BLK_F_RO (1ULL << 5)
#define VIRTIO_BLK_F_BLK_SIZE (1ULL << 6)
#define VIRTIO_BLK_F_FLUSH (1ULL << 9)

#define VIRTIO_BLK_T_IN 0
#define VIRTIO_BLK_T_OUT 1
#define VIRTIO_BLK_T_FLUSH 4
#define VIRTIO_BLK_T_GET_ID 8
#define VIRTIO_BLK_S_OK 0
#define VIRTIO_BLK_S_IOERR 1
#define VIRTIO_BLK_S_UNSUPP 2
#define VIRTIO_BLK_ID_BYTES 20
#define VIRTIO_BLK_SECTOR 512

struct virtio_blk {
	struct virtio_device vdev;
	int fd;
	uint64_t bytes;		/* image size, whole sectors */
	bool read_only;
	char id[VIRTIO_BLK_ID_BYTES];
};

/* Opens `path` (read-only if asked): 0 or a negative errno (reported). */
int virtio_blk_open(struct virtio_blk *blk, const char *path, bool read_only,
		    const struct guest_mem *mem, unsigned int index);
/* Use an already open fd of `bytes` bytes (tests). */
void virtio_blk_init_fd(struct virtio_blk *blk, int fd, uint64_t bytes,
			bool read_only, const struct guest_mem *mem,
			const char *id);

extern const struct virtio_device_ops virtio_blk_ops;

#endif
