// SPDX-License-Identifier: GPL-2.0
/*
 * khv-stat: what every khv VM and vCPU on this host is doing, live.
 *
 * Reads <debugfs>/khv/vm/<pid>-<fd>/stats and vcpu<N>/stats (KVM's binary
 * statistics format, the same bytes KVM_GET_STATS_FD gives the VMM) and
 * shows exits per second by reason, time in guest mode and pinned memory,
 * one line per VM and one per vCPU under it, refreshed every interval.
 * See Documentation/stats.md.
 *
 *   khv-stat [-d SECONDS] [-n COUNT] [-s KEY] [--once] [--json] [--debugfs DIR]
 *
 * Needs root (debugfs). Keys while live: q quits, s picks the next sort key.
 */
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>
#include <linux/kvm.h>

#define MAX_STATS	256
#define ARRAY_SIZE(a)	(sizeof(a) / sizeof((a)[0]))
#define NAME_MAX_LEN	128

/* One stats file, read whole. */
struct stats {
	uint32_t n;
	char names[MAX_STATS][NAME_MAX_LEN];
	uint32_t flags[MAX_STATS];
	int16_t exponent[MAX_STATS];
	uint64_t val[MAX_STATS];
};

struct vcpu {
	int id;
	struct stats now, then;
	bool have_then;
};

struct vm {
	int pid, fd;
	char comm[32];
	char dir[600];
	struct stats now, then;
	bool have_then;
	struct vcpu *vcpus;
	int nvcpus;
	bool seen;		/* in this sample */
};

static struct vm *vms;
static int nvms;
static const char *debugfs = "/sys/kernel/debug";

/* The columns of the table: the exit reasons shown by name, then the rest. */
static const struct {
	const char *stat;	/* counter, per second */
	const char *head;
} columns[] = {
	{ "exits_io", "IO" },
	{ "exits_npt_fault", "NPT" },
	{ "exits_hlt", "HLT" },
	{ "exits_cpuid", "CPUID" },
	{ "exits_msr", "MSR" },
	{ "exits_host_irq", "HOSTIRQ" },
	{ "exits_irq_window", "IRQWIN" },
};

static const char *const sort_keys[] = { "exits", "guest", "io", "npt", "hlt", "pid" };
#define NSORT ARRAY_SIZE(sort_keys)

/* --------------------------------------------------------- reading */

static int read_stats(const char *path, struct stats *s)
{
	struct kvm_stats_header h;
	char *buf = NULL;
	size_t desc_size, i;
	uint64_t *data = NULL;
	int fd = open(path, O_RDONLY | O_CLOEXEC), r = -1;

	if (fd < 0)
		return -1;
	if (pread(fd, &h, sizeof(h), 0) != sizeof(h) || h.num_desc > MAX_STATS ||
	    h.name_size < 2 || h.name_size > 4096)
		goto out;
	desc_size = sizeof(struct kvm_stats_desc) + h.name_size;
	buf = malloc(desc_size * h.num_desc);
	data = calloc(MAX_STATS, sizeof(*data));
	if (!buf || !data)
		goto out;
	if (pread(fd, buf, desc_size * h.num_desc, h.desc_offset) !=
	    (ssize_t)(desc_size * h.num_desc))
		goto out;
	if (pread(fd, data, MAX_STATS * sizeof(*data), h.data_offset) < 0)
		goto out;
	s->n = 0;
	for (i = 0; i < h.num_desc; i++) {
		struct kvm_stats_desc *d = (void *)(buf + i * desc_size);

		if (d->offset / 8 >= MAX_STATS)
			continue;
		snprintf(s->names[s->n], NAME_MAX_LEN, "%.*s", (int)h.name_size - 1, d->name);
		s->flags[s->n] = d->flags;
		s->exponent[s->n] = d->exponent;
		s->val[s->n] = data[d->offset / 8];
		s->n++;
	}
	r = 0;
out:
	free(buf);
	free(data);
	close(fd);
	return r;
}

static int stat_index(const struct stats *s, const char *name)
{
	uint32_t i;

	for (i = 0; i < s->n; i++)
		if (!strcmp(s->names[i], name))
			return (int)i;
	return -1;
}

