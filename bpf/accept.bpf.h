/* The accept-queue wait. A child socket enters its listener's accept queue
 * at SYN_RECV -> ESTABLISHED (fullsk.bpf.h stores that time in its sk_info,
 * the one store this costs handle_set_state) and leaves it when accept()
 * returns it. accept() is a system call of the child's new owner, so the
 * accepting process becomes its owner: a pre-fork server's children are
 * charged to the process that accepted them.
 *
 * syscalls:sys_exit_accept{,4} are classic tracepoints, and such programs
 * may not call bpf_sk_storage_get ("program of this type cannot use helper
 * bpf_sk_storage_get#107", 6.18). So this side reads the child's sk_info
 * through probe reads of the socket's bpf_local_storage list, finding
 * sk_infos' element by the map's id, and hands the new owner over through
 * `accepted`, which handle_set_state consults when an accepted child leaves
 * ESTABLISHED in softirq (its peer closed or reset it first): the only
 * transition before its owner's own close that would be charged wrongly. */
#ifndef TD_ACCEPT_BPF_H
#define TD_ACCEPT_BPF_H

#include "common.bpf.h"
#include "filter.bpf.h"
#include "emit.bpf.h"
#include "fullsk.bpf.h"

/* Written by userspace after load: sk_infos' map id. */
__u32 sk_infos_id;
/* Set once an accept has handed an owner over through `accepted`: until
 * then handle_set_state skips its lookup there (the usual server accepts
 * what its own listener queued, and hands nothing over). */
__u32 accepted_used;

/* The context of syscalls:sys_exit_* (see its format file in tracefs). */
struct td_sys_exit {
	__u64 common;
	__s64 nr;
	__s64 ret;
};

/* An accepted child's new owner, until handle_set_state claims it. The
 * child's queued_ns tells a reused socket address from the child. */
struct td_accepted {
	__u64 queued_ns;
	__u32 tgid;
	__u32 _pad;
	char  comm[TD_COMM_LEN];
};

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 4096);
	__type(key, __u64);
	__type(value, struct td_accepted);
} accepted SEC(".maps");

/* With accept_agg: the accept waits of TD_ACCEPT_PORTS listener ports,
 * first come first served, one slot each, then of every other port
 * together in slot TD_ACCEPT_OTHER. A port's slot is a lookup in a plain
 * table, and its waits an element of a per-CPU array: no hashing on the
 * way. Userspace shrinks accept_ports to one entry when each accept is a
 * record. */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, TD_ACCEPT_PORTS + 1);
	__type(key, __u32);
	__type(value, struct td_kaccept);
} accept_ports SEC(".maps");

/* Port -> its slot + 1 (0: none yet); slot -> port, read by userspace
 * (user/kread.c) for the slots below accept_slots_taken. Two CPUs may
 * give one port a slot each at once: userspace adds slots by port. */
__u8  accept_slot[65536];
__u16 accept_slot_port[TD_ACCEPT_PORTS];
__u32 accept_slots_taken;

#ifdef TD_ACCEPT_RECORDS /* bench knob, bpf/tcpdwell.bpf.c */
#define TD_ACCEPT_AGG kernel_agg
#else
#define TD_ACCEPT_AGG accept_agg
#endif

/* One accept, filled step by step. */
struct acc {
	struct sock *sk;
	struct td_tuple t;
	__u64 now;
	__u64 cgid;
	__u64 queued_ns; /* 0: not seen */
	__u32 tgid;
	bool  owned;     /* the child's owner is the accepter already */
};

/* bpf_rdonly_cast (v6.2): a number as a read-only, untrusted BTF pointer
 * of a kernel type. Loads through it are the verifier's guarded loads
 * (BPF_PROBE_MEM: a fault reads 0), a few ns each, where every
 * bpf_probe_read_kernel is a helper call of tens of ns. Classic tracepoint
 * programs may call it (it is in the kfunc set of every program type).
 * storage_info also casts to void (btf_id 0: loads at any offset, v6.16).
 * Weak: on a kernel without either the *_probe flavour of the accept
 * programs is loaded instead (user/hooks.c), which never calls it. */
extern void *bpf_rdonly_cast(const void *obj, __u32 btf_id) __ksym __weak;
#define td_cast(p, type) ((type *)bpf_rdonly_cast((const void *)(p), bpf_core_type_id_kernel(type)))

/* The socket behind a file descriptor of the current task: task -> files
 * -> fdt -> fd[fd] -> file -> private_data. A socket's file and the socket
 * point at each other (sock_alloc_file), which no other kind of file's
 * private_data does. cast: through bpf_rdonly_cast, the returned pointer
 * a BTF one; else through probe reads, the returned pointer a number. */
