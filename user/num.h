/* The one grammar of numbers on the command line, used by every numeric
 * option: decimal digits, a fraction only where the caller allows one,
 * then a unit word the caller checks. No sign, space, hex or exponent. */
#ifndef TD_NUM_H
#define TD_NUM_H

#include <stdbool.h>
#include <stdint.h>

struct td_num {
	uint64_t whole;   /* the digits before any '.' */
	double value;     /* the number with its fraction, for units that scale */
	const char *unit; /* what follows the number: "" when nothing does */
};

/* DIGITS, or with fraction also DIGITS.DIGITS and .DIGITS, at the start of
 * s; the rest is n->unit. 0, -EINVAL (no number there), or -ERANGE (the
 * digits exceed UINT64_MAX). n is untouched on error. */
int td_num_scan(const char *s, bool fraction, struct td_num *n);
/* A whole string of digits in [lo, hi]: 0, -EINVAL, or -ERANGE. */
int td_num_uint(const char *s, uint64_t lo, uint64_t hi, uint64_t *out);

#endif
