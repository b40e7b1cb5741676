/* Unit tests of user/render.c: duration and address formatting, event lines
 * (text and JSON) and reports (text and JSON), all rendered to memory. */
#include <math.h>
#include <time.h>
#include <arpa/inet.h>
#include <criterion/criterion.h>
#include "test_util.h"
#include "render.h"
#include "states.h"

/* 1700000000 s is 2023-11-14 22:13:20 UTC. */
#define WALL_S 1700000000ull
#define WALL_NS (WALL_S * 1000000000ull)

static void utc(void)
{
	setenv("TZ", "UTC", 1);
	tzset();
}

TestSuite(render, .init = utc);

static const struct td_render_opts narrow = { .wide = false, .realtime_offset_ns = (int64_t)WALL_NS };
static const struct td_render_opts wide = { .wide = true, .realtime_offset_ns = (int64_t)WALL_NS };

static void set_v4(uint8_t *dst, const char *s)
{
	cr_assert_eq(inet_pton(AF_INET, s, dst), 1, "%s", s);
}

static void set_v6(uint8_t *dst, const char *s)
{
	cr_assert_eq(inet_pton(AF_INET6, s, dst), 1, "%s", s);
}

/* A client's ESTABLISHED -> FIN_WAIT1 after 1.5 ms, at 22:13:20.123 UTC. */
static struct td_event crafted_v4(void)
{
	struct td_event e = make_event(TD_ESTABLISHED, TD_FIN_WAIT1,
				       TD_F_PID_KNOWN | TD_F_DWELL_KNOWN, 1500000);

	e.ts_ns = 123456789;
	e.pid = 1234;
	strcpy(e.comm, "curl");
	set_v4(e.saddr, "10.0.0.1");
	set_v4(e.daddr, "93.184.216.34");
	e.sport = 40000;
	e.dport = 443;
	e.netns = 4026531840u;
	e.cgroup_id = 12345;
	e.skaddr = 0xffff888012345678ull;
	return e;
}

static struct td_event crafted_v6(void)
{
	struct td_event e = crafted_v4();

	e.family = 6;
	e.oldstate = TD_SYN_SENT;
	e.newstate = TD_ESTABLISHED;
	memset(e.saddr, 0, sizeof(e.saddr));
	memset(e.daddr, 0, sizeof(e.daddr));
	set_v6(e.saddr, "2001:db8::1");
	set_v6(e.daddr, "fe80::abcd:1");
	return e;
}

static const char *render_event(struct memout *m, const struct td_render_opts *o,
				const struct td_event *e, bool json)
{
	memout_open(m);
	if (json)
		td_render_event_json(m->f, o, e, NULL);
	else
		td_render_event_text(m->f, o, e);
	return memout_close(m);
}

/* ---- td_fmt_duration / td_fmt_addr ---- */

Test(render, fmt_duration_examples)
{
	static const struct { uint64_t ns; const char *s; } cases[] = {
		{ 0, "0ns" }, { 1, "1ns" }, { 153, "153ns" }, { 999, "999ns" },
		{ 1000, "1us" }, { 1500, "1.5us" }, { 12345, "12.3us" }, { 999499, "999us" },
		{ 999500, "1ms" }, { 999999, "1ms" }, { 1000000, "1ms" }, { 1020000, "1.02ms" },
		{ 1234567, "1.23ms" }, { 201000000, "201ms" }, { 999499999, "999ms" },
		{ 999999999, "1s" }, { 1000000000, "1s" }, { 61200000000ull, "61.2s" },
		{ 999499999999ull, "999s" }, { 999999999999ull, "1000s" }, { 3600000000000ull, "3600s" },
		{ 86400000000000ull, "86400s" },
	};
	char buf[32];

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		cr_expect_str_eq(td_fmt_duration(buf, sizeof(buf), cases[i].ns), cases[i].s,
				 "%" PRIu64 " ns", cases[i].ns);
}

/* Any value prints as <number><unit> (never an exponent) within 0.5%. */
Test(render, fmt_duration_never_exponent)
{
	struct rng r = { 2024 };

	for (int i = 0; i < 100000; i++) {
		uint64_t ns = i < 64 ? (1ull << i) - 1 : (rng_next(&r) >> (rng_next(&r) % 64)) % 100000000000000ull;
		char buf[32], *end;
		double v, scale, err;

		td_fmt_duration(buf, sizeof(buf), ns);
		cr_assert(isdigit((unsigned char)buf[0]), "%" PRIu64 " -> %s", ns, buf);
		v = strtod(buf, &end);
		cr_assert_null(strpbrk(buf, "eE+"), "%" PRIu64 " -> %s", ns, buf);
		if (!strcmp(end, "ns"))
			scale = 1;
		else if (!strcmp(end, "us"))
			scale = 1e3;
		else if (!strcmp(end, "ms"))
			scale = 1e6;
		else if (!strcmp(end, "s"))
			scale = 1e9;
		else
			cr_assert_fail("%" PRIu64 " -> %s: bad unit", ns, buf);
		if (scale < 1e9)
			cr_assert_lt(v, 1000, "%" PRIu64 " -> %s: should use a larger unit", ns, buf);
		err = ns ? fabs(v * scale - (double)ns) / (double)ns : v;
		cr_assert_leq(err, 0.005, "%" PRIu64 " -> %s (error %.4f)", ns, buf, err);
	}
}

