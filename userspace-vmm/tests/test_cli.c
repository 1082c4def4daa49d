// SPDX-License-Identifier: GPL-2.0
/* Command-line parsing: sizes, defaults, the errors it must report. */
#include "cli.h"
#include "tap.h"

#include <errno.h>
#include <string.h>

static char err[256];

static int khv_present(const char *path) { return !strcmp(path, "/dev/khv"); }
static int khv_absent(const char *path) { (void)path; return 0; }

#define ARGV(...) ((char *[]){ "khv-vmm", __VA_ARGS__, NULL })
#define ARGC(...) ((int)(sizeof((char *[]){ "khv-vmm", __VA_ARGS__ }) / sizeof(char *)))
#define PARSE(cfg, exists, ...) \
	cli_parse(ARGC(__VA_ARGS__), ARGV(__VA_ARGS__), (cfg), err, sizeof(err), (exists))

static void sizes(void)
{
	unsigned long long b;

	CHECK_EQ(cli_parse_size("512M", &b), 0);
	CHECK_EQ(b, 512ULL << 20);
	CHECK_EQ(cli_parse_size("2G", &b), 0);
	CHECK_EQ(b, 2ULL << 30);
	CHECK_EQ(cli_parse_size("65536k", &b), 0);
	CHECK_EQ(b, 64ULL << 20);
	CHECK_EQ(cli_parse_size("256", &b), 0);		/* MiB */
	CHECK_EQ(b, 256ULL << 20);
	CHECK_EQ(cli_parse_size("1GiB", &b), 0);
	CHECK_EQ(b, 1ULL << 30);
	CHECK_EQ(cli_parse_size("12Q", &b), -EINVAL);
	CHECK_EQ(cli_parse_size("", &b), -EINVAL);
	CHECK_EQ(cli_parse_size("-1G", &b), -EINVAL);
	CHECK_EQ(cli_parse_size("M", &b), -EINVAL);
	CHECK_EQ(cli_parse_size("1MM", &b), -EINVAL);
	CHECK_EQ(cli_parse_size("99999999999999999999G", &b), -EINVAL);
}

static void defaults(void)
{
	struct vmm_config cfg;

	CHECK_EQ(PARSE(&cfg, khv_present, "--kernel", "bz"), CLI_RUN);
	CHECK(!strcmp(cfg.kernel, "bz"));
	CHECK_EQ(cfg.mem, 512ULL << 20);
	CHECK_EQ(cfg.cpus, 1);
	CHECK(!strcmp(cfg.cmdline, VMM_DEFAULT_CMDLINE));
	CHECK(!strcmp(cfg.device, "/dev/khv"));
	CHECK_EQ(cfg.nr_disks, 0);
	CHECK(cfg.net == NULL);
	CHECK(!cfg.no_irqchip);
	CHECK(!cfg.no_eventfd);
	CHECK_EQ(PARSE(&cfg, khv_absent, "--kernel", "bz"), CLI_RUN);
	CHECK(!strcmp(cfg.device, "/dev/kvm"));
}

static void all_options(void)
{
	struct vmm_config cfg;
	char d1[] = "a.img", d2[] = "b.img,ro";

	CHECK_EQ(PARSE(&cfg, khv_absent, "--kernel", "bz", "--initrd", "rd",
		       "--cmdline", "console=ttyS0 quiet", "--mem", "1G",
		       "--cpus", "1", "--disk", d1, "--disk", d2, "--net", "tap0",
		       "--device", "/dev/kvm", "--no-irqchip", "--no-eventfd", "-v"),
		 CLI_RUN);
	CHECK(!strcmp(cfg.initrd, "rd"));
	CHECK(!strcmp(cfg.cmdline, "console=ttyS0 quiet"));
	CHECK_EQ(cfg.mem, 1ULL << 30);
	CHECK_EQ(cfg.nr_disks, 2);
	CHECK(!strcmp(cfg.disk[0].path, "a.img") && !cfg.disk[0].read_only);
	CHECK(!strcmp(cfg.disk[1].path, "b.img") && cfg.disk[1].read_only);
	CHECK(!strcmp(cfg.net, "tap0"));
	CHECK_EQ(cfg.cpus, 1);
	CHECK(cfg.no_irqchip);
	CHECK(cfg.no_eventfd);
	CHECK(cfg.verbose);
}

