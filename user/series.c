/* Labeled series with a cap: a small open-addressing table from key to
 * entry; a key seen after the table holds `cap` keys goes to "other". */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "hist.h"
#include "num.h"
#include "series.h"
#include "states.h"

/* Each kind's option word, metric prefix, noun for HELP, and label. */
static const struct {
	const char *word, *metric, *noun, *label;
} kinds[] = {
	[TD_SERIES_LPORT] = { "lport", "tcpdwell_lport", "local port", "lport" },
	[TD_SERIES_CGROUP] = { "cgroup", "tcpdwell_cgroup", "cgroup", "cgroup_id" },
	[TD_SERIES_NETNS] = { "netns", "tcpdwell_netns", "network namespace", "netns" },
	[TD_SERIES_CONTAINER] = { "container", "tcpdwell_container", "container (or systemd unit)", "container" },
};
#define NKINDS (sizeof(kinds) / sizeof(kinds[0]))

int td_parse_series(const char *s, enum td_series_kind *kind, unsigned *cap)
{
	const char *colon = s ? strchr(s, ':') : NULL;
	size_t n = colon ? (size_t)(colon - s) : (s ? strlen(s) : 0);
	enum td_series_kind k = TD_SERIES_OFF;
	unsigned c = 32;

	if (!s)
		return -EINVAL;
	for (size_t i = 1; i < NKINDS; i++)
		if (n == strlen(kinds[i].word) && strncmp(s, kinds[i].word, n) == 0)
			k = (enum td_series_kind)i;
	if (k == TD_SERIES_OFF)
		return -EINVAL;
	if (colon) {
		uint64_t v;

		if (td_num_uint(colon + 1, 1, TD_SERIES_MAX_CAP, &v))
			return -EINVAL;
		c = (unsigned)v;
	}
	*kind = k;
	*cap = c;
	return 0;
}

int td_series_init(struct td_series *s, enum td_series_kind kind, unsigned cap)
{
	memset(s, 0, sizeof(*s));
	if (kind == TD_SERIES_OFF)
		return 0;
	if (cap < 1 || cap > TD_SERIES_MAX_CAP)
		return -EINVAL;
	s->kind = kind;
	s->cap = cap;
	for (s->nslots = 4; s->nslots < 2 * cap; s->nslots *= 2)
		;
	s->v = calloc(cap + 1, sizeof(*s->v));
	s->slot = malloc(s->nslots * sizeof(*s->slot));
	if (!s->v || !s->slot) {
		td_series_free(s);
		return -ENOMEM;
	}
	memset(s->slot, 0xff, s->nslots * sizeof(*s->slot));
	s->v[cap].other = true;
	return 0;
}

void td_series_free(struct td_series *s)
{
	free(s->v);
	free(s->slot);
	memset(s, 0, sizeof(*s));
}

static struct td_series_entry *entry_for(struct td_series *s, uint64_t key)
{
	unsigned i = (unsigned)((key * 0x9e3779b97f4a7c15ull) >> 40) & (s->nslots - 1);

	for (;; i = (i + 1) & (s->nslots - 1)) {
		int32_t at = s->slot[i];

		if (at >= 0 && s->v[at].key == key)
			return &s->v[at];
		if (at < 0) {
			if (s->n == s->cap)
				return &s->v[s->cap];
			s->slot[i] = (int32_t)s->n;
			s->v[s->n].key = key;
			return &s->v[s->n++];
		}
	}
}

/* The Prometheus bound a dwell counts under: the one that holds the upper
 * end of its log-linear bucket, as td_prom_buckets counts the totals. */
static unsigned bound_of(uint64_t ns)
{
	uint64_t high = hist_bucket_high(hist_index(ns));
	unsigned b = 0;

	while (b < TD_PROM_NBOUNDS && td_prom_bounds_ns[b] < high)
		b++;
	return b;
}

/* FNV-1a over the labels: two containers share an entry only if their
 * 64-bit hashes collide. */
static uint64_t hash_labels(const char *container, const char *pod)
{
	uint64_t h = 0xcbf29ce484222325ull;

	for (const char *p = container;; p++) {
		h = (h ^ (unsigned char)*p) * 0x100000001b3ull;
		if (!*p)
			break;
	}
	for (const char *p = pod; *p; p++)
		h = (h ^ (unsigned char)*p) * 0x100000001b3ull;
	return h;
}

/* The container's entry: its 12 digits, else its unit, else "-". */
static struct td_series_entry *container_entry(struct td_series *s, const struct td_identity *id)
{
	char c[TD_UNIT_MAX + 1];
	const char *pod = id ? id->pod_uid : "";
	struct td_series_entry *en;

