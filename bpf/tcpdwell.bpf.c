// SPDX-License-Identifier: GPL-2.0
/* Kernel side of tcpdwell: turns each TCP state change seen by the
 * sock:inet_sock_set_state tracepoint into a td_event, with the time the
 * socket dwelt in its old state and the process that owns the socket. */
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

char LICENSE[] SEC("license") = "GPL";

/* Knobs set by userspace between open and load. */
const volatile __u16 targ_family;     /* 0: any, else AF_INET/AF_INET6 */
const volatile __u32 targ_tgid;       /* 0: any owner */
const volatile __u64 targ_cgroup_id;  /* 0: any cgroup */
const volatile bool  filter_lport, filter_rport, filter_either;
const volatile __u64 wakeup_bytes = 256 * 1024;
/* TD_PORT_* bits per port; read only when a port filter is on. */
const volatile __u8  port_filter[65536];

/* What a socket carries between transitions. BPF_F_CLONE copies it into a
 * listener's children (sk_clone_lock -> bpf_sk_storage_clone), which is how
 * a child that nobody has accepted yet inherits the listener's owner. */
struct sk_info {
	__u64 entered_ns; /* when the socket entered its current state; 0: unknown */
	__u32 tgid;
	__u32 owner_known;
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

static __always_inline void count(__u32 slot)
{
	__u64 *c = bpf_map_lookup_elem(&counters, &slot);

	if (c)
		*c += 1;
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

	if (filter_lport && !(port_filter[lport] & TD_PORT_LOCAL))
		return unknown ? PORTS_NOT_YET : PORTS_NEVER;
	if (filter_rport && !(port_filter[rport] & TD_PORT_REMOTE))
		return unknown ? PORTS_NOT_YET : PORTS_NEVER;
	if (filter_either && !(port_filter[lport] & TD_PORT_EITHER) &&
	    !(port_filter[rport] & TD_PORT_EITHER))
		return unknown ? PORTS_NOT_YET : PORTS_NEVER;
	return PORTS_MATCH;
}

SEC("tp_btf/inet_sock_set_state")
int BPF_PROG(handle_set_state, const struct sock *sk, const int oldstate, const int newstate)
{
	enum port_verdict ports = PORTS_MATCH;
	struct sk_info *info;
	struct td_event *e;
	__u16 family, lport, rport;
	__u64 now, cgid, dwell = 0, flags;
	__u8 evflags = 0;

	/* The tracepoint also fires for SCTP and others (inet_sk_set_state). */
	if (sk->sk_protocol != IPPROTO_TCP)
		return 0;
	family = sk->__sk_common.skc_family;
	if (family != AF_INET && family != AF_INET6)
		return 0;
	if (targ_family && family != targ_family)
		return 0;

	/* inet_sport, as the tracepoint itself reports it: skc_num is already
	 * cleared by inet_put_port() when a socket moves to CLOSE. */
	lport = bpf_ntohs(BPF_CORE_READ((struct inet_sock *)sk, inet_sport));
	rport = bpf_ntohs(sk->__sk_common.skc_dport);
	if (filter_lport || filter_rport || filter_either) {
		ports = ports_match(lport, rport);
		if (ports == PORTS_NEVER)
			return 0;
	}
	cgid = td_sock_cgroup_id(sk);
	if (targ_cgroup_id && cgid != targ_cgroup_id)
		return 0;

	now = bpf_ktime_get_ns();
	info = bpf_sk_storage_get(&sk_infos, (void *)sk, 0, BPF_SK_STORAGE_GET_F_CREATE);
	if (!info) {
		count(TD_CNT_NO_STORAGE);
	} else {
		/* A child's storage was cloned from the listener, so its
		 * entered_ns is the listener's: the child was never in LISTEN. */
		if (info->entered_ns && !(oldstate == TCP_LISTEN && newstate == TCP_SYN_RECV)) {
			dwell = now - info->entered_ns;
			evflags |= TD_F_DWELL_KNOWN;
		}
		info->entered_ns = now;
		if (owner_is_current(oldstate, newstate)) {
			info->tgid = bpf_get_current_pid_tgid() >> 32;
			bpf_get_current_comm(info->comm, sizeof(info->comm));
			info->owner_known = 1;
		}
		if (info->owner_known)
			evflags |= TD_F_PID_KNOWN;
	}

	if (ports == PORTS_NOT_YET)
		return 0;
	if (targ_tgid && (!(evflags & TD_F_PID_KNOWN) || info->tgid != targ_tgid))
		return 0;

	count(TD_CNT_EVENTS);
	e = bpf_ringbuf_reserve(&events, sizeof(*e), 0);
	if (!e) {
		count(TD_CNT_RB_DROPS);
		return 0;
	}
	e->type = TD_REC_TRANSITION;
	e->family = family == AF_INET ? 4 : 6;
	e->oldstate = oldstate;
	e->newstate = newstate;
	e->flags = evflags;
	e->detail = 0;
	e->sport = lport;
	e->dport = rport;
	e->_pad0 = 0;
	e->_pad1 = 0;
	e->ts_ns = now;
	e->skaddr = (__u64)sk;
	e->dwell_ns = dwell;
	e->cgroup_id = cgid;
	e->netns = BPF_CORE_READ(sk, __sk_common.skc_net.net, ns.inum);
	if (info && (evflags & TD_F_PID_KNOWN)) {
		e->pid = info->tgid;
		__builtin_memcpy(e->comm, info->comm, sizeof(e->comm));
	} else {
		e->pid = 0;
		__builtin_memset(e->comm, 0, sizeof(e->comm));
	}
	if (family == AF_INET) {
		__builtin_memset(e->saddr, 0, sizeof(e->saddr));
		__builtin_memset(e->daddr, 0, sizeof(e->daddr));
		*(__u32 *)e->saddr = sk->__sk_common.skc_rcv_saddr;
		*(__u32 *)e->daddr = sk->__sk_common.skc_daddr;
	} else {
		bpf_core_read(e->saddr, sizeof(e->saddr), &sk->__sk_common.skc_v6_rcv_saddr);
		bpf_core_read(e->daddr, sizeof(e->daddr), &sk->__sk_common.skc_v6_daddr);
	}

	/* Batch wakeups: the consumer also polls on a timeout, so a quiet
	 * system still reports promptly without a wakeup per record. */
	flags = bpf_ringbuf_query(&events, BPF_RB_AVAIL_DATA) >= wakeup_bytes ?
		BPF_RB_FORCE_WAKEUP : BPF_RB_NO_WAKEUP;
	bpf_ringbuf_submit(e, flags);
	return 0;
}
