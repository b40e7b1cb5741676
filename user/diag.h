/* The one diagnostic sink: every message is one line, "tcpdwell: ..." on
 * stderr (or the FILE * a parser was given), whatever the output format. */
#ifndef TD_DIAG_H
#define TD_DIAG_H

#include <stdio.h>

/* "tcpdwell: <message>\n" to f. The message has no trailing newline. */
void td_errf(FILE *f, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* The same to stderr. */
void td_err(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* "tcpdwell: warning: <message>\n" to stderr: the run goes on. */
void td_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif
