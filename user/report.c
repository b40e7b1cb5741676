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
#include <arpa/inet.h>
#include <inttypes.h>
#include <string.h>
#include <time.h>
#include "render.h"
#include "report.h"
#include "render_hist.h"
#include "states.h"
#include "vocab.h"

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

/* "ACCEPT WAIT :8080  count 3  p50 ..." per listener port, then "ACCEPT
 * WAIT other"; returns how many were shown. */
static int accept_text(FILE *f, const struct td_accept_waits *w)
{
	char title[32];
	int shown = 0;

	for (unsigned i = 0; i < w->n; i++)
		if (td_port_wait_used(&w->port[i])) {
			snprintf(title, sizeof(title), "ACCEPT WAIT :%u", w->port[i].port);
			td_hist_text(f, title, &w->port[i].h, w->port[i].unknown);
			shown++;
		}
	if (td_port_wait_used(&w->other)) {
		td_hist_text(f, "ACCEPT WAIT other", &w->other.h, w->other.unknown);
		shown++;
	}
	return shown;
}

void td_render_report_text(FILE *f, const struct td_agg *a, const struct td_loss *l, uint64_t now_ns)
{
	time_t secs = (time_t)(now_ns / 1000000000ull);
	struct tm tm;
	int shown = 0;

	localtime_r(&secs, &tm);
	fprintf(f, "%02d:%02d:%02d tcpdwell: %" PRIu64 " transition%s, %" PRIu64 " lost",
		tm.tm_hour, tm.tm_min, tm.tm_sec, a->events, a->events == 1 ? "" : "s", td_loss_total(l));
	/* The kernel's recursion misses count every program run, before any
	 * filter looks at the socket: the total is not the filtered view's. */
	if (td_loss_total(l))
		fprintf(f, " across all sockets, before filtering (ring buffer full: %" PRIu64 ", kernel recursion: %" PRIu64
			", mini socks untracked: %" PRIu64 "%s)", l->ringbuf, l->recursion, l->mini_untracked,
			l->ringbuf ? "; raise --ringbuf-size" : "");
	if (l->no_storage)
		fprintf(f, ", %" PRIu64 " without socket storage", l->no_storage);
	fputc('\n', f);

	for (int s = 1; s < TD_MAX_STATES; s++)
		if (a->dwell[s].count || a->unknown[s]) {
			td_hist_text(f, td_state_name(s), &a->dwell[s], a->unknown[s]);
			shown++;
		}
	shown += accept_text(f, &a->accept);
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
	fprintf(f, "{\"type\":\"histogram\",\"state\":\"%s\"", td_state_name(state));
	if (outcome)
		fprintf(f, ",\"outcome\":\"%s\"", outcome);
	td_hist_json_body(f, h, unknown);
}

/* {"type":"accept_wait","port":8080,"count":...} per listener port, then
 * "port":"other" for the ports past the cap. */
static void accept_json(FILE *f, const struct td_accept_waits *w)
{
	for (unsigned i = 0; i < w->n; i++)
		if (td_port_wait_used(&w->port[i])) {
			fprintf(f, "{\"type\":\"accept_wait\",\"port\":%u", w->port[i].port);
			td_hist_json_body(f, &w->port[i].h, w->port[i].unknown);
		}
	if (td_port_wait_used(&w->other)) {
		fputs("{\"type\":\"accept_wait\",\"port\":\"other\"", f);
		td_hist_json_body(f, &w->other.h, w->other.unknown);
	}
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
	accept_json(f, &a->accept);
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
		",\"lost_scope\":\"all_sockets\",\"no_storage\":%" PRIu64 ",\"time_ns\":%" PRIu64 ",\"interval_ns\":%" PRIu64 "}\n",
		a->events, td_loss_total(l), l->ringbuf, l->recursion, l->mini_untracked, l->no_storage, now_ns,
		interval_ns);
}


static void listener_addr(char *buf, size_t len, const struct td_listener_stat *s)
{
	char a[INET6_ADDRSTRLEN];

	td_fmt_addr(a, sizeof(a), s->family, s->addr);
	snprintf(buf, len, s->family == 6 ? "[%s]:%u" : "%s:%u", a, s->port);
}

void td_render_listeners_text(FILE *f, const struct td_listeners *l)
{
	char where[64];

	for (unsigned int i = 0; i < l->n; i++) {
		const struct td_listener_stat *s = &l->v[i];

		if (!td_listener_dropped(s) && !s->backlog)
			continue;
		listener_addr(where, sizeof(where), s);
		fprintf(f, "Listener %s: dropped %" PRIu32 " SYN%s (a queue was full), accept queue %" PRIu32
			"/%" PRIu32 "\n", where, td_listener_dropped(s), td_listener_dropped(s) == 1 ? "" : "s",
			s->backlog, s->max_backlog);
	}
	if (l->untracked)
		fprintf(f, "(%" PRIu64 " more listeners not tracked)\n", l->untracked);
}

void td_render_listeners_json(FILE *f, const struct td_listeners *l)
{
	char a[INET6_ADDRSTRLEN];

	for (unsigned int i = 0; i < l->n; i++) {
		const struct td_listener_stat *s = &l->v[i];

		fprintf(f, "{\"type\":\"listen_drops\",\"port\":%u,\"family\":%u,\"addr\":\"%s\",\"netns\":%" PRIu32
			",\"dropped\":%" PRIu32 ",\"accept_queue\":%" PRIu32 ",\"accept_queue_max\":%" PRIu32 "}\n",
			s->port, s->family, td_fmt_addr(a, sizeof(a), s->family, s->addr), s->netns,
			td_listener_dropped(s), s->backlog, s->max_backlog);
	}
}
