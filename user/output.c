/* Lost output ends the run with one line and status 1: every path to exit
 * goes through td_output_status, and the loop stops as soon as
 * td_output_error says stdout no longer takes what it writes. */
#define _GNU_SOURCE /* fopencookie */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include "diag.h"
#include "output.h"

int td_guard_std_fds(void)
{
	for (int fd = 0; fd <= 2; fd++) {
		int got;

		if (fcntl(fd, F_GETFD) >= 0 || errno != EBADF)
			continue;
		/* The lowest free fd: fd itself, as the ones below are open. */
		got = open("/dev/null", fd == 0 ? O_WRONLY : O_RDONLY);
		if (got < 0)
			return -errno;
		if (got != fd) {
			int moved = dup2(got, fd);

			close(got);
			if (moved < 0)
				return -errno;
		}
	}
	return 0;
}

/* Every write stdio makes for the stream, its own flushes included: the
 * first failure's errno is kept here, where it happens, so the exit status
 * and the reason never depend on which flush met it. */
static ssize_t write_recording(void *cookie, const char *buf, size_t len)
{
	struct td_output *o = cookie;
	size_t done = 0;

	while (done < len) {
		ssize_t n = write(o->fd, buf + done, len - done);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			if (!o->err)
				o->err = n < 0 ? errno : EIO;
			return done ? (ssize_t)done : -1;
		}
		done += (size_t)n;
	}
	return (ssize_t)done;
}

int td_output_open(struct td_output *o, int fd)
{
	/* 1 MiB off a terminal: a report, or a loop's events, in few writes;
	 * a terminal keeps its line buffering. */
	static char buf[1 << 20];
	cookie_io_functions_t io = { .write = write_recording };
	FILE *f;

	o->fd = fd;
	o->err = 0;
	f = fopencookie(o, "w", io);
	if (!f)
		return -errno;
	if (isatty(fd))
		setvbuf(f, NULL, _IOLBF, 0);
	else
		setvbuf(f, buf, _IOFBF, sizeof(buf));
	o->f = f;
	return 0;
}

int td_output_error(struct td_output *o)
{
	errno = 0;
	if (fflush(o->f) == 0 && !ferror(o->f) && !o->err)
		return 0;
	/* A stream not from td_output_open: the flush that failed says why;
	 * one after it finds nothing left. */
	if (!o->err)
		o->err = errno ? errno : EIO;
	return o->err;
}

int td_output_status(struct td_output *o, int status)
{
	int err;

	/* What a failed run printed goes out too (a report, doctor's
	 * findings), now rather than from exit(). */
	err = td_output_error(o);
	if (status)
		return status;
	if (!err)
		return 0;
	td_err("failed to write output: %s", strerror(err));
	return 1;
}
