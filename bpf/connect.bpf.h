/* Why a client's connect ended the way it did. At SYN_SENT -> ESTABLISHED
 * or -> CLOSE the socket still says it: tcp_sock.total_retrans counts the
 * SYNs retransmitted, and sk_err is ECONNREFUSED after a RST (tcp_reset),
 * ETIMEDOUT after the last SYN retry (tcp_write_err), an ICMP error's errno
 * (tcp_v4_err), or 0 when the owner closed it first. */
#ifndef TD_CONNECT_BPF_H
#define TD_CONNECT_BPF_H

#include "fullsk.bpf.h"

static __always_inline __u8 connect_outcome(int newstate, int err)
{
	if (newstate == TCP_ESTABLISHED)
		return TD_CONNECT_ESTABLISHED;
	if (newstate != TCP_CLOSE)
		return TD_CONNECT_NONE; /* simultaneous open: SYN_SENT -> SYN_RECV */
	if (err == TD_ECONNREFUSED)
		return TD_CONNECT_REFUSED;
	if (err == TD_ETIMEDOUT)
		return TD_CONNECT_TIMEOUT;
	return err ? TD_CONNECT_UNREACHABLE : TD_CONNECT_ABORTED;
}

/* The marks of a transition out of SYN_SENT: outcome, SYN retransmits,
 * errno. */
static __always_inline void connect_marks(struct trans *x)
{
	struct tcp_sock *tp;
	__u32 retrans;
	int err;

	if (x->oldstate != TCP_SYN_SENT)
		return;
	err = x->sk->sk_err;
	tp = bpf_skc_to_tcp_sock((void *)x->sk);
	retrans = tp ? tp->total_retrans : 0;
	x->m.connect = connect_outcome(x->newstate, err);
	x->m.retrans = retrans > 255 ? 255 : retrans;
	x->m.error = err > 0 && err < 256 ? err : 0;
}

#endif /* TD_CONNECT_BPF_H */
