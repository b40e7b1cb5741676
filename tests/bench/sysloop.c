/* The host-wide cost of a syscall tracepoint, for the benchmark: attaching
 * any program to a syscalls:sys_* tracepoint (tcpdwell's accept hooks)
 * sets the syscall-tracepoint work flag on every task, so every system
 * call of every process takes the slow path (trace_sys_enter/exit), even
 * though the program runs only for accept. This times a tight loop of a
 * cheap system call in bursts of 50,000, in the thread's CPU time (what
 * other loads on a shared machine steal is not counted), and prints the
 * median and the fastest burst's ns per call:
 *
 *   sysloop calls=2000000 bursts=40 ns_per_call=171.3 min=168.0 syscall=getppid
 *
 * Run it with and without a tracer attached, side by side. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/syscall.h>

static const char usage[] =
"Usage: sysloop [-n CALLS] [-r]\n"
"Times CALLS (default 2000000) getppid() system calls (-r: 1-byte read()s\n"
"of /dev/zero instead) in bursts of 50000, in CPU time, and prints the\n"
"median and fastest burst's ns per call as one line of key=value results.\n";

#define BURST 50000

static double cpu_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

int main(int argc, char **argv)
{
	long calls = 2000000;
	int use_read = 0, fd = -1, opt;
	char *end, byte;
	double *per;
	long bursts;

	while ((opt = getopt(argc, argv, "n:rh")) != -1) {
		switch (opt) {
		case 'n':
			errno = 0;
			calls = strtol(optarg, &end, 10);
			if (errno || *end || calls <= 0) {
				fprintf(stderr, "sysloop: -n '%s': want a positive number\n", optarg);
				return 2;
			}
			break;
		case 'r':
			use_read = 1;
			break;
		case 'h':
			fputs(usage, stdout);
			return 0;
		default:
			fputs(usage, stderr);
			return 2;
		}
	}
	if (use_read && (fd = open("/dev/zero", O_RDONLY)) < 0) {
		fprintf(stderr, "sysloop: failed to open /dev/zero: %s\n", strerror(errno));
		return 1;
	}
	bursts = (calls + BURST - 1) / BURST;
	per = calloc((size_t)bursts, sizeof(*per));
	if (!per) {
		fprintf(stderr, "sysloop: out of memory\n");
		return 1;
	}
	for (long b = 0; b < bursts; b++) {
		double t0 = cpu_ns();

		for (long i = 0; i < BURST; i++) {
			if (use_read)
				(void)!read(fd, &byte, 1);
			else
				syscall(SYS_getppid);
		}
		per[b] = (cpu_ns() - t0) / BURST;
	}
	qsort(per, (size_t)bursts, sizeof(*per), cmp_double);
	printf("sysloop calls=%ld bursts=%ld ns_per_call=%.1f min=%.1f syscall=%s\n", bursts * BURST, bursts,
	       per[bursts / 2], per[0], use_read ? "read" : "getppid");
	free(per);
	return 0;
}
