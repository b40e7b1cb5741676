/* Unit tests of user/hist.c: bucketing, quantiles against exact values, and
 * merging. */
#include <math.h>
#include <criterion/criterion.h>
#include "test_util.h"
#include "hist.h"

#define LAST (HIST_NBUCKETS - 1)

static void check_in_bucket(uint64_t v)
{
	unsigned i = hist_index(v);

	cr_assert_lt(i, HIST_NBUCKETS, "index of %" PRIu64 " is %u", v, i);
	cr_assert_geq(v, hist_bucket_low(i), "%" PRIu64 " below its bucket %u", v, i);
	cr_assert_leq(v, hist_bucket_high(i), "%" PRIu64 " above its bucket %u", v, i);
}

Test(hist, layout_constants)
{
	/* 64 exact buckets, then 64 per power of two from 2^6 to 2^63. */
	cr_assert_eq(HIST_NBUCKETS, 3776);
	cr_assert_eq(hist_bucket_low(0), 0);
	cr_assert_eq(hist_bucket_high(LAST), UINT64_MAX);
	cr_assert_eq(hist_index(UINT64_MAX), LAST);
	cr_assert_eq(hist_bucket_low(LAST), 127ull << 57);
}

Test(hist, buckets_are_contiguous_and_monotone)
{
	for (unsigned i = 0; i < HIST_NBUCKETS; i++) {
		uint64_t lo = hist_bucket_low(i), hi = hist_bucket_high(i);

		cr_assert_leq(lo, hi, "bucket %u: low %" PRIu64 " > high %" PRIu64, i, lo, hi);
		cr_assert_eq(hist_index(lo), i, "index(low(%u)=%" PRIu64 ")", i, lo);
		cr_assert_eq(hist_index(hi), i, "index(high(%u)=%" PRIu64 ")", i, hi);
		if (i + 1 < HIST_NBUCKETS) {
			cr_assert_eq(hist_bucket_low(i + 1), hi + 1,
				     "gap or overlap between buckets %u and %u", i, i + 1);
			cr_assert_gt(hist_bucket_low(i + 1), lo);
		}
	}
}

Test(hist, values_below_128_are_exact)
{
	for (unsigned v = 0; v < 128; v++) {
		cr_assert_eq(hist_index(v), v);
		cr_assert_eq(hist_bucket_low(v), v);
		cr_assert_eq(hist_bucket_high(v), v);
	}
}

Test(hist, relative_width_at_most_one_64th)
{
	for (unsigned i = 0; i < HIST_NBUCKETS; i++) {
		uint64_t lo = hist_bucket_low(i), hi = hist_bucket_high(i);
		uint64_t width = hi - lo + 1; /* no overflow: the last bucket is 2^57 wide */

		if (width == 1)
			continue; /* exact */
		cr_assert_leq(width, lo / 64, "bucket %u [%" PRIu64 ", %" PRIu64 "] is wider than 1/64",
			      i, lo, hi);
	}
}

Test(hist, edge_values_land_in_their_bucket)
{
	static const uint64_t fixed[] = { 0, 1, 2, 62, 63, 64, 65, 127, 128, 129, 1000, 1000000,
					  UINT64_MAX - 1, UINT64_MAX };

	for (size_t i = 0; i < sizeof(fixed) / sizeof(fixed[0]); i++)
		check_in_bucket(fixed[i]);
	for (unsigned k = 0; k < 64; k++) {
		uint64_t p = 1ull << k;

		check_in_bucket(p - 1);
		check_in_bucket(p);
		check_in_bucket(p + 1);
		check_in_bucket(p + p / 2);
	}
	/* Exact bucket boundaries at a few powers of two. */
	cr_assert_eq(hist_index(63), 63);
	cr_assert_eq(hist_index(64), 64);
	cr_assert_eq(hist_index(65), 65);
	cr_assert_eq(hist_index(128), 128);
	cr_assert_eq(hist_index(129), 128); /* [128, 129] share a bucket */
	cr_assert_eq(hist_index(130), 129);
	cr_assert_eq(hist_index(255), 191);
	cr_assert_eq(hist_index(256), 192);
}

Test(hist, random_values_land_in_their_bucket)
{
	struct rng r = { 0x9E3779B97F4A7C15ull };

	for (int i = 0; i < 200000; i++) {
		uint64_t v = rng_next(&r) >> (rng_next(&r) % 64);

		check_in_bucket(v);
	}
}

