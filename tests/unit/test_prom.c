/* Unit tests of user/prom.c: the bucket rule against exact values, the exact
 * lines of a crafted scrape, the exposition format's structure (cumulative
 * buckets, +Inf == _count, HELP/TYPE before samples) and label escaping. */
#include <math.h>
#include <criterion/criterion.h>
#include "test_util.h"
#include "prom.h"

#define MAX_LINES 2048

struct scrape {
	struct memout m;
	char *copy;
	char *lines[MAX_LINES];
	size_t n;
};

static void scrape(struct scrape *s, const struct td_prom_input *in)
{
	memout_open(&s->m);
	td_prom_render(s->m.f, in);
	memout_close(&s->m);
	s->n = split_lines(s->m.buf, &s->copy, s->lines, MAX_LINES);
}

static void scrape_free(struct scrape *s)
{
	free(s->copy);
	memout_free(&s->m);
}

static bool has_line(const struct scrape *s, const char *line)
{
	for (size_t i = 0; i < s->n; i++)
		if (strcmp(s->lines[i], line) == 0)
			return true;
	return false;
}

static size_t count_prefix(const struct scrape *s, const char *prefix)
{
	size_t n = 0;

	for (size_t i = 0; i < s->n; i++)
		n += strncmp(s->lines[i], prefix, strlen(prefix)) == 0;
	return n;
}

#define EXPECT_LINE(s, l) cr_expect(has_line(s, l), "missing line: %s\n--- scrape:\n%s", l, (s)->m.buf)

/* ---- the bucket rule ---- */

/* Where the rule puts one value: the first bound at or above the upper
 * bound of the value's fine bucket; TD_PROM_NBOUNDS for +Inf. */
static int bound_of(uint64_t v)
{
	uint64_t high = hist_bucket_high(hist_index(v));

	for (int b = 0; b < TD_PROM_NBOUNDS; b++)
		if (high <= td_prom_bounds_ns[b])
			return b;
	return TD_PROM_NBOUNDS;
}

Test(prom, bounds_are_1_2_5_from_10us_to_1000s)
{
	cr_assert_eq(td_prom_bounds_ns[0], 10000);
	cr_assert_eq(td_prom_bounds_ns[TD_PROM_NBOUNDS - 1], 1000000000000ull);
	for (int b = 1; b < TD_PROM_NBOUNDS; b++) {
		uint64_t r = td_prom_bounds_ns[b] * 10 / td_prom_bounds_ns[b - 1];

		cr_assert(r == 25 || r == 20, "bound %d: %llu after %llu", b,
			  (unsigned long long)td_prom_bounds_ns[b], (unsigned long long)td_prom_bounds_ns[b - 1]);
	}
}

Test(prom, bucket_rule_exact_values)
{
	/* Values and the le they must count under first (bound index). The
	 * fine buckets around 10us are [9856,9983] and [9984,10111]: 10000 is
	 * in the second, whose upper bound is above 10us, so it counts from
	 * le=2.5e-05. Around 1 s the fine bucket [998244352,1006632959]
	 * straddles the bound the same way. */
	static const struct { uint64_t v; int b; } cases[] = {
		{ 0, 0 }, { 1, 0 }, { 63, 0 }, { 5000, 0 }, { 9983, 0 },
		{ 9984, 1 }, { 10000, 1 }, { 10111, 1 }, { 24831, 1 },
		{ 24832, 2 }, { 25000, 2 },
		{ 998244351, 15 }, { 998244352, 16 }, { 1000000000, 16 }, { 1006632959, 16 },
		{ 35000000, 11 }, { 150000000, 13 }, { 60000000000ull, 21 },
		{ 999999999999ull, TD_PROM_NBOUNDS }, { 1000000000000ull, TD_PROM_NBOUNDS },
		{ UINT64_MAX, TD_PROM_NBOUNDS },
	};

	cr_assert_eq(hist_bucket_low(hist_index(10000)), 9984);
	cr_assert_eq(hist_bucket_high(hist_index(10000)), 10111);
	cr_assert_eq(hist_bucket_high(hist_index(9983)), 9983);
	cr_assert_eq(hist_bucket_low(hist_index(1000000000)), 998244352);
	cr_assert_eq(hist_bucket_high(hist_index(1000000000)), 1006632959);
	cr_assert_eq(td_prom_bounds_ns[11], 50000000);
	cr_assert_eq(td_prom_bounds_ns[13], 250000000);
	cr_assert_eq(td_prom_bounds_ns[21], 100000000000ull);
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct hist h;
		uint64_t cum[TD_PROM_NBOUNDS + 1];

		hist_reset(&h);
		hist_add(&h, cases[i].v);
		td_prom_buckets(&h, cum);
		cr_expect_eq(bound_of(cases[i].v), cases[i].b, "%llu", (unsigned long long)cases[i].v);
		for (int b = 0; b <= TD_PROM_NBOUNDS; b++)
			cr_expect_eq(cum[b], b >= cases[i].b ? 1u : 0u, "value %llu, bound %d: %llu",
				     (unsigned long long)cases[i].v, b, (unsigned long long)cum[b]);
	}
}

