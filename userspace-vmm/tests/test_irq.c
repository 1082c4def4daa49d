// SPDX-License-Identifier: GPL-2.0
/* Shared interrupt lines: the OR of their sources, changes reported once. */
#include "irq.h"
#include "tap.h"

#include <errno.h>
#include <string.h>

static void sources(void)
{
	struct irq_lines l;

	memset(&l, 0, sizeof(l));
	CHECK_EQ(irq_lines_add_source(&l, 10), 0);
	CHECK_EQ(irq_lines_add_source(&l, 10), 1);
	CHECK_EQ(irq_lines_add_source(&l, 4), 0);
	for (int i = 2; i < IRQ_LINE_SOURCES; i++)
		CHECK_EQ(irq_lines_add_source(&l, 10), i);
	CHECK_EQ(irq_lines_add_source(&l, 10), -ENOSPC);
	CHECK_EQ(irq_lines_add_source(&l, 16), -ENOSPC);
}

static void or_of_sources(void)
{
	struct irq_lines l;

	memset(&l, 0, sizeof(l));
	/* First source up: the line rises. */
	CHECK(irq_lines_set(&l, 10, 0, 1));
	CHECK(irq_lines_level(&l, 10));
	/* Again, or a second source: no change to report. */
	CHECK(!irq_lines_set(&l, 10, 0, 1));
	CHECK(!irq_lines_set(&l, 10, 1, 1));
	/* One source down: still high. */
	CHECK(!irq_lines_set(&l, 10, 0, 0));
	CHECK(irq_lines_level(&l, 10));
	/* The last one down: it falls. */
	CHECK(irq_lines_set(&l, 10, 1, 0));
	CHECK(!irq_lines_level(&l, 10));
	CHECK(!irq_lines_set(&l, 10, 1, 0));
	/* Lines are independent. */
	CHECK(irq_lines_set(&l, 4, 0, 1));
	CHECK(!irq_lines_level(&l, 10));
	/* An edge: low then high, two changes. */
	CHECK(irq_lines_set(&l, 4, 0, 0));
	CHECK(irq_lines_set(&l, 4, 0, 1));
}

int main(void)
{
	tap_begin();
	TEST(sources);
	TEST(or_of_sources);
	return tap_done();
}
