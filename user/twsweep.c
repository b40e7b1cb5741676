/* The sweep of pending timewait cancels: one record per timewait sock
 * killed early on a quiet CPU, filtered by td_filter_pass. */
#include <errno.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include "filter.h"
#include "twsweep.h"
#include "tcpdwell.skel.h"

/* Pending timewait cancels older than this were early kills: an expiry or a
 * re-arm follows its cancel within microseconds on the same CPU. */
#define TW_PENDING_GRACE_NS (50ull * 1000000ull)

struct td_twsweep {
	int scratch_fd, tw_fd;
	int ncpus;
	size_t stride;          /* per-CPU value size of the scratch map */
	void *vals;             /* ncpus scratch values */
	struct td_filter filt;  /* the kernel side's, as loaded */
	const uint8_t *ports;   /* its port table (the read-only data's mmap) */
	td_event_fn fn;
	void *ctx;
};

struct td_twsweep *td_twsweep_new(struct tcpdwell_bpf *skel, int ncpus, td_event_fn fn, void *ctx)
{
	struct td_twsweep *s = calloc(1, sizeof(*s));

	if (!s)
		return NULL;
	s->scratch_fd = bpf_map__fd(skel->maps.scratch);
	s->tw_fd = bpf_map__fd(skel->maps.tw_socks);
	s->ncpus = ncpus;
	/* Per-CPU values are copied out at 8-byte strides. */
	s->stride = (bpf_map__value_size(skel->maps.scratch) + 7) / 8 * 8;
	s->vals = calloc((size_t)ncpus, s->stride);
	if (!s->vals) {
		free(s);
		errno = ENOMEM;
		return NULL;
	}
	memcpy(&s->filt, (const void *)&skel->rodata->filt, sizeof(s->filt));
	s->ports = (const uint8_t *)(const void *)skel->rodata->port_filter;
	s->fn = fn;
	s->ctx = ctx;
	return s;
}

void td_twsweep_free(struct td_twsweep *s)
{
	if (!s)
		return;
	free(s->vals);
	free(s);
}

/* The record the kernel side's tw_end would have made at the cancel. */
static void killed_tw_event(const struct td_tw *w, const struct td_tw_pending *p, struct td_event *e)
{
	memset(e, 0, sizeof(*e));
	e->type = TD_REC_TRANSITION;
	e->family = (__u8)w->t.family;
	e->oldstate = w->substate;
	e->newstate = TD_CLOSE;
	e->flags = TD_F_MINI | (w->substate == TD_FIN_WAIT2 ? TD_F_ORPHAN : 0);
	if (w->start_known == TW_START_KNOWN)
		e->flags |= TD_F_DWELL_KNOWN;
	else if (w->start_known == TW_START_AT_LEAST)
		e->flags |= TD_F_AT_LEAST;
	if (w->start_known)
		e->dwell_ns = p->cancel_ns - w->start_ns;
	if (w->owner_known) {
		e->flags |= TD_F_PID_KNOWN;
		e->pid = w->pid;
		memcpy(e->comm, w->comm, sizeof(e->comm));
	}
	e->tw_end = (__u8)p->tw_end;
	e->sport = w->t.sport;
	e->dport = w->t.dport;
	e->netns = w->t.netns;
	e->ts_ns = p->cancel_ns;
	e->skaddr = p->tw;
	e->cgroup_id = w->cgroup_id;
	memcpy(e->saddr, w->t.saddr, sizeof(e->saddr));
	memcpy(e->daddr, w->t.daddr, sizeof(e->daddr));
}

/* Deleting the map entry is the claim the kernel side also makes, so
 * exactly one side reports the sock. A cancel older than the entry belongs
 * to an earlier sock at the same address, already reported. */
static int report_killed(struct td_twsweep *s, const struct td_tw_pending *p)
{
	struct td_event e;
	struct td_tw w;
	__u64 key = p->tw;

	if (bpf_map_lookup_elem(s->tw_fd, &key, &w) || p->cancel_ns < w.start_ns ||
	    bpf_map_delete_elem(s->tw_fd, &key))
		return 0;
	killed_tw_event(&w, p, &e);
	if (!td_filter_pass(&s->filt, s->ports, &e))
		return 0;
	s->fn(s->ctx, &e);
	return 1;
}

int td_twsweep_run(struct td_twsweep *s, uint64_t now_ns)
{
	__u32 zero = 0;
	int n = 0;

	if (bpf_map_lookup_elem(s->scratch_fd, &zero, s->vals))
		return -errno;
	for (int cpu = 0; cpu < s->ncpus; cpu++) {
		const struct td_tw_pending *p = (const void *)((const char *)s->vals + (size_t)cpu * s->stride +
							     offsetof(struct td_scratch, tw_pending));

		if (p->tw && p->cancel_ns + TW_PENDING_GRACE_NS < now_ns)
			n += report_killed(s, p);
	}
	return n;
}
