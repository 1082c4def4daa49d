// SPDX-License-Identifier: GPL-2.0
/* Split virtqueues on a fake guest memory: chains, used ring, checks. */
#include "fake_guest.h"
#include "tap.h"

#include <errno.h>

static struct virtq_chain c;

static void single_buffer(void)
{
	struct fake_guest g;
	struct virtq q;
	struct fg_buf b = { 0x10000, 100, 0 };

	fg_init(&g, 8);
	CHECK_EQ(fg_queue(&g, &q), 0);
	CHECK(!virtq_has_avail(&q));
	CHECK_EQ(virtq_pop(&q, &c), 0);
	fg_add(&g, &b, 1);
	CHECK(virtq_has_avail(&q));
	CHECK_EQ(virtq_pop(&q, &c), 1);
	CHECK_EQ(c.head, 0);
	CHECK_EQ(c.n, 1);
	CHECK_EQ(c.readable, 100);
	CHECK_EQ(c.writable, 0);
	CHECK(c.buf[0].addr == g.mem.host + 0x10000);
	CHECK_EQ(virtq_pop(&q, &c), 0);
	fg_free(&g);
}

static void chain_and_used_ring(void)
{
	struct fake_guest g;
	struct virtq q;
	struct fg_buf b[3] = {
		{ 0x10000, 16, 0 }, { 0x20000, 512, 1 }, { 0x30000, 1, 1 },
	};
	uint16_t head;

	fg_init(&g, 8);
	fg_queue(&g, &q);
	head = fg_add(&g, b, 3);
	CHECK_EQ(virtq_pop(&q, &c), 1);
	CHECK_EQ(c.head, head);
	CHECK_EQ(c.n, 3);
	CHECK_EQ(c.readable, 16);
	CHECK_EQ(c.writable, 513);
	CHECK(c.buf[1].writable && c.buf[2].writable && !c.buf[0].writable);
	CHECK_EQ(virtq_push(&q, c.head, 513), 0);
	CHECK_EQ(*fg_used16(&g, 1), 1);		/* used idx */
	CHECK_EQ(fg_used(&g, 0)->id, head);
	CHECK_EQ(fg_used(&g, 0)->len, 513);
	CHECK_EQ(virtq_push(&q, 8, 0), -EINVAL);	/* head out of range */
	fg_free(&g);
}

static void interrupt_suppression(void)
{
	struct fake_guest g;
	struct virtq q;

	fg_init(&g, 8);
	fg_queue(&g, &q);
	CHECK(virtq_interrupt_wanted(&q));
	*fg_avail(&g, 0) = VIRTQ_AVAIL_F_NO_INTERRUPT;
	CHECK(!virtq_interrupt_wanted(&q));
	fg_free(&g);
}

static void malformed_chains(void)
{
	struct fake_guest g;
	struct virtq q;
	struct fg_buf two[2] = { { 0x10000, 16, 0 }, { 0x20000, 16, 1 } };
	struct fg_buf out_of_ram = { FG_RAM - 8, 16, 0 };

	fg_init(&g, 8);
	fg_queue(&g, &q);
	fg_add(&g, two, 2);
	fg_desc(&g, 0)->next = 9;			/* beyond the table */
	CHECK_EQ(virtq_pop(&q, &c), -EINVAL);

	fg_queue(&g, &q);
	g.avail_idx = 0;
	g.next_desc = 0;
	fg_add(&g, two, 2);
	fg_desc(&g, 1)->flags |= VIRTQ_DESC_F_NEXT;	/* 0 -> 1 -> 0 ... */
	fg_desc(&g, 1)->next = 0;
	CHECK_EQ(virtq_pop(&q, &c), -EINVAL);

	fg_queue(&g, &q);
	g.avail_idx = 0;
	g.next_desc = 0;
	fg_add(&g, &out_of_ram, 1);
	CHECK_EQ(virtq_pop(&q, &c), -EINVAL);

	fg_queue(&g, &q);
	g.avail_idx = 0;
	g.next_desc = 0;
	fg_add(&g, two, 1);
	fg_desc(&g, 0)->flags = VIRTQ_DESC_F_INDIRECT;	/* not negotiated */
	CHECK_EQ(virtq_pop(&q, &c), -EINVAL);

	fg_queue(&g, &q);
	g.avail_idx = 0;
	g.next_desc = 0;
	two[0].writable = 1;
	two[1].writable = 0;				/* readable after writable */
	fg_add(&g, two, 2);
	CHECK_EQ(virtq_pop(&q, &c), -EINVAL);

	fg_queue(&g, &q);
	*fg_avail(&g, 1) = 9;				/* more than the ring holds */
	CHECK_EQ(virtq_pop(&q, &c), -EINVAL);

	fg_queue(&g, &q);
	*fg_avail(&g, 1) = 1;
	*fg_avail(&g, 2) = 8;				/* head out of range */
	CHECK_EQ(virtq_pop(&q, &c), -EINVAL);
	fg_free(&g);
}

