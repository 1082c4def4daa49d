/* SPDX-License-Identifier: GPL-2.0 */
/* What the command line asks for (cli.c fills it, vm.c builds it). */
#ifndef KHV_VMM_CONFIG_H
#define KHV_VMM_CONFIG_H

#include <stdbool.h>
#include <stdint.h>

#define VMM_MAX_DISKS 8
#define VMM_DEFAULT_MEM (512ULL << 20)
#define VMM_MIN_MEM (32ULL << 20)
#define VMM_MAX_MEM (3ULL << 30)
#define VMM_DEFAULT_CMDLINE "console=ttyS0"
#define VMM_MAX_CPUS 254	/* the MP table's 8-bit APIC IDs (mptable.h) */

struct vmm_disk {
	const char *path;
	bool read_only;
};

struct vmm_config {
	const char *kernel;
	const char *initrd;
	const char *cmdline;
	uint64_t mem;
	unsigned int cpus;
	struct vmm_disk disk[VMM_MAX_DISKS];
	unsigned int nr_disks;
	const char *net;
	const char *device;
	bool no_irqchip;	/* PIC and PIT in khv-vmm even if the kernel has them */
	bool no_eventfd;	/* no ioeventfds and irqfds even if available */
	bool verbose;
};

#endif
