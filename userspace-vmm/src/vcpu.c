// SPDX-License-Identifier: GPL-2.0
/*
 * The vCPU loop: KVM_RUN, dispatch port and MMIO exits to the bus, wait in
 * HLT for the next interrupt, inject the PIC's interrupts with
 * KVM_INTERRUPT when kvm_run says the guest can take one, else ask for an
 * interrupt window. Other threads kick a running vCPU out of KVM_RUN with
 * SIGUSR1, whose handler sets immediate_exit (so a kick that lands just
 * before KVM_RUN is not lost).
 */
#include "util.h"
#include "vm.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <sys/ioctl.h>

static struct kvm_run *volatile kick_run;

static void on_kick(int sig)
{
	struct kvm_run *run = kick_run;

	(void)sig;
	if (run)
		run->immediate_exit = 1;
}

static int install_kick_handler(struct vm *vm)
{
	struct sigaction sa = { .sa_handler = on_kick, .sa_flags = SA_RESTART };
	sigset_t set;

	kick_run = vm->hv.run;
	sigemptyset(&sa.sa_mask);
	if (sigaction(SIGUSR1, &sa, NULL) < 0)
		return vmm_err(-errno, "sigaction(SIGUSR1)");
	sigemptyset(&set);
	sigaddset(&set, SIGUSR1);
	pthread_sigmask(SIG_UNBLOCK, &set, NULL);
	return 0;
}

/* Inject the PIC's interrupt if the guest can take it; else ask to be told. */
static int inject_interrupts(struct vm *vm)
{
	struct kvm_run *run = vm->hv.run;
	int r = 0;

	if (i8259_has_interrupt(&vm->pic) && run->ready_for_interrupt_injection &&
	    run->if_flag) {
		vm->last_vector = i8259_ack(&vm->pic);
		vm->injected++;
		r = hv_interrupt(&vm->hv, vm->last_vector);
		/* The guest takes it at the next entry; no second one now. */
		run->request_interrupt_window = 0;
		return r;
	}
	run->request_interrupt_window = i8259_has_interrupt(&vm->pic);
	return r;
}

static const char *space_name(enum bus_space s)
{
	return s == BUS_PIO ? "port" : "MMIO";
}

static void dispatch(struct vm *vm, enum bus_space space, uint64_t addr,
		   uint8_t *data, unsigned int len, bool is_write)
{
	int r = bus_access(&vm->bus, space, addr, data, len, is_write);

	if (r == -ENOENT) {
		vm->unhandled[space]++;
		vmm_debug("unhandled %s %s %#llx len %u", space_name(space),
			  is_write ? "write" : "read", (unsigned long long)addr, len);
	} else if (r < 0) {
		vmm_err(r, "%s %#llx", space_name(space), (unsigned long long)addr);
		vm_stop_locked(vm, VM_ERROR);
	}
}

static void handle_io(struct vm *vm)
{
	struct kvm_run *run = vm->hv.run;
	/* Read the exit once; check it fits the shared page. */
	uint8_t dir = run->io.direction, size = run->io.size;
	uint16_t port = run->io.port;
	uint32_t count = run->io.count;
	uint64_t off = run->io.data_offset;
	uint8_t *data = (uint8_t *)run + off;

	if ((size != 1 && size != 2 && size != 4) ||
	    off + (uint64_t)size * count > vm->hv.run_size) {
		vmm_msg("bad port I/O exit: port %#x size %u count %u offset %llu",
			port, size, count, (unsigned long long)off);
		vm_stop_locked(vm, VM_ERROR);
		return;
	}
	vm->port_exits[port]++;
	for (uint32_t i = 0; i < count; i++)
		dispatch(vm, BUS_PIO, port, data + i * size, size,
		       dir == KVM_EXIT_IO_OUT);
}

static void handle_mmio(struct vm *vm)
{
	struct kvm_run *run = vm->hv.run;
	uint64_t addr = run->mmio.phys_addr;
	uint32_t len = run->mmio.len;
	bool is_write = run->mmio.is_write;

	if (len == 0 || len > sizeof(run->mmio.data)) {
		vmm_msg("bad MMIO exit: address %#llx length %u",
			(unsigned long long)addr, len);
		vm_stop_locked(vm, VM_ERROR);
		return;
	}
	dispatch(vm, BUS_MMIO, addr, run->mmio.data, len, is_write);
}

