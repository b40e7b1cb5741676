/* Doctor's rules: each reads the run's input (doctor.h) and adds at most
 * a few findings, with the evidence in numbers, who is involved, what it
 * means (explain.c's words) and what to do, naming the kernel setting that
 * governs it with its current value. */
#include <stdio.h>
#include <string.h>
#include "doctor_build.h"
#include "explain.h"
#include "render.h"
#include "states.h"
#include "vocab.h"

/* A CLOSE_WAIT lasts as long as its owner takes to call close(), normally
 * well under a second: one there for the whole run counts as leaked even
 * when the run is shorter than close_wait_age (its age is often "at least"
 * the run's: doctor's own times start with the run). */
static void rule_close_wait(const struct td_doc_input *in, const struct td_doc_thresholds *t,
			    struct td_findings *out)
{
	uint64_t min = t->v[TD_T_CLOSE_WAIT_AGE], run = in->duration_ns ? in->duration_ns : min;
	static struct td_old_socks o;
	struct td_finding *f;
	char d[32];

	td_doc_find_old(in, TD_CLOSE_WAIT, false, min, run, &o);
	if (!o.n)
		return;
	f = td_doc_new(out, TD_R_CLOSE_WAIT_LEAK, o.n >= t->v[TD_T_CLOSE_WAIT_CRIT] ? TD_SEV_CRITICAL : TD_SEV_WARNING);
	if (!f)
		return;
	td_doc_dur(d, sizeof(d), o.whole_run && run < min ? run : min);
	td_doc_title(f, "%llu CLOSE_WAIT socket%s for at least %s%s: the application does not close them",
		     (unsigned long long)o.n, o.n == 1 ? "" : "s", d, o.whole_run ? " (the whole run)" : "");
	td_doc_old_evidence(f, &o, "close_wait_old", min);
	td_doc_ev(f, "whole_run", TD_EV_NUM, o.whole_run, NULL);
	if (in->census_start_ok) {
		uint64_t start = in->census_start[TD_CLOSE_WAIT];

		td_doc_ev(f, "close_wait_at_start", TD_EV_NUM, start, NULL);
		td_doc_ev(f, "growth", TD_EV_NUM, o.total > start ? o.total - start : 0, NULL);
	}
	td_doc_owners(f, &o.owners);
	f->meaning = td_explain_of(TD_CLOSE_WAIT)->many;
	for (unsigned i = 0; i < f->nowners && i < 3; i++) {
		if (f->owners[i].pid)
			td_doc_act(f, "pid %u (%s) holds %llu CLOSE_WAIT socket%s for at least %s: it read EOF and "
				      "never called close(). ", f->owners[i].pid, f->owners[i].key,
				   (unsigned long long)f->owners[i].count, f->owners[i].count == 1 ? "" : "s", d);
		else
			td_doc_act(f, "%llu have no known holder (the holder exited, or passed the socket on). ",
				   (unsigned long long)f->owners[i].count);
	}
	td_doc_act(f, "Close the socket when read() returns 0, and open sockets with close-on-exec so that child "
		      "processes do not inherit them. No kernel setting ends CLOSE_WAIT.");
}

/* TIME_WAITs whose local port is ephemeral, per (local address, remote
 * address, remote port): the tuples a client's connects to one server
 * share. */
struct tw_group {
	uint8_t family;
	uint32_t netns; /* one namespace's port space */
	uint8_t saddr[16], daddr[16];
	uint16_t dport;
	uint64_t n;
};

#define TW_GROUPS 256

static bool ephemeral(const struct td_doc_input *in, uint16_t port)
{
	return in->sys.known[TD_SC_PORT_RANGE] && port >= in->sys.v[TD_SC_PORT_RANGE] && port <= in->sys.port_hi;
}

static bool same_dest(const struct tw_group *g, const struct td_doc_sock *s)
{
	return g->family == s->family && g->netns == s->netns && g->dport == s->dport && !memcmp(g->saddr, s->saddr, 16) &&
	       !memcmp(g->daddr, s->daddr, 16);
}

