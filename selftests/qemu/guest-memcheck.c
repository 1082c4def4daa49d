// SPDX-License-Identifier: GPL-2.0
/*
 * guest-memcheck MIB: the continuity checker the nested guest runs while
 * QEMU saves, restores or migrates it (selftests/qemu/qemu-migrate-test).
 *
 * It fills MIB MiB of its memory with a pattern that depends on the pass,
 * the page and the word, and then forever: checks every word of the last
 * pass's pattern and writes the next one, page by page. Between pages it
 * reads CLOCK_MONOTONIC and CLOCK_REALTIME and counts any step backwards.
 * About every two seconds (monotonic) it prints one line on stdout:
 *
 *   KHV-MEMCHECK: pass P ... max-gap-ms G report R loc L mono-ms M tsc T
 *
 * E counts words that did not hold what the last pass wrote (a page lost,
 * stale or torn by a save/restore or migration), B clock steps backwards,
 * G the longest time between two pages (the pause a migration caused, as
 * the guest saw it). The numbers only grow; the first error and the first
 * backwards step are described on lines of their own.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>

#define PAGE_WORDS	512

/* The LOC row of /proc/interrupts, summed over the CPUs. */
static unsigned long long loc_interrupts(void)
{
	unsigned long long sum = 0, n;
	char line[512], *p, *end;
	FILE *f = fopen("/proc/interrupts", "r");

	if (!f)
		return 0;
	while (fgets(line, sizeof(line), f)) {
		p = line;
		while (*p == ' ')
			p++;
		if (strncmp(p, "LOC:", 4))
			continue;
		for (p += 4;; p = end) {
			n = strtoull(p, &end, 10);
			if (end == p)
				break;
			sum += n;
		}
		break;
	}
	fclose(f);
	return sum;
}

static uint64_t now_ns(clockid_t c)
{
	struct timespec ts;

	clock_gettime(c, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + ts.tv_nsec;
}

static uint64_t rdtsc(void)
{
	uint32_t lo, hi;

	__asm__ volatile("rdtsc" : "=a"(lo), "=d"(hi));
	return (uint64_t)hi << 32 | lo;
}

/* What word @w of page @p holds after pass @pass (never 0 past pass 0). */
static uint64_t pattern(uint64_t pass, uint64_t p, uint64_t w)
{
	uint64_t x = pass * 0x9e3779b97f4a7c15ull ^ (p << 9 | w);

	x ^= x >> 31;
	x *= 0xbf58476d1ce4e5b9ull;
	return x ^ x >> 29;
}

int main(int argc, char **argv)
{
	uint64_t mib = argc > 1 ? strtoull(argv[1], NULL, 0) : 64;
	uint64_t pages = mib * 256, pass, p, w;
	uint64_t errors = 0, backwards = 0, max_gap = 0, report = 0;
	uint64_t last_mono, last_real, last_report, tsc0, mono0, tsc_per_2s;
	uint64_t *mem;

	mem = mmap(NULL, pages * 4096, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);
	if (mem == MAP_FAILED) {
		printf("KHV-MEMCHECK: cannot map %llu MiB\n", (unsigned long long)mib);
		return 1;
	}
	setvbuf(stdout, NULL, _IOLBF, 0);
	for (p = 0; p < pages; p++)
		for (w = 0; w < PAGE_WORDS; w++)
			mem[p * PAGE_WORDS + w] = pattern(0, p, w);
	/*
	 * The TSC's rate against CLOCK_MONOTONIC over 0.2 s: reports then
	 * follow the TSC, so a guest whose clock stands still still reports
	 * (and shows it: mono-ms stops while tsc goes on).
	 */
	tsc0 = rdtsc();
	mono0 = now_ns(CLOCK_MONOTONIC);
	while (now_ns(CLOCK_MONOTONIC) - mono0 < 200000000ull)
		;
	tsc_per_2s = (rdtsc() - tsc0) * 10;
	last_mono = now_ns(CLOCK_MONOTONIC);
	last_real = now_ns(CLOCK_REALTIME);
	last_report = rdtsc();
	printf("KHV-MEMCHECK: start %llu MiB\n", (unsigned long long)mib);
	for (pass = 1;; pass++) {
		for (p = 0; p < pages; p++) {
			uint64_t *pg = &mem[p * PAGE_WORDS], mono, real;

			for (w = 0; w < PAGE_WORDS; w++) {
				uint64_t want = pattern(pass - 1, p, w);

				if (pg[w] != want && !errors++)
					printf("KHV-MEMCHECK: first error: pass %llu page %llu word %llu: %#llx, want %#llx\n",
					       (unsigned long long)pass, (unsigned long long)p,
					       (unsigned long long)w, (unsigned long long)pg[w],
					       (unsigned long long)want);
				pg[w] = pattern(pass, p, w);
			}
			mono = now_ns(CLOCK_MONOTONIC);
			real = now_ns(CLOCK_REALTIME);
			if (mono < last_mono || real < last_real) {
				if (!backwards++)
					printf("KHV-MEMCHECK: first backwards step: monotonic %llu -> %llu, realtime %llu -> %llu\n",
					       (unsigned long long)last_mono, (unsigned long long)mono,
					       (unsigned long long)last_real, (unsigned long long)real);
			} else if (mono - last_mono > max_gap) {
				max_gap = mono - last_mono;
			}
			last_mono = mono;
			last_real = real;
			if (rdtsc() - last_report >= tsc_per_2s) {
				last_report = rdtsc();
				printf("KHV-MEMCHECK: pass %llu pages %llu errors %llu backwards %llu max-gap-ms %llu report %llu loc %llu mono-ms %llu tsc %llu\n",
				       (unsigned long long)pass, (unsigned long long)p,
				       (unsigned long long)errors, (unsigned long long)backwards,
				       (unsigned long long)(max_gap / 1000000),
				       (unsigned long long)++report, loc_interrupts(),
				       (unsigned long long)(mono / 1000000),
				       (unsigned long long)last_report);
			}
		}
	}
}
