/* Unit tests of user/view.c, with a fake kernel source in place of the BPF
 * maps: what a report and a scrape show in each mode, and of
 * td_loss_delta in user/agg.c. */
#include <errno.h>
#include <criterion/criterion.h>
#include "test_util.h"
#include "agg.h"
#include "view.h"

/* The kernel's totals since start, as the test sets them. */
struct fake_kernel {
	struct td_agg *totals;
	int err;   /* returned by the next reads when non-zero */
	int reads;
};

static int fake_read(void *ctx, struct td_agg *out)
{
	struct fake_kernel *k = ctx;

	k->reads++;
	if (k->err) {
		td_agg_reset(out);
		return k->err;
	}
	*out = *k->totals;
	return 0;
}

/* The kernel counts n more connections' ESTABLISHED ending. */
static void kernel_saw(struct fake_kernel *k, int n)
{
	for (int i = 0; i < n; i++)
		add(k->totals, TD_ESTABLISHED, TD_FIN_WAIT1, TD_F_DWELL_KNOWN, 1000000);
}

static struct td_view *new_view(bool cumulative, bool since_start, struct fake_kernel *k)
{
	struct td_view_opts o = {
		.cumulative = cumulative,
		.since_start = since_start,
		.read_kernel = k ? fake_read : NULL,
		.kernel_ctx = k,
	};
	struct td_view *v = td_view_new(&o);

	cr_assert_not_null(v);
	return v;
}

/* A record from the ring buffer: a connection's ESTABLISHED ended. */
static void add_record(struct td_view *v, uint64_t dwell_ns)
{
	struct td_event e = make_event(TD_ESTABLISHED, TD_FIN_WAIT1, TD_F_DWELL_KNOWN, dwell_ns);

	td_view_add(v, &e);
}

/* A record of the userspace sweep: a TIME_WAIT killed early. */
static void add_sweep_record(struct td_view *v)
{
	struct td_event e = make_event(TD_TIME_WAIT, TD_CLOSE, TD_F_DWELL_KNOWN, 1000);

	td_view_add(v, &e);
}

static uint64_t interval_events(struct td_view *v)
{
	const struct td_agg *a = NULL;

	cr_assert_eq(td_view_interval(v, &a), 0);
	cr_assert_not_null(a);
	return a->events;
}

static uint64_t since_start_events(struct td_view *v)
{
	const struct td_agg *a = NULL;

	cr_assert_eq(td_view_since_start(v, &a), 0);
	cr_assert_not_null(a);
	return a->events;
}

Test(view, interval_shows_only_what_came_after_the_report)
{
	struct td_view *v = new_view(false, false, NULL);
	const struct td_agg *a;

	add_record(v, 5000);
	add_record(v, 7000);
	cr_assert_eq(interval_events(v), 2);
	td_view_interval_done(v);
	cr_assert_eq(interval_events(v), 0);
	add_record(v, 9000);
	cr_assert_eq(td_view_interval(v, &a), 0);
	cr_assert_eq(a->events, 1);
	cr_assert_eq(a->dwell[TD_ESTABLISHED].count, 1);
	cr_assert_eq(a->dwell[TD_ESTABLISHED].min, 9000);
	cr_assert_eq(a->trans[TD_ESTABLISHED][TD_FIN_WAIT1], 1);
	td_view_free(v);
}

Test(view, cumulative_interval_keeps_everything)
{
	struct td_view *v = new_view(true, false, NULL);

	add_record(v, 5000);
	add_record(v, 7000);
	td_view_interval_done(v);
	add_record(v, 9000);
	cr_assert_eq(interval_events(v), 3);
	td_view_free(v);
}

Test(view, since_start_survives_reports)
{
	struct td_view *v = new_view(false, true, NULL);

	add_record(v, 5000);
	add_record(v, 7000);
	cr_assert_eq(since_start_events(v), 2);
	td_view_interval_done(v);
	add_record(v, 9000);
	cr_assert_eq(interval_events(v), 1);
	cr_assert_eq(since_start_events(v), 3);
	td_view_free(v);
}

Test(view, since_start_needs_the_option)
{
	struct td_view *v = new_view(false, false, NULL);
	const struct td_agg *a = NULL;

	cr_assert_eq(td_view_since_start(v, &a), -EINVAL);
	cr_assert_null(a);
	td_view_free(v);
}