Test(hist, empty)
{
	struct hist h;

	memset(&h, 0xa5, sizeof(h));
	hist_reset(&h);
	cr_assert_eq(h.count, 0);
	cr_assert_eq(h.sum, 0);
	cr_assert_eq(h.min, 0);
	cr_assert_eq(h.max, 0);
	for (unsigned i = 0; i < HIST_NBUCKETS; i++)
		cr_assert_eq(h.buckets[i], 0, "bucket %u", i);
	cr_assert_eq(hist_quantile(&h, 0.5), 0);
	cr_assert_eq(hist_quantile(&h, 0.99), 0);
	cr_assert_eq(hist_quantile(&h, 1.0), 0);
}

Test(hist, add_tracks_count_sum_min_max)
{
	struct hist h;

	hist_reset(&h);
	hist_add(&h, 500);
	cr_assert_eq(h.count, 1);
	cr_assert_eq(h.min, 500);
	cr_assert_eq(h.max, 500);
	hist_add(&h, 7);
	hist_add(&h, 1000000);
	hist_add(&h, 0);
	cr_assert_eq(h.count, 4);
	cr_assert_eq(h.sum, 1000507);
	cr_assert_eq(h.min, 0);
	cr_assert_eq(h.max, 1000000);
	cr_assert_eq(h.buckets[hist_index(500)], 1);
	cr_assert_eq(h.buckets[7], 1);
	cr_assert_eq(h.buckets[0], 1);
	cr_assert_eq(h.buckets[hist_index(1000000)], 1);
}

Test(hist, quantile_bounds_and_single_value)
{
	struct hist h;

	hist_reset(&h);
	hist_add(&h, 123456789);
	/* A lone value is returned exactly: the midpoint is clamped to [min, max]. */
	cr_assert_eq(hist_quantile(&h, 0.01), 123456789);
	cr_assert_eq(hist_quantile(&h, 0.5), 123456789);
	cr_assert_eq(hist_quantile(&h, 1.0), 123456789);
	hist_add(&h, 10);
	cr_assert_eq(hist_quantile(&h, 0.5), 10);
	/* The 2nd of 2: the midpoint of 123456789's bucket, at most max. */
	cr_assert_eq(hist_index(hist_quantile(&h, 0.51)), hist_index(123456789));
	cr_assert_leq(hist_quantile(&h, 0.51), 123456789);
	cr_assert_eq(hist_quantile(&h, 0.0), 10);
	cr_assert_eq(hist_quantile(&h, 1.0), 123456789);
}

/* Fills h with n samples from gen and checks p1..p100 (and the usual ones)
 * against the exact values of the sorted samples. */
static void check_quantiles(const char *what, uint64_t *s, size_t n)
{
	static const unsigned ps[] = { 1, 10, 25, 50, 75, 90, 95, 99, 100 };
	struct hist *h = malloc(sizeof(*h));

	cr_assert_not_null(h);
	hist_reset(h);
	for (size_t i = 0; i < n; i++)
		hist_add(h, s[i]);
	qsort(s, n, sizeof(*s), cmp_u64);
	cr_assert_eq(h->count, n);
	cr_assert_eq(h->min, s[0], "%s: min", what);
	cr_assert_eq(h->max, s[n - 1], "%s: max", what);
	for (size_t i = 0; i < sizeof(ps) / sizeof(ps[0]); i++) {
		uint64_t want = exact_pct(s, n, ps[i]);
		uint64_t got = hist_quantile(h, ps[i] / 100.0);
		double err = want ? fabs((double)got - (double)want) / (double)want : (double)got;

		cr_expect_leq(err, 0.01, "%s (n=%zu): p%u is %" PRIu64 ", exact %" PRIu64 " (error %.4f)",
			      what, n, ps[i], got, want, err);
	}
	free(h);
}

static const size_t sizes[] = { 1, 2, 3, 7, 10, 99, 100, 101, 1000, 12345, 100000 };

Test(hist, quantiles_uniform)
{
	struct rng r = { 1 };

	for (size_t k = 0; k < sizeof(sizes) / sizeof(sizes[0]); k++) {
		size_t n = sizes[k];
		uint64_t *s = malloc(n * sizeof(*s));

		for (size_t i = 0; i < n; i++)
			s[i] = rng_next(&r) % 1000000000ull; /* 0 .. 1 s */
		check_quantiles("uniform 0..1s", s, n);
		for (size_t i = 0; i < n; i++)
			s[i] = 1000 + rng_next(&r) % 2000; /* 1 .. 3 us */
		check_quantiles("uniform 1..3us", s, n);
		free(s);
	}
}

