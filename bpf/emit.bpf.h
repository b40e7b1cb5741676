/* Where a transition goes: a td_event in the ring buffer, or, with
 * --kernel-agg, straight into per-CPU histograms and counters. */
#ifndef TD_EMIT_BPF_H
#define TD_EMIT_BPF_H

#include "common.bpf.h"
#include "filter.bpf.h"

/* What a record says besides its states and dwell: its TD_F_* flags and
 * what ended the state (the lists in tcpdwell.h). A new annotation is a
 * field here, in td_event and in td_kcounts. */
struct marks {
	__u8 flags;
	__u8 tw_end;      /* enum td_tw_end */
	__u8 hs_outcome;  /* enum td_hs_outcome */
	__u8 connect;     /* enum td_connect_outcome */
	__u8 retrans;     /* SYNs or SYN-ACKs retransmitted (td_event.retrans) */
	__u8 error;
	__u8 close;       /* enum td_close_cause */
	__u8 rst_reason;  /* enum td_rst_reason */
};

/* One ring buffer per CPU, which userspace creates and puts in `rings`
 * (user/rings.c): a transition reserves its record on its own CPU's ring,
 * so CPUs never contend for one ring's lock and positions. A ring shared
 * by every CPU cost about twice as much per record whenever two CPUs
 * emitted at once (the bench's shared-ring floor, in its slow passes). */
struct td_ring {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 4096); /* the template's; userspace gives its own (rings.c) */
};

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY_OF_MAPS);
	__uint(max_entries, 1); /* possible CPUs, set by userspace */
	__type(key, __u32);
	__array(values, struct td_ring);
} rings SEC(".maps");

/* This CPU's ring (a program runs on one CPU from start to end). */
static __always_inline void *cpu_ring(void)
{
	__u32 cpu = bpf_get_smp_processor_id();

	return bpf_map_lookup_elem(&rings, &cpu);
}

/* A record of size bytes on this CPU's ring; NULL, counted, when full. */
static __always_inline void *ring_reserve(const __u64 size)
{
	void *rb = cpu_ring();
	void *e = rb ? bpf_ringbuf_reserve(rb, size, 0) : NULL;

	if (!e)
		count(TD_CNT_RB_DROPS);
	return e;
}

/* --kernel-agg: a histogram per old state and the counters, per CPU. */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, TD_KHIST_MAX);
	__type(key, __u32);
	__type(value, struct td_khist);
} agg_hists SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct td_kcounts);
} agg_counts SEC(".maps");

static __always_inline void khist_add(struct td_khist *h, __u64 dwell)
{
	__u64 idx;

	/* 64-bit and opaque to the compiler, so that the bound checked is the
	 * register used. */
	idx = td_hist_index(dwell);
	asm volatile("" : "+r"(idx));
	if (idx >= TD_HIST_NBUCKETS)
		return;
	h->buckets[idx]++;
	if (!h->count || dwell < h->min)
		h->min = dwell;
	if (dwell > h->max)
		h->max = dwell;
	h->count++;
	h->sum += dwell;
}

static __always_inline void agg_dwell(__u32 hist, __u64 dwell)
{
	struct td_khist *h = bpf_map_lookup_elem(&agg_hists, &hist);

	if (h)
		khist_add(h, dwell);
}

/* The same aggregation as userspace's td_agg_add, done in place. */
static __noinline void kernel_aggregate(__u32 oldstate, __u32 newstate, __u64 dwell, const struct marks *m)
{
	struct td_kcounts *c;
	__u32 zero = 0;

	c = bpf_map_lookup_elem(&agg_counts, &zero);
	if (!c)
		return;
	oldstate &= TD_STATE_SLOTS - 1;
	newstate &= TD_STATE_SLOTS - 1;
	c->events++;
	c->trans[oldstate][newstate]++;
	if (m->tw_end)
		c->tw_ends[m->tw_end & (TD_TW_END_SLOTS - 1)]++;
	if (m->hs_outcome)
		c->hs_outcomes[m->hs_outcome & (TD_HS_SLOTS - 1)]++;
	if (m->connect) {
		c->connects[m->connect & (TD_CONNECT_SLOTS - 1)]++;
		c->syn_retransmitted += m->retrans != 0;
		c->syn_retrans += m->retrans;
	} else if (oldstate == TD_SYN_RECV) {
		c->synack_retrans += m->retrans;
	}
	if (m->close)
		c->closes[m->close & (TD_CLOSE_SLOTS - 1)]++;
	if (m->close == TD_CLOSE_RESET_SENT)
		c->resets_sent[m->rst_reason & (TD_RST_SLOTS - 1)]++;
	if ((m->flags & TD_F_ORPHAN) && oldstate == TD_FIN_WAIT2)
		c->orphans++;
	if (!td_has_dwell(oldstate, newstate))
		return;
	if (!(m->flags & TD_F_DWELL_KNOWN)) {
		c->unknown[oldstate]++;
		return;
	}
	agg_dwell(oldstate, dwell);
	if (m->connect)
		agg_dwell(TD_KHIST_CONNECT(m->connect & (TD_CONNECT_SLOTS - 1)), dwell);
}

