/* The census by a direct walk of the kernel's TCP hash tables: one pass
 * over the table of the caller's network namespace (the host's table, which
 * every namespace without a table of its own shares), counting every
 * namespace's sockets at once, where iter/tcp walks the whole table once per
 * namespace and takes a bucket lock and a reference per socket.
 *
 * census_walk is run by userspace with BPF_PROG_TEST_RUN (user/walker.c), in
 * chunks of buckets, under rcu_read_lock: the sockets of both tables (full,
 * timewait and request socks) are SLAB_TYPESAFE_BY_RCU, so they can be read
 * while listed, and reads go through bpf_rdonly_cast (accept.bpf.h's
 * td_cast): plain guarded loads, a fault reads 0. The walk takes no lock, so
 * a socket that moves while it is read can end a chain in another bucket:
 * such a chain, or one longer than TD_WALK_CHAIN, makes the census
 * incomplete, and userspace falls back to the iterators.
 *
 * Loaded only where bpf_rdonly_cast exists (v6.2, user/walker.c), which
 * also has what the walk reads: net->ipv4.tcp_death_row.hashinfo (v6.1,
 * per-namespace established tables) and an hlist_nulls lhash2 (v5.19). A
 * namespace's own table (tcp_child_ehash_entries) holds only its
 * established, timewait and request socks: inet_pernet_hashinfo_alloc
 * copies the host's lhash2 pointer, so listeners stay in the host's. */
#ifndef TD_WALK_BPF_H
#define TD_WALK_BPF_H

#include "common.bpf.h"
#include "filter.bpf.h"
#include "timewait.bpf.h"
#include "accept.bpf.h"
#include "iter.bpf.h"

/* net/ipv4/inet_hashtables.c: lhash2 bucket i ends in nulls value
 * i + LISTENING_NULLS_BASE; ehash bucket i in i. */
#define TD_LISTENING_NULLS_BASE (1U << 29)

/* The kernel word at addr as a number. Loaded through a pointer member it
 * would stay a pointer to the verifier, which refuses the bit test of a
 * nulls marker; rb_node's first member is an unsigned long. */
static __always_inline __u64 td_word(__u64 addr)
{
	return td_cast(addr, struct rb_node)->__rb_parent_color;
}

/* Outputs of one run (read by userspace after it). */
__u64 walk_next;    /* the first bucket not walked */
__u64 walk_end;     /* the table's buckets: walk_next there is done */
__u64 walk_socks;   /* sockets read by this run */
__u32 walk_broken;  /* chains that ended in another bucket or ran too long */
__u32 walk_full;    /* a namespace or listener that found no room */
__u32 walk_nlisten; /* listener records in walk_listeners (set to 0 by userspace) */
struct td_listener walk_listeners[TD_WALK_LISTENERS];

/* Counts per namespace inode (TD_CENSUS_* slots), emptied by userspace
 * before each census. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, TD_WALK_NETNS);
	__type(key, __u32);
	__type(value, struct td_walk_counts);
} walk_counts SEC(".maps");

/* One run's walk: the bucket array as a number (untrusted pointers take no
 * variable offsets), and the namespace counted last (sockets of one
 * namespace come in runs on a host where one holds most). */
struct walk {
	__u64 base;      /* &buckets[0] + offsetof(bucket, head) */
	__u64 stride;    /* sizeof(bucket) */
	__u64 node_off;  /* offsetof(struct sock_common, skc_nulls_node) */
	__u64 state_off; /* offsetof(struct sock_common, skc_state) */
	__u64 substate_off; /* offsetof(struct inet_timewait_sock, tw_substate) */
	__u64 node;      /* the chain's next node */
	__u64 budget;    /* sockets this run may read */
	__u64 seen;      /* sockets read */
	__u32 bucket;
	__u32 mask;
	__u32 nulls;     /* TD_LISTENING_NULLS_BASE or 0 */
	__u32 last_ns;
	struct td_walk_counts *last;
	__u64 now;
};

/* -p and -c on a walked socket (see iter_who_passes): the full socket's
 * sk_info through storage_info, a timewait sock's tw_socks
 * entry, a request sock's listener's owner. */
