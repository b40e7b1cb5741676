/* Text and JSON rendering of single records: transition events (-e) and
 * the live sockets of `tcpdwell snapshot`; and the formatting helpers the
 * reports (report.c) share. A sample event line:
 *
 *   12:00:05.123 4242    curl             127.0.0.1       51234 127.0.0.1       8080  SYN_SENT    -> ESTABLISHED 0.052 established
 */
#include <arpa/inet.h>
#include <inttypes.h>
#include <string.h>
#include <time.h>
#include "diag.h"
#include "render.h"
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

/* Decimal digits of v at p; the end. printf's cost is in its format
 * parsing: a snapshot writes 220,000 lines of numbers. */
static char *put_u64(char *p, uint64_t v)
{
	char t[20];
	int n = 0;

	do
		t[n++] = (char)('0' + v % 10);
	while ((v /= 10));
	while (n)
		*p++ = t[--n];
	return p;
}

char *td_fmt_addr(char *buf, size_t len, int family, const uint8_t *addr)
{
	if (family == 4 && len >= INET_ADDRSTRLEN) {
		char *p = buf;

		for (int i = 0; i < 4; i++) {
			p = put_u64(p, addr[i]);
			*p++ = i < 3 ? '.' : '\0';
		}
		return buf;
	}
	if (!inet_ntop(family == 4 ? AF_INET : AF_INET6, addr, buf, (socklen_t)len))
		snprintf(buf, len, "?");
	return buf;
}

/* An address wider than its column keeps its last width-1 characters after
 * a '~' (the end tells hosts apart; the port of an endpoint stays), so that
 * the columns after it stay put. -w makes the columns wide enough for any
 * address but an IPv4-mapped one written out in full. */
static const char *fit(char *buf, int width)
{
	size_t len = strlen(buf);

	if (width > 1 && len > (size_t)width) {
		memmove(buf + 1, buf + len - (size_t)(width - 1), (size_t)width);
		buf[0] = '~';
	}
	return buf;
}

void td_json_str(FILE *f, const char *s, size_t max)
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

/* ,"cgroup":"/kubepods.slice/...","container":"<64 hex>","runtime":"containerd",
 * "pod_uid":"...","unit":"..." each only when known. */
