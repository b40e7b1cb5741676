/* Full sockets at sock:inet_sock_set_state: what each one carries between
 * transitions (its storage: when it entered its state, its owner), and the
 * steps of one transition, from reading it to its record. */
#ifndef TD_FULLSK_BPF_H
#define TD_FULLSK_BPF_H

#include "common.bpf.h"
#include "filter.bpf.h"
#include "emit.bpf.h"

/* What a socket carries between transitions. BPF_F_CLONE copies it into a
 * listener's children (sk_clone_lock -> bpf_sk_storage_clone), which is how
 * a child that nobody has accepted yet inherits the listener's owner. */
struct sk_info {
	__u64 entered_ns; /* when the socket entered its current state; 0: unknown */
	__u32 tgid;
	__u8  owner_known;
	__u8  at_least;   /* seeded at start: entered_ns is a lower bound */
	__u8  rst_received; /* close.bpf.h: the peer reset it */
	__u8  rst_sent;     /* close.bpf.h: it sent a RST, for rst_reason */
	char  comm[TD_COMM_LEN];
	__u8  rst_reason;   /* enum td_rst_reason */
	__u8  consts_known; /* cgroup_id and netns below are read */
	__u8  _pad[2];
	__u32 netns;
	__u64 queued_ns;  /* a child: when it entered its listener's accept
			     queue (SYN_RECV -> ESTABLISHED); 0: not seen.
			     Read by accept.bpf.h. */
	__u64 cgroup_id;
};

struct {
	__uint(type, BPF_MAP_TYPE_SK_STORAGE);
	__uint(map_flags, BPF_F_NO_PREALLOC | BPF_F_CLONE);
	__type(key, int);
	__type(value, struct sk_info);
} sk_infos SEC(".maps");

/* One transition of a full socket, filled step by step. */
struct trans {
	const struct sock *sk;
	struct sk_info *info;   /* NULL: no storage (counted) */
	__u64 now;
	__u64 dwell;
	__u64 cgid;             /* with --kernel-agg only to filter on one */
	__u32 netns;            /* not with --kernel-agg */
	int   oldstate;
	int   newstate;
	int   reported;         /* newstate, or TIME_WAIT at a timewait hand-off */
	__u16 lport, rport;
	__u8  family;           /* 4 or 6 */
	enum port_verdict ports;
	struct marks m;
};

/* Reads what every filter needs. False for what is no TCP transition: the
 * tracepoint also fires for SCTP and others (inet_sk_set_state), and for a
 * state set to itself (tcp_close_state() on FIN_WAIT1), which must not
 * restart the dwell. */
static __always_inline bool fsk_read(struct trans *x, const struct sock *sk, int oldstate, int newstate)
{
	if (sk->sk_protocol != IPPROTO_TCP || oldstate == newstate)
		return false;
	x->family = skc_family_btf(&sk->__sk_common);
	if (!x->family)
		return false;
	x->sk = sk;
	x->oldstate = oldstate;
	x->newstate = newstate;
	x->reported = newstate;
	/* The local port is skc_num, a plain load, except on the way to CLOSE:
	 * inet_put_port() has cleared it by then, so read inet_sport, as the
	 * tracepoint itself does. (Both are 0 at CLOSE->SYN_SENT.) Through
	 * the tcp_sock's BTF pointer: a plain load after a helper of a few
	 * ns, where a probe read costs tens. */
	if (newstate == TCP_CLOSE) {
		struct tcp_sock *tp = bpf_skc_to_tcp_sock((void *)sk);

		x->lport = tp ? bpf_ntohs(tp->inet_conn.icsk_inet.inet_sport) : 0;
	} else {
		x->lport = sk->__sk_common.skc_num;
	}
	x->rport = bpf_ntohs(sk->__sk_common.skc_dport);
	return true;
}

/* The tuple filters, cheapest first. A port that is not known yet passes
 * for now (x->ports says so): the socket's storage must be kept. */
static __always_inline bool fsk_filter(struct trans *x)
{
	if (!filter_family(x->family))
		return false;
	x->ports = PORTS_MATCH;
	if (filter_ports_on()) {
		x->ports = filter_ports(x->lport, x->rport);
		if (x->ports == PORTS_NEVER)
			return false;
	}
	/* --kernel-agg keeps no cgroup id unless it filters on one. */
	/* Read here only to filter on it: else fsk_consts keeps it. */
	if (filt.cgroup_id)
		x->cgid = td_sock_cgroup_id_btf(x->sk);
	if (!filter_cgroup(x->cgid, true))
		return false;
	if (filter_reads_tuple()) {
		struct td_tuple t;

		sk_tuple(x->sk, x->family, x->lport, x->rport, &t);
		if (!filter_addrs(&t) || !filter_netns(t.netns))
			return false;
	}
	return true;
}

static __always_inline struct sk_info *fsk_storage(struct trans *x)
{
#ifdef TD_SKIP_CREATE /* bench knob, bpf/tcpdwell.bpf.c */
	struct sk_info *info = bpf_sk_storage_get(&sk_infos, (void *)x->sk, 0, 0);
#else
	struct sk_info *info = bpf_sk_storage_get(&sk_infos, (void *)x->sk, 0, BPF_SK_STORAGE_GET_F_CREATE);
#endif

	if (!info)
		count(TD_CNT_NO_STORAGE);
	x->info = info;
	return info;
}

