/* Helpers shared by the unit tests: capturing a FILE * into memory, running
 * a command line through the option parsers, a seeded PRNG, event builders,
 * line splitting and a small JSON reader that checks syntax and pulls
 * top-level fields out of one JSON Lines object. */
#ifndef TD_TEST_UTIL_H
#define TD_TEST_UTIL_H

#include <ctype.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <linux/types.h>
#include <criterion/criterion.h>
#include "tcpdwell.h"
#include "agg.h"
#include "opts.h"

#define N(a) (sizeof(a) / sizeof((a)[0]))

/* ---- output captured in memory ---- */

struct memout {
	FILE *f;
	char *buf;
	size_t len;
};

static inline void memout_open(struct memout *m)
{
	m->buf = NULL;
	m->len = 0;
	m->f = open_memstream(&m->buf, &m->len);
	cr_assert_not_null(m->f, "open_memstream failed");
}

/* Closes the stream and returns its NUL-terminated contents (owned by m). */
static inline const char *memout_close(struct memout *m)
{
	cr_assert_eq(fclose(m->f), 0);
	m->f = NULL;
	return m->buf;
}

static inline void memout_free(struct memout *m)
{
	if (m->f)
		fclose(m->f);
	free(m->buf);
	m->buf = NULL;
}

static inline size_t count_char(const char *s, char c)
{
	size_t n = 0;

	for (; *s; s++)
		n += *s == c;
	return n;
}

/* ---- command lines: td_parse_args and td_parse_snapshot_args ---- */

enum cmd { CMD_TRACE, CMD_SNAP };

struct run {
	int rc;
	int argc;
	char *argv[32];
	struct memout out, err;
	struct td_config *cfg;  /* tracing's, or &snap->cfg */
	struct snap_opts *snap; /* CMD_SNAP only */
};

#define ARGS(...) ((const char *const[]){ __VA_ARGS__, NULL })

/* Runs cmd's parser on its argv[0] followed by the NULL-terminated args.
 * argv holds heap copies that live until run_free (cfg points into them). */
static inline void run_cmd(struct run *r, enum cmd cmd, const char *const *args)
{
	r->argc = 0;
	r->argv[r->argc++] = strdup(cmd == CMD_SNAP ? "snapshot" : "tcpdwell");
	for (; *args; args++) {
		cr_assert_lt(r->argc, (int)N(r->argv) - 1);
		r->argv[r->argc++] = strdup(*args);
	}
	r->argv[r->argc] = NULL;
	r->snap = cmd == CMD_SNAP ? malloc(sizeof(*r->snap)) : NULL;
	r->cfg = cmd == CMD_SNAP ? (r->snap ? &r->snap->cfg : NULL) : malloc(sizeof(*r->cfg));
	cr_assert_not_null(r->cfg);
	memout_open(&r->out);
	memout_open(&r->err);
	if (cmd == CMD_SNAP)
		r->rc = td_parse_snapshot_args(r->snap, r->argc, r->argv, r->out.f, r->err.f);
	else
		r->rc = td_parse_args(r->cfg, r->argc, r->argv, r->out.f, r->err.f);
	memout_close(&r->out);
	memout_close(&r->err);
}

static inline void run_args(struct run *r, const char *const *args)
{
	run_cmd(r, CMD_TRACE, args);
}

static inline void run_free(struct run *r)
{
	for (int i = 0; i < r->argc; i++)
		free(r->argv[i]);
	if (r->snap)
		free(r->snap);
	else
		free(r->cfg);
	memout_free(&r->out);
	memout_free(&r->err);
}

/* Parses args, expects status 2, nothing on out and exactly one
 * "tcpdwell: ..." line on err; returns with r still to be freed. */
