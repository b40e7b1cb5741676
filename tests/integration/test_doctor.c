/* tcpdwell doctor against conditions the test builds in a network
 * namespace of its own, all in one run of the binary: CLOSE_WAITs leaked
 * by a child process, a FIN_WAIT2 held by a peer that never closes, a
 * TIME_WAIT pile-up against a narrowed ephemeral range, a refused connect,
 * resets from SO_LINGER 0, and a listener whose accept queue overflows and
 * accepts slowly (so that a connect needs a SYN retransmit), a FIN held
 * behind unread data (FIN_WAIT1), a handshake whose SYN-ACK draws a RST,
 * and tcp_max_tw_buckets near the TIME_WAIT count. Thresholds are
 * passed as options; -P keeps other tests' traffic out (doctor traces every
 * namespace). A quiet namespace gives no warning. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>
#include <criterion/criterion.h>
#include "harness.h"

#define LEAKED 3
#define CHURN 60

/* A process that accepts n connections on a listener of its own, never
 * reads or closes them, and exits when the go pipe closes: a CLOSE_WAIT
 * leak once the clients close, or a peer that never closes its side. */
struct holder_args {
	int n;
	int go[2];
};

static int holder(void *arg, int wfd)
{
	struct holder_args *a = arg;
	uint16_t port = 0;
	int lfd, fds[8];
	char b;

	close(a->go[1]);
	lfd = tcp_listen(4, &port, 16);
	report_u64(wfd, port);
	for (int i = 0; i < a->n; i++)
		if ((fds[i] = accept(lfd, NULL, NULL)) < 0)
			return 1;
	report_u64(wfd, (uint64_t)a->n);
	while (read(a->go[0], &b, 1) > 0)
		;
	return 0;
}

/* A listener whose queue holds one child (backlog 0): a second connect's
 * SYN is dropped until the test accepts the first, 500 ms later, and its
 * retransmit a second after the SYN gets in. Accepts both. */
static void overflow_and_slow_accept(uint16_t port, int lfd, int *fds)
{
	struct sockaddr_storage ss;
	socklen_t len = loopback(4, port, &ss);

	for (int i = 0; i < 2; i++) {
		fds[i] = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
		cr_assert(connect(fds[i], (struct sockaddr *)&ss, len) < 0 && errno == EINPROGRESS);
		sleep_ms(20);
	}
	sleep_ms(500);
	fds[2] = accept(lfd, NULL, NULL);
	cr_assert_geq(fds[2], 0);
	sleep_ms(1000); /* the retransmitted SYN, about 1 s after the first */
	fds[3] = accept4(lfd, NULL, NULL, SOCK_NONBLOCK);
	cr_assert_geq(fds[3], 0, "the second connect never got in: %s", strerror(errno));
}

/* Client closes first, CHURN times: TIME_WAITs on the client side, local
 * ports from the namespace's narrowed ephemeral range. */
static void churn(uint16_t port, int lfd)
{
	char b;

	for (int i = 0; i < CHURN; i++) {
		int c = tcp_connect(4, port), s = accept(lfd, NULL, NULL);

		cr_assert_geq(s, 0);
		close(c);
		cr_assert_eq(read(s, &b, 1), 0);
		close(s);
	}
}

static void linger0_reset(uint16_t port, int lfd)
{
	struct linger lg = { .l_onoff = 1, .l_linger = 0 };
	int c = tcp_connect(4, port), s = accept(lfd, NULL, NULL);

	cr_assert_geq(s, 0);
	cr_assert_eq(setsockopt(c, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg)), 0);
	close(c);
	sleep_ms(20);
	close(s);
}

/* The server closes with data the client does not read: its FIN waits
 * behind the data, and the socket (an orphan) stays in FIN_WAIT1 while the
 * client's receive window is closed. Returns the client, kept open. */
static int fin_behind_data(uint16_t port, int lfd)
{
	int small = 4096, c, s;
	char buf[4096] = { 0 };

	c = socket(AF_INET, SOCK_STREAM, 0);
	cr_assert_eq(setsockopt(c, SOL_SOCKET, SO_RCVBUF, &small, sizeof(small)), 0);
	{
		struct sockaddr_storage ss;
		socklen_t len = loopback(4, port, &ss);

		cr_assert_eq(connect(c, (struct sockaddr *)&ss, len), 0, "connect: %s", strerror(errno));
	}
	s = accept4(lfd, NULL, NULL, SOCK_NONBLOCK);
	cr_assert_geq(s, 0);
	cr_assert_eq(setsockopt(s, SOL_SOCKET, SO_SNDBUF, &small, sizeof(small)), 0);
	while (write(s, buf, sizeof(buf)) > 0)
		;
	cr_assert_eq(errno, EAGAIN);
	close(s);
	return c;
}