/* The destination with the most TIME_WAITs; its index in g, or -1. */
static int busiest_dest(const struct td_doc_input *in, struct tw_group *g, unsigned *ng)
{
	int best = -1;

	*ng = 0;
	for (size_t i = 0; i < in->nsocks; i++) {
		const struct td_doc_sock *s = &in->socks[i];
		unsigned k;

		if (s->state != TD_TIME_WAIT || !ephemeral(in, s->sport))
			continue;
		for (k = 0; k < *ng && !same_dest(&g[k], s); k++)
			;
		if (k == *ng) {
			if (*ng == TW_GROUPS)
				continue;
			g[k] = (struct tw_group){ .family = s->family, .netns = s->netns, .dport = s->dport };
			memcpy(g[k].saddr, s->saddr, 16);
			memcpy(g[k].daddr, s->daddr, 16);
			(*ng)++;
		}
		g[k].n++;
		if (best < 0 || g[k].n > g[best].n)
			best = (int)k;
	}
	return best;
}

static void tw_owners(const struct td_doc_input *in, const struct tw_group *g, struct td_finding *f)
{
	static struct td_tally owners;

	memset(&owners, 0, sizeof(owners));
	for (size_t i = 0; i < in->nsocks; i++)
		if (in->socks[i].state == TD_TIME_WAIT && ephemeral(in, in->socks[i].sport) && same_dest(g, &in->socks[i]))
			td_doc_sock_owner(&owners, &in->socks[i]);
	td_doc_owners(f, &owners);
}

static void tw_rates(const struct td_doc_input *in, struct td_finding *f)
{
	uint64_t entered = 0;

	for (int s = 0; s < TD_MAX_STATES; s++)
		entered += in->agg->trans[s][TD_TIME_WAIT];
	if (in->duration_ns)
		td_doc_ev(f, "entered_per_s", TD_EV_NUM, entered * 1000000000ull / in->duration_ns, NULL);
	td_doc_ev(f, "ended_early_by_reuse", TD_EV_NUM, in->agg->tw_ends[TD_TW_REUSE], NULL);
}

static void rule_time_wait(const struct td_doc_input *in, const struct td_doc_thresholds *t,
			   struct td_findings *out)
{
	static struct tw_group g[TW_GROUPS];
	uint64_t range, p;
	unsigned ng;
	int b = busiest_dest(in, g, &ng);
	struct td_finding *f;
	char sa[64], da[64], dest[96], buf[96];

	if (b < 0)
		return;
	range = (uint64_t)(in->sys.port_hi - in->sys.v[TD_SC_PORT_RANGE] + 1);
	p = td_doc_pct10(g[b].n, range);
	if (p < t->v[TD_T_TW_PORTS_PCT] * 10)
		return;
	f = td_doc_new(out, TD_R_TIME_WAIT_PRESSURE,
			p >= t->v[TD_T_TW_PORTS_CRIT] * 10 ? TD_SEV_CRITICAL : TD_SEV_WARNING);
	if (!f)
		return;
	td_fmt_addr(sa, sizeof(sa), g[b].family, g[b].saddr);
	td_fmt_addr(da, sizeof(da), g[b].family, g[b].daddr);
	snprintf(dest, sizeof(dest), g[b].family == 6 ? "[%s]:%u" : "%s:%u", da, g[b].dport);
	td_doc_title(f, "TIME_WAIT pressure: %llu sockets from %s to %s hold %llu.%llu%% of the ephemeral ports",
		     (unsigned long long)g[b].n, sa, dest, (unsigned long long)(p / 10), (unsigned long long)(p % 10));
	td_doc_ev(f, "time_wait", TD_EV_NUM, g[b].n, NULL);
	td_doc_ev(f, "local_address", TD_EV_STR, 0, sa);
	td_doc_ev(f, "destination", TD_EV_STR, 0, dest);
	td_doc_ev(f, "netns", TD_EV_NUM, g[b].netns, NULL);
	td_doc_ev(f, "ephemeral_ports", TD_EV_NUM, range, NULL);
	td_doc_ev(f, "port_use", TD_EV_PCT, p, NULL);
	td_doc_ev(f, "time_wait_total", TD_EV_NUM, td_doc_count_state(in, TD_TIME_WAIT), NULL);
	tw_rates(in, f);
	tw_owners(in, &g[b], f);
	f->meaning = td_explain_of(TD_TIME_WAIT)->many;
	if (f->nowners && f->owners[0].pid)
		td_doc_act(f, "pid %u (%s) closes first and so keeps the TIME_WAITs. ", f->owners[0].pid, f->owners[0].key);
	td_doc_act(f, "Reuse connections (keep-alive, a pool) so that fewer are closed; %s (1 lets new connects "
		      "take over a TIME_WAIT tuple when timestamps make it safe, 2 only on loopback); ",
		   td_doc_setting(in, TD_SC_TW_REUSE, buf, sizeof(buf)));
	td_doc_act(f, "widen %s; or spread connects over more server addresses or ports.",
		   td_doc_setting(in, TD_SC_PORT_RANGE, buf, sizeof(buf)));
}

