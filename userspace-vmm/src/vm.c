// SPDX-License-Identifier: GPL-2.0
/* Machine assembly and helper threads. See vm.h. */
#include "vm.h"

#include "boot.h"
#include "mptable.h"
#include "smp.h"
#include "term.h"
#include "util.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

/* ISA interrupt lines. */
#define IRQ_PIT 0
#define IRQ_KBD 1
#define IRQ_COM1 4
#define IRQ_AUX 12
static const uint8_t pci_irqs[] = { 10, 11, 5, 9 };

#define COM1_BASE 0x3f8
/* The MP table in the BIOS area (reserved in the e820 map). */
#define VM_MPTABLE_ADDR 0xf0000u
#define VM_MPTABLE_SIZE 0x10000u
/* How often, with the in-kernel irqchip, to ask whether every vCPU has
 * stopped for good (the guest's power-off). */
#define STOP_POLL_NS 250000000ULL
#define TIMER_TICK_NS 200000000ULL	/* at most this long between dumps */

/* ------------------------------------------------------------ interrupts */

/* A device pin moved: the line is the OR of its pins. */
static void irq_line_set(void *ctx, unsigned int line, unsigned int source,
			 int level)
{
	struct vm *vm = ctx;
	bool changed = irq_lines_set(&vm->lines, line, source, level);
	bool high = irq_lines_level(&vm->lines, line);

	if (vm->kernel_irqchip) {
		/* Only changes: KVM's IOAPIC takes a repeated 1 on an edge pin
		 * as a new edge. */
		if (changed) {
			vm->irq_lines_set++;
			if (hv_irq_line(&vm->hv, line, high))
				vm_stop_locked(vm, VM_ERROR);
		}
		return;
	}
	i8259_set_irq(&vm->pic, line, high);
	if (i8259_has_interrupt(&vm->pic))
		vcpu_kick_locked(&vm->vcpus[0]);
}

/* A new pin on `line`; each pin sharing a line gets its own source bit. */
static struct irq_pin vm_pin(struct vm *vm, unsigned int line)
{
	int source = irq_lines_add_source(&vm->lines, line);

	/* Cannot fail: at most three virtio devices share a PCI line. */
	if (source < 0)
		source = IRQ_LINE_SOURCES - 1;
	return (struct irq_pin){ irq_line_set, vm, line % IRQ_LINES,
				 (unsigned int)source };
}

void vcpu_kick_locked(struct vcpu *v)
{
	if (!v->in_guest) {
		pthread_cond_broadcast(&v->vm->halt_cond);
		return;
	}
	if (!v->kick_sent) {
		v->kick_sent = true;
		pthread_kill(v->thread, SIGUSR1);
	}
}

void vm_stop_locked(struct vm *vm, enum vm_stop why)
{
	if (vm->stop != VM_RUNNING)
		return;
	vm->stop = why;
	pthread_cond_broadcast(&vm->timer_cond);
	pthread_cond_broadcast(&vm->uart_cond);
	for (unsigned int i = 0; i < vm->nr_vcpus; i++) {
		vm->vcpus[i].kick_sent = false;
		vcpu_kick_locked(&vm->vcpus[i]);
	}
}

static void guest_reset(void *ctx)
{
	struct vm *vm = ctx;

	vmm_msg("guest reset requested (reboot, or a panic with panic=N)");
	vm_stop_locked(vm, VM_RESET);
}

/* -------------------------------------------------------- timer thread */

static int pit_io(void *opaque, uint64_t off, void *data, unsigned int len,
		  bool is_write)
{
	struct vm *vm = opaque;
	int r = i8254_io(&vm->pit, off, data, len, is_write);

	if (is_write)
		pthread_cond_signal(&vm->timer_cond);	/* new deadline */
	return r;
}

static volatile sig_atomic_t dump_requested;

static void on_dump_signal(int sig)
{
	(void)sig;
	dump_requested = 1;
}

/*
 * The user-space PIT's edges; with the in-kernel irqchip, the polls for
 * a guest that stopped every vCPU; state dumps. Wakes at the next of
 * these, at most TIMER_TICK_NS apart (to notice dump requests).
 */
