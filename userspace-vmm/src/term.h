/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The console: the guest's COM1 on stdin/stdout. A terminal on stdin is
 * put in raw mode and restored on every way out (normal exit, fatal and
 * terminating signals); Ctrl-a x then quits and Ctrl-a Ctrl-a sends one
 * Ctrl-a. Stdin may be anything else (a pipe, a file, /dev/null).
 */
#ifndef KHV_VMM_TERM_H
#define KHV_VMM_TERM_H

#include <stdint.h>

struct vm;

/* Raw mode (if stdin is a terminal) and the exit-path handlers. */
void term_setup(void);
void term_restore(void);
/* One byte of guest output. */
void term_output(void *ctx, uint8_t byte);
/* Start the thread feeding stdin to the UART. */
int term_start_input(struct vm *vm);

#endif
