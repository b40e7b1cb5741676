/* Request socks: the server's real SYN_RECV, from the SYN to the child
 * socket (or to the request's death), followed through the request's timer
 * and handed to the child at its birth. The request sock carries what this
 * needs, so no map does: tcp_make_synack stamps the first SYN-ACK's
 * departure in tcp_rsk(req)->snt_synack (microseconds of tcp_clock_ns(),
 * CLOCK_MONOTONIC like bpf_ktime_get_ns; sent in the softirq that took the
 * SYN, microseconds after it), and inet_rtx_syn_ack counts the SYN-ACKs
 * retransmitted in num_retrans, which the child's total_retrans starts
 * from. */
#ifndef TD_REQSK_BPF_H
#define TD_REQSK_BPF_H

#include "common.bpf.h"
#include "filter.bpf.h"
#include "emit.bpf.h"
#include "fullsk.bpf.h"

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

static __always_inline __u64 req_of(const struct timer_list *timer)
{
	return (__u64)timer - bpf_core_field_offset(struct request_sock, rsk_timer);
}

/* When a request sock's SYN came (its first SYN-ACK left); 0: unknown, no
 * SYN-ACK sent. */
static __always_inline __u64 req_syn_ns(__u64 req)
{
	struct tcp_request_sock *r = (void *)req;

	return BPF_CORE_READ(r, snt_synack) * 1000;
}

static __always_inline __u8 req_retrans(__u64 req)
{
	struct request_sock *r = (void *)req;

	return BPF_CORE_READ(r, num_retrans);
}

/* A request sock died without a child: report SYN_RECV -> CLOSE. Its tuple,
 * listener, SYN time and retransmits were read while it was alive. */
static __always_inline void req_end(const struct td_tuple *t, __u64 listener, __u64 now, __u64 syn_ns,
				    __u8 retrans, __u8 outcome)
{
	struct marks m = { .flags = TD_F_MINI, .hs_outcome = outcome, .retrans = retrans };
	struct who who = {};
	struct owner *o;
	__u64 dwell = 0;

	if (syn_ns && syn_ns <= now) {
		m.flags |= TD_F_DWELL_KNOWN;
		dwell = now - syn_ns;
	}
	o = bpf_map_lookup_elem(&listeners, &listener);
	if (o) {
		who.known = true;
		who.tgid = o->tgid;
		who.comm = o->comm;
		who.cgroup_id = o->cgroup_id;
	} else {
		who.cgroup_id = td_sock_cgroup_id((struct sock *)listener);
	}
	if (!filter_owner(who.known, who.tgid) || !filter_cgroup(who.cgroup_id, true) || !filter_tuple(t))
		return;
	emit_tuple(now, TD_SYN_RECV, TD_CLOSE, dwell, &m, t, 0, &who);
}

/* A SYN arrived (reqsk_queue_hash_req arms the timer), or a request's
 * handler, running on this CPU, armed a timer: its own again (a SYN-ACK
 * retransmit), or its clone's, when it migrated the request to another
 * listener (inet_reqsk_clone: the clone goes on with its SYN time). Either
 * way the request lives on. The request sock keeps the rest. */
static __always_inline int req_timer_start(const struct timer_list *timer)
{
	struct td_scratch *s = cpu_scratch();

	if (s && s->req.timer)
		s->req.rearmed = 1;
	return 0;
}

static __always_inline int req_timer_cancel(const struct timer_list *timer)
{
	__u64 req = req_of(timer), listener;
	struct request_sock *r = (void *)req;
	struct td_scratch *s;
	struct td_tuple t;

	/* inet_csk_reqsk_queue_drop unlinks the request before deleting its
	 * timer; an expiry detaches it while still hashed. */
	if (BPF_CORE_READ(r, __req_common.skc_nulls_node.pprev))
		return 0;
	s = cpu_scratch();
	if (s && s->hs.child && s->hs.ports == BPF_CORE_READ(r, __req_common.skc_portpair)) {
		/* The final ACK: the child this CPU just created is its. */
		s->hs.syn_ns = req_syn_ns(req);
		return 0;
	}
	read_tuple(&r->__req_common, &t);
	listener = (__u64)BPF_CORE_READ(r, __req_common.skc_listener);
	req_end(&t, listener, bpf_ktime_get_ns(), req_syn_ns(req), req_retrans(req), TD_HS_DROPPED);
	return 0;
}

/* The handler runs between expire_entry and expire_exit; a re-arm inside
 * is a SYN-ACK retransmit, none is the end of the retries. */
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
	s->req.syn_ns = req_syn_ns((__u64)req);
	s->req.retrans = req_retrans((__u64)req);
	read_tuple(&req->__req_common, &s->req.t);
	return 0;
}

static __always_inline int req_timer_expired(const struct timer_list *timer)
{
	struct td_scratch *s = cpu_scratch();

	/* The request sock may be freed by now: compare addresses only. */
	if (!s || s->req.timer != (__u64)timer)
		return 0;
	s->req.timer = 0;
	if (!s->req.rearmed)
		req_end(&s->req.t, s->req.listener, bpf_ktime_get_ns(), s->req.syn_ns, s->req.retrans,
			s->req.listener_gone ? TD_HS_DROPPED : TD_HS_EXPIRED);
	return 0;
}

/* The final ACK, in one softirq on one CPU (tcp_v4_rcv, TCP_NEW_SYN_RECV):
 * the child's LISTEN->SYN_RECV, then the request's timer cancel (above),
 * then the child's SYN_RECV->ESTABLISHED, whose SYN_RECV began at the SYN. */
static __always_inline void hs_handoff(struct trans *x, struct sk_info *info)
{
	struct td_scratch *s;

	if (!fsk_is_child(x) && x->oldstate != TCP_SYN_RECV)
		return;
	s = cpu_scratch();
	if (!s)
		return;
	if (fsk_is_child(x)) {
		s->hs.child = (__u64)x->sk;
		s->hs.syn_ns = 0;
		s->hs.ports = x->sk->__sk_common.skc_portpair;
		return;
	}
	if (s->hs.child != (__u64)x->sk)
		return;
	if (s->hs.syn_ns) {
		info->entered_ns = s->hs.syn_ns < x->now ? s->hs.syn_ns : x->now;
		info->at_least = 0;
		x->m.hs_outcome = TD_HS_ESTABLISHED;
	}
	s->hs.child = 0;
}

/* A child's SYN_RECV exit: its total_retrans starts at its request sock's
 * SYN-ACK retransmits (tcp_create_openreq_child), with or without the timer
 * hooks. */
static __always_inline void synack_marks(struct trans *x)
{
	struct tcp_sock *tp;
	__u32 retrans;

	if (x->oldstate != TCP_SYN_RECV)
		return;
	tp = bpf_skc_to_tcp_sock((void *)x->sk);
	retrans = tp ? tp->total_retrans : 0;
	x->m.retrans = retrans > 255 ? 255 : retrans;
}

/* Listeners' owners, for the records of their request socks. */
static __always_inline void listener_upkeep(const struct trans *x, const struct sk_info *info)
{
	__u64 key = (__u64)x->sk;

	if (x->newstate == TCP_LISTEN && info->owner_known) {
		struct owner o = { .tgid = info->tgid, .cgroup_id = x->cgid };

		__builtin_memcpy(o.comm, info->comm, sizeof(o.comm));
		bpf_map_update_elem(&listeners, &key, &o, BPF_ANY);
	} else if (x->oldstate == TCP_LISTEN && x->newstate == TCP_CLOSE) {
		bpf_map_delete_elem(&listeners, &key);
	}
}

#endif /* TD_REQSK_BPF_H */