Test(render, fmt_addr)
{
	uint8_t a[16] = { 0 };
	char buf[64];

	set_v4(a, "127.0.0.1");
	cr_assert_str_eq(td_fmt_addr(buf, sizeof(buf), 4, a), "127.0.0.1");
	set_v4(a, "255.255.255.255");
	cr_assert_str_eq(td_fmt_addr(buf, sizeof(buf), 4, a), "255.255.255.255");
	memset(a, 0, sizeof(a));
	set_v6(a, "::1");
	cr_assert_str_eq(td_fmt_addr(buf, sizeof(buf), 6, a), "::1");
	set_v6(a, "2001:db8:0:1:2:3:4:5");
	cr_assert_str_eq(td_fmt_addr(buf, sizeof(buf), 6, a), "2001:db8:0:1:2:3:4:5");
	set_v6(a, "::ffff:192.0.2.1");
	cr_assert_str_eq(td_fmt_addr(buf, sizeof(buf), 6, a), "::ffff:192.0.2.1");
	/* A buffer too small for the address gives "?" rather than a stub. */
	cr_assert_str_eq(td_fmt_addr(buf, 8, 6, a), "?");
}

/* ---- event lines, text ---- */

Test(render, event_text_exact)
{
	struct td_event e = crafted_v4();
	struct memout m;

	render_event(&m, &narrow, &e, false);
	cr_assert_str_eq(m.buf,
		"22:13:20.123 1234    curl             10.0.0.1        40000 "
		"93.184.216.34   443   ESTABLISHED -> FIN_WAIT1   1.500\n");
	memout_free(&m);
}

Test(render, event_text_unknown_pid_and_dwell)
{
	struct td_event e = crafted_v4();
	struct memout m;

	e.flags = 0; /* pid, comm and dwell_ns are junk now */
	render_event(&m, &narrow, &e, false);
	cr_assert_str_eq(m.buf,
		"22:13:20.123 -       -                10.0.0.1        40000 "
		"93.184.216.34   443   ESTABLISHED -> FIN_WAIT1   -\n");
	memout_free(&m);

	e.flags = TD_F_PID_KNOWN;
	render_event(&m, &narrow, &e, false);
	cr_assert_str_eq(m.buf,
		"22:13:20.123 1234    curl             10.0.0.1        40000 "
		"93.184.216.34   443   ESTABLISHED -> FIN_WAIT1   -\n");
	memout_free(&m);

	e.flags = TD_F_DWELL_KNOWN;
	e.dwell_ns = 61234567890ull;
	render_event(&m, &narrow, &e, false);
	cr_assert_str_eq(m.buf,
		"22:13:20.123 -       -                10.0.0.1        40000 "
		"93.184.216.34   443   ESTABLISHED -> FIN_WAIT1   61234.568\n");
	memout_free(&m);
}

Test(render, event_text_wide_ipv6)
{
	struct td_event e = crafted_v6();
	struct memout m;

	render_event(&m, &wide, &e, false);
	cr_assert_str_eq(m.buf,
		"22:13:20.123 1234    curl             2001:db8::1                             40000 "
		"fe80::abcd:1                            443   SYN_SENT    -> ESTABLISHED 1.500\n");
	memout_free(&m);
}

/* The header's column names start where the row's fields start. */
static void check_columns(const struct td_render_opts *o, const struct td_event *e,
			  const char *laddr, const char *raddr)
{
	static const char *const cols[] = { "PID", "COMM", "LADDR", "LPORT", "RADDR", "RPORT",
					    "OLDSTATE", "NEWSTATE", "MS" };
	const char *fields[] = { "1234", "curl", laddr, "40000", raddr, "443", td_state_name(e->oldstate),
				 td_state_name(e->newstate), "1.500" };
	struct memout h, row;
	const char *p = NULL;

	memout_open(&h);
	td_render_event_header(h.f, o);
	memout_close(&h);
	render_event(&row, o, e, false);
	cr_assert_eq(count_char(h.buf, '\n'), 1);
	cr_assert_eq(strncmp(h.buf, "TIME ", 5), 0, "%s", h.buf);
	for (size_t i = 0; i < sizeof(cols) / sizeof(cols[0]); i++) {
		const char *c = strstr(h.buf, cols[i]);
		const char *f = strstr(p ? p : row.buf, fields[i]);

		cr_assert_not_null(c, "%s", cols[i]);
		cr_assert_not_null(f, "%s", fields[i]);
		cr_expect_eq(c - h.buf, f - row.buf, "%s at %td, %s at %td\n%s%s", cols[i], c - h.buf,
			     fields[i], f - row.buf, h.buf, row.buf);
		p = f + strlen(fields[i]);
	}
	memout_free(&h);
	memout_free(&row);
}

Test(render, event_header_aligns)
{
	struct td_event v4 = crafted_v4(), v6 = crafted_v6();

	check_columns(&narrow, &v4, "10.0.0.1", "93.184.216.34");
	check_columns(&wide, &v4, "10.0.0.1", "93.184.216.34");
	check_columns(&wide, &v6, "2001:db8::1", "fe80::abcd:1");
}

Test(render, event_text_full_comm)
{
	/* A 16-byte comm without a NUL, at the very end of an exact-size
	 * block: printed whole, nothing read past it (ASan build). */
	struct td_event *e = malloc(sizeof(*e));
	struct memout m;

	*e = crafted_v4();
	memcpy(e->comm, "0123456789abcdef", TD_COMM_LEN);
	render_event(&m, &narrow, e, false);
	cr_assert_not_null(strstr(m.buf, " 1234    0123456789abcdef 10.0.0.1 "), "%s", m.buf);
	memout_free(&m);
	render_event(&m, &narrow, e, true);
	cr_assert_not_null(strstr(m.buf, "\"comm\":\"0123456789abcdef\","), "%s", m.buf);
	cr_assert(json_is_object(m.buf), "%s", m.buf);
	memout_free(&m);
	free(e);
}

