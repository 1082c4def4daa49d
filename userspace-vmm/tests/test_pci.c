// SPDX-License-Identifier: GPL-2.0
/* PCI mechanism 1, config headers, BAR sizing and decoding; the modern
 * virtio-pci transport (capabilities, common config, ISR, notify). */
#include "pci.h"
#include "fake_guest.h"
#include "tap.h"
#include "virtio_pci.h"

#include <errno.h>

static int resets, irq_level, irq_raises, notified = -1, dev_resets;

static void on_reset(void *ctx)
{
	(void)ctx;
	resets++;
}

static void rec_irq(void *ctx, unsigned int line, unsigned int source, int lvl)
{
	(void)ctx;
	(void)line;
	(void)source;
	irq_level = lvl;
	irq_raises += lvl != 0;
}

/* A do-nothing virtio device with two queues and 4 config bytes. */
static uint64_t fake_features(struct virtio_device *v)
{
	(void)v;
	return VIRTIO_F_VERSION_1 | 1u << 5;
}

static void fake_config_read(struct virtio_device *v, uint32_t off, void *data,
			     unsigned int len)
{
	static const uint8_t cfg[4] = { 0x11, 0x22, 0x33, 0x44 };

	(void)v;
	memcpy(data, cfg + off, len);
}

static void fake_notify(struct virtio_device *v, unsigned int q)
{
	(void)v;
	notified = (int)q;
}

static void fake_reset(struct virtio_device *v)
{
	(void)v;
	dev_resets++;
}

static const struct virtio_device_ops fake_ops = {
	.name = "fake", .device_id = 2, .pci_class = 0x018000, .num_queues = 2,
	.queue_max = 64, .config_size = 4, .features = fake_features,
	.config_read = fake_config_read, .queue_notify = fake_notify,
	.reset = fake_reset,
};

/* Config access through 0xcf8/0xcfc as a guest does it. */
static uint32_t cfg_read(struct pci_host *h, unsigned int slot, unsigned int reg,
			 unsigned int len)
{
	uint32_t addr = 0x80000000u | slot << 11 | (reg & 0xfc), v = 0;

	pci_host_io(h, 0, &addr, 4, true);
	pci_host_io(h, 4 + (reg & 3), &v, len, false);
	return v;
}

static void cfg_write(struct pci_host *h, unsigned int slot, unsigned int reg,
		      unsigned int len, uint32_t v)
{
	uint32_t addr = 0x80000000u | slot << 11 | (reg & 0xfc);

	pci_host_io(h, 0, &addr, 4, true);
	pci_host_io(h, 4 + (reg & 3), &v, len, true);
}

static void conf1_and_host_bridge(void)
{
	struct bus b;
	struct pci_host h;
	uint32_t v = 0x80000000u, addr;

	bus_init(&b);
	pci_host_init(&h, &b, on_reset, NULL);
	/* Linux's probe: 0x80000000 reads back from 0xcf8. */
	pci_host_io(&h, 0, &v, 4, true);
	pci_host_io(&h, 0, &addr, 4, false);
	CHECK_EQ(addr, 0x80000000u);
	CHECK_EQ(cfg_read(&h, 0, 0, 2), 0x8086);
	CHECK_EQ(cfg_read(&h, 0, 2, 2), 0x1237);
	CHECK_EQ(cfg_read(&h, 0, 0, 4), 0x12378086);
	CHECK_EQ(cfg_read(&h, 0, 0x0a, 2), 0x0600);	/* host bridge class */
	CHECK_EQ(cfg_read(&h, 0, 0x0b, 1), 0x06);
	CHECK_EQ(cfg_read(&h, 5, 0, 4), 0xffffffffu);	/* empty slot */
	/* Function 1 and bus 1 are empty. */
	v = 0x80000100u;
	pci_host_io(&h, 0, &v, 4, true);
	pci_host_io(&h, 4, &addr, 4, false);
	CHECK_EQ(addr, 0xffffffffu);
	v = 0x80010000u;
	pci_host_io(&h, 0, &v, 4, true);
	pci_host_io(&h, 4, &addr, 4, false);
	CHECK_EQ(addr, 0xffffffffu);
	/* Vendor ID is read-only. */
	cfg_write(&h, 0, 0, 2, 0x1234);
	CHECK_EQ(cfg_read(&h, 0, 0, 2), 0x8086);
	/* 0xcf9: a reset request with bit 2. */
	v = 0x06;
	pci_host_io(&h, 1, &v, 1, true);
	CHECK_EQ(resets, 1);
	bus_destroy(&b);
}

