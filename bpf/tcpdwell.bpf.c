// SPDX-License-Identifier: GPL-2.0
/* Kernel side of tcpdwell: the entry points only, each a few named steps.
 * Every concern has its header: filter.bpf.h (the filters), emit.bpf.h
 * (records and in-kernel aggregation), fullsk.bpf.h (full sockets' storage,
 * owner and dwell), timewait.bpf.h and reqsk.bpf.h (the mini socks seen
 * through their timers), connect.bpf.h and close.bpf.h (how connects and
 * connections end), accept.bpf.h (accept-queue waits, the accepter as
 * owner), iter.bpf.h (census, snapshot, seeding), walk.bpf.h (the census
 * by a direct walk of the socket tables). */
#include "common.bpf.h"
#include "filter.bpf.h"
#include "emit.bpf.h"
#include "fullsk.bpf.h"
#include "timewait.bpf.h"
#include "reqsk.bpf.h"
#include "connect.bpf.h"
#include "close.bpf.h"
#include "accept.bpf.h"
#include "iter.bpf.h"
#include "walk.bpf.h"
#include "holders.bpf.h"

char LICENSE[] SEC("license") = "GPL";

/* Bench knobs (BPF_EXTRA in the Makefile, VARIANTS in scripts/bench.sh):
 * steps compiled out or swapped to measure what each costs; never set in a
 * real build, whose outputs they change.
 *   TD_ACCEPT_PROBE  the accept programs take the probe-read flavour even
 *                    where bpf_rdonly_cast exists
 *   TD_SKIP_STORAGE  no socket storage: no dwell, owner or close causes
 *   TD_SKIP_CREATE   storage looked up, never created (only listeners'
 *                    children, cloned by the kernel, have one)
 *   TD_SKIP_CGROUP   no cgroup id read (unless filtered on)
 *   TD_SKIP_CONSTS   cgroup id and netns read at every transition, not
 *                    once into the socket's storage
 *   TD_SKIP_OWNER    no owner kept at the owner's own transitions
 *   TD_SKIP_EMIT     no record (nor in-kernel aggregate) of a transition
 *   TD_ACCEPT_RECORDS  a record per accept even where the kernel keeps
 *                    the waits (the build before: -e's path for every run)
 *   TD_CLAIM_ALWAYS  handle_set_state looks an accepted child up in
 *                    `accepted` whether or not an accept ever wrote there */
#ifdef TD_ACCEPT_PROBE
#define TD_ACCEPT_CAST false
#else
#define TD_ACCEPT_CAST true
#endif
#ifdef TD_SKIP_STORAGE
#define TD_DO_STORAGE false
#else
#define TD_DO_STORAGE true
#endif
#ifdef TD_SKIP_OWNER
#define TD_DO_OWNER false
#else
#define TD_DO_OWNER true
#endif
#ifdef TD_SKIP_EMIT
#define TD_DO_EMIT false
#else
#define TD_DO_EMIT true
#endif

/* A TCP state change of a full socket: filter, update its storage (dwell,
 * owner), the hand-offs between full and mini socks, what ended the state,
 * then the record. */
SEC("tp_btf/inet_sock_set_state")
int BPF_PROG(handle_set_state, const struct sock *sk, const int oldstate, const int newstate)
{
	struct trans x = {};
	struct td_tw *tw = NULL;

	if (!fsk_read(&x, sk, oldstate, newstate))
		return 0;
	if (timers_on)
		tw = tw_claim(&x);
	if (!fsk_filter(&x))
		return 0;
	x.now = bpf_ktime_get_ns();
	if (TD_DO_STORAGE)
		fsk_storage(&x);
	fsk_consts(&x, x.info);
	if (x.info) {
		if (timers_on)
			hs_handoff(&x, x.info);
		fsk_dwell(&x, x.info);
		accept_claim(&x, x.info);
		if (TD_DO_OWNER)
			fsk_owner(&x, x.info);
		if (timers_on)
			listener_upkeep(&x, x.info);
	}
	if (tw && tw_take_over(tw, &x))
		return 0;
	connect_marks(&x);
	synack_marks(&x);
	if (close_marks(&x))
		close_hold(&x);
	else if (TD_DO_EMIT)
		fsk_emit(&x);
	return 0;
}

/* A RST this host sends (sk: the socket it is about, or NULL). */
SEC("tp_btf/tcp_send_reset")
int BPF_PROG(handle_send_reset, const struct sock *sk, const struct sk_buff *skb, int reason)
{
	close_rst_sent(sk, (__u32)reason);
	return 0;
}

/* A RST received by a full socket, before its move to CLOSE. */
SEC("tp_btf/tcp_receive_reset")
int BPF_PROG(handle_receive_reset, struct sock *sk)
{
	close_rst_received(sk);
	return 0;
}

