/* The iterators over live TCP sockets (iter/tcp walks the full, timewait and
 * request socks of the reader's network namespace, as ss does): the census
 * of sockets per state, the snapshot records, and the seeding of a starting
 * tracer's maps. */
#ifndef TD_ITER_BPF_H
#define TD_ITER_BPF_H

#include "common.bpf.h"
#include "filter.bpf.h"
#include "fullsk.bpf.h"
#include "timewait.bpf.h"
#include "reqsk.bpf.h"

/* The census that userspace reads after running census_tcp. */
__u64 census[16]; /* TD_CENSUS_MAX used; a power of two for the verifier */
/* Set by userspace while orphaned FIN_WAIT2s may wait to be settled: only
 * then does the census look up each timewait sock in tw_socks. */
bool settle_on;

/* Socket inode -> holder, filled by a starting tracer just before seed_tcp
 * runs: by seed_owners (the kernel's walk of open files), or from /proc
 * where the kernel cannot walk them (user/holders_iter.c); emptied after.
 * Entries are allocated as they come; the snapshot sizes it to one. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__uint(max_entries, TD_SEED_HOLDERS_MAX);
	__type(key, __u64);
	__type(value, struct td_seed_holder);
} seed_holders SEC(".maps");

/* The inode of a full socket's file (0: none), which names it in
 * /proc/PID/fd as socket:[INODE]. */
static __always_inline __u64 sock_ino(const struct sock *sk)
{
	struct socket *so = sk->sk_socket;

	return so ? BPF_CORE_READ((struct socket_alloc *)so, vfs_inode.i_ino) : 0;
}

/* Who an iterator's socket belongs to, for -p and -c (filter_owner and
 * filter_cgroup judge it):
 * - a full socket: the owner in its storage, and its cgroup;
 * - a timewait sock: owner and cgroup as its handoff left them in tw_socks,
 *   which only -T keeps: without -T, -p and -c count no TIME_WAIT;
 * - a request sock: its listener's owner from the listeners map (kept with
 *   -T; without it the owner is unknown and -p counts none), and its
 *   listener's cgroup. */
struct iter_who {
	__u64 cgid;
	__u32 tgid;
	bool known;
	bool cgid_known;
};

static __always_inline void who_full(struct sock_common *skc, struct iter_who *w)
{
	struct tcp_sock *tp = bpf_skc_to_tcp_sock(skc);
	struct sk_info *info;

	if (!tp)
		return;
	info = bpf_sk_storage_get(&sk_infos, tp, 0, 0);
	w->known = info && info->owner_known;
	w->tgid = info ? info->tgid : 0;
	w->cgid = td_sock_cgroup_id_btf((struct sock *)tp);
	w->cgid_known = true;
}

static __always_inline void who_timewait(struct sock_common *skc, struct iter_who *w)
{
	__u64 key = (__u64)skc;
	struct td_tw *tw = bpf_map_lookup_elem(&tw_socks, &key);

	if (!tw)
		return;
	w->known = tw->owner_known;
	w->tgid = tw->pid;
	w->cgid = tw->cgroup_id;
	w->cgid_known = tw->cgroup_id != 0;
}

static __always_inline void who_request(struct sock_common *skc, struct iter_who *w)
{
	/* rsk_listener is #define'd to __req_common.skc_listener. */
	struct sock *listener = skc->skc_listener;
	__u64 key = (__u64)listener;
	struct owner *o;

	if (!listener)
		return;
	o = bpf_map_lookup_elem(&listeners, &key);
	w->known = o != NULL;
	w->tgid = o ? o->tgid : 0;
	w->cgid = td_sock_cgroup_id(listener); /* probe reads: key made it a scalar */
	w->cgid_known = true;
}

/* -p and -c on an iterator's socket; true at no cost when both are off
 * (filt is read-only data: the verifier prunes the rest). */
static __always_inline bool iter_who_passes(struct sock_common *skc)
{
	struct iter_who w = {};

	if (!filt.tgid && !filt.cgroup_id)
		return true;
	if (skc->skc_state == TCP_TIME_WAIT)
		who_timewait(skc, &w);
	else if (skc->skc_state == TCP_NEW_SYN_RECV)
		who_request(skc, &w);
	else
		who_full(skc, &w);
	return filter_owner(w.known, w.tgid) && filter_cgroup(w.cgid, w.cgid_known);
}

/* The tuple a census filters on, with plain loads (through an iterator's
 * socket, or one census_walk casts): family, ports, netns and, when
 * filtered on, addresses. False for a family no census counts. */
