/* Unit tests of user/agg.c: where each transition's dwell and count go. */
#include <criterion/criterion.h>
#include "test_util.h"
#include "agg.h"

static uint64_t hist_total(const struct td_agg *a)
{
	uint64_t t = 0;

	for (int s = 0; s < TD_MAX_STATES; s++)
		t += a->dwell[s].count;
	return t;
}

static uint64_t unknown_total(const struct td_agg *a)
{
	uint64_t t = 0;

	for (int s = 0; s < TD_MAX_STATES; s++)
		t += a->unknown[s];
	return t;
}

Test(agg, reset_clears_everything)
{
	struct td_agg *a = new_agg();
	const unsigned char *p = (const unsigned char *)a;

	for (size_t i = 0; i < sizeof(*a); i++)
		cr_assert_eq(p[i], 0, "byte %zu not cleared", i);
	add(a, TD_ESTABLISHED, TD_FIN_WAIT1, TD_F_DWELL_KNOWN, 5);
	td_agg_reset(a);
	cr_assert_eq(a->events, 0);
	cr_assert_eq(a->dwell[TD_ESTABLISHED].count, 0);
	cr_assert_eq(a->trans[TD_ESTABLISHED][TD_FIN_WAIT1], 0);
	free(a);
}

Test(agg, dwell_goes_to_old_state)
{
	struct td_agg *a = new_agg();

	add(a, TD_ESTABLISHED, TD_FIN_WAIT1, TD_F_DWELL_KNOWN, 5000000);
	cr_assert_eq(a->events, 1);
	cr_assert_eq(a->dwell[TD_ESTABLISHED].count, 1);
	cr_assert_eq(a->dwell[TD_ESTABLISHED].min, 5000000);
	cr_assert_eq(a->dwell[TD_ESTABLISHED].max, 5000000);
	cr_assert_eq(a->dwell[TD_ESTABLISHED].sum, 5000000);
	cr_assert_eq(a->dwell[TD_ESTABLISHED].buckets[hist_index(5000000)], 1);
	cr_assert_eq(a->dwell[TD_FIN_WAIT1].count, 0, "dwell went to the new state");
	cr_assert_eq(hist_total(a), 1);
	cr_assert_eq(unknown_total(a), 0);

	add(a, TD_SYN_SENT, TD_ESTABLISHED, TD_F_DWELL_KNOWN | TD_F_PID_KNOWN, 250000);
	cr_assert_eq(a->dwell[TD_SYN_SENT].count, 1);
	cr_assert_eq(a->dwell[TD_SYN_SENT].max, 250000);
	cr_assert_eq(a->dwell[TD_ESTABLISHED].count, 1);
	cr_assert_eq(hist_total(a), 2);
	free(a);
}

Test(agg, unknown_dwell_counted_separately)
{
	struct td_agg *a = new_agg();

	/* dwell_ns holds junk that must not reach the histogram. */
	add(a, TD_ESTABLISHED, TD_CLOSE_WAIT, TD_F_PID_KNOWN, 777777);
	add(a, TD_ESTABLISHED, TD_FIN_WAIT1, 0, 0);
	add(a, TD_FIN_WAIT2, TD_CLOSE, 0, 123);
	cr_assert_eq(a->events, 3);
	cr_assert_eq(a->unknown[TD_ESTABLISHED], 2);
	cr_assert_eq(a->unknown[TD_FIN_WAIT2], 1);
	cr_assert_eq(unknown_total(a), 3);
	cr_assert_eq(hist_total(a), 0);
	cr_assert_eq(a->dwell[TD_ESTABLISHED].sum, 0);
	cr_assert_eq(a->dwell[TD_ESTABLISHED].buckets[hist_index(777777)], 0);
	cr_assert_eq(a->dwell[TD_ESTABLISHED].buckets[0], 0);

	/* A known one next to them goes to the histogram only. */
	add(a, TD_ESTABLISHED, TD_FIN_WAIT1, TD_F_DWELL_KNOWN, 42);
	cr_assert_eq(a->dwell[TD_ESTABLISHED].count, 1);
	cr_assert_eq(a->dwell[TD_ESTABLISHED].min, 42);
	cr_assert_eq(a->unknown[TD_ESTABLISHED], 2);
	free(a);
}

Test(agg, has_dwell)
{
	/* Out of CLOSE (before connect()/listen()): no dwell to report. */
	cr_assert_eq(td_has_dwell(TD_CLOSE, TD_SYN_SENT), 0);
	cr_assert_eq(td_has_dwell(TD_CLOSE, TD_LISTEN), 0);
	cr_assert_eq(td_has_dwell(TD_CLOSE, TD_ESTABLISHED), 0);
	/* A child socket's LISTEN is inherited from its listener. */
	cr_assert_eq(td_has_dwell(TD_LISTEN, TD_SYN_RECV), 0);
	/* Everything else has one, including a listener closing. */
	cr_assert_neq(td_has_dwell(TD_LISTEN, TD_CLOSE), 0);
	cr_assert_neq(td_has_dwell(TD_SYN_SENT, TD_ESTABLISHED), 0);
	cr_assert_neq(td_has_dwell(TD_SYN_RECV, TD_ESTABLISHED), 0);
	cr_assert_neq(td_has_dwell(TD_ESTABLISHED, TD_FIN_WAIT1), 0);
	cr_assert_neq(td_has_dwell(TD_ESTABLISHED, TD_CLOSE_WAIT), 0);
	cr_assert_neq(td_has_dwell(TD_FIN_WAIT1, TD_FIN_WAIT2), 0);
	cr_assert_neq(td_has_dwell(TD_LAST_ACK, TD_CLOSE), 0);
	cr_assert_neq(td_has_dwell(TD_SYN_SENT, TD_CLOSE), 0);
}

