/* Why a connection ended, on a full socket's move to CLOSE from a
 * synchronized state: a RST received (tcp_receive_reset fires before the
 * move), a RST sent before it (keepalive timeout, out of memory: the
 * tcp_send_reset tracepoint names the kernel's reason), a timeout (sk_err
 * is ETIMEDOUT), else the orderly FIN exchange. An aborting close()
 * (unread data, SO_LINGER 0) moves to CLOSE first and sends its RST right
 * after on the same CPU (KERNEL-NOTES): that record is held in
 * close_pending until the RST names its reason; one the RST never claims
 * is reported by userspace (user/closesweep.c) without a cause. */
#ifndef TD_CLOSE_BPF_H
#define TD_CLOSE_BPF_H

#include "common.bpf.h"
#include "emit.bpf.h"
#include "fullsk.bpf.h"

/* Records held for their RST, by socket address. Held for microseconds;
 * a full map reports at once, without the reason. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 4096);
	__type(key, __u64);
	__type(value, struct td_event);
} close_pending SEC(".maps");

static __always_inline bool close_synchronized(int state)
{
	return state == TCP_ESTABLISHED || state == TCP_SYN_RECV || state == TCP_FIN_WAIT1 ||
	       state == TCP_FIN_WAIT2 || state == TCP_CLOSE_WAIT || state == TCP_LAST_ACK || state == TCP_CLOSING;
}

/* The kernel's enum sk_rst_reason value as ours, by name: the values
 * differ between kernels, the names do not. */
#define TD_RST_FROM_KERNEL(name, word, kname)                                      \
	if (bpf_core_enum_value_exists(enum sk_rst_reason, kname) &&              \
	    reason == bpf_core_enum_value(enum sk_rst_reason, kname))             \
		return name;

static __always_inline __u8 rst_reason_of(__u32 reason)
{
	TD_RST_REASONS(TD_RST_FROM_KERNEL)
	return TD_RST_OTHER;
}

/* The cause of a move to CLOSE, and the socket's errno. True when the
 * record must be held for the RST that the close() is about to send. */
static __always_inline bool close_marks(struct trans *x)
{
	struct sk_info *info = x->info;
	bool received = info && info->rst_received, sent = info && info->rst_sent;
	int err;

	if (x->reported != TCP_CLOSE)
		return false;
	if (info) {
		info->rst_received = 0;
		info->rst_sent = 0;
	}
	if (!close_synchronized(x->oldstate))
		return false;
	err = x->sk->sk_err;
	x->m.error = err > 0 && err < 256 ? err : 0;
	if (received) {
		x->m.close = TD_CLOSE_RESET_RECEIVED;
	} else if (sent) {
		x->m.close = TD_CLOSE_RESET_SENT;
		x->m.rst_reason = info->rst_reason;
	} else if (err == TD_ETIMEDOUT) {
		x->m.close = TD_CLOSE_TIMEOUT;
	} else if (x->oldstate == TCP_ESTABLISHED || x->oldstate == TCP_CLOSE_WAIT ||
		   x->oldstate == TCP_SYN_RECV) {
		/* No FIN exchange leads here: only an abort, whose RST follows. */
		return true;
	} else {
		x->m.close = TD_CLOSE_NORMAL;
	}
	return false;
}

/* Holds a whole record, filters passed, for close_rst_sent to finish. */
static __always_inline void close_hold(const struct trans *x)
{
	struct td_event ev = {};
	__u64 key = (__u64)x->sk;

	if (!fsk_passes(x) || !filter_states(x->oldstate, x->reported))
		return;
	fill_header(&ev, x->now, x->oldstate, x->reported, x->dwell, &x->m);
	fsk_fill(&ev, x);
	if (bpf_map_update_elem(&close_pending, &key, &ev, BPF_ANY))
		emit_held(&ev);
}

/* A RST sent: it finishes a held record, or marks a socket that will move
 * to CLOSE next (sk may be NULL, a timewait or a request sock). */
static __always_inline void close_rst_sent(const struct sock *sk, __u32 kreason)
{
	__u64 key = (__u64)sk;
	struct td_event *held, ev;
	struct sk_info *info;

	if (!sk)
		return;
	held = bpf_map_lookup_elem(&close_pending, &key);
	if (held) {
		ev = *held;
		/* The delete is the claim: userspace's sweep may race. */
		if (bpf_map_delete_elem(&close_pending, &key))
			return;
		ev.close = TD_CLOSE_RESET_SENT;
		ev.rst_reason = rst_reason_of(kreason);
		emit_held(&ev);
		return;
	}
	if (!close_synchronized(sk->__sk_common.skc_state))
		return;
	info = bpf_sk_storage_get(&sk_infos, (void *)sk, 0, BPF_SK_STORAGE_GET_F_CREATE);
	if (info) {
		info->rst_sent = 1;
		info->rst_reason = rst_reason_of(kreason);
	}
}

static __always_inline void close_rst_received(struct sock *sk)
{
	struct sk_info *info = bpf_sk_storage_get(&sk_infos, sk, 0, BPF_SK_STORAGE_GET_F_CREATE);

	if (info)
		info->rst_received = 1;
}

#endif /* TD_CLOSE_BPF_H */