static void where_json(FILE *f, const struct td_where *w)
{
	const struct td_identity *id = w ? w->ident : NULL;

	if (w && w->cgroup) {
		fputs(",\"cgroup\":", f);
		td_json_str(f, w->cgroup, TD_CGROUP_PATH_MAX);
	}
	if (!id)
		return;
	if (id->container[0]) {
		fprintf(f, ",\"container\":\"%s\"", id->container);
		if (id->runtime[0])
			fprintf(f, ",\"runtime\":\"%s\"", id->runtime);
	}
	if (id->pod_uid[0])
		fprintf(f, ",\"pod_uid\":\"%s\"", id->pod_uid);
	if (id->unit[0]) {
		fputs(",\"unit\":", f);
		td_json_str(f, id->unit, sizeof(id->unit));
	}
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

/* What ended the state, after MS: " expired", " early:reuse", a
 * handshake's " established synack_retrans=1", a connect's " refused
 * syn_retrans=1", a
 * close's " reset_sent:TCP_ABORT_ON_CLOSE", then " error=ECONNRESET",
 * " orphan", " inferred". */
static void ends_text(FILE *f, const struct td_event *e)
{
	const char *w, *r;
	char ebuf[16];

	if ((w = td_vocab_word(&td_tw_end_vocab, e->tw_end)))
		fprintf(f, " %s%s", td_tw_end_early(e->tw_end) ? "early:" : "", w);
	if ((w = td_vocab_word(&td_hs_outcome_vocab, e->hs_outcome)))
		fprintf(f, " %s", w);
	if ((w = td_vocab_word(&td_connect_vocab, e->connect))) {
		fprintf(f, " %s", w);
		if (e->retrans)
			fprintf(f, " syn_retrans=%u", e->retrans);
	} else if (e->oldstate == TD_SYN_RECV && e->retrans) {
		fprintf(f, " synack_retrans=%u", e->retrans);
	}
	if ((w = td_vocab_word(&td_close_vocab, e->close))) {
		r = e->close == TD_CLOSE_RESET_SENT ? td_rst_reason_word(e->rst_reason) : NULL;
		fprintf(f, " %s%s%s", w, r ? ":" : "", r ? r : "");
	}
	if (e->error)
		fprintf(f, " error=%s", td_errno_name(e->error, ebuf, sizeof(ebuf)));
	if (e->flags & TD_F_ORPHAN)
		fputs(" orphan", f);
	if (e->flags & TD_F_INFERRED)
		fputs(" inferred", f);
}

/* The same as JSON keys, each present only when it applies. */
static void ends_json(FILE *f, const struct td_event *e)
{
	const char *w;
	char ebuf[16];

	/* "reason":"expired", or "reason":"early","cause":"reuse" */
	if ((w = td_vocab_word(&td_tw_end_vocab, e->tw_end))) {
		fprintf(f, ",\"reason\":\"%s\"", td_tw_end_early(e->tw_end) ? "early" : w);
		if (td_tw_end_early(e->tw_end))
			fprintf(f, ",\"cause\":\"%s\"", w);
	}
	if ((w = td_vocab_word(&td_hs_outcome_vocab, e->hs_outcome)))
		fprintf(f, ",\"outcome\":\"%s\"", w);
	if ((w = td_vocab_word(&td_connect_vocab, e->connect)))
		fprintf(f, ",\"outcome\":\"%s\",\"syn_retrans\":%u", w, e->retrans);
	else if (e->oldstate == TD_SYN_RECV)
		fprintf(f, ",\"synack_retrans\":%u", e->retrans);
	if ((w = td_vocab_word(&td_close_vocab, e->close))) {
		fprintf(f, ",\"close\":\"%s\"", w);
		if (e->close == TD_CLOSE_RESET_SENT && td_rst_reason_word(e->rst_reason))
			fprintf(f, ",\"rst_reason\":\"%s\"", td_rst_reason_word(e->rst_reason));
	}
	if (e->error)
		fprintf(f, ",\"error\":\"%s\"", td_errno_name(e->error, ebuf, sizeof(ebuf)));
	if (e->flags & TD_F_ORPHAN)
		fputs(",\"orphan\":true", f);
	if (e->flags & TD_F_INFERRED)
		fputs(",\"inferred\":true", f);
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
		aw, fit(td_fmt_addr(sa, sizeof(sa), r->family, r->saddr), aw), r->sport,
		aw, fit(td_fmt_addr(da, sizeof(da), r->family, r->daddr), aw), r->dport);
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
		td_json_str(f, r->comm, TD_COMM_LEN);
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

	if (e->flags & TD_F_DWELL_KNOWN)
		snprintf(ms, sizeof(ms), "%.3f", e->dwell_ns / 1e6);
	else if (e->flags & TD_F_AT_LEAST)
		snprintf(ms, sizeof(ms), ">=%.3f", e->dwell_ns / 1e6);
	else
		strcpy(ms, "-");
	row_text(f, o, &(struct row)ROW_OF(e));
	fprintf(f, " %-11s -> %-11s %s", td_state_name(e->oldstate), td_state_name(e->newstate), ms);
	ends_text(f, e);
	fputc('\n', f);
}

