/* Log-linear (HDR-style) histogram of durations in ns: values below 64 are
 * exact, above that every power of two is split into 64 equal buckets, so a
 * bucket is at most 1/64 (1.6%) of its value wide and a percentile reported
 * at the bucket midpoint is within 0.8% of the truth. */
#ifndef TD_HIST_H
#define TD_HIST_H

#include <stdint.h>
#include <linux/types.h>
#include "tcpdwell.h"

#define HIST_SUB_BITS TD_HIST_SUB_BITS
#define HIST_SUB TD_HIST_SUB
#define HIST_NBUCKETS TD_HIST_NBUCKETS

struct hist {
	uint64_t count;
	uint64_t sum;
	uint64_t min;
	uint64_t max;
	uint64_t buckets[HIST_NBUCKETS];
};

void hist_reset(struct hist *h);
unsigned hist_index(uint64_t v);
uint64_t hist_bucket_low(unsigned idx);
/* Inclusive upper bound of a bucket. */
uint64_t hist_bucket_high(unsigned idx);
void hist_add(struct hist *h, uint64_t v);
void hist_merge(struct hist *dst, const struct hist *src);
/* dst = cur - prev, for totals that only grow. The extremes of the
 * difference are not kept by such totals: min and max become the bounds of
 * its lowest and highest non-empty buckets (within 1.6%), unless the
 * totals' own extremes fall in those buckets. */
void hist_delta(struct hist *dst, const struct hist *cur, const struct hist *prev);
/* The value at quantile q (0 < q <= 1): the midpoint of the bucket holding
 * the ceil(q*count)-th smallest value, clamped to [min, max]; 0 if empty. */
uint64_t hist_quantile(const struct hist *h, double q);

#endif
