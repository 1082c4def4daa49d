/* SPDX-License-Identifier: GPL-2.0 */
/*
 * virtio-net (virtio 1.x, 5.1) over a Linux tap device (IFF_TAP |
 * IFF_NO_PI): queue 0 receives, queue 1 transmits, no offloads, a fixed
 * locally administered MAC. Transmit runs when the driver notifies;
 * receive runs on its own thread, which polls the tap and an eventfd the
 * notify handler writes when the driver adds receive buffers. The thread
 * takes the machine lock around every device access. Transport-independent.
 */
#ifndef KHV_VMM_VIRTIO_NET_H
#define KHV_VMM_VIRTIO_NET_H

#include "virtio.h"

#include <pthread.h>
#include <stddef.h>
#include <stdint.h>

#define VIRTIO_NET_F_MAC (1ULL << 5)
#define VIRTIO_NET_F_STATUS (1ULL << 16)
#define VIRTIO_NET_S_LINK_UP 1
#define VIRTIO_NET_HDR_BYTES 12	/* struct virtio_net_hdr_v1 */
#define VIRTIO_NET_RXQ 0
#define VIRTIO_NET_TXQ 1
#define VIRTIO_NET_MAX_FRAME 65536

struct virtio_net {
	struct virtio_device vdev;
	int tap_fd;
	int kick_fd;			/* eventfd: receive buffers were added */
	uint8_t mac[6];
	pthread_mutex_t *lock;		/* the machine lock */
	pthread_t rx_thread;
	uint64_t rx_dropped;
	uint8_t frame[VIRTIO_NET_MAX_FRAME];	/* rx thread only */
	uint8_t tx_frame[VIRTIO_NET_MAX_FRAME];	/* under the lock */
};

/* Attach to tap interface `ifname`: 0 or a negative errno (reported). */
int virtio_net_open(struct virtio_net *net, const char *ifname,
		    const struct guest_mem *mem);
/* Start the receive thread. */
int virtio_net_start(struct virtio_net *net, pthread_mutex_t *lock);

/*
 * Put one received frame into the receive queue (lock held): 1 done,
 * 0 no buffer (dropped), <0 broken ring. Exposed for tests.
 */
int virtio_net_deliver(struct virtio_net *net, const void *frame, size_t len);

extern const struct virtio_device_ops virtio_net_ops;

#endif
