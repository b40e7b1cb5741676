// SPDX-License-Identifier: GPL-2.0
/* Kernel side of tcpdwell: turns each TCP state change seen by the
 * sock:inet_sock_set_state tracepoint into a td_event, with the time the
 * socket dwelt in its old state and the process that owns the socket. The
 * timer tracepoints add what that tracepoint cannot see: the life of the
 * timewait sock (TIME_WAIT, orphaned FIN_WAIT2) and of the request sock
 * (the server's real SYN_RECV). */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include <bpf/bpf_core_read.h>
#include <bpf/bpf_endian.h>
#include "tcpdwell.h"
#include "core_fixes.bpf.h"

#define AF_INET  2
#define AF_INET6 10
#define IPPROTO_TCP 6
#define TCP_TIMEWAIT_LEN_NS (60ull * 1000000000ull) /* include/net/tcp.h */

char LICENSE[] SEC("license") = "GPL";

/* Knobs set by userspace between open and load. */
const volatile struct td_filter filt;
const volatile __u64 wakeup_bytes = 256 * 1024;
const volatile bool  timers_on;       /* the timer programs are attached */
const volatile __u64 tw_timer_fn;     /* &tw_timer_handler */
const volatile __u64 reqsk_timer_fn;  /* &reqsk_timer_handler */
const volatile __u32 nr_cpus = 1;     /* possible CPUs */
const volatile bool  kernel_agg;      /* --kernel-agg: histograms here, no records */
/* TD_PORT_* bits per port; read only when a port filter is on. */
const volatile __u8  port_filter[65536];

/* The census that userspace reads after running census_tcp, and a
 * jiffies<->ns calibration point. */
__u64 census[16]; /* TD_CENSUS_MAX used; a power of two for the verifier */
__u64 calib_jiffies, calib_ns;
/* CONFIG_HZ, written by userspace when it knows it (possibly after load,
 * when it had to measure it); 0: unknown, calibrate from the clock. */
__u32 kernel_hz;

/* What a socket carries between transitions. BPF_F_CLONE copies it into a
 * listener's children (sk_clone_lock -> bpf_sk_storage_clone), which is how
 * a child that nobody has accepted yet inherits the listener's owner. */
struct sk_info {
	__u64 entered_ns; /* when the socket entered its current state; 0: unknown */
	__u32 tgid;
	__u8  owner_known;
	__u8  at_least;   /* seeded at start: entered_ns is a lower bound */
	__u8  _pad[2];
	char  comm[TD_COMM_LEN];
};

struct {
	__uint(type, BPF_MAP_TYPE_SK_STORAGE);
	__uint(map_flags, BPF_F_NO_PREALLOC | BPF_F_CLONE);
	__type(key, int);
	__type(value, struct sk_info);
} sk_infos SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 4 * 1024 * 1024); /* resized by userspace */
} events SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, TD_CNT_MAX);
	__type(key, __u32);
	__type(value, __u64);
} counters SEC(".maps");

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

/* Request socks by address: the SYN's arrival and the SYN-ACK retransmits. */
struct td_req {
	__u64 syn_ns;
	__u32 retrans;
	__u32 _pad;
};

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 65536);
	__type(key, __u64);
	__type(value, struct td_req);
} req_socks SEC(".maps");

struct owner {
	__u32 tgid;
	__u32 _pad;
	char  comm[TD_COMM_LEN];
	__u64 cgroup_id;
};

/* Listener owners by socket address, for their request socks. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__uint(max_entries, 16384);
	__type(key, __u64);
	__type(value, struct owner);
} listeners SEC(".maps");

/* Per-CPU scratch for sequences that the kernel runs back to back on one CPU:
 * - tw_handoff: timer_start of a new timewait sock, which precedes the full
 *   socket's FIN_WAIT2->CLOSE by microseconds (tcp_time_wait);
 * - tw_pending: a timewait timer cancel, which is followed at once by the
 *   expiry (expire_timers: detach, then call) or by the restart of a re-arm,
 *   and by nothing when the sock is killed early;
 * - req: a request sock's timer between expire_entry and expire_exit; a
 *   re-arm inside means a SYN-ACK retransmit. */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct td_scratch);
} scratch SEC(".maps");

/* --kernel-agg: a histogram per old state and the counters, per CPU. */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, TD_MAX_STATES);
	__type(key, __u32);
	__type(value, struct td_khist);
} agg_hists SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct td_kcounts);
} agg_counts SEC(".maps");

/* The records' family encoding (4 or 6) from an address family; 0: other. */
static __always_inline __u8 td_family(__u16 af)
{
	return af == AF_INET ? 4 : af == AF_INET6 ? 6 : 0;
}

static __always_inline void count(__u32 slot)
{
	__u64 *c = bpf_map_lookup_elem(&counters, &slot);

	if (c)
		*c += 1;
}

static __always_inline struct td_scratch *cpu_scratch(void)
{
	__u32 zero = 0;

	return bpf_map_lookup_elem(&scratch, &zero);
}