static void *timer_thread(void *arg)
{
	struct vm *vm = arg;
	uint64_t next_poll = vmm_now_ns() + STOP_POLL_NS;

	pthread_mutex_lock(&vm->lock);
	while (vm->stop == VM_RUNNING) {
		uint64_t now = vmm_now_ns(), next = now + TIMER_TICK_NS, t;
		struct timespec ts;

		if (!vm->kernel_pit) {
			t = i8254_poll(&vm->pit, now);
			if (t && t < next)
				next = t;
		}
		if (vm->kernel_irqchip) {
			if (now >= next_poll) {
				vm_poll_stopped_locked(vm);
				next_poll = now + STOP_POLL_NS;
			}
			if (next_poll < next)
				next = next_poll;
		}
		ts.tv_sec = (time_t)(next / 1000000000ULL);
		ts.tv_nsec = (long)(next % 1000000000ULL);
		pthread_cond_timedwait(&vm->timer_cond, &vm->lock, &ts);
		if (dump_requested) {
			dump_requested = 0;
			vm_dump_locked(vm);
		}
	}
	pthread_mutex_unlock(&vm->lock);
	return NULL;
}

static void dump_pic(const struct pic_chip *c, const char *name)
{
	fprintf(stderr, "  %s: irr %02x isr %02x imr %02x elcr %02x input %02x base %02x icw %u\n",
		name, c->irr, c->isr, c->imr, c->elcr, c->input, c->vector_base,
		c->icw_step);
}

/* The eight ports with the most exits. */
static void dump_busiest_ports(const struct vm *vm)
{
	uint32_t top[8] = { 0 }, n[8] = { 0 };

	for (uint32_t p = 0; p < 65536; p++) {
		uint32_t c = vm->port_exits[p];
		int i = 8;

		while (i > 0 && c > n[i - 1])
			i--;
		if (i == 8)
			continue;
		memmove(&n[i + 1], &n[i], (7 - i) * sizeof(n[0]));
		memmove(&top[i + 1], &top[i], (7 - i) * sizeof(top[0]));
		n[i] = c;
		top[i] = p;
	}
	fprintf(stderr, "  busiest ports:");
	for (int i = 0; i < 8 && n[i]; i++)
		fprintf(stderr, " %#x:%u", top[i], n[i]);
	fprintf(stderr, "\n");
}

static void dump_vcpus(struct vm *vm)
{
	for (unsigned int i = 0; i < vm->nr_vcpus; i++) {
		struct vcpu *v = &vm->vcpus[i];

		fprintf(stderr, "  vCPU %u: %s, last exit %u, %llu exits, if_flag %u\n",
			i, v->in_guest ? "in KVM_RUN" : "in user space", v->last_exit,
			(unsigned long long)v->nr_exits, v->hv.run->if_flag);
		/* with the in-kernel irqchip: its last answer to the power-off poll */
		if (vm->kernel_irqchip)
			fprintf(stderr, "  vCPU %u: stop poll %u of %u: %s, mp_state %u rip %#llx rflags %#llx\n",
				i, v->poll_gen, vm->poll_gen,
				v->poll_answer.stopped ? "stopped" : "running",
				v->poll_answer.mp_state,
				(unsigned long long)v->poll_answer.rip,
				(unsigned long long)v->poll_answer.rflags);
		if (!v->in_guest)
			hv_dump_regs(&v->hv);
	}
}

static void dump_user_irqchip(struct vm *vm)
{
	struct kvm_run *run = vm->vcpus[0].hv.run;
	const struct pit_channel *p0 = &vm->pit.ch[0];

	fprintf(stderr, "  %llu injections (last vector %#x), %llu halts\n",
		(unsigned long long)vm->injected, vm->last_vector,
		(unsigned long long)vm->halt_waits);
	fprintf(stderr, "  kvm_run: if_flag %u ready %u request_window %u; PIC INT %d (irq %d)\n",
		run->if_flag, run->ready_for_interrupt_injection,
		run->request_interrupt_window, i8259_has_interrupt(&vm->pic),
		i8259_pending_irq(&vm->pic));
	dump_pic(&vm->pic.chip[0], "pic master");
	dump_pic(&vm->pic.chip[1], "pic slave ");
	fprintf(stderr, "  pit ch0: mode %u reload %u loaded %d running %d edges %llu\n",
		p0->mode, p0->reload, p0->loaded, p0->running,
		(unsigned long long)p0->edges_seen);
}