Test(agg, no_dwell_transitions_stay_out_of_histograms)
{
	struct td_agg *a = new_agg();

	add(a, TD_CLOSE, TD_SYN_SENT, TD_F_DWELL_KNOWN, 1000);
	add(a, TD_CLOSE, TD_LISTEN, 0, 0);
	add(a, TD_LISTEN, TD_SYN_RECV, TD_F_DWELL_KNOWN, 2000);
	add(a, TD_LISTEN, TD_SYN_RECV, 0, 0);
	cr_assert_eq(a->events, 4);
	cr_assert_eq(hist_total(a), 0);
	cr_assert_eq(unknown_total(a), 0, "no-dwell transitions counted as unknown");
	cr_assert_eq(a->trans[TD_CLOSE][TD_SYN_SENT], 1);
	cr_assert_eq(a->trans[TD_CLOSE][TD_LISTEN], 1);
	cr_assert_eq(a->trans[TD_LISTEN][TD_SYN_RECV], 2);

	/* The listener itself closing does have a dwell. */
	add(a, TD_LISTEN, TD_CLOSE, TD_F_DWELL_KNOWN, 9000000000ull);
	cr_assert_eq(a->dwell[TD_LISTEN].count, 1);
	cr_assert_eq(a->dwell[TD_LISTEN].max, 9000000000ull);
	free(a);
}

Test(agg, transition_counts)
{
	struct td_agg *a = new_agg();
	uint64_t want[TD_MAX_STATES][TD_MAX_STATES] = { { 0 } };
	uint64_t sum = 0;

	/* 3 active opens closed by us, 2 passive opens closed by the peer. */
	for (int i = 0; i < 3; i++) {
		add(a, TD_CLOSE, TD_SYN_SENT, 0, 0);
		add(a, TD_SYN_SENT, TD_ESTABLISHED, TD_F_DWELL_KNOWN, 100000 + i);
		add(a, TD_ESTABLISHED, TD_FIN_WAIT1, TD_F_DWELL_KNOWN, 5000000);
		add(a, TD_FIN_WAIT1, TD_FIN_WAIT2, TD_F_DWELL_KNOWN, 80000);
		add(a, TD_FIN_WAIT2, TD_CLOSE, TD_F_DWELL_KNOWN, 90000);
	}
	for (int i = 0; i < 2; i++) {
		add(a, TD_LISTEN, TD_SYN_RECV, 0, 0);
		add(a, TD_SYN_RECV, TD_ESTABLISHED, TD_F_DWELL_KNOWN, 50000);
		add(a, TD_ESTABLISHED, TD_CLOSE_WAIT, TD_F_DWELL_KNOWN, 7000000);
		add(a, TD_CLOSE_WAIT, TD_LAST_ACK, TD_F_DWELL_KNOWN, 1000);
		add(a, TD_LAST_ACK, TD_CLOSE, TD_F_DWELL_KNOWN, 60000);
	}
	want[TD_CLOSE][TD_SYN_SENT] = 3;
	want[TD_SYN_SENT][TD_ESTABLISHED] = 3;
	want[TD_ESTABLISHED][TD_FIN_WAIT1] = 3;
	want[TD_FIN_WAIT1][TD_FIN_WAIT2] = 3;
	want[TD_FIN_WAIT2][TD_CLOSE] = 3;
	want[TD_LISTEN][TD_SYN_RECV] = 2;
	want[TD_SYN_RECV][TD_ESTABLISHED] = 2;
	want[TD_ESTABLISHED][TD_CLOSE_WAIT] = 2;
	want[TD_CLOSE_WAIT][TD_LAST_ACK] = 2;
	want[TD_LAST_ACK][TD_CLOSE] = 2;

	cr_assert_eq(a->events, 25);
	for (int o = 0; o < TD_MAX_STATES; o++)
		for (int n = 0; n < TD_MAX_STATES; n++) {
			cr_expect_eq(a->trans[o][n], want[o][n], "trans[%d][%d]", o, n);
			sum += a->trans[o][n];
		}
	cr_assert_eq(sum, a->events);
	/* 25 events, 5 without a dwell. */
	cr_assert_eq(hist_total(a), 20);
	cr_assert_eq(a->dwell[TD_ESTABLISHED].count, 5);
	cr_assert_eq(a->dwell[TD_ESTABLISHED].min, 5000000);
	cr_assert_eq(a->dwell[TD_ESTABLISHED].max, 7000000);
	cr_assert_eq(a->dwell[TD_SYN_SENT].count, 3);
	cr_assert_eq(a->dwell[TD_SYN_SENT].sum, 300003);
	cr_assert_eq(a->dwell[TD_CLOSE].count, 0);
	cr_assert_eq(a->dwell[TD_LISTEN].count, 0);
	free(a);
}