/* Only a system call made by the socket's user can cause these, so the
 * current task is the owner: connect() -> SYN_SENT (tcp_v4_connect),
 * listen() -> LISTEN (inet_csk_listen_start), close()/shutdown() ->
 * FIN_WAIT1 or LAST_ACK (tcp_close_state), close() of a listener ->
 * LISTEN->CLOSE. Everything else may run in softirq on behalf of nobody. */
static __always_inline bool owner_is_current(int oldstate, int newstate)
{
	return newstate == TCP_SYN_SENT || newstate == TCP_LISTEN ||
	       newstate == TCP_FIN_WAIT1 || newstate == TCP_LAST_ACK ||
	       (oldstate == TCP_LISTEN && newstate == TCP_CLOSE);
}

enum port_verdict { PORTS_MATCH, PORTS_NEVER, PORTS_NOT_YET };

/* A client's local port is assigned just after CLOSE->SYN_SENT
 * (tcp_v4_connect sets the state before inet_hash_connect), so a zero port
 * cannot be judged yet; the socket's storage must still be kept. */
static __always_inline enum port_verdict ports_match(__u16 lport, __u16 rport)
{
	bool unknown = lport == 0;

	if (filt.lport && !(port_filter[lport] & TD_PORT_LOCAL))
		return unknown ? PORTS_NOT_YET : PORTS_NEVER;
	if (filt.rport && !(port_filter[rport] & TD_PORT_REMOTE))
		return unknown ? PORTS_NOT_YET : PORTS_NEVER;
	if (filt.either && !(port_filter[lport] & TD_PORT_EITHER) &&
	    !(port_filter[rport] & TD_PORT_EITHER))
		return unknown ? PORTS_NOT_YET : PORTS_NEVER;
	return PORTS_MATCH;
}

static __always_inline bool cidr_match(const volatile struct td_cidr *f, __u16 family, const __u32 *a)
{
	if (family != f->family)
		return false;
	if ((a[0] & f->mask[0]) != f->net[0])
		return false;
	if (family == 4)
		return true;
	return (a[1] & f->mask[1]) == f->net[1] && (a[2] & f->mask[2]) == f->net[2] &&
	       (a[3] & f->mask[3]) == f->net[3];
}

/* Address filters on a tuple (family 4 or 6). */
static __always_inline bool addrs_pass(__u16 family, const __u8 *saddr, const __u8 *daddr)
{
	if (filt.laddr.family && !cidr_match(&filt.laddr, family, (const __u32 *)saddr))
		return false;
	if (filt.raddr.family && !cidr_match(&filt.raddr, family, (const __u32 *)daddr))
		return false;
	return true;
}

static __always_inline bool addr_filtered(void)
{
	return filt.laddr.family || filt.raddr.family;
}

static __always_inline bool ports_filtered(void)
{
	return filt.lport || filt.rport || filt.either;
}

/* The 4-tuple and netns of any sock_common: full, timewait or request sock.
 * skc_num is the local port of mini socks; full sockets pass inet_sport. */
static __always_inline void read_tuple(const struct sock_common *skc, __u16 lport, struct td_tuple *t)
{
	__u16 family = BPF_CORE_READ(skc, skc_family);

	__builtin_memset(t, 0, sizeof(*t));
	t->family = family == AF_INET ? 4 : 6;
	if (family == AF_INET) {
		*(__u32 *)t->saddr = BPF_CORE_READ(skc, skc_rcv_saddr);
		*(__u32 *)t->daddr = BPF_CORE_READ(skc, skc_daddr);
	} else {
		bpf_core_read(t->saddr, sizeof(t->saddr), &skc->skc_v6_rcv_saddr);
		bpf_core_read(t->daddr, sizeof(t->daddr), &skc->skc_v6_daddr);
	}
	t->sport = lport ? lport : BPF_CORE_READ(skc, skc_num);
	t->dport = bpf_ntohs(BPF_CORE_READ(skc, skc_dport));
	t->netns = BPF_CORE_READ(skc, skc_net.net, ns.inum);
}

/* The same from a full socket's BTF pointer: plain loads, no helpers. */
static __always_inline void sk_tuple(const struct sock *sk, __u16 family, __u16 lport, __u16 rport,
				     struct td_tuple *t)
{
	__builtin_memset(t, 0, sizeof(*t));
	t->family = family == AF_INET ? 4 : 6;
	if (family == AF_INET) {
		*(__u32 *)t->saddr = sk->__sk_common.skc_rcv_saddr;
		*(__u32 *)t->daddr = sk->__sk_common.skc_daddr;
	} else {
		__builtin_memcpy(t->saddr, &sk->__sk_common.skc_v6_rcv_saddr, sizeof(t->saddr));
		__builtin_memcpy(t->daddr, &sk->__sk_common.skc_v6_daddr, sizeof(t->daddr));
	}
	t->sport = lport;
	t->dport = rport;
	t->netns = sk->__sk_common.skc_net.net->ns.inum;
}

/* Family, port and address filters for a mini sock's known tuple. */
static __always_inline bool net_passes(const struct td_tuple *t)
{
	if (filt.family && t->family != filt.family)
		return false;
	if (ports_filtered() && ports_match(t->sport, t->dport) != PORTS_MATCH)
		return false;
	return addrs_pass(t->family, t->saddr, t->daddr);
}

