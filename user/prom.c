/* Prometheus renderer. A scrape looks like (excerpt):
 *
 *   # HELP tcpdwell_state_dwell_seconds Time TCP sockets spent in a state, ...
 *   # TYPE tcpdwell_state_dwell_seconds histogram
 *   tcpdwell_state_dwell_seconds_bucket{state="ESTABLISHED",le="0.1"} 8
 *   tcpdwell_state_dwell_seconds_bucket{state="ESTABLISHED",le="0.25"} 20
 *   ...
 *   tcpdwell_state_dwell_seconds_bucket{state="ESTABLISHED",le="+Inf"} 20
 *   tcpdwell_state_dwell_seconds_sum{state="ESTABLISHED"} 2.088
 *   tcpdwell_state_dwell_seconds_count{state="ESTABLISHED"} 20
 *   # HELP tcpdwell_transitions_total TCP state transitions seen.
 *   # TYPE tcpdwell_transitions_total counter
 *   tcpdwell_transitions_total{from="ESTABLISHED",to="FIN_WAIT1"} 20
 *
 * Every label value comes from a fixed table (states, reasons, BPF program
 * names) except build_info's version: the series count is bounded. */
#include <inttypes.h>
#include <string.h>
#include "prom.h"
#include "census.h"
#include "vocab.h"
#include "states.h"

/* 1-2.5-5 steps: loopback handshakes take ~15us, TIME_WAIT 60 s, a leaked
 * CLOSE_WAIT hours (+Inf). The le strings are Go's strconv 'g' format, as
 * the official client libraries write them. */
const uint64_t td_prom_bounds_ns[TD_PROM_NBOUNDS] = {
	10000ull, 25000ull, 50000ull,
	100000ull, 250000ull, 500000ull,
	1000000ull, 2500000ull, 5000000ull,
	10000000ull, 25000000ull, 50000000ull,
	100000000ull, 250000000ull, 500000000ull,
	1000000000ull, 2500000000ull, 5000000000ull,
	10000000000ull, 25000000000ull, 50000000000ull,
	100000000000ull, 250000000000ull, 500000000000ull,
	1000000000000ull,
};

static const char *const bound_le[TD_PROM_NBOUNDS] = {
	"1e-05", "2.5e-05", "5e-05",
	"0.0001", "0.00025", "0.0005",
	"0.001", "0.0025", "0.005",
	"0.01", "0.025", "0.05",
	"0.1", "0.25", "0.5",
	"1", "2.5", "5",
	"10", "25", "50",
	"100", "250", "500",
	"1000",
};

const char *td_prom_le(int b)
{
	return b < TD_PROM_NBOUNDS ? bound_le[b] : "+Inf";
}

/* A fine bucket of the log-linear histogram (values low..high ns, both
 * inclusive) is counted under the first bound B with hist_bucket_high <= B:
 * the Prometheus bucket that holds its upper bound. So le="B" never counts
 * a value above B; a fine bucket that straddles B (at most 1/64 of B wide)
 * counts under the next bound, so le="B" may miss values within 1.6% below
 * B. Bounds are walked in order: out[] comes out cumulative. */
void td_prom_buckets(const struct hist *h, uint64_t out[TD_PROM_NBOUNDS + 1])
{
	uint64_t acc = 0;
	unsigned i = 0;

	for (int b = 0; b < TD_PROM_NBOUNDS; b++) {
		for (; i < HIST_NBUCKETS && hist_bucket_high(i) <= td_prom_bounds_ns[b]; i++)
			acc += h->buckets[i];
		out[b] = acc;
	}
	for (; i < HIST_NBUCKETS; i++)
		acc += h->buckets[i];
	out[TD_PROM_NBOUNDS] = acc;
}

/* Nanoseconds as exact decimal seconds, no float rounding: 1500000 -> 0.0015. */
static void put_seconds(FILE *f, uint64_t ns)
{
	char frac[10];
	int end = 9;
	const uint64_t ns_per_s = 1000000000;

	fprintf(f, "%" PRIu64, ns / ns_per_s);
	if (ns % ns_per_s == 0)
		return;
	snprintf(frac, sizeof(frac), "%09" PRIu64, ns % ns_per_s);
	while (end > 0 && frac[end - 1] == '0')
		end--;
	fprintf(f, ".%.*s", end, frac);
}

void td_prom_label(FILE *f, const char *s)
{
	for (; *s; s++) {
		if (*s == '\\')
			fputs("\\\\", f);
		else if (*s == '"')
			fputs("\\\"", f);
		else if (*s == '\n')
			fputs("\\n", f);
		else
			fputc(*s, f);
	}
}