void td_render_event_json(FILE *f, const struct td_render_opts *o, const struct td_event *e,
			  const struct td_where *w)
{
	row_json(f, o, "transition", &(struct row)ROW_OF(e));
	fprintf(f, ",\"old\":\"%s\",\"new\":\"%s\",\"dwell_ns\":", td_state_name(e->oldstate),
		td_state_name(e->newstate));
	if (e->flags & (TD_F_DWELL_KNOWN | TD_F_AT_LEAST))
		fprintf(f, "%" PRIu64, (uint64_t)e->dwell_ns);
	else
		fputs("null", f);
	if (e->flags & TD_F_AT_LEAST)
		fputs(",\"dwell_at_least\":true", f);
	ends_json(f, e);
	fprintf(f, ",\"netns\":%u,\"cgroup_id\":%" PRIu64 ",\"skaddr\":\"0x%" PRIx64 "\"",
		e->netns, (uint64_t)e->cgroup_id, (uint64_t)e->skaddr);
	where_json(f, w);
	fputs("}\n", f);
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

void td_render_accept_json(FILE *f, const struct td_render_opts *o, const struct td_accept *r,
			   const struct td_where *w)
{
	row_json(f, o, "accept", &(struct row)ROW_OF(r));
	fputs(",\"wait_ns\":", f);
	if (r->flags & TD_F_DWELL_KNOWN)
		fprintf(f, "%" PRIu64, (uint64_t)r->wait_ns);
	else
		fputs("null", f);
	fprintf(f, ",\"netns\":%u,\"cgroup_id\":%" PRIu64, r->netns, (uint64_t)r->cgroup_id);
	where_json(f, w);
	fputs("}\n", f);
}

/* One live socket of `tcpdwell snapshot`:
 *   CLOSE_WAIT   127.0.0.1:8080         127.0.0.1:51234        12.3s      4026532301 4242/leaky
 * NETNS is the socket's network namespace inode (lsns -t net).
 * IN STATE is ">=" when the socket was already in its state when the tracer
 * started, "?" when no tracer knows. */
void td_render_snap_header(FILE *f, const struct td_render_opts *o)
{
	int aw = o->wide ? 47 : 22;

	fprintf(f, "%-12s %-*s %-*s %-10s %-10s ", "STATE", aw, "LOCAL", aw, "PEER", "IN STATE", "NETNS");
	if (o->wide)
		fprintf(f, "%-12s ", "CONTAINER");
	fputs("PID/COMM\n", f);
}

static void endpoint(char *buf, size_t len, int family, const uint8_t *addr, unsigned port)
{
	char *p = buf;

	if (family == 6)
		*p++ = '[';
	/* Room left for "[", "]:", five digits and the NUL. */
	td_fmt_addr(p, len - 10, family, addr);
	p += strlen(p);
	if (family == 6)
		*p++ = ']';
	*p++ = ':';
	*put_u64(p, port) = '\0';
}

/* s, then spaces to width, then one: printf's "%-*s ", without printf. */
static char *put_col(char *p, const char *s, int width)
{
	size_t n = strlen(s);

	memcpy(p, s, n);
	for (p += n; n < (size_t)width; n++)
		*p++ = ' ';
	*p++ = ' ';
	return p;
}

/* "PID/COMM" of the holder, else "PID/COMM (owner)" of the owner a tracer
 * saw, else "-". */
static void who_of(char *who, const struct td_snap *s, int holder_pid, const char *holder_comm)
{
	const char *comm = holder_pid > 0 ? holder_comm : (const char *)s->comm;
	size_t n = holder_pid > 0 ? strlen(holder_comm) : strnlen(s->comm, TD_COMM_LEN);
	char *p = who;

	if (holder_pid <= 0 && !(s->flags & TD_F_PID_KNOWN)) {
		strcpy(who, "-");
		return;
	}
	p = put_u64(p, holder_pid > 0 ? (uint64_t)holder_pid : s->pid);
	*p++ = '/';
	memcpy(p, comm, n > TD_COMM_LEN ? TD_COMM_LEN : n);
	p += n > TD_COMM_LEN ? TD_COMM_LEN : n;
	strcpy(p, holder_pid > 0 ? "" : " (owner)");
}

/* The line is built in a buffer and written once. */
void td_render_snap_text(FILE *f, const struct td_render_opts *o, const struct td_snap *s, uint64_t now_ns,
			 int holder_pid, const char *holder_comm, unsigned why, const struct td_where *w)
{
	char l[64], r[64], in[32], d[16], who[48], ns[16] = "-", id[TD_UNIT_MAX + 8];
	char line[sizeof(l) + sizeof(r) + sizeof(in) + sizeof(ns) + sizeof(id) + sizeof(who) + 128], *p = line;
	const char *age = td_age_why_text(why);
	int aw = o->wide ? 47 : 22;

	if (s->netns)
		*put_u64(ns, s->netns) = '\0';
	endpoint(l, sizeof(l), s->family, s->saddr, s->sport);
	endpoint(r, sizeof(r), s->family, s->daddr, s->dport);
	if (s->flags & (TD_F_DWELL_KNOWN | TD_F_AT_LEAST))
		snprintf(in, sizeof(in), "%s%s", (s->flags & TD_F_AT_LEAST) ? ">=" : "",
			 td_fmt_duration(d, sizeof(d), now_ns > s->since_ns ? now_ns - s->since_ns : 0));
	else
		strcpy(in, "?");
	who_of(who, s, holder_pid, holder_comm);
	p = put_col(p, td_state_name(s->state), 12);
	p = put_col(p, fit(l, aw), aw);
	p = put_col(p, fit(r, aw), aw);
	p = put_col(p, in, 10);
	p = put_col(p, ns, 10);
	if (o->wide)
		p = put_col(p, w && w->ident ? td_identity_short(w->ident, id, sizeof(id)) : "-", 12);
	p = stpcpy(p, who);
	if (age)
		p = stpcpy(stpcpy(stpcpy(p, "  (age unknown: "), age), ")");
	*p++ = '\n';
	fwrite(line, 1, (size_t)(p - line), f);
}

void td_render_snap_json(FILE *f, const struct td_snap *s, uint64_t now_ns, int holder_pid, const char *holder_comm,
			 unsigned why, const struct td_where *w)
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
		td_json_str(f, holder_comm, TD_COMM_LEN);
	} else {
		fputs("null,\"comm\":null", f);
	}
	fputs(",\"owner_pid\":", f);
	if (s->flags & TD_F_PID_KNOWN) {
		fprintf(f, "%u,\"owner_comm\":", s->pid);
		td_json_str(f, s->comm, TD_COMM_LEN);
	} else {
		fputs("null,\"owner_comm\":null", f);
	}
	fprintf(f, ",\"uid\":%u,\"inode\":%" PRIu64 ",\"unknown_why\":", s->uid, (uint64_t)s->ino);
	if (td_vocab_word(&td_age_vocab, why))
		fprintf(f, "\"%s\"", td_vocab_word(&td_age_vocab, why));
	else
		fputs("null", f);
	if (s->netns)
		fprintf(f, ",\"netns\":%u", s->netns);
	if (s->cgroup_id)
		fprintf(f, ",\"cgroup_id\":%" PRIu64, (uint64_t)s->cgroup_id);
	where_json(f, w);
	fputs("}\n", f);
}