/* What never changes for a socket, its cgroup and netns, read once into
 * its storage rather than through pointers (sk -> cgroup -> kernfs node,
 * sk -> net) at every transition. A child's storage is its listener's
 * clone, and so are its cgroup (sk_clone_lock -> cgroup_sk_clone) and
 * netns. info: NULL without storage. --kernel-agg needs neither. */
static __always_inline void fsk_consts(struct trans *x, struct sk_info *info)
{
	if (kernel_agg)
		return;
#ifndef TD_SKIP_CONSTS /* bench knob, bpf/tcpdwell.bpf.c */
	if (info && info->consts_known) {
		x->cgid = info->cgroup_id;
		x->netns = info->netns;
		return;
	}
#endif
#ifndef TD_SKIP_CGROUP /* bench knob, bpf/tcpdwell.bpf.c */
	if (!filt.cgroup_id)
		x->cgid = td_sock_cgroup_id_btf(x->sk);
#endif
	x->netns = x->sk->__sk_common.skc_net.net->ns.inum;
	if (info) {
		info->cgroup_id = x->cgid;
		info->netns = x->netns;
		info->consts_known = 1;
	}
}

/* A listener's child: its storage is the listener's clone, and it was
 * never in LISTEN. Its SYN_RECV began at the SYN (reqsk.bpf.h hands that
 * time over when the timer hooks run); microseconds of child life are not
 * it. */
static __always_inline bool fsk_is_child(const struct trans *x)
{
	return x->oldstate == TCP_LISTEN && x->newstate == TCP_SYN_RECV;
}

/* The dwell in the old state, and the new state's start. */
static __always_inline void fsk_dwell(struct trans *x, struct sk_info *info)
{
	if (fsk_is_child(x)) {
		info->entered_ns = 0;
		info->at_least = 0;
		return;
	}
	if (info->entered_ns) {
		x->dwell = x->now - info->entered_ns;
		/* Seeded at start: a lower bound, kept out of the histograms. */
		x->m.flags |= info->at_least ? TD_F_AT_LEAST : TD_F_DWELL_KNOWN;
	}
	info->at_least = 0;
	info->entered_ns = x->now;
	/* The one store the accept wait costs on this path. */
	if (x->oldstate == TCP_SYN_RECV && x->newstate == TCP_ESTABLISHED)
		info->queued_ns = x->now;
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

static __always_inline void fsk_owner(struct trans *x, struct sk_info *info)
{
	/* --kernel-agg needs owners only to filter on one. */
	if ((!kernel_agg || filt.tgid) && owner_is_current(x->oldstate, x->newstate)) {
		info->tgid = bpf_get_current_pid_tgid() >> 32;
		current_comm(info->comm);
		info->owner_known = 1;
	}
	if (info->owner_known)
		x->m.flags |= TD_F_PID_KNOWN;
}

/* Whether a full socket's transition is reported: not while its port is
 * unknown, nor when its owner is filtered out. */
static __always_inline bool fsk_passes(const struct trans *x)
{
	struct sk_info *info = x->info;

	if (x->ports == PORTS_NOT_YET)
		return false;
	return filter_owner(x->m.flags & TD_F_PID_KNOWN, info ? info->tgid : 0);
}

/* A record's tuple and owner from the socket. */
static __always_inline void fsk_fill(struct td_event *e, const struct trans *x)
{
	const struct sock *sk = x->sk;
	struct sk_info *info = x->info;
	bool known = x->m.flags & TD_F_PID_KNOWN;

	e->family = x->family;
	e->sport = x->lport;
	e->dport = x->rport;
	e->skaddr = (__u64)sk;
	e->cgroup_id = x->cgid;
	e->netns = x->netns;
	fill_owner(e, info && known, info ? info->tgid : 0, info ? info->comm : NULL);
	if (x->family == 4) {
		__builtin_memset(e->saddr, 0, sizeof(e->saddr));
		__builtin_memset(e->daddr, 0, sizeof(e->daddr));
		*(__u32 *)e->saddr = sk->__sk_common.skc_rcv_saddr;
		*(__u32 *)e->daddr = sk->__sk_common.skc_daddr;
	} else {
		__builtin_memcpy(e->saddr, &sk->__sk_common.skc_v6_rcv_saddr, sizeof(e->saddr));
		__builtin_memcpy(e->daddr, &sk->__sk_common.skc_v6_daddr, sizeof(e->daddr));
	}
}

/* The record of a full socket's transition. */
static __always_inline void fsk_emit(const struct trans *x)
{
	struct td_event *e;

	if (!fsk_passes(x))
		return;
	e = reserve(x->now, x->oldstate, x->reported, x->dwell, &x->m);
	if (!e)
		return;
	fsk_fill(e, x);
	submit(e);
}

#endif /* TD_FULLSK_BPF_H */