static __always_inline bool census_tuple(struct sock_common *skc, struct td_tuple *t)
{
	t->family = skc_family_btf(skc);
	if (!t->family)
		return false;
	t->sport = skc->skc_num;
	t->dport = bpf_ntohs(skc->skc_dport);
	t->netns = skc->skc_net.net->ns.inum;
	if (!filter_addrs_on())
		return true;
	if (t->family == 4) {
		*(__u32 *)t->saddr = skc->skc_rcv_saddr;
		*(__u32 *)t->daddr = skc->skc_daddr;
	} else {
		__builtin_memcpy(t->saddr, &skc->skc_v6_rcv_saddr, sizeof(t->saddr));
		__builtin_memcpy(t->daddr, &skc->skc_v6_daddr, sizeof(t->daddr));
	}
	return true;
}

/* Every filter but -s (the census counts every state): the tuple's, then
 * owner and cgroup. */
static __always_inline bool iter_passes(struct sock_common *skc)
{
	struct td_tuple t = {};

	return census_tuple(skc, &t) && filter_tuple(&t) && iter_who_passes(skc);
}

/* A listener's record: its drops and its accept queue. */
static __always_inline void census_listener(struct seq_file *seq, struct sock_common *skc)
{
	struct tcp_sock *tp = bpf_skc_to_tcp_sock(skc);
	struct td_listener r = {};
	struct sock *sk;

	if (!tp)
		return;
	sk = &tp->inet_conn.icsk_inet.sk;
	r.type = TD_REC_LISTENER;
	r.family = td_family(skc->skc_family);
	r.port = skc->skc_num;
	r.netns = skc->skc_net.net->ns.inum;
	/* Only UDP and raw sockets embed per-node drop counters (v6.18,
	 * sk_drop_counters); a TCP listener counts its drops in sk_drops. */
	r.drops = sk->sk_drops.counter;
	r.backlog = sk->sk_ack_backlog;
	r.max_backlog = sk->sk_max_ack_backlog;
	r.skaddr = (__u64)skc;
	if (r.family == 4)
		*(__u32 *)r.addr = skc->skc_rcv_saddr;
	else
		__builtin_memcpy(r.addr, &skc->skc_v6_rcv_saddr, sizeof(r.addr));
	bpf_seq_write(seq, &r, sizeof(r));
}

/* Counts one socket under its state; a timewait sock under its substate
 * (an orphaned FIN_WAIT2 also under TD_CENSUS_ORPHANS), and settles an
 * orphan whose peer's FIN came unseen. A listener also gets its record. */
static __always_inline void census_count(struct seq_file *seq, struct sock_common *skc)
{
	int state = skc->skc_state;
	__u32 idx = state;

	if (state == TCP_TIME_WAIT) {
		struct tcp_timewait_sock *tw = bpf_skc_to_tcp_timewait_sock(skc);

		if (!tw)
			return;
		if (tw->tw_sk.tw_substate == TCP_FIN_WAIT2) {
			census[TD_FIN_WAIT2]++;
			census[TD_CENSUS_ORPHANS]++;
		} else {
			census[TD_TIME_WAIT]++;
		}
		if (timers_on && settle_on)
			tw_settle((__u64)tw, bpf_ktime_get_ns());
		return;
	}
	if (state <= 0 || state >= TD_MAX_STATES)
		return;
	if (state == TCP_LISTEN)
		census_listener(seq, skc);
	/* Hide the range from the compiler so that the mask stays for the
	 * verifier. */
	asm volatile("" : "+r"(idx));
	census[idx & 15]++;
}

/* A timewait sock's record: its substate, and its start and owner as the
 * tracer's map knows them. */
static __always_inline bool snap_timewait(struct td_snap *r, struct sock_common *skc)
{
	struct tcp_timewait_sock *tw = bpf_skc_to_tcp_timewait_sock(skc);
	__u64 key = (__u64)skc;
	struct td_tw *w;

	if (!tw)
		return false;
	r->state = tw->tw_sk.tw_substate == TCP_FIN_WAIT2 ? TD_FIN_WAIT2 : TD_TIME_WAIT;
	r->flags |= TD_F_MINI | (r->state == TD_FIN_WAIT2 ? TD_F_ORPHAN : 0);
	w = bpf_map_lookup_elem(&tw_socks, &key);
	if (!w)
		return true;
	if (w->start_known) {
		r->since_ns = w->start_ns;
		r->flags |= tw_dwell_flag(w->start_known);
	}
	r->cgroup_id = w->cgroup_id;
	if (w->owner_known) {
		r->pid = w->pid;
		r->flags |= TD_F_PID_KNOWN;
		__builtin_memcpy(r->comm, w->comm, sizeof(r->comm));
	}
	return true;
}

/* A request sock's record: its SYN's time is its own (reqsk.bpf.h), so it
 * is known with or without a tracer running. */
