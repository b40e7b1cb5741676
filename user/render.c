/* Text and JSON renderers. Sample of the text report:
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
#include "states.h"
#include "vocab.h"

#define BAR_WIDTH 40

/* Each unit ends at 999.5 of it, not 1000: %.3g rounds 999.5 up to "1e+03". */
char *td_fmt_duration(char *buf, size_t len, uint64_t ns)
{
	if (ns < 1000)
		snprintf(buf, len, "%" PRIu64 "ns", ns);
	else if (ns < 999500)
		snprintf(buf, len, "%.3gus", ns / 1e3);
	else if (ns < 999500000)
		snprintf(buf, len, "%.3gms", ns / 1e6);
	else if (ns < 999500000000ull)
		snprintf(buf, len, "%.3gs", ns / 1e9);
	else
		snprintf(buf, len, "%.0fs", ns / 1e9);
	return buf;
}

char *td_fmt_addr(char *buf, size_t len, int family, const uint8_t *addr)
{
	if (!inet_ntop(family == 4 ? AF_INET : AF_INET6, addr, buf, (socklen_t)len))
		snprintf(buf, len, "?");
	return buf;
}

/* Writes s (at most max bytes, stopping at NUL) as a JSON string. */
static void json_str(FILE *f, const char *s, size_t max)
{
	fputc('"', f);
	for (size_t i = 0; i < max && s[i]; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c == '"' || c == '\\')
			fprintf(f, "\\%c", c);
		else if (c < 0x20 || c >= 0x7f)
			fprintf(f, "\\u%04x", c);
		else
			fputc(c, f);
	}
	fputc('"', f);
}

static void wall_clock(char *buf, size_t len, uint64_t realtime_ns)
{
	time_t secs = (time_t)(realtime_ns / 1000000000ull);
	struct tm tm;

	localtime_r(&secs, &tm);
	snprintf(buf, len, "%02d:%02d:%02d.%03u", tm.tm_hour, tm.tm_min, tm.tm_sec,
		 (unsigned)(realtime_ns % 1000000000ull / 1000000));
}

void td_render_event_header(FILE *f, const struct td_render_opts *o)
{
	int aw = o->wide ? 39 : 15;

	fprintf(f, "%-12s %-7s %-16s %-*s %-5s %-*s %-5s %-11s    %-11s %s\n", "TIME", "PID", "COMM",
		aw, "LADDR", "LPORT", aw, "RADDR", "RPORT", "OLDSTATE", "NEWSTATE", "MS");
}

void td_render_event_text(FILE *f, const struct td_render_opts *o, const struct td_event *e)
{
	char when[32], pid[16], comm[TD_COMM_LEN + 1], sa[INET6_ADDRSTRLEN], da[INET6_ADDRSTRLEN], ms[32];
	int aw = o->wide ? 39 : 15;
	const char *w;
	char ebuf[16];

	wall_clock(when, sizeof(when), e->ts_ns + (uint64_t)o->realtime_offset_ns);
	if (e->flags & TD_F_PID_KNOWN) {
		snprintf(pid, sizeof(pid), "%u", e->pid);
		memcpy(comm, e->comm, TD_COMM_LEN);
		comm[TD_COMM_LEN] = '\0';
	} else {
		strcpy(pid, "-");
		strcpy(comm, "-");
	}
	if (e->flags & TD_F_DWELL_KNOWN)
		snprintf(ms, sizeof(ms), "%.3f", e->dwell_ns / 1e6);
	else if (e->flags & TD_F_AT_LEAST)
		snprintf(ms, sizeof(ms), ">=%.3f", e->dwell_ns / 1e6);
	else
		strcpy(ms, "-");
	fprintf(f, "%-12s %-7s %-16s %-*s %-5u %-*s %-5u %-11s -> %-11s %s", when, pid, comm,
		aw, td_fmt_addr(sa, sizeof(sa), e->family, e->saddr), e->sport,
		aw, td_fmt_addr(da, sizeof(da), e->family, e->daddr), e->dport,
		td_state_name(e->oldstate), td_state_name(e->newstate), ms);
	/* " expired", " early:reuse"; a handshake's " established" */
	if ((w = td_vocab_word(&td_tw_end_vocab, e->tw_end)))
		fprintf(f, " %s%s", td_tw_end_early(e->tw_end) ? "early:" : "", w);
	if ((w = td_vocab_word(&td_hs_outcome_vocab, e->hs_outcome)))
		fprintf(f, " %s", w);
	/* " refused syn_retrans=1 error=ECONNREFUSED" */
	if ((w = td_vocab_word(&td_connect_vocab, e->connect))) {
		fprintf(f, " %s", w);
		if (e->syn_retrans)
			fprintf(f, " syn_retrans=%u", e->syn_retrans);
	}
	if (e->error)
		fprintf(f, " error=%s", td_errno_name(e->error, ebuf, sizeof(ebuf)));
	if (e->flags & TD_F_ORPHAN)
		fputs(" orphan", f);
	if (e->flags & TD_F_INFERRED)
		fputs(" inferred", f);
	fputc('\n', f);
}