void vm_dump_locked(struct vm *vm)
{
	vmm_msg("state: %u vCPUs, %s irqchip, %s PIT, stop %d, %llu KVM_IRQ_LINE calls, %lu I/O thread handler runs",
		vm->nr_vcpus, vm->kernel_irqchip ? "in-kernel" : "user-space",
		vm->kernel_pit ? "in-kernel" : "user-space", vm->stop,
		(unsigned long long)vm->irq_lines_set, vm->io.handled);
	for (unsigned int i = 0; i < VM_EXIT_STATS; i++)
		if (vm->exits[i])
			fprintf(stderr, "  exit %u: %llu\n", i,
				(unsigned long long)vm->exits[i]);
	if (!vm->kernel_irqchip)
		dump_user_irqchip(vm);
	fprintf(stderr, "  uart ier %02x thre %d irq4 sources %04x\n", vm->uart.ier,
		vm->uart.thre_pending, vm->lines.high[4]);
	for (unsigned int i = 0; i < vm->nr_virtio_pci; i++)
		if (vm->virtio_fds[i])
			virtio_fds_dump(vm->virtio_fds[i]);
	dump_busiest_ports(vm);
	dump_vcpus(vm);
}

static void uart_rx_space(void *ctx)
{
	struct vm *vm = ctx;

	pthread_cond_signal(&vm->uart_cond);
}

/* -------------------------------------------------------------- set-up */

static int init_sync(struct vm *vm)
{
	pthread_condattr_t attr;
	int err;

	pthread_mutex_init(&vm->lock, NULL);
	pthread_condattr_init(&attr);
	err = pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
	if (!err)
		err = pthread_cond_init(&vm->timer_cond, &attr);
	pthread_condattr_destroy(&attr);
	if (err)
		return vmm_err(-err, "pthread_cond_init");
	pthread_cond_init(&vm->halt_cond, NULL);
	pthread_cond_init(&vm->uart_cond, NULL);
	return 0;
}

static int read_whole(const char *what, const char *path, uint8_t **buf,
		      size_t *size)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	struct stat st;
	size_t done = 0;
	int err = 0;

	if (fd < 0)
		return vmm_err(-errno, "%s %s", what, path);
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		close(fd);
		vmm_msg("%s %s: not a regular file", what, path);
		return -EINVAL;
	}
	*size = (size_t)st.st_size;
	*buf = malloc(*size ? *size : 1);
	if (!*buf) {
		close(fd);
		return vmm_err(-ENOMEM, "%s %s", what, path);
	}
	while (done < *size) {
		ssize_t n = read(fd, *buf + done, *size - done);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			err = n < 0 ? -errno : -EIO;
			break;
		}
		done += (size_t)n;
	}
	close(fd);
	if (err) {
		free(*buf);
		return vmm_err(err, "reading %s %s", what, path);
	}
	return 0;
}

/* The kernel and initrd, read and checked before the VM exists. */
struct boot_files {
	uint8_t *img, *initrd;
	size_t img_size, initrd_size;
	struct kimage k;
	struct boot_layout lay;
};

static void boot_files_free(struct boot_files *f)
{
	free(f->img);
	free(f->initrd);
	f->img = f->initrd = NULL;
}

static int boot_files_read(struct boot_files *f, const struct vmm_config *cfg)
{
	const char *why = NULL;
	int r;

	memset(f, 0, sizeof(*f));
	r = read_whole("--kernel", cfg->kernel, &f->img, &f->img_size);
	if (r)
		return r;
	if (kernel_parse(f->img, f->img_size, &f->k, &why)) {
		vmm_msg("--kernel %s: %s", cfg->kernel, why);
		return -EINVAL;
	}
	if (cfg->initrd) {
		r = read_whole("--initrd", cfg->initrd, &f->initrd, &f->initrd_size);
		if (r)
			return r;
	}
	r = boot_plan(&f->k, cfg->mem, f->initrd_size, strlen(cfg->cmdline),
		      &f->lay, &why);
	if (r)
		vmm_msg("cannot boot %s with --mem %lluM: %s", cfg->kernel,
			(unsigned long long)(cfg->mem >> 20), why);
	return r;
}

