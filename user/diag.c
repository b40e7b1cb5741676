/* One-line diagnostics: a prefix, the message, a newline, nothing else. */
#include <stdarg.h>
#include "diag.h"

static void emit(FILE *f, const char *prefix, const char *fmt, va_list ap)
{
	fputs(prefix, f);
	vfprintf(f, fmt, ap);
	fputc('\n', f);
	fflush(f);
}

void td_errf(FILE *f, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	emit(f, "tcpdwell: ", fmt, ap);
	va_end(ap);
}

void td_err(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	emit(stderr, "tcpdwell: ", fmt, ap);
	va_end(ap);
}

void td_warn(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	emit(stderr, "tcpdwell: warning: ", fmt, ap);
	va_end(ap);
}
