// SPDX-License-Identifier: GPL-2.0
/* The I/O thread on real eventfds: handlers run for the signalled fds
 * only, with the lock held, counts consumed; stop ends the thread. */
#include "iothread.h"
#include "tap.h"

#include <errno.h>
#include <stdint.h>
#include <sys/eventfd.h>
#include <time.h>
#include <unistd.h>

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;

struct counter {
	int fd;
	int calls;		/* [lock] */
	int lock_held;		/* [lock] calls that found the lock taken */
};

static void on_event(void *ctx)
{
	struct counter *c = ctx;

	/* The I/O thread holds it: trying it from here must fail. */
	if (pthread_mutex_trylock(&lock) == EBUSY)
		c->lock_held++;
	else
		pthread_mutex_unlock(&lock);
	c->calls++;
}

static void signal_fd(int fd, uint64_t n)
{
	if (write(fd, &n, sizeof(n)) != (ssize_t)sizeof(n))
		CHECK(!"eventfd write");
}

/* Wait up to two seconds for c->calls to reach n. */
static int wait_calls(struct counter *c, int n)
{
	for (int i = 0; i < 2000; i++) {
		int calls;

		pthread_mutex_lock(&lock);
		calls = c->calls;
		pthread_mutex_unlock(&lock);
		if (calls >= n)
			return calls;
		usleep(1000);
	}
	return -1;
}

static void serves_signalled_fds(void)
{
	struct iothread t;
	struct counter c[3] = { { 0 } };
	uint64_t v;

	CHECK_EQ(iothread_init(&t, &lock), 0);
	for (int i = 0; i < 3; i++) {
		c[i].fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
		CHECK_EQ(iothread_add(&t, c[i].fd, on_event, &c[i]), 0);
	}
	CHECK_EQ(iothread_start(&t), 0);
	CHECK_EQ(iothread_add(&t, c[0].fd, on_event, &c[0]), -ENOSPC);
	signal_fd(c[1].fd, 1);
	CHECK_EQ(wait_calls(&c[1], 1), 1);
	signal_fd(c[2].fd, 5);		/* several signals may make one call */
	CHECK(wait_calls(&c[2], 1) >= 1);
	usleep(20000);
	pthread_mutex_lock(&lock);
	CHECK_EQ(c[0].calls, 0);
	CHECK_EQ(c[1].calls, 1);
	CHECK_EQ(c[1].lock_held, 1);
	CHECK_EQ(c[2].lock_held, c[2].calls);
	CHECK_EQ(t.handled, (unsigned long)(c[1].calls + c[2].calls));
	pthread_mutex_unlock(&lock);
	/* The counts were consumed. */
	CHECK_EQ(read(c[1].fd, &v, sizeof(v)), -1);
	CHECK_EQ(read(c[2].fd, &v, sizeof(v)), -1);
	/* A signal after stop runs nothing. */
	iothread_stop(&t);
	iothread_stop(&t);
	signal_fd(c[0].fd, 1);
	usleep(20000);
	CHECK_EQ(c[0].calls, 0);
	for (int i = 0; i < 3; i++)
		close(c[i].fd);
}

static void many_sources(void)
{
	struct iothread t;
	struct counter c[IOTHREAD_MAX_SOURCES];
	int fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);

	CHECK_EQ(iothread_init(&t, &lock), 0);
	for (int i = 0; i < IOTHREAD_MAX_SOURCES; i++) {
		c[i] = (struct counter){ .fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK) };
		CHECK_EQ(iothread_add(&t, c[i].fd, on_event, &c[i]), 0);
	}
	CHECK_EQ(iothread_add(&t, fd, on_event, &c[0]), -ENOSPC);
	CHECK_EQ(iothread_start(&t), 0);
	signal_fd(c[IOTHREAD_MAX_SOURCES - 1].fd, 1);
	CHECK_EQ(wait_calls(&c[IOTHREAD_MAX_SOURCES - 1], 1), 1);
	iothread_stop(&t);
	for (int i = 0; i < IOTHREAD_MAX_SOURCES; i++)
		close(c[i].fd);
	close(fd);
}

int main(void)
{
	tap_begin();
	TEST(serves_signalled_fds);
	TEST(many_sources);
	return tap_done();
}
