/* Aggregation of transitions: dwell histograms per state and counts per
 * (old, new) pair. Pure data, no I/O. */
#ifndef TD_AGG_H
#define TD_AGG_H

#include <stdint.h>
#include <linux/types.h>
#include "tcpdwell.h"
#include "hist.h"
#include "acceptq.h"

struct td_agg {
	uint64_t events;
	struct hist dwell[TD_MAX_STATES];
	/* Transitions out of a state whose entry was not seen (socket first
	 * seen mid-life): their dwell is unknown and kept out of the histogram. */
	uint64_t unknown[TD_MAX_STATES];
	uint64_t trans[TD_MAX_STATES][TD_MAX_STATES];
	uint64_t tw_ends[TD_TW_END_MAX];  /* how TIME_WAITs ended (enum td_tw_end) */
	uint64_t hs_outcomes[TD_HS_MAX];  /* how handshakes ended (enum td_hs_outcome) */
	uint64_t connects[TD_CONNECT_MAX]; /* how connects ended (enum td_connect_outcome) */
	uint64_t syn_retransmitted;       /* connects that retransmitted a SYN */
	uint64_t syn_retrans;             /* SYN retransmits, summed */
	uint64_t synack_retrans;          /* SYN-ACK retransmits of handshakes, summed */
	struct hist connect_dwell[TD_CONNECT_MAX]; /* SYN_SENT's dwell per connect outcome */
	uint64_t closes[TD_CLOSE_MAX];    /* why connections ended (enum td_close_cause) */
	uint64_t resets_sent[TD_RST_MAX]; /* closes by a RST sent, per reason (enum td_rst_reason) */
	uint64_t orphans; /* FIN_WAIT2 finished by a timewait sock */
	struct td_accept_waits accept; /* accept-queue waits per listener port */
};

/* Counters of what never reached the aggregate. */
struct td_loss {
	uint64_t ringbuf;    /* records dropped: ring buffer full */
	uint64_t recursion;  /* program runs skipped by the kernel (recursion) */
	uint64_t no_storage; /* events whose socket storage could not be created */
	uint64_t mini_untracked; /* timewait socks the full map could not hold */
};

static inline uint64_t td_loss_total(const struct td_loss *l)
{
	return l->ringbuf + l->recursion + l->mini_untracked;
}

/* out = cur - prev: the losses since the totals prev was read at. */
void td_loss_delta(struct td_loss *out, const struct td_loss *cur, const struct td_loss *prev);

void td_agg_reset(struct td_agg *a);
/* dst += src. */
void td_agg_merge(struct td_agg *dst, const struct td_agg *src);
/* dst = cur - prev, for totals that only grow (in-kernel aggregation); see
 * hist_delta for the extremes. */
void td_agg_delta(struct td_agg *dst, const struct td_agg *cur, const struct td_agg *prev);
void td_agg_add(struct td_agg *a, const struct td_event *e);
/* One accept record: its wait under its listener port. */
void td_agg_add_accept(struct td_agg *a, const struct td_accept *r);

/* --kernel-agg: folds one CPU's counters into a, and one CPU's histogram
 * into h; td_agg_khist names the histogram of a that the kernel's
 * agg_hists key fills (NULL: a key with none). */
void td_agg_add_kcounts(struct td_agg *a, const struct td_kcounts *c);
void td_agg_add_khist(struct hist *h, const struct td_khist *k);
struct hist *td_agg_khist(struct td_agg *a, unsigned int key);

#endif