/* ... and the cgroup filter. */
static __always_inline bool tuple_passes(const struct td_tuple *t, __u64 cgid, bool cgid_known)
{
	if (filt.cgroup_id && (!cgid_known || cgid != filt.cgroup_id))
		return false;
	return net_passes(t);
}

static __always_inline bool owner_passes(bool known, __u32 tgid)
{
	return !filt.tgid || (known && tgid == filt.tgid);
}

/* The same aggregation as userspace's td_agg_add, done in place. */
/* marks: the record's flags, tw_end << 8 and hs_outcome << 16 (five
 * arguments at most for a BPF function). */
static __noinline void kernel_aggregate(__u32 oldstate, __u32 newstate, __u64 dwell, __u32 marks)
{
	struct td_kcounts *c;
	struct td_khist *h;
	__u32 zero = 0;
	__u64 idx;

	__u32 flags = marks & 0xff, tw_end = (marks >> 8) & 0xff, hs_outcome = marks >> 16;

	c = bpf_map_lookup_elem(&agg_counts, &zero);
	if (!c)
		return;
	oldstate &= 15;
	newstate &= 15;
	c->events++;
	c->trans[oldstate][newstate]++;
	if (tw_end)
		c->tw_ends[tw_end & (TD_TW_END_SLOTS - 1)]++;
	if (hs_outcome)
		c->hs_outcomes[hs_outcome & (TD_HS_SLOTS - 1)]++;
	if ((flags & TD_F_ORPHAN) && oldstate == TD_FIN_WAIT2)
		c->orphans++;
	if (!td_has_dwell(oldstate, newstate))
		return;
	if (!(flags & TD_F_DWELL_KNOWN)) {
		c->unknown[oldstate]++;
		return;
	}
	h = bpf_map_lookup_elem(&agg_hists, &oldstate);
	if (!h)
		return;
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

/* Reserves and fills the common part of a record; NULL when the ring is
 * full (counted), and always with --kernel-agg, which aggregates here. */
static __always_inline struct td_event *reserve(__u64 ts, int oldstate, int newstate, __u64 dwell,
						__u8 flags, __u8 tw_end, __u8 hs_outcome)
{
	struct td_event *e;

	if (filt.states && !(filt.states & ((1u << (oldstate & 31)) | (1u << (newstate & 31)))))
		return NULL;
	if (kernel_agg) {
		kernel_aggregate(oldstate, newstate, dwell, flags | tw_end << 8 | (__u32)hs_outcome << 16);
		return NULL;
	}
	e = bpf_ringbuf_reserve(&events, sizeof(*e), 0);
	if (!e) {
		count(TD_CNT_RB_DROPS);
		return NULL;
	}
	e->type = TD_REC_TRANSITION;
	e->oldstate = oldstate;
	e->newstate = newstate;
	e->flags = flags;
	e->tw_end = tw_end;
	e->hs_outcome = hs_outcome;
	e->_pad0 = 0;
	e->_pad1 = 0;
	e->ts_ns = ts;
	e->dwell_ns = dwell;
	return e;
}

/* Batch wakeups: the consumer also polls on a timeout, so a quiet system
 * still reports promptly without a wakeup per record. */
static __always_inline void submit(struct td_event *e)
{
	__u64 flags = bpf_ringbuf_query(&events, BPF_RB_AVAIL_DATA) >= wakeup_bytes ?
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

/* ---- timewait socks ---------------------------------------------------- */

/* td_tw.start_known: TW_START_AT_LEAST for socks seeded at start. */
#define TW_START_KNOWN    1
#define TW_START_AT_LEAST 2

static __always_inline __u8 tw_dwell_flag(__u8 start_known)
{
	return start_known == TW_START_KNOWN ? TD_F_DWELL_KNOWN :
	       start_known == TW_START_AT_LEAST ? TD_F_AT_LEAST : 0;
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
		read_tuple(&t->__tw_common, 0, &w->t);
		w->tuple_known = 1;
	}
}

static __always_inline void emit_tw(const struct td_tw *w, __u64 tw, __u64 ts, int oldstate, int newstate,
				   __u64 dwell, __u8 flags, __u8 tw_end)
{
	struct td_event *e;

	if (!tuple_passes(&w->t, w->cgroup_id, w->owner_known) || !owner_passes(w->owner_known, w->pid))
		return;
	e = reserve(ts, oldstate, newstate, dwell, flags | TD_F_MINI, tw_end, TD_HS_NONE);
	if (!e)
		return;
	fill_tuple(e, &w->t);
	fill_owner(e, w->owner_known, w->pid, w->comm);
	e->skaddr = tw;
	e->cgroup_id = w->cgroup_id;
	submit(e);
}

/* ns per jiffy: exact from CONFIG_HZ, else from a calibration point taken
 * at the first timer event. */
static __always_inline __u64 ns_per_jiffy(__u64 now, __u64 jnow)
{
	if (kernel_hz)
		return 1000000000ull / kernel_hz;
	if (!calib_ns || jnow <= calib_jiffies + 100)
		return 0;
	return (now - calib_ns) / (jnow - calib_jiffies);
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
static __always_inline void tw_settle(__u64 tw, __u64 now)
{
	struct inet_timewait_sock *t = (void *)tw;
	struct td_tw *w = bpf_map_lookup_elem(&tw_socks, &tw);
	__u64 fin;

	if (!w || w->substate != TD_FIN_WAIT2 || BPF_CORE_READ(t, tw_substate) != TCP_TIME_WAIT)
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

/* The timewait sock's life is over. The map delete is the claim: whoever
 * deletes the entry (here, another CPU, or userspace's sweep) reports it. */
static __always_inline void tw_end(__u64 tw, __u64 ts, __u8 reason, bool need_entry)
{
	struct inet_timewait_sock *t = (void *)tw;
	struct td_tw w, *found;

	tw_settle(tw, ts);
	found = bpf_map_lookup_elem(&tw_socks, &tw);
	if (found) {
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
		read_tuple(&t->__tw_common, 0, &w.t);
		w.tuple_known = 1;
		w.substate = BPF_CORE_READ(t, tw_substate) == TCP_FIN_WAIT2 ? TD_FIN_WAIT2 : TD_TIME_WAIT;
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

static __always_inline void calibrate(__u64 now)
{
	if (!calib_ns) {
		calib_jiffies = bpf_jiffies64();
		calib_ns = now;
	}
}

static __always_inline int tw_timer_start(const struct timer_list *timer)
{
	__u64 tw = tw_of(timer), now = bpf_ktime_get_ns();
	struct inet_timewait_sock *t = (void *)tw;
	struct td_scratch *s = cpu_scratch();
	struct td_tw *found, w = {};
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
	found = bpf_map_lookup_elem(&tw_socks, &tw);
	if (found && rearm) {
		/* The peer's FIN turned an orphaned FIN_WAIT2 into TIME_WAIT. */
		if (found->substate == TD_FIN_WAIT2 && BPF_CORE_READ(t, tw_substate) == TCP_TIME_WAIT) {
			tw_ensure_tuple(found, tw);
			emit_tw(found, tw, now, TD_FIN_WAIT2, TD_TIME_WAIT,
				found->start_known ? now - found->start_ns : 0,
				tw_dwell_flag(found->start_known) | TD_F_ORPHAN, TD_TW_NONE);
			found->substate = TD_TIME_WAIT;
			found->start_ns = now;
			found->start_known = TW_START_KNOWN;
		}
		return 0;
	}
	/* A new timewait sock (inet_twsk_hashdance_schedule). Family and ports
	 * identify it at the handoff; the full socket then gives the rest. */
	if (addr_filtered()) {
		read_tuple(&t->__tw_common, 0, &w.t);
		w.tuple_known = 1;
	} else {
		__u32 pp = BPF_CORE_READ(t, __tw_common.skc_portpair);

		w.t.family = BPF_CORE_READ(t, __tw_common.skc_family) == AF_INET ? 4 : 6;
		w.t.dport = bpf_ntohs((__u16)pp);
		w.t.sport = pp >> 16;
	}
	if (!net_passes(&w.t))
		return 0;
	w.start_ns = now;
	w.start_known = TW_START_KNOWN;
	w.substate = BPF_CORE_READ(t, tw_substate) == TCP_FIN_WAIT2 ? TD_FIN_WAIT2 : TD_TIME_WAIT;
	/* An entry at this address is a sock killed early whose end is still
	 * pending on another CPU: report it before its memory's new tenant. */
	if (found)
		flush_stale(tw);
	if (bpf_map_update_elem(&tw_socks, &tw, &w, BPF_ANY)) {
		count(TD_CNT_MINI_FULL);
		return 0;
	}
	s->tw_handoff = tw;
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
	s->tw_pending.tw_end = td_net_dying(BPF_CORE_READ(t, __tw_common.skc_net.net)) ?
		TD_TW_NETNS : TD_TW_KILLED;
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

/* ---- request socks ----------------------------------------------------- */

static __always_inline __u64 req_of(const struct timer_list *timer)
{
	return (__u64)timer - bpf_core_field_offset(struct request_sock, rsk_timer);
}

/* A request sock died without a child: report SYN_RECV -> CLOSE. Its tuple
 * and listener were read while it was alive. */
static __always_inline void req_end(__u64 req, const struct td_tuple *t, __u64 listener, __u64 now,
				    __u8 outcome)
{
	struct td_req *found = bpf_map_lookup_elem(&req_socks, &req);
	struct owner *o;
	struct td_event *e;
	__u64 syn_ns, cgid;

	if (!found)
		return;
	syn_ns = found->syn_ns;
	if (bpf_map_delete_elem(&req_socks, &req))
		return;
	o = bpf_map_lookup_elem(&listeners, &listener);
	cgid = o ? o->cgroup_id : td_sock_cgroup_id((struct sock *)listener);
	if (!owner_passes(o != NULL, o ? o->tgid : 0) || !tuple_passes(t, cgid, true))
		return;
	e = reserve(now, TD_SYN_RECV, TD_CLOSE, now - syn_ns, TD_F_DWELL_KNOWN | TD_F_MINI, TD_TW_NONE, outcome);
	if (!e)
		return;
	fill_tuple(e, t);
	fill_owner(e, o != NULL, o ? o->tgid : 0, o ? o->comm : NULL);
	e->skaddr = 0;
	e->cgroup_id = cgid;
	submit(e);
}

static __always_inline int req_timer_start(const struct timer_list *timer)
{
	__u64 req = req_of(timer);
	struct request_sock *r = (void *)req;
	struct td_req v = {}, *found;
	struct td_scratch *s;

	/* A SYN arrived: reqsk_queue_hash_req arms the timer. Filters that need
	 * the tuple read it; everything else waits for the rare end without a
	 * child. */
	if (filt.family || ports_filtered() || addr_filtered()) {
		struct td_tuple t;

		read_tuple(&r->__req_common, 0, &t);
		if (!net_passes(&t))
			return 0;
	}
	v.syn_ns = bpf_ktime_get_ns();
	if (!bpf_map_update_elem(&req_socks, &req, &v, BPF_NOEXIST))
		return 0;
	/* Already there: reqsk_timer_handler re-arms after a SYN-ACK
	 * retransmit. */
	found = bpf_map_lookup_elem(&req_socks, &req);
	if (!found) {
		count(TD_CNT_MINI_FULL);
		return 0;
	}
	found->retrans++;
	s = cpu_scratch();
	if (s && s->req.timer == (__u64)timer)
		s->req.rearmed = 1;
	return 0;
}

static __always_inline int req_timer_cancel(const struct timer_list *timer)
{
	__u64 req = req_of(timer), listener;
	struct request_sock *r = (void *)req;
	struct td_scratch *s;
	struct td_req *found;
	struct td_tuple t;

	/* inet_csk_reqsk_queue_drop unlinks the request before deleting its
	 * timer; an expiry detaches it while still hashed. */
	if (BPF_CORE_READ(r, __req_common.skc_nulls_node.pprev))
		return 0;
	found = bpf_map_lookup_elem(&req_socks, &req);
	if (!found)
		return 0;
	s = cpu_scratch();
	if (s && s->hs.child && s->hs.ports == BPF_CORE_READ(r, __req_common.skc_portpair)) {
		/* The final ACK: the child this CPU just created is its. */
		s->hs.syn_ns = found->syn_ns;
		bpf_map_delete_elem(&req_socks, &req);
		return 0;
	}
	read_tuple(&r->__req_common, 0, &t);
	listener = (__u64)BPF_CORE_READ(r, __req_common.skc_listener);
	req_end(req, &t, listener, bpf_ktime_get_ns(), TD_HS_DROPPED);
	return 0;
}

static __always_inline int req_timer_expire(const struct timer_list *timer)
{
	struct request_sock *req = (void *)req_of(timer);
	struct td_scratch *s = cpu_scratch();
	struct sock *listener;

	if (!s)
		return 0;
	s->req.timer = (__u64)timer;
	s->req.rearmed = 0;
	listener = BPF_CORE_READ(req, __req_common.skc_listener);
	s->req.listener = (__u64)listener;
	s->req.listener_gone = BPF_CORE_READ(listener, __sk_common.skc_state) != TCP_LISTEN;
	read_tuple(&req->__req_common, 0, &s->req.t);
	return 0;
}

SEC("tp_btf/timer_start")
int BPF_PROG(handle_timer_start, struct timer_list *timer)
{
	__u64 fn = (__u64)timer->function; /* the filter: one load, two compares */

	if (fn == tw_timer_fn)
		return tw_timer_start(timer);
	if (fn == reqsk_timer_fn)
		return req_timer_start(timer);
	return 0;
}

SEC("tp_btf/timer_cancel")
int BPF_PROG(handle_timer_cancel, struct timer_list *timer)
{
	__u64 fn = (__u64)timer->function;

	if (fn == tw_timer_fn)
		return tw_timer_cancel(timer);
	if (fn == reqsk_timer_fn)
		return req_timer_cancel(timer);
	return 0;
}

SEC("tp_btf/timer_expire_entry")
int BPF_PROG(handle_timer_expire_entry, struct timer_list *timer)
{
	__u64 fn = (__u64)timer->function;

	if (fn == tw_timer_fn)
		return tw_timer_expire(timer);
	if (fn == reqsk_timer_fn)
		return req_timer_expire(timer);
	return 0;
}

SEC("tp_btf/timer_expire_exit")
int BPF_PROG(handle_timer_expire_exit, struct timer_list *timer)
{
	struct td_scratch *s;

	/* The request sock may be freed by now: compare addresses only. */
	if ((__u64)timer->function != reqsk_timer_fn)
		return 0;
	s = cpu_scratch();
	if (!s || s->req.timer != (__u64)timer)
		return 0;
	s->req.timer = 0;
	if (!s->req.rearmed)
		req_end(req_of(timer), &s->req.t, s->req.listener, bpf_ktime_get_ns(),
			s->req.listener_gone ? TD_HS_DROPPED : TD_HS_EXPIRED);
	return 0;
}

/* ---- full sockets -------------------------------------------------------- */

/* tcp_time_wait() arms the new timewait sock's timer just before tcp_done()
 * moves the full socket to CLOSE, on this CPU: the pair is one move into
 * TIME_WAIT (or into an orphaned FIN_WAIT2 held by the timewait sock). */
static __always_inline struct td_tw *tw_handoff(const struct sock *sk, __u16 family, __u16 lport, __u16 rport)
{
	struct td_scratch *s = cpu_scratch();
	struct td_tw *w;
	__u64 tw;

	if (!s || !s->tw_handoff)
		return NULL;
	tw = s->tw_handoff;
	s->tw_handoff = 0;
	w = bpf_map_lookup_elem(&tw_socks, &tw);
	if (!w || w->t.family != (family == AF_INET ? 4 : 6) || w->t.sport != lport || w->t.dport != rport)
		return NULL;
	if (!w->tuple_known) {
		sk_tuple(sk, family, lport, rport, &w->t);
		w->tuple_known = 1;
	}
	return w;
}

SEC("tp_btf/inet_sock_set_state")
int BPF_PROG(handle_set_state, const struct sock *sk, const int oldstate, const int newstate)
{
	enum port_verdict ports = PORTS_MATCH;
	struct td_tw *tw = NULL;
	struct sk_info *info;
	struct td_event *e;
	__u16 family, lport, rport;
	__u64 now, cgid, dwell = 0;
	__u8 evflags = 0, hs_outcome = TD_HS_NONE;
	int reported = newstate;

	/* The tracepoint also fires for SCTP and others (inet_sk_set_state),
	 * and for a state set to itself (tcp_close_state() on FIN_WAIT1), which
	 * is no transition and must not restart the dwell. */
	if (sk->sk_protocol != IPPROTO_TCP || oldstate == newstate)
		return 0;
	family = sk->__sk_common.skc_family;
	if (family != AF_INET && family != AF_INET6)
		return 0;
	if (filt.family && td_family(family) != filt.family)
		return 0;

	/* The local port is skc_num, a plain load, except on the way to CLOSE:
	 * inet_put_port() has cleared it by then, so read inet_sport, as the
	 * tracepoint itself does. (Both are 0 at CLOSE->SYN_SENT.) */
	if (newstate == TCP_CLOSE)
		lport = bpf_ntohs(BPF_CORE_READ((struct inet_sock *)sk, inet_sport));
	else
		lport = sk->__sk_common.skc_num;
	rport = bpf_ntohs(sk->__sk_common.skc_dport);
	if (timers_on && newstate == TCP_CLOSE &&
	    (oldstate == TCP_FIN_WAIT2 || oldstate == TCP_FIN_WAIT1 || oldstate == TCP_CLOSING))
		tw = tw_handoff(sk, family, lport, rport);
	if (ports_filtered()) {
		ports = ports_match(lport, rport);
		if (ports == PORTS_NEVER)
			return 0;
	}
	/* --kernel-agg keeps no cgroup id unless it filters on one. */
	cgid = (filt.cgroup_id || !kernel_agg) ? td_sock_cgroup_id_btf(sk) : 0;
	if (filt.cgroup_id && cgid != filt.cgroup_id)
		return 0;
	if (addr_filtered()) {
		struct td_tuple t;

		sk_tuple(sk, family, lport, rport, &t);
		if (!addrs_pass(t.family, t.saddr, t.daddr))
			return 0;
	}

	now = bpf_ktime_get_ns();
	info = bpf_sk_storage_get(&sk_infos, (void *)sk, 0, BPF_SK_STORAGE_GET_F_CREATE);
	if (!info) {
		count(TD_CNT_NO_STORAGE);
	} else {
		if (oldstate == TCP_LISTEN && newstate == TCP_SYN_RECV) {
			/* A child: its storage is the listener's clone, and it was
			 * never in LISTEN. Its SYN_RECV began at the SYN, when its
			 * request sock was created; the request's timer cancel,
			 * next on this CPU, hands that time over (td_handshake).
			 * Without it the handshake time is unknown: microseconds
			 * of child life are not it. */
			info->entered_ns = 0;
			info->at_least = 0;
			if (timers_on) {
				struct td_scratch *s = cpu_scratch();

				if (s) {
					s->hs.child = (__u64)sk;
					s->hs.syn_ns = 0;
					s->hs.ports = sk->__sk_common.skc_portpair;
				}
			}
		} else {
			if (oldstate == TCP_SYN_RECV && timers_on) {
				struct td_scratch *s = cpu_scratch();

				if (s && s->hs.child == (__u64)sk) {
					if (s->hs.syn_ns) {
						info->entered_ns = s->hs.syn_ns;
						hs_outcome = TD_HS_ESTABLISHED;
					}
					s->hs.child = 0;
				}
			}
			if (info->entered_ns && info->at_least) {
				/* Seeded at start: a lower bound, kept out of the
				 * histograms. */
				dwell = now - info->entered_ns;
				evflags |= TD_F_AT_LEAST;
			} else if (info->entered_ns) {
				dwell = now - info->entered_ns;
				evflags |= TD_F_DWELL_KNOWN;
			}
			info->at_least = 0;
			info->entered_ns = now;
		}
		/* --kernel-agg needs owners only to filter on one. */
		if ((!kernel_agg || filt.tgid) && owner_is_current(oldstate, newstate)) {
			info->tgid = bpf_get_current_pid_tgid() >> 32;
			bpf_get_current_comm(info->comm, sizeof(info->comm));
			info->owner_known = 1;
		}
		if (info->owner_known)
			evflags |= TD_F_PID_KNOWN;
		if (timers_on && newstate == TCP_LISTEN && info->owner_known) {
			struct owner o = { .tgid = info->tgid, .cgroup_id = cgid };
			__u64 key = (__u64)sk;

			__builtin_memcpy(o.comm, info->comm, sizeof(o.comm));
			bpf_map_update_elem(&listeners, &key, &o, BPF_ANY);
		} else if (timers_on && oldstate == TCP_LISTEN && newstate == TCP_CLOSE) {
			__u64 key = (__u64)sk;

			bpf_map_delete_elem(&listeners, &key);
		}
	}

	if (tw) {
		/* The timewait sock carries the owner and the cgroup on. */
		tw->cgroup_id = cgid;
		if (info && info->owner_known) {
			tw->pid = info->tgid;
			tw->owner_known = 1;
			__builtin_memcpy(tw->comm, info->comm, sizeof(tw->comm));
		}
		if (tw->substate == TD_FIN_WAIT2) {
			/* Orphaned: FIN_WAIT2 goes on in the timewait sock. */
			if (oldstate == TCP_FIN_WAIT2 && (evflags & TD_F_DWELL_KNOWN))
				tw->start_ns = now - dwell;
			else
				tw->start_known = oldstate != TCP_FIN_WAIT2;
			return 0;
		}
		tw->start_ns = now;
		reported = TD_TIME_WAIT;
	}

	if (ports == PORTS_NOT_YET)
		return 0;
	if (!owner_passes(evflags & TD_F_PID_KNOWN, info ? info->tgid : 0))
		return 0;

	e = reserve(now, oldstate, reported, dwell, evflags, TD_TW_NONE, hs_outcome);
	if (!e)
		return 0;
	e->family = family == AF_INET ? 4 : 6;
	e->sport = lport;
	e->dport = rport;
	e->skaddr = (__u64)sk;
	e->cgroup_id = cgid;
	e->netns = sk->__sk_common.skc_net.net->ns.inum;
	fill_owner(e, info && (evflags & TD_F_PID_KNOWN), info ? info->tgid : 0, info ? info->comm : NULL);
	if (family == AF_INET) {
		__builtin_memset(e->saddr, 0, sizeof(e->saddr));
		__builtin_memset(e->daddr, 0, sizeof(e->daddr));
		*(__u32 *)e->saddr = sk->__sk_common.skc_rcv_saddr;
		*(__u32 *)e->daddr = sk->__sk_common.skc_daddr;
	} else {
		__builtin_memcpy(e->saddr, &sk->__sk_common.skc_v6_rcv_saddr, sizeof(e->saddr));
		__builtin_memcpy(e->daddr, &sk->__sk_common.skc_v6_daddr, sizeof(e->daddr));
	}
	submit(e);
	return 0;
}

/* ---- census ---------------------------------------------------------------- */

/* Walks the TCP sockets of the reader's network namespace (full, timewait
 * and request socks, as ss does) and counts them per state; it also settles
 * orphaned FIN_WAIT2s whose peer's FIN came unseen. */
SEC("iter/tcp")
int census_tcp(struct bpf_iter__tcp *ctx)
{
	struct sock_common *skc = ctx->sk_common;
	struct tcp_timewait_sock *tw;
	__u16 family;
	int state;

	if (!skc)
		return 0;
	family = skc->skc_family;
	if (family != AF_INET && family != AF_INET6)
		return 0;
	if (filt.family && td_family(family) != filt.family)
		return 0;
	if (ports_filtered() && ports_match(skc->skc_num, bpf_ntohs(skc->skc_dport)) != PORTS_MATCH)
		return 0;
	if (filt.laddr.family || filt.raddr.family) {
		struct td_tuple t;

		read_tuple(skc, 0, &t);
		if (!addrs_pass(t.family, t.saddr, t.daddr))
			return 0;
	}
	state = skc->skc_state;
	if (state == TCP_TIME_WAIT) {
		tw = bpf_skc_to_tcp_timewait_sock(skc);
		if (!tw)
			return 0;
		if (tw->tw_sk.tw_substate == TCP_FIN_WAIT2) {
			census[TD_FIN_WAIT2]++;
			census[TD_CENSUS_ORPHANS]++;
		} else {
			census[TD_TIME_WAIT]++;
		}
		if (timers_on)
			tw_settle((__u64)tw, bpf_ktime_get_ns());
		return 0;
	}
	if (state > 0 && state < TD_MAX_STATES) {
		__u32 idx = state;

		/* Hide the range from the compiler so that the mask stays for
		 * the verifier. */
		asm volatile("" : "+r"(idx));
		census[idx & 15]++;
	}
	return 0;
}

/* ---- snapshot ----------------------------------------------------------- */

/* Writes one td_snap per live socket of the reader's namespace, with the
 * time it entered its state as the tracer's maps know it (shared through
 * bpffs pins). */
SEC("iter/tcp")
int snapshot_tcp(struct bpf_iter__tcp *ctx)
{
	struct sock_common *skc = ctx->sk_common;
	struct td_snap r = {};
	struct td_tuple t;
	__u64 key;
	int state;

	if (!skc)
		return 0;
	if (skc->skc_family != AF_INET && skc->skc_family != AF_INET6)
		return 0;
	read_tuple(skc, 0, &t);
	if (!net_passes(&t))
		return 0;
	key = (__u64)skc;
	state = skc->skc_state;
	r.type = TD_REC_SNAPSHOT;
	r.family = t.family;
	r.sport = t.sport;
	r.dport = t.dport;
	r.uid = ctx->uid;
	__builtin_memcpy(r.saddr, t.saddr, sizeof(r.saddr));
	__builtin_memcpy(r.daddr, t.daddr, sizeof(r.daddr));

	if (state == TCP_TIME_WAIT) {
		struct tcp_timewait_sock *tw = bpf_skc_to_tcp_timewait_sock(skc);
		struct td_tw *w = bpf_map_lookup_elem(&tw_socks, &key);

		if (!tw)
			return 0;
		r.state = tw->tw_sk.tw_substate == TCP_FIN_WAIT2 ? TD_FIN_WAIT2 : TD_TIME_WAIT;
		r.flags |= TD_F_MINI | (r.state == TD_FIN_WAIT2 ? TD_F_ORPHAN : 0);
		if (w) {
			if (w->start_known) {
				r.since_ns = w->start_ns;
				r.flags |= tw_dwell_flag(w->start_known);
			}
			if (w->owner_known) {
				r.pid = w->pid;
				r.flags |= TD_F_PID_KNOWN;
				__builtin_memcpy(r.comm, w->comm, sizeof(r.comm));
			}
		}
	} else if (state == TCP_NEW_SYN_RECV) {
		struct td_req *q = bpf_map_lookup_elem(&req_socks, &key);

		r.state = TD_SYN_RECV;
		r.flags |= TD_F_MINI;
		if (q) {
			r.since_ns = q->syn_ns;
			r.flags |= TD_F_DWELL_KNOWN;
		}
	} else {
		struct tcp_sock *tp = bpf_skc_to_tcp_sock(skc);
		struct sk_info *info;
		struct socket *so;

		if (!tp)
			return 0;
		r.state = state;
		info = bpf_sk_storage_get(&sk_infos, tp, 0, 0);
		if (info && info->entered_ns) {
			r.since_ns = info->entered_ns;
			r.flags |= info->at_least ? TD_F_AT_LEAST : TD_F_DWELL_KNOWN;
		}
		if (info && info->owner_known) {
			r.pid = info->tgid;
			r.flags |= TD_F_PID_KNOWN;
			__builtin_memcpy(r.comm, info->comm, sizeof(r.comm));
		}
		so = tp->inet_conn.icsk_inet.sk.sk_socket;
		if (so)
			r.ino = BPF_CORE_READ((struct socket_alloc *)so, vfs_inode.i_ino);
	}
	bpf_seq_write(ctx->meta->seq, &r, sizeof(r));
	return 0;
}

/* ---- seeding ------------------------------------------------------------ */

/* Run once by a starting tracer: the sockets that exist now and that it has
 * never seen are in their state "since at least" now, which beats unknown
 * forever. Request socks are left alone: they live for moments. */
SEC("iter/tcp")
int seed_tcp(struct bpf_iter__tcp *ctx)
{
	struct sock_common *skc = ctx->sk_common;
	__u64 now = bpf_ktime_get_ns();
	struct td_tuple t;
	__u64 key;

	if (!skc || !td_family(skc->skc_family))
		return 0;
	read_tuple(skc, 0, &t);
	if (!net_passes(&t))
		return 0;
	key = (__u64)skc;
	if (skc->skc_state == TCP_TIME_WAIT) {
		struct tcp_timewait_sock *tw = bpf_skc_to_tcp_timewait_sock(skc);
		struct td_tw nw = { .t = t, .start_ns = now, .tuple_known = 1,
				    .start_known = TW_START_AT_LEAST };

		if (!tw || !timers_on)
			return 0;
		nw.substate = tw->tw_sk.tw_substate == TCP_FIN_WAIT2 ? TD_FIN_WAIT2 : TD_TIME_WAIT;
		bpf_map_update_elem(&tw_socks, &key, &nw, BPF_NOEXIST);
	} else if (skc->skc_state != TCP_NEW_SYN_RECV) {
		struct tcp_sock *tp = bpf_skc_to_tcp_sock(skc);
		struct sk_info *info;

		if (!tp)
			return 0;
		info = bpf_sk_storage_get(&sk_infos, tp, 0, BPF_SK_STORAGE_GET_F_CREATE);
		/* A fresh storage is zeroed: the tracer has not seen it. */
		if (info && !info->entered_ns) {
			info->entered_ns = now;
			info->at_least = 1;
		}
	}
	return 0;
}
