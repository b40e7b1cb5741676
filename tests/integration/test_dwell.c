/* Dwell times against ground truth the test makes: each scenario holds a
 * state for a time it chooses and brackets the transitions with its own
 * CLOCK_MONOTONIC readings, the clock bpf_ktime_get_ns() uses. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <string.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>
#include <criterion/criterion.h>
#include "harness.h"

static void assert_dwell(const struct td_event *e, uint64_t expected, uint64_t lo, uint64_t hi,
			 const char *what)
{
	uint64_t tol = tolerance_ns(expected), d;

	cr_assert_not_null(e, "%s: transition not seen", what);
	cr_assert(e->flags & TD_F_DWELL_KNOWN, "%s: dwell unknown", what);
	d = e->dwell_ns;
	cr_assert(d + tol >= expected && d <= expected + tol,
		  "%s: dwell %.3f ms, expected %.3f ms +- %.3f ms", what, d / 1e6, expected / 1e6, tol / 1e6);
	cr_assert(d >= lo && d <= hi, "%s: dwell %.3f ms outside the bracket [%.3f, %.3f] ms", what,
		  d / 1e6, lo / 1e6, hi / 1e6);
}

/* ESTABLISHED held by the client for a chosen time before close(). */
static void established(int family)
{
	struct td_config cfg;
	struct capture c;
	struct child srv;
	struct hold_args sa = { .hold_ms = 0, .go_fd = -1 };
	uint16_t port = 0, cport;
	uint64_t t0, t1, t2, t3;
	unsigned hold = pick_ms(150, 450);
	int fd;

	sa.lfd = tcp_listen(family, &port, 16);
	config_for_port_here(&cfg, port);
	capture_start(&c, &cfg);
	child_start(&srv, hold_server, &sa);

	t0 = now_ns();
	fd = tcp_connect(family, port);
	t1 = now_ns();
	cport = local_port(fd);
	sleep_ms(hold);
	t2 = now_ns();
	close(fd);
	t3 = now_ns();
	child_wait(&srv);
	capture_wait(&c, 10, 3000);

	assert_dwell(find_event(&c, cport, port, TD_ESTABLISHED, TD_FIN_WAIT1), t2 - t1, t2 - t1, t3 - t0,
		     "client ESTABLISHED");
	capture_stop(&c);
	close(sa.lfd);
}

/* CLOSE_WAIT held by a server that delays its close() after the client's FIN. */
static void close_wait(int family)
{
	struct td_config cfg;
	struct capture c;
	struct child srv;
	struct hold_args sa = { .hold_ms = pick_ms(150, 450), .go_fd = -1 };
	uint16_t port = 0, cport;
	uint64_t t0, t_eof, t_close0, t_close1;
	int fd;

	sa.lfd = tcp_listen(family, &port, 16);
	config_for_port_here(&cfg, port);
	capture_start(&c, &cfg);
	child_start(&srv, hold_server, &sa);

	fd = tcp_connect(family, port);
	cport = local_port(fd);
	t0 = now_ns();
	close(fd);
	t_eof = child_read_u64(&srv);
	t_close0 = child_read_u64(&srv);
	t_close1 = child_read_u64(&srv);
	child_wait(&srv);
	capture_wait(&c, 10, 3000);

	assert_dwell(find_event(&c, port, cport, TD_CLOSE_WAIT, TD_LAST_ACK), t_close0 - t_eof,
		     t_close0 - t_eof, t_close1 - t0, "server CLOSE_WAIT");
	capture_stop(&c);
	close(sa.lfd);
}

static int tcp_state(int fd)
{
	struct tcp_info ti;
	socklen_t len = sizeof(ti);

	cr_assert_eq(getsockopt(fd, IPPROTO_TCP, TCP_INFO, &ti, &len), 0);
	return ti.tcpi_state;
}

/* FIN_WAIT2 held by a client that shut down its side while the server delays
 * its close(): the client sits in FIN_WAIT2 until the server's FIN. The
 * server ACKs the FIN when its delayed-ACK timer fires, so the test watches
 * TCP_INFO for FIN_WAIT2 and only then lets the server start its hold. */
