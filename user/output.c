/* Lost output ends the run with one line and status 1: every path to exit
 * goes through td_output_status, and the loop stops as soon as
 * td_output_error says stdout no longer takes what it writes. */
#include <errno.h>
#include <fcntl.h>
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

void td_output_buffer(struct td_output *o)
{
	/* 1 MiB: a report, or a loop's events, then leaves in the explicit
	 * flush of td_output_error, whose errno says why a write failed (a
	 * flush stdio makes on its own loses that errno). A terminal keeps
	 * its line buffering. */
	static char buf[1 << 20]; /* glibc ignores the size without a buffer */

	if (!isatty(fileno(o->f)))
		setvbuf(o->f, buf, _IOFBF, sizeof(buf));
}

int td_output_error(struct td_output *o)
{
	errno = 0;
	if (fflush(o->f) == 0 && !ferror(o->f))
		return 0;
	/* The flush that failed says why; one after it finds nothing left. */
	if (!o->err)
		o->err = errno ? errno : EIO;
	return o->err;
}

int td_output_status(struct td_output *o, int status)
{
	int err;

	if (status)
		return status;
	err = td_output_error(o);
	if (!err)
		return 0;
	td_err("failed to write output: %s", strerror(err));
	return 1;
}
