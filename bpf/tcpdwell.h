/* Shared by bpf/tcpdwell.bpf.c and user/: the ring-buffer record, the filter
 * knobs' encodings and the counter slots. Fixed-width types only; the includer
 * provides __u8..__u64 (vmlinux.h in BPF, <linux/types.h> in userspace). */
#ifndef TCPDWELL_H
#define TCPDWELL_H

#define TD_COMM_LEN 16

/* Kernel TCP states (include/net/tcp_states.h). TIME_WAIT is never reported
 * by inet_sock_set_state for a full socket; see README "What the kernel hides". */
enum td_state {
	TD_ESTABLISHED = 1,
	TD_SYN_SENT,
	TD_SYN_RECV,
	TD_FIN_WAIT1,
	TD_FIN_WAIT2,
	TD_TIME_WAIT,
	TD_CLOSE,
	TD_CLOSE_WAIT,
	TD_LAST_ACK,
	TD_LISTEN,
	TD_CLOSING,
	TD_NEW_SYN_RECV,
	TD_BOUND_INACTIVE,
	TD_MAX_STATES, /* array size: states index directly */
};
/* The kernel side's per-state arrays have this many slots (masked index). */
#define TD_STATE_SLOTS 16
_Static_assert(TD_MAX_STATES <= TD_STATE_SLOTS, "enum td_state outgrew TD_STATE_SLOTS");

/* Every record starts with one of these tags. */
enum td_rec_type {
	TD_REC_TRANSITION = 1,
	TD_REC_SNAPSHOT,   /* one live socket, from the snapshot iterator */
	TD_REC_ACCEPT,     /* one accept(): struct td_accept */
	TD_REC_LISTENER,   /* one listener, from the census iterator: struct td_listener */
	TD_REC_HOLDER,     /* one process holding a TCP socket file: struct td_holder_rec */
};

/* td_event.flags */
#define TD_F_PID_KNOWN   0x01 /* pid/comm name the socket's owner */
#define TD_F_DWELL_KNOWN 0x02 /* dwell_ns is the time spent in oldstate */
#define TD_F_ORPHAN      0x04 /* closed by its owner before the peer's FIN:
				 the kernel finished FIN_WAIT2 in a timewait sock */
#define TD_F_MINI        0x08 /* about a timewait or request sock, seen
				 through its kernel timer */
#define TD_F_INFERRED    0x10 /* the time of this transition was inferred
				 from the timer's expiry, not observed */
#define TD_F_AT_LEAST    0x20 /* dwell_ns (since_ns) is a lower bound: the
				 socket was in this state when tracing began */

/* What ends a state: one list per meaning, each item {value, word}. The
 * enums below and userspace's word tables (user/vocab.c) are both built
 * from these lists, so a new value is one line here; value 0 of each enum
 * is "none". Arrays indexed by a value have _SLOTS entries (a power of two,
 * so the kernel side can mask an index), and the asserts below fail the
 * build when a list outgrows them. */
#define TD_ENUM_ITEM(name, word) name,

/* td_event.tw_end: why a TIME_WAIT (or an orphaned FIN_WAIT2 held by a
 * timewait sock) ended. Every value but EXPIRED is an early end. */
#define TD_TW_ENDS(X) \
	X(TD_TW_EXPIRED, "expired") /* the timewait timer ran out */ \
	X(TD_TW_REUSE, "reuse")     /* the 4-tuple was reused by a new connect() */ \
	X(TD_TW_KILLED, "killed")   /* killed early: RST, or another early end */ \
	X(TD_TW_NETNS, "netns")     /* its network namespace was torn down */

/* td_event.hs_outcome: how a server handshake (a request sock's SYN_RECV)
 * ended. */
#define TD_HS_OUTCOMES(X) \
	X(TD_HS_ESTABLISHED, "established") /* the final ACK came: a child exists */ \
	X(TD_HS_EXPIRED, "expired")         /* the SYN-ACK retries ran out */ \
	X(TD_HS_DROPPED, "dropped")         /* dropped: RST, listener closed, ... */

/* td_event.connect: how a client's connect (its SYN_SENT) ended. */
#define TD_CONNECT_OUTCOMES(X) \
	X(TD_CONNECT_ESTABLISHED, "established") /* the SYN-ACK came */ \
	X(TD_CONNECT_REFUSED, "refused")         /* a RST answered the SYN */ \
	X(TD_CONNECT_TIMEOUT, "timeout")         /* the SYN retries ran out */ \
	X(TD_CONNECT_UNREACHABLE, "unreachable") /* an ICMP error: host or net unreachable, ... */ \
	X(TD_CONNECT_ABORTED, "aborted")         /* the owner closed it first */

