// SPDX-License-Identifier: GPL-2.0
/* Console on stdin/stdout. See term.h. */
#include "term.h"

#include "util.h"
#include "vm.h"

#include <errno.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <termios.h>
#include <unistd.h>

#define ESCAPE_KEY 0x01	/* Ctrl-a */

static struct termios saved;
static volatile sig_atomic_t raw_on;
static bool stdin_tty;
static bool output_broken;

void term_restore(void)
{
	if (raw_on) {
		tcsetattr(STDIN_FILENO, TCSAFLUSH, &saved);
		raw_on = 0;
	}
}

/* SIGINT, SIGTERM, SIGHUP, SIGQUIT: restore the terminal and leave. */
static void on_terminate(int sig)
{
	static const char msg[] = "\r\nkhv-vmm: terminated by a signal\n";

	term_restore();
	if (write(STDERR_FILENO, msg, sizeof(msg) - 1) < 0) {
		/* nothing more to do */
	}
	_exit(128 + sig);
}

/* Crashes: restore the terminal, then die of the same signal. */
static void on_fatal(int sig)
{
	term_restore();
	signal(sig, SIG_DFL);
	raise(sig);
}

static void install(int sig, void (*fn)(int), int flags)
{
	struct sigaction sa = { .sa_handler = fn, .sa_flags = flags };

	sigemptyset(&sa.sa_mask);
	sigaction(sig, &sa, NULL);
}

void term_setup(void)
{
	static const int terminate[] = { SIGINT, SIGTERM, SIGHUP, SIGQUIT };
	static const int fatal[] = { SIGSEGV, SIGBUS, SIGILL, SIGFPE, SIGABRT };
	struct termios raw;

	for (size_t i = 0; i < ARRAY_SIZE(terminate); i++)
		install(terminate[i], on_terminate, 0);
	for (size_t i = 0; i < ARRAY_SIZE(fatal); i++)
		install(fatal[i], on_fatal, SA_RESETHAND);
	signal(SIGPIPE, SIG_IGN);
	atexit(term_restore);
	stdin_tty = isatty(STDIN_FILENO);
	if (!stdin_tty || tcgetattr(STDIN_FILENO, &saved) < 0)
		return;
	raw = saved;
	cfmakeraw(&raw);
	raw.c_oflag |= OPOST | ONLCR;	/* our own messages keep their \r */
	if (tcsetattr(STDIN_FILENO, TCSAFLUSH, &raw) == 0)
		raw_on = 1;
}

void term_output(void *ctx, uint8_t byte)
{
	(void)ctx;
	if (output_broken)
		return;
	while (write(STDOUT_FILENO, &byte, 1) < 0) {
		if (errno != EINTR) {
			output_broken = true;	/* stdout closed: drop output */
			return;
		}
	}
}

/* Handle Ctrl-a sequences; returns the bytes for the guest in out. */
static size_t filter_escapes(struct vm *vm, const uint8_t *in, size_t n,
			     uint8_t *out, bool *esc)
{
	size_t m = 0;

	for (size_t i = 0; i < n; i++) {
		uint8_t b = in[i];

		if (!stdin_tty) {
			out[m++] = b;
		} else if (*esc) {
			*esc = false;
			if (b == 'x') {
				pthread_mutex_lock(&vm->lock);
				vm_stop_locked(vm, VM_QUIT);
				pthread_mutex_unlock(&vm->lock);
				return m;
			}
			if (b != ESCAPE_KEY)
				out[m++] = ESCAPE_KEY;
			out[m++] = b;
		} else if (b == ESCAPE_KEY) {
			*esc = true;
		} else {
			out[m++] = b;
		}
	}
	return m;
}

/* Hand bytes to the UART as its FIFO drains. */
static void feed(struct vm *vm, const uint8_t *buf, size_t n)
{
	size_t done = 0;

	pthread_mutex_lock(&vm->lock);
	while (done < n && vm->stop == VM_RUNNING) {
		done += serial8250_rx_push(&vm->uart, buf + done, n - done);
		if (done < n)
			pthread_cond_wait(&vm->uart_cond, &vm->lock);
	}
	pthread_mutex_unlock(&vm->lock);
}

static void *input_thread(void *arg)
{
	struct vm *vm = arg;
	uint8_t in[256], out[512];
	bool esc = false;

	for (;;) {
		ssize_t n = read(STDIN_FILENO, in, sizeof(in));

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return NULL;	/* end of input: the guest just sees none */
		feed(vm, out, filter_escapes(vm, in, (size_t)n, out, &esc));
	}
}

int term_start_input(struct vm *vm)
{
	pthread_t t;
	int err = pthread_create(&t, NULL, input_thread, vm);

	if (err)
		return vmm_err(-err, "cannot start the console thread");
	pthread_detach(t);
	return 0;
}
