/* Timewait socks (TIME_WAIT, and the FIN_WAIT2 of an orphaned socket),
 * followed through their timer's tracepoints: their start at the full
 * socket's hand-off, the orphan's FIN, and their end (expiry, reuse, kill,
 * netns teardown). */
#ifndef TD_TIMEWAIT_BPF_H
#define TD_TIMEWAIT_BPF_H

#include "common.bpf.h"
#include "filter.bpf.h"
#include "emit.bpf.h"
#include "fullsk.bpf.h"

#define TCP_TIMEWAIT_LEN_NS (60ull * 1000000000ull) /* include/net/tcp.h */

/* A jiffies<->ns calibration point, taken at the first timer event. */
__u64 calib_jiffies, calib_ns;
/* CONFIG_HZ, written by userspace when it knows it (possibly after load,
 * when it had to measure it); 0: unknown, calibrate from the clock. */
__u32 kernel_hz;
/* Orphaned FIN_WAIT2 timewait socks born so far: userspace runs the census
 * that settles them (tw_settle) only while some may be waiting. */
__u64 orphans_born;

/* Timewait socks by address. Mini socks have no sk_storage, so this is a
 * hash; userspace sizes it from net.ipv4.tcp_max_tw_buckets and a full map
 * is counted (TD_CNT_MINI_FULL), never silent. Preallocated: an insert per
 * connection must not allocate. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 262144);
	__type(key, __u64);
	__type(value, struct td_tw);
} tw_socks SEC(".maps");

static __always_inline __u8 tw_dwell_flag(__u8 start_known)
{
	return start_known == TW_START_KNOWN ? TD_F_DWELL_KNOWN :
	       start_known == TW_START_AT_LEAST ? TD_F_AT_LEAST : 0;
}

static __always_inline __u8 tw_substate(const struct inet_timewait_sock *t)
{
	return BPF_CORE_READ(t, tw_substate) == TCP_FIN_WAIT2 ? TD_FIN_WAIT2 : TD_TIME_WAIT;
}

static __always_inline __u64 tw_of(const struct timer_list *timer)
{
	/* container_of through a scalar: the verifier refuses a negative
	 * offset from the tp_btf pointer. */
	return (__u64)timer - bpf_core_field_offset(struct inet_timewait_sock, tw_timer);
}

/* A timewait sock whose full socket was never seen handing over (filtered,
 * or before tracing): read its own tuple while it is alive. */
static __always_inline void tw_ensure_tuple(struct td_tw *w, __u64 tw)
{
	struct inet_timewait_sock *t = (void *)tw;

	if (!w->tuple_known) {
		read_tuple(&t->__tw_common, &w->t);
		w->tuple_known = 1;
	}
}

static __always_inline void emit_tw(const struct td_tw *w, __u64 tw, __u64 ts, int oldstate, int newstate,
				   __u64 dwell, __u8 flags, __u8 tw_end)
{
	struct marks m = { .flags = flags | TD_F_MINI, .tw_end = tw_end };
	struct who who = { .comm = w->comm, .cgroup_id = w->cgroup_id, .tgid = w->pid, .known = w->owner_known };

	if (!filter_tuple(&w->t) || !filter_cgroup(w->cgroup_id, w->owner_known) ||
	    !filter_owner(w->owner_known, w->pid))
		return;
	emit_tuple(ts, oldstate, newstate, dwell, &m, &w->t, tw, &who);
}

/* ns per jiffy: exact from CONFIG_HZ, else from the calibration point. */
static __always_inline __u64 ns_per_jiffy(__u64 now, __u64 jnow)
{
	if (kernel_hz)
		return 1000000000ull / kernel_hz;
	if (!calib_ns || jnow <= calib_jiffies + 100)
		return 0;
	return (now - calib_ns) / (jnow - calib_jiffies);
}

static __always_inline void calibrate(__u64 now)
{
	if (!calib_ns) {
		calib_jiffies = bpf_jiffies64();
		calib_ns = now;
	}
}

/* An orphaned FIN_WAIT2 turns into TIME_WAIT when the peer's FIN arrives:
 * tcp_timewait_state_process re-arms the timer to jiffies + TCP_TIMEWAIT_LEN.
 * A re-arm into the same timer-wheel bucket emits no event, but it updates
 * timer->expires, so the FIN came in jiffy expires - 60 s: the estimate is
 * good to a jiffy. */