static uint64_t stat_val(const struct stats *s, const char *name)
{
	int i = stat_index(s, name);

	return i < 0 ? 0 : s->val[i];
}

static bool cumulative(const struct stats *s, uint32_t i)
{
	return (s->flags[i] & KVM_STATS_TYPE_MASK) == KVM_STATS_TYPE_CUMULATIVE;
}

/* Per second over @dt, of a cumulative counter; 0 without a last sample. */
static double rate(const struct stats *now, const struct stats *then, bool have_then,
		   const char *name, double dt)
{
	int i = stat_index(now, name), j = have_then ? stat_index(then, name) : -1;

	if (i < 0 || j < 0 || dt <= 0 || now->val[i] < then->val[j])
		return 0;
	return (double)(now->val[i] - then->val[j]) / dt;
}

static struct vm *find_vm(int pid, int fd)
{
	int i;

	for (i = 0; i < nvms; i++)
		if (vms[i].pid == pid && vms[i].fd == fd)
			return &vms[i];
	return NULL;
}

static struct vcpu *find_vcpu(struct vm *vm, int id)
{
	int i;

	for (i = 0; i < vm->nvcpus; i++)
		if (vm->vcpus[i].id == id)
			return &vm->vcpus[i];
	return NULL;
}

static void read_comm(struct vm *vm)
{
	char path[64];
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/comm", vm->pid);
	snprintf(vm->comm, sizeof(vm->comm), "?");
	f = fopen(path, "r");
	if (!f)
		return;
	if (fgets(vm->comm, sizeof(vm->comm), f))
		vm->comm[strcspn(vm->comm, "\n")] = 0;
	fclose(f);
}

static void sample_vcpus(struct vm *vm)
{
	struct dirent *e;
	DIR *d = opendir(vm->dir);
	char path[sizeof(vm->dir) + 300];

	if (!d)
		return;
	while ((e = readdir(d))) {
		struct vcpu *v;
		int id;

		if (sscanf(e->d_name, "vcpu%d", &id) != 1)
			continue;
		v = find_vcpu(vm, id);
		if (!v) {
			struct vcpu *more = realloc(vm->vcpus, (vm->nvcpus + 1) * sizeof(*more));

			if (!more)
				break;
			vm->vcpus = more;
			v = &vm->vcpus[vm->nvcpus++];
			memset(v, 0, sizeof(*v));
			v->id = id;
		} else {
			v->then = v->now;
			v->have_then = true;
		}
		snprintf(path, sizeof(path), "%s/%s/stats", vm->dir, e->d_name);
		if (read_stats(path, &v->now))
			v->have_then = false;
	}
	closedir(d);
}

/* One sample of every VM. 0, or -1 if khv's debugfs directory is missing. */
static int sample(void)
{
	char top[300], path[sizeof(vms->dir) + 16];
	struct dirent *e;
	DIR *d;
	int i, w;

	snprintf(top, sizeof(top), "%s/khv/vm", debugfs);
	d = opendir(top);
	if (!d)
		return -1;
	for (i = 0; i < nvms; i++)
		vms[i].seen = false;
	while ((e = readdir(d))) {
		struct vm *vm;
		int pid, fd;

		if (sscanf(e->d_name, "%d-%d", &pid, &fd) != 2)
			continue;
		vm = find_vm(pid, fd);
		if (!vm) {
			struct vm *more = realloc(vms, (nvms + 1) * sizeof(*more));

			if (!more)
				break;
			vms = more;
			vm = &vms[nvms++];
			memset(vm, 0, sizeof(*vm));
			vm->pid = pid;
			vm->fd = fd;
			snprintf(vm->dir, sizeof(vm->dir), "%s/%s", top, e->d_name);
			read_comm(vm);
		} else {
			vm->then = vm->now;
			vm->have_then = true;
		}
		snprintf(path, sizeof(path), "%s/stats", vm->dir);
		if (read_stats(path, &vm->now))
			continue;	/* went away while we looked */
		vm->seen = true;
		sample_vcpus(vm);
	}
	closedir(d);
	/* forget VMs that are gone */
	for (i = 0, w = 0; i < nvms; i++) {
		if (vms[i].seen)
			vms[w++] = vms[i];
		else
			free(vms[i].vcpus);
	}
	nvms = w;
	return 0;
}