static uint64_t snap_unknown(const struct td_snap_times *t)
{
	uint64_t unknown = 0;

	for (int w = 1; w < TD_AGE_WHY_MAX; w++)
		unknown += t->unknown[w];
	return unknown;
}

/* Without a tracer, only request socks have times (they carry their own). */
const char *td_snap_times_word(const struct td_snap_times *t)
{
	uint64_t unknown = snap_unknown(t);

	if (!t->known && (unknown || !t->tracer_pid))
		return "unknown";
	return unknown ? "partial" : "known";
}

/* "" when every time is known; else, e.g. "1 socket outside the tracer's
 * filters (-P 47118,47119), 2 sockets not followed by a tracer
 * without -T". */
void td_snap_times_why(const struct td_snap_times *t, char *buf, size_t len)
{
	size_t used = 0;

	buf[0] = '\0';
	if (!t->tracer_pid) {
		if (!t->known || snap_unknown(t))
			snprintf(buf, len, "no tracing tcpdwell shares its maps");
		return;
	}
	for (int w = 1; w < TD_AGE_WHY_MAX && used < len; w++) {
		int n;

		if (!t->unknown[w])
			continue;
		n = snprintf(buf + used, len - used, "%s%" PRIu64 " socket%s %s", used ? ", " : "", t->unknown[w],
			     t->unknown[w] == 1 ? "" : "s", td_age_why_text((unsigned)w));
		if (n > 0 && w == TD_AGE_FILTERED && t->filters && (size_t)n < len - used)
			n += snprintf(buf + used + n, len - used - n, " (%s)", t->filters[0] ? t->filters : "none");
		used += n > 0 ? (size_t)n : 0;
	}
}

void td_render_snap_source(FILE *f, const struct td_snap_times *t)
{
	char why[512];

	td_snap_times_why(t, why, sizeof(why));
	if (!t->tracer_pid) {
		if (why[0])
			td_errf(f, "times in state are unknown%s: %s; run tcpdwell to track them",
				t->known ? " but for request socks (SYN_RECV), which carry their own" : "", why);
		return;
	}
	td_errf(f, "times in state from the tracer pid %d (filters: %s)%s%s", t->tracer_pid,
		!t->filters ? "unknown" : t->filters[0] ? t->filters : "none", why[0] ? "; unknown for " : "", why);
}

void td_render_snap_counts(FILE *f, const uint64_t counts[TD_MAX_STATES], int listed, const struct td_snap_times *t,
			   bool json)
{
	char why[512];

	td_snap_times_why(t, why, sizeof(why));
	if (json) {
		fputs("{\"type\":\"counts\"", f);
		for (int s = 1; s < TD_MAX_STATES; s++)
			fprintf(f, ",\"%s\":%" PRIu64, td_state_name(s), counts[s]);
		fprintf(f, ",\"listed\":%d,\"tracer_pid\":", listed);
		if (t->tracer_pid)
			fprintf(f, "%d", t->tracer_pid);
		else
			fputs("null", f);
		fprintf(f, ",\"times\":\"%s\",\"why\":", td_snap_times_word(t));
		td_json_str(f, why, sizeof(why));
		fputs("}\n", f);
		return;
	}
	fputc('\n', f);
	for (int s = 1; s < TD_MAX_STATES; s++)
		if (counts[s])
			fprintf(f, "%-12s %" PRIu64 "\n", td_state_name(s), counts[s]);
	fprintf(f, "times in state: %s%s%s\n", td_snap_times_word(t), why[0] ? ": " : "", why);
}