static int bar_hits;

static int bar_fn(void *opaque, uint64_t off, void *data, unsigned int len,
		  bool is_write)
{
	(void)opaque; (void)off; (void)data; (void)len; (void)is_write;
	bar_hits++;
	return 0;
}

static void bar_sizing_and_decoding(void)
{
	struct bus b;
	struct pci_host h;
	struct pci_device d;
	uint32_t v;
	int slot;

	bus_init(&b);
	pci_host_init(&h, &b, NULL, NULL);
	pci_device_init(&d, "dev", 0x1af4, 0x1042, 1, 0x018000, 0x1af4, 0x42);
	CHECK_EQ(pci_device_add_bar(&d, 0, 0x3000, false, bar_fn, NULL), -EINVAL);
	CHECK_EQ(pci_device_add_bar(&d, 0, 0x4000, false, bar_fn, NULL), 0);
	CHECK_EQ(pci_device_add_bar(&d, 1, 0x20, true, bar_fn, NULL), 0);
	pci_device_set_bar_addr(&d, 0, 0xd0000000);
	pci_device_set_bar_addr(&d, 1, 0xc000);
	slot = pci_host_add(&h, &d);
	CHECK_EQ(slot, 1);
	/* Decoding off: nothing on the bus. */
	CHECK(!bus_find(&b, BUS_MMIO, 0xd0000000, 4));
	/* Sizing: all ones in, size mask out; type bits kept. */
	cfg_write(&h, 1, 0x10, 4, 0xffffffff);
	CHECK_EQ(cfg_read(&h, 1, 0x10, 4), 0xffffc000u);
	cfg_write(&h, 1, 0x14, 4, 0xffffffff);
	CHECK_EQ(cfg_read(&h, 1, 0x14, 4), 0xffffffe1u);
	cfg_write(&h, 1, 0x10, 4, 0xd0004000);
	cfg_write(&h, 1, 0x14, 4, 0xc020);
	CHECK_EQ(cfg_read(&h, 1, 0x10, 4), 0xd0004000u);
	CHECK_EQ(cfg_read(&h, 1, 0x18, 4), 0);		/* unused BAR */
	/* Memory decoding on: the BAR is on the MMIO bus. */
	cfg_write(&h, 1, 0x04, 2, PCI_COMMAND_MEMORY);
	CHECK(bus_find(&b, BUS_MMIO, 0xd0004000, 4) != NULL);
	CHECK(!bus_find(&b, BUS_PIO, 0xc020, 1));
	cfg_write(&h, 1, 0x04, 2, PCI_COMMAND_MEMORY | PCI_COMMAND_IO);
	CHECK(bus_find(&b, BUS_PIO, 0xc020, 1) != NULL);
	CHECK_EQ(bus_access(&b, BUS_MMIO, 0xd0007ffc, &v, 4, false), 0);
	CHECK_EQ(bar_hits, 1);
	/* Moving the BAR moves the region. */
	cfg_write(&h, 1, 0x10, 4, 0xe0000000);
	CHECK(!bus_find(&b, BUS_MMIO, 0xd0004000, 4));
	CHECK(bus_find(&b, BUS_MMIO, 0xe0000000, 4) != NULL);
	/* A clash with another region leaves it undecoded, not crashed. */
	bus_register(&b, BUS_MMIO, 0xf0000000, 0x1000, bar_fn, NULL, "other");
	cfg_write(&h, 1, 0x10, 4, 0xf0000000);
	CHECK(!d.bar[0].mapped);
	cfg_write(&h, 1, 0x04, 2, 0);
	CHECK(!bus_find(&b, BUS_PIO, 0xc020, 1));
	bus_destroy(&b);
}

/* What the BAR hook was told, in order. */
static struct hook_event {
	unsigned int idx;
	uint64_t addr;
	bool decoded;
} events[8];
static unsigned int nr_events;

static void bar_hook(void *ctx, unsigned int idx, uint64_t addr, bool decoded)
{
	CHECK(ctx == events);
	if (nr_events < 8)
		events[nr_events] = (struct hook_event){ idx, addr, decoded };
	nr_events++;
}

static void check_event(unsigned int n, unsigned int idx, uint64_t addr,
			bool decoded)
{
	CHECK(n < nr_events);
	CHECK_EQ(events[n].idx, idx);
	CHECK_EQ(events[n].addr, addr);
	CHECK_EQ(events[n].decoded, decoded);
}

