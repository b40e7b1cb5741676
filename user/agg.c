/* Aggregation: folds decoded transitions into per-state histograms. */
#include <string.h>
#include "agg.h"

void td_agg_reset(struct td_agg *a)
{
	memset(a, 0, sizeof(*a));
}

static void add_connect(struct td_agg *a, const struct td_event *e)
{
	a->connects[e->connect]++;
	a->syn_retransmitted += e->retrans != 0;
	a->syn_retrans += e->retrans;
	if (e->flags & TD_F_DWELL_KNOWN)
		hist_add(&a->connect_dwell[e->connect], e->dwell_ns);
}

void td_agg_add(struct td_agg *a, const struct td_event *e)
{
	a->events++;
	a->trans[e->oldstate][e->newstate]++;
	/* The decoder rejects values out of range; a record built elsewhere
	 * (the userspace sweep, tests) is held to the same bound here. */
	if (e->tw_end && e->tw_end < TD_TW_END_MAX)
		a->tw_ends[e->tw_end]++;
	if (e->hs_outcome && e->hs_outcome < TD_HS_MAX)
		a->hs_outcomes[e->hs_outcome]++;
	if (e->connect && e->connect < TD_CONNECT_MAX)
		add_connect(a, e);
	else if (e->oldstate == TD_SYN_RECV)
		a->synack_retrans += e->retrans;
	if (e->close && e->close < TD_CLOSE_MAX)
		a->closes[e->close]++;
	if (e->close == TD_CLOSE_RESET_SENT && e->rst_reason < TD_RST_MAX)
		a->resets_sent[e->rst_reason]++;
	if ((e->flags & TD_F_ORPHAN) && e->oldstate == TD_FIN_WAIT2)
		a->orphans++;
	if (!td_has_dwell(e->oldstate, e->newstate))
		return;
	if (e->flags & TD_F_DWELL_KNOWN)
		hist_add(&a->dwell[e->oldstate], e->dwell_ns);
	else
		a->unknown[e->oldstate]++;
}

void td_agg_add_accept(struct td_agg *a, const struct td_accept *r)
{
	td_accept_add(&a->accept, r->sport, r->flags & TD_F_DWELL_KNOWN, r->wait_ns);
}

void td_agg_merge(struct td_agg *dst, const struct td_agg *src)
{
	dst->events += src->events;
	dst->orphans += src->orphans;
	for (int s = 0; s < TD_MAX_STATES; s++) {
		hist_merge(&dst->dwell[s], &src->dwell[s]);
		dst->unknown[s] += src->unknown[s];
		for (int n = 0; n < TD_MAX_STATES; n++)
			dst->trans[s][n] += src->trans[s][n];
	}
	for (int d = 0; d < TD_TW_END_MAX; d++)
		dst->tw_ends[d] += src->tw_ends[d];
	for (int d = 0; d < TD_HS_MAX; d++)
		dst->hs_outcomes[d] += src->hs_outcomes[d];
	for (int d = 0; d < TD_CONNECT_MAX; d++) {
		dst->connects[d] += src->connects[d];
		hist_merge(&dst->connect_dwell[d], &src->connect_dwell[d]);
	}
	dst->syn_retransmitted += src->syn_retransmitted;
	dst->syn_retrans += src->syn_retrans;
	dst->synack_retrans += src->synack_retrans;
	for (int d = 0; d < TD_CLOSE_MAX; d++)
		dst->closes[d] += src->closes[d];
	for (int d = 0; d < TD_RST_MAX; d++)
		dst->resets_sent[d] += src->resets_sent[d];
	td_accept_merge(&dst->accept, &src->accept);
}

