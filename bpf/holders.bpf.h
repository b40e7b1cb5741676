/* The holders of TCP socket files, found in the kernel: iter/task_file
 * walks every task's open files once. For the snapshot and doctor, one
 * td_holder_rec per TCP socket file a process holds, as /proc/PID/fd names
 * it for ss -p (userspace, user/holders_iter.c, picks among several
 * holders); for a starting tracer, the holder of each socket, which
 * seed_tcp makes its owner unless the tracer has seen one. */
#ifndef TD_HOLDERS_BPF_H
#define TD_HOLDERS_BPF_H

#include "common.bpf.h"
#include "filter.bpf.h"
#include "fullsk.bpf.h"
#include "iter.bpf.h" /* sock_ino: the inode the snapshot's records carry */

/* The TCP socket behind a file that task holds, when task is one /proc
 * lists: /proc lists thread-group leaders only, and /proc/PID/fd is the
 * leader's file table. The iterator already skips threads that share their
 * leader's table (task_seq_get_next, skip_if_dup_files); a thread that
 * unshared it (unshare(CLONE_FILES)) is skipped here, so that both ways
 * name the same holders.
 *
 * The socket's sk is an untrusted pointer (6.18.44 marks a load through
 * bpf_sock_from_file's result so): plain loads read it, but helpers that
 * want a socket, bpf_skc_to_tcp_sock or bpf_sk_storage_get, refuse it.
 * So TCP is told by its fields (a socket file's sk is a full socket; an
 * MPTCP socket's is IPPROTO_MPTCP), and seeding goes through seed_holders,
 * which seed_tcp, holding a trusted pointer, reads. */
static __always_inline struct sock *holders_tcp(struct task_struct *task, struct file *file)
{
	struct socket *so;
	struct sock *sk;
	int family;

	if (task->pid != task->tgid)
		return NULL;
	so = bpf_sock_from_file(file);
	if (!so || so->type != SOCK_STREAM)
		return NULL;
	/* The family from the socket's ops, which all sockets of a kind
	 * share (hot in the cache): unix and netlink sockets, the most
	 * numerous on a host, are let go without a read of their sock. */
	family = so->ops ? so->ops->family : 0;
	if (family != AF_INET && family != AF_INET6)
		return NULL;
	sk = so->sk;
	if (!sk || sk->sk_protocol != IPPROTO_TCP)
		return NULL;
	return sk;
}

static __always_inline void holders_record(struct seq_file *seq, struct task_struct *task, const struct sock *sk)
{
	struct td_holder_rec r = {};

	r.type = TD_REC_HOLDER;
	r.pid = task->tgid; /* the host's pid namespace, as the tracer's owners */
	r.ino = sock_ino(sk);
	bpf_probe_read_kernel_str(r.comm, sizeof(r.comm), task->comm);
	if (r.ino)
		bpf_seq_write(seq, &r, sizeof(r));
}

/* A starting tracer's socket that passes its filters: its holder, by the
 * socket's inode, for seed_tcp to make its owner unless the tracer saw
 * one. The walk visits tasks by ascending pid (task_seq_get_next:
 * find_ge_pid), and the first holder stored stays: the lowest pid, the
 * rule of the /proc scan. A full map leaves the rest unknown. */
static __always_inline void holders_seed(struct task_struct *task, const struct sock *sk)
{
	struct td_seed_holder h = { .pid = task->tgid };
	struct td_tuple t;
	__u64 ino;

	read_tuple(&sk->__sk_common, &t);
	if (!t.family || !filter_tuple(&t))
		return;
	ino = sock_ino(sk);
	if (!ino)
		return;
	bpf_probe_read_kernel_str(h.comm, sizeof(h.comm), task->comm);
	bpf_map_update_elem(&seed_holders, &ino, &h, BPF_NOEXIST);
}

#endif /* TD_HOLDERS_BPF_H */
