/* The holders of TCP socket files, found in the kernel: iter/task_file
 * walks every task's open files once. For the snapshot and doctor, one
 * td_holder_rec per TCP socket file a process holds, as /proc/PID/fd names
 * it for ss -p (userspace, user/holders_iter.c, picks among several
 * holders); for a starting tracer, the holder becomes the owner of each
 * socket it has not seen, straight into the socket's storage. */
#ifndef TD_HOLDERS_BPF_H
#define TD_HOLDERS_BPF_H

#include "common.bpf.h"
#include "filter.bpf.h"
#include "fullsk.bpf.h"
#include "iter.bpf.h" /* sock_ino: the inode the snapshot's records carry */

/* The TCP socket file holds, when task is one /proc lists: /proc lists
 * thread-group leaders only, and /proc/PID/fd is the leader's file table.
 * The iterator already skips threads that share their leader's table
 * (task_seq_get_next, skip_if_dup_files); a thread that unshared it
 * (unshare(CLONE_FILES)) is skipped here, so that both ways name the same
 * holders. bpf_skc_to_tcp_sock: a full socket, SOCK_STREAM, IPPROTO_TCP
 * (an MPTCP socket's file is not one). */
static __always_inline struct tcp_sock *holders_tcp(struct task_struct *task, struct file *file)
{
	struct socket *so;
	int family;

	if (task->pid != task->tgid)
		return NULL;
	so = bpf_sock_from_file(file);
	if (!so || !so->sk || so->type != SOCK_STREAM)
		return NULL;
	/* The family from the socket's ops, which all sockets of a kind
	 * share (hot in the cache): unix and netlink sockets, the most
	 * numerous on a host, are let go without a read of their sock. */
	family = so->ops ? so->ops->family : 0;
	if (family != AF_INET && family != AF_INET6)
		return NULL;
	return bpf_skc_to_tcp_sock(so->sk);
}

static __always_inline void holders_record(struct seq_file *seq, struct task_struct *task, struct tcp_sock *tp)
{
	struct td_holder_rec r = {};

	r.type = TD_REC_HOLDER;
	r.pid = task->tgid; /* the host's pid namespace, as the tracer's owners */
	r.ino = sock_ino(tp);
	bpf_probe_read_kernel_str(r.comm, sizeof(r.comm), task->comm);
	if (r.ino)
		bpf_seq_write(seq, &r, sizeof(r));
}

/* A starting tracer's socket that passes its filters gets its holder as
 * owner, unless the tracer saw one. The walk visits tasks by ascending
 * pid (task_seq_get_next: find_ge_pid), so the first holder to claim a
 * socket has the lowest pid: the rule of the /proc scan. */
static __always_inline void holders_seed(struct task_struct *task, struct tcp_sock *tp)
{
	struct sk_info *info;
	struct td_tuple t;

	read_tuple((struct sock_common *)tp, &t);
	if (!t.family || !filter_tuple(&t))
		return;
	info = bpf_sk_storage_get(&sk_infos, tp, 0, BPF_SK_STORAGE_GET_F_CREATE);
	if (!info || info->owner_known)
		return;
	info->tgid = task->tgid;
	bpf_probe_read_kernel_str(info->comm, sizeof(info->comm), task->comm);
	info->owner_known = 1;
}

#endif /* TD_HOLDERS_BPF_H */
