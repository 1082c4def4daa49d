# SPDX-License-Identifier: GPL-2.0
#
# khv: build, test and demo. See README.md.
#
#   make deps    install what is missing (apt), quietly when nothing is
#   make all     khv.ko for KDIR, the selftests, the host unit tests
#   make check   deps + build + every test; ends "N passed, N failed, N skipped"
#   make demo    show khv at work (natively if this host can, else in the test machine)
#   make clean
#
# KDIR: the kernel build tree khv.ko is built against. Default: the running
# kernel's, else Debian's stock headers. The test machine always boots
# Debian's stock kernel (KVER) and gets a khv.ko built for it.

SHELL := /bin/bash
B := build

KVER ?= $(shell dpkg-query -W -f='$${Depends}' linux-image-amd64 2>/dev/null | \
	  sed -n 's/^linux-image-\([^ ,]*\).*/\1/p')
STOCK_KDIR = /usr/src/linux-headers-$(KVER)
RUNNING_KDIR := /lib/modules/$(shell uname -r)/build
KDIR ?= $(if $(wildcard $(RUNNING_KDIR)/Makefile),$(RUNNING_KDIR),$(STOCK_KDIR))

CC := gcc
USER_CFLAGS := -O2 -g -Wall -Wextra -Wno-unused-parameter -Werror

