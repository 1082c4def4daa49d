// SPDX-License-Identifier: GPL-2.0
/* The I/O bus: overlap rejection and dispatch. */
#include "bus.h"
#include "tap.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

struct rec {
	int calls;
	uint64_t off;
	unsigned int len;
	bool write;
	uint32_t value;
};

static int handler(void *opaque, uint64_t off, void *data, unsigned int len,
		   bool is_write)
{
	struct rec *r = opaque;

	r->calls++;
	r->off = off;
	r->len = len;
	r->write = is_write;
	if (is_write)
		memcpy(&r->value, data, len > 4 ? 4 : len);
	else
		memset(data, 0x5a, len);
	return 0;
}

static void overlaps_rejected(void)
{
	struct bus b;
	struct rec r = { 0 };

	bus_init(&b);
	CHECK_EQ(bus_register(&b, BUS_PIO, 0x100, 0x10, handler, &r, "a"), 0);
	CHECK_EQ(bus_register(&b, BUS_PIO, 0x100, 0x10, handler, &r, "same"), -EEXIST);
	CHECK_EQ(bus_register(&b, BUS_PIO, 0xf8, 0x10, handler, &r, "left"), -EEXIST);
	CHECK_EQ(bus_register(&b, BUS_PIO, 0x10f, 0x4, handler, &r, "right"), -EEXIST);
	CHECK_EQ(bus_register(&b, BUS_PIO, 0x104, 0x2, handler, &r, "inside"), -EEXIST);
	CHECK_EQ(bus_register(&b, BUS_PIO, 0x80, 0x100, handler, &r, "around"), -EEXIST);
	CHECK_EQ(bus_register(&b, BUS_PIO, 0xf0, 0x10, handler, &r, "adjacent-left"), 0);
	CHECK_EQ(bus_register(&b, BUS_PIO, 0x110, 0x10, handler, &r, "adjacent-right"), 0);
	/* The same range in the other space is a different address. */
	CHECK_EQ(bus_register(&b, BUS_MMIO, 0x100, 0x10, handler, &r, "mmio"), 0);
	bus_destroy(&b);
}

static void bad_ranges(void)
{
	struct bus b;
	struct rec r = { 0 };

	bus_init(&b);
	CHECK_EQ(bus_register(&b, BUS_PIO, 0x100, 0, handler, &r, "empty"), -EINVAL);
	CHECK_EQ(bus_register(&b, BUS_MMIO, ~0ULL - 4, 16, handler, &r, "wraps"), -EINVAL);
	CHECK_EQ(bus_register(&b, BUS_MMIO, 0x1000, 16, NULL, &r, "no fn"), -EINVAL);
	CHECK_EQ(bus_register(&b, BUS_NR_SPACES, 0x1000, 16, handler, &r, "space"), -EINVAL);
	CHECK_EQ(bus_register(&b, BUS_MMIO, ~0ULL - 15, 16, handler, &r, "top"), 0);
	bus_destroy(&b);
}

static void dispatch(void)
{
	struct bus b;
	struct rec r1 = { 0 }, r2 = { 0 };
	uint32_t v = 0xdeadbeef;
	uint8_t buf[4];

	bus_init(&b);
	bus_register(&b, BUS_PIO, 0x3f8, 8, handler, &r1, "uart");
	bus_register(&b, BUS_MMIO, 0xd0000000, 0x4000, handler, &r2, "bar");
	CHECK_EQ(bus_access(&b, BUS_PIO, 0x3fd, buf, 1, false), 0);
	CHECK_EQ(r1.calls, 1);
	CHECK_EQ(r1.off, 5);
	CHECK_EQ(buf[0], 0x5a);
	CHECK_EQ(bus_access(&b, BUS_MMIO, 0xd0003000, &v, 4, true), 0);
	CHECK_EQ(r2.calls, 1);
	CHECK_EQ(r2.off, 0x3000);
	CHECK_EQ(r2.len, 4);
	CHECK(r2.write);
	CHECK_EQ(r2.value, 0xdeadbeef);
	CHECK_EQ(r1.calls, 1);
	bus_destroy(&b);
}

static void unhandled(void)
{
	struct bus b;
	struct rec r = { 0 };
	uint8_t buf[4] = { 0 };

	bus_init(&b);
	bus_register(&b, BUS_PIO, 0x60, 1, handler, &r, "kbd");
	CHECK_EQ(bus_access(&b, BUS_PIO, 0x61, buf, 1, false), -ENOENT);
	CHECK_EQ(buf[0], 0xff);
	/* A word at the last port reaches past the region: not delivered. */
	CHECK_EQ(bus_access(&b, BUS_PIO, 0x60, buf, 2, false), -ENOENT);
	CHECK_EQ(buf[0], 0xff);
	CHECK_EQ(buf[1], 0xff);
	CHECK_EQ(r.calls, 0);
	CHECK_EQ(bus_access(&b, BUS_PIO, 0x61, buf, 1, true), -ENOENT);
	CHECK(bus_find(&b, BUS_PIO, 0x60, 1) != NULL);
	CHECK(bus_find(&b, BUS_MMIO, 0x60, 1) == NULL);
	bus_destroy(&b);
}

static void unregister(void)
{
	struct bus b;
	struct rec r = { 0 };
	uint8_t buf[1];

	bus_init(&b);
	bus_register(&b, BUS_MMIO, 0x1000, 0x1000, handler, &r, "a");
	CHECK_EQ(bus_unregister(&b, BUS_MMIO, 0x1800), -ENOENT);
	CHECK_EQ(bus_unregister(&b, BUS_MMIO, 0x1000), 0);
	CHECK_EQ(bus_access(&b, BUS_MMIO, 0x1000, buf, 1, false), -ENOENT);
	CHECK_EQ(bus_unregister(&b, BUS_MMIO, 0x1000), -ENOENT);
	CHECK_EQ(bus_register(&b, BUS_MMIO, 0x1800, 0x1000, handler, &r, "b"), 0);
	bus_destroy(&b);
}

/* Many regions registered in random order: every lookup finds its own. */
static void many_regions(void)
{
	enum { N = 200 };
	struct bus b;
	struct rec r[N];
	int order[N];
	uint8_t buf[1];

	memset(r, 0, sizeof(r));
	bus_init(&b);
	for (int i = 0; i < N; i++)
		order[i] = i;
	srand(1);
	for (int i = N - 1; i > 0; i--) {
		int j = rand() % (i + 1), t = order[i];

		order[i] = order[j];
		order[j] = t;
	}
	for (int i = 0; i < N; i++)
		CHECK_EQ(bus_register(&b, BUS_PIO, 0x1000 + order[i] * 0x10, 0x10,
				      handler, &r[order[i]], "r"), 0);
	for (int i = 0; i < N; i++) {
		CHECK_EQ(bus_access(&b, BUS_PIO, 0x1000 + i * 0x10 + 7, buf, 1, false), 0);
		CHECK_EQ(r[i].calls, 1);
		CHECK_EQ(r[i].off, 7);
	}
	CHECK_EQ(bus_register(&b, BUS_PIO, 0x1000 + 37 * 0x10 + 8, 0x10, handler,
			      &r[0], "clash"), -EEXIST);
	bus_destroy(&b);
}

int main(void)
{
	tap_begin();
	TEST(overlaps_rejected);
	TEST(bad_ranges);
	TEST(dispatch);
	TEST(unhandled);
	TEST(unregister);
	TEST(many_regions);
	return tap_done();
}