/* The in-kernel totals only grow; an interval is their difference. */
Test(agg, delta_is_the_interval_and_merge_adds)
{
	struct td_agg *prev = new_agg(), *cur = new_agg(), *only_new = new_agg(), *d = new_agg(), *m = new_agg();
	struct rng r = { 42 };

	for (int i = 0; i < 500; i++) {
		uint64_t v = 1000 + rng_next(&r) % 50000000;

		add(prev, TD_ESTABLISHED, TD_FIN_WAIT1, TD_F_DWELL_KNOWN, v);
		add(cur, TD_ESTABLISHED, TD_FIN_WAIT1, TD_F_DWELL_KNOWN, v);
	}
	add(prev, TD_CLOSE_WAIT, TD_LAST_ACK, 0, 0);
	add(cur, TD_CLOSE_WAIT, TD_LAST_ACK, 0, 0);
	for (int i = 0; i < 300; i++) {
		uint64_t v = 2000000 + rng_next(&r) % 3000000;
		struct td_event e = make_event(TD_TIME_WAIT, TD_CLOSE, TD_F_DWELL_KNOWN, v);

		e.tw_end = i % 3 ? TD_TW_EXPIRED : TD_TW_REUSE;
		td_agg_add(cur, &e);
		td_agg_add(only_new, &e);
		add(cur, TD_ESTABLISHED, TD_FIN_WAIT1, TD_F_DWELL_KNOWN, v);
		add(only_new, TD_ESTABLISHED, TD_FIN_WAIT1, TD_F_DWELL_KNOWN, v);
	}
	td_agg_delta(d, cur, prev);
	cr_assert_eq(d->events, only_new->events);
	cr_assert_eq(d->unknown[TD_CLOSE_WAIT], 0);
	cr_assert_eq(d->tw_ends[TD_TW_EXPIRED], 200);
	cr_assert_eq(d->tw_ends[TD_TW_REUSE], 100);
	for (int s = 1; s < TD_MAX_STATES; s++) {
		const struct hist *a = &d->dwell[s], *b = &only_new->dwell[s];

		cr_assert_eq(a->count, b->count);
		cr_assert_eq(a->sum, b->sum);
		cr_assert_eq(memcmp(a->buckets, b->buckets, sizeof(a->buckets)), 0, "state %d", s);
		if (!b->count)
			continue;
		/* Extremes: exact or the outermost buckets' bounds. */
		cr_assert(a->min <= b->min && hist_index(a->min) == hist_index(b->min), "state %d min", s);
		cr_assert(a->max >= b->max && hist_index(a->max) == hist_index(b->max), "state %d max", s);
		cr_assert_eq(hist_quantile(a, 0.99) / 100, hist_quantile(b, 0.99) / 100);
		for (int n = 1; n < TD_MAX_STATES; n++)
			cr_assert_eq(d->trans[s][n], only_new->trans[s][n]);
	}
	/* merge(prev, delta) == cur */
	*m = *prev;
	td_agg_merge(m, d);
	cr_assert_eq(m->events, cur->events);
	cr_assert_eq(m->dwell[TD_ESTABLISHED].count, cur->dwell[TD_ESTABLISHED].count);
	cr_assert_eq(m->dwell[TD_ESTABLISHED].sum, cur->dwell[TD_ESTABLISHED].sum);
	cr_assert_eq(memcmp(m->dwell[TD_TIME_WAIT].buckets, cur->dwell[TD_TIME_WAIT].buckets,
			    sizeof(m->dwell[0].buckets)), 0);
	cr_assert_eq(m->tw_ends[TD_TW_REUSE], cur->tw_ends[TD_TW_REUSE]);
	free(prev);
	free(cur);
	free(only_new);
	free(d);
	free(m);
}

/* The kernel's agg_hists keys: one per state, then SYN_SENT's per connect
 * outcome; every other key names no histogram. */
Test(agg, kernel_histogram_keys)
{
	struct td_agg *a = new_agg();

	cr_expect_null(td_agg_khist(a, 0));
	for (unsigned int s = 1; s < TD_MAX_STATES; s++)
		cr_expect_eq(td_agg_khist(a, s), &a->dwell[s]);
	for (unsigned int s = TD_MAX_STATES; s <= TD_KHIST_CONNECT(0); s++)
		cr_expect_null(td_agg_khist(a, s), "key %u", s);
	for (unsigned int o = 1; o < TD_CONNECT_MAX; o++)
		cr_expect_eq(td_agg_khist(a, TD_KHIST_CONNECT(o)), &a->connect_dwell[o]);
	for (unsigned int k = TD_KHIST_CONNECT(TD_CONNECT_MAX); k <= TD_KHIST_MAX; k++)
		cr_expect_null(td_agg_khist(a, k), "key %u", k);
	free(a);
}
