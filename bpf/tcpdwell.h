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

/* Every record starts with one of these tags. */
enum td_rec_type {
	TD_REC_TRANSITION = 1,
};

/* td_event.flags */
#define TD_F_PID_KNOWN   0x01 /* pid/comm name the socket's owner */
#define TD_F_DWELL_KNOWN 0x02 /* dwell_ns is the time spent in oldstate */

struct td_event {
	__u8  type;      /* TD_REC_* */
	__u8  family;    /* 4 or 6 */
	__u8  oldstate;  /* enum td_state */
	__u8  newstate;
	__u8  flags;     /* TD_F_* */
	__u8  detail;    /* reserved for mini-socket reasons/outcomes */
	__u16 sport;     /* host byte order */
	__u16 dport;
	__u16 _pad0;
	__u32 pid;       /* owner tgid */
	__u32 netns;     /* network namespace inode */
	__u32 _pad1;
	__u64 ts_ns;     /* CLOCK_MONOTONIC (bpf_ktime_get_ns) */
	__u64 skaddr;
	__u64 dwell_ns;
	__u64 cgroup_id; /* cgroup v2 id of the socket */
	__u8  saddr[16]; /* v4 uses the first 4 bytes, network order */
	__u8  daddr[16];
	char  comm[TD_COMM_LEN];
};

/* port_filter[port] bits: which port lists contain the port. */
#define TD_PORT_LOCAL  0x1
#define TD_PORT_REMOTE 0x2
#define TD_PORT_EITHER 0x4

/* Slots of the per-CPU counter array. */
enum td_counter {
	TD_CNT_EVENTS,     /* transitions that passed the filters */
	TD_CNT_RB_DROPS,   /* ring buffer reservation failures: lost records */
	TD_CNT_NO_STORAGE, /* sk_storage allocation failed: dwell/owner unknown */
	TD_CNT_MAX,
};

#endif /* TCPDWELL_H */
