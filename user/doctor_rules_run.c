/* Doctor's rules over what the run traced: connects, handshakes, the
 * listeners' queues, accept waits, resets and lost records. */
#include <stdio.h>
#include <string.h>
#include "doctor_build.h"
#include "explain.h"
#include "render.h"
#include "states.h"
#include "vocab.h"

static void rule_slow_connects(const struct td_doc_input *in, const struct td_doc_thresholds *t,
			       struct td_findings *out)
{
	const struct hist *h = &in->agg->connect_dwell[TD_CONNECT_ESTABLISHED];
	struct td_finding *f;
	char d[32], peer[80], buf[96];

	if (!in->ev->slow || !(f = td_doc_new(out, TD_R_SLOW_CONNECTS, TD_SEV_WARNING)))
		return;
	td_doc_title(f, "%llu slow connect%s (over %s, or a SYN sent again)", (unsigned long long)in->ev->slow,
		     in->ev->slow == 1 ? "" : "s", td_doc_dur(d, sizeof(d), t->v[TD_T_SLOW_CONNECT]));
	td_doc_ev(f, "slow", TD_EV_NUM, in->ev->slow, NULL);
	td_doc_ev(f, "established", TD_EV_NUM, in->agg->connects[TD_CONNECT_ESTABLISHED], NULL);
	td_doc_ev(f, "syn_retransmitted", TD_EV_NUM, in->agg->syn_retransmitted, NULL);
	td_doc_ev(f, "p50", TD_EV_DUR, hist_quantile(h, 0.5), NULL);
	td_doc_ev(f, "p99", TD_EV_DUR, hist_quantile(h, 0.99), NULL);
	td_doc_ev(f, "max", TD_EV_DUR, h->count ? h->max : 0, NULL);
	td_doc_top_key(&in->ev->slow_peers, peer, sizeof(peer));
	td_doc_ev(f, "top_peer", TD_EV_STR, 0, peer);
	td_doc_owners(f, &in->ev->slow_owners);
	f->meaning = td_explain_of(TD_SYN_SENT)->many;
	td_doc_act(f, "A SYN sent again costs 1 s, then 2 s, 4 s: the server %s drops SYNs (its accept queue is "
		      "full: see accept_queue_overflow there; a firewall; loss). Clients give up after %s.",
		   peer, td_doc_setting(in, TD_SC_SYN_RETRIES, buf, sizeof(buf)));
}

static void rule_connect_failures(const struct td_doc_input *in, const struct td_doc_thresholds *t,
				  struct td_findings *out)
{
	const uint64_t *c = in->agg->connects;
	uint64_t n = c[TD_CONNECT_REFUSED] + c[TD_CONNECT_TIMEOUT] + c[TD_CONNECT_UNREACHABLE];
	struct td_finding *f;
	char peer[80], buf[96];

	if (!n || !(f = td_doc_new(out, TD_R_CONNECT_FAILURES,
				   n >= t->v[TD_T_CONNECT_FAIL_CRIT] ? TD_SEV_CRITICAL : TD_SEV_WARNING)))
		return;
	td_doc_title(f, "%llu failed connect%s: %llu refused, %llu timed out, %llu unreachable",
		     (unsigned long long)n, n == 1 ? "" : "s", (unsigned long long)c[TD_CONNECT_REFUSED],
		     (unsigned long long)c[TD_CONNECT_TIMEOUT], (unsigned long long)c[TD_CONNECT_UNREACHABLE]);
	td_doc_ev(f, "refused", TD_EV_NUM, c[TD_CONNECT_REFUSED], NULL);
	td_doc_ev(f, "timeout", TD_EV_NUM, c[TD_CONNECT_TIMEOUT], NULL);
	td_doc_ev(f, "unreachable", TD_EV_NUM, c[TD_CONNECT_UNREACHABLE], NULL);
	td_doc_ev(f, "established", TD_EV_NUM, c[TD_CONNECT_ESTABLISHED], NULL);
	td_doc_top_key(&in->ev->fail_peers, peer, sizeof(peer));
	td_doc_ev(f, "top_peer", TD_EV_STR, 0, peer);
	td_doc_owners(f, &in->ev->fail_owners);
	f->meaning = td_explain_of(TD_SYN_SENT)->many;
	td_doc_act(f, "Refused: nothing listens at %s (a server down, a wrong port). Timed out: the SYNs went "
		      "unanswered (%s; a firewall, full queues). Unreachable: routing.",
		   peer, td_doc_setting(in, TD_SC_SYN_RETRIES, buf, sizeof(buf)));
}