/* Random values over every range: the counts follow the rule value by
 * value, never count a value above its bound, and miss only values within
 * one fine bucket (1/64) below it. */
Test(prom, bucket_rule_random)
{
	struct rng r = { 0x9e3779b97f4a7c15ull };
	static uint64_t vals[5000];
	struct hist h;
	uint64_t cum[TD_PROM_NBOUNDS + 1], want[TD_PROM_NBOUNDS + 1] = { 0 };

	hist_reset(&h);
	for (size_t i = 0; i < sizeof(vals) / sizeof(vals[0]); i++) {
		/* log-uniform from 1 ns to ~2000 s, plus exact bounds now and then */
		vals[i] = i % 50 == 0 ? td_prom_bounds_ns[(i / 50) % TD_PROM_NBOUNDS]
				      : (uint64_t)exp(rng_unit(&r) * log(2e12));
		hist_add(&h, vals[i]);
		for (int b = bound_of(vals[i]); b <= TD_PROM_NBOUNDS; b++)
			want[b]++;
	}
	td_prom_buckets(&h, cum);
	for (int b = 0; b <= TD_PROM_NBOUNDS; b++) {
		uint64_t at_most = 0, below = 0;

		cr_expect_eq(cum[b], want[b], "bound %d", b);
		if (b > 0)
			cr_expect_geq(cum[b], cum[b - 1]);
		if (b == TD_PROM_NBOUNDS)
			continue;
		for (size_t i = 0; i < sizeof(vals) / sizeof(vals[0]); i++) {
			at_most += vals[i] <= td_prom_bounds_ns[b];
			below += vals[i] <= td_prom_bounds_ns[b] - td_prom_bounds_ns[b] / 64;
		}
		cr_expect_leq(cum[b], at_most, "bound %d counts a value above it", b);
		cr_expect_geq(cum[b], below, "bound %d misses values more than 1/64 below it", b);
	}
	cr_expect_eq(cum[TD_PROM_NBOUNDS], h.count);
}

/* ---- a crafted scrape, line by line ---- */

struct crafted {
	struct td_agg *a;
	struct td_loss loss;
	uint64_t census[TD_CENSUS_MAX];
	struct td_prog_stat progs[2];
	struct td_prom_input in;
};

