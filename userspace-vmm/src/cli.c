// SPDX-License-Identifier: GPL-2.0
/* Command-line parsing. See cli.h. */
#include "cli.h"

#include <errno.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

void cli_usage(FILE *f)
{
	fputs(
"usage: khv-vmm --kernel BZIMAGE|VMLINUX [options]\n"
"\n"
"Boot a Linux bzImage in a virtual machine on /dev/khv or /dev/kvm.\n"
"With the hypervisor's in-kernel irqchip (LAPICs, IOAPIC, PIC, PIT) the\n"
"guest learns its vCPUs from an MP table; virtio devices are notified\n"
"through ioeventfds, served by an I/O thread and interrupt through irqfds.\n"
"Without it, one vCPU, with the PIC and PIT emulated by khv-vmm.\n"
"\n"
"  --kernel FILE     Linux bzImage (boot protocol 2.06+, 64-bit entry) or\n"
"                    uncompressed x86-64 ELF vmlinux (entered at e_entry)\n"
"  --initrd FILE     initial ramdisk\n"
"  --cmdline STR     kernel command line (default \"" VMM_DEFAULT_CMDLINE "\")\n"
"  --mem SIZE        guest RAM, e.g. 512M or 2G (default 512M, 32M..3G;\n"
"                    a bare number is MiB)\n"
"  --cpus N          vCPUs, 1..254 and as many as the hypervisor allows\n"
"                    (default 1); more than 1 needs its in-kernel irqchip\n"
"  --disk FILE[,ro]  a virtio-blk disk on a raw image (repeatable, up to 8)\n"
"  --net TAP         a virtio-net NIC on the existing tap interface TAP\n"
"  --device PATH     hypervisor device (default /dev/khv if present,\n"
"                    else /dev/kvm)\n"
"  --no-irqchip      emulate the PIC and PIT in khv-vmm and inject with\n"
"                    KVM_INTERRUPT (1 vCPU), as without KVM_CAP_IRQCHIP\n"
"  --no-eventfd      virtio notifications as exits on the vCPU thread and\n"
"                    interrupts by KVM_IRQ_LINE (or the PIC), as without\n"
"                    KVM_CAP_IOEVENTFD and KVM_CAP_IRQFD\n"
"  -v, --verbose     report devices and unhandled I/O on stderr\n"
"  -h, --help        this text\n"
"\n"
"The guest's COM1 (ttyS0) is stdin/stdout; on a terminal, Ctrl-a x quits.\n"
"Exit status: 0 the guest powered off (every vCPU halted), 1 error, 2 the\n"
"guest reset (reboot or panic), 3 quit from the console, 128+N signal N.\n", f);
}

int cli_parse_size(const char *s, unsigned long long *bytes)
{
	unsigned long long v, mult;
	char *end;

	if (!s || *s < '0' || *s > '9')
		return -EINVAL;
	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno)
		return -EINVAL;
	switch (*end) {
	case '\0': mult = 1ULL << 20; break;	/* bare number: MiB */
	case 'k': case 'K': mult = 1ULL << 10; end++; break;
	case 'm': case 'M': mult = 1ULL << 20; end++; break;
	case 'g': case 'G': mult = 1ULL << 30; end++; break;
	default: return -EINVAL;
	}
	if (!strcmp(end, "iB") || !strcmp(end, "B"))	/* 512MiB, 2GB */
		end += strlen(end);
	if (*end || v > ~0ULL / mult)
		return -EINVAL;
	*bytes = v * mult;
	return 0;
}

