/* Kernel-version differences, in one place. Each helper reads a field whose
 * layout changed across kernels, using CO-RE relocations and field checks. */
#ifndef CORE_FIXES_BPF_H
#define CORE_FIXES_BPF_H

#include "vmlinux.h"
#include <bpf/bpf_core_read.h>

/* Before v5.7 (commit 67c0496e87d1 "kernfs: convert kernfs_node->id from
 * union kernfs_node_id to u64") the id lived in a union. */
union kernfs_node_id___old {
	struct {
		__u32 ino;
		__u32 generation;
	};
	__u64 id;
};

struct kernfs_node___old {
	union kernfs_node_id___old id;
};

/* Whether kernfs_node.id is the old union. A field check on a flavour of
 * struct kernfs_node, not bpf_core_type_exists(union kernfs_node_id___old):
 * a type missing from vmlinux BTF sends libbpf on to the modules' BTF, and
 * listing those (BPF_BTF_GET_NEXT_ID) needs CAP_SYS_ADMIN, which CAP_BPF
 * and CAP_PERFMON alone do not give. kernfs_node is in vmlinux, so the
 * check never leaves it. */
static __always_inline bool td_kernfs_id_old(void)
{
	struct kernfs_node___old *old = 0;

	return bpf_core_field_exists(old->id.id);
}

static __always_inline __u64 td_kernfs_id(struct kernfs_node *kn)
{
	if (td_kernfs_id_old()) {
		struct kernfs_node___old *old = (void *)kn;
		return BPF_CORE_READ(old, id.id);
	}
	return BPF_CORE_READ(kn, id);
}

/* The cgroup v2 id of the cgroup the socket was created in. v5.15 (commit
 * 8520e224f547 "bpf, cgroups: Fix cgroup v2 fallback on v1/v2 mixed mode")
 * turned sock_cgroup_data into a plain pointer; older kernels packed it into
 * a u64 that cannot be decoded without knowing the mode, so they report 0. */
static __always_inline __u64 td_sock_cgroup_id(const struct sock *sk)
{
	struct cgroup *cg;

	if (!bpf_core_field_exists(sk->sk_cgrp_data.cgroup))
		return 0;
	cg = BPF_CORE_READ(sk, sk_cgrp_data.cgroup);
	if (!cg)
		return 0;
	return td_kernfs_id(BPF_CORE_READ(cg, kn));
}

/* The same from a BTF pointer (tp_btf arguments): plain loads, which the
 * verifier guards, instead of bpf_probe_read_kernel calls. */
static __always_inline __u64 td_sock_cgroup_id_btf(const struct sock *sk)
{
	struct cgroup *cg;

	if (!bpf_core_field_exists(sk->sk_cgrp_data.cgroup) ||
	    td_kernfs_id_old())
		return td_sock_cgroup_id(sk);
	cg = sk->sk_cgrp_data.cgroup;
	return cg ? cg->kn->id : 0;
}

/* v6.18 (commit "ns: rename to __ns_ref") renamed ns_common.count; the
 * ___old flavour matches the earlier name. */
struct ns_common___old {
	refcount_t count;
};

/* Whether a network namespace is being torn down (no references left). */
static __always_inline bool td_net_dying(const struct net *net)
{
	int refs;

	if (bpf_core_field_exists(net->ns.__ns_ref)) {
		refs = BPF_CORE_READ(net, ns.__ns_ref.refs.counter);
	} else {
		struct ns_common___old *ns = (void *)&net->ns;

		if (!bpf_core_field_exists(ns->count))
			return false;
		refs = BPF_CORE_READ(ns, count.refs.counter);
	}
	return refs == 0;
}

#endif /* CORE_FIXES_BPF_H */