static void craft(struct crafted *c)
{
	static const uint64_t est[] = { 5000, 9000, 10000, 30000000, 150000000, 150000000, 2000000000 };

	memset(c, 0, sizeof(*c));
	c->a = new_agg();
	for (size_t i = 0; i < sizeof(est) / sizeof(est[0]); i++)
		add(c->a, TD_ESTABLISHED, TD_FIN_WAIT1, TD_F_DWELL_KNOWN, est[i]);
	add(c->a, TD_ESTABLISHED, TD_CLOSE_WAIT, 0, 0); /* dwell unknown */
	add(c->a, TD_CLOSE, TD_SYN_SENT, 0, 0);
	add(c->a, TD_CLOSE, TD_SYN_SENT, 0, 0);
	add(c->a, TD_TIME_WAIT, TD_CLOSE, TD_F_DWELL_KNOWN | TD_F_MINI, 60500000000ull);
	c->a->tw_ends[TD_TW_EXPIRED] = 4;
	c->a->tw_ends[TD_TW_REUSE] = 1;
	c->a->hs_outcomes[TD_HS_ESTABLISHED] = 7;
	c->a->hs_outcomes[TD_HS_DROPPED] = 2;
	c->a->orphans = 3;
	c->loss = (struct td_loss){ .ringbuf = 1, .recursion = 2, .no_storage = 4, .mini_untracked = 3 };
	c->census[TD_ESTABLISHED] = 5;
	c->census[TD_TIME_WAIT] = 6;
	c->census[TD_LISTEN] = 1;
	c->census[TD_FIN_WAIT2] = 3;
	c->census[TD_NEW_SYN_RECV] = 2;
	c->census[TD_CENSUS_ORPHANS] = 2;
	strcpy(c->progs[0].name, "handle_set_state");
	c->progs[0].run_ns = 1500000;
	c->progs[0].run_cnt = 42;
	strcpy(c->progs[1].name, "census_tcp");
	c->progs[1].run_ns = 2000000000;
	c->progs[1].run_cnt = 3;
	c->in = (struct td_prom_input){
		.version = "1.0-3-gabc",
		.agg = c->a,
		.loss = &c->loss,
		.census = c->census,
		.progs = c->progs,
		.nprogs = 2,
		.bpf_stats = true,
	};
}