/* td_event.close: why a connection ended, on its move to CLOSE from a
 * synchronized state (SYN_RECV, ESTABLISHED and the closing states). */
#define TD_CLOSE_CAUSES(X) \
	X(TD_CLOSE_NORMAL, "normal")                 /* the orderly FIN exchange */ \
	X(TD_CLOSE_RESET_RECEIVED, "reset_received") /* the peer sent a RST */ \
	X(TD_CLOSE_RESET_SENT, "reset_sent")         /* this side sent a RST: td_event.rst_reason */ \
	X(TD_CLOSE_TIMEOUT, "timeout")               /* retransmissions timed out (ETIMEDOUT) */

/* td_event.rst_reason: the kernel's reason for a RST it sent (enum
 * sk_rst_reason, v6.10+, as the tcp_send_reset tracepoint prints it). The
 * kernel's values shift between versions, so the kernel side maps them to
 * these by name (CO-RE); one it does not know is OTHER. The third column
 * is the kernel's enumerator. */
#define TD_RST_REASONS(X) \
	X(TD_RST_NOT_SPECIFIED, "NOT_SPECIFIED", SK_RST_REASON_NOT_SPECIFIED) \
	X(TD_RST_NO_SOCKET, "NO_SOCKET", SK_RST_REASON_NO_SOCKET) \
	X(TD_RST_TCP_INVALID_ACK_SEQUENCE, "TCP_INVALID_ACK_SEQUENCE", SK_RST_REASON_TCP_INVALID_ACK_SEQUENCE) \
	X(TD_RST_TCP_RFC7323_PAWS, "TCP_RFC7323_PAWS", SK_RST_REASON_TCP_RFC7323_PAWS) \
	X(TD_RST_TCP_TOO_OLD_ACK, "TCP_TOO_OLD_ACK", SK_RST_REASON_TCP_TOO_OLD_ACK) \
	X(TD_RST_TCP_ACK_UNSENT_DATA, "TCP_ACK_UNSENT_DATA", SK_RST_REASON_TCP_ACK_UNSENT_DATA) \
	X(TD_RST_TCP_FLAGS, "TCP_FLAGS", SK_RST_REASON_TCP_FLAGS) \
	X(TD_RST_TCP_OLD_ACK, "TCP_OLD_ACK", SK_RST_REASON_TCP_OLD_ACK) \
	X(TD_RST_TCP_ABORT_ON_DATA, "TCP_ABORT_ON_DATA", SK_RST_REASON_TCP_ABORT_ON_DATA) \
	X(TD_RST_TCP_TIMEWAIT_SOCKET, "TCP_TIMEWAIT_SOCKET", SK_RST_REASON_TCP_TIMEWAIT_SOCKET) \
	X(TD_RST_INVALID_SYN, "INVALID_SYN", SK_RST_REASON_INVALID_SYN) \
	X(TD_RST_TCP_ABORT_ON_CLOSE, "TCP_ABORT_ON_CLOSE", SK_RST_REASON_TCP_ABORT_ON_CLOSE) \
	X(TD_RST_TCP_ABORT_ON_LINGER, "TCP_ABORT_ON_LINGER", SK_RST_REASON_TCP_ABORT_ON_LINGER) \
	X(TD_RST_TCP_ABORT_ON_MEMORY, "TCP_ABORT_ON_MEMORY", SK_RST_REASON_TCP_ABORT_ON_MEMORY) \
	X(TD_RST_TCP_STATE, "TCP_STATE", SK_RST_REASON_TCP_STATE) \
	X(TD_RST_TCP_KEEPALIVE_TIMEOUT, "TCP_KEEPALIVE_TIMEOUT", SK_RST_REASON_TCP_KEEPALIVE_TIMEOUT) \
	X(TD_RST_TCP_DISCONNECT_WITH_DATA, "TCP_DISCONNECT_WITH_DATA", SK_RST_REASON_TCP_DISCONNECT_WITH_DATA) \
	X(TD_RST_ERROR, "ERROR", SK_RST_REASON_ERROR) \
	X(TD_RST_OTHER, "OTHER", SK_RST_REASON_MAX) /* a reason this list lacks */
#define TD_RST_ITEM(name, word, kname) name,

