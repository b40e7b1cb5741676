/* Unit tests of user/output.c: lost output is seen by the one helper and
 * turns status 0 into 1; closed fds 0-2 get /dev/null, unusable. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
#include <criterion/criterion.h>
#include "test_util.h"
#include "output.h"

Test(output, nothing_lost)
{
	struct memout m;
	struct td_output o;

	memout_open(&m);
	o = (struct td_output){ .f = m.f };
	fputs("fine\n", m.f);
	cr_expect_eq(td_output_error(&o), 0);
	cr_expect_eq(td_output_status(&o, 0), 0);
	cr_expect_eq(td_output_status(&o, 2), 2);
	memout_free(&m);
}

Test(output, full_device_is_an_error_that_sticks)
{
	struct td_output o = { .f = fopen("/dev/full", "w") };
	FILE *f = o.f;

	cr_assert_not_null(f);
	fputs("lost\n", f);
	cr_expect_eq(td_output_error(&o), ENOSPC);
	cr_expect_eq(td_output_error(&o), ENOSPC, "a second look must still see it");
	fputs("more\n", f); /* written after the failure: still lost, still said */
	cr_expect_eq(td_output_error(&o), ENOSPC);
	cr_expect_eq(td_output_status(&o, 0), 1);
	cr_expect_eq(td_output_status(&o, 2), 2, "an earlier failure keeps its status");
	fclose(f);
}

Test(output, big_write_to_full_device)
{
	struct td_output o = { .f = fopen("/dev/full", "w") };
	FILE *f = o.f;
	char block[8192];

	cr_assert_not_null(f);
	memset(block, 'x', sizeof(block));
	fwrite(block, 1, sizeof(block), f); /* beyond the buffer: written at once, and failed */
	cr_expect_neq(td_output_error(&o), 0);
	fclose(f);
}

Test(output, broken_pipe)
{
	struct td_output o = { 0 };
	int p[2];
	FILE *f;

	signal(SIGPIPE, SIG_IGN);
	cr_assert_eq(pipe(p), 0);
	close(p[0]);
	f = fdopen(p[1], "w");
	cr_assert_not_null(f);
	fputs("nobody reads this\n", f);
	o.f = f;
	cr_expect_eq(td_output_error(&o), EPIPE);
	cr_expect_eq(td_output_status(&o, 0), 1);
	fclose(f);
}

/* The stream td_output_open makes records a failure at the write itself:
 * when stdio flushes a full buffer on its own, the reason is still known
 * (a later explicit flush finds nothing left and would only say EIO). */
Test(output, failure_recorded_at_the_write)
{
	static char block[3 << 20];
	struct td_output o;
	int fd = open("/dev/full", O_WRONLY);

	cr_assert_geq(fd, 0);
	cr_assert_eq(td_output_open(&o, fd), 0);
	memset(block, 'x', sizeof(block));
	fwrite(block, 1, sizeof(block), o.f); /* past the 1 MiB buffer: stdio's own write */
	cr_expect_eq(o.err, ENOSPC, "recorded before any explicit flush");
	fflush(o.f); /* what used to lose the reason */
	clearerr(o.f);
	cr_expect_eq(td_output_error(&o), ENOSPC);
	cr_expect_eq(td_output_status(&o, 0), 1);
	fclose(o.f);
	close(fd);
}

Test(output, recording_stream_passes_everything)
{
	struct td_output o;
	char got[64] = { 0 };
	int p[2];

	cr_assert_eq(pipe(p), 0);
	cr_assert_eq(td_output_open(&o, p[1]), 0);
	fprintf(o.f, "report %d\n", 42);
	cr_expect_eq(td_output_error(&o), 0);
	cr_expect_eq(read(p[0], got, sizeof(got) - 1), 10);
	cr_expect_str_eq(got, "report 42\n");
	cr_expect_eq(td_output_status(&o, 0), 0);
	fclose(o.f);
	close(p[0]);
	close(p[1]);
}

/* A failed run's output leaves at td_output_status, not from exit(), when
 * main's frame (and a cookie on it) would be gone. */
Test(output, failed_status_still_flushes)
{
	struct td_output o;
	char got[16] = { 0 };
	int p[2];

	cr_assert_eq(pipe(p), 0);
	cr_assert_eq(fcntl(p[0], F_SETFL, O_NONBLOCK), 0); /* nothing there: -1, not a hang */
	cr_assert_eq(td_output_open(&o, p[1]), 0);
	fputs("finding\n", o.f);
	cr_expect_eq(td_output_status(&o, 2), 2);
	cr_expect_eq(read(p[0], got, sizeof(got) - 1), 8);
	cr_expect_str_eq(got, "finding\n");
	fclose(o.f);
	close(p[0]);
	close(p[1]);
}

Test(output, recording_stream_broken_pipe)
{
	struct td_output o;
	int p[2];

	signal(SIGPIPE, SIG_IGN);
	cr_assert_eq(pipe(p), 0);
	close(p[0]);
	cr_assert_eq(td_output_open(&o, p[1]), 0);
	fputs("nobody reads this\n", o.f);
	cr_expect_eq(td_output_error(&o), EPIPE);
	fclose(o.f);
	close(p[1]);
}

/* Each test runs in a process of its own: closing fds 0-2 here is safe. */
Test(output, closed_std_fds_get_dev_null_unusable)
{
	int sock;

	close(0);
	close(1);
	close(2);
	cr_assert_eq(td_guard_std_fds(), 0);
	for (int fd = 0; fd <= 2; fd++)
		cr_assert_eq(fcntl(fd, F_GETFL) & O_ACCMODE, fd == 0 ? O_WRONLY : O_RDONLY, "fd %d", fd);
	cr_expect_eq(write(1, "x", 1), -1);
	cr_expect_eq(errno, EBADF);
	/* The next fd is above them: a socket never becomes stdout. */
	sock = socket(AF_INET, SOCK_STREAM, 0);
	cr_expect_gt(sock, 2);
	close(sock);
	/* And stdout's writes are then lost output, seen as such. */
	fputs("lost\n", stdout);
	cr_expect_eq(td_output_error(&(struct td_output){ .f = stdout }), EBADF);
}

Test(output, open_fds_are_left_alone)
{
	int flags = fcntl(1, F_GETFL);

	cr_assert_eq(td_guard_std_fds(), 0);
	cr_expect_eq(fcntl(1, F_GETFL), flags);
}

Test(output, a_gap_in_the_middle)
{
	close(1);
	cr_assert_eq(td_guard_std_fds(), 0);
	cr_expect_eq(fcntl(1, F_GETFL) & O_ACCMODE, O_RDONLY);
	cr_expect_neq(fcntl(0, F_GETFL) & O_ACCMODE, -1);
}