Test(prom, crafted_exact_lines)
{
	static const char *const lines[] = {
		"# HELP tcpdwell_build_info tcpdwell's version, as the label; always 1.",
		"# TYPE tcpdwell_build_info gauge",
		"tcpdwell_build_info{version=\"1.0-3-gabc\"} 1",
		"# TYPE tcpdwell_state_dwell_seconds histogram",
		/* 5us and 9us; 10us is in the fine bucket that straddles 10us */
		"tcpdwell_state_dwell_seconds_bucket{state=\"ESTABLISHED\",le=\"1e-05\"} 2",
		"tcpdwell_state_dwell_seconds_bucket{state=\"ESTABLISHED\",le=\"2.5e-05\"} 3",
		"tcpdwell_state_dwell_seconds_bucket{state=\"ESTABLISHED\",le=\"0.025\"} 3",
		"tcpdwell_state_dwell_seconds_bucket{state=\"ESTABLISHED\",le=\"0.05\"} 4",
		"tcpdwell_state_dwell_seconds_bucket{state=\"ESTABLISHED\",le=\"0.1\"} 4",
		"tcpdwell_state_dwell_seconds_bucket{state=\"ESTABLISHED\",le=\"0.25\"} 6",
		"tcpdwell_state_dwell_seconds_bucket{state=\"ESTABLISHED\",le=\"1\"} 6",
		"tcpdwell_state_dwell_seconds_bucket{state=\"ESTABLISHED\",le=\"2.5\"} 7",
		"tcpdwell_state_dwell_seconds_bucket{state=\"ESTABLISHED\",le=\"1000\"} 7",
		"tcpdwell_state_dwell_seconds_bucket{state=\"ESTABLISHED\",le=\"+Inf\"} 7",
		/* 5000 + 9000 + 10000 + 30e6 + 2 * 150e6 + 2e9 ns, exact */
		"tcpdwell_state_dwell_seconds_sum{state=\"ESTABLISHED\"} 2.330024",
		"tcpdwell_state_dwell_seconds_count{state=\"ESTABLISHED\"} 7",
		"tcpdwell_state_dwell_seconds_bucket{state=\"TIME_WAIT\",le=\"50\"} 0",
		"tcpdwell_state_dwell_seconds_bucket{state=\"TIME_WAIT\",le=\"100\"} 1",
		"tcpdwell_state_dwell_seconds_sum{state=\"TIME_WAIT\"} 60.5",
		"tcpdwell_state_dwell_seconds_count{state=\"TIME_WAIT\"} 1",
		/* empty states are there from the start */
		"tcpdwell_state_dwell_seconds_bucket{state=\"CLOSE_WAIT\",le=\"+Inf\"} 0",
		"tcpdwell_state_dwell_seconds_sum{state=\"CLOSE_WAIT\"} 0",
		"tcpdwell_state_dwell_seconds_count{state=\"CLOSE_WAIT\"} 0",
		"# TYPE tcpdwell_state_dwell_unknown_total counter",
		"tcpdwell_state_dwell_unknown_total{state=\"ESTABLISHED\"} 1",
		"tcpdwell_state_dwell_unknown_total{state=\"SYN_RECV\"} 0",
		"# HELP tcpdwell_transitions_total TCP state transitions seen.",
		"# TYPE tcpdwell_transitions_total counter",
		"tcpdwell_transitions_total{from=\"ESTABLISHED\",to=\"FIN_WAIT1\"} 7",
		"tcpdwell_transitions_total{from=\"ESTABLISHED\",to=\"CLOSE_WAIT\"} 1",
		"tcpdwell_transitions_total{from=\"TIME_WAIT\",to=\"CLOSE\"} 1",
		"tcpdwell_transitions_total{from=\"CLOSE\",to=\"SYN_SENT\"} 2",
		"# TYPE tcpdwell_events_total counter",
		"tcpdwell_events_total 11",
		"# HELP tcpdwell_events_lost_total Transitions lost, across all sockets before filtering (the kernel's "
		"recursion misses count every program run): ring buffer full, program runs the kernel skipped (recursion), "
		"timewait socks the map could not hold.",
		"# TYPE tcpdwell_events_lost_total counter",
		"tcpdwell_events_lost_total{reason=\"ringbuf\"} 1",
		"tcpdwell_events_lost_total{reason=\"recursion\"} 2",
		"tcpdwell_events_lost_total{reason=\"mini_untracked\"} 3",
		"tcpdwell_events_no_storage_total 4",
		"# TYPE tcpdwell_time_wait_ends_total counter",
		"tcpdwell_time_wait_ends_total{reason=\"expired\"} 4",
		"tcpdwell_time_wait_ends_total{reason=\"reuse\"} 1",
		"tcpdwell_time_wait_ends_total{reason=\"killed\"} 0",
		"tcpdwell_time_wait_ends_total{reason=\"netns\"} 0",
		"tcpdwell_orphaned_fin_wait2_total 3",
		"tcpdwell_handshakes_total{outcome=\"established\"} 7",
		"tcpdwell_handshakes_total{outcome=\"expired\"} 0",
		"tcpdwell_handshakes_total{outcome=\"dropped\"} 2",
		"# TYPE tcpdwell_sockets gauge",
		"tcpdwell_sockets{state=\"ESTABLISHED\"} 5",
		"tcpdwell_sockets{state=\"TIME_WAIT\"} 6",
		"tcpdwell_sockets{state=\"LISTEN\"} 1",
		"tcpdwell_sockets{state=\"FIN_WAIT2\"} 3",
		"tcpdwell_sockets{state=\"NEW_SYN_RECV\"} 2",
		"tcpdwell_sockets{state=\"CLOSE_WAIT\"} 0",
		"# TYPE tcpdwell_sockets_orphaned_fin_wait2 gauge",
		"tcpdwell_sockets_orphaned_fin_wait2 2",
		"# TYPE tcpdwell_bpf_run_seconds_total counter",
		"tcpdwell_bpf_run_seconds_total{prog=\"handle_set_state\"} 0.0015",
		"tcpdwell_bpf_run_seconds_total{prog=\"census_tcp\"} 2",
		"# TYPE tcpdwell_bpf_runs_total counter",
		"tcpdwell_bpf_runs_total{prog=\"handle_set_state\"} 42",
		"tcpdwell_bpf_runs_total{prog=\"census_tcp\"} 3",
	};
	struct crafted c;
	struct scrape s;

	craft(&c);
	scrape(&s, &c.in);
	for (size_t i = 0; i < sizeof(lines) / sizeof(lines[0]); i++)
		EXPECT_LINE(&s, lines[i]);
	/* 10 states with a histogram from the start (not CLOSE, NEW_SYN_RECV,
	 * BOUND_INACTIVE), each with 25 bounds + +Inf. */
	cr_expect_eq(count_prefix(&s, "tcpdwell_state_dwell_seconds_bucket{"), 10 * 26);
	cr_expect_eq(count_prefix(&s, "tcpdwell_state_dwell_seconds_count{"), 10);
	cr_expect_eq(count_prefix(&s, "tcpdwell_state_dwell_seconds_bucket{state=\"CLOSE\""), 0);
	cr_expect_eq(count_prefix(&s, "tcpdwell_transitions_total{"), 4, "only the pairs seen");
	cr_expect_eq(count_prefix(&s, "tcpdwell_sockets{"), TD_MAX_STATES - 1);
	cr_expect_str_eq(s.lines[s.n - 1], "tcpdwell_bpf_runs_total{prog=\"census_tcp\"} 3");
	scrape_free(&s);
	free(c.a);
}