enum td_tw_end { TD_TW_NONE = 0, TD_TW_ENDS(TD_ENUM_ITEM) TD_TW_END_MAX };
enum td_hs_outcome { TD_HS_NONE = 0, TD_HS_OUTCOMES(TD_ENUM_ITEM) TD_HS_MAX };
enum td_connect_outcome { TD_CONNECT_NONE = 0, TD_CONNECT_OUTCOMES(TD_ENUM_ITEM) TD_CONNECT_MAX };
enum td_close_cause { TD_CLOSE_NONE = 0, TD_CLOSE_CAUSES(TD_ENUM_ITEM) TD_CLOSE_MAX };
/* Unlike the others, value 0 is a reason (NOT_SPECIFIED): rst_reason is
 * read only with close == TD_CLOSE_RESET_SENT. */
enum td_rst_reason { TD_RST_REASONS(TD_RST_ITEM) TD_RST_MAX };

#define TD_TW_END_SLOTS  8
#define TD_HS_SLOTS      8
#define TD_CONNECT_SLOTS 8
#define TD_CLOSE_SLOTS   8
#define TD_RST_SLOTS     32
#define TD_ASSERT_SLOTS(max, slots) \
	_Static_assert((max) <= (slots), #max " outgrew " #slots); \
	_Static_assert(((slots) & ((slots) - 1)) == 0, #slots ": a power of two")
TD_ASSERT_SLOTS(TD_TW_END_MAX, TD_TW_END_SLOTS);
TD_ASSERT_SLOTS(TD_HS_MAX, TD_HS_SLOTS);
TD_ASSERT_SLOTS(TD_CONNECT_MAX, TD_CONNECT_SLOTS);
TD_ASSERT_SLOTS(TD_CLOSE_MAX, TD_CLOSE_SLOTS);
TD_ASSERT_SLOTS(TD_RST_MAX, TD_RST_SLOTS);

struct td_event {
	__u8  type;      /* TD_REC_* */
	__u8  family;    /* 4 or 6 */
	__u8  oldstate;  /* enum td_state */
	__u8  newstate;
	__u8  flags;     /* TD_F_* */
	__u8  tw_end;    /* enum td_tw_end, on TIME_WAIT (orphan FIN_WAIT2) -> CLOSE */
	__u16 sport;     /* host byte order */
	__u16 dport;
	__u8  hs_outcome; /* enum td_hs_outcome, on a request sock's SYN_RECV -> CLOSE
			     and a child's SYN_RECV -> ESTABLISHED */
	__u8  connect;   /* enum td_connect_outcome, on every SYN_SENT -> * */
	__u32 pid;       /* owner tgid */
	__u32 netns;     /* network namespace inode */
	__u8  retrans;   /* handshake segments this side retransmitted (at most 255):
			    SYNs on a SYN_SENT exit, SYN-ACKs on a SYN_RECV exit */
	__u8  error;     /* the socket's errno (sk_err) at the transition; 0: none */
	__u8  close;     /* enum td_close_cause, on a move to CLOSE from a synchronized state */
	__u8  rst_reason; /* enum td_rst_reason, with close == TD_CLOSE_RESET_SENT */
	__u64 ts_ns;     /* CLOCK_MONOTONIC (bpf_ktime_get_ns) */
	__u64 skaddr;
	__u64 dwell_ns;
	__u64 cgroup_id; /* cgroup v2 id of the socket */
	__u8  saddr[16]; /* v4 uses the first 4 bytes, network order */
	__u8  daddr[16];
	char  comm[TD_COMM_LEN];
};
_Static_assert(sizeof(struct td_event) == 104, "td_event is the ring buffer's ABI");

/* One accept() that returned a TCP socket: how long the child waited in
 * its listener's accept queue, from its SYN_RECV -> ESTABLISHED (when the
 * kernel queued it) to the accept's return. sport is the child's local
 * port, which is the listener's port. */
struct td_accept {
	__u8  type;      /* TD_REC_ACCEPT */
	__u8  family;    /* 4 or 6 */
	__u8  flags;     /* TD_F_PID_KNOWN (always); TD_F_DWELL_KNOWN: wait_ns is
			    known (not for a child queued before tracing began) */
	__u8  _pad0;
	__u16 sport;     /* host byte order: the listener's port */
	__u16 dport;
	__u32 pid;       /* the accepting process (tgid) */
	__u32 netns;
	__u64 ts_ns;     /* CLOCK_MONOTONIC at the accept's return */
	__u64 wait_ns;
	__u64 cgroup_id; /* cgroup v2 id of the socket */
	__u8  saddr[16]; /* network order, v4 in the first 4 bytes */
	__u8  daddr[16];
	char  comm[TD_COMM_LEN];
};
_Static_assert(sizeof(struct td_accept) == 88, "td_accept is the ring buffer's ABI");

/* An address filter: addr & mask == net, word by word (network order). A
 * v4 filter uses word 0 and matches only IPv4 sockets. */
struct td_cidr {
	__u32 net[4];
	__u32 mask[4];
	__u32 family; /* 0: off, 4 or 6 */
};

/* port_filter[port] bits: which port lists contain the port. */
#define TD_PORT_LOCAL  0x1
#define TD_PORT_REMOTE 0x2
#define TD_PORT_EITHER 0x4

/* The filters, the one definition both sides read: userspace fills it
 * (user/filter.c) into the kernel side's read-only data before load, and
 * applies the same rule to what it reports itself. Zero fields are off. The
 * port lists are a separate 64 KiB table of TD_PORT_* bits, read only when
 * a port flag is set. */
struct td_filter {
	struct td_cidr laddr;  /* -A */
	struct td_cidr raddr;  /* -R */
	__u64 cgroup_id;       /* -c: cgroup v2 id */
	__u32 tgid;            /* -p: owner */
	__u32 states;          /* -s: bit per enum td_state, old or new state */
	__u8  family;          /* -4/-6: 4 or 6 */
	__u8  lport;           /* -L: port_filter[] has TD_PORT_LOCAL bits */
	__u8  rport;           /* -D: TD_PORT_REMOTE */
	__u8  either;          /* -P: TD_PORT_EITHER */
	__u32 netns;           /* -N: network namespace inode */
};

/* One listening socket, as the census iterator writes it: the SYNs its
 * queues dropped since it was created (the kernel's sk_drops: a full
 * accept queue and a full SYN queue count alike), and its accept queue. */
struct td_listener {
	__u8  type;        /* TD_REC_LISTENER */
	__u8  family;      /* 4 or 6 */
	__u16 port;
	__u32 netns;
	__u32 drops;       /* sk_drops */
	__u32 backlog;     /* sk_ack_backlog: children waiting for accept() */
	__u32 max_backlog; /* sk_max_ack_backlog: listen()'s backlog, capped by somaxconn */
	__u32 _pad;
	__u64 skaddr;
	__u8  addr[16];
};

/* One live socket, as the snapshot iterator (iter/tcp) writes it. */
struct td_snap {
	__u8  type;      /* TD_REC_SNAPSHOT */
	__u8  family;    /* 4 or 6 */
	__u8  state;     /* enum td_state; a timewait sock's substate */
	__u8  flags;     /* TD_F_PID_KNOWN, TD_F_AT_LEAST, TD_F_ORPHAN, TD_F_MINI;
			    TD_F_DWELL_KNOWN: since_ns is set */
	__u16 sport;
	__u16 dport;
	__u32 pid;       /* owner seen by a running tracer */
	__u32 uid;
	__u64 ino;       /* socket inode (full sockets with a file), for ss -p style lookups */
	__u64 since_ns;  /* entered its state (CLOCK_MONOTONIC) */
	__u8  saddr[16];
	__u8  daddr[16];
	char  comm[TD_COMM_LEN];
	__u32 netns;     /* network namespace inode */
	__u32 _pad;
	__u64 cgroup_id; /* cgroup v2 id of the socket; a request sock's
			    listener's; a timewait sock's only with -T; 0: unknown */
};

/* The holder of a socket's file found in /proc by a starting tracer (as
 * ss -p finds it), keyed by socket inode in seed_holders: seeding gives it
 * to the sockets that existed before the start (where the kernel cannot
 * walk open files: seed_owners writes owners directly). */
struct td_seed_holder {
	__u32 pid;
	char  comm[TD_COMM_LEN];
};

/* One process that holds a TCP socket's file, from the holders iterator
 * (iter/task_file); a socket held by several processes has one each. */
struct td_holder_rec {
	__u8  type;  /* TD_REC_HOLDER */
	__u8  _pad[3];
	__u32 pid;   /* the holder's tgid */
	__u64 ino;   /* the socket's inode, as td_snap.ino */
	char  comm[TD_COMM_LEN];
};

/* seed_holders' size: the TCP socket files a starting tracer may find the
 * holders of (entries are allocated as they come, and freed after). */
#define TD_SEED_HOLDERS_MAX (1 << 22)

/* Slots of the per-CPU counter array. */
enum td_counter {
	TD_CNT_RB_DROPS,   /* ring buffer reservation failures: lost records */
	TD_CNT_NO_STORAGE, /* sk_storage allocation failed: dwell/owner unknown */
	TD_CNT_MINI_FULL,  /* timewait map full: that timewait sock untracked */
	TD_CNT_MAX,
};

/* The census of live sockets (iter/tcp) counts per state, indexed by
 * enum td_state, plus this slot: the FIN_WAIT2 ones that are orphaned and
 * held by a timewait sock (also counted under FIN_WAIT2, as ss shows them).
 * Request socks count under NEW_SYN_RECV. */
#define TD_CENSUS_ORPHANS TD_MAX_STATES
#define TD_CENSUS_MAX     (TD_MAX_STATES + 1)

/* The census by a direct walk of the socket hash tables (bpf/walk.bpf.h,
 * user/walker.c): counts per namespace inode in TD_CENSUS_* slots; at most
 * TD_WALK_NETNS namespaces and TD_WALK_LISTENERS listeners per census (past
 * them the census falls back to the iterators), chains of TD_WALK_CHAIN;
 * one run reads at most TD_WALK_BUCKETS buckets, and starts no new bucket
 * past TD_WALK_SOCKETS sockets. */
struct td_walk_counts {
	__u64 c[16];
};
#define TD_WALK_NETNS     4096
#define TD_WALK_LISTENERS 4096
#define TD_WALK_CHAIN     4096
#define TD_WALK_BUCKETS   (1 << 18) /* per run: a run holds its CPU well under 1 ms */
#define TD_WALK_SOCKETS   (1 << 16)
#define TD_WALK_BATCH     64 /* buckets whose sockets are loaded together (walk.bpf.h) */
_Static_assert(TD_CENSUS_MAX <= 16, "TD_CENSUS_MAX outgrew struct td_walk_counts");

/* A connection's identity: addresses in network order, ports in host order. */
struct td_tuple {
	__u8  saddr[16];
	__u8  daddr[16];
	__u16 sport;
	__u16 dport;
	__u32 netns;
	__u16 family; /* 4 or 6 */
	__u16 _pad;
};

/* What the kernel side keeps for each timewait sock (keyed by address). */
struct td_tw {
	struct td_tuple t;  /* family and ports always; the rest if tuple_known */
	__u64 start_ns;     /* entered TIME_WAIT (or the orphaned FIN_WAIT2) */
	__u64 cgroup_id;
	__u32 pid;
	__u8  owner_known;
	__u8  substate;     /* TD_TIME_WAIT or TD_FIN_WAIT2 (orphan) */
	__u8  start_known;  /* 0, TW_START_KNOWN, or TW_START_AT_LEAST: seeded at
			       start, start_ns is a lower bound */
	__u8  tuple_known;  /* copied from the full socket at the handoff */
	char  comm[TD_COMM_LEN];
};

#define TW_START_KNOWN    1
#define TW_START_AT_LEAST 2

/* A timewait timer cancel not yet explained by an expiry or a re-arm on the
 * same CPU; if nothing follows, the timewait sock was killed early. */
struct td_tw_pending {
	__u64 tw;         /* address of the timewait sock, 0: none */
	__u64 cancel_ns;
	__u32 tw_end;     /* TD_TW_KILLED or TD_TW_NETNS */
	__u32 _pad;
};

/* A request sock's timer between expire_entry and expire_exit. */
struct td_req_expiring {
	__u64 timer;
	__u64 listener;
	__u64 syn_ns;        /* its SYN's time (reqsk.bpf.h); 0: unknown */
	__u32 rearmed;       /* re-armed inside: a SYN-ACK retransmit */
	__u32 listener_gone; /* the listener was no longer listening */
	__u8  retrans;       /* SYN-ACKs retransmitted so far */
	__u8  _pad[7];
	struct td_tuple t;
};

/* The final ACK, in one softirq on one CPU (tcp_v4_rcv, TCP_NEW_SYN_RECV):
 * the child's LISTEN->SYN_RECV, then the request's timer cancel, then the
 * child's SYN_RECV->ESTABLISHED. The request's SYN time rides along here. */
struct td_handshake {
	__u64 child;    /* the child socket */
	__u64 syn_ns;   /* its request sock's SYN time; 0 until its timer cancel */
	__u32 ports;    /* skc_portpair of the child */
	__u32 _pad;
};

/* Per-CPU scratch of the kernel side; userspace reads tw_pending. */
struct td_scratch {
	struct td_tw_pending tw_pending;
	__u64 tw_handoff;
	struct td_req_expiring req;
	struct td_handshake hs;
};

/* Log-linear (HDR-style) histogram layout, one definition for userspace
 * (user/hist.c) and the in-kernel aggregation: values below 64 are exact,
 * above that each power of two has 64 equal buckets. */
#define TD_HIST_SUB_BITS 6
#define TD_HIST_SUB (1u << TD_HIST_SUB_BITS)
#define TD_HIST_NBUCKETS (TD_HIST_SUB + (64 - TD_HIST_SUB_BITS) * TD_HIST_SUB)

/* Index of the highest set bit of v (v != 0), without builtins BPF lacks. */
static inline unsigned int td_msb64(__u64 v)
{
	unsigned int r = 0;

	if (v >> 32) { v >>= 32; r += 32; }
	if (v >> 16) { v >>= 16; r += 16; }
	if (v >> 8) { v >>= 8; r += 8; }
	if (v >> 4) { v >>= 4; r += 4; }
	if (v >> 2) { v >>= 2; r += 2; }
	if (v >> 1) r += 1;
	return r;
}

static inline unsigned int td_hist_index(__u64 v)
{
	unsigned int e;

	if (v < TD_HIST_SUB)
		return (unsigned int)v;
	e = td_msb64(v); /* >= TD_HIST_SUB_BITS */
	/* The top TD_HIST_SUB_BITS+1 bits of v are 64..127: sub-bucket + 64. */
	return TD_HIST_SUB + (e - TD_HIST_SUB_BITS) * TD_HIST_SUB +
	       (unsigned int)((v >> (e - TD_HIST_SUB_BITS)) - TD_HIST_SUB);
}

/* Whether a transition's old state has a dwell to report: CLOSE before
 * connect()/listen() has none, nor a child's LISTEN (it never listened). */
static inline int td_has_dwell(int oldstate, int newstate)
{
	if (oldstate == TD_CLOSE)
		return 0;
	if (oldstate == TD_LISTEN && newstate == TD_SYN_RECV)
		return 0;
	return 1;
}

/* --kernel-agg: per-CPU histograms (one per state, then SYN_SENT's again
 * per connect outcome) and counters. */
#define TD_KHIST_CONNECT(outcome) (TD_STATE_SLOTS + (outcome))
#define TD_KHIST_MAX (TD_STATE_SLOTS + TD_CONNECT_SLOTS)
struct td_khist {
	__u64 count;
	__u64 sum;
	__u64 min;
	__u64 max;
	__u64 buckets[TD_HIST_NBUCKETS];
};

/* Accept-queue waits are kept per listener port for at most this many
 * ports, in the kernel (--kernel-agg) and in userspace alike; later ports
 * count under "other". */
#define TD_ACCEPT_PORTS 16
#define TD_ACCEPT_OTHER TD_ACCEPT_PORTS /* the slot of every later port */

/* --kernel-agg: one listener port's accept waits (per CPU); unknown counts
 * the accepts whose queue entry was not seen. */
struct td_kaccept {
	struct td_khist h;
	__u64 unknown;
};

struct td_kcounts {
	__u64 events;
	__u64 orphans;
	__u64 trans[TD_STATE_SLOTS][TD_STATE_SLOTS]; /* [old][new] */
	__u64 unknown[TD_STATE_SLOTS];               /* dwell unknown, per old state */
	__u64 tw_ends[TD_TW_END_SLOTS];    /* enum td_tw_end */
	__u64 hs_outcomes[TD_HS_SLOTS];    /* enum td_hs_outcome */
	__u64 connects[TD_CONNECT_SLOTS];  /* enum td_connect_outcome */
	__u64 syn_retransmitted;           /* connects with at least one SYN retransmitted */
	__u64 syn_retrans;                 /* SYN retransmits, summed */
	__u64 synack_retrans;              /* SYN-ACK retransmits of handshakes, summed */
	__u64 closes[TD_CLOSE_SLOTS];      /* enum td_close_cause */
	__u64 resets_sent[TD_RST_SLOTS];   /* enum td_rst_reason, of closes by a RST sent */
};

#endif /* TCPDWELL_H */
