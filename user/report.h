/* The reports (user/report.c): totals of an interval or since start, as
 * text or JSON Lines, to a FILE *. */
#ifndef TD_REPORT_H
#define TD_REPORT_H

#include <stdint.h>
#include <stdio.h>
#include "agg.h"
#include "listeners.h"

/* The report: a histogram per state with count/p50/p90/p99/max, then the
 * transition table, how states ended, and the loss line. now_ns is
 * CLOCK_REALTIME; JSON's summary carries it as time_ns, and interval_ns,
 * the time the report covers (since start under -C or without -i). */
void td_render_report_text(FILE *f, const struct td_agg *a, const struct td_loss *l, uint64_t now_ns);
void td_render_report_json(FILE *f, const struct td_agg *a, const struct td_loss *l, uint64_t now_ns,
			   uint64_t interval_ns);
/* The live sockets per state (TD_CENSUS_*): a line, or a "sockets" object. */
void td_render_census_text(FILE *f, const uint64_t c[TD_CENSUS_MAX]);
void td_render_census_json(FILE *f, const uint64_t c[TD_CENSUS_MAX]);

/* The listeners: text lines for those that dropped SYNs or have children
 * waiting ("Listener 127.0.0.1:8080: dropped 2 SYNs (a queue was full),
 * accept queue 1/128"), and a "listen_drops" object for every one. */
void td_render_listeners_text(FILE *f, const struct td_listeners *l);
void td_render_listeners_json(FILE *f, const struct td_listeners *l);

#endif
