/* Rendering of transitions and reports as text or JSON Lines, to a FILE *.
 * Nothing here touches BPF; everything is testable with fmemopen(). */
#ifndef TD_RENDER_H
#define TD_RENDER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include "agg.h"

struct td_render_opts {
	bool wide;
	/* CLOCK_REALTIME - CLOCK_MONOTONIC, to put wall-clock times on records. */
	int64_t realtime_offset_ns;
};

/* "153ns", "1.02ms", "61.2s": three significant digits in us/ms/s. */
char *td_fmt_duration(char *buf, size_t len, uint64_t ns);
/* The address of a record in text form ("127.0.0.1", "::1"). */
char *td_fmt_addr(char *buf, size_t len, int family, const uint8_t *addr);

void td_render_event_header(FILE *f, const struct td_render_opts *o);
void td_render_event_text(FILE *f, const struct td_render_opts *o, const struct td_event *e);
void td_render_event_json(FILE *f, const struct td_render_opts *o, const struct td_event *e);
/* An accept record: a line in the transitions' columns (MS: its wait), or
 * an "accept" object. */
void td_render_accept_text(FILE *f, const struct td_render_opts *o, const struct td_accept *r);
void td_render_accept_json(FILE *f, const struct td_render_opts *o, const struct td_accept *r);

/* The report: a histogram per state with count/p50/p90/p99/max, then the
 * transition table and the loss line. now_ns is CLOCK_REALTIME. */
void td_render_report_text(FILE *f, const struct td_agg *a, const struct td_loss *l, uint64_t now_ns);
void td_render_report_json(FILE *f, const struct td_agg *a, const struct td_loss *l);
/* The live sockets per state (TD_CENSUS_*): a line, or a "sockets" object. */
void td_render_census_text(FILE *f, const uint64_t c[TD_CENSUS_MAX]);
void td_render_census_json(FILE *f, const uint64_t c[TD_CENSUS_MAX]);

/* `tcpdwell snapshot`: one line or object per live socket. holder_pid > 0
 * names the process holding the socket's file now (as ss -p finds it). */
void td_render_snap_header(FILE *f, const struct td_render_opts *o);
void td_render_snap_text(FILE *f, const struct td_render_opts *o, const struct td_snap *s, uint64_t now_ns,
			 int holder_pid, const char *holder_comm);
void td_render_snap_json(FILE *f, const struct td_snap *s, uint64_t now_ns, int holder_pid, const char *holder_comm);

#endif
