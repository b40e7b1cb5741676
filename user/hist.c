/* Log-linear histogram: bucketing, merging and quantiles. No I/O. */
#include <math.h>
#include <string.h>
#include "hist.h"

void hist_reset(struct hist *h)
{
	memset(h, 0, sizeof(*h));
}

unsigned hist_index(uint64_t v)
{
	return td_hist_index(v);
}

uint64_t hist_bucket_low(unsigned idx)
{
	unsigned e, m;

	if (idx < HIST_SUB)
		return idx;
	e = (idx - HIST_SUB) / HIST_SUB;
	m = (idx - HIST_SUB) % HIST_SUB;
	return (uint64_t)(HIST_SUB + m) << e;
}

uint64_t hist_bucket_high(unsigned idx)
{
	if (idx < HIST_SUB)
		return idx;
	if (idx == HIST_NBUCKETS - 1)
		return UINT64_MAX;
	return hist_bucket_low(idx + 1) - 1;
}

void hist_add(struct hist *h, uint64_t v)
{
	if (h->count == 0 || v < h->min)
		h->min = v;
	if (v > h->max)
		h->max = v;
	h->count++;
	h->sum += v;
	h->buckets[hist_index(v)]++;
}

void hist_merge(struct hist *dst, const struct hist *src)
{
	if (src->count == 0)
		return;
	if (dst->count == 0 || src->min < dst->min)
		dst->min = src->min;
	if (src->max > dst->max)
		dst->max = src->max;
	dst->count += src->count;
	dst->sum += src->sum;
	for (unsigned i = 0; i < HIST_NBUCKETS; i++)
		dst->buckets[i] += src->buckets[i];
}

uint64_t hist_quantile(const struct hist *h, double q)
{
	uint64_t rank, seen = 0;

	if (h->count == 0)
		return 0;
	if (q <= 0)
		return h->min;
	if (q >= 1)
		return h->max;
	rank = (uint64_t)ceil(q * (double)h->count);
	if (rank == 0)
		rank = 1;
	for (unsigned i = 0; i < HIST_NBUCKETS; i++) {
		uint64_t lo, hi, mid;

		seen += h->buckets[i];
		if (seen < rank)
			continue;
		lo = hist_bucket_low(i);
		hi = hist_bucket_high(i);
		mid = lo + (hi - lo) / 2;
		if (mid < h->min)
			mid = h->min;
		if (mid > h->max)
			mid = h->max;
		return mid;
	}
	return h->max;
}

void hist_delta(struct hist *dst, const struct hist *cur, const struct hist *prev)
{
	int lo = -1, hi = -1;

	hist_reset(dst);
	for (unsigned i = 0; i < HIST_NBUCKETS; i++) {
		dst->buckets[i] = cur->buckets[i] - prev->buckets[i];
		if (dst->buckets[i]) {
			if (lo < 0)
				lo = (int)i;
			hi = (int)i;
		}
	}
	dst->count = cur->count - prev->count;
	dst->sum = cur->sum - prev->sum;
	if (lo < 0)
		return;
	/* The totals' extremes are exact when they fall in this interval's
	 * outermost buckets; otherwise the bucket bounds stand in. */
	dst->min = hist_index(cur->min) == (unsigned)lo ? cur->min : hist_bucket_low((unsigned)lo);
	dst->max = hist_index(cur->max) == (unsigned)hi ? cur->max : hist_bucket_high((unsigned)hi);
}
