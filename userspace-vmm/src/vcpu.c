// SPDX-License-Identifier: GPL-2.0
/*
 * The vCPU threads: KVM_RUN, then port and MMIO exits to the bus. With
 * the in-kernel irqchip that is all (the kernel delivers interrupts and
 * handles HLT, INIT and SIPI), plus answering the timer thread's polls
 * for a guest that stopped every vCPU. Without it (one vCPU): wait in
 * HLT for the next interrupt, inject the PIC's interrupts with
 * KVM_INTERRUPT when kvm_run says the guest can take one, else ask for
 * an interrupt window. Other threads kick a vCPU out of KVM_RUN with
 * SIGUSR1 to its thread, whose handler sets that vCPU's immediate_exit
 * (so a kick that lands just before KVM_RUN is not lost).
 */
#include "util.h"
#include "vm.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <sys/ioctl.h>

/* This thread's vCPU, for the signal handler. */
static __thread struct kvm_run *volatile kick_run;

static void on_kick(int sig)
{
	struct kvm_run *run = kick_run;

	(void)sig;
	if (run)
		run->immediate_exit = 1;
}

int vcpu_install_kick_handler(void)
{
	struct sigaction sa = { .sa_handler = on_kick, .sa_flags = SA_RESTART };

	sigemptyset(&sa.sa_mask);
	if (sigaction(SIGUSR1, &sa, NULL) < 0)
		return vmm_err(-errno, "sigaction(SIGUSR1)");
	return 0;
}