static __always_inline __u64 infer_fin_ns(__u64 tw, __u64 now)
{
	struct inet_timewait_sock *t = (void *)tw;
	__u64 expires = BPF_CORE_READ(t, tw_timer.expires);
	__u64 jnow = bpf_jiffies64(), npj = ns_per_jiffy(now, jnow), fin_j, back;

	if (!npj)
		return 0;
	fin_j = expires - TCP_TIMEWAIT_LEN_NS / npj;
	if ((__s64)(jnow - fin_j) < 0)
		return 0;
	back = (jnow - fin_j) * npj;
	return back < now ? now - back : 0;
}

/* An orphaned FIN_WAIT2 whose timewait sock has meanwhile turned into
 * TIME_WAIT: report the FIN_WAIT2's end at the inferred time, once. Called
 * at the sock's end and by the census, which walks live socks every second. */
static __always_inline void tw_settle_found(struct td_tw *w, __u64 tw, __u64 now)
{
	struct inet_timewait_sock *t = (void *)tw;
	__u64 fin;

	if (w->substate != TD_FIN_WAIT2 || BPF_CORE_READ(t, tw_substate) != TCP_TIME_WAIT)
		return;
	tw_ensure_tuple(w, tw);
	fin = w->start_known == TW_START_KNOWN ? infer_fin_ns(tw, now) : 0;
	/* The estimate is good to a jiffy or two: clamp it into the state. */
	if (fin && fin < w->start_ns && w->start_ns - fin <= 2 * ns_per_jiffy(now, bpf_jiffies64()))
		fin = w->start_ns;
	if (fin > now)
		fin = now;
	if (fin && fin >= w->start_ns) {
		emit_tw(w, tw, fin, TD_FIN_WAIT2, TD_TIME_WAIT, fin - w->start_ns,
			TD_F_DWELL_KNOWN | TD_F_ORPHAN | TD_F_INFERRED, TD_TW_NONE);
		w->start_ns = fin;
	} else {
		emit_tw(w, tw, now, TD_FIN_WAIT2, TD_TIME_WAIT, 0, TD_F_ORPHAN, TD_TW_NONE);
		w->start_known = 0;
	}
	w->substate = TD_TIME_WAIT;
}

static __always_inline void tw_settle(__u64 tw, __u64 now)
{
	struct td_tw *w = bpf_map_lookup_elem(&tw_socks, &tw);

	if (w)
		tw_settle_found(w, tw, now);
}

/* The timewait sock's life is over. The map delete is the claim: whoever
 * deletes the entry (here, another CPU, or userspace's sweep) reports it.
 * A function of its own, not inlined: its copy of the entry and its record
 * are on its own stack frame, not added to each timer hook's, whose frames
 * and their callees' must fit 512 bytes together (a kernel without the
 * JIT's private stacks, such as 6.18.44 here, counts them so). */
static __noinline void tw_end(__u64 tw, __u64 ts, __u8 reason, bool need_entry)
{
	struct inet_timewait_sock *t = (void *)tw;
	struct td_tw w, *found;

	found = bpf_map_lookup_elem(&tw_socks, &tw);
	if (found) {
		tw_settle_found(found, tw, ts);
		/* A pending cancel older than this entry belongs to an earlier
		 * sock at the same address, already reported. */
		if (ts < found->start_ns)
			return;
		tw_ensure_tuple(found, tw);
		w = *found;
		if (bpf_map_delete_elem(&tw_socks, &tw))
			return;
	} else {
		/* Userspace's sweep may have reported it already. */
		if (need_entry)
			return;
		/* Created before tracing began: its start is unknown. */
		__builtin_memset(&w, 0, sizeof(w));
		read_tuple(&t->__tw_common, &w.t);
		w.tuple_known = 1;
		w.substate = tw_substate(t);
	}
	emit_tw(&w, tw, ts, w.substate, TD_CLOSE, w.start_known ? ts - w.start_ns : 0,
		tw_dwell_flag(w.start_known) | (w.substate == TD_FIN_WAIT2 ? TD_F_ORPHAN : 0),
		reason);
}