static void rule_handshakes(const struct td_doc_input *in, struct td_findings *out)
{
	const uint64_t *h = in->agg->hs_outcomes;
	uint64_t n = h[TD_HS_EXPIRED] + h[TD_HS_DROPPED];
	struct td_finding *f;
	char where[80], a[96], b[96], c[96];

	if ((!n && !in->agg->synack_retrans) || !(f = td_doc_new(out, TD_R_HANDSHAKE_FAILURES, TD_SEV_WARNING)))
		return;
	td_doc_title(f, "%llu server handshake%s failed, %llu SYN-ACK%s sent again", (unsigned long long)n,
		     n == 1 ? "" : "s", (unsigned long long)in->agg->synack_retrans,
		     in->agg->synack_retrans == 1 ? "" : "s");
	td_doc_ev(f, "expired", TD_EV_NUM, h[TD_HS_EXPIRED], NULL);
	td_doc_ev(f, "dropped", TD_EV_NUM, h[TD_HS_DROPPED], NULL);
	td_doc_ev(f, "established", TD_EV_NUM, h[TD_HS_ESTABLISHED], NULL);
	td_doc_ev(f, "synack_retrans", TD_EV_NUM, in->agg->synack_retrans, NULL);
	td_doc_top_key(&in->ev->hs_ports, where, sizeof(where));
	td_doc_ev(f, "top_listener", TD_EV_STR, 0, where);
	f->meaning = td_explain_of(TD_SYN_RECV)->many;
	td_doc_act(f, "Clients that do not send the final ACK: a SYN flood, or ACKs lost on the way. %s; %s; %s.",
		   td_doc_setting(in, TD_SC_SYNACK_RETRIES, a, sizeof(a)),
		   td_doc_setting(in, TD_SC_MAX_SYN_BACKLOG, b, sizeof(b)),
		   td_doc_setting(in, TD_SC_SYNCOOKIES, c, sizeof(c)));
}

/* The holder of a listener, from the census. */
static void listener_owner(const struct td_doc_input *in, const struct td_listener_stat *l, struct td_finding *f)
{
	static struct td_tally owners;

	memset(&owners, 0, sizeof(owners));
	for (size_t i = 0; i < in->nsocks; i++) {
		const struct td_doc_sock *s = &in->socks[i];

		if (s->state == TD_LISTEN && s->sport == l->port && s->family == l->family)
			td_doc_sock_owner(&owners, s);
	}
	td_doc_owners(f, &owners);
}

/* A listener's sk_drops also counts the segment of a handshake that a RST
 * ended (tcp_v4_rcv's discard_and_relse for a request sock's RST): those
 * the run saw at this listener are no queue overflow. */
static uint32_t queue_drops(const struct td_doc_input *in, const struct td_listener_stat *l, const char *where)
{
	uint32_t dropped = td_listener_dropped(l);

	for (unsigned k = 0; k < in->ev->hs_reset.n; k++)
		if (strcmp(in->ev->hs_reset.v[k].key, where) == 0)
			dropped = in->ev->hs_reset.v[k].count >= dropped ? 0
									 : dropped - (uint32_t)in->ev->hs_reset.v[k].count;
	return dropped;
}

static void rule_accept_queue(const struct td_doc_input *in, const struct td_doc_thresholds *t,
			      struct td_findings *out)
{
	for (unsigned i = 0; in->listeners && i < in->listeners->n; i++) {
		const struct td_listener_stat *l = &in->listeners->v[i];
		uint32_t dropped;
		struct td_finding *f;
		char addr[64], where[80], a[96], b[96];

		td_fmt_addr(addr, sizeof(addr), l->family, l->addr);
		snprintf(where, sizeof(where), l->family == 6 ? "[%s]:%u" : "%s:%u", addr, l->port);
		dropped = queue_drops(in, l, where);
		if (!dropped || !(f = td_doc_new(out, TD_R_ACCEPT_QUEUE_OVERFLOW, dropped >= t->v[TD_T_ACCEPT_DROPS_CRIT]
										     ? TD_SEV_CRITICAL : TD_SEV_WARNING)))
			continue;
		td_doc_title(f, "Listener %s dropped %u SYN%s: its accept queue (%u/%u) or SYN queue was full", where,
			     dropped, dropped == 1 ? "" : "s", l->backlog, l->max_backlog);
		td_doc_ev(f, "listener", TD_EV_STR, 0, where);
		td_doc_ev(f, "dropped", TD_EV_NUM, dropped, NULL);
		td_doc_ev(f, "accept_queue", TD_EV_NUM, l->backlog, NULL);
		td_doc_ev(f, "accept_queue_max", TD_EV_NUM, l->max_backlog, NULL);
		listener_owner(in, l, f);
		f->meaning = td_explain_of(TD_LISTEN)->many;
		td_doc_act(f, "Accept faster (more accepting threads) or give listen() a larger backlog: the queue is "
			      "min(backlog, %s); SYNs: %s.", td_doc_setting(in, TD_SC_SOMAXCONN, a, sizeof(a)),
			   td_doc_setting(in, TD_SC_MAX_SYN_BACKLOG, b, sizeof(b)));
	}
}