static void rule_tw_buckets(const struct td_doc_input *in, const struct td_doc_thresholds *t,
			    struct td_findings *out)
{
	uint64_t n = td_doc_count_state(in, TD_TIME_WAIT), max, p;
	struct td_finding *f;
	char buf[96];

	if (!in->sys.known[TD_SC_MAX_TW_BUCKETS] || in->sys.v[TD_SC_MAX_TW_BUCKETS] <= 0)
		return;
	max = (uint64_t)in->sys.v[TD_SC_MAX_TW_BUCKETS];
	p = td_doc_pct10(n, max);
	if (!n || p < t->v[TD_T_TW_BUCKETS_PCT] * 10)
		return;
	f = td_doc_new(out, TD_R_TW_BUCKET_LIMIT, n >= max ? TD_SEV_CRITICAL : TD_SEV_WARNING);
	if (!f)
		return;
	td_doc_title(f, "%llu TIME_WAIT sockets: %llu.%llu%% of tcp_max_tw_buckets (%llu)", (unsigned long long)n,
		     (unsigned long long)(p / 10), (unsigned long long)(p % 10), (unsigned long long)max);
	td_doc_ev(f, "time_wait", TD_EV_NUM, n, NULL);
	td_doc_ev(f, "tcp_max_tw_buckets", TD_EV_NUM, max, NULL);
	td_doc_ev(f, "use", TD_EV_PCT, p, NULL);
	f->meaning = "Beyond tcp_max_tw_buckets the kernel skips TIME_WAIT: a closing socket is destroyed at "
		     "once (with a \"TCP: time wait bucket table overflow\" log line), and late segments of the old "
		     "connection can then reach a new one.";
	td_doc_act(f, "Raise %s, or make fewer short connections (reuse them).",
		   td_doc_setting(in, TD_SC_MAX_TW_BUCKETS, buf, sizeof(buf)));
}

/* FIN_WAIT2 held by its owner (not an orphan, which tcp_fin_timeout ends)
 * for longer than fin_wait2_age, by default tcp_fin_timeout itself. */
static uint64_t fin_wait2_age(const struct td_doc_input *in, const struct td_doc_thresholds *t)
{
	if (t->set[TD_T_FIN_WAIT2_AGE] || t->v[TD_T_FIN_WAIT2_AGE])
		return t->v[TD_T_FIN_WAIT2_AGE];
	if (in->sys.known[TD_SC_FIN_TIMEOUT] && in->sys.v[TD_SC_FIN_TIMEOUT] > 0)
		return (uint64_t)in->sys.v[TD_SC_FIN_TIMEOUT] * 1000000000ull;
	return 60000000000ull;
}

static void rule_fin_wait2(const struct td_doc_input *in, const struct td_doc_thresholds *t,
			   struct td_findings *out)
{
	uint64_t min = fin_wait2_age(in, t);
	static struct td_old_socks o;
	struct td_finding *f;
	char d[32], peer[80], buf[96];

	td_doc_find_old(in, TD_FIN_WAIT2, true, min, 0, &o);
	if (!o.n || !(f = td_doc_new(out, TD_R_FIN_WAIT2_STUCK, TD_SEV_WARNING)))
		return;
	td_doc_title(f, "%llu FIN_WAIT2 socket%s held by their owner for over %s: the peer never closes its side",
		     (unsigned long long)o.n, o.n == 1 ? "" : "s", td_doc_dur(d, sizeof(d), min));
	td_doc_old_evidence(f, &o, "fin_wait2_held", min);
	td_doc_top_key(&o.peers, peer, sizeof(peer));
	td_doc_ev(f, "top_peer", TD_EV_STR, 0, peer);
	td_doc_owners(f, &o.owners);
	f->meaning = td_explain_of(TD_FIN_WAIT2)->many;
	td_doc_act(f, "The peer %s keeps its side open after this side's shutdown(): make it close when it "
		      "reads EOF, or close() this side after a deadline (then the kernel ends the orphan after %s).",
		   peer, td_doc_setting(in, TD_SC_FIN_TIMEOUT, buf, sizeof(buf)));
}