/* The common part of a record: states, time, dwell, marks. */
static __always_inline void fill_header(struct td_event *e, __u64 ts, int oldstate, int newstate, __u64 dwell,
					const struct marks *m)
{
	e->type = TD_REC_TRANSITION;
	e->oldstate = oldstate;
	e->newstate = newstate;
	e->flags = m->flags;
	e->tw_end = m->tw_end;
	e->hs_outcome = m->hs_outcome;
	e->connect = m->connect;
	e->retrans = m->retrans;
	e->error = m->error;
	e->close = m->close;
	e->rst_reason = m->rst_reason;
	e->ts_ns = ts;
	e->dwell_ns = dwell;
}

/* Reserves and fills the common part of a record; NULL when -s filters it
 * out, when this CPU's ring is full (counted), and always with --kernel-agg,
 * which aggregates here instead. */
static __always_inline struct td_event *reserve(__u64 ts, int oldstate, int newstate, __u64 dwell,
						const struct marks *m)
{
	struct td_event *e;

	if (!filter_states(oldstate, newstate))
		return NULL;
	if (kernel_agg) {
		kernel_aggregate(oldstate, newstate, dwell, m);
		return NULL;
	}
	e = ring_reserve(sizeof(*e));
	if (e)
		fill_header(e, ts, oldstate, newstate, dwell, m);
	return e;
}

/* Batch wakeups: the consumer also polls on a timeout, so a quiet system
 * still reports promptly without a wakeup per record. */
static __always_inline void submit(void *e)
{
	void *rb = cpu_ring();
	__u64 flags = rb && bpf_ringbuf_query(rb, BPF_RB_AVAIL_DATA) >= wakeup_bytes ?
		BPF_RB_FORCE_WAKEUP : BPF_RB_NO_WAKEUP;

	bpf_ringbuf_submit(e, flags);
}

static __always_inline void fill_tuple(struct td_event *e, const struct td_tuple *t)
{
	e->family = t->family;
	e->sport = t->sport;
	e->dport = t->dport;
	e->netns = t->netns;
	__builtin_memcpy(e->saddr, t->saddr, sizeof(e->saddr));
	__builtin_memcpy(e->daddr, t->daddr, sizeof(e->daddr));
}

static __always_inline void fill_owner(struct td_event *e, bool known, __u32 tgid, const char *comm)
{
	if (known) {
		e->flags |= TD_F_PID_KNOWN;
		e->pid = tgid;
		__builtin_memcpy(e->comm, comm, sizeof(e->comm));
	} else {
		e->pid = 0;
		__builtin_memset(e->comm, 0, sizeof(e->comm));
	}
}

/* Who a record is charged to. */
struct who {
	const char *comm;
	__u64 cgroup_id;
	__u32 tgid;
	bool  known; /* tgid and comm name the owner */
};

/* A whole record about a known tuple and owner (the mini socks' path). */
static __always_inline void emit_tuple(__u64 ts, int oldstate, int newstate, __u64 dwell, const struct marks *m,
				       const struct td_tuple *t, __u64 skaddr, const struct who *w)
{
	struct td_event *e = reserve(ts, oldstate, newstate, dwell, m);

	if (!e)
		return;
	fill_tuple(e, t);
	fill_owner(e, w->known, w->tgid, w->comm);
	e->skaddr = skaddr;
	e->cgroup_id = w->cgroup_id;
	submit(e);
}

/* A whole record made earlier and held (close.bpf.h), its filters passed:
 * into the ring buffer, or the in-kernel aggregate. */
static __noinline void emit_held(const struct td_event *ev)
{
	struct marks m = { .flags = ev->flags, .tw_end = ev->tw_end, .hs_outcome = ev->hs_outcome,
			   .connect = ev->connect, .retrans = ev->retrans, .error = ev->error,
			   .close = ev->close, .rst_reason = ev->rst_reason };
	struct td_event *e;

	if (kernel_agg) {
		kernel_aggregate(ev->oldstate, ev->newstate, ev->dwell_ns, &m);
		return;
	}
	e = ring_reserve(sizeof(*e));
	if (!e)
		return;
	__builtin_memcpy(e, ev, sizeof(*e));
	submit(e);
}

#endif /* TD_EMIT_BPF_H */