static __always_inline bool walk_who_passes(struct sock_common *skc, int state)
{
	struct iter_who w = {};
	struct sk_info info;
	struct sock *sk;

	if (!filt.tgid && !filt.cgroup_id)
		return true;
	if (state == TCP_TIME_WAIT) {
		who_timewait(skc, &w);
	} else if (state == TCP_NEW_SYN_RECV) {
		struct owner *o;
		__u64 key = (__u64)skc->skc_listener;

		o = key ? bpf_map_lookup_elem(&listeners, &key) : NULL;
		w.known = o != NULL;
		w.tgid = o ? o->tgid : 0;
		w.cgid = key ? td_sock_cgroup_id((struct sock *)key) : 0;
		w.cgid_known = key != 0;
	} else {
		sk = td_cast(skc, struct sock);
		/* Probe reads: the loads flavour casts to void, which kernels
		 * before 6.16 refuse, and the walk loads from 6.2. */
		if (storage_info(sk, &info, false)) {
			w.known = info.owner_known;
			w.tgid = info.tgid;
		}
		w.cgid = td_sock_cgroup_id_btf(sk);
		w.cgid_known = true;
	}
	return filter_owner(w.known, w.tgid) && filter_cgroup(w.cgid, w.cgid_known);
}

/* Every filter but -s, as iter_passes. */
static __always_inline bool walk_passes(struct sock_common *skc, int state)
{
	struct td_tuple t = {};

	return census_tuple(skc, &t) && filter_tuple(&t) && walk_who_passes(skc, state);
}

/* The counts of namespace netns, created empty on first use. */
static __always_inline struct td_walk_counts *walk_ns(struct walk *w, __u32 netns)
{
	struct td_walk_counts zero = {}, *c;

	if (w->last && w->last_ns == netns)
		return w->last;
	c = bpf_map_lookup_elem(&walk_counts, &netns);
	if (!c) {
		bpf_map_update_elem(&walk_counts, &netns, &zero, BPF_NOEXIST);
		c = bpf_map_lookup_elem(&walk_counts, &netns);
	}
	if (!c) {
		walk_full++;
		return NULL;
	}
	w->last = c;
	w->last_ns = netns;
	return c;
}

/* A listener's record, as census_listener writes it. */
static __always_inline void walk_listener(struct sock_common *skc, __u32 netns)
{
	struct sock *sk = td_cast(skc, struct sock);
	__u32 i = walk_nlisten;
	struct td_listener *r;

	if (i >= TD_WALK_LISTENERS) {
		walk_full++;
		return;
	}
	r = &walk_listeners[i];
	r->type = TD_REC_LISTENER;
	r->family = td_family(skc->skc_family);
	r->port = skc->skc_num;
	r->netns = netns;
	r->drops = sk->sk_drops.counter;
	r->backlog = sk->sk_ack_backlog;
	r->max_backlog = sk->sk_max_ack_backlog;
	r->skaddr = (__u64)skc;
	if (r->family == 4) {
		__builtin_memset(r->addr, 0, sizeof(r->addr));
		*(__u32 *)r->addr = skc->skc_rcv_saddr;
	} else {
		__builtin_memcpy(r->addr, &skc->skc_v6_rcv_saddr, sizeof(r->addr));
	}
	walk_nlisten = i + 1;
}

/* One socket: counted under its state (census_count's slots), a timewait
 * sock under its substate, with the orphans' settling under -T. */
static __always_inline void walk_sock(struct walk *w, struct sock_common *skc)
{
	__u32 netns = skc->skc_net.net->ns.inum;
	int state = skc->skc_state;
	struct td_walk_counts *c;
	__u32 idx = state;

	if (state <= 0 || state >= TD_MAX_STATES || !walk_passes(skc, state))
		return;
	c = walk_ns(w, netns);
	if (!c)
		return;
	if (state == TCP_TIME_WAIT) {
		struct inet_timewait_sock *tw = td_cast(skc, struct inet_timewait_sock);

		if (tw->tw_substate == TCP_FIN_WAIT2) {
			c->c[TD_FIN_WAIT2]++;
			c->c[TD_CENSUS_ORPHANS]++;
		} else {
			c->c[TD_TIME_WAIT]++;
		}
		if (timers_on && settle_on)
			tw_settle((__u64)skc, w->now);
		return;
	}
	if (state == TCP_LISTEN)
		walk_listener(skc, netns);
	asm volatile("" : "+r"(idx));
	c->c[idx & 15]++;
}

/* One step along a chain (bpf_loop callback): 1 ends the chain. */
static long walk_step(__u32 i, struct walk *w)
{
	if (w->node & 1 || !w->node)
		return 1;
	walk_sock(w, td_cast(w->node - w->node_off, struct sock_common));
	w->seen++;
	w->node = td_word(w->node); /* hlist_nulls_node.next */
	return 0;
}

