/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The I/O thread: one thread that polls eventfds (the virtio queues'
 * ioeventfds, the irqfds' resample fds) and, for each that was signalled,
 * reads its count and runs its handler with the machine lock held. So
 * device work that a guest's notification starts runs here, not on the
 * vCPU thread that wrote the notify register (which the hypervisor
 * finished in the kernel). Sources are added before the thread starts.
 */
#ifndef KHV_VMM_IOTHREAD_H
#define KHV_VMM_IOTHREAD_H

#include <pthread.h>
#include <stdbool.h>

#define IOTHREAD_MAX_SOURCES 64

struct io_source {
	int fd;
	void (*fn)(void *ctx);
	void *ctx;
};

struct iothread {
	pthread_mutex_t *lock;
	struct io_source src[IOTHREAD_MAX_SOURCES];
	unsigned int nr;
	int stop_fd;		/* eventfd: leave the loop */
	pthread_t thread;
	bool running;
	unsigned long handled;	/* handler runs [lock] (statistics) */
};

/* 0, or a negative errno (reported). */
int iothread_init(struct iothread *t, pthread_mutex_t *lock);
/* Serve eventfd `fd` with fn(ctx): 0, or -ENOSPC. Before iothread_start. */
int iothread_add(struct iothread *t, int fd, void (*fn)(void *ctx), void *ctx);
int iothread_start(struct iothread *t);
/* End the thread and wait for it (the lock not held). Idempotent. */
void iothread_stop(struct iothread *t);

#endif