/* ------------------------------------------------ what a row shows */

struct row {
	double exits, col[ARRAY_SIZE(columns)], other, guest_pct;
	double pinned_mib;	/* VMs only, else -1 */
};

static void make_row(const struct stats *now, const struct stats *then, bool have_then,
		     double dt, struct row *r)
{
	size_t c;
	uint32_t i;
	double named = 0, all_reasons = 0;

	memset(r, 0, sizeof(*r));
	r->pinned_mib = -1;
	r->exits = rate(now, then, have_then, "exits", dt);
	for (c = 0; c < ARRAY_SIZE(columns); c++) {
		r->col[c] = rate(now, then, have_then, columns[c].stat, dt);
		named += r->col[c];
	}
	for (i = 0; i < now->n; i++)
		if (!strncmp(now->names[i], "exits_", 6))
			all_reasons += rate(now, then, have_then, now->names[i], dt);
	r->other = all_reasons > named ? all_reasons - named : 0;
	r->guest_pct = rate(now, then, have_then, "guest_time_ns", dt) / 1e7;
}

static void vm_row(const struct vm *vm, double dt, struct row *r)
{
	struct row v;
	int i;
	size_t c;

	memset(r, 0, sizeof(*r));
	for (i = 0; i < vm->nvcpus; i++) {
		make_row(&vm->vcpus[i].now, &vm->vcpus[i].then, vm->vcpus[i].have_then, dt, &v);
		r->exits += v.exits;
		for (c = 0; c < ARRAY_SIZE(columns); c++)
			r->col[c] += v.col[c];
		r->other += v.other;
		r->guest_pct += v.guest_pct;
	}
	r->pinned_mib = stat_val(&vm->now, "pages_pinned") * 4096.0 / (1 << 20);
}

static double sort_value(const struct row *r, const struct vm *vm, int key)
{
	switch (key) {
	case 1: return r->guest_pct;
	case 2: return r->col[0];
	case 3: return r->col[1];
	case 4: return r->col[2];
	case 5: return -(double)vm->pid;
	default: return r->exits;
	}
}

static int sort_key;
static double sort_dt;

static int cmp_vm(const void *a, const void *b)
{
	struct row ra, rb;
	double va, vb;

	vm_row(a, sort_dt, &ra);
	vm_row(b, sort_dt, &rb);
	va = sort_value(&ra, a, sort_key);
	vb = sort_value(&rb, b, sort_key);
	return va < vb ? 1 : va > vb ? -1 : 0;
}

static int cmp_vcpu(const void *a, const void *b)
{
	struct row ra, rb;
	const struct vcpu *x = a, *y = b;
	double va, vb;

	if (sort_key == 5)	/* by pid: vCPUs by id */
		return x->id - y->id;
	make_row(&x->now, &x->then, x->have_then, sort_dt, &ra);
	make_row(&y->now, &y->then, y->have_then, sort_dt, &rb);
	va = sort_value(&ra, NULL, sort_key);
	vb = sort_value(&rb, NULL, sort_key);
	return va < vb ? 1 : va > vb ? -1 : x->id - y->id;
}

static void sort_all(double dt)
{
	int i;

	sort_dt = dt;
	qsort(vms, nvms, sizeof(*vms), cmp_vm);
	for (i = 0; i < nvms; i++)
		qsort(vms[i].vcpus, vms[i].nvcpus, sizeof(struct vcpu), cmp_vcpu);
}

/* ------------------------------------------------------------ output */

static void print_row(const char *id, const char *comm, const struct row *r)
{
	size_t c;

	printf("%-14s %-12.12s %9.0f", id, comm, r->exits);
	for (c = 0; c < ARRAY_SIZE(columns); c++)
		printf(" %8.0f", r->col[c]);
	printf(" %8.0f %6.1f", r->other, r->guest_pct);
	if (r->pinned_mib >= 0)
		printf(" %8.1f", r->pinned_mib);
	printf("\n");
}