void td_render_event_json(FILE *f, const struct td_render_opts *o, const struct td_event *e)
{
	char sa[INET6_ADDRSTRLEN], da[INET6_ADDRSTRLEN];
	const char *w;
	char ebuf[16];

	fprintf(f, "{\"type\":\"transition\",\"time_ns\":%" PRIu64 ",\"pid\":",
		(uint64_t)(e->ts_ns + (uint64_t)o->realtime_offset_ns));
	if (e->flags & TD_F_PID_KNOWN) {
		fprintf(f, "%u,\"comm\":", e->pid);
		json_str(f, e->comm, TD_COMM_LEN);
	} else {
		fputs("null,\"comm\":null", f);
	}
	fprintf(f, ",\"family\":%u,\"saddr\":\"%s\",\"sport\":%u,\"daddr\":\"%s\",\"dport\":%u,"
		"\"old\":\"%s\",\"new\":\"%s\",\"dwell_ns\":",
		e->family, td_fmt_addr(sa, sizeof(sa), e->family, e->saddr), e->sport,
		td_fmt_addr(da, sizeof(da), e->family, e->daddr), e->dport,
		td_state_name(e->oldstate), td_state_name(e->newstate));
	if (e->flags & (TD_F_DWELL_KNOWN | TD_F_AT_LEAST))
		fprintf(f, "%" PRIu64, (uint64_t)e->dwell_ns);
	else
		fputs("null", f);
	if (e->flags & TD_F_AT_LEAST)
		fputs(",\"dwell_at_least\":true", f);
	/* "reason":"expired", or "reason":"early","cause":"reuse" */
	if ((w = td_vocab_word(&td_tw_end_vocab, e->tw_end))) {
		fprintf(f, ",\"reason\":\"%s\"", td_tw_end_early(e->tw_end) ? "early" : w);
		if (td_tw_end_early(e->tw_end))
			fprintf(f, ",\"cause\":\"%s\"", w);
	}
	if ((w = td_vocab_word(&td_hs_outcome_vocab, e->hs_outcome)))
		fprintf(f, ",\"outcome\":\"%s\"", w);
	if ((w = td_vocab_word(&td_connect_vocab, e->connect)))
		fprintf(f, ",\"outcome\":\"%s\",\"syn_retrans\":%u", w, e->syn_retrans);
	if (e->error)
		fprintf(f, ",\"error\":\"%s\"", td_errno_name(e->error, ebuf, sizeof(ebuf)));
	if (e->flags & TD_F_ORPHAN)
		fputs(",\"orphan\":true", f);
	if (e->flags & TD_F_INFERRED)
		fputs(",\"inferred\":true", f);
	fprintf(f, ",\"netns\":%u,\"cgroup_id\":%" PRIu64 ",\"skaddr\":\"0x%" PRIx64 "\"}\n",
		e->netns, (uint64_t)e->cgroup_id, (uint64_t)e->skaddr);
}

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
	fprintf(f, "%02d:%02d:%02d tcpdwell: %" PRIu64 " transitions, %" PRIu64 " lost",
		tm.tm_hour, tm.tm_min, tm.tm_sec, a->events, td_loss_total(l));
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
	fflush(f);
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
	fflush(f);
}

void td_render_census_json(FILE *f, const uint64_t c[TD_CENSUS_MAX])
{
	fputs("{\"type\":\"sockets\"", f);
	for (int s = 1; s < TD_MAX_STATES; s++)
		fprintf(f, ",\"%s\":%" PRIu64, td_state_name(s), c[s]);
	fprintf(f, ",\"FIN_WAIT2_orphaned\":%" PRIu64 "}\n", c[TD_CENSUS_ORPHANS]);
	fflush(f);
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

void td_render_report_json(FILE *f, const struct td_agg *a, const struct td_loss *l)
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
	fprintf(f, "{\"type\":\"summary\",\"events\":%" PRIu64 ",\"lost\":%" PRIu64
		",\"lost_ringbuf\":%" PRIu64 ",\"lost_recursion\":%" PRIu64 ",\"lost_untracked_mini\":%" PRIu64
		",\"no_storage\":%" PRIu64 "}\n",
		a->events, td_loss_total(l), l->ringbuf, l->recursion, l->mini_untracked, l->no_storage);
	fflush(f);
}

