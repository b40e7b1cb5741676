/* Signal handlers of the long-running commands (signals.h). */
#include <signal.h>
#include "signals.h"

void td_catch_signals(void (*fn)(int), const int *sigs, size_t n)
{
	struct sigaction sa;

	sigemptyset(&sa.sa_mask);
	sa.sa_handler = fn;
	sa.sa_flags = 0; /* no SA_RESTART */
	for (size_t i = 0; i < n; i++)
		sigaction(sigs[i], &sa, NULL);
}