static void refused(uint16_t port)
{
	struct sockaddr_storage ss;
	socklen_t len = loopback(4, port, &ss);
	int fd = socket(AF_INET, SOCK_STREAM, 0);

	cr_assert(connect(fd, (struct sockaddr *)&ss, len) < 0 && errno == ECONNREFUSED);
	close(fd);
}

/* The finding line of id in out (a file of JSON Lines) that also holds
 * needle (NULL: any), into line. */
static int finding_with(FILE *out, const char *id, const char *needle, char *line, size_t len)
{
	char idk[64];

	snprintf(idk, sizeof(idk), "{\"type\":\"finding\",\"severity\":\"");
	rewind(out);
	while (fgets(line, (int)len, out)) {
		char want[64];

		snprintf(want, sizeof(want), "\"id\":\"%s\"", id);
		if (strstr(line, idk) && strstr(line, want) && (!needle || strstr(line, needle)))
			return 1;
	}
	return 0;
}

static int finding(FILE *out, const char *id, char *line, size_t len)
{
	return finding_with(out, id, NULL, line, len);
}

/* The count of owner pid in a finding's "owners", or -1. */
static long owner_count(const char *line, pid_t pid)
{
	char want[48];
	const char *p, *c;

	snprintf(want, sizeof(want), "{\"pid\":%d,", pid);
	p = strstr(line, want);
	if (!p || !(c = strstr(p, "\"count\":")))
		return -1;
	return strtol(c + 8, NULL, 10);
}

static uint64_t ev_u64(const char *line, const char *key)
{
	uint64_t v = 0;

	cr_assert_eq(json_u64(line, key, &v), 1, "no %s in %s", key, line);
	return v;
}

static void assert_severity(const char *line, const char *sev)
{
	char want[48];

	snprintf(want, sizeof(want), "\"severity\":\"%s\"", sev);
	cr_expect_not_null(strstr(line, want), "expected %s: %s", sev, line);
}

struct scene {
	struct holder_args ha;
	struct child leak, peer;
	uint16_t leak_port, peer_port, refused_port, rst_port, q_port, churn_port, fin_port, hs_port, hs_sport;
	int rst_lfd, q_lfd, churn_lfd, fin_lfd, hs_lfd, half_closed, fin_client, q_fds[4];
};

/* Before doctor starts: the leaked CLOSE_WAITs and the held FIN_WAIT2,
 * whose ages doctor then knows "at least" from its start. */
static void scene_before(struct scene *s)
{
	cr_assert_eq(pipe(s->ha.go), 0);
	s->ha.n = LEAKED;
	child_start(&s->leak, holder, &s->ha);
	s->leak_port = (uint16_t)child_read_u64(&s->leak);
	s->ha.n = 1;
	child_start(&s->peer, holder, &s->ha);
	s->peer_port = (uint16_t)child_read_u64(&s->peer);
	close(s->ha.go[0]);
	for (int i = 0; i < LEAKED; i++)
		close(tcp_connect(4, s->leak_port));
	s->half_closed = tcp_connect(4, s->peer_port);
	cr_assert_eq(child_read_u64(&s->leak), LEAKED);
	cr_assert_eq(child_read_u64(&s->peer), 1);
	cr_assert_eq(shutdown(s->half_closed, SHUT_WR), 0);
	s->refused_port = free_port(4);
	s->rst_lfd = tcp_listen(4, &s->rst_port, 8);
	s->q_lfd = tcp_listen(4, &s->q_port, 0);
	s->churn_lfd = tcp_listen(4, &s->churn_port, 128);
	s->fin_lfd = tcp_listen(4, &s->fin_port, 8);
	s->hs_lfd = tcp_listen(4, &s->hs_port, 8);
	s->hs_sport = free_port(4);
}

static void scene_end(struct scene *s)
{
	close(s->ha.go[1]);
	child_wait(&s->leak);
	child_wait(&s->peer);
	close(s->half_closed);
	for (int i = 0; i < 4; i++)
		close(s->q_fds[i]);
	close(s->rst_lfd);
	close(s->q_lfd);
	close(s->churn_lfd);
	close(s->fin_lfd);
	close(s->hs_lfd);
	close(s->fin_client);
}

