/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Helpers for selftests that run unchanged on stock KVM (/dev/kvm) and on
 * khv (/dev/khv): the device comes from --device PATH, else $KHV_DEVICE,
 * else /dev/kvm. $KHV_MODULE names the module behind it (kvm_amd, khv).
 */
#ifndef KHV_TEST_H
#define KHV_TEST_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <linux/kvm.h>

#include "ksft.h"

/* Parse --device; call first from main(). */
void khv_test_init(int argc, char **argv);
const char *khv_dev_path(void);
/* Open the device; the whole test is skipped when it does not exist. */
int khv_open_dev(void);
/* ioctl wrapper: returns the result, or -errno. */
long khv_ioctl(int fd, unsigned long cmd, unsigned long arg);
int khv_create_vm(int sys_fd);
int khv_create_vcpu(int vm_fd, unsigned long id);

/* $KHV_MODULE, or NULL. */
const char *khv_module(void);
/* /sys/module/NAME/refcnt, or -1. */
long khv_module_refcnt(const char *name);

/* Online CPUs, from /sys/devices/system/cpu/online; returns the count. */
int khv_online_cpus(int *cpus, int max);
bool khv_cpu_is_amd(void);
/*
 * Differential tests (msrs_as_kvm, cpuid_as_kvm): is this the stock lane,
 * whose results are the reference ($KHV_LANE, else the device's name)?
 */
bool khv_lane_is_stock(void);
/* "release version" of the running kernel: a reference is only good on it. */
void khv_kernel_id(char *buf, size_t len);
/*
 * A differential test's reference file at @path, which the stock lane
 * writes in the test machine's /tmp for the khv lane of the same boot.
 * khv_ref_create() opens "@path.tmp" and writes the header (@magic, the
 * kernel); the caller writes its lines; khv_ref_commit() ends the file
 * and renames it into place, so a run that dies leaves none: 0 or -errno.
 * khv_ref_open() opens one to read past its header, or gives NULL and
 * *err: -ENOENT (none), -ESTALE (another kernel's), -EINVAL (malformed);
 * the caller then reads its own lines up to "end" and checks every one.
 */
FILE *khv_ref_create(const char *path, const char *magic);
int khv_ref_commit(FILE *f, const char *path);
FILE *khv_ref_open(const char *path, const char *magic, int *err);
/* rdmsr through /dev/cpu/N/msr: 0, or -errno. */
int khv_rdmsr(int cpu, uint32_t msr, uint64_t *val);
/* AMD SVM state of @cpu: EFER.SVME and VM_HSAVE_PA. 0, or -1 if unreadable. */
int khv_svm_state(int cpu, bool *on, uint64_t *hsave);
/* Set CPU @cpu online or offline via sysfs: 0 or -errno. */
int khv_cpu_set_online(int cpu, bool online);

/*
 * Live VMs and vCPUs system-wide, read from debugfs (khv: khv/vms and
 * khv/vcpus; stock KVM: one kvm/PID-FD directory per VM with one vcpuN
 * directory per vCPU). -1 when neither is available.
 */
int khv_live_vms(void);
int khv_live_vcpus(void);

#endif /* KHV_TEST_H */