static void bar_hook_follows_decoding(void)
{
	struct bus b;
	struct pci_host h;
	struct pci_device d;

	bus_init(&b);
	pci_host_init(&h, &b, NULL, NULL);
	pci_device_init(&d, "dev", 0x1af4, 0x1042, 1, 0x018000, 0x1af4, 0x42);
	pci_device_add_bar(&d, 0, 0x4000, false, bar_fn, NULL);
	pci_device_add_bar(&d, 1, 0x20, true, bar_fn, NULL);
	pci_device_set_bar_addr(&d, 0, 0xd0000000);
	pci_device_set_bar_addr(&d, 1, 0xc000);
	pci_device_set_bar_hook(&d, bar_hook, events);
	nr_events = 0;
	CHECK_EQ(pci_host_add(&h, &d), 1);
	CHECK_EQ(nr_events, 0);				/* decoding is off */
	cfg_write(&h, 1, 0x04, 2, PCI_COMMAND_MEMORY);
	CHECK_EQ(nr_events, 1);
	check_event(0, 0, 0xd0000000, true);
	/* Sizing with decoding off, then back: off and on again. */
	cfg_write(&h, 1, 0x04, 2, 0);
	cfg_write(&h, 1, 0x10, 4, 0xffffffff);
	cfg_write(&h, 1, 0x10, 4, 0xd0000000);
	CHECK_EQ(nr_events, 2);
	check_event(1, 0, 0xd0000000, false);
	cfg_write(&h, 1, 0x04, 2, PCI_COMMAND_MEMORY | PCI_COMMAND_IO);
	CHECK_EQ(nr_events, 4);
	check_event(2, 0, 0xd0000000, true);
	check_event(3, 1, 0xc000, true);
	/* A move is an undecode at the old address, a decode at the new. */
	cfg_write(&h, 1, 0x10, 4, 0xe0004000);
	CHECK_EQ(nr_events, 6);
	check_event(4, 0, 0xd0000000, false);
	check_event(5, 0, 0xe0004000, true);
	/* A clash: undecoded, and nothing decoded. */
	bus_register(&b, BUS_MMIO, 0xf0000000, 0x1000, bar_fn, NULL, "other");
	cfg_write(&h, 1, 0x10, 4, 0xf0000000);
	CHECK_EQ(nr_events, 7);
	check_event(6, 0, 0xe0004000, false);
	bus_destroy(&b);
}

struct vp_fixture {
	struct fake_guest g;
	struct bus b;
	struct pci_host h;
	struct virtio_device vdev;
	struct virtio_pci vp;
};

static void vp_setup(struct vp_fixture *f)
{
	struct irq_pin pin = { rec_irq, NULL, 10, 0 };

	fg_init(&f->g, 8);
	bus_init(&f->b);
	pci_host_init(&f->h, &f->b, NULL, NULL);
	virtio_device_init(&f->vdev, &fake_ops, &f->g.mem);
	virtio_pci_init(&f->vp, &f->vdev, &pin, 0xd0000000);
	pci_host_add(&f->h, &f->vp.pci);
	irq_level = 0;
	notified = -1;
	dev_resets = 0;
}

static void vp_teardown(struct vp_fixture *f)
{
	bus_destroy(&f->b);
	fg_free(&f->g);
}

static uint64_t rd(struct vp_fixture *f, uint32_t off, unsigned int len)
{
	uint64_t v = 0;

	bus_access(&f->b, BUS_MMIO, 0xd0000000 + off, &v, len, false);
	return v;
}

static void wr(struct vp_fixture *f, uint32_t off, unsigned int len, uint64_t v)
{
	bus_access(&f->b, BUS_MMIO, 0xd0000000 + off, &v, len, true);
}