static void enable_checks(void)
{
	struct fake_guest g;
	struct virtq q;

	fg_init(&g, 8);
	fg_queue(&g, &q);
	CHECK(q.enabled);
	virtq_reset(&q, &g.mem, 6);			/* not a power of 2 */
	q.desc_addr = FG_DESC;
	q.avail_addr = FG_AVAIL;
	q.used_addr = FG_USED;
	CHECK_EQ(virtq_enable(&q), -EINVAL);
	virtq_reset(&q, &g.mem, 8);
	q.desc_addr = FG_RAM - 64;			/* table past the end */
	q.avail_addr = FG_AVAIL;
	q.used_addr = FG_USED;
	CHECK_EQ(virtq_enable(&q), -EINVAL);
	q.desc_addr = FG_DESC + 8;			/* misaligned */
	CHECK_EQ(virtq_enable(&q), -EINVAL);
	CHECK(!q.enabled);
	CHECK_EQ(virtq_pop(&q, &c), 0);		/* disabled: nothing */
	fg_free(&g);
}

static void index_wraparound(void)
{
	struct fake_guest g;
	struct virtq q;
	struct fg_buf b = { 0x10000, 8, 1 };

	fg_init(&g, 4);
	fg_queue(&g, &q);
	q.last_avail = 65534;
	q.used_idx = 65534;
	g.avail_idx = 65534;
	for (int i = 0; i < 4; i++) {
		fg_add(&g, &b, 1);
		CHECK_EQ(virtq_pop(&q, &c), 1);
		CHECK_EQ(virtq_push(&q, c.head, 8), 0);
	}
	CHECK_EQ(q.last_avail, 2);
	CHECK_EQ(*fg_used16(&g, 1), 2);
	CHECK_EQ(virtq_pop(&q, &c), 0);
	fg_free(&g);
}

static void stream_copies(void)
{
	struct fake_guest g;
	struct virtq q;
	struct fg_buf b[4] = {
		{ 0x10000, 3, 0 }, { 0x10100, 5, 0 }, { 0x20000, 4, 1 }, { 0x20100, 4, 1 },
	};
	struct iovec iov[4];
	size_t covered;
	char out[8];

	fg_init(&g, 8);
	fg_queue(&g, &q);
	memcpy(g.mem.host + 0x10000, "abc", 3);
	memcpy(g.mem.host + 0x10100, "defgh", 5);
	fg_add(&g, b, 4);
	CHECK_EQ(virtq_pop(&q, &c), 1);
	CHECK_EQ(virtq_chain_read(&c, 1, out, 6), 6);
	CHECK(!memcmp(out, "bcdefg", 6));
	CHECK_EQ(virtq_chain_read(&c, 6, out, 8), 2);	/* only 2 left */
	CHECK_EQ(virtq_chain_write(&c, 2, "WXYZ", 4), 4);
	CHECK(!memcmp(g.mem.host + 0x20002, "WX", 2));
	CHECK(!memcmp(g.mem.host + 0x20100, "YZ", 2));
	CHECK_EQ(virtq_chain_iov(&c, true, 3, 4, iov, 4, &covered), 2);
	CHECK_EQ(covered, 4);
	CHECK_EQ(iov[0].iov_len, 1);
	CHECK_EQ(iov[1].iov_len, 3);
	CHECK(iov[1].iov_base == g.mem.host + 0x20100);
	fg_free(&g);
}

int main(void)
{
	tap_begin();
	TEST(single_buffer);
	TEST(chain_and_used_ring);
	TEST(interrupt_suppression);
	TEST(malformed_chains);
	TEST(enable_checks);
	TEST(index_wraparound);
	TEST(stream_copies);
	return tap_done();
}
