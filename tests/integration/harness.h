/* Integration-test harness: runs the real tracer in-process and makes
 * loopback connections whose timing the test controls. */
#ifndef TD_HARNESS_H
#define TD_HARNESS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <linux/types.h>
#include "tcpdwell.h"
#include "agg.h"
#include "opts.h"
#include "tracer.h"

struct capture {
	struct td_tracer *tracer;
	struct td_event *ev;
	size_t n, cap;
	struct td_accept *acc; /* accept records */
	size_t nacc, capacc;
};

/* Skips the test outside CI without root; fails it in CI (CI=true). */
void require_root(void);

uint64_t now_ns(void);
void sleep_ms(unsigned ms);
/* max(5 ms, 3%) of the expected value, the tolerance. */
uint64_t tolerance_ns(uint64_t expected);
/* Moves this test process into a new network namespace with lo up, so that
 * sysctls, routes and sockets are its own. */
void enter_netns(void);
/* lo up in the calling process's namespace, without asserting (for forked
 * children): 0 or -errno. */
int lo_up(void);
/* `ss -tan` inside pid's namespace, counted per enum td_state. */
void ss_counts(pid_t pid, uint64_t c[TD_MAX_STATES]);
/* A TcpExt counter of this network namespace (/proc/net/netstat), the
 * kernel's own count: TCPSynRetrans (SYNs and SYN-ACKs retransmitted),
 * ListenDrops (SYNs a listener dropped), ... */
uint64_t tcpext_counter(const char *name);
/* Writes a sysctl (of the current network namespace, for net.*). */
void sysctl_set(const char *path, const char *value);

/* The cgroup v2 hierarchy: an existing mount, or one made for the test. */
const char *cgroup2_root(void);

/* A dwell chosen at random in [lo, hi) ms, so scenarios differ run to run. */
unsigned pick_ms(unsigned lo, unsigned hi);

/* A default config with -P port (either side) when port != 0. */
void config_for_port(struct td_config *cfg, uint16_t port);
/* The same, limited to the test's own namespace (-N): what a test whose
 * sockets all live in its own namespace should use. Tests run two at a
 * time, most in a namespace of their own, and two namespaces can pick the
 * same free port: counts by port alone would add the other test's sockets
 * (and those of dying namespaces that still hold TIME_WAITs). */
void config_for_port_here(struct td_config *cfg, uint16_t port);
/* Starts the tracer or fails the test. */
void capture_start(struct capture *c, const struct td_config *cfg);
/* Polls until at least `want` events are held or timeout; returns the count. */
size_t capture_wait(struct capture *c, size_t want, unsigned timeout_ms);
/* The same for accept records. */
size_t capture_wait_accepts(struct capture *c, size_t want, unsigned timeout_ms);
void capture_stop(struct capture *c);

/* Asserts that `got` of the `want` expected transitions arrived, or that
 * the kernel's recursion misses of this tracer account for the rest (a
 * softirq that interrupts the program on its CPU is skipped, and counted:
 * parallel tests make that possible). Nothing may be missing silently. */
void assert_all_seen(struct capture *c, size_t got, size_t want, const char *what);

/* Events of one socket, selected by its local and remote ports. find_event
 * returns the earliest in time of the matching transitions: a ring per CPU
 * delivers records out of order across CPUs, and a reused tuple repeats. */
const struct td_event *find_event(const struct capture *c, uint16_t lport, uint16_t rport,
				  int oldstate, int newstate);
/* find_event, polling the capture until the transition shows up or
 * timeout_ms pass (NULL then). A record's pointer stays valid until the
 * capture outgrows its first 4,096 records. */
const struct td_event *await_event(struct capture *c, uint16_t lport, uint16_t rport, int oldstate, int newstate,
				  unsigned timeout_ms);
size_t count_events(const struct capture *c, uint16_t lport, uint16_t rport);

/* Tests of suite `suite` named name_v4 and name_v6 that call name(4) and
 * name(6). */