static void virtio_pci_header_and_caps(void)
{
	struct vp_fixture f;
	unsigned int cap, seen = 0;

	vp_setup(&f);
	CHECK_EQ(cfg_read(&f.h, 1, 0, 4), 0x10421af4u);	/* 0x1040 + type 2 */
	CHECK_EQ(cfg_read(&f.h, 1, 0x08, 1), 1);		/* revision 1 */
	CHECK_EQ(cfg_read(&f.h, 1, 0x08, 4) >> 8, 0x018000);	/* class */
	CHECK_EQ(cfg_read(&f.h, 1, 0x2c, 2), 0x1af4);
	CHECK(cfg_read(&f.h, 1, 0x2e, 2) >= 0x40);
	CHECK(cfg_read(&f.h, 1, 0x06, 2) & PCI_STATUS_CAP_LIST);
	CHECK_EQ(cfg_read(&f.h, 1, 0x3c, 1), 10);		/* IRQ line */
	CHECK_EQ(cfg_read(&f.h, 1, 0x3d, 1), 1);		/* INTA# */
	for (cap = cfg_read(&f.h, 1, 0x34, 1); cap; cap = cfg_read(&f.h, 1, cap + 1, 1)) {
		unsigned int type = cfg_read(&f.h, 1, cap + 3, 1);

		CHECK_EQ(cfg_read(&f.h, 1, cap, 1), 0x09);	/* vendor-specific */
		CHECK_EQ(cfg_read(&f.h, 1, cap + 4, 1), 0);	/* BAR 0 */
		seen |= 1u << type;
		if (type == 1)
			CHECK_EQ(cfg_read(&f.h, 1, cap + 12, 4), 0x38);
		if (type == 2) {
			CHECK_EQ(cfg_read(&f.h, 1, cap + 2, 1), 20);
			CHECK_EQ(cfg_read(&f.h, 1, cap + 8, 4), VIRTIO_PCI_NOTIFY_OFF);
			CHECK_EQ(cfg_read(&f.h, 1, cap + 16, 4), VIRTIO_PCI_NOTIFY_MULT);
		}
		if (type == 4)
			CHECK_EQ(cfg_read(&f.h, 1, cap + 12, 4), 4);
	}
	CHECK_EQ(seen, 0x1e);	/* common, notify, ISR, device */
	CHECK(f.vp.pci.bar[0].mapped);
	vp_teardown(&f);
}

static void virtio_pci_negotiation(void)
{
	struct vp_fixture f;

	vp_setup(&f);
	wr(&f, VPCI_DFSELECT, 4, 0);
	CHECK_EQ(rd(&f, VPCI_DF, 4), 1u << 5);
	wr(&f, VPCI_DFSELECT, 4, 1);
	CHECK_EQ(rd(&f, VPCI_DF, 4), 1);		/* VERSION_1 */
	CHECK_EQ(rd(&f, VPCI_NUM_QUEUES, 2), 2);
	/* Without VERSION_1, FEATURES_OK does not stick. */
	wr(&f, VPCI_STATUS, 1, VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER);
	wr(&f, VPCI_GFSELECT, 4, 0);
	wr(&f, VPCI_GF, 4, 1u << 5);
	wr(&f, VPCI_STATUS, 1, 0x0b);
	CHECK_EQ(rd(&f, VPCI_STATUS, 1) & VIRTIO_STATUS_FEATURES_OK, 0);
	wr(&f, VPCI_GFSELECT, 4, 1);
	wr(&f, VPCI_GF, 4, 1);
	wr(&f, VPCI_STATUS, 1, 0x0b);
	CHECK_EQ(rd(&f, VPCI_STATUS, 1), 0x0b);
	CHECK_EQ(f.vdev.driver_features, VIRTIO_F_VERSION_1 | 1u << 5);
	/* Writing 0 resets the device. */
	wr(&f, VPCI_STATUS, 1, 0);
	CHECK_EQ(rd(&f, VPCI_STATUS, 1), 0);
	CHECK_EQ(f.vdev.driver_features, 0);
	CHECK_EQ(dev_resets, 1);
	/* Device config reads go to the device. */
	CHECK_EQ(rd(&f, VIRTIO_PCI_DEVICE_OFF, 4), 0x44332211);
	CHECK_EQ(rd(&f, VIRTIO_PCI_DEVICE_OFF + 2, 2), 0x4433);
	CHECK_EQ(rd(&f, VIRTIO_PCI_DEVICE_OFF + 4, 4), 0);	/* beyond */
	vp_teardown(&f);
}

