/* Rendering of transitions and reports as text or JSON Lines, to a FILE *.
 * Nothing here touches BPF; everything is testable with fmemopen(). */
#ifndef TD_RENDER_H
#define TD_RENDER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include "agg.h"
#include "container.h"
#include "report.h"
#include "vocab.h"

struct td_render_opts {
	bool wide;
	/* CLOCK_REALTIME - CLOCK_MONOTONIC, to put wall-clock times on records. */
	int64_t realtime_offset_ns;
};

/* Where a record's socket lives beyond its netns, as the caller found it
 * (renderers do not read cgroupfs); a NULL where, or NULL fields, are
 * unknown and their keys left out. */
struct td_where {
	const char *cgroup;              /* path in the cgroup2 mount */
	const struct td_identity *ident; /* parsed from that path */
};

/* "153ns", "1.02ms", "61.2s": three significant digits in us/ms/s. */
char *td_fmt_duration(char *buf, size_t len, uint64_t ns);
/* The address of a record in text form ("127.0.0.1", "::1"). */
char *td_fmt_addr(char *buf, size_t len, int family, const uint8_t *addr);

void td_render_event_header(FILE *f, const struct td_render_opts *o);
void td_render_event_text(FILE *f, const struct td_render_opts *o, const struct td_event *e);
void td_render_event_json(FILE *f, const struct td_render_opts *o, const struct td_event *e,
			  const struct td_where *w);
/* An accept record: a line in the transitions' columns (MS: its wait), or
 * an "accept" object. */
void td_render_accept_text(FILE *f, const struct td_render_opts *o, const struct td_accept *r);
void td_render_accept_json(FILE *f, const struct td_render_opts *o, const struct td_accept *r,
			   const struct td_where *w);

/* s (at most max bytes, stopping at NUL) as a JSON string. */
void td_json_str(FILE *f, const char *s, size_t max);

/* `tcpdwell snapshot`: one line or object per live socket (-w adds a
 * CONTAINER column: td_identity_short). holder_pid > 0
 * names the process holding the socket's file now (as ss -p finds it); why
 * (enum td_age_why, TD_AGE_KNOWN: none) says why its age is unknown. */
void td_render_snap_header(FILE *f, const struct td_render_opts *o);
void td_render_snap_text(FILE *f, const struct td_render_opts *o, const struct td_snap *s, uint64_t now_ns,
			 int holder_pid, const char *holder_comm, unsigned why, const struct td_where *w);
void td_render_snap_json(FILE *f, const struct td_snap *s, uint64_t now_ns, int holder_pid, const char *holder_comm,
			 unsigned why, const struct td_where *w);

/* Where a snapshot's times in state came from, over the sockets it listed. */
struct td_snap_times {
	int tracer_pid;      /* 0: no tracer */
	const char *filters; /* the tracer's (td_filter_describe); NULL: unknown */
	uint64_t known;      /* listed with a time (exact or at least) */
	uint64_t unknown[TD_AGE_WHY_MAX]; /* listed without one, by why */
};
/* "known" (every listed socket has a time), "partial", or "unknown" (no
 * tracer, or no listed socket has one). */
const char *td_snap_times_word(const struct td_snap_times *t);
void td_snap_times_why(const struct td_snap_times *t, char *buf, size_t len);
/* The one stderr line that names the tracer (and its filters) or says why
 * times are unknown: "tcpdwell: times in state from the tracer pid N
 * (filters: -P 47118,47119)". */
void td_render_snap_source(FILE *f, const struct td_snap_times *t);
/* The counts per state after the list, and where times came from. */
void td_render_snap_counts(FILE *f, const uint64_t counts[TD_MAX_STATES], int listed, const struct td_snap_times *t,
			   bool json);

#endif