/* ---- event lines, JSON ---- */

Test(render, event_json_exact_ipv6_and_escapes)
{
	struct td_event e = crafted_v6();
	struct memout m;

	memset(e.comm, 0, sizeof(e.comm));
	memcpy(e.comm, "a\"b\001c\\d\te", 9);
	render_event(&m, &narrow, &e, true);
	cr_assert_str_eq(m.buf,
		"{\"type\":\"transition\",\"time_ns\":1700000000123456789,\"pid\":1234,"
		"\"comm\":\"a\\\"b\\u0001c\\\\d\\u0009e\",\"family\":6,"
		"\"saddr\":\"2001:db8::1\",\"sport\":40000,\"daddr\":\"fe80::abcd:1\",\"dport\":443,"
		"\"old\":\"SYN_SENT\",\"new\":\"ESTABLISHED\",\"dwell_ns\":1500000,"
		"\"netns\":4026531840,\"cgroup_id\":12345,\"skaddr\":\"0xffff888012345678\"}\n");
	cr_assert(json_is_object(m.buf), "%s", m.buf);
	memout_free(&m);
}

Test(render, event_json_unknown_pid_and_dwell_are_null)
{
	struct td_event e = crafted_v4();
	struct memout m;

	e.flags = 0;
	render_event(&m, &narrow, &e, true);
	cr_assert_str_eq(m.buf,
		"{\"type\":\"transition\",\"time_ns\":1700000000123456789,\"pid\":null,\"comm\":null,"
		"\"family\":4,\"saddr\":\"10.0.0.1\",\"sport\":40000,\"daddr\":\"93.184.216.34\",\"dport\":443,"
		"\"old\":\"ESTABLISHED\",\"new\":\"FIN_WAIT1\",\"dwell_ns\":null,"
		"\"netns\":4026531840,\"cgroup_id\":12345,\"skaddr\":\"0xffff888012345678\"}\n");
	cr_assert(json_is_object(m.buf), "%s", m.buf);
	memout_free(&m);
}

Test(render, event_json_any_comm_is_valid_json)
{
	struct rng r = { 5 };

	for (int i = 0; i < 2000; i++) {
		struct td_event e = crafted_v4();
		struct memout m;

		for (int k = 0; k < TD_COMM_LEN; k++)
			e.comm[k] = (char)(rng_next(&r) & 0xff);
		render_event(&m, &narrow, &e, true);
		cr_assert(json_is_object(m.buf), "%s", m.buf);
		for (const char *p = m.buf; *p; p++)
			cr_assert_lt((unsigned char)*p, 0x80, "raw byte 0x%02x in %s", (unsigned char)*p, m.buf);
		memout_free(&m);
	}
}

/* ---- reports ---- */

Test(render, report_text_exact)
{
	struct td_agg *a = new_agg();
	struct td_loss l = { 0 };
	struct memout m;

	/* 1..100 ns: every value has its own bucket, so percentiles are exact. */
	for (uint64_t v = 1; v <= 100; v++)
		add(a, TD_ESTABLISHED, TD_FIN_WAIT1, TD_F_DWELL_KNOWN, v);
	for (int i = 0; i < 3; i++)
		add(a, TD_FIN_WAIT2, TD_CLOSE, 0, 0);
	add(a, TD_CLOSE, TD_SYN_SENT, 0, 0);
	add(a, TD_CLOSE, TD_SYN_SENT, TD_F_DWELL_KNOWN, 99);

	memout_open(&m);
	td_render_report_text(m.f, a, &l, WALL_NS + 999999999);
	memout_close(&m);
	cr_assert_str_eq(m.buf,
		"22:13:20 tcpdwell: 105 transitions, 0 lost\n"
		"\n"
		"ESTABLISHED  count 100  p50 50ns  p90 90ns  p99 99ns  max 100ns\n"
		"       1ns .. 2ns               1 |*                                       |\n"
		"       2ns .. 5ns               3 |***                                     |\n"
		"       5ns .. 10ns              5 |****                                    |\n"
		"      10ns .. 20ns             10 |********                                |\n"
		"      20ns .. 50ns             30 |************************                |\n"
		"      50ns .. 100ns            50 |****************************************|\n"
		"     100ns .. 200ns             1 |*                                       |\n"
		"\n"
		"FIN_WAIT2    count 0  p50 -  p90 -  p99 -  max -  (+3 of unknown dwell)\n"
		"\n"
		"TRANSITIONS\n"
		"  ESTABLISHED  -> FIN_WAIT1           100\n"
		"  FIN_WAIT2    -> CLOSE                 3\n"
		"  CLOSE        -> SYN_SENT              2\n");
	memout_free(&m);
	free(a);
}

