// SPDX-License-Identifier: GPL-2.0
/* khv-vmm: boot a Linux guest on /dev/khv or /dev/kvm. */
#include "cli.h"
#include "term.h"
#include "util.h"
#include "vm.h"

#include <stdio.h>
#include <stdlib.h>

int main(int argc, char **argv)
{
	static struct vm vm;
	struct vmm_config cfg;
	char err[256];
	int status;

	switch (cli_parse(argc, argv, &cfg, err, sizeof(err), NULL)) {
	case CLI_HELP:
		cli_usage(stdout);
		return 0;
	case CLI_ERROR:
		vmm_msg("%s", err);
		return VM_ERROR;
	case CLI_RUN:
		break;
	}
	vmm_verbose = cfg.verbose;
	if (vm_create(&vm, &cfg))
		return VM_ERROR;
	vmm_debug("running on %s, %llu MiB", cfg.device,
		  (unsigned long long)(cfg.mem >> 20));
	term_setup();
	status = vm_run(&vm);
	term_restore();
	if (status == VM_POWEROFF)
		vmm_debug("guest powered off");
	else if (status == VM_QUIT)
		vmm_msg("quit from the console");
	fflush(stdout);
	/* Helper threads may still be blocked in read(); exit() ends them. */
	exit(status);
}