static void print_table(double dt, bool live)
{
	char when[32], id[48];
	time_t t = time(NULL);
	int i, j, ncpu = 0;
	size_t c;

	for (i = 0; i < nvms; i++)
		ncpu += vms[i].nvcpus;
	strftime(when, sizeof(when), "%H:%M:%S", localtime(&t));
	if (live)
		printf("\033[H\033[2J");
	printf("khv-stat %s  VMs: %d  vCPUs: %d  over %.1fs  sorted by %s%s\n", when,
	       nvms, ncpu, dt, sort_keys[sort_key], live ? "  (q: quit, s: sort)" : "");
	printf("%-14s %-12s %9s", "VM/VCPU", "COMMAND", "EXITS/s");
	for (c = 0; c < ARRAY_SIZE(columns); c++)
		printf(" %8s", columns[c].head);
	printf(" %8s %6s %8s\n", "OTHER", "GUEST%", "PIN MiB");
	for (i = 0; i < nvms; i++) {
		struct vm *vm = &vms[i];
		struct row r;

		vm_row(vm, dt, &r);
		snprintf(id, sizeof(id), "%d-%d", vm->pid, vm->fd);
		print_row(id, vm->comm, &r);
		for (j = 0; j < vm->nvcpus; j++) {
			struct vcpu *v = &vm->vcpus[j];

			make_row(&v->now, &v->then, v->have_then, dt, &r);
			snprintf(id, sizeof(id), "  vcpu%d", v->id);
			print_row(id, "", &r);
		}
	}
	if (!nvms)
		printf("(no khv VMs)\n");
	fflush(stdout);
}

static void json_string(const char *s)
{
	putchar('"');
	for (; *s; s++) {
		if (*s == '"' || *s == '\\')
			printf("\\%c", *s);
		else if ((unsigned char)*s < 0x20)
			printf("\\u%04x", *s);
		else
			putchar(*s);
	}
	putchar('"');
}

static void json_stats(const struct stats *now, const struct stats *then, bool have_then,
		       double dt)
{
	uint32_t i;
	bool first = true;

	printf("\"stats\": {");
	for (i = 0; i < now->n; i++) {
		printf("%s", i ? ", " : "");
		json_string(now->names[i]);
		printf(": %llu", (unsigned long long)now->val[i]);
	}
	printf("}, \"per_second\": {");
	for (i = 0; i < now->n; i++) {
		if (!cumulative(now, i))
			continue;
		printf("%s", first ? "" : ", ");
		first = false;
		json_string(now->names[i]);
		printf(": %.1f", rate(now, then, have_then, now->names[i], dt));
	}
	printf("}");
}

static void print_json(double dt)
{
	int i, j;

	printf("{\"time\": %ld, \"interval\": %.3f, \"vms\": [", (long)time(NULL), dt);
	for (i = 0; i < nvms; i++) {
		struct vm *vm = &vms[i];

		printf("%s{\"pid\": %d, \"fd\": %d, \"comm\": ", i ? ", " : "", vm->pid, vm->fd);
		json_string(vm->comm);
		printf(", ");
		json_stats(&vm->now, &vm->then, vm->have_then, dt);
		printf(", \"vcpus\": [");
		for (j = 0; j < vm->nvcpus; j++) {
			struct vcpu *v = &vm->vcpus[j];

			printf("%s{\"id\": %d, ", j ? ", " : "", v->id);
			json_stats(&v->now, &v->then, v->have_then, dt);
			printf("}");
		}
		printf("]}");
	}
	printf("]}\n");
	fflush(stdout);
}

/* ------------------------------------------------------------ main */

static struct termios saved_tty;
static bool tty_raw;

static void tty_restore(void)
{
	if (tty_raw)
		tcsetattr(STDIN_FILENO, TCSANOW, &saved_tty);
	tty_raw = false;
}

static void on_signal(int sig)
{
	tty_restore();
	signal(sig, SIG_DFL);
	raise(sig);
}

static void tty_setup(void)
{
	struct termios t;

	if (!isatty(STDIN_FILENO) || tcgetattr(STDIN_FILENO, &saved_tty))
		return;
	t = saved_tty;
	t.c_lflag &= ~(ICANON | ECHO);
	t.c_cc[VMIN] = 0;
	t.c_cc[VTIME] = 0;
	if (tcsetattr(STDIN_FILENO, TCSANOW, &t))
		return;
	tty_raw = true;
	atexit(tty_restore);
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
}