Test(prom, optional_families)
{
	struct crafted c;
	struct scrape s;

	craft(&c);
	c.in.census = NULL;
	c.in.bpf_stats = false;
	scrape(&s, &c.in);
	cr_expect_eq(count_prefix(&s, "tcpdwell_sockets"), 0, "no census, no gauge");
	cr_expect_eq(count_prefix(&s, "# HELP tcpdwell_sockets"), 0);
	cr_expect_eq(count_prefix(&s, "tcpdwell_bpf_"), 0, "BPF stats off");
	cr_expect_eq(count_prefix(&s, "# TYPE tcpdwell_bpf_"), 0);
	scrape_free(&s);

	/* A state without a histogram by default shows up once counted. */
	add(c.a, TD_NEW_SYN_RECV, TD_CLOSE, TD_F_DWELL_KNOWN, 1000);
	scrape(&s, &c.in);
	EXPECT_LINE(&s, "tcpdwell_state_dwell_seconds_count{state=\"NEW_SYN_RECV\"} 1");
	EXPECT_LINE(&s, "tcpdwell_state_dwell_unknown_total{state=\"NEW_SYN_RECV\"} 0");
	scrape_free(&s);
	free(c.a);
}

Test(prom, sum_is_exact_seconds)
{
	static const struct { uint64_t ns; const char *line; } cases[] = {
		{ 0, "tcpdwell_state_dwell_seconds_sum{state=\"LAST_ACK\"} 0" },
		{ 1, "tcpdwell_state_dwell_seconds_sum{state=\"LAST_ACK\"} 0.000000001" },
		{ 1000000000, "tcpdwell_state_dwell_seconds_sum{state=\"LAST_ACK\"} 1" },
		{ 123456789012ull, "tcpdwell_state_dwell_seconds_sum{state=\"LAST_ACK\"} 123.456789012" },
		{ 3600000000000ull, "tcpdwell_state_dwell_seconds_sum{state=\"LAST_ACK\"} 3600" },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct crafted c;
		struct scrape s;

		craft(&c);
		c.a->dwell[TD_LAST_ACK].count = 1;
		c.a->dwell[TD_LAST_ACK].sum = cases[i].ns;
		scrape(&s, &c.in);
		EXPECT_LINE(&s, cases[i].line);
		scrape_free(&s);
		free(c.a);
	}
}

/* Backslash, double quote and newline are the three escapes of label
 * values in the text format. */
Test(prom, label_escaping)
{
	struct crafted c;
	struct scrape s;

	craft(&c);
	c.in.version = "v1 \"quoted\" back\\slash\nnewline";
	strcpy(c.progs[1].name, "odd\"prog\\");
	scrape(&s, &c.in);
	EXPECT_LINE(&s, "tcpdwell_build_info{version=\"v1 \\\"quoted\\\" back\\\\slash\\nnewline\"} 1");
	EXPECT_LINE(&s, "tcpdwell_bpf_runs_total{prog=\"odd\\\"prog\\\\\"} 3");
	scrape_free(&s);
	free(c.a);
}

