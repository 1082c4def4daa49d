/* SPDX-License-Identifier: GPL-2.0 */
/* The command line. Pure: parses into struct vmm_config. */
#ifndef KHV_VMM_CLI_H
#define KHV_VMM_CLI_H

#include "config.h"

#include <stddef.h>
#include <stdio.h>

enum cli_result { CLI_RUN, CLI_HELP, CLI_ERROR };

/*
 * Parse argv. On CLI_ERROR `err` holds one line saying what is wrong.
 * `device_exists` decides the default device (NULL: access(2)).
 */
enum cli_result cli_parse(int argc, char **argv, struct vmm_config *cfg,
			  char *err, size_t errlen,
			  int (*device_exists)(const char *path));
/* "512M", "2G", "65536K", "512MiB"; a bare number is MiB. 0 or -EINVAL. */
int cli_parse_size(const char *s, unsigned long long *bytes);
void cli_usage(FILE *f);

#endif