Test(render, report_text_loss_and_empty)
{
	struct td_agg *a = new_agg();
	struct td_loss l = { .ringbuf = 3, .recursion = 1, .no_storage = 2 };
	struct memout m;

	memout_open(&m);
	td_render_report_text(m.f, a, &l, WALL_NS);
	memout_close(&m);
	cr_assert_str_eq(m.buf,
		"22:13:20 tcpdwell: 0 transitions, 4 lost across all sockets, before filtering (ring buffer full: 3, kernel recursion: 1, mini socks untracked: 0; "
		"raise --ringbuf-size), 2 without socket storage\n"
		"\n"
		"(no dwell times yet)\n");
	memout_free(&m);

	l = (struct td_loss){ .no_storage = 7 };
	memout_open(&m);
	td_render_report_text(m.f, a, &l, WALL_NS + 3600000000000ull);
	memout_close(&m);
	cr_assert_str_eq(m.buf, "23:13:20 tcpdwell: 0 transitions, 0 lost, 7 without socket storage\n"
				"\n(no dwell times yet)\n");
	memout_free(&m);
	free(a);
}

/* Checks the bar rows under a state line: contiguous 1-2-5 ranges whose
 * counts add up to the state's count, bars scaled to the fullest row. */
static void check_bars(char **lines, size_t n, size_t first, uint64_t count)
{
	uint64_t total = 0, top = 0, counts[64];
	char prev_hi[16] = "";
	size_t rows = 0;

	for (size_t i = first; i < n && lines[i][0] == ' '; i++, rows++) {
		char lo[16], hi[16], bar[64];
		unsigned long long c;
		int stars;

		cr_assert_lt(rows, 64);
		cr_assert_eq(sscanf(lines[i], " %15s .. %15s %llu |%63[* ]|", lo, hi, &c, bar), 4,
			     "bad bar row: '%s'", lines[i]);
		cr_assert_eq(strlen(bar), 40, "'%s'", lines[i]);
		stars = (int)strspn(bar, "*");
		cr_assert_eq(strspn(bar + stars, " "), strlen(bar + stars), "'%s'", lines[i]);
		cr_assert_eq(stars > 0, c > 0, "'%s'", lines[i]);
		if (rows)
			cr_assert_str_eq(lo, prev_hi, "rows not contiguous at '%s'", lines[i]);
		strcpy(prev_hi, hi);
		counts[rows] = c;
		total += c;
		if (c > top)
			top = c;
	}
	cr_assert_gt(rows, 0, "no bars");
	cr_assert_eq(total, count, "bar counts add up to %" PRIu64 ", not %" PRIu64, total, count);
	for (size_t r = 0; r < rows; r++) {
		int stars = (int)strspn(strchr(lines[first + r], '|') + 1, "*");

		cr_assert_eq(stars, (int)((counts[r] * 40 + top - 1) / top), "'%s'", lines[first + r]);
	}
}

/* Renders n samples as SYN_SENT dwells and checks the stats line and bars;
 * when first_row is given, it must be the first bar row's text up to '|'. */
static void check_text_report(const uint64_t *s, size_t n, const char *first_row)
{
	struct td_agg *a = new_agg();
	struct td_loss l = { 0 };
	struct memout m;
	char *copy, *lines[256], want[128], p50[16], p90[16], p99[16], max[16];
	uint64_t *sorted = malloc(n * sizeof(*sorted));
	size_t nl, at = 0;

	for (size_t i = 0; i < n; i++)
		add(a, TD_SYN_SENT, TD_ESTABLISHED, TD_F_DWELL_KNOWN, s[i]);
	memcpy(sorted, s, n * sizeof(*s));
	qsort(sorted, n, sizeof(*sorted), cmp_u64);
	memout_open(&m);
	td_render_report_text(m.f, a, &l, WALL_NS);
	memout_close(&m);
	nl = split_lines(m.buf, &copy, lines, 256);
	for (size_t i = 0; i < nl; i++)
		if (!strncmp(lines[i], "SYN_SENT ", 9))
			at = i;
	cr_assert_gt(at, 0, "no SYN_SENT line in\n%s", m.buf);
	/* The stats line shows the histogram's own percentiles... */
	snprintf(want, sizeof(want), "SYN_SENT     count %zu  p50 %s  p90 %s  p99 %s  max %s", n,
		 td_fmt_duration(p50, sizeof(p50), hist_quantile(&a->dwell[TD_SYN_SENT], 0.50)),
		 td_fmt_duration(p90, sizeof(p90), hist_quantile(&a->dwell[TD_SYN_SENT], 0.90)),
		 td_fmt_duration(p99, sizeof(p99), hist_quantile(&a->dwell[TD_SYN_SENT], 0.99)),
		 td_fmt_duration(max, sizeof(max), sorted[n - 1]));
	cr_assert_str_eq(lines[at], want);
	/* ...which are within 1% of the exact ones. */
	for (unsigned p = 50; p <= 99; p += p == 50 ? 40 : 9) {
		uint64_t exact = exact_pct(sorted, n, p), got = hist_quantile(&a->dwell[TD_SYN_SENT], p / 100.0);

		cr_assert_leq(fabs((double)got - (double)exact), exact * 0.01, "p%u %" PRIu64 " vs %" PRIu64,
			      p, got, exact);
	}
	check_bars(lines, nl, at + 1, n);
	if (first_row)
		cr_assert_eq(strncmp(lines[at + 1], first_row, strlen(first_row)), 0, "'%s'", lines[at + 1]);
	free(copy);
	free(sorted);
	memout_free(&m);
	free(a);
}