static __always_inline struct sock *fd_sock(__s64 fd, const bool cast)
{
	/* A BTF pointer: task -> files -> fdt are plain loads. */
	struct task_struct *task = bpf_get_current_task_btf();
	struct fdtable *fdt = task->files->fdt;
	struct file **fds, *file = NULL;
	struct socket *so;

	if (fd < 0 || !fdt || fd >= fdt->max_fds)
		return NULL;
	/* fdt->fd is a pointer to pointers, a number to the verifier. */
	fds = fdt->fd;
	if (cast) {
		/* fd[fd] through a type whose first member is one pointer. */
		file = (struct file *)td_cast(&fds[fd], struct llist_node)->next;
		file = td_cast(file, struct file);
		if (!file)
			return NULL;
		so = td_cast(file->private_data, struct socket);
		if (!so || (__u64)so->file != (__u64)file)
			return NULL;
		return so->sk;
	}
	if (bpf_probe_read_kernel(&file, sizeof(file), &fds[fd]) || !file)
		return NULL;
	so = BPF_CORE_READ(file, private_data);
	if (!so || BPF_CORE_READ(so, file) != file)
		return NULL;
	return BPF_CORE_READ(so, sk);
}

/* An sk_info in a storage element, copied out: with cast only the fields
 * accept_exit reads (queued_ns, the owner, the cgroup id), by plain loads
 * through a cast to void (btf_id 0: loads at any offset); else all of it
 * by one probe read. */
static __always_inline bool storage_copy(const void *data, struct sk_info *out, const bool cast)
{
	const struct sk_info *info;

	if (!cast)
		return bpf_probe_read_kernel(out, sizeof(*out), data) == 0;
	info = bpf_rdonly_cast(data, 0);
	out->queued_ns = info->queued_ns;
	out->tgid = info->tgid;
	out->owner_known = info->owner_known;
	out->consts_known = info->consts_known;
	out->cgroup_id = info->cgroup_id;
	return true;
}

/* sk's sk_info, copied out of the socket's storage list
 * (bpf_local_storage.list of bpf_local_storage_elem, linked by snode);
 * false when the socket has no sk_infos element. A socket carries one
 * element per sk_storage map that knows it: a few at most. */
static __always_inline bool storage_info(const struct sock *sk, struct sk_info *out, const bool cast)
{
	struct bpf_local_storage *ls;
	struct hlist_node *n;
	__u64 snode = bpf_core_field_offset(struct bpf_local_storage_elem, snode);
	__u64 data = bpf_core_field_offset(struct bpf_local_storage_elem, sdata) +
		     bpf_core_field_offset(struct bpf_local_storage_data, data);

	if (cast) {
		ls = sk->sk_bpf_storage;
		n = ls ? ls->list.first : NULL;
	} else {
		ls = BPF_CORE_READ(sk, sk_bpf_storage);
		n = ls ? BPF_CORE_READ(ls, list.first) : NULL;
	}
	for (int i = 0; i < 8 && n; i++) {
		struct bpf_local_storage_elem *e;
		struct bpf_local_storage_map *smap;
		__u32 id;

		if (cast) {
			/* container_of: a negative offset, taken by the cast. */
			e = td_cast((void *)n - snode, struct bpf_local_storage_elem);
			smap = e->sdata.smap;
			id = smap ? smap->map.id : 0;
		} else {
			e = (void *)((__u64)n - snode);
			smap = BPF_CORE_READ(e, sdata.smap);
			id = smap ? BPF_CORE_READ(smap, map.id) : 0;
		}
		if (id && id == sk_infos_id)
			return storage_copy((void *)e + data, out, cast);
		n = cast ? n->next : BPF_CORE_READ(n, next);
	}
	return false;
}

/* A TCP socket of either family that passes the filters; -s lets accepts
 * through when it lists ESTABLISHED, the state a child waits in. */
static __always_inline bool acc_read(struct acc *a, struct sock *sk, const bool cast)
{
	if (!sk)
		return false;
	if (cast) {
		if (sk->sk_protocol != IPPROTO_TCP)
			return false;
		a->t.family = skc_family_btf(&sk->__sk_common);
		a->t.sport = sk->__sk_common.skc_num;
		a->t.dport = bpf_ntohs(sk->__sk_common.skc_dport);
		/* Aggregated waits need the port only, unless a filter reads
		 * the addresses or the namespace. */
		if (a->t.family && (!TD_ACCEPT_AGG || filter_reads_tuple()))
			sk_tuple(sk, a->t.family, a->t.sport, a->t.dport, &a->t);
	} else {
		if (BPF_CORE_READ(sk, sk_protocol) != IPPROTO_TCP)
			return false;
		read_tuple(&sk->__sk_common, &a->t);
	}
	if (!a->t.family || !filter_tuple(&a->t))
		return false;
	if (!filter_states(TCP_ESTABLISHED, TCP_ESTABLISHED))
		return false;
	a->tgid = bpf_get_current_pid_tgid() >> 32;
	if (!filter_owner(true, a->tgid))
		return false;
	a->sk = sk;
	return true;
}

/* The child's cgroup id: its storage's copy (fsk_consts, which a child
 * gets with its listener's clone) when known, else through the socket. */
