/* The reports: a histogram per state with its bars, the transitions, how
 * states ended, the loss line, and the census of live sockets, as text or
 * JSON Lines. Sample of the text report:
 *
 *   12:00:05 tcpdwell: 20 transitions, 0 lost
 *
 *   ESTABLISHED  count 2  p50 201ms  p90 201ms  p99 201ms  max 201ms
 *        200ms .. 500ms          2 |****************************************|
 *
 *   TRANSITIONS
 *     CLOSE        -> SYN_SENT            2
 */
#include <inttypes.h>
#include <string.h>
#include <time.h>
#include "render.h"
#include "report.h"
#include "states.h"
#include "vocab.h"

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

/* The sum of counts[] over a vocabulary's values, all or the early ends. */
static uint64_t vocab_sum(const struct td_vocab *v, const uint64_t *counts, bool early_only)
{
	uint64_t sum = 0;

	for (unsigned int i = 1; i < v->n; i++)
		if (!early_only || td_tw_end_early(i))
			sum += counts[i];
	return sum;
}

/* "TIME_WAIT ends: 4 expired, 1 early (reuse 1, killed 0, netns 0); 0
 * orphaned FIN_WAIT2" */
static void tw_ends_text(FILE *f, const struct td_agg *a)
{
	const struct td_vocab *v = &td_tw_end_vocab;
	const char *sep = "";

	fprintf(f, "\nTIME_WAIT ends: %" PRIu64 " expired, %" PRIu64 " early (", a->tw_ends[TD_TW_EXPIRED],
		vocab_sum(v, a->tw_ends, true));
	for (unsigned int i = 1; i < v->n; i++) {
		if (!td_tw_end_early(i))
			continue;
		fprintf(f, "%s%s %" PRIu64, sep, v->words[i], a->tw_ends[i]);
		sep = ", ";
	}
	fprintf(f, "); %" PRIu64 " orphaned FIN_WAIT2\n", a->orphans);
}

/* "Handshakes (SYN_RECV): 7 established, 0 expired, 2 dropped", without
 * the newline */
static void outcomes_text(FILE *f, const char *title, const struct td_vocab *v, const uint64_t *counts)
{
	fputs(title, f);
	for (unsigned int i = 1; i < v->n; i++)
		fprintf(f, "%s %" PRIu64 " %s", i > 1 ? "," : "", counts[i], v->words[i]);
}

/* "; resets sent: TCP_ABORT_ON_CLOSE 2, TCP_STATE 1" */
static void resets_text(FILE *f, const struct td_agg *a)
{
	const char *sep = "; resets sent: ";

	for (unsigned int r = 0; r < TD_RST_MAX; r++) {
		if (!a->resets_sent[r])
			continue;
		fprintf(f, "%s%s %" PRIu64, sep, td_rst_reason_word(r), a->resets_sent[r]);
		sep = ", ";
	}
}

/* The lines on how states ended, after one blank line. */
static void ends_text(FILE *f, const struct td_agg *a)
{
	bool tw = vocab_sum(&td_tw_end_vocab, a->tw_ends, false);

	if (tw)
		tw_ends_text(f, a);
	if (vocab_sum(&td_hs_outcome_vocab, a->hs_outcomes, false)) {
		outcomes_text(f, tw ? "Handshakes (SYN_RECV):" : "\nHandshakes (SYN_RECV):", &td_hs_outcome_vocab,
			      a->hs_outcomes);
		fputc('\n', f);
		tw = true;
	}
	if (vocab_sum(&td_connect_vocab, a->connects, false)) {
		outcomes_text(f, tw ? "Connects (SYN_SENT):" : "\nConnects (SYN_SENT):", &td_connect_vocab, a->connects);
		fprintf(f, "; %" PRIu64 " retransmitted a SYN\n", a->syn_retransmitted);
		tw = true;
	}
	if (vocab_sum(&td_close_vocab, a->closes, false)) {
		outcomes_text(f, tw ? "Closes:" : "\nCloses:", &td_close_vocab, a->closes);
		resets_text(f, a);
		fputc('\n', f);
	}
}