Test(render, report_text_bars_random)
{
	struct rng r = { 11 };
	static const size_t sizes[] = { 1, 2, 17, 1000, 20000 };

	for (size_t k = 0; k < sizeof(sizes) / sizeof(sizes[0]); k++) {
		size_t n = sizes[k];
		uint64_t *s = malloc(n * sizeof(*s));

		for (size_t i = 0; i < n; i++)
			s[i] = (uint64_t)exp(rng_unit(&r) * log(600e9)); /* 1 ns .. 10 min */
		check_text_report(s, n, NULL);
		for (size_t i = 0; i < n; i++)
			s[i] = 10000000 + rng_next(&r) % 5000000; /* 10 .. 15 ms */
		check_text_report(s, n, NULL);
		free(s);
	}
}

Test(render, report_text_bars_with_zero)
{
	/* A dwell of 0 ns must still show up in the bars. */
	static const uint64_t s[] = { 0, 0, 5, 12, 3000 };

	check_text_report(s, sizeof(s) / sizeof(s[0]), "       0ns .. 10ns              3 |");
}

/* Fills an aggregate with known samples; the JSON report must agree. */
Test(render, report_json)
{
	struct rng r = { 3 };
	const size_t n_est = 5000, n_syn = 333;
	uint64_t *est = malloc(n_est * sizeof(*est)), *syn = malloc(n_syn * sizeof(*syn));
	uint64_t est_sum = 0, syn_sum = 0;
	struct td_agg *a = new_agg();
	struct td_loss l = { .ringbuf = 3, .recursion = 1, .no_storage = 2 };
	struct memout m;
	char *copy, *lines[64], raw[64];
	size_t nl;

	for (size_t i = 0; i < n_est; i++) {
		est[i] = (uint64_t)exp(rng_unit(&r) * log(600e9));
		est_sum += est[i];
		add(a, TD_ESTABLISHED, i % 2 ? TD_FIN_WAIT1 : TD_CLOSE_WAIT, TD_F_DWELL_KNOWN, est[i]);
	}
	for (size_t i = 0; i < n_syn; i++) {
		syn[i] = 20000000 + rng_next(&r) % 180000000; /* 20 .. 200 ms */
		syn_sum += syn[i];
		add(a, TD_SYN_SENT, TD_ESTABLISHED, TD_F_DWELL_KNOWN, syn[i]);
	}
	add(a, TD_ESTABLISHED, TD_FIN_WAIT1, 0, 0);  /* unknown, also in ESTABLISHED */
	for (int i = 0; i < 3; i++)
		add(a, TD_FIN_WAIT2, TD_CLOSE, 0, 0); /* FIN_WAIT2: unknown only */
	add(a, TD_CLOSE, TD_SYN_SENT, 0, 0);          /* no dwell at all */
	qsort(est, n_est, sizeof(*est), cmp_u64);
	qsort(syn, n_syn, sizeof(*syn), cmp_u64);

	memout_open(&m);
	td_render_report_json(m.f, a, &l, 1795250328999599410ull, 10000000000ull);
	memout_close(&m);
	nl = split_lines(m.buf, &copy, lines, 64);
	for (size_t i = 0; i < nl; i++)
		cr_assert(json_is_object(lines[i]), "line %zu is not a JSON object: %s", i + 1, lines[i]);

	/* One histogram per state that has something, in state order. */
	cr_assert_geq(nl, 3);
	for (int h = 0; h < 3; h++) {
		static const char *const state[] = { "\"ESTABLISHED\"", "\"SYN_SENT\"", "\"FIN_WAIT2\"" };
		static const uint64_t unknown[] = { 1, 0, 3 };
		const uint64_t *s = h == 0 ? est : h == 1 ? syn : NULL;
		size_t n = h == 0 ? n_est : h == 1 ? n_syn : 0;
		const char *line = lines[h], *b;
		uint64_t bsum = 0, prev = 0;

		cr_assert(json_raw(line, "type", raw, sizeof(raw)));
		cr_assert_str_eq(raw, "\"histogram\"", "%s", line);
		cr_assert(json_raw(line, "state", raw, sizeof(raw)));
		cr_assert_str_eq(raw, state[h], "%s", line);
		cr_assert_eq(json_u64(line, "count"), n, "%s", line);
		cr_assert_eq(json_u64(line, "unknown"), unknown[h], "%s", line);
		if (!n) {
			static const char *const nulls[] = { "min_ns", "p50_ns", "p90_ns", "p99_ns", "max_ns" };

			for (size_t k = 0; k < sizeof(nulls) / sizeof(nulls[0]); k++) {
				cr_assert(json_raw(line, nulls[k], raw, sizeof(raw)), "%s in %s", nulls[k], line);
				cr_assert_str_eq(raw, "null", "%s in %s", nulls[k], line);
			}
			cr_assert_eq(json_u64(line, "sum_ns"), 0);
			cr_assert_not_null(strstr(line, "\"buckets\":[]}"), "%s", line);
			continue;
		}
		cr_assert_eq(json_u64(line, "min_ns"), s[0]);
		cr_assert_eq(json_u64(line, "max_ns"), s[n - 1]);
		cr_assert_eq(json_u64(line, "sum_ns"), h == 0 ? est_sum : syn_sum);
		for (unsigned p = 50; p <= 99; p += p == 50 ? 40 : 9) {
			char key[16];
			uint64_t got, exact = exact_pct(s, n, p);

			snprintf(key, sizeof(key), "p%u_ns", p);
			got = json_u64(line, key);
			cr_expect_leq(fabs((double)got - (double)exact), exact * 0.01,
				      "%s %s: %" PRIu64 ", exact %" PRIu64, state[h], key, got, exact);
		}
		/* Buckets: ascending le_ns, each a real bucket bound, the
		 * cumulative count equal to the samples <= le_ns. */
		b = strstr(line, "\"buckets\":[");
		cr_assert_not_null(b, "%s", line);
		for (b = strstr(b, "{\"le_ns\":"); b; b = strstr(b + 1, "{\"le_ns\":")) {
			unsigned long long le, c;
			size_t below = 0;

			cr_assert_eq(sscanf(b, "{\"le_ns\":%llu,\"count\":%llu}", &le, &c), 2, "%.40s", b);
			cr_assert_gt(c, 0, "empty bucket listed");
			cr_assert(bsum == 0 || le > prev, "le_ns not ascending at %llu", le);
			cr_assert_eq(hist_bucket_high(hist_index(le)), le, "%llu is not a bucket bound", le);
			bsum += c;
			prev = le;
			while (below < n && s[below] <= le)
				below++;
			cr_assert_eq(bsum, below, "%s: %zu samples <= %llu, buckets say %" PRIu64,
				     state[h], below, le, bsum);
		}
		cr_assert_eq(bsum, n, "%s: bucket counts add up to %" PRIu64, state[h], bsum);
	}

	/* Then the transitions, in (old, new) order, then the summary. */
	cr_assert_eq(nl, 3 + 5 + 1, "\n%s", m.buf);
	cr_assert_str_eq(lines[3], "{\"type\":\"transitions\",\"old\":\"ESTABLISHED\",\"new\":\"FIN_WAIT1\",\"count\":2501}");
	cr_assert_str_eq(lines[4], "{\"type\":\"transitions\",\"old\":\"ESTABLISHED\",\"new\":\"CLOSE_WAIT\",\"count\":2500}");
	cr_assert_str_eq(lines[5], "{\"type\":\"transitions\",\"old\":\"SYN_SENT\",\"new\":\"ESTABLISHED\",\"count\":333}");
	cr_assert_str_eq(lines[6], "{\"type\":\"transitions\",\"old\":\"FIN_WAIT2\",\"new\":\"CLOSE\",\"count\":3}");
	cr_assert_str_eq(lines[7], "{\"type\":\"transitions\",\"old\":\"CLOSE\",\"new\":\"SYN_SENT\",\"count\":1}");
	cr_assert_str_eq(lines[8], "{\"type\":\"summary\",\"events\":5338,\"lost\":4,\"lost_ringbuf\":3,"
				   "\"lost_recursion\":1,\"lost_untracked_mini\":0,\"lost_scope\":\"all_sockets\",\"no_storage\":2,"
				   "\"time_ns\":1795250328999599410,\"interval_ns\":10000000000}");
	free(copy);
	memout_free(&m);
	free(est);
	free(syn);
	free(a);
}

