/* Unit tests of td_catch_signals and td_wait (user/signals.c). */
#include <signal.h>
#include <unistd.h>
#include <criterion/criterion.h>
#include "signals.h"

static volatile sig_atomic_t got;

static void on(int sig)
{
	got = sig;
}

Test(signals, each_signal_reaches_the_handler_without_restart)
{
	static const int sigs[] = { SIGUSR2, SIGWINCH };
	struct sigaction now;

	cr_assert_eq(td_catch_signals(on, sigs, 2), 0);
	for (int i = 0; i < 2; i++) {
		cr_assert_eq(sigaction(sigs[i], NULL, &now), 0);
		cr_expect_neq(now.sa_handler, SIG_DFL);
		cr_expect_eq(now.sa_flags & SA_RESTART, 0, "signal %d restarts system calls", sigs[i]);
		got = 0;
		raise(sigs[i]);
		cr_expect_eq(got, sigs[i]);
	}
}

/* The race a loop has: the signal lands after the loop checked its flag
 * and before it waits. The wait must not sleep through it (the timeout
 * fails the test if it does). */
Test(signals, a_signal_just_before_the_wait_ends_it, .timeout = 10)
{
	static const int sig = SIGUSR2;

	cr_assert_eq(td_catch_signals(on, &sig, 1), 0);
	got = 0;
	raise(sig);
	cr_assert_eq(got, sig);
	cr_assert_eq(td_wait(NULL, 0, -1), 1);
	/* Its wake-up is used up: the next wait times out. */
	cr_assert_eq(td_wait(NULL, 0, 0), 0);
}

Test(signals, the_wait_reports_a_readable_fd_and_skips_negative_ones, .timeout = 10)
{
	static const int sig = SIGUSR2;
	int p[2], fds[2];

	cr_assert_eq(td_catch_signals(on, &sig, 1), 0);
	cr_assert_eq(pipe(p), 0);
	fds[0] = -1;
	fds[1] = p[0];
	cr_assert_eq(td_wait(fds, 2, 0), 0);
	cr_assert_eq(write(p[1], "x", 1), 1);
	cr_assert_eq(td_wait(fds, 2, -1), 1);
	close(p[0]);
	close(p[1]);
}