static void rule_slow_accept(const struct td_doc_input *in, const struct td_doc_thresholds *t,
			     struct td_findings *out)
{
	const struct td_accept_waits *w = &in->agg->accept;

	for (unsigned i = 0; i < w->n; i++) {
		const struct hist *h = &w->port[i].h;
		uint64_t p99 = hist_quantile(h, 0.99);
		struct td_finding *f;
		char d[32], port[16];

		if (!h->count || p99 < t->v[TD_T_SLOW_ACCEPT] || !(f = td_doc_new(out, TD_R_SLOW_ACCEPT, TD_SEV_WARNING)))
			continue;
		td_doc_title(f, "Listener :%u accepts slowly: connections wait %s in its accept queue (p99)",
			     w->port[i].port, td_doc_dur(d, sizeof(d), p99));
		snprintf(port, sizeof(port), "%u", w->port[i].port);
		td_doc_ev(f, "port", TD_EV_STR, 0, port);
		td_doc_ev(f, "accepts", TD_EV_NUM, h->count, NULL);
		td_doc_ev(f, "p50", TD_EV_DUR, hist_quantile(h, 0.5), NULL);
		td_doc_ev(f, "p99", TD_EV_DUR, p99, NULL);
		td_doc_ev(f, "max", TD_EV_DUR, h->max, NULL);
		td_doc_ev(f, "threshold", TD_EV_DUR, t->v[TD_T_SLOW_ACCEPT], NULL);
		td_doc_owners(f, &in->ev->accept_owners);
		f->meaning = "A finished handshake waits in its listener's accept queue until the application calls "
			     "accept(); the client thinks it is connected and waits meanwhile.";
		td_doc_act(f, "Accept in a loop of its own (or more threads) and hand the work off; a full queue "
			      "drops SYNs (see accept_queue_overflow).");
	}
}

/* "4242/java (12)": the process a tally counts most, or "-". */
static void top_owner(const struct td_tally *t, char *buf, size_t len)
{
	struct td_tally_item top;

	if (!td_tally_top(t, &top, 1))
		snprintf(buf, len, "-");
	else if (top.pid)
		snprintf(buf, len, "%u/%.16s (%llu)", top.pid, top.key, (unsigned long long)top.count);
	else
		snprintf(buf, len, "unknown (%llu)", (unsigned long long)top.count);
}

/* "TCP_ABORT_ON_LINGER 12, TCP_ABORT_ON_CLOSE 1": the reasons of the RSTs sent. */
static void rst_reasons(const struct td_agg *a, char *buf, size_t len)
{
	size_t n = 0;

	buf[0] = '\0';
	for (unsigned r = 0; r < TD_RST_MAX && n < len; r++)
		if (a->resets_sent[r])
			n += (size_t)snprintf(buf + n, len - n, "%s%s %llu", n ? ", " : "", td_rst_reason_word(r),
					      (unsigned long long)a->resets_sent[r]);
}

