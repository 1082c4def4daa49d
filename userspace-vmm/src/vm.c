// SPDX-License-Identifier: GPL-2.0
/* Machine assembly and helper threads. See vm.h. */
#include "vm.h"

#include "boot.h"
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

/* ------------------------------------------------------------ interrupts */

static void irq_line_set(void *ctx, unsigned int line, unsigned int source,
			 int level)
{
	struct vm *vm = ctx;
	uint16_t *src = &vm->line_sources[line & 15];

	if (level)
		*src |= (uint16_t)(1u << source);
	else
		*src &= (uint16_t)~(1u << source);
	i8259_set_irq(&vm->pic, line & 15, *src != 0);
	if (i8259_has_interrupt(&vm->pic))
		vm_kick_locked(vm);
}

/* A new pin on `line`; each pin sharing a line gets its own source bit. */
static struct irq_pin vm_pin(struct vm *vm, unsigned int line)
{
	unsigned int source = vm->pins_on_line[line & 15]++;

	return (struct irq_pin){ irq_line_set, vm, line & 15, source };
}

void vm_kick_locked(struct vm *vm)
{
	if (!vm->in_guest) {
		pthread_cond_broadcast(&vm->halt_cond);
		return;
	}
	if (!vm->kick_sent) {
		vm->kick_sent = true;
		pthread_kill(vm->vcpu_thread, SIGUSR1);
	}
}

void vm_stop_locked(struct vm *vm, enum vm_stop why)
{
	if (vm->stop != VM_RUNNING)
		return;
	vm->stop = why;
	pthread_cond_broadcast(&vm->pit_cond);
	pthread_cond_broadcast(&vm->uart_cond);
	vm->kick_sent = false;
	vm_kick_locked(vm);
}

static void guest_reset(void *ctx)
{
	struct vm *vm = ctx;

	vmm_msg("guest reset requested (reboot, or a panic with panic=N)");
	vm_stop_locked(vm, VM_RESET);
}

/* ---------------------------------------------------------- PIT thread */

static int pit_io(void *opaque, uint64_t off, void *data, unsigned int len,
		  bool is_write)
{
	struct vm *vm = opaque;
	int r = i8254_io(&vm->pit, off, data, len, is_write);

	if (is_write)
		pthread_cond_signal(&vm->pit_cond);	/* new deadline */
	return r;
}

static volatile sig_atomic_t dump_requested;

static void on_dump_signal(int sig)
{
	(void)sig;
	dump_requested = 1;
}

