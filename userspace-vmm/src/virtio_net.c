// SPDX-License-Identifier: GPL-2.0
/* virtio-net over tap. See virtio_net.h. */
#include "virtio_net.h"

#include "util.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/if.h>
#include <linux/if_tun.h>
#include <poll.h>
#include <stdio.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <unistd.h>

#define QUEUE_SIZE 256
#define CONFIG_BYTES 8	/* mac[6], le16 status */

static struct virtio_net *to_net(struct virtio_device *vdev)
{
	return (struct virtio_net *)((char *)vdev - offsetof(struct virtio_net, vdev));
}

static uint64_t net_features(struct virtio_device *vdev)
{
	(void)vdev;
	return VIRTIO_F_VERSION_1 | VIRTIO_NET_F_MAC | VIRTIO_NET_F_STATUS;
}

static void net_config_read(struct virtio_device *vdev, uint32_t off,
			    void *data, unsigned int len)
{
	struct virtio_net *net = to_net(vdev);
	uint8_t cfg[CONFIG_BYTES];

	memcpy(cfg, net->mac, 6);
	le_store(&cfg[6], VIRTIO_NET_S_LINK_UP, 2);
	memcpy(data, &cfg[off], len);
}

/* Send every available transmit chain to the tap, header stripped. */
static void net_transmit(struct virtio_net *net)
{
	struct virtio_device *vdev = &net->vdev;
	struct virtq *q = &vdev->vq[VIRTIO_NET_TXQ];
	static struct virtq_chain c;	/* big; the machine lock serialises */
	bool done = false;
	int r;

	while ((r = virtq_pop(q, &c)) > 0) {
		size_t len = c.readable > VIRTIO_NET_HDR_BYTES ?
			     c.readable - VIRTIO_NET_HDR_BYTES : 0;

		if (len > sizeof(net->tx_frame))
			len = sizeof(net->tx_frame);
		len = virtq_chain_read(&c, VIRTIO_NET_HDR_BYTES, net->tx_frame, len);
		/* A full or gone tap drops the frame, as a wire would. */
		if (len && write(net->tap_fd, net->tx_frame, len) < 0)
			vmm_debug("virtio-net: tap write: %s", strerror(errno));
		virtq_push(q, c.head, 0);
		done = true;
	}
	if (r < 0)
		virtio_device_broken(vdev, "malformed transmit chain");
	if (done)
		virtio_queue_signal(vdev, VIRTIO_NET_TXQ);
}

static void net_notify(struct virtio_device *vdev, unsigned int q)
{
	struct virtio_net *net = to_net(vdev);
	uint64_t one = 1;

	if (q == VIRTIO_NET_TXQ)
		net_transmit(net);
	else if (write(net->kick_fd, &one, sizeof(one)) < 0)
		vmm_debug("virtio-net: eventfd: %s", strerror(errno));
}

int virtio_net_deliver(struct virtio_net *net, const void *frame, size_t len)
{
	struct virtio_device *vdev = &net->vdev;
	struct virtq *q = &vdev->vq[VIRTIO_NET_RXQ];
	static struct virtq_chain c;	/* big; the machine lock serialises */
	uint8_t hdr[VIRTIO_NET_HDR_BYTES] = { 0 };
	int r;

	if (!virtio_device_ready(vdev))
		return 0;
	r = virtq_pop(q, &c);
	if (r <= 0) {
		if (r < 0)
			virtio_device_broken(vdev, "malformed receive chain");
		return r;
	}
	if (c.writable < sizeof(hdr) + len) {
		virtq_push(q, c.head, 0);	/* too small: give it back empty */
		virtio_queue_signal(vdev, VIRTIO_NET_RXQ);
		return 0;
	}
	le_store(&hdr[10], 1, 2);	/* num_buffers */
	virtq_chain_write(&c, 0, hdr, sizeof(hdr));
	virtq_chain_write(&c, sizeof(hdr), frame, len);
	virtq_push(q, c.head, (uint32_t)(sizeof(hdr) + len));
	virtio_queue_signal(vdev, VIRTIO_NET_RXQ);
	return 1;
}