static void check_census_findings(FILE *out, const struct scene *s)
{
	char line[8192];

	cr_assert(finding(out, "close_wait_leak", line, sizeof(line)), "no close_wait_leak");
	assert_severity(line, "warning");
	/* Made before the run, with the default close_wait_age (30 s): there
	 * for the whole 3 s run, "at least" that old (or exactly, when another
	 * tracer running then shares its times). */
	cr_expect_eq(ev_u64(line, "close_wait_old"), LEAKED + 1, "%s", line);
	cr_expect_eq(ev_u64(line, "whole_run"), LEAKED + 1, "%s", line);
	{
		uint64_t oldest = 0;

		cr_expect(json_u64(line, "oldest_at_least_ns", &oldest) == 1 || json_u64(line, "oldest_ns", &oldest) == 1,
			  "%s", line);
		cr_expect_geq(oldest, 3000000000ull, "%s", line);
	}
	cr_expect_eq(owner_count(line, s->leak.pid), LEAKED, "%s", line);
	cr_expect_eq(owner_count(line, s->peer.pid), 1, "%s", line);
	cr_assert(finding(out, "fin_wait2_stuck", line, sizeof(line)), "no fin_wait2_stuck");
	cr_expect_eq(ev_u64(line, "fin_wait2_held"), 1, "%s", line);
	cr_expect_eq(owner_count(line, getpid()), 1, "%s", line);
	cr_assert(finding(out, "time_wait_pressure", line, sizeof(line)), "no time_wait_pressure");
	cr_expect_eq(ev_u64(line, "time_wait"), CHURN, "%s", line);
	cr_expect_eq(ev_u64(line, "ephemeral_ports"), 100, "%s", line);
	cr_expect_eq(owner_count(line, getpid()), CHURN, "%s", line);
	/* 60 of tcp_max_tw_buckets 70: 85.7%. */
	cr_assert(finding(out, "tw_bucket_limit", line, sizeof(line)), "no tw_bucket_limit");
	assert_severity(line, "warning");
	cr_expect_eq(ev_u64(line, "time_wait"), CHURN, "%s", line);
	cr_expect_eq(ev_u64(line, "tcp_max_tw_buckets"), 70, "%s", line);
	cr_assert(finding(out, "unacked_fin", line, sizeof(line)), "no unacked_fin");
	cr_expect_eq(ev_u64(line, "fin_wait1_old"), 1, "%s", line);
	cr_expect_eq(owner_count(line, getpid()), 1, "%s", line);
}

/* Doctor traces every namespace: another test's traffic on a port of the
 * same number adds to the totals, never to this process's own counts,
 * which are checked exactly. */
static void check_traced_findings(FILE *out, const struct scene *s)
{
	char line[8192], want[64];

	cr_assert(finding(out, "connect_failures", line, sizeof(line)), "no connect_failures");
	cr_expect_geq(ev_u64(line, "refused"), 1, "%s", line);
	cr_expect_eq(owner_count(line, getpid()), 1, "%s", line);
	cr_assert(finding(out, "resets", line, sizeof(line)), "no resets");
	assert_severity(line, "warning");
	cr_expect_geq(ev_u64(line, "reset_sent"), 1, "%s", line);
	/* SO_LINGER 0: tcp_disconnect()'s RST, reason TCP_STATE (as test_close.c). */
	cr_expect_not_null(strstr(line, "TCP_STATE "), "%s", line);
	cr_expect_not_null(strstr(line, "SO_LINGER"), "%s", line);
	cr_expect_eq(owner_count(line, getpid()), 2, "%s", line); /* the side that sent it, and the other */
	snprintf(want, sizeof(want), "\"top_sender\":\"%d/", getpid());
	cr_expect_not_null(strstr(line, want), "%s", line);
	snprintf(want, sizeof(want), "\"listener\":\"127.0.0.1:%u\"", s->q_port);
	cr_assert(finding_with(out, "accept_queue_overflow", want, line, sizeof(line)), "no overflow on %s", want);
	cr_expect_geq(ev_u64(line, "dropped"), 1, "%s", line);
	cr_expect_eq(ev_u64(line, "accept_queue_max"), 0, "%s", line);
	cr_expect_eq(owner_count(line, getpid()), 1, "%s", line);
	cr_assert(finding(out, "slow_connects", line, sizeof(line)), "no slow_connects");
	cr_expect_geq(ev_u64(line, "syn_retransmitted"), 1, "%s", line);
	cr_expect_geq(owner_count(line, getpid()), 1, "%s", line);
	snprintf(want, sizeof(want), "\"port\":\"%u\"", s->q_port);
	cr_assert(finding_with(out, "slow_accept", want, line, sizeof(line)), "no slow_accept on %s", want);
	/* Both waited about 500 ms: the first for the test's accept, the
	 * second from its retransmitted SYN to the test's next accept. */
	cr_expect_geq(ev_u64(line, "p99_ns"), 400000000ull, "%s", line);
	cr_expect_eq(owner_count(line, getpid()), 2, "%s", line);
	/* The SYN-ACK to 127.0.0.2, where no socket is, drew a RST; the
	 * listener's sk_drops counts that RST, which is no overflow. */
	cr_assert(finding(out, "handshake_failures", line, sizeof(line)), "no handshake_failures");
	cr_expect_geq(ev_u64(line, "dropped"), 1, "%s", line);
	snprintf(want, sizeof(want), "\"listener\":\"127.0.0.1:%u\"", s->hs_port);
	cr_expect_not(finding_with(out, "accept_queue_overflow", want, line, sizeof(line)), "%s", line);
}

