/* How connects end, against ground truth the test makes: a closed port
 * (refused), a full accept queue in a namespace whose tcp_syn_retries the
 * test lowers (timeout), and a connect the owner closes first (aborted).
 * The 1 s retransmitted SYN that then succeeds is in test_dwell.c. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>
#include <criterion/criterion.h>
#include "harness.h"

/* A blocking connect to port; returns its errno (0: connected) and the
 * socket's local port, with the call bracketed by t0 and t1. */
static int timed_connect(int family, uint16_t port, int *fd, uint64_t *t0, uint64_t *t1)
{
	struct sockaddr_storage ss;
	socklen_t sl = loopback(family, port, &ss);
	int rc, err;

	*fd = socket(family == 4 ? AF_INET : AF_INET6, SOCK_STREAM, 0);
	cr_assert_geq(*fd, 0);
	*t0 = now_ns();
	rc = connect(*fd, (struct sockaddr *)&ss, sl);
	err = rc ? errno : 0;
	*t1 = now_ns();
	return err;
}

/* The one SYN_SENT -> CLOSE of the test's connect, whose local port the
 * test cannot learn from a failed socket: the only one towards port. */
static const struct td_event *failed_connect(const struct capture *c, uint16_t port)
{
	const struct td_event *found = NULL;

	for (size_t i = 0; i < c->n; i++) {
		const struct td_event *e = &c->ev[i];

		if (e->dport == port && e->oldstate == TD_SYN_SENT && e->newstate == TD_CLOSE) {
			cr_assert_null(found, "two connects ended towards port %u", port);
			found = e;
		}
	}
	cr_assert_not_null(found, "no SYN_SENT -> CLOSE towards port %u", port);
	return found;
}

static void assert_connect(const struct td_event *e, int outcome, int err, unsigned retrans, uint64_t t0,
			   uint64_t t1, const char *what)
{
	uint64_t tol = tolerance_ns(t1 - t0);

	cr_assert_eq(e->connect, outcome, "%s: outcome %u, expected %d", what, e->connect, outcome);
	cr_assert_eq(e->error, err, "%s: error %u, expected %d", what, e->error, err);
	cr_assert_eq(e->retrans, retrans, "%s: syn_retrans %u, expected %u", what, e->retrans, retrans);
	cr_assert(e->flags & TD_F_DWELL_KNOWN, "%s: dwell unknown", what);
	cr_assert(e->dwell_ns <= t1 - t0 && e->dwell_ns + tol >= t1 - t0,
		  "%s: SYN_SENT %.3f ms, connect() took %.3f ms", what, e->dwell_ns / 1e6, (t1 - t0) / 1e6);
}

/* A closed port answers the SYN with a RST. */
static void refused(int family)
{
	uint16_t port = free_port(family);
	struct td_config cfg;
	struct capture c;
	uint64_t t0, t1;
	int fd, err;

	config_for_port_here(&cfg, port);
	capture_start(&c, &cfg);
	err = timed_connect(family, port, &fd, &t0, &t1);
	cr_assert_eq(err, ECONNREFUSED, "connect: %s", strerror(err));
	capture_wait(&c, 2, 2000);
	assert_connect(failed_connect(&c, port), TD_CONNECT_REFUSED, ECONNREFUSED, 0, t0, t1, "refused");
	capture_stop(&c);
	close(fd);
}

/* The listener's accept queue stays full, so every SYN is dropped; with
 * tcp_syn_retries 1 in the test's own namespace the connect gives up after
 * about 3 s. How many SYNs it retransmitted is the namespace's own counter:
 * nothing else connects there. */
static void timeout(int family)
{
	struct td_config cfg;
	struct capture c;
	uint16_t port = 0;
	uint64_t t0, t1, retrans;
	int lfd, filler, fd, err;

	enter_netns();
	sysctl_set("/proc/sys/net/ipv4/tcp_syn_retries", "1");
	lfd = tcp_listen(family, &port, 0);
	filler = tcp_connect(family, port);
	sleep_ms(20);
	config_for_port_here(&cfg, port);
	capture_start(&c, &cfg);
	retrans = tcpext_counter("TCPSynRetrans");
	err = timed_connect(family, port, &fd, &t0, &t1);
	retrans = tcpext_counter("TCPSynRetrans") - retrans;
	cr_assert_eq(err, ETIMEDOUT, "connect: %s", strerror(err));
	cr_assert_geq(retrans, 1, "the kernel retransmitted no SYN");
	capture_wait(&c, 2, 2000);
	assert_connect(failed_connect(&c, port), TD_CONNECT_TIMEOUT, ETIMEDOUT, (unsigned)retrans, t0, t1, "timeout");
	capture_stop(&c);
	close(fd);
	close(filler);
	close(lfd);
}

/* The owner closes a connect still waiting for its SYN-ACK (the queue is
 * full): no error, and no retransmit yet. */
static void aborted(int family)
{
	struct sockaddr_storage ss;
	struct td_config cfg;
	struct capture c;
	uint16_t port = 0;
	uint64_t t0, t1;
	unsigned wait = pick_ms(100, 400);
	int lfd, filler, fd;

	lfd = tcp_listen(family, &port, 0);
	filler = tcp_connect(family, port);
	sleep_ms(20);
	config_for_port_here(&cfg, port);
	capture_start(&c, &cfg);
	fd = socket(family == 4 ? AF_INET : AF_INET6, SOCK_STREAM | SOCK_NONBLOCK, 0);
	cr_assert_geq(fd, 0);
	t0 = now_ns();
	cr_assert(connect(fd, (struct sockaddr *)&ss, loopback(family, port, &ss)) < 0 && errno == EINPROGRESS,
		  "connect should be in progress: %s", strerror(errno));
	sleep_ms(wait);
	close(fd);
	t1 = now_ns();
	capture_wait(&c, 2, 2000);
	assert_connect(failed_connect(&c, port), TD_CONNECT_ABORTED, 0, 0, t0, t1, "aborted");
	capture_stop(&c);
	close(filler);
	close(lfd);
}

BOTH_FAMILIES(connect, refused, 30)
BOTH_FAMILIES(connect, timeout, 30)
BOTH_FAMILIES(connect, aborted, 30)