/* A cancel that neither an expiry nor a re-arm followed: an early kill. */
static __always_inline void flush_pending(struct td_tw_pending *p)
{
	__u64 tw = p->tw;

	p->tw = 0;
	if (tw)
		tw_end(tw, p->cancel_ns, p->tw_end, true);
}

/* Finds the CPU whose pending cancel names tw and reports that early end. */
static __noinline void flush_stale(__u64 tw)
{
	struct td_scratch *p;
	__u32 zero = 0;

	if (!bpf_core_enum_value_exists(enum bpf_func_id, BPF_FUNC_map_lookup_percpu_elem))
		return;
	for (__u32 cpu = 0; cpu < 1024 && cpu < nr_cpus; cpu++) {
		p = bpf_map_lookup_percpu_elem(&scratch, &zero, cpu);
		if (p && p->tw_pending.tw == tw) {
			flush_pending(&p->tw_pending);
			return;
		}
	}
}

/* The peer's FIN turned an orphaned FIN_WAIT2 into TIME_WAIT: the timer is
 * re-armed for the full 60 s. */
static __always_inline void tw_rearmed(struct td_tw *found, __u64 tw, __u64 now)
{
	if (found->substate != TD_FIN_WAIT2 || tw_substate((void *)tw) != TD_TIME_WAIT)
		return;
	tw_ensure_tuple(found, tw);
	emit_tw(found, tw, now, TD_FIN_WAIT2, TD_TIME_WAIT, found->start_known ? now - found->start_ns : 0,
		tw_dwell_flag(found->start_known) | TD_F_ORPHAN, TD_TW_NONE);
	found->substate = TD_TIME_WAIT;
	found->start_ns = now;
	found->start_known = TW_START_KNOWN;
}

/* A new timewait sock (inet_twsk_hashdance_schedule). Family and ports
 * identify it at the hand-off; the full socket then gives the rest, unless
 * an address filter needs them now. One insert in the usual case; an entry
 * already at this address (stale) is found by the insert failing. */
static __always_inline void tw_born(struct td_scratch *s, __u64 tw, __u64 now)
{
	struct inet_timewait_sock *t = (void *)tw;
	struct td_tw w = {};

	if (filter_reads_tuple()) {
		read_tuple(&t->__tw_common, &w.t);
		w.tuple_known = 1;
	} else {
		__u32 pp = BPF_CORE_READ(t, __tw_common.skc_portpair);

		w.t.family = skc_family(&t->__tw_common);
		w.t.dport = bpf_ntohs((__u16)pp);
		w.t.sport = pp >> 16;
	}
	if (!filter_tuple(&w.t))
		return;
	w.start_ns = now;
	w.start_known = TW_START_KNOWN;
	w.substate = tw_substate(t);
	/* An entry at this address is a sock killed early whose end is still
	 * pending on another CPU: report it before its memory's new tenant. */
	if (bpf_map_update_elem(&tw_socks, &tw, &w, BPF_NOEXIST)) {
		flush_stale(tw);
		if (bpf_map_update_elem(&tw_socks, &tw, &w, BPF_ANY)) {
			count(TD_CNT_MINI_FULL);
			return;
		}
	}
	if (w.substate == TD_FIN_WAIT2)
		__sync_fetch_and_add(&orphans_born, 1);
	s->tw_handoff = tw;
}

/* timer_start: a re-arm of a pending cancel on this CPU, or a new sock. */
static __always_inline int tw_timer_start(const struct timer_list *timer)
{
	__u64 tw = tw_of(timer), now = bpf_ktime_get_ns();
	struct td_scratch *s = cpu_scratch();
	struct td_tw *found;
	bool rearm = false;

	if (!s)
		return 0;
	calibrate(now);
	if (s->tw_pending.tw == tw) {
		s->tw_pending.tw = 0;
		rearm = true;
	} else {
		flush_pending(&s->tw_pending);
	}
	/* Only a re-arm needs the entry: a new sock's insert finds a stale one. */
	found = rearm ? bpf_map_lookup_elem(&tw_socks, &tw) : NULL;
	if (found)
		tw_rearmed(found, tw, now);
	else
		tw_born(s, tw, now);
	return 0;
}