static int load_kernel(struct vm *vm, const struct vmm_config *cfg,
		       const struct boot_files *f)
{
	if (boot_load(&vm->mem, f->img, &f->k, &f->lay, f->initrd, cfg->cmdline)) {
		vmm_msg("cannot place the kernel in guest memory");
		return -EINVAL;
	}
	if (f->k.kind == KERNEL_ELF)
		vmm_debug("ELF kernel at %#llx-%#llx (%u segments), entry %#llx, "
			  "initrd at %#llx (%llu bytes)",
			  (unsigned long long)f->lay.kernel_addr,
			  (unsigned long long)f->lay.kernel_end, f->k.nsegs,
			  (unsigned long long)f->lay.entry,
			  (unsigned long long)f->lay.initrd_addr,
			  (unsigned long long)f->lay.initrd_size);
	else
		vmm_debug("kernel at %#llx-%#llx, initrd at %#llx (%llu bytes), protocol %x",
			  (unsigned long long)f->lay.kernel_addr,
			  (unsigned long long)f->lay.kernel_end,
			  (unsigned long long)f->lay.initrd_addr,
			  (unsigned long long)f->lay.initrd_size, f->k.version);
	return 0;
}

struct region {
	enum bus_space space;
	uint64_t base, len;
	bus_handler_fn fn;
	void *opaque;
	const char *name;
};

static int register_regions(struct vm *vm, const struct region *r, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		int err = bus_register(&vm->bus, r[i].space, r[i].base, r[i].len,
				       r[i].fn, r[i].opaque, r[i].name);

		if (err)
			return vmm_err(err, "I/O bus: %s at %#llx", r[i].name,
				       (unsigned long long)r[i].base);
	}
	return 0;
}

static int register_legacy(struct vm *vm)
{
	const struct region common[] = {
		{ BUS_PIO, 0x60, 1, i8042_data_io, &vm->kbc, "i8042-data" },
		{ BUS_PIO, 0x64, 1, i8042_cmd_io, &vm->kbc, "i8042-cmd" },
		{ BUS_PIO, 0x92, 1, sysctl_port_a_io, &vm->sysctl, "port-a" },
		{ BUS_PIO, 0x80, 1, sysctl_post_io, &vm->sysctl, "post" },
		{ BUS_PIO, 0x70, 2, cmos_rtc_io, &vm->rtc, "cmos-rtc" },
		{ BUS_PIO, COM1_BASE, 8, serial8250_io, &vm->uart, "com1" },
		{ BUS_PIO, 0xcf8, 8, pci_host_io, &vm->pci, "pci-conf1" },
	};
	/* What the hypervisor emulates when its irqchip and PIT are in use. */
	const struct region pic[] = {
		{ BUS_PIO, 0x20, 2, i8259_master_io, &vm->pic, "pic-master" },
		{ BUS_PIO, 0xa0, 2, i8259_slave_io, &vm->pic, "pic-slave" },
		{ BUS_PIO, 0x4d0, 2, i8259_elcr_io, &vm->pic, "elcr" },
	};
	const struct region pit[] = {
		{ BUS_PIO, 0x40, 4, pit_io, vm, "pit" },
		{ BUS_PIO, 0x61, 1, sysctl_port_b_io, &vm->sysctl, "port-b" },
	};
	int r = register_regions(vm, common, ARRAY_SIZE(common));

	if (!r && !vm->kernel_irqchip)
		r = register_regions(vm, pic, ARRAY_SIZE(pic));
	if (!r && !vm->kernel_pit)
		r = register_regions(vm, pit, ARRAY_SIZE(pit));
	return r;
}