static void cpus(void)
{
	struct vmm_config cfg;

	CHECK_EQ(PARSE(&cfg, khv_absent, "--kernel", "bz", "--cpus", "4"), CLI_RUN);
	CHECK_EQ(cfg.cpus, 4);
	CHECK_EQ(PARSE(&cfg, khv_absent, "--kernel", "bz", "--cpus", "64"), CLI_RUN);
	CHECK_EQ(cfg.cpus, 64);
	CHECK_EQ(PARSE(&cfg, khv_absent, "--kernel", "bz", "--cpus", "254"), CLI_RUN);
	CHECK_EQ(cfg.cpus, 254);
	/* The MP table's APIC IDs are 8 bits; the hypervisor's limit is
	 * checked once it is open (smp.c). */
	CHECK_EQ(PARSE(&cfg, khv_absent, "--kernel", "bz", "--cpus", "255"), CLI_ERROR);
	CHECK(strstr(err, "at most 254"));
	CHECK_EQ(PARSE(&cfg, khv_absent, "--kernel", "bz", "--cpus", "99999999999999999999"),
		 CLI_ERROR);
	CHECK_EQ(PARSE(&cfg, khv_absent, "--kernel", "bz", "--cpus", "4x"), CLI_ERROR);
	CHECK(strstr(err, "not a vCPU count"));
	CHECK_EQ(PARSE(&cfg, khv_absent, "--kernel", "bz", "--cpus", "-1"), CLI_ERROR);
	/* Without the in-kernel irqchip: one vCPU. */
	CHECK_EQ(PARSE(&cfg, khv_absent, "--kernel", "bz", "--no-irqchip", "--cpus", "2"),
		 CLI_ERROR);
	CHECK(strstr(err, "--no-irqchip"));
	CHECK_EQ(PARSE(&cfg, khv_absent, "--kernel", "bz", "--no-irqchip"), CLI_RUN);
	CHECK(cfg.no_irqchip);
}

static void errors(void)
{
	struct vmm_config cfg;

	CHECK_EQ(PARSE(&cfg, khv_absent, "--mem", "512M"), CLI_ERROR);
	CHECK(strstr(err, "--kernel is required"));
	CHECK_EQ(PARSE(&cfg, khv_absent, "--kernel", "bz", "--mem", "12Q"), CLI_ERROR);
	CHECK(strstr(err, "'12Q'"));
	CHECK_EQ(PARSE(&cfg, khv_absent, "--kernel", "bz", "--mem", "0"), CLI_ERROR);
	CHECK(strstr(err, "between"));
	CHECK_EQ(PARSE(&cfg, khv_absent, "--kernel", "bz", "--mem", "4G"), CLI_ERROR);
	CHECK_EQ(PARSE(&cfg, khv_absent, "--kernel", "bz", "--mem", "100K"), CLI_ERROR);
	CHECK_EQ(PARSE(&cfg, khv_absent, "--kernel", "bz", "--mem", "40000K"), CLI_ERROR);
	CHECK(strstr(err, "MiB"));
	CHECK_EQ(PARSE(&cfg, khv_absent, "--kernel", "bz", "--cpus", "x"), CLI_ERROR);
	CHECK_EQ(PARSE(&cfg, khv_absent, "--kernel", "bz", "--cpus", "0"), CLI_ERROR);
	CHECK_EQ(PARSE(&cfg, khv_absent, "--kernel", "bz", "--bogus"), CLI_ERROR);
	CHECK(strstr(err, "--bogus"));
	CHECK_EQ(PARSE(&cfg, khv_absent, "--kernel"), CLI_ERROR);
	CHECK_EQ(PARSE(&cfg, khv_absent, "--kernel", "bz", "stray"), CLI_ERROR);
	CHECK(strstr(err, "stray"));
	CHECK_EQ(PARSE(&cfg, khv_absent, "--kernel", "bz", "--net", ""), CLI_ERROR);
	CHECK_EQ(PARSE(&cfg, khv_absent, "--help"), CLI_HELP);
	CHECK_EQ(PARSE(&cfg, khv_absent, "-h"), CLI_HELP);
}

static void too_many_disks(void)
{
	struct vmm_config cfg;
	char d[9][8];
	char *argv[2 + 18 + 1] = { "khv-vmm", "--kernel", "bz" };
	int argc = 3;

	for (int i = 0; i < 9; i++) {
		snprintf(d[i], sizeof(d[i]), "d%d", i);
		argv[argc++] = "--disk";
		argv[argc++] = d[i];
	}
	argv[argc] = NULL;
	CHECK_EQ(cli_parse(argc, argv, &cfg, err, sizeof(err), khv_absent), CLI_ERROR);
	CHECK(strstr(err, "at most"));
}

int main(void)
{
	tap_begin();
	TEST(sizes);
	TEST(defaults);
	TEST(all_options);
	TEST(cpus);
	TEST(errors);
	TEST(too_many_disks);
	return tap_done();
}
