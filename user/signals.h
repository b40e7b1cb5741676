/* How the commands that run until told to stop take their signals, and how
 * their loops wait: for their fds or a signal, whichever comes first. */
#ifndef TD_SIGNALS_H
#define TD_SIGNALS_H

#include <stddef.h>

/* fn handles each of sigs[0..n), without SA_RESTART: a blocking call
 * returns at once (EINTR) when one arrives, as Ctrl-C should. Each signal
 * also wakes td_wait (a byte down a pipe), so one that lands between a
 * loop's check of its flag and its wait ends the wait at once instead of
 * after the wait's timeout. 0, or -errno (the handlers are installed
 * anyway; the waits then end at their timeouts). Call it once. */
int td_catch_signals(void (*fn)(int), const int *sigs, size_t n);

/* Waits until one of fds[0..n) is readable (a negative fd is skipped; at
 * most 8), a caught signal arrives, or ms pass (< 0: no limit); poll()'s
 * count, with a signal counted as one ready fd, or -errno. */
int td_wait(const int *fds, size_t n, int ms);

#endif