# Selftests: built static so the test machine needs no libc.
SELFTEST_LIB := $(wildcard selftests/lib/*.c selftests/lib/*.S)
SELFTEST_HDRS := $(wildcard selftests/lib/*.h uapi/linux/*.h)
SELFTESTS := $(patsubst selftests/kvm/%.c,$(B)/selftests/%,$(wildcard selftests/kvm/*.c))

# Host unit tests: each test file with the pure kmod/ files it tests.
UNIT_TESTS := test_caps test_hw_support test_decode test_gwalk test_memslot \
	      test_pgtable test_cpuid_policy test_alu test_lapic test_ioapic test_pic \
	      test_pit test_pvclock test_vmx_exit_info test_msr_filter
test_caps_SRCS := kmod/caps.c
test_hw_support_SRCS := kmod/svm/svm_support.c kmod/vmx/vmx_support.c
test_decode_SRCS := kmod/decode.c
test_gwalk_SRCS := kmod/gwalk.c
test_memslot_SRCS := kmod/memslot.c
test_pgtable_SRCS := kmod/pgtable.c kmod/svm/svm_support.c kmod/vmx/vmx_support.c
test_cpuid_policy_SRCS := kmod/cpuid_policy.c
test_alu_SRCS := kmod/alu.c
test_lapic_SRCS := kmod/irq/lapic.c
test_ioapic_SRCS := kmod/irq/ioapic.c
test_pic_SRCS := kmod/irq/pic.c
test_pit_SRCS := kmod/irq/pit.c
test_pvclock_SRCS := kmod/pvclock_calc.c
test_vmx_exit_info_SRCS := kmod/vmx/vmx_exit_info.c
test_msr_filter_SRCS := kmod/msr_filter.c
UNIT_BINS := $(addprefix $(B)/unit/,$(UNIT_TESTS))

# The test machine's module build: a private copy built W=1 C=1 from scratch.
TEST_KO_DIR := $(B)/kmod-$(KVER)
TEST_KO := $(TEST_KO_DIR)/khv.ko
KMOD_SRCS := Kbuild $(shell find kmod uapi -name '*.[chS]' 2>/dev/null)

# make check's plan: each lane runs the same selftests; unload (destructive)
# goes last in a lane. khv_refuses needs stock KVM loaded.
LANE_TESTS := system_ioctls vm_ioctls vcpu_fd lifetime hw_state fail_entry \
	      guest_long_mode guest_modes io_exits mmio_exits halt_shutdown \
	      regs_sregs interrupts signals memslots dirty_log multi_vcpu_vm \
	      vcpu_migration held_pages debug_regs host_state guest_msrs msrs_as_kvm \
	      cpuid_as_kvm \
	      guest_intercepts hostile_inputs stats khv_stat tracepoints stress \
	      irqchip eventfd xsave kvmclock mce guest_debug kvm_pv quirks task_switch
TEST_TIMEOUT := 300

# The fuzzer's bounded runs (Documentation/testing.md, "Fuzzing").
# make check runs check-fuzz: on khv, FUZZ_IOCTLS ioctls from four threads
# over every operation but the guest-state scenario (guests run all the
# same: KVM_RUN on scribbled state, memslots changed under running vCPUs,
# kvm_run unmapped and fds closed in flight), then khv-idle; on stock KVM,
# the reference, a tenth of that. make check-fuzz-guest adds the
# guest-state scenario (random code and register, segment, control-register
# and MSR state, one thread): not in make check, because the test
# machine's TCG, QEMU 7.2's and 10.0's alike, now and then stops taking
# host interrupts in a nested guest and the machine stalls. FUZZ_SEED=N
# picks other sequences; FUZZ_QEMU=scripts/trixie-qemu runs the machine
# on Debian 13's QEMU 10.0.
FUZZ_SEED ?= 1
FUZZ_IOCTL_OPS := sys_ioctl,vm_ioctl,vcpu_ioctl,random_ioctl,memslot,run,scribble,guest_write,open_sys,create_vm,create_vcpu,close,mmap_run,mem_chaos,flaky,fork,kill_child
FUZZ_GUEST_OPS := scenario,create_vm,create_vcpu
FUZZ_IOCTL = khv_fuzz --seed $(FUZZ_SEED) --ops $(FUZZ_IOCTL_OPS) --ioctls
FUZZ_GUEST = khv_fuzz --seed $(FUZZ_SEED) --ops $(FUZZ_GUEST_OPS) --threads 1 --ioctls
FUZZ_IOCTLS ?= 1000000
# the debug lane's run, in both lanes, under KASAN and lockdep, KCOV-guided
FUZZ_DEBUG_IOCTLS ?= 50000
FUZZ_QEMU ?= qemu-system-x86_64

TESTVM := selftests/testvm

# khv-vmm's boot test (issue 4) runs in both lanes of make check's test
# machine: the VMM, Debian's kernel and the guest of selftests/vmm/mkguest.
# Four boots a lane: one vCPU and four on the in-kernel irqchip with
# ioeventfds and irqfds (the default), then the fallbacks: two vCPUs with
# virtio on exits and KVM_IRQ_LINE (--no-eventfd), whose guest reboots
# instead of powering off (khv-vmm's reset path with several vCPUs), and
# one vCPU on khv-vmm's own PIC and PIT (--no-irqchip). VMM_TIMEOUT is
# the script's watchdog (state dumps, then SIGTERM; 180 s unless given):
# twice it, for the stock lane's second boot (in-testvm.sh), fits in the
# plan's timeout. The first boot loads Debian's bzImage, as users do; the
# other three the same kernel as an uncompressed ELF (mkguest's vmlinux):
# its XZ decompressor took 4 to 5 of a boot's 12 s under the test
# machine's TCG, and most of a boot in Bochs.
VMM_BIN := userspace-vmm/build/khv-vmm
VMM_GUEST := userspace-vmm/build/guest
VMM_BOOT_TIMEOUT := 420
VMM_SMP_TIMEOUT := 600
VMM_PLAN_LINES := \
	echo "vmm_boot $(VMM_BOOT_TIMEOUT) sh /vmm/in-testvm.sh"; \
	echo "vmm_smp4 $(VMM_SMP_TIMEOUT) VMM_CPUS=4 VMM_TIMEOUT=240 VMM_KERNEL=vmlinux sh /vmm/in-testvm.sh"; \
	echo "vmm_noeventfd $(VMM_SMP_TIMEOUT) VMM_CPUS=2 VMM_TIMEOUT=240 VMM_ARGS=--no-eventfd VMM_END=reboot VMM_KERNEL=vmlinux sh /vmm/in-testvm.sh"; \
	echo "vmm_noirqchip $(VMM_BOOT_TIMEOUT) VMM_ARGS=--no-irqchip VMM_KERNEL=vmlinux sh /vmm/in-testvm.sh";
VMM_ADD_GUEST := --bin $(VMM_BIN) --add /boot/vmlinuz-$(KVER):/vmm/vmlinuz \
	--add $(VMM_GUEST)/vmlinux:/vmm/vmlinux \
	--add $(VMM_GUEST)/initramfs.cpio:/vmm/initramfs.cpio \
	--add $(VMM_GUEST)/disk.img:/vmm/disk.img \
	--add selftests/vmm/in-testvm.sh:/vmm/in-testvm.sh
VMM_ADD := $(VMM_ADD_GUEST) --add $(VMM_GUEST)/tun.ko:/vmm/tun.ko

.PHONY: all deps module selftests unit vmm check check-run check-unit check-debug check-fuzz check-fuzz-guest \
	check-kbuild check-vmm-unit check-vm check-qemu check-trixie check-bochs vmm-guest demo clean bench

all: module selftests unit vmm khv-stat

deps:
	@scripts/deps.sh

# The debug test kernel (KASAN, UBSAN, lockdep, kmemleak, KCOV, KUnit),
# built once into /var/cache/khv/debug-kernel; see Documentation/testing.md.
.PHONY: debug-kernel
debug-kernel:
	@scripts/build-debug-kernel.sh

module:
	$(MAKE) -C $(KDIR) M=$(CURDIR) W=1 modules

selftests: $(SELFTESTS)

# khv-vmm (userspace-vmm/): the VMM and its host unit tests.
vmm:
	$(MAKE) -C userspace-vmm

$(B)/selftests/%: selftests/kvm/%.c $(SELFTEST_LIB) $(SELFTEST_HDRS)
	@mkdir -p $(@D)
	$(CC) $(USER_CFLAGS) -static -pthread -Iselftests/lib -Iuapi -o $@ $< $(SELFTEST_LIB)

# khv-stat (tools/): live statistics of every khv VM (Documentation/stats.md).
# Static by default, so that the test machine runs it; KHV_STAT_LDFLAGS=
# builds it against the system's libc (the Debian package does).
KHV_STAT := $(B)/khv-stat
KHV_STAT_LDFLAGS ?= -static
.PHONY: khv-stat
khv-stat: $(KHV_STAT)
$(KHV_STAT): tools/khv-stat.c
	@mkdir -p $(@D)
	$(CC) $(USER_CFLAGS) $(CFLAGS) $(CPPFLAGS) $(LDFLAGS) $(KHV_STAT_LDFLAGS) -o $@ $<

# The ioctl and guest fuzzer (selftests/fuzz/), static like the selftests.
FUZZ_BIN := $(B)/fuzz/khv_fuzz
.PHONY: fuzz
fuzz: $(FUZZ_BIN)
$(FUZZ_BIN): $(wildcard selftests/fuzz/*.c selftests/fuzz/*.h) selftests/lib/khv_test.c \
	     $(SELFTEST_HDRS)
	@mkdir -p $(@D)
	$(CC) $(USER_CFLAGS) -static -pthread -Iselftests/lib -Iuapi -o $@ $(filter %.c,$^)

unit: $(UNIT_BINS)

.SECONDEXPANSION:
$(B)/unit/%: selftests/host/%.c $$(%_SRCS) $(SELFTEST_HDRS) kmod/khv_pure.h \
		 $(wildcard kmod/*.h kmod/irq/*.h)
	@mkdir -p $(@D)
	$(CC) $(USER_CFLAGS) -Iselftests/lib -Ikmod -o $@ $< $($*_SRCS)

check:
	@scripts/deps.sh
	@$(MAKE) --no-print-directory check-run

# Every step writes TAP to $(B)/*.tap; the summary judges them all.
# Each step's wall time is printed as it ends and again in the summary, so
# a CI log shows where the budget goes.
CHECK_STEPS := check-unit check-vmm-unit check-kbuild check-vm check-qemu \
	       check-trixie check-deb check-fuzz check-kvm check-debug check-bochs
#
# The debug lane's kernel (scripts/build-debug-kernel.sh, about 9 minutes
# at -j2 when not cached) builds from the start, niced and on one job,
# beside the first steps' test machine, which keeps the other core busy
# with single-threaded TCG; check-debug waits for it (the build's flock).
check-run:
	@rm -f $(CHECK_TAPS) $(B)/check-times
	@mkdir -p $(B); if scripts/build-debug-kernel.sh --deps; then \
		nice -n 19 env JOBS=1 scripts/build-debug-kernel.sh \
			>$(B)/debug-kernel-prebuild.log 2>&1 & \
	fi
	@for s in $(CHECK_STEPS); do \
		t0=$$(date +%s); \
		$(MAKE) --no-print-directory $$s; rc=$$?; \
		t=$$(( $$(date +%s) - t0 )); \
		echo "make check: $$s took $$((t / 60))m$$((t % 60))s (exit $$rc)" | \
			tee -a $(B)/check-times; \
	done
	@cat $(B)/check-times
	@scripts/tap-summary $(CHECK_TAPS)

CHECK_TAPS := $(B)/unit.tap $(B)/vmm-unit.tap $(B)/kbuild.tap $(B)/testvm.tap \
	      $(B)/testvm-xsave.tap \
	      $(B)/qemu-boot.tap $(B)/libvirt.tap $(B)/qemu-migrate.tap \
	      $(B)/qemu-migrate-cross.tap \
	      $(B)/trixie.tap $(B)/qemu-boot-trixie.tap \
	      $(B)/qemu10-trixie.tap \
	      $(B)/deb.tap $(B)/fuzz.tap $(B)/kvm-selftests.tap $(B)/debug.tap \
	      $(B)/bochs.tap

# The debug-kernel lane: KUnit and every selftest on both lanes, on a
# kernel with KASAN, lockdep, UBSAN and kmemleak (scripts/check-debug-lane).
check-debug: $(SELFTESTS) $(FUZZ_BIN) $(KHV_STAT)
	@KHV_DEBUG_FUZZ="$(FUZZ_IOCTL) $(FUZZ_DEBUG_IOCTLS)" \
		scripts/check-debug-lane $(B)/debug.tap $(LANE_TESTS) -- \
		$(SELFTESTS) selftests/khv-idle $(FUZZ_BIN) $(KHV_STAT)

# The Intel lane: Bochs with VMX and EPT (selftests/testvm --machine
# bochs), stock kvm_intel then khv's VMX backend in one boot, the
# selftests and khv-vmm's Linux boot (one vCPU, in-kernel irqchip).
# Left out, with their reasons (Documentation/testing.md): signals (Bochs
# 2.7 loses a CPU with IF=0: RCU stalls on stock as on khv), stress (over
# its timeout on stock under Bochs), held_pages and khv_stat (QEMU lanes
# cover them; nothing vendor-specific). About 13 minutes (752 s at
# 432857b; 16-22 before BOCHS_APPEND): each khv-vmm boot 4.5, each
# lane's selftests under 2.
# Two cases fail under Bochs on stock kvm_intel (and fpu_guest_view on khv
# too), Bochs's doing as far as we can tell: expected failures there (TAP
# TODO); khv passes single_step.
BOCHS_TESTS := $(filter-out signals stress held_pages khv_stat,$(LANE_TESTS))
# khv-vmm's guest gets 360 s here, not 180: one run passed 180 s in its
# idle step (2026-12-05, a6d502b). Stock took about 70 s with the bzImage;
# a guest that hangs still fails on its own stall reports. It boots the
# uncompressed ELF: the bzImage's decompressor ran some 5 billion
# instructions, about 100 s of Bochs a boot.
BOCHS_VMM_TIMEOUT := 360
# A periodic tick and low-resolution timers, as the debug lane's QEMU
# machine has them (scripts/check-debug-lane): Bochs too loses the wakeup
# of an idle CPU whose one-shot local APIC timer is due. khv-vmm's guest,
# idling with a 4 ms tick, then got 2 ticks a second for up to 84 s in 5
# of 5 runs; with these options its idle step took 2.0 s for 2 s
# (Documentation/status.md).
BOCHS_APPEND := highres=off nohz=off
BOCHS_XFAIL_regs_sregs := fpu_guest_view
BOCHS_XFAIL_guest_debug := single_step
# plan_line TEST,XFAIL-CASES,WHY: a plan line, its expected failures marked
plan_line = echo "$(1) $(TEST_TIMEOUT) $(if $(2),KSFT_XFAIL=$(2) KSFT_XFAIL_WHY=\"$(3)\" )$(1)";
BOCHS_LANE_LINES = $(foreach t,$(BOCHS_TESTS),$(call plan_line,$(t),$(BOCHS_XFAIL_$(t)),fails on stock kvm_intel in Bochs too))
check-bochs: $(TEST_KO) $(SELFTESTS) vmm-guest
	@{ echo '@lane stock'; \
	  $(BOCHS_LANE_LINES) \
	  echo "vmm_boot $(VMM_BOOT_TIMEOUT) VMM_TIMEOUT=$(BOCHS_VMM_TIMEOUT) VMM_KERNEL=vmlinux sh /vmm/in-testvm.sh"; \
	  echo '@lane khv'; \
	  $(BOCHS_LANE_LINES) \
	  echo "vmm_boot $(VMM_BOOT_TIMEOUT) VMM_TIMEOUT=$(BOCHS_VMM_TIMEOUT) VMM_KERNEL=vmlinux sh /vmm/in-testvm.sh"; \
	  echo "khv_idle 30 khv-idle"; \
	  echo "unload $(TEST_TIMEOUT) unload"; } > $(B)/bochs.plan
	@$(TESTVM) --machine bochs --append "$(BOCHS_APPEND)" --kver $(KVER) --khv-ko $(TEST_KO) \
		--plan $(B)/bochs.plan \
		$(addprefix --bin ,$(SELFTESTS)) --bin selftests/khv-idle \
		$(VMM_ADD) --total-timeout 3600 --tap $(B)/bochs.tap

# Linux's own KVM selftests (tools/testing/selftests/kvm of Debian's
# linux-source-6.1, built static and cached in /var/cache/khv), on stock
# KVM and on khv in one boot, then compared: what passes on stock must pass
# on khv unless selftests/kvm-selftests/expected-differences says why not
# (Documentation/kvm-selftests.md). About 9 minutes; the build, 1 more
# when not cached.
.PHONY: check-kvm
check-kvm: $(TEST_KO)
	@scripts/check-kvm-lane $(B)/kvm-selftests.tap $(KVER) $(TEST_KO)

# The fuzzer's bounded runs in the test machine (see FUZZ_SEED above).
FUZZ_TESTVM = $(TESTVM) --qemu $(FUZZ_QEMU) --kver $(KVER) --khv-ko $(TEST_KO) \
	--bin $(FUZZ_BIN) --bin selftests/khv-idle
check-fuzz: $(TEST_KO) $(FUZZ_BIN)
	@{ echo '@lane stock'; \
	  echo "fuzz_ioctl 600 $(FUZZ_IOCTL) $$(($(FUZZ_IOCTLS) / 10))"; \
	  echo '@lane khv'; \
	  echo "fuzz_ioctl 900 $(FUZZ_IOCTL) $(FUZZ_IOCTLS)"; \
	  echo "khv_idle 30 khv-idle"; } > $(B)/fuzz.plan
	@$(FUZZ_TESTVM) --plan $(B)/fuzz.plan --tap $(B)/fuzz.tap

check-fuzz-guest: $(TEST_KO) $(FUZZ_BIN)
	@{ echo '@lane khv'; \
	  echo "fuzz_guest 900 $(FUZZ_GUEST) 250000"; \
	  echo "khv_idle 30 khv-idle"; } > $(B)/fuzz-guest.plan
	@$(FUZZ_TESTVM) --plan $(B)/fuzz-guest.plan --tap $(B)/fuzz-guest.tap

# Unmodified QEMU 7.2 (pc, q35) and libvirt on stock KVM and on khv
# (Documentation/qemu-libvirt.md): two test-machine boots, the second with
# a Debian root filesystem image built once and cached in /var/cache/khv.
check-qemu: $(TEST_KO)
	-@selftests/qemu/run-boot-tests --khv-ko $(TEST_KO) --tap $(B)/qemu-boot.tap
	-@selftests/qemu/run-libvirt-tests --khv-ko $(TEST_KO) --tap $(B)/libvirt.tap
	-@selftests/qemu/run-boot-tests --plan selftests/qemu/migrate.plan --khv-ko $(TEST_KO) \
		--total-timeout 3000 --tap $(B)/qemu-migrate.tap
	-@selftests/qemu/run-boot-tests --plan selftests/qemu/migrate-cross.plan \
		--khv-ko $(TEST_KO) --total-timeout 2000 --tap $(B)/qemu-migrate-cross.tap

HOST_PY_TESTS := selftests/host/test_testvm.py selftests/host/test_khv_stat.py \
		 selftests/host/test_kvm_selftests.py selftests/host/test_flatkernel.py

# The fuzzer's own logic (PRNG, pointer rules, corpus, ioctl table, guest
# code generator) is a unit test too: khv_fuzz --self-test.
check-unit: unit $(FUZZ_BIN) $(KHV_STAT)
	@set -o pipefail; for t in $(UNIT_BINS) $(HOST_PY_TESTS) "$(FUZZ_BIN) --self-test"; do \
		out=$$($$t); rc=$$?; echo "$$out" | sed 's/^/    /'; \
		n=$${t%% *}; n=$${n##*/}; \
		if [ $$rc = 0 ]; then echo "ok unit/$$n"; \
		else echo "not ok unit/$$n # rc=$$rc"; fi; \
	done | tee $(B)/unit.tap
	@# its own exit status too, not only make check's summary
	@! grep -q '^not ok' $(B)/unit.tap