static void family(FILE *f, const char *name, const char *type, const char *help)
{
	fprintf(f, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

/* One histogram's series: name_bucket{labels,le="B"} for every bound,
 * name_sum and name_count; labels is "" or `state="ESTABLISHED"`. */
static void prom_hist(FILE *f, const char *name, const char *labels, const struct hist *h)
{
	uint64_t cum[TD_PROM_NBOUNDS + 1];
	const char *open = *labels ? "{" : "", *close = *labels ? "}" : "";

	td_prom_buckets(h, cum);
	for (int b = 0; b <= TD_PROM_NBOUNDS; b++)
		fprintf(f, "%s_bucket{%s%sle=\"%s\"} %" PRIu64 "\n", name, labels, *labels ? "," : "", td_prom_le(b),
			cum[b]);
	fprintf(f, "%s_sum%s%s%s ", name, open, labels, close);
	put_seconds(f, h->sum);
	fprintf(f, "\n%s_count%s%s%s %" PRIu64 "\n", name, open, labels, close, h->count);
}

/* The accept-queue waits: one series, or one per listener port (and
 * "other") with --prometheus-by lport. Always present, so that rate() sees
 * it from the first scrape. */
static void render_accept(FILE *f, const struct td_accept_waits *w, bool by_port)
{
	static const char name[] = "tcpdwell_accept_wait_seconds";
	struct td_port_wait all;
	char labels[32];

	family(f, name, "histogram",
	       "Time accepted connections waited in their listener's accept queue, from the end of the handshake to "
	       "accept(); per listener port with --prometheus-by lport (at most 16 ports, the rest as \"other\").");
	if (!by_port) {
		td_accept_total(w, &all);
		prom_hist(f, name, "", &all.h);
		return;
	}
	for (unsigned i = 0; i < w->n; i++) {
		snprintf(labels, sizeof(labels), "port=\"%u\"", w->port[i].port);
		prom_hist(f, name, labels, &w->port[i].h);
	}
	if (td_port_wait_used(&w->other))
		prom_hist(f, name, "port=\"other\"", &w->other.h);
}

/* States that have a dwell histogram even when empty, so that rate() and
 * histogram_quantile() see every series from the first scrape. CLOSE has no
 * dwell (td_has_dwell); NEW_SYN_RECV and BOUND_INACTIVE are never the old
 * state of a reported transition. They are rendered only if counted. */
static bool dwell_state(const struct td_agg *a, int s)
{
	return (s != TD_CLOSE && s != TD_NEW_SYN_RECV && s != TD_BOUND_INACTIVE) || a->dwell[s].count ||
	       a->unknown[s];
}

static void render_dwell(FILE *f, const struct td_agg *a)
{
	family(f, "tcpdwell_state_dwell_seconds", "histogram",
	       "Time TCP sockets spent in a state, observed when they left it (TIME_WAIT and the real SYN_RECV with -T).");
	for (int s = 1; s < TD_MAX_STATES; s++) {
		char labels[48];

		if (!dwell_state(a, s))
			continue;
		snprintf(labels, sizeof(labels), "state=\"%s\"", td_state_name(s));
		prom_hist(f, "tcpdwell_state_dwell_seconds", labels, &a->dwell[s]);
	}
	family(f, "tcpdwell_state_dwell_unknown_total", "counter",
	       "Transitions out of a state whose start was not seen (socket older than tcpdwell): not in the histogram.");
	for (int s = 1; s < TD_MAX_STATES; s++)
		if (dwell_state(a, s))
			fprintf(f, "tcpdwell_state_dwell_unknown_total{state=\"%s\"} %" PRIu64 "\n", td_state_name(s),
				a->unknown[s]);
}

/* name{reason="expired"} 4, one series per value of the vocabulary. */
static void vocab_series(FILE *f, const char *name, const struct td_vocab *v, const uint64_t *counts)
{
	for (unsigned int i = 1; i < v->n; i++)
		fprintf(f, "%s{%s=\"%s\"} %" PRIu64 "\n", name, v->what, v->words[i], counts[i]);
}

/* Why connections ended, and the resets: received (the peer's reason is
 * not on the wire) and sent, by the kernel's reason (a fixed enum, so the
 * label is bounded; only reasons seen get a series). */
static void render_closes(FILE *f, const struct td_agg *a)
{
	family(f, "tcpdwell_closes_total", "counter",
	       "Why connections ended (moves to CLOSE from a synchronized state): normal (FIN exchange), "
	       "reset_received, reset_sent, timeout.");
	vocab_series(f, "tcpdwell_closes_total", &td_close_vocab, a->closes);
	family(f, "tcpdwell_resets_total", "counter",
	       "Connections ended by a RST, by direction; sent ones by the kernel's reason.");
	fprintf(f, "tcpdwell_resets_total{direction=\"received\",reason=\"peer\"} %" PRIu64 "\n",
		a->closes[TD_CLOSE_RESET_RECEIVED]);
	for (unsigned int r = 0; r < TD_RST_MAX; r++)
		if (a->resets_sent[r])
			fprintf(f, "tcpdwell_resets_total{direction=\"sent\",reason=\"%s\"} %" PRIu64 "\n",
				td_rst_reason_word(r), a->resets_sent[r]);
}

/* The listeners on port l->v[i].port summed (v4 and v6, every address);
 * false when an earlier listener had that port (already shown). */
static bool port_sums(const struct td_listeners *l, unsigned int i, uint64_t sum[3])
{
	sum[0] = sum[1] = sum[2] = 0;
	for (unsigned int j = 0; j < l->n; j++) {
		if (l->v[j].port != l->v[i].port)
			continue;
		if (j < i)
			return false;
		sum[0] += td_listener_dropped(&l->v[j]);
		sum[1] += l->v[j].backlog;
		sum[2] += l->v[j].max_backlog;
	}
	return true;
}

/* Per listener port: bounded by the listeners the census tracks. */
static void render_listeners(FILE *f, const struct td_listeners *l)
{
	static const char *const names[3] = { "tcpdwell_listen_drops_total", "tcpdwell_accept_queue",
					      "tcpdwell_accept_queue_max" };
	static const char *const types[3] = { "counter", "gauge", "gauge" };
	static const char *const help[3] = {
		"SYNs a listener's queues dropped since tcpdwell saw it first (accept queue or SYN queue full: "
		"the kernel counts both in sk_drops), per local port.",
		"Children waiting for accept() per listener port, at the last census.",
		"The accept queue's limit (listen()'s backlog, capped by net.core.somaxconn) per listener port.",
	};
	uint64_t sum[3];

	for (int k = 0; k < 3; k++) {
		family(f, names[k], types[k], help[k]);
		for (unsigned int i = 0; i < l->n; i++)
			if (port_sums(l, i, sum))
				fprintf(f, "%s{port=\"%u\"} %" PRIu64 "\n", names[k], l->v[i].port, sum[k]);
	}
}

static void render_counts(FILE *f, const struct td_agg *a, const struct td_loss *l)
{
	/* Only the pairs seen: at most 13 x 13, most of them impossible. */
	family(f, "tcpdwell_transitions_total", "counter", "TCP state transitions seen.");
	for (int o = 1; o < TD_MAX_STATES; o++)
		for (int n = 1; n < TD_MAX_STATES; n++)
			if (a->trans[o][n])
				fprintf(f, "tcpdwell_transitions_total{from=\"%s\",to=\"%s\"} %" PRIu64 "\n",
					td_state_name(o), td_state_name(n), a->trans[o][n]);
	family(f, "tcpdwell_events_total", "counter", "Transitions received from the kernel.");
	fprintf(f, "tcpdwell_events_total %" PRIu64 "\n", a->events);
	family(f, "tcpdwell_events_lost_total", "counter",
	       "Transitions lost, across all sockets before filtering (the kernel's recursion misses count "
	       "every program run): ring buffer full, program runs the kernel skipped (recursion), "
	       "timewait socks the map could not hold.");
	fprintf(f, "tcpdwell_events_lost_total{reason=\"ringbuf\"} %" PRIu64 "\n", l->ringbuf);
	fprintf(f, "tcpdwell_events_lost_total{reason=\"recursion\"} %" PRIu64 "\n", l->recursion);
	fprintf(f, "tcpdwell_events_lost_total{reason=\"mini_untracked\"} %" PRIu64 "\n", l->mini_untracked);
	family(f, "tcpdwell_events_no_storage_total", "counter",
	       "Transitions whose socket storage could not be allocated: reported with unknown owner and dwell.");
	fprintf(f, "tcpdwell_events_no_storage_total %" PRIu64 "\n", l->no_storage);
	family(f, "tcpdwell_time_wait_ends_total", "counter",
	       "How TIME_WAITs (and orphaned FIN_WAIT2s) ended: the timer expired, or early by reuse, kill or netns teardown (-T).");
	vocab_series(f, "tcpdwell_time_wait_ends_total", &td_tw_end_vocab, a->tw_ends);
	family(f, "tcpdwell_orphaned_fin_wait2_total", "counter",
	       "FIN_WAIT2s finished by the kernel after their owner closed the socket (-T).");
	fprintf(f, "tcpdwell_orphaned_fin_wait2_total %" PRIu64 "\n", a->orphans);
	family(f, "tcpdwell_handshakes_total", "counter", "How server handshakes (SYN_RECV) ended (-T).");
	vocab_series(f, "tcpdwell_handshakes_total", &td_hs_outcome_vocab, a->hs_outcomes);
	family(f, "tcpdwell_connects_total", "counter",
	       "How client connects (SYN_SENT) ended: established, refused (RST), timeout (SYN retries ran out), "
	       "unreachable (ICMP error), aborted (closed by the owner first).");
	vocab_series(f, "tcpdwell_connects_total", &td_connect_vocab, a->connects);
	family(f, "tcpdwell_syn_retransmits_total", "counter", "SYNs that client connects retransmitted.");
	fprintf(f, "tcpdwell_syn_retransmits_total %" PRIu64 "\n", a->syn_retrans);
	family(f, "tcpdwell_synack_retransmits_total", "counter",
	       "SYN-ACKs that server handshakes retransmitted (seen at the child's birth, or the request's end with -T).");
	fprintf(f, "tcpdwell_synack_retransmits_total %" PRIu64 "\n", a->synack_retrans);
	render_closes(f, a);
}

/* Per namespace, the states that hold sockets: a series that goes away is
 * marked stale by Prometheus at once, and a node with many pods keeps to
 * the states they use. */
static void render_census_ns(FILE *f, const struct td_census_ns *v, size_t n)
{
	family(f, "tcpdwell_netns_sockets", "gauge",
	       "tcpdwell_sockets per network namespace (its inode, as lsns -t net shows it); states with no "
	       "socket are left out.");
	for (size_t i = 0; i < n; i++)
		for (int s = 1; s < TD_MAX_STATES; s++)
			if (v[i].c[s])
				fprintf(f, "tcpdwell_netns_sockets{netns=\"%u\",state=\"%s\"} %" PRIu64 "\n", v[i].netns,
					td_state_name(s), v[i].c[s]);
}

static void render_census(FILE *f, const uint64_t *c)
{
	family(f, "tcpdwell_sockets", "gauge",
	       "Live TCP sockets per state in every network namespace (or -N's) that pass tcpdwell's filters, as "
	       "ss -tan counts them (TIME_WAIT and request socks, as NEW_SYN_RECV, included); counted at the "
	       "scrape, at most once a second.");
	for (int s = 1; s < TD_MAX_STATES; s++)
		fprintf(f, "tcpdwell_sockets{state=\"%s\"} %" PRIu64 "\n", td_state_name(s), c[s]);
	family(f, "tcpdwell_sockets_orphaned_fin_wait2", "gauge",
	       "Of tcpdwell_sockets{state=\"FIN_WAIT2\"}, those whose owner has closed them (held by a timewait sock).");
	fprintf(f, "tcpdwell_sockets_orphaned_fin_wait2 %" PRIu64 "\n", c[TD_CENSUS_ORPHANS]);
}

static void render_progs(FILE *f, const struct td_prog_stat *p, size_t n)
{
	family(f, "tcpdwell_bpf_run_seconds_total", "counter",
	       "CPU time spent in each of tcpdwell's BPF programs while kernel.bpf_stats_enabled=1.");
	for (size_t i = 0; i < n; i++) {
		fputs("tcpdwell_bpf_run_seconds_total{prog=\"", f);
		td_prom_label(f, p[i].name);
		fputs("\"} ", f);
		put_seconds(f, p[i].run_ns);
		fputc('\n', f);
	}
	family(f, "tcpdwell_bpf_runs_total", "counter",
	       "Runs of each of tcpdwell's BPF programs while kernel.bpf_stats_enabled=1.");
	for (size_t i = 0; i < n; i++) {
		fputs("tcpdwell_bpf_runs_total{prog=\"", f);
		td_prom_label(f, p[i].name);
		fprintf(f, "\"} %" PRIu64 "\n", p[i].run_cnt);
	}
}

void td_prom_render(FILE *f, const struct td_prom_input *in)
{
	family(f, "tcpdwell_build_info", "gauge", "tcpdwell's version, as the label; always 1.");
	fputs("tcpdwell_build_info{version=\"", f);
	td_prom_label(f, in->version);
	fputs("\"} 1\n", f);
	render_dwell(f, in->agg);
	render_accept(f, &in->agg->accept, in->accept_by_port);
	render_counts(f, in->agg, in->loss);
	if (in->census)
		render_census(f, in->census);
	if (in->census)
		render_census_ns(f, in->census_ns, in->ncensus_ns);
	if (in->listeners)
		render_listeners(f, in->listeners);
	if (in->bpf_stats && in->nprogs)
		render_progs(f, in->progs, in->nprogs);
	fflush(f);
}