Test(render, report_json_empty)
{
	struct td_agg *a = new_agg();
	struct td_loss l = { 0 };
	struct memout m;

	memout_open(&m);
	td_render_report_json(m.f, a, &l, 7, 0);
	memout_close(&m);
	cr_assert_str_eq(m.buf, "{\"type\":\"summary\",\"events\":0,\"lost\":0,\"lost_ringbuf\":0,"
				"\"lost_recursion\":0,\"lost_untracked_mini\":0,\"lost_scope\":\"all_sockets\",\"no_storage\":0,"
				"\"time_ns\":7,\"interval_ns\":0}\n");
	memout_free(&m);
	free(a);
}

/* ---- addresses wider than their column (issue 12) ---- */

/* Without -w an address column is 15 wide (all of IPv4); a longer one
 * keeps its last 14 characters after '~', so every column after it stays
 * under its heading. */
Test(render, event_text_long_address_keeps_columns)
{
	struct td_event e = crafted_v6();
	struct memout m;

	set_v6(e.saddr, "2001:db8:1234::42");   /* 17 characters */
	set_v6(e.daddr, "::ffff:127.0.0.1");     /* 16 */
	render_event(&m, &narrow, &e, false);
	cr_assert_str_eq(m.buf,
		"22:13:20.123 1234    curl             ~1:db8:1234::42 40000 "
		"~ffff:127.0.0.1 443   SYN_SENT    -> ESTABLISHED 1.500\n");
	memout_free(&m);
	check_columns(&narrow, &e, "~1:db8:1234::42", "~ffff:127.0.0.1");
	/* 15 characters exactly: whole. */
	set_v6(e.saddr, "2001:db8:12::42");
	render_event(&m, &narrow, &e, false);
	cr_assert_not_null(strstr(m.buf, " 2001:db8:12::42 40000 "), "%s", m.buf);
	memout_free(&m);
	/* -w: whole, and JSON never cuts. */
	set_v6(e.saddr, "2001:db8:1234::42");
	render_event(&m, &wide, &e, false);
	cr_assert_not_null(strstr(m.buf, " 2001:db8:1234::42 "), "%s", m.buf);
	memout_free(&m);
	render_event(&m, &narrow, &e, true);
	cr_assert_not_null(strstr(m.buf, "\"saddr\":\"2001:db8:1234::42\""), "%s", m.buf);
	memout_free(&m);
}

/* A snapshot endpoint is 22 wide without -w: "[addr]:port" keeps its end,
 * the port included. */
