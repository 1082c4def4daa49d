# SPDX-License-Identifier: GPL-2.0
#
# make bench: every microbenchmark, a khv-vmm Linux boot, a QEMU Linux
# boot, QEMU's live migration and savevm of a 256 MiB guest writing its RAM
# on stock KVM and on khv, alternating, in one test-machine boot;
# medians as a table and as $(B)/bench.json. See
# Documentation/performance.md. Included by the top Makefile (uses its B,
# KVER, TEST_KO, CC, USER_CFLAGS, SELFTEST_*).
#
#   make bench BENCH_REPS=3 BENCH_SECONDS=2 BENCH_QEMU_REPS=3
#   make bench BENCH_ONLY=ipi,irqfd       # some workloads only

BENCH_REPS ?= 3
BENCH_SECONDS ?= 2
# repetitions that run QEMU too (boot about 30 s, migration and savevm
# about 3 min a lane); default: all
BENCH_QEMU_REPS ?= $(BENCH_REPS)
BENCH_ONLY ?=
BENCH_BIN := $(B)/bench/khv-bench
BENCH_INITRAMFS := $(B)/bench/initramfs.cpio
BENCH_VMM := userspace-vmm/build/khv-vmm

.PHONY: bench-run bench-unit

# deps first, in its own make: KVER comes from what deps installs.
bench:
	@scripts/deps.sh
	@$(MAKE) --no-print-directory bench-run

# The QEMU machine (AMD SVM: khv / stock kvm_amd) writes $(B)/bench.json;
# the Bochs machine (Intel VMX: khv / stock kvm_intel, the exit
# microbenchmarks and floors only) $(B)/bench-vmx.json. BENCH_MACHINES=qemu
# for the first alone.
BENCH_MACHINES ?= qemu bochs
BENCH_ARGS = --kver $(KVER) --khv-ko $(TEST_KO) \
	--bench $(BENCH_BIN) --vmm $(BENCH_VMM) \
	--kernel /boot/vmlinuz-$(KVER) --initramfs $(BENCH_INITRAMFS) \
	--reps $(BENCH_REPS) --seconds $(BENCH_SECONDS) \
	--qemu-reps $(BENCH_QEMU_REPS) $(if $(BENCH_ONLY),--only $(BENCH_ONLY))
bench-run: check-kbuild bench-unit $(BENCH_BIN) $(BENCH_INITRAMFS) vmm
	@rc=0; \
	if echo " $(BENCH_MACHINES) " | grep -q " qemu "; then \
		selftests/bench/run-bench $(BENCH_ARGS) --out $(B)/bench.json || rc=1; \
	fi; \
	if echo " $(BENCH_MACHINES) " | grep -q " bochs "; then \
		selftests/bench/run-bench $(BENCH_ARGS) --machine bochs \
			--out $(B)/bench-vmx.json || rc=1; \
	fi; exit $$rc

# run-bench's own arithmetic and formatting (well under a second)
bench-unit:
	@out=$$(python3 selftests/bench/test_run_bench.py 2>&1) || \
		{ echo "$$out"; exit 1; }; \
	echo "bench-unit: run-bench $$(echo "$$out" | grep '^Ran'): ok"

# -mno-red-zone: some of its guest handlers run on the interrupted code's
# stack (khv-bench.c, set_irq_handler())
$(BENCH_BIN): selftests/bench/khv-bench.c $(SELFTEST_LIB) $(SELFTEST_HDRS)
	@mkdir -p $(@D)
	$(CC) $(USER_CFLAGS) -mno-red-zone -static -pthread -Iselftests/lib -Iuapi \
		-o $@ $< $(SELFTEST_LIB)

$(BENCH_INITRAMFS): selftests/bench/mkinitramfs selftests/bench/guest-init
	@selftests/bench/mkinitramfs $@
