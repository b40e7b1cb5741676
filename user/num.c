/* The command line's number grammar, written once: every option that takes
 * a number (ports, pids, prefixes, sizes, durations, caps) scans it here,
 * so "0x10", "1e3" and " 5" are refused alike everywhere. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "num.h"

static size_t digits(const char *s)
{
	size_t n = 0;

	while (s[n] >= '0' && s[n] <= '9')
		n++;
	return n;
}

int td_num_scan(const char *s, bool fraction, struct td_num *n)
{
	size_t w, f = 0, len;
	char buf[64];
	uint64_t whole = 0;

	if (!s)
		return -EINVAL;
	w = digits(s);
	if (fraction && s[w] == '.')
		f = digits(s + w + 1);
	/* "5." and "." are not numbers; ".5" is, where a fraction is. */
	if (w == 0 && f == 0)
		return -EINVAL;
	len = f ? w + 1 + f : w;
	if (len >= sizeof(buf))
		return -ERANGE;
	for (size_t i = 0; i < w; i++) {
		unsigned d = (unsigned)(s[i] - '0');

		if (whole > (UINT64_MAX - d) / 10)
			return -ERANGE;
		whole = whole * 10 + d;
	}
	/* The text is plain decimal by now: strtod only rounds it. */
	memcpy(buf, s, len);
	buf[len] = '\0';
	n->whole = whole;
	n->value = strtod(buf, NULL);
	n->unit = s + len;
	return 0;
}

int td_num_uint(const char *s, uint64_t lo, uint64_t hi, uint64_t *out)
{
	struct td_num n;
	int err = td_num_scan(s, false, &n);

	if (err)
		return err;
	if (*n.unit)
		return -EINVAL;
	if (n.whole < lo || n.whole > hi)
		return -ERANGE;
	*out = n.whole;
	return 0;
}
