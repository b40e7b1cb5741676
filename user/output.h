/* Whether the output got out: the one place that knows a write to stdout
 * failed, and the guard that keeps fds 0-2 from being handed out again. */
#ifndef TD_OUTPUT_H
#define TD_OUTPUT_H

#include <stdio.h>

/* Puts /dev/null on each of fds 0-2 that is closed, so that no socket, map
 * or listener later gets one of them. It is opened so that using it fails,
 * as gnulib's stdopen does: read-only on 1 and 2 (a write to a closed
 * stdout is EBADF, a lost output like any other), write-only on 0. 0, or
 * -errno when /dev/null cannot be opened. */
int td_guard_std_fds(void);

/* An output stream and its first failure: stdio drops the bytes of a
 * failed write, so a later flush no longer knows why they were lost. */
struct td_output {
	FILE *f;
	int fd;  /* what td_output_open's stream writes to */
	int err; /* errno of the first failure; 0 while none */
};

/* Before any output: o->f becomes a stream over fd whose every write(2)
 * (stdio's own flushes included) records the first failure's errno in
 * o->err, at the failure itself; fully buffered (1 MiB) off a terminal,
 * line-buffered on one. 0 or -errno. main makes it stdout. */
int td_output_open(struct td_output *o, int fd);
/* Flushes o->f: 0 when everything written to it so far got out, else the
 * errno of the first failure (recorded at the write for a td_output_open
 * stream) (EIO when the stream only says that it
 * failed). The error sticks: once lost, output stays lost. */
int td_output_error(struct td_output *o);

/* The status to exit with: status, or 1 after one line on stderr ("failed
 * to write output: ...") when status is 0 and output to o->f was lost.
 * Flushes o->f either way, so a failed run's output leaves before exit. A
 * run that already failed has said so; a second line would only repeat it. */
int td_output_status(struct td_output *o, int status);

#endif