/* The PIT's next edge, or at most 200 ms away (to notice dump requests). */
static void *pit_thread(void *arg)
{
	struct vm *vm = arg;

	pthread_mutex_lock(&vm->lock);
	while (vm->stop == VM_RUNNING) {
		uint64_t now = vmm_now_ns(), next = i8254_poll(&vm->pit, now);
		struct timespec ts;

		if (!next || next > now + 200000000ULL)
			next = now + 200000000ULL;
		ts.tv_sec = (time_t)(next / 1000000000ULL);
		ts.tv_nsec = (long)(next % 1000000000ULL);
		pthread_cond_timedwait(&vm->pit_cond, &vm->lock, &ts);
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

void vm_dump_locked(struct vm *vm)
{
	struct kvm_run *run = vm->hv.run;
	const struct pit_channel *p0 = &vm->pit.ch[0];

	vmm_msg("state: %s, stop %d, last exit %u, %llu injections (last vector %#x), %llu halts",
		vm->in_guest ? "in KVM_RUN" : "in user space", vm->stop,
		vm->last_exit, (unsigned long long)vm->injected, vm->last_vector,
		(unsigned long long)vm->halt_waits);
	for (unsigned int i = 0; i < VM_EXIT_STATS; i++)
		if (vm->exits[i])
			fprintf(stderr, "  exit %u: %llu\n", i,
				(unsigned long long)vm->exits[i]);
	fprintf(stderr, "  kvm_run: if_flag %u ready %u request_window %u; PIC INT %d (irq %d)\n",
		run->if_flag, run->ready_for_interrupt_injection,
		run->request_interrupt_window, i8259_has_interrupt(&vm->pic),
		i8259_pending_irq(&vm->pic));
	dump_pic(&vm->pic.chip[0], "pic master");
	dump_pic(&vm->pic.chip[1], "pic slave ");
	fprintf(stderr, "  pit ch0: mode %u reload %u loaded %d running %d edges %llu; uart ier %02x thre %d irq4 sources %04x\n",
		p0->mode, p0->reload, p0->loaded, p0->running,
		(unsigned long long)p0->edges_seen, vm->uart.ier,
		vm->uart.thre_pending, vm->line_sources[4]);
	dump_busiest_ports(vm);
	if (!vm->in_guest)
		hv_dump_regs(&vm->hv);
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
		err = pthread_cond_init(&vm->pit_cond, &attr);
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
	struct bzimage bz;
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
	if (bzimage_parse(f->img, f->img_size, &f->bz, &why)) {
		vmm_msg("--kernel %s: %s", cfg->kernel, why);
		return -EINVAL;
	}
	if (cfg->initrd) {
		r = read_whole("--initrd", cfg->initrd, &f->initrd, &f->initrd_size);
		if (r)
			return r;
	}
	r = boot_plan(&f->bz, cfg->mem, f->initrd_size, strlen(cfg->cmdline),
		      &f->lay, &why);
	if (r)
		vmm_msg("cannot boot %s with --mem %lluM: %s", cfg->kernel,
			(unsigned long long)(cfg->mem >> 20), why);
	return r;
}

static int load_kernel(struct vm *vm, const struct vmm_config *cfg,
		       const struct boot_files *f)
{
	if (boot_load(&vm->mem, f->img, &f->bz, &f->lay, f->initrd, cfg->cmdline)) {
		vmm_msg("cannot place the kernel in guest memory");
		return -EINVAL;
	}
	vmm_debug("kernel at %#llx-%#llx, initrd at %#llx (%llu bytes), protocol %x",
		  (unsigned long long)f->lay.kernel_addr,
		  (unsigned long long)f->lay.kernel_end,
		  (unsigned long long)f->lay.initrd_addr,
		  (unsigned long long)f->lay.initrd_size, f->bz.version);
	return 0;
}

struct region {
	enum bus_space space;
	uint64_t base, len;
	bus_handler_fn fn;
	void *opaque;
	const char *name;
};

static int register_legacy(struct vm *vm)
{
	const struct region r[] = {
		{ BUS_PIO, 0x20, 2, i8259_master_io, &vm->pic, "pic-master" },
		{ BUS_PIO, 0xa0, 2, i8259_slave_io, &vm->pic, "pic-slave" },
		{ BUS_PIO, 0x4d0, 2, i8259_elcr_io, &vm->pic, "elcr" },
		{ BUS_PIO, 0x40, 4, pit_io, vm, "pit" },
		{ BUS_PIO, 0x60, 1, i8042_data_io, &vm->kbc, "i8042-data" },
		{ BUS_PIO, 0x64, 1, i8042_cmd_io, &vm->kbc, "i8042-cmd" },
		{ BUS_PIO, 0x61, 1, sysctl_port_b_io, &vm->sysctl, "port-b" },
		{ BUS_PIO, 0x92, 1, sysctl_port_a_io, &vm->sysctl, "port-a" },
		{ BUS_PIO, 0x80, 1, sysctl_post_io, &vm->sysctl, "post" },
		{ BUS_PIO, 0x70, 2, cmos_rtc_io, &vm->rtc, "cmos-rtc" },
		{ BUS_PIO, COM1_BASE, 8, serial8250_io, &vm->uart, "com1" },
		{ BUS_PIO, 0xcf8, 8, pci_host_io, &vm->pci, "pci-conf1" },
	};

	for (size_t i = 0; i < ARRAY_SIZE(r); i++) {
		int err = bus_register(&vm->bus, r[i].space, r[i].base, r[i].len,
				       r[i].fn, r[i].opaque, r[i].name);

		if (err)
			return vmm_err(err, "I/O bus: %s at %#llx", r[i].name,
				       (unsigned long long)r[i].base);
	}
	return 0;
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
	int slot;

	if (!vp)
		return -ENOMEM;
	pin = vm_pin(vm, line);
	/* PCI interrupts are level-triggered: set their ELCR bits. */
	vm->pic.chip[line / 8].elcr |= (uint8_t)(1u << (line % 8));
	virtio_pci_init(vp, vdev, &pin, VM_PCI_MMIO_BASE + n * VIRTIO_PCI_BAR_SIZE);
	vm->nr_virtio_pci++;
	slot = pci_host_add(&vm->pci, &vp->pci);
	if (slot < 0) {
		free(vp);
		vmm_msg("no free PCI slot for %s", vdev->ops->name);
		return slot;
	}
	vmm_debug("%s at 00:%02x.0, IRQ %u", vdev->ops->name, slot, line);
	*out = vp;
	return 0;
}

static int add_virtio_devices(struct vm *vm, const struct vmm_config *cfg)
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
		vm->blk[vm->nr_blk] = blk;
		r = add_virtio_pci(vm, &blk->vdev, &vm->blk_pci[vm->nr_blk]);
		if (r)
			return r;
		vm->nr_blk++;
	}
	if (!cfg->net)
		return 0;
	vm->net = calloc(1, sizeof(*vm->net));
	if (!vm->net)
		return -ENOMEM;
	r = virtio_net_open(vm->net, cfg->net, &vm->mem);
	if (r)
		return r;
	return add_virtio_pci(vm, &vm->net->vdev, &vm->net_pci);
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

int vm_create(struct vm *vm, const struct vmm_config *cfg)
{
	struct boot_files files;
	int r;

	memset(vm, 0, sizeof(*vm));
	vm->stop = VM_RUNNING;
	vm->hv.sys_fd = vm->hv.vm_fd = vm->hv.vcpu_fd = -1;
	bus_init(&vm->bus);
	r = boot_files_read(&files, cfg);
	if (!r)
		r = init_sync(vm);
	if (!r) {
		init_legacy(vm);
		r = register_legacy(vm);
	}
	if (!r)
		r = add_virtio_devices(vm, cfg);
	if (!r)
		r = hv_open(&vm->hv, cfg->device);
	if (!r)
		r = alloc_ram(vm, cfg->mem);
	if (!r)
		r = load_kernel(vm, cfg, &files);
	if (!r)
		r = hv_create_vcpu(&vm->hv);
	if (!r)
		r = hv_setup_long_mode(&vm->hv, files.lay.entry, BOOT_ZERO_PAGE);
	boot_files_free(&files);
	return r;
}

int vm_run(struct vm *vm)
{
	pthread_t pit;
	int err;

	vm->vcpu_thread = pthread_self();
	signal(SIGUSR2, on_dump_signal);
	err = pthread_create(&pit, NULL, pit_thread, vm);
	if (err)
		return vmm_err(-err, "cannot start the PIT thread"), VM_ERROR;
	if (term_start_input(vm) || (vm->net && virtio_net_start(vm->net, &vm->lock))) {
		pthread_mutex_lock(&vm->lock);
		vm_stop_locked(vm, VM_ERROR);
		pthread_mutex_unlock(&vm->lock);
	}
	err = vcpu_loop(vm);
	pthread_join(pit, NULL);
	return err;
}