static inline void expect_usage_error_in(struct run *r, enum cmd cmd, const char *const *args, const char *what)
{
	run_cmd(r, cmd, args);
	cr_expect_eq(r->rc, TD_EXIT_USAGE, "%s: status %d", what, r->rc);
	cr_expect_str_empty(r->out.buf, "%s: wrote to out: %s", what, r->out.buf);
	cr_expect_eq(count_char(r->err.buf, '\n'), 1, "%s: err is not one line: '%s'", what, r->err.buf);
	cr_expect_eq(r->err.buf[r->err.len ? r->err.len - 1 : 0], '\n', "%s: err not newline-terminated", what);
	cr_expect_eq(strncmp(r->err.buf, "tcpdwell: ", 10), 0, "%s: err lacks prefix: '%s'", what, r->err.buf);
}

static inline void expect_usage_error(struct run *r, const char *const *args, const char *what)
{
	expect_usage_error_in(r, CMD_TRACE, args, what);
}

static inline void check_rejected_in(enum cmd cmd, const char *const *args, const char *what)
{
	struct run r;

	expect_usage_error_in(&r, cmd, args, what);
	run_free(&r);
}

static inline void check_rejected(const char *const *args, const char *what)
{
	check_rejected_in(CMD_TRACE, args, what);
}

/* Splits a copy of s at '\n' into at most max lines; returns the count. The
 * text must end with '\n' (renderers always end lines). Free *copy. */
static inline size_t split_lines(const char *s, char **copy, char **lines, size_t max)
{
	size_t n = 0;
	char *p;

	*copy = strdup(s);
	cr_assert_not_null(*copy);
	p = *copy;
	while (*p) {
		char *nl = strchr(p, '\n');

		cr_assert_not_null(nl, "unterminated last line: '%s'", p);
		cr_assert_lt(n, max, "more than %zu lines", max);
		*nl = '\0';
		lines[n++] = p;
		p = nl + 1;
	}
	return n;
}

/* ---- deterministic random numbers (xorshift64*) ---- */

struct rng {
	uint64_t s;
};

static inline uint64_t rng_next(struct rng *r)
{
	r->s ^= r->s >> 12;
	r->s ^= r->s << 25;
	r->s ^= r->s >> 27;
	return r->s * 0x2545F4914F6CDD1Dull;
}

/* Uniform in [0, 1). */
static inline double rng_unit(struct rng *r)
{
	return (double)(rng_next(r) >> 11) * (1.0 / 9007199254740992.0);
}

static inline int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return (x > y) - (x < y);
}

/* The exact p-th percentile (p in 1..100) with the histogram's definition:
 * the ceil(p*n/100)-th smallest of the sorted samples. */
static inline uint64_t exact_pct(const uint64_t *sorted, size_t n, unsigned p)
{
	size_t rank = (p * n + 99) / 100;

	if (rank == 0)
		rank = 1;
	return sorted[rank - 1];
}

/* ---- events ---- */

static inline struct td_event make_event(int oldstate, int newstate, uint8_t flags, uint64_t dwell_ns)
{
	struct td_event e;

	memset(&e, 0, sizeof(e));
	e.type = TD_REC_TRANSITION;
	e.family = 4;
	e.oldstate = (__u8)oldstate;
	e.newstate = (__u8)newstate;
	e.flags = flags;
	e.dwell_ns = dwell_ns;
	return e;
}

/* A zeroed aggregate on the heap (it is ~400 KiB); filled with junk first
 * so that a reset which misses a field shows up. */
static inline struct td_agg *new_agg(void)
{
	struct td_agg *a = malloc(sizeof(*a));

	cr_assert_not_null(a);
	memset(a, 0x5a, sizeof(*a));
	td_agg_reset(a);
	return a;
}

static inline void add(struct td_agg *a, int oldstate, int newstate, uint8_t flags, uint64_t dwell_ns)
{
	struct td_event e = make_event(oldstate, newstate, flags, dwell_ns);

	td_agg_add(a, &e);
}

/* ---- JSON ---- */