/* A walk spends its time on memory, not work: perf puts most of it on the
 * first load from each socket, a cache and (in a VM) TLB miss, one socket
 * after another. So every TD_WALK_AHEAD buckets, the first two sockets of
 * each of the next TD_WALK_AHEAD buckets are loaded in tight loops of
 * independent loads, the lines walk_sock reads (state and namespace, the
 * chain's link, a timewait sock's substate), and their misses overlap.
 * walk_touched keeps the loads from being dropped; nothing reads it. */
__u64 walk_touched;

static __always_inline __u64 walk_touch_sock(const struct walk *w, __u64 node)
{
	__u64 sk = node - w->node_off;

	return td_word(node) + td_word((sk + w->state_off) & ~7ull) + td_word((sk + w->substate_off) & ~7ull);
}

static __always_inline void walk_touch(struct walk *w)
{
	__u64 acc = 0, b, n;
	int j;

	for (j = 0, b = w->bucket; j < TD_WALK_AHEAD && b <= w->mask; j++, b++) {
		n = td_word(w->base + b * w->stride);
		if (n && !(n & 1))
			acc += walk_touch_sock(w, n);
	}
	/* The second socket of a chain, through the first's link (loaded above). */
	for (j = 0, b = w->bucket; j < TD_WALK_AHEAD && b <= w->mask; j++, b++) {
		n = td_word(w->base + b * w->stride);
		n = n && !(n & 1) ? td_word(n) : 1;
		if (n && !(n & 1))
			acc += walk_touch_sock(w, n);
	}
	walk_touched += acc;
}

/* One bucket (bpf_loop callback): its chain, checked to have ended in its
 * own nulls value; 1 ends the run (table done, or budget spent). */
static long walk_bucket(__u32 i, struct walk *w)
{
	if (w->bucket > w->mask || w->seen >= w->budget)
		return 1;
	if (!(w->bucket % TD_WALK_AHEAD))
		walk_touch(w);
	w->node = td_word(w->base + (__u64)w->bucket * w->stride); /* hlist_nulls_head.first */
	/* Most buckets of a sparse table are empty: no chain to walk. */
	if (!(w->node & 1))
		bpf_loop(TD_WALK_CHAIN, walk_step, w, 0);
	if (w->node != (((__u64)(w->bucket + w->nulls) << 1) | 1))
		walk_broken++;
	w->bucket++;
	return 0;
}

/* Walks buckets [start, ...) of the ehash (listen 0) or the lhash2
 * (listen 1) of the caller's namespace's table until budget sockets are
 * read or the table ends; walk_next says where the next run starts. */
static __always_inline int walk_run(__u32 listen, __u32 start, __u64 budget)
{
	struct task_struct *task = bpf_get_current_task_btf();
	struct inet_hashinfo *h;
	struct walk w = {};
	__u64 arr;

	h = td_cast(task->nsproxy->net_ns->ipv4.tcp_death_row.hashinfo, struct inet_hashinfo);
	arr = listen ? td_word((__u64)&h->lhash2) : td_word((__u64)&h->ehash);
	w.mask = listen ? h->lhash2_mask : h->ehash_mask;
	walk_end = (__u64)w.mask + 1;
	if (!arr) {
		walk_broken++;
		walk_next = walk_end;
		return 0;
	}
	w.node_off = bpf_core_field_offset(struct sock_common, skc_nulls_node);
	w.state_off = bpf_core_field_offset(struct sock_common, skc_state);
	w.substate_off = bpf_core_field_offset(struct inet_timewait_sock, tw_substate);
	w.budget = budget;
	w.bucket = start;
	w.now = bpf_ktime_get_ns();
	if (listen) {
		w.base = arr + bpf_core_field_offset(struct inet_listen_hashbucket, nulls_head);
		w.stride = bpf_core_type_size(struct inet_listen_hashbucket);
		w.nulls = TD_LISTENING_NULLS_BASE;
	} else {
		w.base = arr + bpf_core_field_offset(struct inet_ehash_bucket, chain);
		w.stride = bpf_core_type_size(struct inet_ehash_bucket);
	}
	bpf_loop(TD_WALK_BUCKETS, walk_bucket, &w, 0);
	walk_socks = w.seen;
	walk_next = w.bucket;
	return 0;
}

#endif /* TD_WALK_BPF_H */
