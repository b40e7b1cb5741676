/* Signal handlers of the long-running commands, and their loops' wait
 * (signals.h). A handler sets its command's flag, then writes a byte to a
 * pipe that td_wait polls with the command's own fds: the self-pipe trick,
 * which keeps the signals unblocked so that they still interrupt a blocking
 * write to a stalled pipe. */
#define _GNU_SOURCE /* pipe2 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <unistd.h>
#include "signals.h"

#define TD_WAIT_MAX_FDS 8

/* Written once by td_catch_signals, before any handler can run. */
static void (*handler_fn)(int);
static int wake[2] = { -1, -1 };

static void on_caught(int sig)
{
	int saved = errno;

	handler_fn(sig);
	if (wake[1] >= 0)
		(void)!write(wake[1], "", 1); /* full: a wake-up is pending anyway */
	errno = saved;
}

int td_catch_signals(void (*fn)(int), const int *sigs, size_t n)
{
	struct sigaction sa;
	int err = 0;

	handler_fn = fn;
	if (pipe2(wake, O_NONBLOCK | O_CLOEXEC)) {
		err = -errno;
		wake[0] = wake[1] = -1;
	}
	sigemptyset(&sa.sa_mask);
	sa.sa_handler = on_caught;
	sa.sa_flags = 0; /* no SA_RESTART */
	for (size_t i = 0; i < n; i++)
		sigaction(sigs[i], &sa, NULL);
	return err;
}

/* Empties the wake-up pipe: its bytes only say "look at the flags". */
static void drain_wakeups(void)
{
	char buf[64];

	while (read(wake[0], buf, sizeof(buf)) > 0)
		;
}

int td_wait(const int *fds, size_t n, int ms)
{
	struct pollfd p[TD_WAIT_MAX_FDS + 1];
	size_t k = 0;
	int r;

	for (size_t i = 0; i < n && k < TD_WAIT_MAX_FDS; i++)
		if (fds[i] >= 0)
			p[k++] = (struct pollfd){ .fd = fds[i], .events = POLLIN };
	if (wake[0] >= 0)
		p[k++] = (struct pollfd){ .fd = wake[0], .events = POLLIN };
	r = poll(p, k, ms);
	if (r > 0 && wake[0] >= 0 && p[k - 1].revents)
		drain_wakeups();
	if (r < 0 && errno == EINTR)
		return 1; /* a caught signal: the caller's flag says which */
	return r < 0 ? -errno : r;
}
