// SPDX-License-Identifier: GPL-2.0
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cpuid.h>
#include <sys/ioctl.h>
#include <sys/utsname.h>

#include <linux/khv.h>

#include "khv_test.h"

#define DEBUGFS "/sys/kernel/debug"
#define KHV_STATS_PATH(f) DEBUGFS "/" KHV_DEBUGFS_DIR "/" f

static const char *dev_path;

void khv_test_init(int argc, char **argv)
{
	int i;

	for (i = 1; i + 1 < argc; i++)
		if (!strcmp(argv[i], "--device"))
			dev_path = argv[i + 1];
	if (!dev_path)
		dev_path = getenv("KHV_DEVICE");
	if (!dev_path)
		dev_path = "/dev/kvm";
	setvbuf(stdout, NULL, _IOLBF, 0);
}

const char *khv_dev_path(void)
{
	return dev_path;
}

int khv_open_dev(void)
{
	int fd = open(dev_path, O_RDWR | O_CLOEXEC);
	char why[128];

	if (fd >= 0)
		return fd;
	snprintf(why, sizeof(why), "cannot open %s: %s", dev_path,
		 strerror(errno));
	ksft_exit_skip(why);
}

long khv_ioctl(int fd, unsigned long cmd, unsigned long arg)
{
	long r = ioctl(fd, cmd, arg);

	return r < 0 ? -errno : r;
}

int khv_create_vm(int sys_fd)
{
	return (int)khv_ioctl(sys_fd, KVM_CREATE_VM, 0);
}

int khv_create_vcpu(int vm_fd, unsigned long id)
{
	return (int)khv_ioctl(vm_fd, KVM_CREATE_VCPU, id);
}

const char *khv_module(void)
{
	return getenv("KHV_MODULE");
}

static long read_long(const char *path)
{
	FILE *f = fopen(path, "r");
	long v = -1;

	if (!f)
		return -1;
	if (fscanf(f, "%ld", &v) != 1)
		v = -1;
	fclose(f);
	return v;
}

long khv_module_refcnt(const char *name)
{
	char path[256];

	snprintf(path, sizeof(path), "/sys/module/%s/refcnt", name);
	return read_long(path);
}

int khv_online_cpus(int *cpus, int max)
{
	FILE *f = fopen("/sys/devices/system/cpu/online", "r");
	int n = 0, a, b;
	char sep;

	if (!f)
		return 0;
	while (fscanf(f, "%d", &a) == 1) {
		b = a;
		if (fscanf(f, "%c", &sep) == 1 && sep == '-') {
			if (fscanf(f, "%d", &b) != 1)
				break;
			if (fscanf(f, "%c", &sep) != 1)
				sep = '\n';
		}
		for (; a <= b && n < max; a++)
			cpus[n++] = a;
		if (sep != ',')
			break;
	}
	fclose(f);
	return n;
}

bool khv_lane_is_stock(void)
{
	const char *lane = getenv("KHV_LANE");

	if (lane && *lane)
		return !strcmp(lane, "stock");
	return !strstr(khv_dev_path(), "khv");
}

void khv_kernel_id(char *buf, size_t len)
{
	struct utsname u;

	if (uname(&u))
		snprintf(buf, len, "unknown");
	else
		snprintf(buf, len, "%s %s", u.release, u.version);
}

static void ref_tmp_name(char *buf, size_t len, const char *path)
{
	snprintf(buf, len, "%s.tmp", path);
}

FILE *khv_ref_create(const char *path, const char *magic)
{
	char tmp[4096], kid[512];
	FILE *f;

	ref_tmp_name(tmp, sizeof(tmp), path);
	f = fopen(tmp, "w");
	if (f) {
		khv_kernel_id(kid, sizeof(kid));
		fprintf(f, "%s\nkernel %s\n", magic, kid);
	}
	return f;
}

int khv_ref_commit(FILE *f, const char *path)
{
	char tmp[4096];
	int bad;

	ref_tmp_name(tmp, sizeof(tmp), path);
	fprintf(f, "end\n");
	bad = ferror(f);
	if (fclose(f) || bad) {
		unlink(tmp);
		return -EIO;
	}
	return rename(tmp, path) ? -errno : 0;
}