/* Wait @ms, acting on keys; false when the user quits. */
static bool wait_keys(int ms)
{
	struct pollfd p = { .fd = STDIN_FILENO, .events = POLLIN };
	struct timespec start, now;
	char c;

	if (!tty_raw) {
		usleep(ms * 1000);
		return true;
	}
	clock_gettime(CLOCK_MONOTONIC, &start);
	for (;;) {
		int left;

		clock_gettime(CLOCK_MONOTONIC, &now);
		left = ms - (int)((now.tv_sec - start.tv_sec) * 1000 +
				  (now.tv_nsec - start.tv_nsec) / 1000000);
		if (left <= 0)
			return true;
		if (poll(&p, 1, left) <= 0 || read(STDIN_FILENO, &c, 1) != 1)
			continue;
		if (c == 'q')
			return false;
		if (c == 's')
			sort_key = (sort_key + 1) % NSORT;
	}
}

static void usage(FILE *f)
{
	fprintf(f,
		"usage: khv-stat [-d SECONDS] [-n COUNT] [-s KEY] [--once] [--json] [--debugfs DIR]\n"
		"  -d, --delay SECONDS  time between samples (default 1)\n"
		"  -n, --count COUNT    stop after COUNT refreshes\n"
		"  -s, --sort KEY       exits (default), guest, io, npt, hlt, pid\n"
		"  --once               one table (or JSON object) over one interval, no\n"
		"                       screen control: for scripts and logs\n"
		"  --json               JSON: every counter of every VM and vCPU, and the\n"
		"                       cumulative ones per second\n"
		"  --debugfs DIR        where debugfs is mounted (default /sys/kernel/debug)\n");
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "delay", required_argument, NULL, 'd' },
		{ "count", required_argument, NULL, 'n' },
		{ "sort", required_argument, NULL, 's' },
		{ "once", no_argument, NULL, 'o' },
		{ "json", no_argument, NULL, 'j' },
		{ "debugfs", required_argument, NULL, 'D' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 }
	};
	bool once = false, json = false, live;
	double delay = 1.0;
	long count = -1;
	struct timespec a, b;
	size_t k;
	char *end;
	int c;

	while ((c = getopt_long(argc, argv, "d:n:s:h", opts, NULL)) != -1) {
		switch (c) {
		case 'd':
			delay = strtod(optarg, &end);
			if (*end || !(delay >= 0.1 && delay <= 3600)) {
				fprintf(stderr, "khv-stat: delay must be 0.1 to 3600 seconds\n");
				return 2;
			}
			break;
		case 'n':
			count = strtol(optarg, &end, 10);
			if (*end || count < 1) {
				fprintf(stderr, "khv-stat: count must be a positive number\n");
				return 2;
			}
			break;
		case 's':
			for (k = 0; k < NSORT && strcmp(optarg, sort_keys[k]); k++)
				;
			if (k == NSORT) {
				fprintf(stderr, "khv-stat: unknown sort key %s\n", optarg);
				return 2;
			}
			sort_key = (int)k;
			break;
		case 'o':
			once = true;
			break;
		case 'j':
			json = true;
			break;
		case 'D':
			debugfs = optarg;
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (optind < argc) {
		usage(stderr);
		return 2;
	}
	if (once)
		count = 1;
	live = !once && !json && isatty(STDOUT_FILENO);
	if (sample()) {
		fprintf(stderr, "khv-stat: cannot read %s/khv/vm: %s (is khv loaded, debugfs mounted, and are you root?)\n",
			debugfs, strerror(errno));
		return 1;
	}
	if (live)
		tty_setup();
	clock_gettime(CLOCK_MONOTONIC, &a);
	while (count != 0) {
		double dt;

		if (!wait_keys((int)(delay * 1000)))
			break;
		if (sample()) {
			fprintf(stderr, "khv-stat: %s/khv/vm went away (khv unloaded?)\n", debugfs);
			return 1;
		}
		clock_gettime(CLOCK_MONOTONIC, &b);
		dt = (b.tv_sec - a.tv_sec) + (b.tv_nsec - a.tv_nsec) / 1e9;
		a = b;
		sort_all(dt);
		if (json)
			print_json(dt);
		else
			print_table(dt, live);
		if (count > 0)
			count--;
	}
	return 0;
}
