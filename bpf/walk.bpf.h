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

/* A walk spends its time on memory: every socket is a cache and (in a VM)
 * a TLB miss. Misses overlap only when the loads that take them are
 * independent and no branch waits on them: a branch on a missed load's
 * value (the socket's state, the chain's end) that goes the wrong way
 * stalls the walk until that load completes, one socket after another.
 * So the walk takes buckets in batches of TD_WALK_BATCH: it lists the
 * batch's first sockets from the bucket heads (a sequential read), loads
 * every listed socket's lines (state and namespace, chain link, timewait
 * substate) in straight-line groups of eight with no branch on what they
 * load, then counts them from cache, listing each chain's next socket for
 * the batch's next round. (Timings: doc/kernel-notes.md.) */
__u64 walk_node[TD_WALK_BATCH];   /* the round's sockets (chain nodes) */
__u32 walk_owner[TD_WALK_BATCH];  /* the bucket each came from */
/* Counters that the callbacks change are globals, not members of struct
 * walk on the stack: the verifier tracks a stack slot's value and would
 * follow each count on its own path, and these counts take many values. */
__u32 walk_listed;                /* sockets in walk_node this round */
__u32 walk_kept;                  /* of them, chains that go on */
__u64 walk_touched;               /* keeps the loads; nothing reads it */

/* The nulls marker that ends bucket b's chain. */
static __always_inline __u64 walk_end_of(const struct walk *w, __u32 b)
{
	return (((__u64)b + w->nulls) << 1) | 1;
}

/* Lists bucket b's first socket, if it has one, without a branch on the
 * bucket (which has a socket about as often as not): the slot is written
 * either way, and counted only for a socket. A head that is neither a
 * socket nor this bucket's end is a broken chain; a head of 0 (a load that
 * faulted) is listed, and walk_count finds its chain broken. */
static __always_inline void walk_list_one(const struct walk *w, __u32 b)
{
	__u64 node = td_word(w->base + (__u64)b * w->stride); /* hlist_nulls_head.first */
	__u64 sock = ~node & 1, other = node ^ walk_end_of(w, b);
	__u32 k = walk_listed & (TD_WALK_BATCH - 1);

	walk_node[k] = node;
	walk_owner[k] = b;
	walk_listed += sock;
	walk_broken += (1 - sock) & ((other | -other) >> 63);
}

/* Lists the first sockets of buckets 8g to 8g+7 of the batch (bpf_loop
 * callback); 1 past the table's end. */
static long walk_list(__u32 g, struct walk *w)
{
	__u32 b = w->bucket + (g << 3);

	if (b > w->mask)
		return 1;
	if (b + 7 > w->mask) { /* the end of a table of fewer than 8 buckets */
		for (__u32 j = 0; j < 8; j++)
			if (b + j <= w->mask)
				walk_list_one(w, b + j);
		return 1;
	}
	walk_list_one(w, b);
	walk_list_one(w, b + 1);
	walk_list_one(w, b + 2);
	walk_list_one(w, b + 3);
	walk_list_one(w, b + 4);
	walk_list_one(w, b + 5);
	walk_list_one(w, b + 6);
	walk_list_one(w, b + 7);
	return 0;
}

/* One socket's lines, loaded. A slot past those listed holds 0 or a
 * bucket's nulls marker, whose addresses fall at the bottom or, wrapped,
 * the top of the address space: the x86 JIT's probe-load check skips both
 * without a fault, and elsewhere a faulting probe load reads 0. */
static __always_inline __u64 walk_touch_one(const struct walk *w, __u64 node)
{
	__u64 sk = node - w->node_off;

	return td_word(node) + td_word((sk + w->state_off) & ~7ull) +
	       td_word((sk + w->substate_off) & ~7ull);
}

/* Loads the lines of listed sockets 8g to 8g+7 (bpf_loop callback):
 * independent loads, no branch on what they load, and few instructions
 * between them, so that many misses are in flight at once. */
static long walk_touch(__u32 g, struct walk *w)
{
	__u32 k = (g << 3) & (TD_WALK_BATCH - 8);

	walk_touched += walk_touch_one(w, walk_node[k]) + walk_touch_one(w, walk_node[k + 1]) +
		      walk_touch_one(w, walk_node[k + 2]) + walk_touch_one(w, walk_node[k + 3]) +
		      walk_touch_one(w, walk_node[k + 4]) + walk_touch_one(w, walk_node[k + 5]) +
		      walk_touch_one(w, walk_node[k + 6]) + walk_touch_one(w, walk_node[k + 7]);
	return 0;
}

/* Counts listed socket i and lists the next one of its chain in its place
 * (bpf_loop callback). */
static long walk_count(__u32 i, struct walk *w)
{
	__u32 k = i & (TD_WALK_BATCH - 1), b = walk_owner[k];
	__u64 node = walk_node[k];

	walk_sock(w, td_cast(node - w->node_off, struct sock_common));
	w->seen++;
	node = td_word(node); /* hlist_nulls_node.next */
	if (node & 1 || !node) {
		if (node != walk_end_of(w, b))
			walk_broken++;
		return 0;
	}
	k = walk_kept & (TD_WALK_BATCH - 1);
	walk_node[k] = node;
	walk_owner[k] = b;
	walk_kept++;
	return 0;
}

/* One round of a batch (bpf_loop callback): its listed sockets loaded,
 * then counted; 1 when no chain goes on. */
static long walk_round(__u32 i, struct walk *w)
{
	__u32 n = walk_listed;

	if (!n)
		return 1;
	bpf_loop((n + 7) / 8, walk_touch, w, 0);
	walk_kept = 0;
	bpf_loop(n, walk_count, w, 0);
	walk_listed = walk_kept;
	return 0;
}

/* One batch of buckets (bpf_loop callback): 1 ends the run (table done,
 * or budget spent). A chain longer than TD_WALK_CHAIN is broken. */
static long walk_batch(__u32 i, struct walk *w)
{
	if (w->bucket > w->mask || w->seen >= w->budget)
		return 1;
	walk_listed = 0;
	__builtin_memset(walk_node, 0, sizeof(walk_node));
	bpf_loop(TD_WALK_BATCH / 8, walk_list, w, 0);
	bpf_loop(TD_WALK_CHAIN, walk_round, w, 0);
	if (walk_listed)
		walk_broken++;
	w->bucket += TD_WALK_BATCH;
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
	bpf_loop(TD_WALK_BUCKETS / TD_WALK_BATCH, walk_batch, &w, 0);
	walk_socks = w.seen;
	walk_next = w.bucket < walk_end ? w.bucket : walk_end;
	return 0;
}

#endif /* TD_WALK_BPF_H */