/* ,"expired":4,"reuse":1,... for every value of a vocabulary */
static void vocab_json(FILE *f, const struct td_vocab *v, const uint64_t *counts)
{
	for (unsigned int i = 1; i < v->n; i++)
		fprintf(f, ",\"%s\":%" PRIu64, v->words[i], counts[i]);
}

void td_render_report_text(FILE *f, const struct td_agg *a, const struct td_loss *l, uint64_t now_ns)
{
	time_t secs = (time_t)(now_ns / 1000000000ull);
	struct tm tm;
	int shown = 0;

	localtime_r(&secs, &tm);
	fprintf(f, "%02d:%02d:%02d tcpdwell: %" PRIu64 " transition%s, %" PRIu64 " lost",
		tm.tm_hour, tm.tm_min, tm.tm_sec, a->events, a->events == 1 ? "" : "s", td_loss_total(l));
	if (td_loss_total(l))
		fprintf(f, " (ring buffer full: %" PRIu64 ", kernel recursion: %" PRIu64
			", mini socks untracked: %" PRIu64 "%s)", l->ringbuf, l->recursion, l->mini_untracked,
			l->ringbuf ? "; raise --ringbuf-size" : "");
	if (l->no_storage)
		fprintf(f, ", %" PRIu64 " without socket storage", l->no_storage);
	fputc('\n', f);

	for (int s = 1; s < TD_MAX_STATES; s++) {
		const struct hist *h = &a->dwell[s];
		char p50[16], p90[16], p99[16], max[16];

		if (!h->count && !a->unknown[s])
			continue;
		shown++;
		fprintf(f, "\n%-12s count %" PRIu64, td_state_name(s), h->count);
		if (h->count)
			fprintf(f, "  p50 %s  p90 %s  p99 %s  max %s",
				td_fmt_duration(p50, sizeof(p50), hist_quantile(h, 0.50)),
				td_fmt_duration(p90, sizeof(p90), hist_quantile(h, 0.90)),
				td_fmt_duration(p99, sizeof(p99), hist_quantile(h, 0.99)),
				td_fmt_duration(max, sizeof(max), h->max));
		else
			fputs("  p50 -  p90 -  p99 -  max -", f);
		if (a->unknown[s])
			fprintf(f, "  (+%" PRIu64 " of unknown dwell)", a->unknown[s]);
		fputc('\n', f);
		if (h->count)
			render_bars(f, h);
	}
	if (!shown)
		fputs("\n(no dwell times yet)\n", f);

	if (a->events) {
		fputs("\nTRANSITIONS\n", f);
		for (int o = 1; o < TD_MAX_STATES; o++)
			for (int n = 1; n < TD_MAX_STATES; n++)
				if (a->trans[o][n])
					fprintf(f, "  %-12s -> %-12s %10" PRIu64 "\n", td_state_name(o),
						td_state_name(n), a->trans[o][n]);
	}
	ends_text(f, a);
}

/* "Sockets now: 3 LISTEN, 12 ESTABLISHED, 58 TIME_WAIT, 141 FIN_WAIT2
 * (141 orphaned), 0 NEW_SYN_RECV" */
void td_render_census_text(FILE *f, const uint64_t c[TD_CENSUS_MAX])
{
	const char *sep = "";

	fputs("Sockets now:", f);
	for (int s = 1; s < TD_MAX_STATES; s++) {
		if (!c[s] && s != TD_TIME_WAIT && s != TD_NEW_SYN_RECV)
			continue;
		fprintf(f, "%s %" PRIu64 " %s", sep, c[s], td_state_name(s));
		if (s == TD_FIN_WAIT2 && c[TD_CENSUS_ORPHANS])
			fprintf(f, " (%" PRIu64 " orphaned)", c[TD_CENSUS_ORPHANS]);
		sep = ",";
	}
	fputc('\n', f);
}

void td_render_census_json(FILE *f, const uint64_t c[TD_CENSUS_MAX])
{
	fputs("{\"type\":\"sockets\"", f);
	for (int s = 1; s < TD_MAX_STATES; s++)
		fprintf(f, ",\"%s\":%" PRIu64, td_state_name(s), c[s]);
	fprintf(f, ",\"FIN_WAIT2_orphaned\":%" PRIu64 "}\n", c[TD_CENSUS_ORPHANS]);
}

