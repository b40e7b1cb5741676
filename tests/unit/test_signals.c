/* Unit tests of td_catch_signals (user/signals.c). */
#include <signal.h>
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

	td_catch_signals(on, sigs, 2);
	for (int i = 0; i < 2; i++) {
		cr_assert_eq(sigaction(sigs[i], NULL, &now), 0);
		cr_expect_eq(now.sa_handler, on);
		cr_expect_eq(now.sa_flags & SA_RESTART, 0, "signal %d restarts system calls", sigs[i]);
		got = 0;
		raise(sigs[i]);
		cr_expect_eq(got, sigs[i]);
	}
	signal(SIGUSR2, SIG_DFL);
	signal(SIGWINCH, SIG_DFL);
}