# The VMM's unit tests (bus, UART, PIC, PIT, PCI, virtqueue, virtio-blk,
# boot protocol, CLI, CMOS, i8042, MP table, vCPU limits and CPUID,
# interrupt lines, I/O thread) as one TAP subtest.
check-vmm-unit:
	@$(MAKE) -s --no-print-directory -C userspace-vmm
	@mkdir -p $(B); set -o pipefail; \
	out=$$($(MAKE) -s --no-print-directory -C userspace-vmm test 2>&1); rc=$$?; \
	{ echo "$$out" | sed 's/^/    /'; \
	  if [ $$rc = 0 ]; then echo "ok unit/khv-vmm"; \
	  else echo "not ok unit/khv-vmm # rc=$$rc"; fi; } | tee $(B)/vmm-unit.tap
	@set -o pipefail; \
	out=$$(selftests/vmm/cli-errors $(VMM_BIN) /boot/vmlinuz-$(KVER)); rc=$$?; \
	{ echo "$$out" | sed 's/^/    /'; \
	  if [ $$rc = 0 ]; then echo "ok unit/khv-vmm-cli-errors"; \
	  else echo "not ok unit/khv-vmm-cli-errors # rc=$$rc"; fi; } | tee -a $(B)/vmm-unit.tap

# khv.ko W=1 C=1 for the stock kernel, and for Debian 13's 6.12 with
# trixie's compiler and headers (scripts/kbuild-trixie.sh); any warning fails.
check-kbuild: $(TEST_KO)
	@{ scripts/tap-kbuild $(KVER) $(TEST_KO_DIR)/build.log; \
	  kver=$$(scripts/kbuild-trixie.sh $(B)/kmod | sed -n 's/^KVER=//p'); \
	  scripts/tap-kbuild "$${kver:-6.12}" $(B)/kmod-$$kver/build.log; } | \
		tee $(B)/kbuild.tap