FILE *khv_ref_open(const char *path, const char *magic, int *err)
{
	char line[1024], want[600], kid[512];
	FILE *f = fopen(path, "r");

	if (!f) {
		*err = errno == ENOENT ? -ENOENT : -errno;
		return NULL;
	}
	khv_kernel_id(kid, sizeof(kid));
	snprintf(want, sizeof(want), "kernel %s\n", kid);
	*err = 0;
	if (!fgets(line, sizeof(line), f) || strcspn(line, "\n") != strlen(magic) ||
	    strncmp(line, magic, strlen(magic)))
		*err = -EINVAL;
	else if (!fgets(line, sizeof(line), f) || strncmp(line, "kernel ", 7))
		*err = -EINVAL;
	else if (strcmp(line, want))
		*err = -ESTALE;
	if (*err) {
		fclose(f);
		return NULL;
	}
	return f;
}

bool khv_cpu_is_amd(void)
{
	unsigned int a, b, c, d;

	__cpuid(0, a, b, c, d);
	return b == 0x68747541 && d == 0x69746e65 && c == 0x444d4163;
}

int khv_rdmsr(int cpu, uint32_t msr, uint64_t *val)
{
	char path[64];
	int fd, r = 0;

	snprintf(path, sizeof(path), "/dev/cpu/%d/msr", cpu);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (pread(fd, val, sizeof(*val), msr) != sizeof(*val))
		r = -EIO;
	close(fd);
	return r;
}

#define MSR_EFER	0xc0000080
#define EFER_SVME	(1ull << 12)
#define MSR_VM_HSAVE_PA	0xc0010117

int khv_svm_state(int cpu, bool *on, uint64_t *hsave)
{
	uint64_t efer;

	if (khv_rdmsr(cpu, MSR_EFER, &efer) ||
	    khv_rdmsr(cpu, MSR_VM_HSAVE_PA, hsave))
		return -1;
	*on = efer & EFER_SVME;
	return 0;
}

int khv_cpu_set_online(int cpu, bool online)
{
	char path[96];
	int fd, r = 0;

	snprintf(path, sizeof(path), "/sys/devices/system/cpu/cpu%d/online",
		 cpu);
	fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (write(fd, online ? "1" : "0", 1) != 1)
		r = -errno;
	close(fd);
	return r;
}

/* Entries of @dir whose names pass @want, or -1. */
static int count_entries(const char *dir, bool (*want)(const char *name))
{
	DIR *d = opendir(dir);
	struct dirent *e;
	int n = 0;

	if (!d)
		return -1;
	while ((e = readdir(d)))
		if (want(e->d_name))
			n++;
	closedir(d);
	return n;
}

/* Stock KVM names a VM's debugfs directory PID-FD. */
static bool is_kvm_vm_dir(const char *name)
{
	int pid, fd;
	char end;

	return sscanf(name, "%d-%d%c", &pid, &fd, &end) == 2;
}

static bool is_vcpu_dir(const char *name)
{
	return !strncmp(name, "vcpu", 4);
}

static int count_kvm_vcpus(void)
{
	DIR *d = opendir(DEBUGFS "/kvm");
	struct dirent *e;
	char path[512];
	int n = 0;

	if (!d)
		return -1;
	while ((e = readdir(d))) {
		if (!is_kvm_vm_dir(e->d_name))
			continue;
		snprintf(path, sizeof(path), DEBUGFS "/kvm/%s", e->d_name);
		n += count_entries(path, is_vcpu_dir);
	}
	closedir(d);
	return n;
}

static bool served_by_khv(void)
{
	const char *m = khv_module();

	return m && !strcmp(m, "khv");
}

int khv_live_vms(void)
{
	if (served_by_khv())
		return (int)read_long(KHV_STATS_PATH(KHV_DEBUGFS_VMS));
	return count_entries(DEBUGFS "/kvm", is_kvm_vm_dir);
}

int khv_live_vcpus(void)
{
	if (served_by_khv())
		return (int)read_long(KHV_STATS_PATH(KHV_DEBUGFS_VCPUS));
	return count_kvm_vcpus();
}