/* Inject the PIC's interrupt if the guest can take it; else ask to be told. */
static int inject_interrupts(struct vcpu *v)
{
	struct vm *vm = v->vm;
	struct kvm_run *run = v->hv.run;
	int r = 0;

	if (i8259_has_interrupt(&vm->pic) && run->ready_for_interrupt_injection &&
	    run->if_flag) {
		vm->last_vector = i8259_ack(&vm->pic);
		vm->injected++;
		r = hv_interrupt(&v->hv, vm->last_vector);
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

static void handle_io(struct vcpu *v)
{
	struct vm *vm = v->vm;
	struct kvm_run *run = v->hv.run;
	/* Read the exit once; check it fits the shared page. */
	uint8_t dir = run->io.direction, size = run->io.size;
	uint16_t port = run->io.port;
	uint32_t count = run->io.count;
	uint64_t off = run->io.data_offset;
	uint8_t *data = (uint8_t *)run + off;

	if ((size != 1 && size != 2 && size != 4) ||
	    off + (uint64_t)size * count > v->hv.run_size) {
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

static void handle_mmio(struct vcpu *v)
{
	struct kvm_run *run = v->hv.run;
	uint64_t addr = run->mmio.phys_addr;
	uint32_t len = run->mmio.len;
	bool is_write = run->mmio.is_write;

	if (len == 0 || len > sizeof(run->mmio.data)) {
		vmm_msg("bad MMIO exit: address %#llx length %u",
			(unsigned long long)addr, len);
		vm_stop_locked(v->vm, VM_ERROR);
		return;
	}
	dispatch(v->vm, BUS_MMIO, addr, run->mmio.data, len, is_write);
}

/*
 * Without the in-kernel irqchip: HLT with interrupts disabled can never
 * end (the machine has no NMI source): that is how Linux halts or powers
 * off without ACPI. Otherwise sleep until the PIC has something.
 */
static void handle_hlt(struct vcpu *v)
{
	struct vm *vm = v->vm;

	if (!v->hv.run->if_flag) {
		vmm_debug("guest halted with interrupts disabled: powered off");
		vm_stop_locked(vm, VM_POWEROFF);
		return;
	}
	vm->halt_waits++;
	while (!i8259_has_interrupt(&vm->pic) && vm->stop == VM_RUNNING)
		pthread_cond_wait(&vm->halt_cond, &vm->lock);
}

static void report_internal_error(struct vcpu *v)
{
	struct kvm_run *run = v->hv.run;
	uint32_t n = run->internal.ndata;

	vmm_msg("vCPU %u: KVM_EXIT_INTERNAL_ERROR: suberror %u, %u data words",
		v->hv.id, run->internal.suberror, n);
	if (n > ARRAY_SIZE(run->internal.data))
		n = ARRAY_SIZE(run->internal.data);
	for (uint32_t i = 0; i < n; i++)
		fprintf(stderr, "  data[%u] = %#llx\n", i,
			(unsigned long long)run->internal.data[i]);
}

/* Handle one exit (lock held). */
static void handle_exit(struct vcpu *v)
{
	struct vm *vm = v->vm;
	struct kvm_run *run = v->hv.run;

	v->last_exit = run->exit_reason;
	v->nr_exits++;
	vm->exits[run->exit_reason % VM_EXIT_STATS]++;
	switch (run->exit_reason) {
	case KVM_EXIT_IO:
		handle_io(v);
		return;
	case KVM_EXIT_MMIO:
		handle_mmio(v);
		return;
	case KVM_EXIT_HLT:
		if (vm->kernel_irqchip)
			break;	/* the kernel handles HLT */
		handle_hlt(v);
		return;
	case KVM_EXIT_IRQ_WINDOW_OPEN:
	case KVM_EXIT_INTR:
		return;	/* the loop injects */
	case KVM_EXIT_SHUTDOWN:
		/* The hypervisor has already reset the vCPU: no registers. */
		vmm_msg("guest reset: triple fault on vCPU %u (KVM_EXIT_SHUTDOWN)",
			v->hv.id);
		vm_stop_locked(vm, VM_RESET);
		return;
	case KVM_EXIT_FAIL_ENTRY:
		vmm_msg("vCPU %u: KVM_EXIT_FAIL_ENTRY: hardware entry failure reason %#llx",
			v->hv.id,
			(unsigned long long)run->fail_entry.hardware_entry_failure_reason);
		hv_dump_regs(&v->hv);
		vm_stop_locked(vm, VM_ERROR);
		return;
	case KVM_EXIT_INTERNAL_ERROR:
		report_internal_error(v);
		hv_dump_regs(&v->hv);
		vm_stop_locked(vm, VM_ERROR);
		return;
	}
	vmm_msg("vCPU %u: unexpected exit reason %u", v->hv.id, run->exit_reason);
	hv_dump_regs(&v->hv);
	vm_stop_locked(vm, VM_ERROR);
}

void vm_poll_stopped_locked(struct vm *vm)
{
	vm->poll_gen++;
	vm->poll_stopped = 0;
	for (unsigned int i = 0; i < vm->nr_vcpus; i++)
		vcpu_kick_locked(&vm->vcpus[i]);
}

/*
 * Answer the current poll: the guest has powered off when, in one poll,
 * every vCPU halted with interrupts disabled or waits for an INIT
 * (Linux's halt without ACPI stops the other CPUs, then `cli; hlt`).
 * Halted with interrupts disabled is final: only an NMI, INIT or SMI
 * would end it, and the machine has no source for them once every CPU
 * is there.
 */
static void answer_poll(struct vcpu *v)
{
	struct vm *vm = v->vm;

	v->poll_gen = vm->poll_gen;
	if (hv_vcpu_stopped(&v->hv, &v->poll_answer)) {
		vm_stop_locked(vm, VM_ERROR);
		return;
	}
	if (v->poll_answer.stopped && ++vm->poll_stopped == vm->nr_vcpus) {
		vmm_debug("every vCPU halted with interrupts disabled: powered off");
		vm_stop_locked(vm, VM_POWEROFF);
	}
}

/* Before KVM_RUN (lock held): false to leave the loop. */
static bool before_run(struct vcpu *v)
{
	struct vm *vm = v->vm;

	if (vm->kernel_irqchip) {
		if (v->poll_gen != vm->poll_gen)
			answer_poll(v);
	} else if (inject_interrupts(v)) {
		vm_stop_locked(vm, VM_ERROR);
	}
	return vm->stop == VM_RUNNING;
}

void *vcpu_thread(void *arg)
{
	struct vcpu *v = arg;
	struct vm *vm = v->vm;
	struct kvm_run *run = v->hv.run;
	sigset_t set;
	int r, err;

	kick_run = run;
	sigemptyset(&set);
	sigaddset(&set, SIGUSR1);
	pthread_sigmask(SIG_UNBLOCK, &set, NULL);
	pthread_mutex_lock(&vm->lock);
	while (before_run(v)) {
		v->in_guest = true;
		pthread_mutex_unlock(&vm->lock);
		r = ioctl(v->hv.fd, KVM_RUN, 0);
		err = errno;
		pthread_mutex_lock(&vm->lock);
		v->in_guest = false;
		v->kick_sent = false;
		run->immediate_exit = 0;
		if (r < 0) {
			/* EAGAIN: an AP got INIT and now waits for SIPI */
			if (err == EINTR || err == EAGAIN)
				continue;
			vmm_err(-err, "vCPU %u: KVM_RUN", v->hv.id);
			vm_stop_locked(vm, VM_ERROR);
			break;
		}
		handle_exit(v);
	}
	pthread_mutex_unlock(&vm->lock);
	return NULL;
}