/* FIN_WAIT1, LAST_ACK and CLOSING: a FIN the peer does not acknowledge. */
static void rule_unacked_fin(const struct td_doc_input *in, const struct td_doc_thresholds *t,
			     struct td_findings *out)
{
	static const int states[] = { TD_FIN_WAIT1, TD_LAST_ACK, TD_CLOSING };
	static const char *const keys[] = { "fin_wait1_old", "last_ack_old", "closing_old" };
	uint64_t min = t->v[TD_T_UNACKED_FIN_AGE], total = 0;
	static struct td_old_socks o[3];
	struct td_finding *f;
	char d[32], buf[96];

	for (int i = 0; i < 3; i++) {
		td_doc_find_old(in, states[i], false, min, 0, &o[i]);
		total += o[i].n;
	}
	if (!total || !(f = td_doc_new(out, TD_R_UNACKED_FIN, TD_SEV_WARNING)))
		return;
	td_doc_title(f, "%llu socket%s waiting over %s for the peer to acknowledge a FIN (FIN_WAIT1, LAST_ACK, "
		     "CLOSING)", (unsigned long long)total, total == 1 ? "" : "s", td_doc_dur(d, sizeof(d), min));
	for (int i = 0; i < 3; i++) {
		td_doc_ev(f, keys[i], TD_EV_NUM, o[i].n, NULL);
		for (unsigned k = 0; k < o[i].owners.n; k++)
			td_tally_add(&o[0].owners, o[i].owners.v[k].pid, o[i].owners.v[k].key,
				     i ? o[i].owners.v[k].count : 0);
	}
	td_doc_ev(f, "threshold", TD_EV_DUR, min, NULL);
	td_doc_owners(f, &o[0].owners);
	f->meaning = td_explain_of(TD_LAST_ACK)->many;
	td_doc_act(f, "The peers are gone or do not read (a closed receive window holds the FIN back). "
		      "Orphans are retried %s times, then dropped.",
		   td_doc_setting(in, TD_SC_ORPHAN_RETRIES, buf, sizeof(buf)));
}

static void rule_orphans(const struct td_doc_input *in, const struct td_doc_thresholds *t,
			 struct td_findings *out)
{
	uint64_t max, p;
	struct td_finding *f;
	char buf[96];

	if (!in->sys.orphans_known || !in->sys.known[TD_SC_MAX_ORPHANS] || in->sys.v[TD_SC_MAX_ORPHANS] <= 0)
		return;
	max = (uint64_t)in->sys.v[TD_SC_MAX_ORPHANS];
	p = td_doc_pct10((uint64_t)in->sys.orphans, max);
	if (!in->sys.orphans || p < t->v[TD_T_ORPHANS_PCT] * 10)
		return;
	f = td_doc_new(out, TD_R_ORPHANS, (uint64_t)in->sys.orphans >= max ? TD_SEV_CRITICAL : TD_SEV_WARNING);
	if (!f)
		return;
	td_doc_title(f, "%lld orphaned sockets: %llu.%llu%% of tcp_max_orphans", (long long)in->sys.orphans,
		     (unsigned long long)(p / 10), (unsigned long long)(p % 10));
	td_doc_ev(f, "orphans", TD_EV_NUM, (uint64_t)in->sys.orphans, NULL);
	td_doc_ev(f, "tcp_max_orphans", TD_EV_NUM, max, NULL);
	td_doc_ev(f, "use", TD_EV_PCT, p, NULL);
	f->meaning = "Orphans are sockets their owner has closed while the kernel still finishes the "
		     "connection (FIN_WAIT1, LAST_ACK, CLOSING). Beyond tcp_max_orphans the kernel resets them "
		     "at once (\"too many orphaned sockets\").";
	td_doc_act(f, "Find the peers that do not acknowledge (see unacked_fin); raise %s only with the memory "
		      "for it (each orphan can hold up to 64 KiB).",
		   td_doc_setting(in, TD_SC_MAX_ORPHANS, buf, sizeof(buf)));
}

void td_doctor_run(const struct td_doc_input *in, const struct td_doc_thresholds *t, struct td_findings *out)
{
	memset(out, 0, sizeof(*out));
	rule_close_wait(in, t, out);
	rule_time_wait(in, t, out);
	rule_tw_buckets(in, t, out);
	td_doctor_rules_traced(in, t, out);
	rule_fin_wait2(in, t, out);
	rule_unacked_fin(in, t, out);
	rule_orphans(in, t, out);
	td_doc_sort(out);
}

