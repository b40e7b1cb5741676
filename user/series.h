/* Opt-in labeled series for the exporter (--prometheus-by
 * lport|cgroup|netns|container): dwell histograms and transition counts per
 * local port, cgroup, network namespace or container, at most `cap` label
 * values; the rest counts under "other". Pure data: the caller resolves a
 * record's container. */
#ifndef TD_SERIES_H
#define TD_SERIES_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <linux/types.h>
#include "tcpdwell.h"
#include "container.h"
#include "prom.h"

#define TD_SERIES_MAX_CAP 1024

enum td_series_kind { TD_SERIES_OFF, TD_SERIES_LPORT, TD_SERIES_CGROUP, TD_SERIES_NETNS, TD_SERIES_CONTAINER };

struct td_series_entry {
	uint64_t key;   /* local port, cgroup id, netns inode, or a hash of
			   the container labels */
	bool other;     /* the overflow entry */
	/* TD_SERIES_CONTAINER: the container's 12 digits, else its systemd
	 * unit, else "-"; and its pod's UID ("" when none). */
	char container[TD_UNIT_MAX + 1];
	char pod_uid[TD_POD_UID_MAX + 1];
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

/* "lport", "cgroup", "netns" or "container", each with an optional ":CAP"
 * (CAP 1-1024, default 32). */
int td_parse_series(const char *s, enum td_series_kind *kind, unsigned *cap);
int td_series_init(struct td_series *s, enum td_series_kind kind, unsigned cap);
void td_series_free(struct td_series *s);
/* id: e's container identity (TD_SERIES_CONTAINER only; NULL: unknown). */
void td_series_add(struct td_series *s, const struct td_event *e, const struct td_identity *id);
/* tcpdwell_lport_state_dwell_seconds{lport="8080",state="..."} histograms
 * and tcpdwell_lport_transitions_total{lport=...,from=...,to=...} (or
 * tcpdwell_cgroup_* with cgroup_id, tcpdwell_netns_* with netns,
 * tcpdwell_container_* with container and pod_uid), for the entries that
 * have data. */
void td_series_render(FILE *f, const struct td_series *s);

#endif
