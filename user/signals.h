/* How the commands that run until told to stop take their signals. */
#ifndef TD_SIGNALS_H
#define TD_SIGNALS_H

#include <stddef.h>

/* fn handles each of sigs[0..n), without SA_RESTART: a blocking poll or
 * wait returns at once (EINTR) when one arrives, as Ctrl-C should. */
void td_catch_signals(void (*fn)(int), const int *sigs, size_t n);

#endif
