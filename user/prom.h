/* Prometheus text exposition (format 0.0.4) of the totals since start, to a
 * FILE *. Pure: nothing here touches BPF or the network. */
#ifndef TD_PROM_H
#define TD_PROM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include "agg.h"
#include "hist.h"
#include "tracer.h"
#include "listeners.h"

#define TD_PROM_CONTENT_TYPE "text/plain; version=0.0.4; charset=utf-8"

/* The dwell histograms' bucket bounds: 1-2.5-5 steps from 10us to 1000s,
 * then +Inf. */
#define TD_PROM_NBOUNDS 25
extern const uint64_t td_prom_bounds_ns[TD_PROM_NBOUNDS];
/* Bound b's le label value ("0.25"), or "+Inf" for b == TD_PROM_NBOUNDS. */
const char *td_prom_le(int b);

/* Everything a scrape shows; counters are totals since start. */
struct td_prom_input {
	const char *version;              /* tcpdwell_build_info's label */
	const struct td_agg *agg;
	const struct td_loss *loss;
	const uint64_t *census;           /* TD_CENSUS_MAX live sockets, or NULL */
	const struct td_listeners *listeners; /* from the same census, or NULL */
	const struct td_census_ns *census_ns; /* the same census per namespace */
	size_t ncensus_ns;
	const struct td_prog_stat *progs; /* the BPF programs' run-time stats */
	size_t nprogs;
	bool bpf_stats;                   /* render progs (the kernel counts them) */
	bool accept_by_port;              /* --prometheus-by lport: accept waits per port */
};

/* A label value: backslash, double quote and newline escaped (0.0.4). */
void td_prom_label(FILE *f, const char *s);
/* Cumulative counts of h for each bound, then +Inf (== h->count). */
void td_prom_buckets(const struct hist *h, uint64_t out[TD_PROM_NBOUNDS + 1]);
void td_prom_render(FILE *f, const struct td_prom_input *in);

#endif
