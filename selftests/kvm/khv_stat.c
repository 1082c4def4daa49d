// SPDX-License-Identifier: GPL-2.0
/*
 * khv-stat (tools/khv-stat.c) watching a running guest: a vCPU thread runs
 * a guest that makes port I/O exits without end while khv-stat samples
 * debugfs; its JSON must show this VM (this pid, this VM fd) with I/O
 * exits per second, its table a line for the VM and its vCPU. Also its
 * answers to wrong options and a missing debugfs. khv only: stock KVM's
 * debugfs has no per-vCPU binary statistics (skipped there).
 */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/wait.h>

#include "guest.h"

static int sys_fd;
static volatile int stop;

GUEST_CODE static void guest_spin(uint64_t a, uint64_t b)
{
	uint64_t i = 0;

	for (;;)
		GUEST_SYNC(1, i++);
}

static void *vcpu_thread(void *arg)
{
	struct gvcpu *v = arg;
	uint64_t val;

	while (!stop)
		if (gvcpu_run_sync(v, 1, &val))
			return (void *)1;
	return NULL;
}

/* Run khv-stat with @args (NULL-terminated); its stdout in @out. Exit status. */
static int run_tool(char *const args[], char *out, size_t size)
{
	int pipefd[2], status;
	size_t got = 0;
	ssize_t n;
	pid_t pid;

	if (pipe(pipefd))
		return -1;
	pid = fork();
	if (pid == 0) {
		dup2(pipefd[1], 1);
		close(pipefd[0]);
		execvp(args[0], args);
		_exit(127);
	}
	close(pipefd[1]);
	while (got + 1 < size && (n = read(pipefd[0], out + got, size - 1 - got)) > 0)
		got += n;
	out[got] = 0;
	close(pipefd[0]);
	if (pid < 0 || waitpid(pid, &status, 0) != pid)
		return -1;
	return WIFEXITED(status) ? WEXITSTATUS(status) : 128;
}

static void show(const char *text)
{
	const char *p = text, *nl;

	while (*p) {
		nl = strchr(p, '\n');
		printf("# | %.*s\n", nl ? (int)(nl - p) : (int)strlen(p), p);
		if (!nl)
			break;
		p = nl + 1;
	}
}

/* In @json, the per-second value of @name after the VM entry @vm_key. */
static double json_rate(const char *json, const char *vm_key, const char *name)
{
	const char *vm = strstr(json, vm_key), *vcpus, *ps, *at;
	char key[80];

	if (!vm || !(vcpus = strstr(vm, "\"vcpus\"")) ||
	    !(ps = strstr(vcpus, "\"per_second\"")))
		return -1;
	snprintf(key, sizeof(key), "\"%s\": ", name);
	at = strstr(ps, key);
	return at ? strtod(at + strlen(key), NULL) : -1;
}

static int t_watches_running_guest(void)
{
	static char out[1 << 16];
	char *json_args[] = { "khv-stat", "--once", "--json", "-d", "1", NULL };
	char *table_args[] = { "khv-stat", "--once", "-d", "1", NULL };
	char *twice_args[] = { "khv-stat", "-n", "2", "-d", "0.3", "-s", "io", NULL };
	struct gvm *vm = gvm_create(sys_fd, 0);
	char vm_key[64], row[64];
	double io;
	pthread_t t;
	struct gvcpu *v;
	void *failed;
	int rc, r = KSFT_FAIL;

	CHECK(vm, "gvm_create");
	v = gvcpu_create_long(vm, 0, guest_spin, 0, 0);
	CHECK(v, "gvcpu_create_long");
	CHECK(!pthread_create(&t, NULL, vcpu_thread, v), "pthread_create");
	snprintf(vm_key, sizeof(vm_key), "{\"pid\": %d, \"fd\": %d,", getpid(), vm->fd);
	rc = run_tool(json_args, out, sizeof(out));
	io = json_rate(out, vm_key, "exits_io");
	if (rc || io <= 0) {
		ksft_diag("khv-stat --once --json: exit %d, exits_io/s %.1f for %s", rc, io,
			  vm_key);
		show(out);
		goto out;
	}
	ksft_diag("khv-stat --json: this VM's vCPU made %.0f I/O exits per second", io);
	rc = run_tool(table_args, out, sizeof(out));
	snprintf(row, sizeof(row), "\n%d-%d ", getpid(), vm->fd);
	show(out);
	if (rc || !strstr(out, row) || !strstr(out, "\n  vcpu0 ")) {
		ksft_diag("khv-stat --once: exit %d, no line for VM %d-%d and vcpu0", rc,
			  getpid(), vm->fd);
		goto out;
	}
	rc = run_tool(twice_args, out, sizeof(out));
	if (rc || !strstr(out, "khv-stat ") || !strstr(strstr(out, "khv-stat ") + 1, "khv-stat ") ||
	    !strstr(out, "sorted by io")) {
		ksft_diag("khv-stat -n 2: exit %d, want two tables sorted by io", rc);
		show(out);
		goto out;
	}
	r = KSFT_PASS;
out:
	stop = 1;
	pthread_join(t, &failed);
	if (failed) {
		ksft_diag("the guest stopped making ucalls");
		r = KSFT_FAIL;
	}
	gvcpu_destroy(v);
	gvm_destroy(vm);
	return r;
}

static int t_bad_usage(void)
{
	static char out[4096];
	char *bad_delay[] = { "khv-stat", "-d", "0", NULL };
	char *bad_sort[] = { "khv-stat", "-s", "nonsense", NULL };
	char *extra[] = { "khv-stat", "--once", "stray", NULL };
	char *no_debugfs[] = { "khv-stat", "--once", "--debugfs", "/nonexistent", NULL };

	CHECK(run_tool(bad_delay, out, sizeof(out)) == 2, "-d 0 accepted");
	CHECK(run_tool(bad_sort, out, sizeof(out)) == 2, "-s nonsense accepted");
	CHECK(run_tool(extra, out, sizeof(out)) == 2, "a stray argument accepted");
	CHECK(run_tool(no_debugfs, out, sizeof(out)) == 1, "a missing debugfs not an error");
	return KSFT_PASS;
}

static const struct ksft_case cases[] = {
	{ "watches_running_guest", t_watches_running_guest },
	{ "bad_usage", t_bad_usage },
};

int main(int argc, char **argv)
{
	const char *module;

	khv_test_init(argc, argv);
	sys_fd = khv_open_dev();
	module = khv_module();
	if (!module || strcmp(module, "khv"))
		ksft_exit_skip("khv-stat reads khv's debugfs; this is not khv");
	if (khv_live_vms() < 0)
		ksft_exit_skip("no debugfs");
	return KSFT_RUN(cases);
}
