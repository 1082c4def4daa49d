// SPDX-License-Identifier: GPL-2.0
/* virtio-blk device. See virtio_blk.h. */
#include "virtio_blk.h"

#include "util.h"

#include <errno.h>
#include <fcntl.h>
#include <stddef.h>
#include <stdio.h>
#include <sys/stat.h>
#include <unistd.h>

#define QUEUE_SIZE 128
#define REQ_HDR_BYTES 16	/* le32 type, le32 reserved, le64 sector */
#define CONFIG_BYTES 24		/* capacity .. blk_size */

static struct virtio_blk *to_blk(struct virtio_device *vdev)
{
	return (struct virtio_blk *)((char *)vdev - offsetof(struct virtio_blk, vdev));
}

static uint64_t blk_features(struct virtio_device *vdev)
{
	struct virtio_blk *blk = to_blk(vdev);

	return VIRTIO_F_VERSION_1 | VIRTIO_BLK_F_SEG_MAX |
	       VIRTIO_BLK_F_BLK_SIZE | VIRTIO_BLK_F_FLUSH |
	       (blk->read_only ? VIRTIO_BLK_F_RO : 0);
}

/* struct virtio_blk_config: capacity le64 @0, size_max le32 @8,
 * seg_max le32 @12, geometry @16 (unused, zero), blk_size le32 @20. */
static void blk_config_read(struct virtio_device *vdev, uint32_t off,
			    void *data, unsigned int len)
{
	struct virtio_blk *blk = to_blk(vdev);
	uint8_t cfg[CONFIG_BYTES] = { 0 };

	le_store(&cfg[0], blk->bytes / VIRTIO_BLK_SECTOR, 8);
	le_store(&cfg[12], QUEUE_SIZE - 2, 4);	/* header and status take two */
	le_store(&cfg[20], VIRTIO_BLK_SECTOR, 4);
	memcpy(data, &cfg[off], len);	/* the transport checked the range */
}

/* preadv/pwritev over a chain's byte range, looping on short transfers. */
static int blk_transfer(struct virtio_blk *blk, const struct virtq_chain *c,
			bool to_guest, size_t off, size_t len, uint64_t pos)
{
	struct iovec iov[VIRTQ_MAX_SIZE];

	while (len) {
		size_t covered;
		unsigned int n = virtq_chain_iov(c, to_guest, off, len, iov,
						 VIRTQ_MAX_SIZE, &covered);
		ssize_t r = to_guest ? preadv(blk->fd, iov, (int)n, (off_t)pos)
				     : pwritev(blk->fd, iov, (int)n, (off_t)pos);

		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			return -EIO;
		off += (size_t)r;
		len -= (size_t)r;
		pos += (uint64_t)r;
	}
	return 0;
}

static bool in_range(const struct virtio_blk *blk, uint64_t sector, size_t len)
{
	return sector <= blk->bytes / VIRTIO_BLK_SECTOR &&
	       len <= blk->bytes - sector * VIRTIO_BLK_SECTOR;
}

/* Serve one request; returns the status byte, *written the data bytes. */
static uint8_t blk_request(struct virtio_blk *blk, const struct virtq_chain *c,
			   uint32_t type, uint64_t sector, size_t *written)
{
	size_t in_len = c->writable - 1, out_len = c->readable - REQ_HDR_BYTES;

	*written = 0;
	switch (type) {
	case VIRTIO_BLK_T_IN:
		if (!in_range(blk, sector, in_len) ||
		    blk_transfer(blk, c, true, 0, in_len, sector * VIRTIO_BLK_SECTOR))
			return VIRTIO_BLK_S_IOERR;
		*written = in_len;
		return VIRTIO_BLK_S_OK;
	case VIRTIO_BLK_T_OUT:
		if (blk->read_only || !in_range(blk, sector, out_len) ||
		    blk_transfer(blk, c, false, REQ_HDR_BYTES, out_len,
				 sector * VIRTIO_BLK_SECTOR))
			return VIRTIO_BLK_S_IOERR;
		return VIRTIO_BLK_S_OK;
	case VIRTIO_BLK_T_FLUSH:
		return fdatasync(blk->fd) ? VIRTIO_BLK_S_IOERR : VIRTIO_BLK_S_OK;
	case VIRTIO_BLK_T_GET_ID:
		*written = virtq_chain_write(c, 0, blk->id,
					     in_len < sizeof(blk->id) ? in_len : sizeof(blk->id));
		return VIRTIO_BLK_S_OK;
	default:
		return VIRTIO_BLK_S_UNSUPP;
	}
}

static void blk_notify(struct virtio_device *vdev, unsigned int qi)
{
	struct virtio_blk *blk = to_blk(vdev);
	struct virtq *q = &vdev->vq[qi];
	static struct virtq_chain c;	/* big; the machine lock serialises */
	bool done = false;
	int r;

	while ((r = virtq_pop(q, &c)) > 0) {
		uint8_t hdr[REQ_HDR_BYTES], status;
		size_t written;

		if (c.readable < REQ_HDR_BYTES || c.writable < 1) {
			r = -EINVAL;
			break;
		}
		virtq_chain_read(&c, 0, hdr, sizeof(hdr));
		status = blk_request(blk, &c, (uint32_t)le_load(&hdr[0], 4),
				     le_load(&hdr[8], 8), &written);
		virtq_chain_write(&c, c.writable - 1, &status, 1);
		virtq_push(q, c.head, (uint32_t)(written + 1));
		done = true;
	}
	if (r < 0)
		virtio_device_broken(vdev, "malformed request chain");
	if (done)
		virtio_queue_signal(vdev, qi);
}

const struct virtio_device_ops virtio_blk_ops = {
	.name = "virtio-blk",
	.device_id = VIRTIO_ID_BLOCK,
	.pci_class = 0x018000,	/* mass storage, other */
	.num_queues = 1,
	.queue_max = QUEUE_SIZE,
	.config_size = CONFIG_BYTES,
	.features = blk_features,
	.config_read = blk_config_read,
	.queue_notify = blk_notify,
};

void virtio_blk_init_fd(struct virtio_blk *blk, int fd, uint64_t bytes,
			bool read_only, const struct guest_mem *mem,
			const char *id)
{
	memset(blk, 0, sizeof(*blk));
	virtio_device_init(&blk->vdev, &virtio_blk_ops, mem);
	blk->fd = fd;
	blk->bytes = bytes - bytes % VIRTIO_BLK_SECTOR;
	blk->read_only = read_only;
	/* Up to 20 bytes, NUL-padded, not terminated when all 20 are used. */
	memcpy(blk->id, id, strnlen(id, sizeof(blk->id)));
}

int virtio_blk_open(struct virtio_blk *blk, const char *path, bool read_only,
		    const struct guest_mem *mem, unsigned int index)
{
	char id[VIRTIO_BLK_ID_BYTES + 1];
	int fd = open(path, (read_only ? O_RDONLY : O_RDWR) | O_CLOEXEC);
	off_t end;

	if (fd < 0)
		return vmm_err(-errno, "--disk %s", path);
	end = lseek(fd, 0, SEEK_END);
	if (end < 0) {
		int err = -errno;

		close(fd);
		return vmm_err(err, "--disk %s: cannot find its size", path);
	}
	if (end < VIRTIO_BLK_SECTOR) {
		close(fd);
		vmm_msg("--disk %s: smaller than one 512-byte sector", path);
		return -EINVAL;
	}
	snprintf(id, sizeof(id), "khv-disk%u", index);
	virtio_blk_init_fd(blk, fd, (uint64_t)end, read_only, mem, id);
	return 0;
}
