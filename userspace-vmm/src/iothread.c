// SPDX-License-Identifier: GPL-2.0
/* The I/O thread. See iothread.h. */
#include "iothread.h"

#include "util.h"

#include <errno.h>
#include <poll.h>
#include <stdint.h>
#include <sys/eventfd.h>
#include <unistd.h>

int iothread_init(struct iothread *t, pthread_mutex_t *lock)
{
	memset(t, 0, sizeof(*t));
	t->lock = lock;
	t->stop_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (t->stop_fd < 0)
		return vmm_err(-errno, "I/O thread: eventfd");
	return 0;
}

int iothread_add(struct iothread *t, int fd, void (*fn)(void *ctx), void *ctx)
{
	if (t->nr >= IOTHREAD_MAX_SOURCES || t->running)
		return -ENOSPC;
	t->src[t->nr++] = (struct io_source){ fd, fn, ctx };
	return 0;
}

/* Consume an eventfd's count: true if it had been signalled. */
static bool drain(int fd)
{
	uint64_t v;

	return read(fd, &v, sizeof(v)) == (ssize_t)sizeof(v);
}

static void *iothread_main(void *arg)
{
	struct iothread *t = arg;
	struct pollfd p[IOTHREAD_MAX_SOURCES + 1];
	bool ready[IOTHREAD_MAX_SOURCES];

	for (unsigned int i = 0; i < t->nr; i++)
		p[i] = (struct pollfd){ .fd = t->src[i].fd, .events = POLLIN };
	p[t->nr] = (struct pollfd){ .fd = t->stop_fd, .events = POLLIN };
	for (;;) {
		if (poll(p, t->nr + 1, -1) < 0) {
			if (errno == EINTR)
				continue;
			vmm_err(-errno, "I/O thread: poll");
			return NULL;
		}
		if (p[t->nr].revents)
			return NULL;
		/* Counts are read before the handlers run: a signal that comes
		 * while a handler works makes the next poll return. */
		for (unsigned int i = 0; i < t->nr; i++)
			ready[i] = (p[i].revents & POLLIN) && drain(p[i].fd);
		pthread_mutex_lock(t->lock);
		for (unsigned int i = 0; i < t->nr; i++) {
			if (ready[i]) {
				t->src[i].fn(t->src[i].ctx);
				t->handled++;
			}
		}
		pthread_mutex_unlock(t->lock);
	}
}

int iothread_start(struct iothread *t)
{
	int err = pthread_create(&t->thread, NULL, iothread_main, t);

	if (err)
		return vmm_err(-err, "cannot start the I/O thread");
	t->running = true;
	return 0;
}

void iothread_stop(struct iothread *t)
{
	uint64_t one = 1;

	if (!t->running)
		return;
	if (write(t->stop_fd, &one, sizeof(one)) != (ssize_t)sizeof(one))
		vmm_err(-errno, "I/O thread: cannot ask it to stop");
	else
		pthread_join(t->thread, NULL);
	t->running = false;
}