/* {"type":"histogram","state":"SYN_SENT"[,"outcome":"refused"],"count":...,"buckets":[...]} */
static void hist_json(FILE *f, int state, const char *outcome, const struct hist *h, uint64_t unknown)
{
	int first = 1;

	fprintf(f, "{\"type\":\"histogram\",\"state\":\"%s\"", td_state_name(state));
	if (outcome)
		fprintf(f, ",\"outcome\":\"%s\"", outcome);
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

/* {"type":"closes","normal":N,...,"rst_reasons":{"TCP_STATE":N}} */
static void closes_json(FILE *f, const struct td_agg *a)
{
	const char *sep = "";

	fputs("{\"type\":\"closes\"", f);
	vocab_json(f, &td_close_vocab, a->closes);
	fputs(",\"rst_reasons\":{", f);
	for (unsigned int r = 0; r < TD_RST_MAX; r++) {
		if (!a->resets_sent[r])
			continue;
		fprintf(f, "%s\"%s\":%" PRIu64, sep, td_rst_reason_word(r), a->resets_sent[r]);
		sep = ",";
	}
	fputs("}}\n", f);
}

void td_render_report_json(FILE *f, const struct td_agg *a, const struct td_loss *l, uint64_t now_ns,
			   uint64_t interval_ns)
{
	for (int s = 1; s < TD_MAX_STATES; s++)
		if (a->dwell[s].count || a->unknown[s])
			hist_json(f, s, NULL, &a->dwell[s], a->unknown[s]);
	/* SYN_SENT again, per connect outcome */
	for (unsigned int i = 1; i < td_connect_vocab.n; i++)
		if (a->connect_dwell[i].count)
			hist_json(f, TD_SYN_SENT, td_connect_vocab.words[i], &a->connect_dwell[i], 0);
	for (int o = 1; o < TD_MAX_STATES; o++)
		for (int n = 1; n < TD_MAX_STATES; n++)
			if (a->trans[o][n])
				fprintf(f, "{\"type\":\"transitions\",\"old\":\"%s\",\"new\":\"%s\",\"count\":%" PRIu64 "}\n",
					td_state_name(o), td_state_name(n), a->trans[o][n]);
	if (vocab_sum(&td_tw_end_vocab, a->tw_ends, false) || a->orphans) {
		fputs("{\"type\":\"time_wait_ends\"", f);
		vocab_json(f, &td_tw_end_vocab, a->tw_ends);
		fprintf(f, ",\"orphaned_fin_wait2\":%" PRIu64 "}\n", a->orphans);
	}
	if (vocab_sum(&td_hs_outcome_vocab, a->hs_outcomes, false)) {
		fputs("{\"type\":\"handshakes\"", f);
		vocab_json(f, &td_hs_outcome_vocab, a->hs_outcomes);
		fputs("}\n", f);
	}
	if (vocab_sum(&td_connect_vocab, a->connects, false)) {
		fputs("{\"type\":\"connects\"", f);
		vocab_json(f, &td_connect_vocab, a->connects);
		fprintf(f, ",\"syn_retransmitted\":%" PRIu64 ",\"syn_retrans\":%" PRIu64 "}\n",
			a->syn_retransmitted, a->syn_retrans);
	}
	if (vocab_sum(&td_close_vocab, a->closes, false))
		closes_json(f, a);
	fprintf(f, "{\"type\":\"summary\",\"events\":%" PRIu64 ",\"lost\":%" PRIu64
		",\"lost_ringbuf\":%" PRIu64 ",\"lost_recursion\":%" PRIu64 ",\"lost_untracked_mini\":%" PRIu64
		",\"no_storage\":%" PRIu64 ",\"time_ns\":%" PRIu64 ",\"interval_ns\":%" PRIu64 "}\n",
		a->events, td_loss_total(l), l->ringbuf, l->recursion, l->mini_untracked, l->no_storage, now_ns,
		interval_ns);
}