/* The structure Prometheus' parser and promtool rely on, for random data:
 * every sample's family has HELP and TYPE lines before it and is not
 * interrupted by another family; bucket counts never decrease; +Inf ==
 * _count; every value is a number. */
Test(prom, structure_random)
{
	struct rng r = { 42 };
	struct crafted c;
	struct scrape s;
	char family[128] = "", seen[64][128];
	size_t nseen = 0;
	uint64_t prev = 0;
	char cur_state[32] = "";

	craft(&c);
	for (int i = 0; i < 3000; i++) {
		int st = 1 + (int)(rng_next(&r) % (TD_MAX_STATES - 1));

		if (st == TD_CLOSE)
			continue;
		add(c.a, st, TD_CLOSE, TD_F_DWELL_KNOWN, (uint64_t)exp(rng_unit(&r) * log(5e12)));
	}
	scrape(&s, &c.in);
	for (size_t i = 0; i < s.n; i++) {
		const char *l = s.lines[i];
		char name[128], *end;
		size_t nl;

		if (strncmp(l, "# HELP ", 7) == 0) {
			cr_assert_eq(sscanf(l + 7, "%127s", family), 1);
			for (size_t k = 0; k < nseen; k++)
				cr_assert_str_neq(seen[k], family, "family %s twice", family);
			cr_assert_lt(nseen, 64u);
			strcpy(seen[nseen++], family);
			cr_assert(i + 1 < s.n && strncmp(s.lines[i + 1], "# TYPE ", 7) == 0, "HELP without TYPE: %s", l);
			continue;
		}
		if (strncmp(l, "# TYPE ", 7) == 0) {
			cr_assert_eq(strncmp(l + 7, family, strlen(family)), 0, "TYPE of another family: %s", l);
			continue;
		}
		cr_assert_neq(l[0], '#', "stray comment: %s", l);
		nl = strcspn(l, "{ ");
		cr_assert_lt(nl, sizeof(name));
		memcpy(name, l, nl);
		name[nl] = '\0';
		cr_assert_eq(strncmp(name, family, strlen(family)), 0, "%s outside its family %s", name, family);
		cr_assert(strcmp(name, family) == 0 || strcmp(name + strlen(family), "_bucket") == 0 ||
			  strcmp(name + strlen(family), "_sum") == 0 || strcmp(name + strlen(family), "_count") == 0,
			  "%s in family %s", name, family);
		{
			const char *v = strrchr(l, ' ');

			cr_assert_not_null(v);
			strtod(v + 1, &end);
			cr_assert(end != v + 1 && *end == '\0', "value not a number: %s", l);
		}
		if (strcmp(name, "tcpdwell_state_dwell_seconds_bucket") == 0) {
			const char *st = strstr(l, "state=\""), *q;
			uint64_t v = strtoull(strrchr(l, ' ') + 1, NULL, 10);

			cr_assert_not_null(st);
			st += 7;
			q = strchr(st, '"');
			if (strncmp(cur_state, st, (size_t)(q - st)) != 0 || cur_state[q - st] != '\0') {
				memcpy(cur_state, st, (size_t)(q - st));
				cur_state[q - st] = '\0';
				prev = 0;
			}
			cr_assert_geq(v, prev, "bucket count decreases: %s", l);
			prev = v;
			if (strstr(l, "le=\"+Inf\"")) {
				char want[128];

				snprintf(want, sizeof(want), "tcpdwell_state_dwell_seconds_count{state=\"%s\"} %" PRIu64,
					 cur_state, v);
				cr_assert(i + 2 < s.n && strcmp(s.lines[i + 2], want) == 0, "+Inf %s, then %s",
					  l, s.lines[i + 2]);
			}
		}
	}
	cr_assert_geq(nseen, 12u);
	scrape_free(&s);
	free(c.a);
}