/* One live socket of `tcpdwell snapshot`:
 *   CLOSE_WAIT   127.0.0.1:8080                127.0.0.1:51234               12.3s      4242/leaky
 * IN STATE is ">=" when the socket was already in its state when the tracer
 * started, "?" when no tracer knows. */
void td_render_snap_header(FILE *f, const struct td_render_opts *o)
{
	int aw = o->wide ? 47 : 22;

	fprintf(f, "%-12s %-*s %-*s %-10s %s\n", "STATE", aw, "LOCAL", aw, "PEER", "IN STATE", "PID/COMM");
}

static void endpoint(char *buf, size_t len, int family, const uint8_t *addr, unsigned port)
{
	char a[INET6_ADDRSTRLEN];

	td_fmt_addr(a, sizeof(a), family, addr);
	snprintf(buf, len, family == 6 ? "[%s]:%u" : "%s:%u", a, port);
}

void td_render_snap_text(FILE *f, const struct td_render_opts *o, const struct td_snap *s, uint64_t now_ns,
			 int holder_pid, const char *holder_comm)
{
	char l[64], r[64], in[32], d[16], who[48];
	int aw = o->wide ? 47 : 22;

	endpoint(l, sizeof(l), s->family, s->saddr, s->sport);
	endpoint(r, sizeof(r), s->family, s->daddr, s->dport);
	if (s->flags & (TD_F_DWELL_KNOWN | TD_F_AT_LEAST))
		snprintf(in, sizeof(in), "%s%s", (s->flags & TD_F_AT_LEAST) ? ">=" : "",
			 td_fmt_duration(d, sizeof(d), now_ns > s->since_ns ? now_ns - s->since_ns : 0));
	else
		strcpy(in, "?");
	if (holder_pid > 0)
		snprintf(who, sizeof(who), "%d/%s", holder_pid, holder_comm);
	else if (s->flags & TD_F_PID_KNOWN)
		snprintf(who, sizeof(who), "%u/%.16s (owner)", s->pid, s->comm);
	else
		strcpy(who, "-");
	fprintf(f, "%-12s %-*s %-*s %-10s %s\n", td_state_name(s->state), aw, l, aw, r, in, who);
}

void td_render_snap_json(FILE *f, const struct td_snap *s, uint64_t now_ns, int holder_pid, const char *holder_comm)
{
	char sa[INET6_ADDRSTRLEN], da[INET6_ADDRSTRLEN];

	fprintf(f, "{\"type\":\"socket\",\"state\":\"%s\",\"family\":%u,\"saddr\":\"%s\",\"sport\":%u,"
		"\"daddr\":\"%s\",\"dport\":%u,\"in_state_ns\":", td_state_name(s->state), s->family,
		td_fmt_addr(sa, sizeof(sa), s->family, s->saddr), s->sport,
		td_fmt_addr(da, sizeof(da), s->family, s->daddr), s->dport);
	if (s->flags & (TD_F_DWELL_KNOWN | TD_F_AT_LEAST))
		fprintf(f, "%" PRIu64 ",\"at_least\":%s", now_ns > s->since_ns ? (uint64_t)(now_ns - s->since_ns) : 0,
			(s->flags & TD_F_AT_LEAST) ? "true" : "false");
	else
		fputs("null,\"at_least\":false", f);
	fputs(",\"pid\":", f);
	if (holder_pid > 0) {
		fprintf(f, "%d,\"comm\":", holder_pid);
		json_str(f, holder_comm, TD_COMM_LEN);
	} else {
		fputs("null,\"comm\":null", f);
	}
	fputs(",\"owner_pid\":", f);
	if (s->flags & TD_F_PID_KNOWN) {
		fprintf(f, "%u,\"owner_comm\":", s->pid);
		json_str(f, s->comm, TD_COMM_LEN);
	} else {
		fputs("null,\"owner_comm\":null", f);
	}
	fprintf(f, ",\"uid\":%u,\"inode\":%" PRIu64 "}\n", s->uid, (uint64_t)s->ino);
}