static void rule_resets(const struct td_doc_input *in, const struct td_doc_thresholds *t, struct td_findings *out)
{
	const struct td_agg *a = in->agg;
	uint64_t n = a->closes[TD_CLOSE_RESET_RECEIVED] + a->closes[TD_CLOSE_RESET_SENT];
	struct td_finding *f;
	char reasons[64], peer[80], buf[96], who[48];

	if (!n || !(f = td_doc_new(out, TD_R_RESETS, n >= t->v[TD_T_RESETS] ? TD_SEV_WARNING : TD_SEV_INFO)))
		return;
	td_doc_title(f, "%llu connection%s ended by a reset (%llu sent, %llu received)", (unsigned long long)n,
		     n == 1 ? "" : "s", (unsigned long long)a->closes[TD_CLOSE_RESET_SENT],
		     (unsigned long long)a->closes[TD_CLOSE_RESET_RECEIVED]);
	td_doc_ev(f, "reset_sent", TD_EV_NUM, a->closes[TD_CLOSE_RESET_SENT], NULL);
	td_doc_ev(f, "reset_received", TD_EV_NUM, a->closes[TD_CLOSE_RESET_RECEIVED], NULL);
	td_doc_ev(f, "normal", TD_EV_NUM, a->closes[TD_CLOSE_NORMAL], NULL);
	rst_reasons(a, reasons, sizeof(reasons));
	td_doc_ev(f, "reasons", TD_EV_STR, 0, reasons);
	td_doc_top_key(&in->ev->reset_peers, peer, sizeof(peer));
	td_doc_ev(f, "top_peer", TD_EV_STR, 0, peer);
	top_owner(&in->ev->reset_senders, who, sizeof(who));
	td_doc_ev(f, "top_sender", TD_EV_STR, 0, who);
	top_owner(&in->ev->reset_receivers, who, sizeof(who));
	td_doc_ev(f, "top_receiver", TD_EV_STR, 0, who);
	td_doc_owners(f, &in->ev->reset_owners);
	f->meaning = "A reset ends a connection at once, without the FIN exchange: data in flight is lost and "
		     "the other side's next call fails with ECONNRESET.";
	/* tcp_close() with SO_LINGER 0 goes through tcp_disconnect(), which
	 * sends its RST with reason TCP_STATE; TCP_ABORT_ON_LINGER is the
	 * FIN_WAIT2 of a socket with a negative TCP_LINGER2. */
	if (a->resets_sent[TD_RST_TCP_STATE])
		td_doc_act(f, "TCP_STATE: an application closes with SO_LINGER set to 0 (an abortive close) or "
			      "disconnects an open connection; drop that option unless it is meant. ");
	if (a->resets_sent[TD_RST_TCP_ABORT_ON_LINGER])
		td_doc_act(f, "TCP_ABORT_ON_LINGER: a socket with a negative TCP_LINGER2 closed in FIN_WAIT2. ");
	if (a->resets_sent[TD_RST_TCP_ABORT_ON_CLOSE])
		td_doc_act(f, "TCP_ABORT_ON_CLOSE: a socket was closed with unread data; read to EOF before close(). ");
	if (a->resets_sent[TD_RST_TCP_KEEPALIVE_TIMEOUT])
		td_doc_act(f, "TCP_KEEPALIVE_TIMEOUT: peers stopped answering keepalive probes (%s). ",
			   td_doc_setting(in, TD_SC_KEEPALIVE_TIME, buf, sizeof(buf)));
	if (a->closes[TD_CLOSE_RESET_RECEIVED])
		td_doc_act(f, "Resets received: the peer closed with unread data or SO_LINGER 0, restarted, or "
			      "nothing listened any more.");
}

static void rule_lost(const struct td_doc_input *in, struct td_findings *out)
{
	uint64_t n = td_loss_total(&in->loss);
	struct td_finding *f;

	if (!n || !(f = td_doc_new(out, TD_R_LOST_EVENTS, in->filtered ? TD_SEV_INFO : TD_SEV_WARNING)))
		return;
	td_doc_title(f, "%llu event%s lost during the run%s", (unsigned long long)n, n == 1 ? "" : "s",
		     in->filtered ? ", across all sockets: some may be outside the filters"
				  : ": the findings rest on a partial view");
	td_doc_ev(f, "ringbuf", TD_EV_NUM, in->loss.ringbuf, NULL);
	td_doc_ev(f, "recursion", TD_EV_NUM, in->loss.recursion, NULL);
	td_doc_ev(f, "mini_untracked", TD_EV_NUM, in->loss.mini_untracked, NULL);
	f->meaning = "Counts drawn from the traced events may be low: the kernel skipped or dropped some "
		     "(counted across all sockets, before filtering).";
	td_doc_act(f, "Run doctor again with filters (-P, -A, -R) on the traffic in question, or when the load is lower.");
}

void td_doctor_rules_traced(const struct td_doc_input *in, const struct td_doc_thresholds *t,
			    struct td_findings *out)
{
	rule_slow_connects(in, t, out);
	rule_connect_failures(in, t, out);
	rule_handshakes(in, out);
	rule_accept_queue(in, t, out);
	rule_slow_accept(in, t, out);
	rule_resets(in, t, out);
	rule_lost(in, out);
}