static void init_legacy(struct vm *vm)
{
	struct irq_pin pit = vm_pin(vm, IRQ_PIT), com1 = vm_pin(vm, IRQ_COM1);
	struct irq_pin kbd = vm_pin(vm, IRQ_KBD), aux = vm_pin(vm, IRQ_AUX);

	i8259_init(&vm->pic);
	i8254_init(&vm->pit, &pit);
	serial8250_init(&vm->uart, &com1, term_output, uart_rx_space, vm);
	cmos_rtc_init(&vm->rtc);
	sysctl_ports_init(&vm->sysctl, &vm->pit, guest_reset, vm);
	i8042_init(&vm->kbc, &kbd, &aux, guest_reset, vm);
	pci_host_init(&vm->pci, &vm->bus, guest_reset, vm);
}

/* Plug a virtio device into the next PCI slot with INTx on a PCI IRQ. */
static int add_virtio_pci(struct vm *vm, struct virtio_device *vdev,
			  struct virtio_pci **out)
{
	unsigned int n = vm->nr_virtio_pci;
	struct virtio_pci *vp = calloc(1, sizeof(*vp));
	uint8_t line = pci_irqs[n % ARRAY_SIZE(pci_irqs)];
	struct irq_pin pin;
	int slot, r;

	if (!vp)
		return -ENOMEM;
	pin = vm_pin(vm, line);
	/* PCI interrupts are level-triggered: set their ELCR bits. */
	vm->pic.chip[line / 8].elcr |= (uint8_t)(1u << (line % 8));
	virtio_pci_init(vp, vdev, &pin, VM_PCI_MMIO_BASE + n * VIRTIO_PCI_BAR_SIZE);
	vm->nr_virtio_pci++;
	if (vm->use_ioeventfd || vm->use_irqfd) {
		r = virtio_fds_setup(vm, vp, &vm->virtio_fds[n]);
		if (r)
			return r;
	}
	slot = pci_host_add(&vm->pci, &vp->pci);
	if (slot < 0) {
		vmm_msg("no free PCI slot for %s", vdev->ops->name);
		return slot;
	}
	vmm_debug("%s at 00:%02x.0, IRQ %u", vdev->ops->name, slot, line);
	*out = vp;
	return 0;
}

/* The disks and the tap, opened before the hypervisor: errors come first. */
static int open_backends(struct vm *vm, const struct vmm_config *cfg)
{
	int r;

	for (unsigned int i = 0; i < cfg->nr_disks; i++) {
		struct virtio_blk *blk = calloc(1, sizeof(*blk));

		if (!blk)
			return -ENOMEM;
		r = virtio_blk_open(blk, cfg->disk[i].path, cfg->disk[i].read_only,
				    &vm->mem, i);
		if (r) {
			free(blk);
			return r;
		}
		vm->blk[vm->nr_blk++] = blk;
	}
	if (!cfg->net)
		return 0;
	vm->net = calloc(1, sizeof(*vm->net));
	if (!vm->net)
		return -ENOMEM;
	return virtio_net_open(vm->net, cfg->net, &vm->mem);
}

static int add_virtio_devices(struct vm *vm)
{
	int r;

	for (unsigned int i = 0; i < vm->nr_blk; i++) {
		r = add_virtio_pci(vm, &vm->blk[i]->vdev, &vm->blk_pci[i]);
		if (r)
			return r;
	}
	return vm->net ? add_virtio_pci(vm, &vm->net->vdev, &vm->net_pci) : 0;
}

static int alloc_ram(struct vm *vm, uint64_t size)
{
	void *p = mmap(NULL, size, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);

	if (p == MAP_FAILED)
		return vmm_err(-errno, "cannot map %llu MiB of guest RAM",
			       (unsigned long long)(size >> 20));
	vm->mem.host = p;
	vm->mem.size = size;
	return hv_set_ram(&vm->hv, p, size);
}

/*
 * What this hypervisor and the command line make of the machine: the
 * in-kernel irqchip (and PIT) when it has them, eventfds when it has
 * those too, and whether cfg->cpus vCPUs can run.
 */