static void virtio_pci_queues_notify_isr(void)
{
	struct vp_fixture f;

	vp_setup(&f);
	wr(&f, VPCI_Q_SELECT, 2, 1);
	CHECK_EQ(rd(&f, VPCI_Q_SIZE, 2), 64);
	wr(&f, VPCI_Q_SIZE, 2, 8);
	wr(&f, VPCI_Q_DESC, 4, FG_DESC);		/* two 32-bit halves */
	wr(&f, VPCI_Q_DESC + 4, 4, 0);
	wr(&f, VPCI_Q_DRIVER, 8, FG_AVAIL);
	wr(&f, VPCI_Q_DEVICE, 4, FG_USED);
	wr(&f, VPCI_Q_DEVICE + 4, 4, 0);
	CHECK_EQ(rd(&f, VPCI_Q_DESC, 4), FG_DESC);
	CHECK_EQ(rd(&f, VPCI_Q_DESC + 4, 4), 0);
	CHECK_EQ(rd(&f, VPCI_Q_NOFF, 2), 1);
	CHECK_EQ(rd(&f, VPCI_Q_MSIX, 2), 0xffff);	/* no MSI-X */
	wr(&f, VPCI_Q_ENABLE, 2, 1);
	CHECK_EQ(rd(&f, VPCI_Q_ENABLE, 2), 1);
	CHECK_EQ(f.vdev.vq[1].size, 8);
	/* Notify before DRIVER_OK: ignored. */
	wr(&f, VIRTIO_PCI_NOTIFY_OFF + 4, 2, 1);
	CHECK_EQ(notified, -1);
	f.vdev.status = 0x0f;
	wr(&f, VIRTIO_PCI_NOTIFY_OFF + 4, 2, 1);
	CHECK_EQ(notified, 1);
	notified = -1;
	wr(&f, VIRTIO_PCI_NOTIFY_OFF, 2, 0);		/* queue 0 not enabled */
	CHECK_EQ(notified, -1);
	/* A used-buffer interrupt: ISR bit 0, INTx high until ISR is read. */
	virtio_queue_signal(&f.vdev, 1);
	CHECK_EQ(irq_level, 1);
	CHECK_EQ(rd(&f, VIRTIO_PCI_ISR_OFF, 1), 1);
	CHECK_EQ(irq_level, 0);
	CHECK_EQ(rd(&f, VIRTIO_PCI_ISR_OFF, 1), 0);
	/* A broken ring: NEEDS_RESET and a config interrupt. */
	virtio_device_broken(&f.vdev, "test");
	CHECK(rd(&f, VPCI_STATUS, 1) & VIRTIO_STATUS_NEEDS_RESET);
	CHECK_EQ(rd(&f, VIRTIO_PCI_ISR_OFF, 1), 2);
	vp_teardown(&f);
}

/* The ioeventfd side: queue addresses, notify by index, resampling. */
static void virtio_pci_eventfd_helpers(void)
{
	struct vp_fixture f;

	vp_setup(&f);
	CHECK_EQ(virtio_pci_notify_addr(0xd0000000, 0), 0xd0003000);
	CHECK_EQ(virtio_pci_notify_addr(0xd0004000, 1), 0xd0007004);
	CHECK(fg_queue(&f.g, &f.vdev.vq[0]) == 0);
	virtio_pci_notify(&f.vp, 0);		/* not DRIVER_OK yet */
	CHECK_EQ(notified, -1);
	f.vdev.status = 0x0f;
	virtio_pci_notify(&f.vp, 0);
	CHECK_EQ(notified, 0);
	notified = -1;
	virtio_pci_notify(&f.vp, 1);		/* queue 1 not enabled */
	virtio_pci_notify(&f.vp, 2);		/* no queue 2 */
	CHECK_EQ(notified, -1);
	/* EOI with ISR unread: raised again; after the read: not. */
	irq_raises = 0;
	virtio_queue_signal(&f.vdev, 0);
	CHECK_EQ(irq_raises, 1);
	virtio_pci_resample(&f.vp);
	CHECK_EQ(irq_raises, 2);
	CHECK_EQ(irq_level, 1);
	CHECK_EQ(rd(&f, VIRTIO_PCI_ISR_OFF, 1), 1);
	CHECK_EQ(irq_level, 0);
	virtio_pci_resample(&f.vp);
	CHECK_EQ(irq_raises, 2);
	CHECK_EQ(irq_level, 0);
	vp_teardown(&f);
}

int main(void)
{
	tap_begin();
	TEST(conf1_and_host_bridge);
	TEST(bar_sizing_and_decoding);
	TEST(bar_hook_follows_decoding);
	TEST(virtio_pci_header_and_caps);
	TEST(virtio_pci_negotiation);
	TEST(virtio_pci_queues_notify_isr);
	TEST(virtio_pci_eventfd_helpers);
	return tap_done();
}
