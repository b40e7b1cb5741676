/* Opt-in labeled series for the exporter (--prometheus-by lport|cgroup):
 * dwell histograms and transition counts per local port or per cgroup, at
 * most `cap` label values; the rest counts under "other". Pure data. */
#ifndef TD_SERIES_H
#define TD_SERIES_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <linux/types.h>
#include "tcpdwell.h"
#include "prom.h"

#define TD_SERIES_MAX_CAP 1024

enum td_series_kind { TD_SERIES_OFF, TD_SERIES_LPORT, TD_SERIES_CGROUP };

struct td_series_entry {
	uint64_t key;   /* local port or cgroup id */
	bool other;     /* the overflow entry */
	uint64_t count[TD_MAX_STATES];
	uint64_t sum_ns[TD_MAX_STATES];
	/* Per Prometheus bound (td_prom_bounds_ns), then +Inf; not cumulative. */
	uint64_t bucket[TD_MAX_STATES][TD_PROM_NBOUNDS + 1];
	uint64_t trans[TD_MAX_STATES][TD_MAX_STATES];
};

struct td_series {
	enum td_series_kind kind;
	unsigned cap;
	unsigned n;                    /* entries in use, "other" excluded */
	struct td_series_entry *v;     /* cap entries, then "other" at v[cap] */
	int32_t *slot;                 /* open addressing: key -> entry, -1 empty */
	unsigned nslots;               /* power of two, >= 2 * cap */
};

/* "lport", "lport:CAP", "cgroup", "cgroup:CAP" (CAP 1-1024, default 32). */
int td_parse_series(const char *s, enum td_series_kind *kind, unsigned *cap);
int td_series_init(struct td_series *s, enum td_series_kind kind, unsigned cap);
void td_series_free(struct td_series *s);
void td_series_add(struct td_series *s, const struct td_event *e);
/* tcpdwell_lport_state_dwell_seconds{lport="8080",state="..."} histograms
 * and tcpdwell_lport_transitions_total{lport=...,from=...,to=...} (or
 * cgroup_id), for the entries that have data. */
void td_series_render(FILE *f, const struct td_series *s);

#endif