static int choose_machine(struct vm *vm, const struct vmm_config *cfg)
{
	const struct hv_caps *c = &vm->hv.caps;
	struct smp_caps smp;
	char err[256];

	vm->kernel_irqchip = c->irqchip && !cfg->no_irqchip;
	vm->kernel_pit = vm->kernel_irqchip && c->pit2;
	vm->use_ioeventfd = c->ioeventfd && !cfg->no_eventfd;
	/* A resampled irqfd needs the in-kernel IOAPIC to see the EOI. */
	vm->use_irqfd = vm->kernel_irqchip && c->irqfd && c->irqfd_resample &&
			!cfg->no_eventfd;
	smp = (struct smp_caps){ .irqchip = vm->kernel_irqchip,
				 .max_vcpus = c->max_vcpus, .nr_vcpus = c->nr_vcpus,
				 .max_vcpu_id = c->max_vcpu_id };
	if (smp_check_cpus(cfg->cpus, &smp, cfg->device, err, sizeof(err))) {
		vmm_msg("%s", err);
		return -EINVAL;
	}
	if (c->nr_vcpus > 0 && cfg->cpus > c->nr_vcpus)
		vmm_debug("%u vCPUs on a hypervisor that recommends at most %ld",
			  cfg->cpus, c->nr_vcpus);
	vmm_debug("%s irqchip, %s PIT, virtio %s and %s",
		  vm->kernel_irqchip ? "in-kernel" : "user-space",
		  vm->kernel_pit ? "in-kernel" : "user-space",
		  vm->use_ioeventfd ? "ioeventfds" : "notify exits",
		  vm->use_irqfd ? "irqfds" : vm->kernel_irqchip ? "KVM_IRQ_LINE" :
		  "the user-space PIC");
	if (vm->kernel_irqchip)
		return hv_create_irqchip(&vm->hv, vm->kernel_pit);
	return 0;
}

/* The MP table: the vCPUs, and INTx of every PCI device as configured. */
static int write_mptable(struct vm *vm, const struct kvm_cpuid_entry2 *leaf1)
{
	struct mptable_pci_irq pci[PCI_MAX_SLOTS];
	struct mptable_config c = {
		.nr_cpus = vm->nr_vcpus,
		.cpu_signature = leaf1 ? leaf1->eax : 0,
		.cpu_features = leaf1 ? leaf1->edx : 0,
		.isa_irqs = 0xffff & ~(1u << 2),	/* IRQ 2: the PIC cascade */
		.has_pci = 1,
		.pci_irqs = pci,
	};
	uint8_t *buf = gmem_ptr(&vm->mem, VM_MPTABLE_ADDR, VM_MPTABLE_SIZE);
	int r;

	for (unsigned int s = 1; s < PCI_MAX_SLOTS; s++) {
		const struct pci_device *d = vm->pci.slot[s];

		if (!d || !d->cfg[PCI_INTERRUPT_PIN])
			continue;
		pci[c.nr_pci_irqs++] = (struct mptable_pci_irq){
			(uint8_t)s, d->cfg[PCI_INTERRUPT_PIN], d->cfg[PCI_INTERRUPT_LINE] };
		/* A line PCI uses is no ISA line. */
		c.isa_irqs &= (uint16_t)~(1u << (d->cfg[PCI_INTERRUPT_LINE] & 15));
	}
	r = buf ? mptable_build(buf, VM_MPTABLE_SIZE, VM_MPTABLE_ADDR, &c) : -EINVAL;
	if (r)
		return vmm_err(r, "cannot build the MP table");
	vmm_debug("MP table at %#x: %u CPUs, IOAPIC %u, %u PCI interrupts",
		  VM_MPTABLE_ADDR, c.nr_cpus, c.nr_cpus, c.nr_pci_irqs);
	return 0;
}

static const struct kvm_cpuid_entry2 *cpuid_leaf1(const struct kvm_cpuid2 *c)
{
	for (uint32_t i = 0; i < c->nent; i++)
		if (c->entries[i].function == 1)
			return &c->entries[i];
	return NULL;
}