/* --kernel-agg: the kernel counted 5 transitions, the sweep reported 1. */
Test(view, kernel_interval_is_the_kernels_share_plus_own)
{
	struct fake_kernel k = { .totals = new_agg() };
	struct td_view *v = new_view(false, false, &k);
	const struct td_agg *a;

	kernel_saw(&k, 5);
	add_sweep_record(v);
	cr_assert_eq(td_view_interval(v, &a), 0);
	cr_assert_eq(a->events, 6);
	cr_assert_eq(a->dwell[TD_ESTABLISHED].count, 5);
	cr_assert_eq(a->dwell[TD_TIME_WAIT].count, 1);
	cr_assert_eq(a->trans[TD_TIME_WAIT][TD_CLOSE], 1);
	td_view_interval_done(v);

	/* The next report: 3 more in the kernel, 1 more swept. */
	kernel_saw(&k, 3);
	add_sweep_record(v);
	cr_assert_eq(td_view_interval(v, &a), 0);
	cr_assert_eq(a->events, 4);
	cr_assert_eq(a->dwell[TD_ESTABLISHED].count, 3);
	cr_assert_eq(a->trans[TD_ESTABLISHED][TD_FIN_WAIT1], 3);
	cr_assert_eq(a->dwell[TD_TIME_WAIT].count, 1);
	cr_assert_eq(k.reads, 2);
	td_view_free(v);
	free(k.totals);
}

Test(view, kernel_cumulative_interval_is_the_totals_plus_own)
{
	struct fake_kernel k = { .totals = new_agg() };
	struct td_view *v = new_view(true, false, &k);

	kernel_saw(&k, 5);
	add_sweep_record(v);
	cr_assert_eq(interval_events(v), 6);
	td_view_interval_done(v);
	kernel_saw(&k, 3);
	add_sweep_record(v);
	cr_assert_eq(interval_events(v), 10);
	td_view_free(v);
	free(k.totals);
}

/* Asking again, or asking for the other view, adds userspace's part once:
 * the sum is built afresh from the kernel's read each time. */
Test(view, kernel_plus_own_counted_once)
{
	struct fake_kernel k = { .totals = new_agg() };
	struct td_view *v = new_view(false, true, &k);

	kernel_saw(&k, 5);
	add_sweep_record(v);
	add_sweep_record(v);
	cr_assert_eq(since_start_events(v), 7);
	cr_assert_eq(since_start_events(v), 7);
	cr_assert_eq(interval_events(v), 7);
	cr_assert_eq(interval_events(v), 7);
	cr_assert_eq(since_start_events(v), 7);
	td_view_interval_done(v);

	/* A scrape after the report still shows everything since start. */
	kernel_saw(&k, 1);
	add_sweep_record(v);
	cr_assert_eq(since_start_events(v), 9);
	cr_assert_eq(interval_events(v), 2);
	td_view_free(v);
	free(k.totals);
}

Test(view, kernel_read_error_is_returned)
{
	struct fake_kernel k = { .totals = new_agg(), .err = -EPERM };
	struct td_view *v = new_view(false, true, &k);
	const struct td_agg *a = NULL;

	add_sweep_record(v);
	/* A report goes out anyway, with what userspace counted. */
	cr_assert_eq(td_view_interval(v, &a), -EPERM);
	cr_assert_not_null(a);
	cr_assert_eq(a->events, 1);
	/* A scrape fails. */
	a = NULL;
	cr_assert_eq(td_view_since_start(v, &a), -EPERM);
	cr_assert_null(a);
	td_view_free(v);
	free(k.totals);
}

Test(view, free_null)
{
	td_view_free(NULL);
}

Test(loss, delta_subtracts_every_counter)
{
	struct td_loss prev = { .ringbuf = 1, .recursion = 2, .no_storage = 3, .mini_untracked = 4 };
	struct td_loss cur = { .ringbuf = 11, .recursion = 22, .no_storage = 33, .mini_untracked = 44 };
	struct td_loss zero = { 0 }, out;

	td_loss_delta(&out, &cur, &prev);
	cr_assert_eq(out.ringbuf, 10);
	cr_assert_eq(out.recursion, 20);
	cr_assert_eq(out.no_storage, 30);
	cr_assert_eq(out.mini_untracked, 40);
	/* From zero (-C never moves it): the totals themselves. */
	td_loss_delta(&out, &cur, &zero);
	cr_assert_eq(memcmp(&out, &cur, sizeof(out)), 0);
}
