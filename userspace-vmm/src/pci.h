/* SPDX-License-Identifier: GPL-2.0 */
/*
 * PCI bus 0 behind configuration mechanism 1 (0xcf8 address, 0xcfc-0xcff
 * data), a host bridge at 00:00.0, type-0 configuration headers with
 * per-bit write masks, BAR sizing and decoding (a BAR is on the I/O bus
 * only while its command register enable bit is set), and capability
 * lists. The byte port 0xcf9 is the PIIX reset control register. Pure
 * except for the bus it maps BARs on; the caller serialises access.
 */
#ifndef KHV_VMM_PCI_H
#define KHV_VMM_PCI_H

#include "bus.h"

#include <stdbool.h>
#include <stdint.h>

#define PCI_CFG_SIZE 256
#define PCI_NUM_BARS 6
#define PCI_MAX_SLOTS 32

#define PCI_VENDOR_ID 0x00
#define PCI_DEVICE_ID 0x02
#define PCI_COMMAND 0x04
#define PCI_STATUS 0x06
#define PCI_REVISION_ID 0x08
#define PCI_CLASS_PROG 0x09
#define PCI_HEADER_TYPE 0x0e
#define PCI_BAR0 0x10
#define PCI_SUBSYSTEM_VENDOR_ID 0x2c
#define PCI_SUBSYSTEM_ID 0x2e
#define PCI_ROM_ADDRESS 0x30
#define PCI_CAPABILITY_LIST 0x34
#define PCI_INTERRUPT_LINE 0x3c
#define PCI_INTERRUPT_PIN 0x3d

#define PCI_COMMAND_IO 0x1
#define PCI_COMMAND_MEMORY 0x2
#define PCI_COMMAND_MASTER 0x4
#define PCI_COMMAND_INTX_DISABLE 0x400
#define PCI_STATUS_CAP_LIST 0x10
#define PCI_STATUS_INTERRUPT 0x08

struct pci_bar {
	uint32_t size;		/* 0: unused; else a power of 2 */
	bool io;		/* I/O space (else 32-bit memory) */
	bool mapped;
	uint64_t mapped_addr;
	bus_handler_fn fn;
	void *opaque;
};

/* BAR `idx` starts (decoded) or stops being decoded at guest address addr. */
typedef void (*pci_bar_hook_fn)(void *ctx, unsigned int idx, uint64_t addr,
				bool decoded);

struct pci_device {
	uint8_t cfg[PCI_CFG_SIZE];
	uint8_t wmask[PCI_CFG_SIZE];	/* bits the driver may change */
	struct pci_bar bar[PCI_NUM_BARS];
	uint8_t cap_end;		/* where the next capability goes */
	uint8_t cap_last;		/* offset of the last capability, or 0 */
	struct bus *bus;		/* set when added to a host */
	const char *name;
	pci_bar_hook_fn bar_hook;	/* or NULL */
	void *bar_hook_ctx;
};

/* A type-0 header; class_code is base << 16 | sub << 8 | prog-if. */
void pci_device_init(struct pci_device *dev, const char *name, uint16_t vendor,
		     uint16_t device, uint8_t revision, uint32_t class_code,
		     uint16_t subsys_vendor, uint16_t subsys_id);
/* Declare BAR idx: -EINVAL unless size is a power of 2 (>= 16, I/O >= 4). */
int pci_device_add_bar(struct pci_device *dev, unsigned int idx, uint32_t size,
		       bool io, bus_handler_fn fn, void *opaque);
/* Firmware-style initial placement of a BAR (before the OS probes). */
void pci_device_set_bar_addr(struct pci_device *dev, unsigned int idx,
			     uint32_t addr);
/* Append a capability of `len` bytes: its config offset, or -ENOSPC. */
int pci_device_add_cap(struct pci_device *dev, uint8_t id, uint8_t len);
void pci_device_set_intx(struct pci_device *dev, uint8_t line, uint8_t pin);
/* Be told where the BARs are decoded (set before pci_host_add). */
void pci_device_set_bar_hook(struct pci_device *dev, pci_bar_hook_fn fn,
			     void *ctx);

uint32_t pci_config_read(struct pci_device *dev, unsigned int off,
			 unsigned int len);
void pci_config_write(struct pci_device *dev, unsigned int off,
		      unsigned int len, uint32_t val);
/* Put every BAR on (or off) the bus as the command register says. */
void pci_device_update_bars(struct pci_device *dev);

struct pci_host {
	struct pci_device bridge;
	struct pci_device *slot[PCI_MAX_SLOTS];
	uint32_t address;		/* 0xcf8 */
	struct bus *bus;
	void (*reset)(void *ctx);	/* 0xcf9 reset request */
	void *reset_ctx;
};

void pci_host_init(struct pci_host *host, struct bus *bus,
		   void (*reset)(void *ctx), void *reset_ctx);
/* Plug dev into the next free slot: the slot number, or -ENOSPC. */
int pci_host_add(struct pci_host *host, struct pci_device *dev);

/* Bus handler for ports 0xcf8-0xcff; opaque is the struct pci_host. */
int pci_host_io(void *opaque, uint64_t off, void *data, unsigned int len,
		bool is_write);

#endif