/*
 * HLT with interrupts disabled can never end (the machine has no NMI
 * source): that is how Linux halts or powers off without ACPI. Otherwise
 * sleep until the PIC has something.
 */
static void handle_hlt(struct vm *vm)
{
	if (!vm->hv.run->if_flag) {
		vmm_debug("guest halted with interrupts disabled: powered off");
		vm_stop_locked(vm, VM_POWEROFF);
		return;
	}
	vm->halt_waits++;
	while (!i8259_has_interrupt(&vm->pic) && vm->stop == VM_RUNNING)
		pthread_cond_wait(&vm->halt_cond, &vm->lock);
}

static void report_internal_error(struct vm *vm)
{
	struct kvm_run *run = vm->hv.run;
	uint32_t n = run->internal.ndata;

	vmm_msg("KVM_EXIT_INTERNAL_ERROR: suberror %u, %u data words",
		run->internal.suberror, n);
	if (n > ARRAY_SIZE(run->internal.data))
		n = ARRAY_SIZE(run->internal.data);
	for (uint32_t i = 0; i < n; i++)
		fprintf(stderr, "  data[%u] = %#llx\n", i,
			(unsigned long long)run->internal.data[i]);
}

/* Handle one exit (lock held). */
static void handle_exit(struct vm *vm)
{
	struct kvm_run *run = vm->hv.run;

	vm->last_exit = run->exit_reason;
	vm->exits[run->exit_reason % VM_EXIT_STATS]++;
	switch (run->exit_reason) {
	case KVM_EXIT_IO:
		handle_io(vm);
		break;
	case KVM_EXIT_MMIO:
		handle_mmio(vm);
		break;
	case KVM_EXIT_HLT:
		handle_hlt(vm);
		break;
	case KVM_EXIT_IRQ_WINDOW_OPEN:
	case KVM_EXIT_INTR:
		break;	/* the loop injects */
	case KVM_EXIT_SHUTDOWN:
		/* The hypervisor has already reset the vCPU: no registers. */
		vmm_msg("guest reset: triple fault (KVM_EXIT_SHUTDOWN)");
		vm_stop_locked(vm, VM_RESET);
		break;
	case KVM_EXIT_FAIL_ENTRY:
		vmm_msg("KVM_EXIT_FAIL_ENTRY: hardware entry failure reason %#llx",
			(unsigned long long)run->fail_entry.hardware_entry_failure_reason);
		hv_dump_regs(&vm->hv);
		vm_stop_locked(vm, VM_ERROR);
		break;
	case KVM_EXIT_INTERNAL_ERROR:
		report_internal_error(vm);
		hv_dump_regs(&vm->hv);
		vm_stop_locked(vm, VM_ERROR);
		break;
	default:
		vmm_msg("unexpected exit reason %u", run->exit_reason);
		hv_dump_regs(&vm->hv);
		vm_stop_locked(vm, VM_ERROR);
		break;
	}
}

int vcpu_loop(struct vm *vm)
{
	struct kvm_run *run = vm->hv.run;
	int r, err;

	if (install_kick_handler(vm))
		return VM_ERROR;
	pthread_mutex_lock(&vm->lock);
	while (vm->stop == VM_RUNNING) {
		if (inject_interrupts(vm)) {
			vm_stop_locked(vm, VM_ERROR);
			break;
		}
		vm->in_guest = true;
		pthread_mutex_unlock(&vm->lock);
		r = ioctl(vm->hv.vcpu_fd, KVM_RUN, 0);
		err = errno;
		pthread_mutex_lock(&vm->lock);
		vm->in_guest = false;
		vm->kick_sent = false;
		run->immediate_exit = 0;
		if (r < 0) {
			if (err == EINTR || err == EAGAIN)
				continue;
			vmm_err(-err, "KVM_RUN");
			vm_stop_locked(vm, VM_ERROR);
			break;
		}
		handle_exit(vm);
	}
	r = vm->stop;
	pthread_mutex_unlock(&vm->lock);
	return r;
}
