// SPDX-License-Identifier: GPL-2.0
/*
 * khv must refuse to load, with -EBUSY and exactly one "khv:" line in the
 * kernel log, while stock KVM is loaded: once idle (6.1: kvm_amd owns
 * /dev/kvm; 6.12: it has SVM on already), once while a VM has SVM
 * switched on. Run with stock KVM loaded and $KHV_KO naming khv.ko.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>
#include <sys/syscall.h>

#include "khv_test.h"

/*
 * The module loader's own "khv: ..." notices on the first load of an
 * unsigned out-of-tree module (taint) are the kernel's, not khv's.
 */
static bool is_loader_notice(const char *rec)
{
	return strstr(rec, "taints kernel") || strstr(rec, "tainting kernel");
}

/* Load khv.ko; return 0 or -errno, and the khv: lines it logged. */
static long try_load_khv(char *log, size_t len, int *lines)
{
	const char *ko = getenv("KHV_KO");
	int kmsg = open("/dev/kmsg", O_RDONLY | O_NONBLOCK | O_CLOEXEC);
	int fd = open(ko, O_RDONLY | O_CLOEXEC);
	char rec[1024];
	long r;
	ssize_t n;

	lseek(kmsg, 0, SEEK_END);
	r = syscall(SYS_finit_module, fd, "", 0) ? -errno : 0;
	close(fd);
	*lines = 0;
	log[0] = 0;
	while ((n = read(kmsg, rec, sizeof(rec) - 1)) > 0) {
		rec[n] = 0;
		if (!strstr(rec, "khv: ") || is_loader_notice(rec))
			continue;
		(*lines)++;
		strncat(log, strstr(rec, "khv: "), len - strlen(log) - 1);
	}
	close(kmsg);
	return r;
}

static int check_refusal(const char *reason)
{
	char log[2048];
	int lines;
	long r = try_load_khv(log, sizeof(log), &lines);

	if (r == 0)
		syscall(SYS_delete_module, "khv", O_NONBLOCK);
	CHECK(r == -EBUSY, "loading khv.ko: %ld", r);
	ksft_diag("dmesg: %s", log);
	CHECK(lines == 1, "%d khv: lines in dmesg, want 1", lines);
	CHECK(strstr(log, reason), "dmesg does not mention \"%s\"", reason);
	return KSFT_PASS;
}

/*
 * Beside an idle kvm_amd: 6.1's has SVM off until a VM exists (khv sees
 * /dev/kvm taken), 6.12's switches it on at load (khv sees SVM in use);
 * either way the one line names KVM.
 */
static int t_refuse_beside_kvm(void)
{
	return check_refusal("kvm_amd or kvm_intel");
}

static int t_refuse_svm_in_use(void)
{
	int dev = khv_open_dev(), vm = khv_create_vm(dev), r;

	CHECK(vm >= 0, "KVM_CREATE_VM on stock: %d", vm);
	r = check_refusal("already in use");
	close(vm);
	close(dev);
	return r;
}

static const struct ksft_case cases[] = {
	{ "refuse_beside_idle_kvm", t_refuse_beside_kvm },
	{ "refuse_svm_in_use", t_refuse_svm_in_use },
};

int main(int argc, char **argv)
{
	struct stat st;

	khv_test_init(argc, argv);
	if (!getenv("KHV_KO") || stat(getenv("KHV_KO"), &st))
		ksft_exit_skip("KHV_KO does not name khv.ko");
	if (stat("/sys/module/kvm_amd", &st) && stat("/sys/module/kvm_intel", &st))
		ksft_exit_skip("stock KVM is not loaded");
	return KSFT_RUN(cases);
}