Test(doctor, finds_what_the_test_built, .init = require_root, .timeout = 60)
{
	static struct scene s;
	char ports[128];
	/* -N self: a parallel test's namespace may use the same port numbers. */
	char *args[] = { "doctor", "-d", "3", "-j", "-N", "self", "-P", ports, "--fail-on", "warning",
			 "--threshold", "fin_wait2_age=1s", "--threshold", "resets=1",
			 "--threshold", "slow_accept=200ms", "--threshold", "unacked_fin_age=1s", NULL };
	struct run r;
	int status;

	enter_netns();
	sysctl_set("/proc/sys/net/ipv4/ip_local_port_range", "40000 40099");
	sysctl_set("/proc/sys/net/ipv4/tcp_max_tw_buckets", "70");
	scene_before(&s);
	snprintf(ports, sizeof(ports), "%u,%u,%u,%u,%u,%u,%u,%u", s.leak_port, s.peer_port, s.refused_port,
		 s.rst_port, s.q_port, s.churn_port, s.fin_port, s.hs_port);
	run_start(&r, args, -1);
	cr_assert(run_wait_stderr(&r, "doctor: tracing", 10000), "doctor did not start: %s", r.err);
	s.fin_client = fin_behind_data(s.fin_port, s.fin_lfd);
	send_syn("127.0.0.2", "127.0.0.1", s.hs_sport, s.hs_port);
	refused(s.refused_port);
	linger0_reset(s.rst_port, s.rst_lfd);
	churn(s.churn_port, s.churn_lfd);
	overflow_and_slow_accept(s.q_port, s.q_lfd, s.q_fds);
	status = run_finish(&r, 0);
	cr_expect_eq(status, 1, "--fail-on warning with warnings: exit %d (%s)", status, r.err);
	check_census_findings(r.out, &s);
	check_traced_findings(r.out, &s);
	fclose(r.out);
	scene_end(&s);
}

/* Nothing happens on the port doctor watches: no warning, and --fail-on
 * warning exits 0. Doctor traces every namespace, where clients of other
 * tests and benchmarks may draw any port from a wide ephemeral range: the
 * port is below 1024, which no ephemeral range reaches and no test listens
 * on. Lost records are counted across all sockets: an info finding may
 * come of that, never a warning. */
Test(doctor, quiet_namespace_is_healthy, .init = require_root, .timeout = 30)
{
	char port[16], line[8192];
	char *args[] = { "doctor", "-d", "2", "-P", port, "--fail-on", "warning", "--no-color", NULL };
	struct run r;
	int status;

	enter_netns();
	snprintf(port, sizeof(port), "%u", pick_ms(600, 1000));
	run_start(&r, args, -1);
	status = run_finish(&r, 0);
	cr_expect_eq(status, 0, "exit %d: %s", status, r.err);
	cr_assert_not_null(fgets(line, sizeof(line), r.out));
	if (strstr(line, "healthy")) {
		cr_expect_eq(strncmp(line, "tcpdwell doctor: healthy: no findings after 2", 45), 0, "%s", line);
		cr_expect_not_null(strstr(line, "checked close_wait_leak, time_wait_pressure,"), "%s", line);
		cr_expect_null(fgets(line, sizeof(line), r.out), "more than one line: %s", line);
	} else {
		cr_expect_not_null(strstr(line, "(0 critical, 0 warning, "), "%s", line);
		while (fgets(line, sizeof(line), r.out))
			cr_expect(strncmp(line, "WARNING", 7) && strncmp(line, "CRITICAL", 8), "%s", line);
	}
	fclose(r.out);
}