static __always_inline int tw_timer_cancel(const struct timer_list *timer)
{
	__u64 tw = tw_of(timer), now = bpf_ktime_get_ns();
	struct inet_timewait_sock *t = (void *)tw;
	struct td_scratch *s = cpu_scratch();

	if (!s)
		return 0;
	if (s->tw_pending.tw != tw)
		flush_pending(&s->tw_pending);
	/* __inet_check_established unhashes a timewait sock it reuses before
	 * inet_twsk_deschedule_put cancels the timer; an expiry or a kill
	 * cancels it while still hashed. */
	if (!BPF_CORE_READ(t, __tw_common.skc_nulls_node.pprev)) {
		s->tw_pending.tw = 0;
		tw_end(tw, now, TD_TW_REUSE, false);
		return 0;
	}
	s->tw_pending.tw = tw;
	s->tw_pending.cancel_ns = now;
	s->tw_pending.tw_end = TD_TW_KILLED;
	if (td_net_dying(BPF_CORE_READ(t, __tw_common.skc_net.net))) {
		s->tw_pending.tw_end = TD_TW_NETNS;
		/* An orphaned FIN_WAIT2 that the peer's FIN turned into
		 * TIME_WAIT is split at the FIN now, while the sock is alive:
		 * its end is reported later (this CPU's next timer event, or
		 * userspace's sweep), from the map entry alone. A dying
		 * namespace re-arms nothing, so this cancel is no re-arm's,
		 * whose timer->expires would still be the old one. */
		tw_settle(tw, now);
	}
	return 0;
}

static __always_inline int tw_timer_expire(const struct timer_list *timer)
{
	__u64 tw = tw_of(timer), now = bpf_ktime_get_ns();
	struct td_scratch *s = cpu_scratch();

	if (!s)
		return 0;
	if (s->tw_pending.tw == tw)
		s->tw_pending.tw = 0;
	else
		flush_pending(&s->tw_pending);
	tw_end(tw, now, TD_TW_EXPIRED, false);
	return 0;
}

/* tcp_time_wait() arms the new timewait sock's timer just before tcp_done()
 * moves the full socket to CLOSE, on this CPU: the pair is one move into
 * TIME_WAIT (or into an orphaned FIN_WAIT2 held by the timewait sock).
 * Claimed before the full socket's filters, so a stale hand-off never
 * lingers. */
static __always_inline struct td_tw *tw_claim(const struct trans *x)
{
	struct td_scratch *s;
	struct td_tw *w;
	__u64 tw;

	if (x->newstate != TCP_CLOSE || (x->oldstate != TCP_FIN_WAIT2 && x->oldstate != TCP_FIN_WAIT1 &&
					  x->oldstate != TCP_CLOSING))
		return NULL;
	s = cpu_scratch();
	if (!s || !s->tw_handoff)
		return NULL;
	tw = s->tw_handoff;
	s->tw_handoff = 0;
	w = bpf_map_lookup_elem(&tw_socks, &tw);
	if (!w || w->t.family != x->family || w->t.sport != x->lport || w->t.dport != x->rport)
		return NULL;
	if (!w->tuple_known) {
		sk_tuple(x->sk, x->family, x->lport, x->rport, &w->t);
		w->tuple_known = 1;
	}
	return w;
}

/* The timewait sock carries the owner and the cgroup on. An orphaned
 * FIN_WAIT2 goes on in it, with nothing to report yet (true); otherwise
 * the full socket's close is reported as the move into TIME_WAIT. */
static __always_inline bool tw_take_over(struct td_tw *tw, struct trans *x)
{
	struct sk_info *info = x->info;

	tw->cgroup_id = x->cgid;
	if (info && info->owner_known) {
		tw->pid = info->tgid;
		tw->owner_known = 1;
		__builtin_memcpy(tw->comm, info->comm, sizeof(tw->comm));
	}
	if (tw->substate == TD_FIN_WAIT2) {
		if (x->oldstate == TCP_FIN_WAIT2 && (x->m.flags & TD_F_DWELL_KNOWN))
			tw->start_ns = x->now - x->dwell;
		else
			tw->start_known = x->oldstate != TCP_FIN_WAIT2;
		return true;
	}
	tw->start_ns = x->now;
	x->reported = TD_TIME_WAIT;
	return false;
}

#endif /* TD_TIMEWAIT_BPF_H */
