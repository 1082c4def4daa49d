// SPDX-License-Identifier: GPL-2.0
/* virtio-blk requests on a fake guest and a temporary image file. */
#include "fake_guest.h"
#include "tap.h"
#include "util.h"
#include "virtio_blk.h"

#include <stdio.h>
#include <unistd.h>

#define HDR 0x10000
#define DATA 0x20000
#define STATUS 0x30000

static int interrupts;

static void on_interrupt(struct virtio_device *v, uint8_t bits)
{
	(void)v;
	if (bits & VIRTIO_ISR_QUEUE)
		interrupts++;
}

struct fixture {
	struct fake_guest g;
	struct virtio_blk blk;
	int fd;
};

static void setup(struct fixture *f, bool read_only)
{
	char path[] = "/tmp/khv-vmm-test-blk-XXXXXX";
	uint8_t sector[512];

	f->fd = mkstemp(path);
	unlink(path);
	for (int s = 0; s < 16; s++) {
		memset(sector, 'a' + s, sizeof(sector));
		CHECK_EQ(write(f->fd, sector, sizeof(sector)), 512);
	}
	fg_init(&f->g, 8);
	virtio_blk_init_fd(&f->blk, f->fd, 16 * 512, read_only, &f->g.mem,
			   "khv-test-serial");
	f->blk.vdev.interrupt = on_interrupt;
	f->blk.vdev.status = 0x0f;
	fg_queue(&f->g, &f->blk.vdev.vq[0]);
	interrupts = 0;
}

static void teardown(struct fixture *f)
{
	close(f->fd);
	fg_free(&f->g);
}

/* One request: header, data (len bytes, device-writable for IN), status. */
static uint8_t request(struct fixture *f, uint32_t type, uint64_t sector,
		       uint32_t len, bool data_in)
{
	uint8_t *h = f->g.mem.host + HDR;
	struct fg_buf b[3] = {
		{ HDR, 16, 0 }, { DATA, len, data_in }, { STATUS, 1, 1 },
	};

	le_store(h, type, 4);
	le_store(h + 4, 0, 4);
	le_store(h + 8, sector, 8);
	f->g.mem.host[STATUS] = 0xee;
	if (len)
		fg_add(&f->g, b, 3);
	else
		fg_add(&f->g, (struct fg_buf[]){ b[0], b[2] }, 2);
	virtio_blk_ops.queue_notify(&f->blk.vdev, 0);
	return f->g.mem.host[STATUS];
}

static uint32_t last_used_len(struct fixture *f)
{
	uint16_t idx = *fg_used16(&f->g, 1);

	return fg_used(&f->g, (uint16_t)((idx - 1) % f->g.size))->len;
}

static void config_space(void)
{
	struct fixture f;
	uint64_t cap = 0;
	uint32_t blk_size = 0, seg_max = 0;

	setup(&f, false);
	virtio_blk_ops.config_read(&f.blk.vdev, 0, &cap, 8);
	virtio_blk_ops.config_read(&f.blk.vdev, 20, &blk_size, 4);
	virtio_blk_ops.config_read(&f.blk.vdev, 12, &seg_max, 4);
	CHECK_EQ(cap, 16);
	CHECK_EQ(blk_size, 512);
	CHECK(seg_max >= 1 && seg_max <= 126);
	CHECK(virtio_blk_ops.features(&f.blk.vdev) & VIRTIO_F_VERSION_1);
	CHECK(virtio_blk_ops.features(&f.blk.vdev) & VIRTIO_BLK_F_FLUSH);
	CHECK(!(virtio_blk_ops.features(&f.blk.vdev) & VIRTIO_BLK_F_RO));
	teardown(&f);
}

static void read_sectors(void)
{
	struct fixture f;
	uint8_t *d;

	setup(&f, false);
	d = f.g.mem.host + DATA;
	CHECK_EQ(request(&f, VIRTIO_BLK_T_IN, 2, 1024, true), VIRTIO_BLK_S_OK);
	CHECK_EQ(d[0], 'c');
	CHECK_EQ(d[511], 'c');
	CHECK_EQ(d[512], 'd');
	CHECK_EQ(last_used_len(&f), 1025);
	CHECK_EQ(interrupts, 1);
	/* Past the end of the disk: I/O error, nothing read. */
	CHECK_EQ(request(&f, VIRTIO_BLK_T_IN, 15, 1024, true), VIRTIO_BLK_S_IOERR);
	CHECK_EQ(last_used_len(&f), 1);
	teardown(&f);
}

static void write_and_flush(void)
{
	struct fixture f;
	uint8_t back[512];

	setup(&f, false);
	memset(f.g.mem.host + DATA, 'Z', 512);
	CHECK_EQ(request(&f, VIRTIO_BLK_T_OUT, 5, 512, false), VIRTIO_BLK_S_OK);
	CHECK_EQ(last_used_len(&f), 1);
	CHECK_EQ(pread(f.fd, back, 512, 5 * 512), 512);
	CHECK_EQ(back[0], 'Z');
	CHECK_EQ(back[511], 'Z');
	CHECK_EQ(request(&f, VIRTIO_BLK_T_FLUSH, 0, 0, false), VIRTIO_BLK_S_OK);
	teardown(&f);
}

static void read_only_disk(void)
{
	struct fixture f;

	setup(&f, true);
	CHECK(virtio_blk_ops.features(&f.blk.vdev) & VIRTIO_BLK_F_RO);
	CHECK_EQ(request(&f, VIRTIO_BLK_T_OUT, 0, 512, false), VIRTIO_BLK_S_IOERR);
	teardown(&f);
}

static void get_id_and_unsupported(void)
{
	struct fixture f;

	setup(&f, false);
	CHECK_EQ(request(&f, VIRTIO_BLK_T_GET_ID, 0, 20, true), VIRTIO_BLK_S_OK);
	CHECK(!memcmp(f.g.mem.host + DATA, "khv-test-serial", 16));
	CHECK_EQ(last_used_len(&f), 21);
	CHECK_EQ(request(&f, 11 /* DISCARD */, 0, 16, false), VIRTIO_BLK_S_UNSUPP);
	teardown(&f);
}

static void broken_chain(void)
{
	struct fixture f;
	struct fg_buf only_header = { HDR, 16, 0 };

	setup(&f, false);
	fg_add(&f.g, &only_header, 1);		/* no status byte */
	virtio_blk_ops.queue_notify(&f.blk.vdev, 0);
	CHECK(f.blk.vdev.status & VIRTIO_STATUS_NEEDS_RESET);
	teardown(&f);
}

int main(void)
{
	tap_begin();
	TEST(config_space);
	TEST(read_sectors);
	TEST(write_and_flush);
	TEST(read_only_disk);
	TEST(get_id_and_unsupported);
	TEST(broken_chain);
	return tap_done();
}