/* accept() and accept4() returned: how long the child waited in its
 * listener's queue; the accepter becomes its owner. Classic tracepoints
 * (tracefs), so they fire for these two system calls only. Two flavours:
 * loads through bpf_rdonly_cast, and probe reads for kernels without it
 * (user/hooks.c loads one). */
SEC("tracepoint/syscalls/sys_exit_accept4")
int handle_accept4(struct td_sys_exit *ctx)
{
	return accept_exit(ctx->ret, TD_ACCEPT_CAST);
}

SEC("tracepoint/syscalls/sys_exit_accept")
int handle_accept(struct td_sys_exit *ctx)
{
	return accept_exit(ctx->ret, TD_ACCEPT_CAST);
}

SEC("tracepoint/syscalls/sys_exit_accept4")
int handle_accept4_probe(struct td_sys_exit *ctx)
{
	return accept_exit(ctx->ret, false);
}

SEC("tracepoint/syscalls/sys_exit_accept")
int handle_accept_probe(struct td_sys_exit *ctx)
{
	return accept_exit(ctx->ret, false);
}

/* The timer hooks fire for every kernel timer: the filter is one load and
 * two compares, before anything else. */
SEC("tp_btf/timer_start")
int BPF_PROG(handle_timer_start, struct timer_list *timer)
{
	__u64 fn = (__u64)timer->function;

	if (fn == tw_timer_fn)
		return tw_timer_start(timer);
	if (fn == reqsk_timer_fn)
		return req_timer_start(timer);
	return 0;
}

SEC("tp_btf/timer_cancel")
int BPF_PROG(handle_timer_cancel, struct timer_list *timer)
{
	__u64 fn = (__u64)timer->function;

	if (fn == tw_timer_fn)
		return tw_timer_cancel(timer);
	if (fn == reqsk_timer_fn)
		return req_timer_cancel(timer);
	return 0;
}

SEC("tp_btf/timer_expire_entry")
int BPF_PROG(handle_timer_expire_entry, struct timer_list *timer)
{
	__u64 fn = (__u64)timer->function;

	if (fn == tw_timer_fn)
		return tw_timer_expire(timer);
	if (fn == reqsk_timer_fn)
		return req_timer_expire(timer);
	return 0;
}

SEC("tp_btf/timer_expire_exit")
int BPF_PROG(handle_timer_expire_exit, struct timer_list *timer)
{
	if ((__u64)timer->function == reqsk_timer_fn)
		return req_timer_expired(timer);
	return 0;
}

/* Live sockets per state (and the orphans' settling), run every second;
 * one td_listener record per listener. */
SEC("iter/tcp")
int census_tcp(struct bpf_iter__tcp *ctx)
{
	struct sock_common *skc = ctx->sk_common;

	if (skc && iter_passes(skc))
		census_count(ctx->meta->seq, skc);
	return 0;
}

/* The census of every namespace that shares the caller's socket table in
 * one walk of it, run by userspace with BPF_PROG_TEST_RUN (user/walker.c):
 * args[0] 0 for the ehash, 1 for the listeners' lhash2; args[1] the first
 * bucket; args[2] how many sockets this run may read. */
SEC("raw_tp")
int census_walk(struct bpf_raw_tracepoint_args *ctx)
{
	return walk_run(ctx->args[0], ctx->args[1], ctx->args[2]);
}

/* One td_snap per live socket, with the time in state from a running
 * tracer's maps (shared through bpffs pins): `tcpdwell snapshot`. */
SEC("iter/tcp")
int snapshot_tcp(struct bpf_iter__tcp *ctx)
{
	struct sock_common *skc = ctx->sk_common;
	struct td_snap r = {};

	if (skc && snap_fill(&r, skc, ctx->uid))
		bpf_seq_write(ctx->meta->seq, &r, sizeof(r));
	return 0;
}

/* Run once by a starting tracer over the sockets that exist already. */
SEC("iter/tcp")
int seed_tcp(struct bpf_iter__tcp *ctx)
{
	struct sock_common *skc = ctx->sk_common;

	if (skc)
		seed_one(skc);
	return 0;
}

/* Every process's TCP socket files, once: who holds each socket (the
 * snapshot's PID/COMM, doctor's holders), without reading /proc. */
SEC("iter/task_file")
int holders_file(struct bpf_iter__task_file *ctx)
{
	struct task_struct *task = ctx->task;
	struct file *file = ctx->file;
	struct sock *sk;

	if (task && file && (sk = holders_tcp(task, file)))
		holders_record(ctx->meta->seq, task, sk);
	return 0;
}

/* Run once by a starting tracer, before seed_tcp: the holders of the
 * sockets that exist already, for seed_tcp to make them their owners. */
SEC("iter/task_file")
int seed_owners(struct bpf_iter__task_file *ctx)
{
	struct task_struct *task = ctx->task;
	struct file *file = ctx->file;
	struct sock *sk;

	if (task && file && (sk = holders_tcp(task, file)))
		holders_seed(task, sk);
	return 0;
}
