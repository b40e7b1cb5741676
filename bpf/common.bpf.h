/* What every concern of the kernel side shares: the knobs userspace sets
 * before load, the per-CPU counters and scratch, and reading a socket's
 * 4-tuple. */
#ifndef TD_COMMON_BPF_H
#define TD_COMMON_BPF_H

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
#define TD_ETIMEDOUT    110 /* errnos, as sk_err holds them */
#define TD_ECONNREFUSED 111

/* Knobs set by userspace between open and load (user/tracer.c, filter.c). */
const volatile struct td_filter filt;
const volatile __u64 wakeup_bytes = 256 * 1024;
const volatile bool  timers_on;       /* the timer programs are attached */
const volatile __u64 tw_timer_fn;     /* &tw_timer_handler */
const volatile __u64 reqsk_timer_fn;  /* &reqsk_timer_handler */
const volatile __u32 nr_cpus = 1;     /* possible CPUs */
const volatile bool  kernel_agg;      /* --kernel-agg: histograms here, no records */
/* Accept waits aggregated here (accept.bpf.h), no record per accept:
 * --kernel-agg, and the default mode unless -e prints each accept. */
const volatile bool  accept_agg;
/* TD_PORT_* bits per port; read only when a port filter is on. */
const volatile __u8  port_filter[65536];

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, TD_CNT_MAX);
	__type(key, __u32);
	__type(value, __u64);
} counters SEC(".maps");

/* Per-CPU scratch for sequences that the kernel runs back to back on one
 * CPU; each concern documents its part (struct td_scratch). */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct td_scratch);
} scratch SEC(".maps");

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

/* The current task's comm: two plain loads through its BTF pointer, where
 * bpf_get_current_comm is a helper call that copies it byte by byte. The
 * kernel keeps comm NUL-padded (__set_task_comm: strscpy_pad), so the
 * bytes are the helper's. */
static __always_inline void current_comm(char *dst)
{
	struct task_struct *task = bpf_get_current_task_btf();

	__builtin_memcpy(dst, task->comm, TD_COMM_LEN);
}

/* The records' family encoding (4 or 6) from an address family; 0: other. */
static __always_inline __u8 td_family(__u16 af)
{
	return af == AF_INET ? 4 : af == AF_INET6 ? 6 : 0;
}

/* An IPv6 socket whose peer is an IPv4 address mapped into IPv6
 * (::ffff:a.b.c.d: a dual-stack listener's child, or a v6 socket's connect
 * to such an address) runs on the IPv4 path, which keeps the IPv4
 * addresses in skc_rcv_saddr/skc_daddr: it is reported as IPv4, and -4
 * matches it. */
static __always_inline bool td_v4mapped(const __u32 *a)
{
	return a[0] == 0 && a[1] == 0 && a[2] == bpf_htonl(0xffff);
}

/* td_family of any sock_common through probe reads, v4-mapped peers as 4. */
static __always_inline __u8 skc_family(const struct sock_common *skc)
{
	__u8 family = td_family(BPF_CORE_READ(skc, skc_family));
	__u32 d[4];

	if (family == 6 && !bpf_core_read(d, sizeof(d), &skc->skc_v6_daddr) && td_v4mapped(d))
		return 4;
	return family;
}

/* The same with plain loads, from a BTF pointer (tp_btf, iterators). */
static __always_inline __u8 skc_family_btf(const struct sock_common *skc)
{
	__u8 family = td_family(skc->skc_family);

	if (family == 6 && td_v4mapped(skc->skc_v6_daddr.in6_u.u6_addr32))
		return 4;
	return family;
}

/* The addresses and netns of any sock_common (full, timewait or request
 * sock) through probe reads; family and ports are the caller's. */
static __always_inline void read_addrs(const struct sock_common *skc, struct td_tuple *t)
{
	if (t->family == 4) {
		*(__u32 *)t->saddr = BPF_CORE_READ(skc, skc_rcv_saddr);
		*(__u32 *)t->daddr = BPF_CORE_READ(skc, skc_daddr);
	} else {
		bpf_core_read(t->saddr, sizeof(t->saddr), &skc->skc_v6_rcv_saddr);
		bpf_core_read(t->daddr, sizeof(t->daddr), &skc->skc_v6_daddr);
	}
	t->netns = BPF_CORE_READ(skc, skc_net.net, ns.inum);
}

/* The whole 4-tuple and netns of any sock_common (v4-mapped peers as 4);
 * skc_num is the local port of mini socks and of hashed full sockets. One
 * probe read copies the sock_common: a read per field costs as much as
 * the whole copy. Not inlined: the copy's 136 bytes are on this function's
 * own stack frame, not on each caller's (see tw_end). */
static __noinline void read_tuple(const struct sock_common *skc, struct td_tuple *t)
{
	struct sock_common c;

	__builtin_memset(t, 0, sizeof(*t));
	if (bpf_probe_read_kernel(&c, sizeof(c), skc))
		return;
	t->family = td_family(c.skc_family);
	if (t->family == 6 && td_v4mapped(c.skc_v6_daddr.in6_u.u6_addr32))
		t->family = 4;
	t->sport = c.skc_num;
	t->dport = bpf_ntohs(c.skc_dport);
	if (t->family == 4) {
		*(__u32 *)t->saddr = c.skc_rcv_saddr;
		*(__u32 *)t->daddr = c.skc_daddr;
	} else {
		__builtin_memcpy(t->saddr, &c.skc_v6_rcv_saddr, sizeof(t->saddr));
		__builtin_memcpy(t->daddr, &c.skc_v6_daddr, sizeof(t->daddr));
	}
	t->netns = BPF_CORE_READ(c.skc_net.net, ns.inum);
}

/* The same from a full socket's BTF pointer (tp_btf, iterators): plain
 * loads, no helpers. family is 4 or 6; the ports are the caller's. */
static __always_inline void sk_tuple(const struct sock *sk, __u16 family, __u16 lport, __u16 rport,
				     struct td_tuple *t)
{
	__builtin_memset(t, 0, sizeof(*t));
	t->family = family;
	if (family == 4) {
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

#endif /* TD_COMMON_BPF_H */