/* Every vCPU with its CPUID; the BSP (vCPU 0) set up for the kernel. */
static int create_vcpus(struct vm *vm, const struct boot_files *f)
{
	struct kvm_cpuid2 *supported, *mine;
	size_t bytes;
	int r;

	r = hv_supported_cpuid(&vm->hv, &supported);
	if (r)
		return r;
	cpuid_filter(supported, vm->kernel_irqchip);
	bytes = sizeof(*supported) + supported->nent * sizeof(supported->entries[0]);
	mine = malloc(bytes);
	r = mine ? 0 : -ENOMEM;
	for (unsigned int i = 0; !r && i < vm->nr_vcpus; i++) {
		memcpy(mine, supported, bytes);
		cpuid_set_topology(mine, i);
		r = hv_create_vcpu(&vm->hv, &vm->vcpus[i].hv, i, mine);
	}
	if (!r && vm->kernel_irqchip)
		r = write_mptable(vm, cpuid_leaf1(supported));
	/* The APs wait for INIT and SIPI from the BSP, in the kernel. */
	if (!r)
		r = hv_setup_long_mode(&vm->vcpus[0].hv, f->lay.entry, BOOT_ZERO_PAGE,
				       vm->kernel_irqchip);
	free(mine);
	free(supported);
	return r;
}

int vm_create(struct vm *vm, const struct vmm_config *cfg)
{
	struct boot_files files;
	int r;

	memset(vm, 0, sizeof(*vm));
	vm->stop = VM_RUNNING;
	vm->hv.sys_fd = vm->hv.vm_fd = -1;
	bus_init(&vm->bus);
	vm->nr_vcpus = cfg->cpus;
	vm->vcpus = calloc(cfg->cpus, sizeof(*vm->vcpus));
	if (!vm->vcpus)
		return -ENOMEM;
	for (unsigned int i = 0; i < cfg->cpus; i++)
		vm->vcpus[i].vm = vm;
	r = boot_files_read(&files, cfg);
	if (!r)
		r = init_sync(vm);
	if (!r)
		r = open_backends(vm, cfg);
	if (!r)
		r = hv_open(&vm->hv, cfg->device);
	if (!r)
		r = choose_machine(vm, cfg);
	if (!r)
		r = iothread_init(&vm->io, &vm->lock);
	if (!r) {
		init_legacy(vm);
		r = register_legacy(vm);
	}
	if (!r)
		r = add_virtio_devices(vm);
	if (!r)
		r = alloc_ram(vm, cfg->mem);
	if (!r)
		r = load_kernel(vm, cfg, &files);
	if (!r)
		r = create_vcpus(vm, &files);
	boot_files_free(&files);
	return r;
}

/* Start the vCPU threads; false if one could not start (the VM stops). */
static bool start_vcpus(struct vm *vm)
{
	for (unsigned int i = 0; i < vm->nr_vcpus; i++) {
		struct vcpu *v = &vm->vcpus[i];
		int err = pthread_create(&v->thread, NULL, vcpu_thread, v);

		if (err) {
			vmm_err(-err, "cannot start vCPU %u's thread", i);
			return false;
		}
		v->started = true;
	}
	return true;
}

int vm_run(struct vm *vm)
{
	pthread_t timer;
	bool ok;
	int err;

	signal(SIGUSR2, on_dump_signal);
	if (vcpu_install_kick_handler())
		return VM_ERROR;
	err = pthread_create(&timer, NULL, timer_thread, vm);
	if (err)
		return vmm_err(-err, "cannot start the timer thread"), VM_ERROR;
	ok = !term_start_input(vm) && !(vm->net && virtio_net_start(vm->net, &vm->lock)) &&
	     !((vm->use_ioeventfd || vm->use_irqfd) && iothread_start(&vm->io));
	/* vCPU threads start with the lock held, so that a failure stops
	 * the machine before any of them runs the guest. */
	pthread_mutex_lock(&vm->lock);
	if (!ok || !start_vcpus(vm))
		vm_stop_locked(vm, VM_ERROR);
	pthread_mutex_unlock(&vm->lock);
	for (unsigned int i = 0; i < vm->nr_vcpus; i++)
		if (vm->vcpus[i].started)
			pthread_join(vm->vcpus[i].thread, NULL);
	iothread_stop(&vm->io);
	pthread_join(timer, NULL);
	pthread_mutex_lock(&vm->lock);
	err = vm->stop;
	/* With -v: how the virtio devices were notified and interrupted. */
	for (unsigned int i = 0; vmm_verbose && i < vm->nr_virtio_pci; i++)
		if (vm->virtio_fds[i])
			virtio_fds_dump(vm->virtio_fds[i]);
	pthread_mutex_unlock(&vm->lock);
	return err;
}
