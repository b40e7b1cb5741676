/* One histogram as the reports show it: a text title line with count and
 * percentiles and its 1-2-5 bar rows, or a JSON histogram object's keys.
 * Sample:
 *
 *   ESTABLISHED  count 2  p50 201ms  p90 201ms  p99 201ms  max 201ms
 *        200ms .. 500ms          2 |****************************************|
 */
#include <inttypes.h>
#include <string.h>
#include "render.h"
#include "render_hist.h"

#define BAR_WIDTH 40

/* Bar rows follow a 1-2-5 sequence (1us, 2us, 5us, 10us, ...). A fine bucket
 * goes to the row that holds its midpoint. */
static uint64_t row_floor(uint64_t v)
{
	uint64_t decade = 1;

	while (decade <= v / 10)
		decade *= 10;
	if (v >= 5 * decade)
		return 5 * decade;
	if (v >= 2 * decade)
		return 2 * decade;
	return decade;
}

static uint64_t row_next(uint64_t lo)
{
	uint64_t decade = 1;

	while (decade <= lo / 10)
		decade *= 10;
	if (lo == decade)
		return 2 * decade;
	if (lo == 2 * decade)
		return 5 * decade;
	return 10 * decade;
}

static void render_bars(FILE *f, const struct hist *h)
{
	/* A 0 ns dwell gets a first row of 0 .. 10ns (row_next(0) is 10). */
	uint64_t lo = h->min ? row_floor(h->min) : 0, top = 0;
	uint64_t rows[64][2];
	int n = 0;

	/* Rows from the one holding min to the one holding max. */
	while (n < 64) {
		uint64_t hi = row_next(lo), c = 0;

		for (unsigned i = 0; i < HIST_NBUCKETS; i++) {
			uint64_t mid;

			if (!h->buckets[i])
				continue;
			mid = hist_bucket_low(i) + (hist_bucket_high(i) - hist_bucket_low(i)) / 2;
			if (mid < h->min)
				mid = h->min;
			if (mid > h->max)
				mid = h->max;
			if (mid >= lo && mid < hi)
				c += h->buckets[i];
		}
		rows[n][0] = lo;
		rows[n][1] = c;
		if (c > top)
			top = c;
		n++;
		if (h->max < hi || hi < lo)
			break;
		lo = hi;
	}
	for (int r = 0; r < n; r++) {
		char a[16], b[16], bar[BAR_WIDTH + 1];
		int w = top ? (int)((rows[r][1] * BAR_WIDTH + top - 1) / top) : 0;

		memset(bar, ' ', BAR_WIDTH);
		memset(bar, '*', (size_t)w);
		bar[BAR_WIDTH] = '\0';
		fprintf(f, "  %8s .. %-8s %10" PRIu64 " |%s|\n", td_fmt_duration(a, sizeof(a), rows[r][0]),
			td_fmt_duration(b, sizeof(b), row_next(rows[r][0])), rows[r][1], bar);
	}
}

/* "ESTABLISHED  count 2  p50 201ms  p90 201ms  p99 201ms  max 201ms" and
 * its bars, after a blank line. */
void td_hist_text(FILE *f, const char *title, const struct hist *h, uint64_t unknown)
{
	char p50[16], p90[16], p99[16], max[16];

	fprintf(f, "\n%-12s count %" PRIu64, title, h->count);
	if (h->count)
		fprintf(f, "  p50 %s  p90 %s  p99 %s  max %s",
			td_fmt_duration(p50, sizeof(p50), hist_quantile(h, 0.50)),
			td_fmt_duration(p90, sizeof(p90), hist_quantile(h, 0.90)),
			td_fmt_duration(p99, sizeof(p99), hist_quantile(h, 0.99)),
			td_fmt_duration(max, sizeof(max), h->max));
	else
		fputs("  p50 -  p90 -  p99 -  max -", f);
	if (unknown)
		fprintf(f, "  (+%" PRIu64 " of unknown dwell)", unknown);
	fputc('\n', f);
	if (h->count)
		render_bars(f, h);
}

/* ,"count":...,"buckets":[...]} and the newline: a histogram object's keys */
void td_hist_json_body(FILE *f, const struct hist *h, uint64_t unknown)
{
	int first = 1;

	fprintf(f, ",\"count\":%" PRIu64 ",\"unknown\":%" PRIu64, h->count, unknown);
	if (h->count)
		fprintf(f, ",\"min_ns\":%" PRIu64 ",\"p50_ns\":%" PRIu64 ",\"p90_ns\":%" PRIu64
			",\"p99_ns\":%" PRIu64 ",\"max_ns\":%" PRIu64 ",\"sum_ns\":%" PRIu64,
			h->min, hist_quantile(h, 0.50), hist_quantile(h, 0.90),
			hist_quantile(h, 0.99), h->max, h->sum);
	else
		fputs(",\"min_ns\":null,\"p50_ns\":null,\"p90_ns\":null,\"p99_ns\":null,\"max_ns\":null,\"sum_ns\":0", f);
	fputs(",\"buckets\":[", f);
	for (unsigned i = 0; i < HIST_NBUCKETS; i++) {
		if (!h->buckets[i])
			continue;
		fprintf(f, "%s{\"le_ns\":%" PRIu64 ",\"count\":%" PRIu64 "}", first ? "" : ",",
			hist_bucket_high(i), h->buckets[i]);
		first = 0;
	}
	fputs("]}\n", f);
}