static inline const char *json_ws(const char *p)
{
	while (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r')
		p++;
	return p;
}

static inline const char *json_value(const char *p, int depth);

static inline const char *json_string(const char *p)
{
	if (*p != '"')
		return NULL;
	for (p++; *p != '"'; p++) {
		unsigned char c = (unsigned char)*p;

		if (c < 0x20) /* raw control characters are not allowed */
			return NULL;
		if (c != '\\')
			continue;
		p++;
		if (*p == 'u') {
			for (int i = 1; i <= 4; i++)
				if (!isxdigit((unsigned char)p[i]))
					return NULL;
			p += 4;
		} else if (!*p || !strchr("\"\\/bfnrt", *p)) {
			return NULL;
		}
	}
	return p + 1;
}

static inline const char *json_number(const char *p)
{
	const char *start;

	if (*p == '-')
		p++;
	if (*p == '0')
		p++;
	else if (*p >= '1' && *p <= '9')
		while (isdigit((unsigned char)*p))
			p++;
	else
		return NULL;
	if (*p == '.') {
		start = ++p;
		while (isdigit((unsigned char)*p))
			p++;
		if (p == start)
			return NULL;
	}
	if (*p == 'e' || *p == 'E') {
		p++;
		if (*p == '+' || *p == '-')
			p++;
		start = p;
		while (isdigit((unsigned char)*p))
			p++;
		if (p == start)
			return NULL;
	}
	return p;
}

static inline const char *json_value(const char *p, int depth)
{
	if (depth > 32)
		return NULL;
	p = json_ws(p);
	switch (*p) {
	case '{':
		p = json_ws(p + 1);
		if (*p == '}')
			return p + 1;
		for (;;) {
			p = json_string(json_ws(p));
			if (!p)
				return NULL;
			p = json_ws(p);
			if (*p != ':')
				return NULL;
			p = json_value(p + 1, depth + 1);
			if (!p)
				return NULL;
			p = json_ws(p);
			if (*p == '}')
				return p + 1;
			if (*p != ',')
				return NULL;
			p++;
		}
	case '[':
		p = json_ws(p + 1);
		if (*p == ']')
			return p + 1;
		for (;;) {
			p = json_value(p, depth + 1);
			if (!p)
				return NULL;
			p = json_ws(p);
			if (*p == ']')
				return p + 1;
			if (*p != ',')
				return NULL;
			p++;
		}
	case '"':
		return json_string(p);
	case 't':
		return strncmp(p, "true", 4) ? NULL : p + 4;
	case 'f':
		return strncmp(p, "false", 5) ? NULL : p + 5;
	case 'n':
		return strncmp(p, "null", 4) ? NULL : p + 4;
	default:
		return json_number(p);
	}
}

/* Whether line is exactly one JSON object (JSON Lines). */
static inline bool json_is_object(const char *line)
{
	const char *end;

	if (*json_ws(line) != '{')
		return false;
	end = json_value(line, 0);
	return end && *json_ws(end) == '\0';
}

/* The raw text of the first `"key":` value in line, up to the next ',' or
 * '}' (enough for numbers, null and strings without those characters). */
static inline bool json_raw(const char *line, const char *key, char *out, size_t len)
{
	char pat[64];
	const char *p;
	size_t n;

	snprintf(pat, sizeof(pat), "\"%s\":", key);
	p = strstr(line, pat);
	if (!p)
		return false;
	p += strlen(pat);
	n = strcspn(p, ",}");
	if (n >= len)
		return false;
	memcpy(out, p, n);
	out[n] = '\0';
	return true;
}

/* The first `"key":<unsigned number>` of line; fails the test if absent. */
static inline uint64_t json_u64(const char *line, const char *key)
{
	char raw[32], *end;
	unsigned long long v;

	cr_assert(json_raw(line, key, raw, sizeof(raw)), "no \"%s\" in %s", key, line);
	cr_assert(isdigit((unsigned char)raw[0]), "\"%s\" is not a number in %s", key, line);
	v = strtoull(raw, &end, 10);
	cr_assert_eq(*end, '\0', "\"%s\" is not an integer in %s", key, line);
	return v;
}

#endif /* TD_TEST_UTIL_H */