$(TEST_KO): $(KMOD_SRCS)
	@rm -rf $(TEST_KO_DIR) && mkdir -p $(TEST_KO_DIR)
	@cp -r Kbuild kmod uapi $(TEST_KO_DIR)/
	@set -o pipefail; $(MAKE) -C $(STOCK_KDIR) M=$(CURDIR)/$(TEST_KO_DIR) \
		W=1 C=1 modules 2>&1 | tee $(TEST_KO_DIR)/build.log | \
		grep -E 'warning:|error:' || true
	@test -f $@ || { echo "khv.ko for $(KVER) did not build"; exit 1; }

# Cases stock KVM fails in the QEMU machine: a #GP through a task gate
# ends stock kvm_amd's guest in a shutdown on Linux 6.1 (6.12's passes;
# khv leaves the switch to the CPU and passes; in Bochs 6.1's kvm_intel
# passes). The plan serves both kernels, so the case is marked for both.
QEMU_XFAIL_task_switch := exception_gate
QEMU_WHY_task_switch := stock kvm_amd of Linux 6.1 shuts the guest down
# ... and on the stock lane only: in about one run in six, stock kvm_amd
# of Linux 6.1 in the QEMU machine raises its TSC-deadline interrupt over
# and over with no deadline written (the MSR reads 0), a storm the case
# stops; khv must pass it.
QEMU_STOCK_XFAIL_irqchip := deadline_never_early
QEMU_STOCK_WHY_irqchip := stock kvm_amd in the QEMU machine sometimes repeats a TSC-deadline interrupt without a deadline
# qemu_lane_lines LANE: the selftests' plan lines for LANE (STOCK or KHV)
qemu_lane_lines = $(foreach t,$(LANE_TESTS),$(call plan_line,$(t),$(QEMU_XFAIL_$(t))$(QEMU_$(1)_XFAIL_$(t)),$(QEMU_WHY_$(t))$(QEMU_$(1)_WHY_$(t))))
$(B)/check.plan: Makefile
	@mkdir -p $(@D)
	@{ echo '@lane stock'; \
	  $(call qemu_lane_lines,STOCK) \
	  $(VMM_PLAN_LINES) \
	  for t in khv_refuses unload; do echo "$$t $(TEST_TIMEOUT) $$t"; done; \
	  echo '@lane khv'; \
	  $(call qemu_lane_lines,KHV) \
	  $(VMM_PLAN_LINES) \
	  echo "khv_idle 30 khv-idle"; \
	  echo "unload $(TEST_TIMEOUT) unload"; \
	  echo '@lane khv kvm_compat=1'; \
	  echo "compat_dev $(TEST_TIMEOUT) compat_dev"; \
	  echo 'rmmod_khv 60 rmmod khv'; } > $@