static void set_err(char *err, size_t len, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void set_err(char *err, size_t len, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(err, len, fmt, ap);
	va_end(ap);
}

static int default_exists(const char *path)
{
	return access(path, F_OK) == 0;
}

static int parse_mem(const char *arg, struct vmm_config *cfg, char *err,
		     size_t errlen)
{
	unsigned long long b;

	if (cli_parse_size(arg, &b)) {
		set_err(err, errlen, "--mem '%s': not a size (try 512M or 2G)", arg);
		return -1;
	}
	if (b < VMM_MIN_MEM || b > VMM_MAX_MEM) {
		set_err(err, errlen, "--mem '%s': must be between 32M and 3G", arg);
		return -1;
	}
	if (b % (1ULL << 20)) {
		set_err(err, errlen, "--mem '%s': must be a whole number of MiB", arg);
		return -1;
	}
	cfg->mem = b;
	return 0;
}

static int parse_cpus(const char *arg, struct vmm_config *cfg, char *err,
		      size_t errlen)
{
	char *end;
	long n;

	errno = 0;
	n = strtol(arg, &end, 10);
	if (errno || end == arg || *end || n < 1) {
		set_err(err, errlen, "--cpus '%s': not a vCPU count", arg);
		return -1;
	}
	if (n > VMM_MAX_CPUS) {
		set_err(err, errlen, "--cpus %s: at most %d (the MP table's APIC IDs "
			"are 8 bits)", arg, VMM_MAX_CPUS);
		return -1;
	}
	cfg->cpus = (unsigned int)n;
	return 0;
}

static int parse_disk(char *arg, struct vmm_config *cfg, char *err,
		      size_t errlen)
{
	struct vmm_disk *d;
	size_t len = strlen(arg);

	if (cfg->nr_disks >= VMM_MAX_DISKS) {
		set_err(err, errlen, "--disk: at most %d disks", VMM_MAX_DISKS);
		return -1;
	}
	d = &cfg->disk[cfg->nr_disks];
	d->read_only = false;
	if (len > 3 && !strcmp(arg + len - 3, ",ro")) {
		arg[len - 3] = '\0';
		d->read_only = true;
	}
	if (!*arg) {
		set_err(err, errlen, "--disk: empty file name");
		return -1;
	}
	d->path = arg;
	cfg->nr_disks++;
	return 0;
}

enum { OPT_KERNEL = 256, OPT_INITRD, OPT_CMDLINE, OPT_MEM, OPT_CPUS,
       OPT_DISK, OPT_NET, OPT_DEVICE, OPT_NO_IRQCHIP, OPT_NO_EVENTFD };

static const struct option options[] = {
	{ "kernel", required_argument, NULL, OPT_KERNEL },
	{ "initrd", required_argument, NULL, OPT_INITRD },
	{ "cmdline", required_argument, NULL, OPT_CMDLINE },
	{ "mem", required_argument, NULL, OPT_MEM },
	{ "cpus", required_argument, NULL, OPT_CPUS },
	{ "disk", required_argument, NULL, OPT_DISK },
	{ "net", required_argument, NULL, OPT_NET },
	{ "device", required_argument, NULL, OPT_DEVICE },
	{ "no-irqchip", no_argument, NULL, OPT_NO_IRQCHIP },
	{ "no-eventfd", no_argument, NULL, OPT_NO_EVENTFD },
	{ "verbose", no_argument, NULL, 'v' },
	{ "help", no_argument, NULL, 'h' },
	{ 0 },
};

static int parse_one(int opt, struct vmm_config *cfg, char *err, size_t errlen)
{
	switch (opt) {
	case OPT_KERNEL: cfg->kernel = optarg; return 0;
	case OPT_INITRD: cfg->initrd = optarg; return 0;
	case OPT_CMDLINE: cfg->cmdline = optarg; return 0;
	case OPT_MEM: return parse_mem(optarg, cfg, err, errlen);
	case OPT_CPUS: return parse_cpus(optarg, cfg, err, errlen);
	case OPT_DISK: return parse_disk(optarg, cfg, err, errlen);
	case OPT_NET:
		if (!*optarg) {
			set_err(err, errlen, "--net: empty interface name");
			return -1;
		}
		cfg->net = optarg;
		return 0;
	case OPT_DEVICE: cfg->device = optarg; return 0;
	case OPT_NO_IRQCHIP: cfg->no_irqchip = true; return 0;
	case OPT_NO_EVENTFD: cfg->no_eventfd = true; return 0;
	case 'v': cfg->verbose = true; return 0;
	default:
		set_err(err, errlen, "bad usage (see khv-vmm --help)");
		return -1;
	}
}

enum cli_result cli_parse(int argc, char **argv, struct vmm_config *cfg,
			  char *err, size_t errlen,
			  int (*device_exists)(const char *path))
{
	int opt;

	memset(cfg, 0, sizeof(*cfg));
	cfg->mem = VMM_DEFAULT_MEM;
	cfg->cpus = 1;
	cfg->cmdline = VMM_DEFAULT_CMDLINE;
	if (!device_exists)
		device_exists = default_exists;
	optind = 1;
	opterr = 0;
	while ((opt = getopt_long(argc, argv, "vh", options, NULL)) != -1) {
		if (opt == 'h')
			return CLI_HELP;
		if (opt == '?' || opt == ':') {
			set_err(err, errlen, "unknown option or missing argument: '%s' "
				"(see khv-vmm --help)", argv[optind - 1]);
			return CLI_ERROR;
		}
		if (parse_one(opt, cfg, err, errlen))
			return CLI_ERROR;
	}
	if (optind < argc) {
		set_err(err, errlen, "unexpected argument '%s' (see khv-vmm --help)",
			argv[optind]);
		return CLI_ERROR;
	}
	if (!cfg->kernel) {
		set_err(err, errlen, "--kernel is required (see khv-vmm --help)");
		return CLI_ERROR;
	}
	if (cfg->no_irqchip && cfg->cpus > 1) {
		set_err(err, errlen, "--cpus %u with --no-irqchip: more than one vCPU "
			"needs the in-kernel irqchip", cfg->cpus);
		return CLI_ERROR;
	}
	if (!cfg->device)
		cfg->device = device_exists("/dev/khv") ? "/dev/khv" : "/dev/kvm";
	return CLI_RUN;
}