Test(render, snap_text_long_endpoint_keeps_columns)
{
	struct td_snap s;
	struct memout m, h;
	const char *in;

	memset(&s, 0, sizeof(s));
	s.family = 6;
	s.state = TD_ESTABLISHED;
	s.sport = 40000;
	s.dport = 443;
	set_v6(s.saddr, "2001:db8:1234::42"); /* [2001:db8:1234::42]:40000 is 25 */
	set_v6(s.daddr, "::1");
	memout_open(&h);
	td_render_snap_header(h.f, &narrow);
	memout_close(&h);
	memout_open(&m);
	td_render_snap_text(m.f, &narrow, &s, 0, 0, "", 0, NULL);
	memout_close(&m);
	cr_assert_str_eq(m.buf, "ESTABLISHED  ~1:db8:1234::42]:40000 [::1]:443              ?          -          -\n");
	in = strstr(h.buf, "IN STATE");
	cr_assert_not_null(in);
	cr_expect_eq(m.buf[in - h.buf], '?', "%s%s", h.buf, m.buf);
	memout_free(&m);
	memout_free(&h);
}

Test(render, report_text_one_transition)
{
	static const char *const want[] = { "22:13:20 tcpdwell: 1 transition, 0 lost\n",
					    "22:13:20 tcpdwell: 2 transitions, 0 lost\n" };
	struct td_agg *a = new_agg();
	struct td_loss l = { 0 };

	for (size_t i = 0; i < N(want); i++) {
		struct memout m;

		add(a, TD_ESTABLISHED, TD_FIN_WAIT1, TD_F_DWELL_KNOWN, 100);
		memout_open(&m);
		td_render_report_text(m.f, a, &l, WALL_NS);
		memout_close(&m);
		cr_expect_eq(strncmp(m.buf, want[i], strlen(want[i])), 0, "%s", m.buf);
		memout_free(&m);
	}
	free(a);
}

/* -i -j reports tell themselves apart: time_ns and interval_ns close the
 * summary, after every key it had before. */
Test(render, report_json_summary_time_and_interval)
{
	struct td_agg *a = new_agg();
	struct td_loss l = { .ringbuf = 1 };
	struct memout m;

	add(a, TD_ESTABLISHED, TD_FIN_WAIT1, TD_F_DWELL_KNOWN, 100);
	memout_open(&m);
	td_render_report_json(m.f, a, &l, WALL_NS + 5, 2500000000ull);
	memout_close(&m);
	cr_assert_not_null(strstr(m.buf, "{\"type\":\"summary\",\"events\":1,\"lost\":1,\"lost_ringbuf\":1,"
					 "\"lost_recursion\":0,\"lost_untracked_mini\":0,\"lost_scope\":\"all_sockets\",\"no_storage\":0,"
					 "\"time_ns\":1700000000000000005,\"interval_ns\":2500000000}\n"), "%s", m.buf);
	memout_free(&m);
	free(a);
}

/* Where a snapshot's times came from: one stderr line, the counts' keys. */
Test(render, snap_times_source)
{
	struct td_snap_times none = { 0 }, all = { .tracer_pid = 7, .filters = "", .known = 3 };
	struct td_snap_times part = { .tracer_pid = 42, .filters = "-P 47118,47119", .known = 1 };
	uint64_t counts[TD_MAX_STATES] = { 0 };
	struct memout m;

	/* No tracer: request socks carry their own times, nothing else has one. */
	struct td_snap_times reqs = { .known = 2 }, mixed = { .known = 1 };
	char why[128];

	part.unknown[TD_AGE_FILTERED] = 1;
	part.unknown[TD_AGE_NEEDS_T] = 2;
	mixed.unknown[TD_AGE_NO_TRACER] = 3;
	cr_expect_str_eq(td_snap_times_word(&none), "unknown");
	cr_expect_str_eq(td_snap_times_word(&all), "known");
	cr_expect_str_eq(td_snap_times_word(&part), "partial");
	cr_expect_str_eq(td_snap_times_word(&reqs), "known");
	cr_expect_str_eq(td_snap_times_word(&mixed), "partial");
	td_snap_times_why(&reqs, why, sizeof(why));
	cr_expect_str_eq(why, "");
	memout_open(&m);
	td_render_snap_source(m.f, &part);
	td_render_snap_source(m.f, &all);
	td_render_snap_source(m.f, &none);
	td_render_snap_source(m.f, &reqs);
	td_render_snap_source(m.f, &mixed);
	memout_close(&m);
	cr_expect_str_eq(m.buf, "tcpdwell: times in state from the tracer pid 42 (filters: -P 47118,47119); unknown for "
				"1 socket outside the tracer's filters (-P 47118,47119), 2 sockets not followed by a "
				"tracer without -T\n"
				"tcpdwell: times in state from the tracer pid 7 (filters: none)\n"
				"tcpdwell: times in state are unknown: no tracing tcpdwell shares its maps; run tcpdwell "
				"to track them\n"
				"tcpdwell: times in state are unknown but for request socks (SYN_RECV), which carry their "
				"own: no tracing tcpdwell shares its maps; run tcpdwell to track them\n");
	memout_free(&m);
	memout_open(&m);
	td_render_snap_counts(m.f, counts, 3, &part, true);
	memout_close(&m);
	cr_expect_not_null(strstr(m.buf, ",\"listed\":3,\"tracer_pid\":42,\"times\":\"partial\",\"why\":\"1 socket "
					 "outside the tracer's filters (-P 47118,47119), 2 sockets"), "%s", m.buf);
	memout_free(&m);
	memout_open(&m);
	td_render_snap_counts(m.f, counts, 0, &none, true);
	memout_close(&m);
	cr_expect_not_null(strstr(m.buf, "\"tracer_pid\":null,\"times\":\"unknown\",\"why\":\"no tracing"), "%s", m.buf);
	memout_free(&m);
}