# Debian 13's kernel (6.12) in the test machine: the same selftest plan,
# khv-vmm boot included, the QEMU 7.2 boot tests, and Debian 13's QEMU
# 10.0 from a trixie root filesystem image (selftests/qemu/qemu10.plan),
# on its stock kvm_amd and on khv built by trixie's gcc
# (scripts/check-trixie-lane; three test-machine boots).
check-trixie: $(SELFTESTS) $(KHV_STAT) $(B)/check.plan vmm-guest
	@scripts/check-trixie-lane $(B)/trixie.tap $(B)/qemu-boot-trixie.tap \
		$(B)/qemu10-trixie.tap $(B)/check.plan -- \
		$(addprefix --bin ,$(SELFTESTS)) --bin selftests/khv-idle --bin $(KHV_STAT) \
		$(VMM_ADD_GUEST)

# Then a short boot whose CPU has XSAVE and AVX, for the xsave selftest's
# AVX state (the main boot's qemu64 has neither; it cannot be the default:
# QEMU's TCG does not intercept a nested guest's XSETBV, which breaks the
# nested Linux guests of other tests on stock KVM and khv alike).
XSAVE_CPU := qemu64,+svm,+npt,+xsave,+xsaveopt,+avx,+avx2
check-vm: $(TEST_KO) $(SELFTESTS) $(KHV_STAT) $(B)/check.plan vmm-guest
	@rc=0; $(TESTVM) --kver $(KVER) --khv-ko $(TEST_KO) --plan $(B)/check.plan \
		$(addprefix --bin ,$(SELFTESTS)) --bin selftests/khv-idle --bin $(KHV_STAT) \
		$(VMM_ADD) --tap $(B)/testvm.tap || rc=1; \
	printf '@lane stock\nxsave $(TEST_TIMEOUT) xsave\n@lane khv\nxsave $(TEST_TIMEOUT) xsave\n' \
		> $(B)/xsave.plan; \
	$(TESTVM) --kver $(KVER) --khv-ko $(TEST_KO) --plan $(B)/xsave.plan \
		--qemu-cpu $(XSAVE_CPU) --bin $(B)/selftests/xsave \
		--tap $(B)/testvm-xsave.tap || rc=1; exit $$rc