/* Bad input to doctor and explain: one line, exit 2. */
Test(doctor, bad_input_exits_2_with_one_line)
{
	static char *const cases[][4] = {
		{ "doctor", "--threshold", "nope=5s", NULL },
		{ "doctor", "--threshold", "close_wait_age=5parsecs", NULL },
		{ "doctor", "--threshold", "time_wait_ports=101%", NULL },
		{ "doctor", "--fail-on", "info", NULL },
		{ "doctor", "-d", "0x10", NULL },
		{ "doctor", "-4", "-6", NULL },
		{ "doctor", "stray", NULL },
		{ "explain", "NOPE", NULL },
		{ "explain", "CLOSE_WAIT", "TIME_WAIT", NULL },
		{ "explain", "--bogus", NULL },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct run r;

		run_start(&r, cases[i], -1);
		cr_assert_eq(run_finish(&r, 0), 2, "%s %s: stderr: %s", cases[i][1], cases[i][2], r.err);
		cr_assert(r.errlen > 0 && strchr(r.err, '\n') == r.err + r.errlen - 1,
			  "%s %s: expected one line, got: %s", cases[i][0], cases[i][1], r.err);
		cr_assert_eq(strncmp(r.err, "tcpdwell: ", 10), 0);
		fclose(r.out);
	}
}

Test(doctor, explain_answers_for_a_state_and_draws_the_diagram)
{
	char *one[] = { "explain", "close-wait", NULL }, *all[] = { "explain", NULL };
	char line[256];
	struct run r;

	run_start(&r, one, -1);
	cr_assert_eq(run_finish(&r, 0), 0, "%s", r.err);
	cr_assert_not_null(fgets(line, sizeof(line), r.out));
	cr_expect_str_eq(line, "CLOSE_WAIT\n");
	fclose(r.out);
	run_start(&r, all, -1);
	cr_assert_eq(run_finish(&r, 0), 0, "%s", r.err);
	cr_assert_not_null(fgets(line, sizeof(line), r.out));
	cr_expect_not_null(strstr(line, "A TCP connection's states"), "%s", line);
	fclose(r.out);
}

/* A CLOSE_WAIT made while another tracer ran: doctor takes its exact age
 * from that tracer's maps, not the lower bound of its own start. */
Test(doctor, ages_from_a_tracer_that_ran_longer, .init = require_root, .timeout = 30)
{
	struct holder_args ha = { .n = 1 };
	char port[16], want[64], line[8192];
	char *targs[] = { "-P", port, NULL };
	char *dargs[] = { "doctor", "-d", "1", "-j", "-P", port, "--threshold", "close_wait_age=1500ms", NULL };
	struct child leak;
	struct run t, r;
	uint64_t t0;

	enter_netns();
	cr_assert_eq(pipe(ha.go), 0);
	child_start(&leak, holder, &ha);
	close(ha.go[0]);
	snprintf(port, sizeof(port), "%u", (unsigned)child_read_u64(&leak));
	run_start(&t, targs, -1);
	cr_assert(run_wait_stderr(&t, "tracing", 10000), "tracer did not start: %s", t.err);
	t0 = now_ns();
	close(tcp_connect(4, (uint16_t)atoi(port)));
	cr_assert_eq(child_read_u64(&leak), 1);
	sleep_ms(2000);
	run_start(&r, dargs, -1);
	cr_expect_eq(run_finish(&r, 0), 0, "%s", r.err);
	snprintf(want, sizeof(want), "times in state from the tracer pid %d for ", t.pid);
	cr_expect_not_null(strstr(r.err, want), "%s", r.err);
	cr_assert(finding(r.out, "close_wait_leak", line, sizeof(line)), "no close_wait_leak: %s", r.err);
	cr_expect_eq(ev_u64(line, "close_wait_old"), 1, "%s", line);
	cr_expect_eq(ev_u64(line, "whole_run"), 0, "%s", line);
	cr_expect_geq(ev_u64(line, "oldest_ns"), 3000000000ull, "%s", line);
	cr_expect_leq(ev_u64(line, "oldest_ns"), now_ns() - t0, "%s", line);
	cr_expect_eq(owner_count(line, leak.pid), 1, "%s", line);
	fclose(r.out);
	cr_expect_eq(run_finish(&t, SIGINT), 0, "%s", t.err);
	fclose(t.out);
	close(ha.go[1]);
	child_wait(&leak);
}