void td_agg_delta(struct td_agg *dst, const struct td_agg *cur, const struct td_agg *prev)
{
	dst->events = cur->events - prev->events;
	dst->orphans = cur->orphans - prev->orphans;
	for (int s = 0; s < TD_MAX_STATES; s++) {
		hist_delta(&dst->dwell[s], &cur->dwell[s], &prev->dwell[s]);
		dst->unknown[s] = cur->unknown[s] - prev->unknown[s];
		for (int n = 0; n < TD_MAX_STATES; n++)
			dst->trans[s][n] = cur->trans[s][n] - prev->trans[s][n];
	}
	for (int d = 0; d < TD_TW_END_MAX; d++)
		dst->tw_ends[d] = cur->tw_ends[d] - prev->tw_ends[d];
	for (int d = 0; d < TD_HS_MAX; d++)
		dst->hs_outcomes[d] = cur->hs_outcomes[d] - prev->hs_outcomes[d];
	for (int d = 0; d < TD_CONNECT_MAX; d++) {
		dst->connects[d] = cur->connects[d] - prev->connects[d];
		hist_delta(&dst->connect_dwell[d], &cur->connect_dwell[d], &prev->connect_dwell[d]);
	}
	dst->syn_retransmitted = cur->syn_retransmitted - prev->syn_retransmitted;
	dst->syn_retrans = cur->syn_retrans - prev->syn_retrans;
	dst->synack_retrans = cur->synack_retrans - prev->synack_retrans;
	for (int d = 0; d < TD_CLOSE_MAX; d++)
		dst->closes[d] = cur->closes[d] - prev->closes[d];
	for (int d = 0; d < TD_RST_MAX; d++)
		dst->resets_sent[d] = cur->resets_sent[d] - prev->resets_sent[d];
	td_accept_delta(&dst->accept, &cur->accept, &prev->accept);
}

void td_loss_delta(struct td_loss *out, const struct td_loss *cur, const struct td_loss *prev)
{
	out->ringbuf = cur->ringbuf - prev->ringbuf;
	out->recursion = cur->recursion - prev->recursion;
	out->no_storage = cur->no_storage - prev->no_storage;
	out->mini_untracked = cur->mini_untracked - prev->mini_untracked;
}

void td_agg_add_kcounts(struct td_agg *a, const struct td_kcounts *c)
{
	a->events += c->events;
	a->orphans += c->orphans;
	for (int o = 0; o < TD_MAX_STATES; o++) {
		a->unknown[o] += c->unknown[o];
		for (int n = 0; n < TD_MAX_STATES; n++)
			a->trans[o][n] += c->trans[o][n];
	}
	for (int d = 0; d < TD_TW_END_MAX; d++)
		a->tw_ends[d] += c->tw_ends[d];
	for (int d = 0; d < TD_HS_MAX; d++)
		a->hs_outcomes[d] += c->hs_outcomes[d];
	for (int d = 0; d < TD_CONNECT_MAX; d++)
		a->connects[d] += c->connects[d];
	a->syn_retransmitted += c->syn_retransmitted;
	a->syn_retrans += c->syn_retrans;
	a->synack_retrans += c->synack_retrans;
	for (int d = 0; d < TD_CLOSE_MAX; d++)
		a->closes[d] += c->closes[d];
	for (int d = 0; d < TD_RST_MAX; d++)
		a->resets_sent[d] += c->resets_sent[d];
}

void td_agg_add_khist(struct hist *h, const struct td_khist *k)
{
	struct hist tmp;

	/* Same layout, fixed-width fields: merge like any histogram. */
	_Static_assert(sizeof(tmp) == sizeof(*k), "struct hist and td_khist differ");
	_Static_assert(sizeof(tmp) == sizeof(((struct td_kaccept *)0)->h), "struct hist and td_khist differ");
	memcpy(&tmp, k, sizeof(tmp));
	hist_merge(h, &tmp);
}

struct hist *td_agg_khist(struct td_agg *a, unsigned int key)
{
	if (key > 0 && key < TD_MAX_STATES)
		return &a->dwell[key];
	if (key > TD_KHIST_CONNECT(0) && key < TD_KHIST_CONNECT(TD_CONNECT_MAX))
		return &a->connect_dwell[key - TD_KHIST_CONNECT(0)];
	return NULL;
}