# The boot test's guest: initramfs (busybox, virtio modules), disk, tun.ko.
vmm-guest: vmm
	@selftests/vmm/mkguest $(VMM_GUEST) $(KVER)

demo: deps $(TEST_KO) vmm-guest
	@KVER=$(KVER) KDIR=$(KDIR) TEST_KO=$(TEST_KO) VMM_BIN=$(VMM_BIN) \
		VMM_GUEST=$(VMM_GUEST) VMM_ADD="$(VMM_ADD)" scripts/demo.sh

clean:
	-@[ -f $(KDIR)/Makefile ] && $(MAKE) -C $(KDIR) M=$(CURDIR) clean >/dev/null
	-@$(MAKE) -s -C userspace-vmm clean
	rm -rf $(B)

# ---- Debian packages (Documentation/packaging.md) -------------------------
# make deb        khv-dkms, khv-tools and the source package in build/deb/,
#                 built with dpkg-buildpackage and checked with lintian;
#                 installs what it needs with apt (scripts/build-deb.sh)
# make check-deb  their install test in a Debian 12 system that the test
#                 machine boots with systemd: apt install, DKMS, khv loaded
#                 at boot, the device nodes, remove, purge (selftests/deb);
#                 TAP in build/deb.tap. In check-run: about 8 minutes of
#                 test machine once its image is cached (2.5 more to build it).
.PHONY: deb check-deb
deb:
	@scripts/build-deb.sh $(B)/deb

check-deb: deb $(B)/selftests/system_ioctls
	@selftests/deb/run-deb-test --kver $(KVER) --debs $(B)/deb --tap $(B)/deb.tap

include selftests/bench/bench.mk