Test(hist, quantiles_log_uniform)
{
	struct rng r = { 42 };
	const double top = log(600e9); /* 1 ns .. 10 minutes */

	for (size_t k = 0; k < sizeof(sizes) / sizeof(sizes[0]); k++) {
		size_t n = sizes[k];
		uint64_t *s = malloc(n * sizeof(*s));

		for (size_t i = 0; i < n; i++)
			s[i] = (uint64_t)exp(rng_unit(&r) * top);
		check_quantiles("log-uniform 1ns..10min", s, n);
		free(s);
	}
}

Test(hist, quantiles_bimodal)
{
	struct rng r = { 7 };
	size_t n = 20000;
	uint64_t *s = malloc(n * sizeof(*s));

	/* 95% fast (around 200 us), 5% slow (around 3 s): p99 sits in the tail. */
	for (size_t i = 0; i < n; i++)
		s[i] = rng_next(&r) % 100 < 95 ? 150000 + rng_next(&r) % 100000
					       : 2000000000ull + rng_next(&r) % 2000000000ull;
	check_quantiles("bimodal", s, n);
	free(s);
}

Test(hist, quantiles_constants_are_exact)
{
	static const uint64_t consts[] = { 0, 1, 63, 64, 65, 1000, 999999, 123456789,
					   60000000000ull, UINT64_MAX };

	for (size_t c = 0; c < sizeof(consts) / sizeof(consts[0]); c++) {
		struct hist h;

		hist_reset(&h);
		for (int i = 0; i < 1000; i++)
			hist_add(&h, consts[c]);
		cr_expect_eq(hist_quantile(&h, 0.5), consts[c], "constant %" PRIu64, consts[c]);
		cr_expect_eq(hist_quantile(&h, 0.9), consts[c], "constant %" PRIu64, consts[c]);
		cr_expect_eq(hist_quantile(&h, 0.99), consts[c], "constant %" PRIu64, consts[c]);
	}
}

Test(hist, quantiles_rank_rounding)
{
	struct hist h;

	/* 1..10 are exact buckets, so the rank rule shows through: p50 of ten
	 * values is the 5th, p51 the 6th, p90 the 9th, p91 the 10th. */
	hist_reset(&h);
	for (uint64_t v = 1; v <= 10; v++)
		hist_add(&h, v);
	cr_assert_eq(hist_quantile(&h, 0.50), 5);
	cr_assert_eq(hist_quantile(&h, 0.51), 6);
	cr_assert_eq(hist_quantile(&h, 0.90), 9);
	cr_assert_eq(hist_quantile(&h, 0.91), 10);
	cr_assert_eq(hist_quantile(&h, 0.99), 10);
	cr_assert_eq(hist_quantile(&h, 0.001), 1);
}

Test(hist, merge_equals_adding_all)
{
	struct rng r = { 99 };
	struct hist *all = malloc(sizeof(*all)), *a = malloc(sizeof(*a)), *b = malloc(sizeof(*b));

	hist_reset(all);
	hist_reset(a);
	hist_reset(b);
	for (int i = 0; i < 50000; i++) {
		uint64_t v = rng_next(&r) >> (rng_next(&r) % 60);

		hist_add(all, v);
		hist_add(i % 3 ? a : b, v);
	}
	hist_merge(a, b);
	cr_assert_eq(a->count, all->count);
	cr_assert_eq(a->sum, all->sum);
	cr_assert_eq(a->min, all->min);
	cr_assert_eq(a->max, all->max);
	cr_assert_eq(memcmp(a->buckets, all->buckets, sizeof(a->buckets)), 0);
	free(all);
	free(a);
	free(b);
}

Test(hist, merge_with_empty)
{
	struct hist full, empty, dst;

	hist_reset(&full);
	hist_reset(&empty);
	hist_add(&full, 300);
	hist_add(&full, 5000);

	/* Into an empty one: min must come from src, not stay 0. */
	hist_reset(&dst);
	hist_merge(&dst, &full);
	cr_assert_eq(dst.count, 2);
	cr_assert_eq(dst.min, 300);
	cr_assert_eq(dst.max, 5000);
	cr_assert_eq(dst.sum, 5300);
	cr_assert_eq(memcmp(&dst, &full, sizeof(dst)), 0);

	/* An empty one changes nothing (its min of 0 must not leak in). */
	hist_merge(&dst, &empty);
	cr_assert_eq(memcmp(&dst, &full, sizeof(dst)), 0);

	hist_reset(&dst);
	hist_merge(&dst, &empty);
	cr_assert_eq(memcmp(&dst, &empty, sizeof(dst)), 0);
	cr_assert_eq(hist_quantile(&dst, 0.5), 0);
}
