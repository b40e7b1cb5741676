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
#include "render_hist.h"
#include "states.h"
#include "vocab.h"

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

/* What transition and accept lines share: when, who, the 4-tuple. */
struct row {
	uint64_t ts_ns; /* CLOCK_MONOTONIC */
	bool known;     /* pid and comm name the owner */
	uint32_t pid;
	const char *comm;
	int family;
	const uint8_t *saddr, *daddr;
	unsigned sport, dport;
};
#define ROW_OF(r) { (r)->ts_ns, (r)->flags & TD_F_PID_KNOWN, (r)->pid, (r)->comm, (r)->family, \
		    (r)->saddr, (r)->daddr, (r)->sport, (r)->dport }

/* TIME PID COMM LADDR LPORT RADDR RPORT, "-" for an unknown owner. */
static void row_text(FILE *f, const struct td_render_opts *o, const struct row *r)
{
	char when[32], pid[16] = "-", comm[TD_COMM_LEN + 1] = "-", sa[INET6_ADDRSTRLEN], da[INET6_ADDRSTRLEN];
	int aw = o->wide ? 39 : 15;

	wall_clock(when, sizeof(when), r->ts_ns + (uint64_t)o->realtime_offset_ns);
	if (r->known) {
		snprintf(pid, sizeof(pid), "%u", r->pid);
		memcpy(comm, r->comm, TD_COMM_LEN);
		comm[TD_COMM_LEN] = '\0';
	}
	fprintf(f, "%-12s %-7s %-16s %-*s %-5u %-*s %-5u", when, pid, comm,
		aw, td_fmt_addr(sa, sizeof(sa), r->family, r->saddr), r->sport,
		aw, td_fmt_addr(da, sizeof(da), r->family, r->daddr), r->dport);
}

/* {"type":"...","time_ns":N,"pid":N,"comm":"...","family":4,"saddr":"...",
 * "sport":N,"daddr":"...","dport":N, without the closing brace */
static void row_json(FILE *f, const struct td_render_opts *o, const char *type, const struct row *r)
{
	char sa[INET6_ADDRSTRLEN], da[INET6_ADDRSTRLEN];

	fprintf(f, "{\"type\":\"%s\",\"time_ns\":%" PRIu64 ",\"pid\":", type,
		(uint64_t)(r->ts_ns + (uint64_t)o->realtime_offset_ns));
	if (r->known) {
		fprintf(f, "%u,\"comm\":", r->pid);
		json_str(f, r->comm, TD_COMM_LEN);
	} else {
		fputs("null,\"comm\":null", f);
	}
	fprintf(f, ",\"family\":%u,\"saddr\":\"%s\",\"sport\":%u,\"daddr\":\"%s\",\"dport\":%u", r->family,
		td_fmt_addr(sa, sizeof(sa), r->family, r->saddr), r->sport,
		td_fmt_addr(da, sizeof(da), r->family, r->daddr), r->dport);
}

void td_render_event_text(FILE *f, const struct td_render_opts *o, const struct td_event *e)
{
	char ms[32];
	const char *w;
	char ebuf[16];

	if (e->flags & TD_F_DWELL_KNOWN)
		snprintf(ms, sizeof(ms), "%.3f", e->dwell_ns / 1e6);
	else if (e->flags & TD_F_AT_LEAST)
		snprintf(ms, sizeof(ms), ">=%.3f", e->dwell_ns / 1e6);
	else
		strcpy(ms, "-");
	row_text(f, o, &(struct row)ROW_OF(e));
	fprintf(f, " %-11s -> %-11s %s", td_state_name(e->oldstate), td_state_name(e->newstate), ms);
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
	const char *w;
	char ebuf[16];

	row_json(f, o, "transition", &(struct row)ROW_OF(e));
	fprintf(f, ",\"old\":\"%s\",\"new\":\"%s\",\"dwell_ns\":", td_state_name(e->oldstate),
		td_state_name(e->newstate));
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

/* An accept in the transitions' columns; MS is the wait in the queue:
 * "08:38:47.514 4001    server  127.0.0.1  8080  127.0.0.1  57406 ACCEPT  ...  250.112" */
void td_render_accept_text(FILE *f, const struct td_render_opts *o, const struct td_accept *r)
{
	char ms[32] = "-";

	if (r->flags & TD_F_DWELL_KNOWN)
		snprintf(ms, sizeof(ms), "%.3f", r->wait_ns / 1e6);
	row_text(f, o, &(struct row)ROW_OF(r));
	fprintf(f, " %-11s    %-11s %s\n", "ACCEPT", "", ms);
}

void td_render_accept_json(FILE *f, const struct td_render_opts *o, const struct td_accept *r)
{
	row_json(f, o, "accept", &(struct row)ROW_OF(r));
	fputs(",\"wait_ns\":", f);
	if (r->flags & TD_F_DWELL_KNOWN)
		fprintf(f, "%" PRIu64, (uint64_t)r->wait_ns);
	else
		fputs("null", f);
	fprintf(f, ",\"netns\":%u,\"cgroup_id\":%" PRIu64 "}\n", r->netns, (uint64_t)r->cgroup_id);
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
	fprintf(f, "%02d:%02d:%02d tcpdwell: %" PRIu64 " transitions, %" PRIu64 " lost",
		tm.tm_hour, tm.tm_min, tm.tm_sec, a->events, td_loss_total(l));
	if (td_loss_total(l))
		fprintf(f, " (ring buffer full: %" PRIu64 ", kernel recursion: %" PRIu64
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

void td_render_report_json(FILE *f, const struct td_agg *a, const struct td_loss *l)
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
