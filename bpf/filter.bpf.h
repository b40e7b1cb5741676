/* The filters (struct td_filter, set by userspace): the one definition of
 * whether a socket's tuple, owner, cgroup and states pass. Each rule is one
 * function; paths call them in their cheapest order. userspace applies the
 * same rules in user/filter.c. */
#ifndef TD_FILTER_BPF_H
#define TD_FILTER_BPF_H

#include "common.bpf.h"

enum port_verdict { PORTS_MATCH, PORTS_NEVER, PORTS_NOT_YET };

static __always_inline bool filter_ports_on(void)
{
	return filt.lport || filt.rport || filt.either;
}

static __always_inline bool filter_addrs_on(void)
{
	return filt.laddr.family || filt.raddr.family;
}

/* Whether the filters need more of a tuple than its family and ports: the
 * addresses or the network namespace, which a full tuple read brings. */
static __always_inline bool filter_reads_tuple(void)
{
	return filter_addrs_on() || filt.netns;
}

/* A client's local port is assigned just after CLOSE->SYN_SENT
 * (tcp_v4_connect sets the state before inet_hash_connect), so a zero port
 * cannot be judged yet; the socket's storage must still be kept. */
static __always_inline enum port_verdict filter_ports(__u16 lport, __u16 rport)
{
	enum port_verdict no = lport == 0 ? PORTS_NOT_YET : PORTS_NEVER;

	if (filt.lport && !(port_filter[lport] & TD_PORT_LOCAL))
		return no;
	if (filt.rport && !(port_filter[rport] & TD_PORT_REMOTE))
		return no;
	if (filt.either && !(port_filter[lport] & TD_PORT_EITHER) && !(port_filter[rport] & TD_PORT_EITHER))
		return no;
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

static __always_inline bool filter_addrs(const struct td_tuple *t)
{
	if (filt.laddr.family && !cidr_match(&filt.laddr, t->family, (const __u32 *)t->saddr))
		return false;
	if (filt.raddr.family && !cidr_match(&filt.raddr, t->family, (const __u32 *)t->daddr))
		return false;
	return true;
}

/* -N: one network namespace, by its inode (ns.inum). */
static __always_inline bool filter_netns(__u32 ino)
{
	return !filt.netns || ino == filt.netns;
}

static __always_inline bool filter_family(__u8 family)
{
	return !filt.family || family == filt.family;
}

/* Family, ports, addresses and namespace of a tuple. The addresses and the
 * namespace need only be read when filter_reads_tuple(). */
static __always_inline bool filter_tuple(const struct td_tuple *t)
{
	if (!filter_family(t->family) || !filter_netns(t->netns))
		return false;
	if (filter_ports_on() && filter_ports(t->sport, t->dport) != PORTS_MATCH)
		return false;
	return filter_addrs(t);
}

static __always_inline bool filter_cgroup(__u64 cgid, bool known)
{
	return !filt.cgroup_id || (known && cgid == filt.cgroup_id);
}

static __always_inline bool filter_owner(bool known, __u32 tgid)
{
	return !filt.tgid || (known && tgid == filt.tgid);
}

/* A transition passes -s when its old or its new state is listed. */
static __always_inline bool filter_states(int oldstate, int newstate)
{
	return !filt.states || (filt.states & ((1u << (oldstate & 31)) | (1u << (newstate & 31))));
}

#endif /* TD_FILTER_BPF_H */