#define BOTH_FAMILIES(suite, name, timeout_s)                                             \
	Test(suite, name##_v4, .init = require_root, .timeout = timeout_s) { name(4); } \
	Test(suite, name##_v6, .init = require_root, .timeout = timeout_s) { name(6); }

/* The loopback address of family (4 or 6) with port, in ss; its length. */
socklen_t loopback(int family, uint16_t port, struct sockaddr_storage *ss);
/* Sockets on loopback; family is 4 or 6. Port 0 picks an ephemeral one. */
int tcp_listen(int family, uint16_t *port, int backlog);
int tcp_connect(int family, uint16_t port);
/* A connection from src (an address of lo: 127.0.0.0/8 is all local), port
 * sport (0: any), to 127.0.0.1:port; -1 when bind or connect fails. */
int tcp_connect_from(const char *src, uint16_t sport, uint16_t port);
/* A free loopback port (bound then released). */
uint16_t free_port(int family);
uint16_t local_port(int fd);

/* A bare SYN from saddr:sport to daddr:dport (IPv4, a raw socket): the
 * test then decides where the SYN-ACK goes (a port with no socket answers
 * RST). */
void send_syn(const char *saddr, const char *daddr, uint16_t sport, uint16_t dport);
/* A listener on 10.200.0.1, the address of a veth (made in the caller's
 * namespace, which must be the test's own) whose peer is down: a SYN from
 * 10.200.0.2 (send_syn) gets a request sock whose SYN-ACKs are lost, so it
 * lives on, retransmitting. (From a 127/8 source the SYN-ACK could not be
 * routed off loopback at all, and the request would never be queued.)
 * Returns the listener; *port is its port. */
int lossy_listener(uint16_t *port);

/* A forked helper process; its reports come back through a pipe. */
struct child {
	pid_t pid;
	int fd; /* read end */
};
/* Runs fn(arg, write_fd) in a child that exits with fn's return value. */
void child_start(struct child *ch, int (*fn)(void *arg, int wfd), void *arg);
/* Reads one u64 the child wrote with report_u64(); fails on timeout. */
uint64_t child_read_u64(struct child *ch);
void report_u64(int wfd, uint64_t v);
/* Waits for the child and asserts it exited 0. */
void child_wait(struct child *ch);

/* A server for one connection: accept, read to EOF, (wait for a byte on
 * go_fd if >= 0), hold, close. It reports three times, read them with
 * hold_server_times(): EOF read, close() called, close() returned. */
struct hold_args {
	int lfd;
	unsigned hold_ms;
	int go_fd;
};
struct hold_times {
	uint64_t eof, close0, close1;
};
int hold_server(void *arg, int wfd);
void hold_server_times(struct child *ch, struct hold_times *t);

/* The ./tcpdwell binary (TCPDWELL_BIN overrides) run as a user would. */
struct run {
	pid_t pid;
	FILE *out;  /* stdout, a temporary file */
	int errfd;  /* stderr, a pipe */
	char err[4096];
	size_t errlen;
};

const char *td_binary(void);
/* Starts it with args (NULL-terminated, no argv[0]); drop_to_uid >= 0 runs
 * it as that user. stdout goes to a temporary file, stderr to a pipe. */
void run_start(struct run *r, char *const *args, int drop_to_uid);
/* The same as nobody under setpriv with only caps ("+bpf,+perfmon") in the
 * inheritable, ambient and bounding sets. */
void run_start_caps(struct run *r, char *const *args, const char *caps);
/* The same as root with stdout on outfd, or closed for -1; r->out is NULL. */
void run_start_out(struct run *r, char *const *args, int outfd);
/* Reads stderr until needle shows up, EOF or the timeout; 1 if found. */
int run_wait_stderr(struct run *r, const char *needle, int timeout_ms);
/* Sends sig (if not 0), reads the rest of stderr, waits: exit status. */
int run_finish(struct run *r, int sig);
/* A JSON line's "key": 1 with *v set, 0 for null, -1 if absent. */
int json_u64(const char *line, const char *key, uint64_t *v);
int json_is(const char *line, const char *key, const char *val);

#endif