/* A socket of unknown age is marked with why: "?" and a note in text,
 * null and a word in JSON. */
Test(render, snap_unknown_age_marked)
{
	struct td_snap s;
	struct memout m;

	memset(&s, 0, sizeof(s));
	s.family = 4;
	s.state = TD_CLOSE_WAIT;
	s.sport = 47120;
	s.dport = 40000;
	s.netns = 4026532301u;
	memout_open(&m);
	td_render_snap_text(m.f, &narrow, &s, 0, 4242, "leaky", TD_AGE_FILTERED, NULL);
	td_render_snap_json(m.f, &s, 0, 4242, "leaky", TD_AGE_FILTERED, NULL);
	s.flags = TD_F_DWELL_KNOWN;
	s.since_ns = 1;
	td_render_snap_json(m.f, &s, 3000000001ull, 4242, "leaky", TD_AGE_KNOWN, NULL);
	memout_close(&m);
	cr_expect_not_null(strstr(m.buf, "?          4026532301 4242/leaky  (age unknown: outside the tracer's filters)\n"), "%s",
			   m.buf);
	cr_expect_not_null(strstr(m.buf, "\"in_state_ns\":null,\"at_least\":false,"), "%s", m.buf);
	cr_expect_not_null(strstr(m.buf, "\"unknown_why\":\"outside_filters\",\"netns\":4026532301}\n"), "%s", m.buf);
	cr_expect_not_null(strstr(m.buf, "\"in_state_ns\":3000000000,\"at_least\":false,"), "%s", m.buf);
	cr_expect_not_null(strstr(m.buf, "\"unknown_why\":null,\"netns\":4026532301}\n"), "%s", m.buf);
	memout_free(&m);
}

/* The container keys: netns always from the record; cgroup, container,
 * runtime, pod_uid and unit only when known. -w adds CONTAINER. */
Test(render, where_keys_and_container_column)
{
	static const struct td_render_opts wide = { .wide = true };
	struct td_identity id;
	struct td_where w = { "/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod1b4e28ba_2fa1_11d2_883f_"
			      "0016d3cca427.slice/cri-containerd-3f1c2a9b8d7e6f5a4b3c2d1e0f9a8b7c6d5e4f3a2b1c0d9e8f7a6b5c4d3"
			      "e2f1a.scope", &id };
	struct td_event e = make_event(TD_ESTABLISHED, TD_FIN_WAIT1, TD_F_DWELL_KNOWN, 1000);
	struct td_snap s;
	struct memout m;

	cr_assert_eq(td_identity_parse(w.cgroup, &id), 0);
	memset(&s, 0, sizeof(s));
	s.family = 4;
	s.state = TD_CLOSE_WAIT;
	s.netns = 4026532000u;
	s.cgroup_id = 77;
	memout_open(&m);
	td_render_snap_json(m.f, &s, 0, 0, "", TD_AGE_KNOWN, &w);
	td_render_snap_json(m.f, &s, 0, 0, "", TD_AGE_KNOWN, NULL);
	td_render_event_json(m.f, &narrow, &e, &w);
	td_render_snap_header(m.f, &wide);
	td_render_snap_text(m.f, &wide, &s, 0, 0, "", TD_AGE_KNOWN, &w);
	td_render_snap_text(m.f, &wide, &s, 0, 0, "", TD_AGE_KNOWN, NULL);
	memout_close(&m);
	cr_expect_not_null(strstr(m.buf, "\"unknown_why\":null,\"netns\":4026532000,\"cgroup_id\":77,\"cgroup\":\"/kubepods"
					 ".slice/kubepods-burstable.slice/kubepods-burstable-pod1b4e28ba_2fa1_11d2_883f_0016d3cca427"
					 ".slice/cri-containerd-3f1c2a9b8d7e6f5a4b3c2d1e0f9a8b7c6d5e4f3a2b1c0d9e8f7a6b5c4d3e2f1a.scope\","
					 "\"container\":\"3f1c2a9b8d7e6f5a4b3c2d1e0f9a8b7c6d5e4f3a2b1c0d9e8f7a6b5c4d3e2f1a\","
					 "\"runtime\":\"containerd\",\"pod_uid\":\"1b4e28ba-2fa1-11d2-883f-0016d3cca427\"}\n"),
			   "%s", m.buf);
	cr_expect_not_null(strstr(m.buf, "\"unknown_why\":null,\"netns\":4026532000,\"cgroup_id\":77}\n"), "%s", m.buf);
	cr_expect_not_null(strstr(m.buf, "\"skaddr\":\"0x0\",\"cgroup\":\"/kubepods.slice/"), "%s", m.buf);
	cr_expect_not_null(strstr(m.buf, "\"runtime\":\"containerd\",\"pod_uid\":\"1b4e28ba-2fa1-11d2-883f-0016d3cca427\"}\n"
					 "STATE"), "%s", m.buf);
	cr_expect_not_null(strstr(m.buf, "IN STATE   NETNS      CONTAINER    PID/COMM\n"), "%s", m.buf);
	cr_expect_not_null(strstr(m.buf, " 3f1c2a9b8d7e -\n"), "%s", m.buf);
	cr_expect_not_null(strstr(m.buf, " -            -\n"), "%s", m.buf);
	memout_free(&m);
}