static __always_inline void snap_request(struct td_snap *r, struct sock_common *skc)
{
	r->state = TD_SYN_RECV;
	r->flags |= TD_F_MINI;
	if (skc->skc_listener)
		r->cgroup_id = td_sock_cgroup_id(skc->skc_listener);
	/* The caller checked the state: no bpf_skc_to_tcp_request_sock, which
	 * knows IPv6's request socks only when IPv6 is built in. */
	r->since_ns = req_syn_ns((__u64)skc);
	if (r->since_ns)
		r->flags |= TD_F_DWELL_KNOWN;
}

static __always_inline bool snap_full(struct td_snap *r, struct sock_common *skc)
{
	struct tcp_sock *tp = bpf_skc_to_tcp_sock(skc);
	struct sk_info *info;

	if (!tp)
		return false;
	r->state = skc->skc_state;
	info = bpf_sk_storage_get(&sk_infos, tp, 0, 0);
	if (info && info->entered_ns) {
		r->since_ns = info->entered_ns;
		r->flags |= info->at_least ? TD_F_AT_LEAST : TD_F_DWELL_KNOWN;
	}
	if (info && info->owner_known) {
		r->pid = info->tgid;
		r->flags |= TD_F_PID_KNOWN;
		__builtin_memcpy(r->comm, info->comm, sizeof(r->comm));
	}
	r->ino = sock_ino((struct sock *)tp);
	r->cgroup_id = td_sock_cgroup_id_btf((struct sock *)tp);
	return true;
}

/* One td_snap for a live socket that passes the filters; false: none. */
static __always_inline bool snap_fill(struct td_snap *r, struct sock_common *skc, __u32 uid)
{
	struct td_tuple t;
	int state = skc->skc_state;

	read_tuple(skc, &t);
	if (!t.family || !filter_tuple(&t))
		return false;
	r->type = TD_REC_SNAPSHOT;
	r->family = t.family;
	r->sport = t.sport;
	r->dport = t.dport;
	r->uid = uid;
	r->netns = t.netns;
	__builtin_memcpy(r->saddr, t.saddr, sizeof(r->saddr));
	__builtin_memcpy(r->daddr, t.daddr, sizeof(r->daddr));
	if (state == TCP_TIME_WAIT)
		return snap_timewait(r, skc);
	if (state == TCP_NEW_SYN_RECV) {
		snap_request(r, skc);
		return true;
	}
	return snap_full(r, skc);
}

/* A seeded socket's owner: the process that holds its file now, when the
 * tracer has not seen one. */
static __always_inline void seed_owner(struct tcp_sock *tp, struct sk_info *info)
{
	__u64 ino = sock_ino((struct sock *)tp);
	struct td_seed_holder *h;

	if (info->owner_known || !ino)
		return;
	h = bpf_map_lookup_elem(&seed_holders, &ino);
	if (!h)
		return;
	info->tgid = h->pid;
	__builtin_memcpy(info->comm, h->comm, sizeof(info->comm));
	info->owner_known = 1;
}

/* A socket a starting tracer has never seen is in its state "since at
 * least" now, which beats unknown forever. Request socks are left alone:
 * they live for moments. */
static __always_inline void seed_one(struct sock_common *skc)
{
	__u64 now = bpf_ktime_get_ns(), key = (__u64)skc;
	struct td_tuple t;

	read_tuple(skc, &t);
	if (!t.family || !filter_tuple(&t))
		return;
	if (skc->skc_state == TCP_TIME_WAIT) {
		struct td_tw w = { .t = t, .start_ns = now, .tuple_known = 1, .start_known = TW_START_AT_LEAST };
		struct tcp_timewait_sock *tw = bpf_skc_to_tcp_timewait_sock(skc);

		if (!tw || !timers_on)
			return;
		w.substate = tw->tw_sk.tw_substate == TCP_FIN_WAIT2 ? TD_FIN_WAIT2 : TD_TIME_WAIT;
		bpf_map_update_elem(&tw_socks, &key, &w, BPF_NOEXIST);
	} else if (skc->skc_state != TCP_NEW_SYN_RECV) {
		struct tcp_sock *tp = bpf_skc_to_tcp_sock(skc);
		struct sk_info *info = tp ? bpf_sk_storage_get(&sk_infos, tp, 0, BPF_SK_STORAGE_GET_F_CREATE) : NULL;

		/* A fresh storage is zeroed: the tracer has not seen it. */
		if (info && !info->entered_ns) {
			info->entered_ns = now;
			info->at_least = 1;
		}
		if (info)
			seed_owner(tp, info);
	}
}

#endif /* TD_ITER_BPF_H */