	if (id && id->container[0])
		snprintf(c, sizeof(c), "%.12s", id->container);
	else
		snprintf(c, sizeof(c), "%s", id && id->unit[0] ? id->unit : "-");
	en = entry_for(s, hash_labels(c, pod));
	if (!en->other && !en->container[0]) {
		memcpy(en->container, c, sizeof(c));
		snprintf(en->pod_uid, sizeof(en->pod_uid), "%s", pod);
	}
	return en;
}

void td_series_add(struct td_series *s, const struct td_event *e, const struct td_identity *id)
{
	struct td_series_entry *en;

	switch (s->kind) {
	case TD_SERIES_OFF:
		return;
	case TD_SERIES_LPORT:
		en = entry_for(s, e->sport);
		break;
	case TD_SERIES_CGROUP:
		en = entry_for(s, e->cgroup_id);
		break;
	case TD_SERIES_NETNS:
		en = entry_for(s, e->netns);
		break;
	default:
		en = container_entry(s, id);
		break;
	}
	en->trans[e->oldstate][e->newstate]++;
	if (!td_has_dwell(e->oldstate, e->newstate) || !(e->flags & TD_F_DWELL_KNOWN))
		return;
	en->count[e->oldstate]++;
	en->sum_ns[e->oldstate] += e->dwell_ns;
	en->bucket[e->oldstate][bound_of(e->dwell_ns)]++;
}

/* lport="8080", or container="3f1c2a9b8d7e",pod_uid="..." (pod_uid only
 * when there is one), or the kind's label="other". */
static void put_key(FILE *f, const struct td_series *s, const struct td_series_entry *en)
{
	fprintf(f, "%s=\"", kinds[s->kind].label);
	if (en->other) {
		fputs("other\"", f);
	} else if (s->kind == TD_SERIES_CONTAINER) {
		td_prom_label(f, en->container);
		fputc('"', f);
		if (en->pod_uid[0])
			fprintf(f, ",pod_uid=\"%s\"", en->pod_uid);
	} else {
		fprintf(f, "%" PRIu64 "\"", en->key);
	}
}

void td_series_render(FILE *f, const struct td_series *s)
{
	const char *m = kinds[s->kind].metric;

	if (s->kind == TD_SERIES_OFF)
		return;
	fprintf(f, "# HELP %s_state_dwell_seconds Time in a state per %s (at most %u values, the rest as \"other\").\n"
		"# TYPE %s_state_dwell_seconds histogram\n", m, kinds[s->kind].noun, s->cap, m);
	for (unsigned i = 0; i <= s->cap; i++) {
		const struct td_series_entry *en = &s->v[i];

		if (i == s->n && i < s->cap)
			i = s->cap; /* skip the unused entries, keep "other" */
		en = &s->v[i];
		for (int st = 1; st < TD_MAX_STATES; st++) {
			uint64_t acc = 0;

			if (!en->count[st])
				continue;
			for (int b = 0; b <= TD_PROM_NBOUNDS; b++) {
				acc += en->bucket[st][b];
				fprintf(f, "%s_state_dwell_seconds_bucket{", m);
				put_key(f, s, en);
				fprintf(f, ",state=\"%s\",le=\"%s\"} %" PRIu64 "\n", td_state_name(st), td_prom_le(b), acc);
			}
			fprintf(f, "%s_state_dwell_seconds_sum{", m);
			put_key(f, s, en);
			fprintf(f, ",state=\"%s\"} %.9f\n", td_state_name(st), en->sum_ns[st] / 1e9);
			fprintf(f, "%s_state_dwell_seconds_count{", m);
			put_key(f, s, en);
			fprintf(f, ",state=\"%s\"} %" PRIu64 "\n", td_state_name(st), en->count[st]);
		}
	}
	fprintf(f, "# HELP %s_transitions_total TCP state transitions per %s.\n# TYPE %s_transitions_total counter\n",
		m, kinds[s->kind].noun, m);
	for (unsigned i = 0; i <= s->cap; i++) {
		const struct td_series_entry *en;

		if (i == s->n && i < s->cap)
			i = s->cap;
		en = &s->v[i];
		for (int o = 1; o < TD_MAX_STATES; o++)
			for (int n = 1; n < TD_MAX_STATES; n++) {
				if (!en->trans[o][n])
					continue;
				fprintf(f, "%s_transitions_total{", m);
				put_key(f, s, en);
				fprintf(f, ",from=\"%s\",to=\"%s\"} %" PRIu64 "\n", td_state_name(o), td_state_name(n),
					en->trans[o][n]);
			}
	}
}