static bool rx_ready(struct virtio_net *net)
{
	bool ready;

	pthread_mutex_lock(net->lock);
	ready = virtio_device_ready(&net->vdev) &&
		virtq_has_avail(&net->vdev.vq[VIRTIO_NET_RXQ]);
	pthread_mutex_unlock(net->lock);
	return ready;
}

static void rx_one(struct virtio_net *net)
{
	ssize_t n = read(net->tap_fd, net->frame, sizeof(net->frame));

	if (n <= 0)
		return;
	pthread_mutex_lock(net->lock);
	if (virtio_net_deliver(net, net->frame, (size_t)n) == 0)
		net->rx_dropped++;
	pthread_mutex_unlock(net->lock);
}

/* Read the tap only while the guest has posted receive buffers. */
static void *rx_thread(void *arg)
{
	struct virtio_net *net = arg;

	for (;;) {
		struct pollfd p[2] = {
			{ .fd = net->kick_fd, .events = POLLIN },
			{ .fd = net->tap_fd, .events = POLLIN },
		};
		uint64_t v;

		if (poll(p, rx_ready(net) ? 2 : 1, -1) < 0) {
			if (errno == EINTR)
				continue;
			vmm_err(-errno, "virtio-net: poll");
			return NULL;
		}
		if ((p[0].revents & POLLIN) && read(net->kick_fd, &v, sizeof(v)) < 0)
			continue;
		if (p[1].revents & POLLIN)
			rx_one(net);
		if (p[1].revents & (POLLERR | POLLHUP)) {
			vmm_msg("virtio-net: the tap device went away");
			return NULL;
		}
	}
}

const struct virtio_device_ops virtio_net_ops = {
	.name = "virtio-net",
	.device_id = VIRTIO_ID_NET,
	.pci_class = 0x020000,	/* network, ethernet */
	.num_queues = 2,
	.queue_max = QUEUE_SIZE,
	.config_size = CONFIG_BYTES,
	.features = net_features,
	.config_read = net_config_read,
	.queue_notify = net_notify,
};

int virtio_net_open(struct virtio_net *net, const char *ifname,
		    const struct guest_mem *mem)
{
	static const uint8_t mac[6] = { 0x02, 0x6b, 0x68, 0x76, 0x00, 0x01 };
	struct ifreq ifr = { .ifr_flags = IFF_TAP | IFF_NO_PI };
	int fd, err;

	if (strlen(ifname) >= IFNAMSIZ) {
		vmm_msg("--net %s: interface name too long", ifname);
		return -EINVAL;
	}
	fd = open("/dev/net/tun", O_RDWR | O_CLOEXEC);
	if (fd < 0)
		return vmm_err(-errno, "--net %s: /dev/net/tun", ifname);
	memcpy(ifr.ifr_name, ifname, strlen(ifname));
	if (ioctl(fd, TUNSETIFF, &ifr) < 0) {
		err = -errno;
		close(fd);
		return vmm_err(err, "--net %s: cannot attach to the tap device",
			       ifname);
	}
	memset(net, 0, sizeof(*net));
	virtio_device_init(&net->vdev, &virtio_net_ops, mem);
	net->tap_fd = fd;
	memcpy(net->mac, mac, sizeof(mac));
	net->kick_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (net->kick_fd < 0) {
		err = -errno;
		close(fd);
		return vmm_err(err, "--net %s: eventfd", ifname);
	}
	return 0;
}

int virtio_net_start(struct virtio_net *net, pthread_mutex_t *lock)
{
	int err;

	net->lock = lock;
	err = pthread_create(&net->rx_thread, NULL, rx_thread, net);
	if (err)
		return vmm_err(-err, "virtio-net: cannot start the receive thread");
	return 0;
}