static void fin_wait2(int family)
{
	struct td_config cfg;
	struct capture c;
	struct child srv;
	struct hold_args sa = { .hold_ms = pick_ms(150, 450) };
	const struct td_event *fw1, *fw2;
	uint16_t port = 0, cport;
	uint64_t t_shut0, t_fw2, t_close0, t_close1, give_up;
	int fd, go[2];

	cr_assert_eq(pipe(go), 0);
	sa.go_fd = go[0];
	sa.lfd = tcp_listen(family, &port, 16);
	config_for_port_here(&cfg, port);
	capture_start(&c, &cfg);
	child_start(&srv, hold_server, &sa);

	fd = tcp_connect(family, port);
	cport = local_port(fd);
	t_shut0 = now_ns();
	cr_assert_eq(shutdown(fd, SHUT_WR), 0);
	give_up = t_shut0 + 2000000000ull;
	while (tcp_state(fd) != TCP_FIN_WAIT2) {
		cr_assert_lt(now_ns(), give_up, "client never reached FIN_WAIT2");
		usleep(50);
	}
	t_fw2 = now_ns();
	cr_assert_eq(write(go[1], "g", 1), 1);
	(void)child_read_u64(&srv);
	t_close0 = child_read_u64(&srv);
	t_close1 = child_read_u64(&srv);
	child_wait(&srv);
	capture_wait(&c, 10, 3000);
	close(fd);

	fw1 = find_event(&c, cport, port, TD_FIN_WAIT1, TD_FIN_WAIT2);
	/* shutdown() keeps the socket: the FIN moves it into TIME_WAIT, which
	 * the tracepoint shows as CLOSE (without --timers). */
	fw2 = find_event(&c, cport, port, TD_FIN_WAIT2, TD_CLOSE);
	cr_assert_not_null(fw1, "client FIN_WAIT1 -> FIN_WAIT2 not seen");
	cr_assert_leq(fw1->dwell_ns, t_fw2 - t_shut0, "FIN_WAIT1 outlasted the test's observation");
	assert_dwell(fw2, t_close0 - t_fw2, t_close0 - t_fw2, t_close1 - t_shut0, "client FIN_WAIT2");
	capture_stop(&c);
	close(sa.lfd);
	close(go[0]);
	close(go[1]);
}

/* SYN_SENT of about 1 s: the listener's accept queue is full, so the first
 * SYN is dropped and the client retransmits after the initial RTO (1 s). */
static void syn_sent(int family)
{
	struct td_config cfg;
	struct capture c;
	struct sockaddr_storage ss;
	socklen_t sl = sizeof(ss);
	struct pollfd pfd;
	uint16_t port = 0, bport;
	uint64_t t0, t1;
	int lfd, a, b, acc, soerr = 0;
	socklen_t el = sizeof(soerr);
	const struct td_event *e;

	lfd = tcp_listen(family, &port, 0);
	a = tcp_connect(family, port); /* fills the accept queue */
	sleep_ms(20);
	config_for_port_here(&cfg, port);
	capture_start(&c, &cfg);

	b = socket(family == 4 ? AF_INET : AF_INET6, SOCK_STREAM | SOCK_NONBLOCK, 0);
	cr_assert_geq(b, 0);
	cr_assert_eq(getpeername(a, (struct sockaddr *)&ss, &sl), 0);
	t0 = now_ns();
	cr_assert(connect(b, (struct sockaddr *)&ss, sl) < 0 && errno == EINPROGRESS,
		  "connect should be in progress: %s", strerror(errno));
	sleep_ms(pick_ms(100, 400));
	acc = accept(lfd, NULL, NULL); /* room for the retransmitted SYN */
	cr_assert_geq(acc, 0);
	pfd = (struct pollfd){ .fd = b, .events = POLLOUT };
	cr_assert_eq(poll(&pfd, 1, 10000), 1, "retransmitted SYN never completed");
	t1 = now_ns();
	cr_assert_eq(getsockopt(b, SOL_SOCKET, SO_ERROR, &soerr, &el), 0);
	cr_assert_eq(soerr, 0, "connect failed: %s", strerror(soerr));
	bport = local_port(b);
	capture_wait(&c, 1, 2000);

	e = find_event(&c, bport, port, TD_SYN_SENT, TD_ESTABLISHED);
	assert_dwell(e, t1 - t0, 0, t1 - t0, "client SYN_SENT");
	cr_assert_geq(e->dwell_ns, 900000000ull, "SYN_SENT %.3f ms: the first SYN was not dropped",
		      e->dwell_ns / 1e6);
	/* ... and the record says why: one SYN retransmitted, then established. */
	cr_assert_eq(e->connect, TD_CONNECT_ESTABLISHED, "connect outcome %u", e->connect);
	cr_assert_eq(e->retrans, 1, "syn_retrans %u", e->retrans);
	cr_assert_eq(e->error, 0);
	capture_stop(&c);
	close(a);
	close(b);
	close(acc);
	close(lfd);
}

BOTH_FAMILIES(dwell, established, 30)
BOTH_FAMILIES(dwell, close_wait, 30)
BOTH_FAMILIES(dwell, fin_wait2, 30)
BOTH_FAMILIES(dwell, syn_sent, 30)