static __always_inline bool acc_cgroup(struct acc *a, const struct sk_info *info, bool found, const bool cast)
{
	if (!filt.cgroup_id && TD_ACCEPT_AGG)
		return true;
	if (found && info->consts_known)
		a->cgid = info->cgroup_id;
	else
		a->cgid = cast ? td_sock_cgroup_id_btf(a->sk) : td_sock_cgroup_id(a->sk);
	return filter_cgroup(a->cgid, true);
}

/* The accepter becomes the child's owner (claimed by accept_claim). */
static __always_inline void acc_own(const struct acc *a)
{
	struct td_accepted v = { .queued_ns = a->queued_ns, .tgid = a->tgid };
	__u64 key = (__u64)a->sk;

	if (!a->queued_ns || a->owned || (kernel_agg && !filt.tgid))
		return;
	current_comm(v.comm);
	if (!accepted_used)
		accepted_used = 1;
	bpf_map_update_elem(&accepted, &key, &v, BPF_ANY);
}

/* A listener port's slot in accept_ports, taken at its first accept;
 * TD_ACCEPT_OTHER once every slot is taken. */
static __always_inline __u32 acc_slot(__u16 port)
{
	__u32 slot = accept_slot[port], n;

	if (slot)
		return slot - 1;
	n = __sync_fetch_and_add(&accept_slots_taken, 1);
	slot = n < TD_ACCEPT_PORTS ? n : TD_ACCEPT_OTHER;
	if (slot < TD_ACCEPT_PORTS)
		accept_slot_port[slot] = port;
	accept_slot[port] = slot + 1;
	return slot;
}

/* accept_agg: the wait into its port's histogram. */
static __noinline void acc_aggregate(__u16 port, __u64 queued_ns, __u64 wait)
{
	__u32 slot = acc_slot(port);
	struct td_kaccept *k = bpf_map_lookup_elem(&accept_ports, &slot);

	if (!k)
		return;
	if (queued_ns)
		khist_add(&k->h, wait);
	else
		k->unknown++;
}

static __always_inline void acc_emit(const struct acc *a)
{
	struct td_accept *r = ring_reserve(sizeof(*r));

	if (!r)
		return;
	r->type = TD_REC_ACCEPT;
	r->family = a->t.family;
	r->flags = TD_F_PID_KNOWN | (a->queued_ns ? TD_F_DWELL_KNOWN : 0);
	r->_pad0 = 0;
	r->sport = a->t.sport;
	r->dport = a->t.dport;
	r->pid = a->tgid;
	r->netns = a->t.netns;
	r->ts_ns = a->now;
	r->wait_ns = a->queued_ns ? a->now - a->queued_ns : 0;
	r->cgroup_id = a->cgid;
	__builtin_memcpy(r->saddr, a->t.saddr, sizeof(r->saddr));
	__builtin_memcpy(r->daddr, a->t.daddr, sizeof(r->daddr));
	current_comm(r->comm);
	submit(r);
}

/* accept()/accept4() returned fd: the child's wait and its new owner.
 * cast: the bpf_rdonly_cast flavour (see td_cast). */
static __always_inline int accept_exit(__s64 fd, const bool cast)
{
	struct sk_info info;
	struct acc a = {};
	bool found;

	if (fd < 0 || !acc_read(&a, fd_sock(fd, cast), cast))
		return 0;
	found = storage_info(a.sk, &info, cast);
	if (!acc_cgroup(&a, &info, found, cast))
		return 0;
	a.now = bpf_ktime_get_ns();
	if (found) {
		a.queued_ns = info.queued_ns > a.now ? 0 : info.queued_ns;
		/* The usual server: it accepts what its own listener queued. */
		a.owned = info.owner_known && info.tgid == a.tgid;
	}
	acc_own(&a);
	if (TD_ACCEPT_AGG)
		acc_aggregate(a.t.sport, a.queued_ns, a.now - a.queued_ns);
	else
		acc_emit(&a);
	return 0;
}

/* In handle_set_state: an accepted child leaving ESTABLISHED other than by
 * its owner's close() (softirq: the peer's FIN or RST) takes its accepter
 * as owner. Children that no accept has returned yet keep the listener's. */
static __always_inline void accept_claim(const struct trans *x, struct sk_info *info)
{
	struct td_accepted *v;
	__u64 key;

	if (x->oldstate != TCP_ESTABLISHED || x->newstate == TCP_FIN_WAIT1 || !info->queued_ns)
		return;
#ifndef TD_CLAIM_ALWAYS /* bench knob, bpf/tcpdwell.bpf.c */
	if (!accepted_used)
		return;
#endif
	if (kernel_agg && !filt.tgid)
		return;
	key = (__u64)x->sk;
	v = bpf_map_lookup_elem(&accepted, &key);
	if (!v || v->queued_ns != info->queued_ns)
		return;
	info->tgid = v->tgid;
	__builtin_memcpy(info->comm, v->comm, sizeof(info->comm));
	info->owner_known = 1;
}

#endif /* TD_ACCEPT_BPF_H */
