/* Every network namespace (issue 10): two namespaces that the test makes,
 * each with a leaked CLOSE_WAIT and a TIME_WAIT on the same port, are both
 * in the snapshot with their namespace, holder and time in state; -N picks
 * one; the census per namespace and the exporter's gauges equal `ss -tan`
 * run inside each. */
#define _GNU_SOURCE
#include <errno.h>
#include <net/if.h>
#include <netinet/in.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>
#include <criterion/criterion.h>
#include "harness.h"
#include "census.h"
#include "states.h"
#include "tracer.h"

#define NS 2
#define MAX_FDS 256

struct ns_args {
	uint16_t port;
	int go_fd;
};

/* The child's own namespace with lo up; 0 or an exit code. */
static int own_netns(void)
{
	struct ifreq ifr = { 0 };
	int fd;

	if (unshare(CLONE_NEWNET))
		return 10;
	fd = socket(AF_INET, SOCK_DGRAM, 0);
	strcpy(ifr.ifr_name, "lo");
	if (fd < 0 || ioctl(fd, SIOCGIFFLAGS, &ifr))
		return 11;
	ifr.ifr_flags |= IFF_UP;
	if (ioctl(fd, SIOCSIFFLAGS, &ifr))
		return 12;
	close(fd);
	return 0;
}

struct held {
	int fd[MAX_FDS];
	int n;
};

static void hold(struct held *h, int fd)
{
	if (h->n < MAX_FDS)
		h->fd[h->n++] = fd;
}

/* One burst: 4 connections closed client first, then by the server (a
 * TIME_WAIT each); 3 left open; 3 closed by the client only (a CLOSE_WAIT
 * and an orphaned FIN_WAIT2 each); and the open pairs of the burst before
 * closed server first (TIME_WAIT on the server side). */
static void burst(int lfd, uint16_t port, struct held *h, int open_pairs[3][2])
{
	char b;

	for (int i = 0; i < 3; i++)
		if (open_pairs[i][0] >= 0) {
			close(open_pairs[i][1]);
			(void)read(open_pairs[i][0], &b, 1);
			close(open_pairs[i][0]);
		}
	for (int i = 0; i < 10; i++) {
		int c = tcp_connect(4, port), s = accept(lfd, NULL, NULL);

		if (i < 4) {
			close(c);
			(void)read(s, &b, 1);
			close(s);
		} else if (i < 7) {
			open_pairs[i - 4][0] = c;
			open_pairs[i - 4][1] = s;
		} else {
			close(c);
			hold(h, s);
		}
	}
}

/* In its own namespace: a listener on a->port, a leaked CLOSE_WAIT and a
 * TIME_WAIT; reports its namespace inode and when the CLOSE_WAIT began,
 * then runs a burst per 'c' on go_fd (reporting 1 after each) until 'q'. */
static int ns_child(void *arg, int wfd)
{
	struct ns_args *a = arg;
	int open_pairs[3][2] = { { -1, -1 }, { -1, -1 }, { -1, -1 } };
	struct held h = { .n = 0 };
	struct stat st;
	int lfd, c, s, err = own_netns();
	uint16_t port = a->port;
	char b;

	if (err)
		return err;
	lfd = tcp_listen(4, &port, 64);
	c = tcp_connect(4, port);
	s = accept(lfd, NULL, NULL);
	close(c);
	hold(&h, s); /* the leak: never closed */
	report_u64(wfd, now_ns());
	c = tcp_connect(4, port);
	s = accept(lfd, NULL, NULL);
	close(c);
	(void)read(s, &b, 1);
	close(s);
	if (stat("/proc/self/ns/net", &st))
		return 13;
	report_u64(wfd, st.st_ino);
	while (read(a->go_fd, &b, 1) == 1 && b == 'c') {
		burst(lfd, port, &h, open_pairs);
		report_u64(wfd, 1);
	}
	return 0;
}

struct two {
	struct ns_args args[NS];
	struct child ch[NS];
	int go[NS][2];
	uint64_t cw_ns[NS]; /* when each leaked CLOSE_WAIT began */
	uint32_t ino[NS];
};

static void two_start(struct two *t, uint16_t port)
{
	for (int i = 0; i < NS; i++) {
		cr_assert_eq(pipe(t->go[i]), 0);
		t->args[i] = (struct ns_args){ .port = port, .go_fd = t->go[i][0] };
		child_start(&t->ch[i], ns_child, &t->args[i]);
		t->cw_ns[i] = child_read_u64(&t->ch[i]);
		t->ino[i] = (uint32_t)child_read_u64(&t->ch[i]);
	}
	cr_assert_neq(t->ino[0], t->ino[1]);
}

static void two_burst(struct two *t)
{
	for (int i = 0; i < NS; i++)
		cr_assert_eq(write(t->go[i][1], "c", 1), 1);
	for (int i = 0; i < NS; i++)
		cr_assert_eq(child_read_u64(&t->ch[i]), 1);
}

static void two_stop(struct two *t)
{
	for (int i = 0; i < NS; i++) {
		cr_assert_eq(write(t->go[i][1], "q", 1), 1);
		child_wait(&t->ch[i]);
		close(t->go[i][0]);
		close(t->go[i][1]);
	}
}

static void assert_counts_equal(const uint64_t *got, const uint64_t *ss, uint32_t ino, const char *what)
{
	for (int s = 1; s < TD_MAX_STATES; s++)
		cr_assert_eq(got[s], ss[s], "netns %u %s: %s %llu, ss -tan %llu", ino, what, td_state_name(s),
			     (unsigned long long)got[s], (unsigned long long)ss[s]);
}

/* The text snapshot's line for a socket of state on local port port in
 * netns ino: its PID/COMM column, or "" when there is none. */
static void snap_find(FILE *out, const char *state, uint16_t port, uint32_t ino, char *who, size_t len)
{
	char line[512], st[32], l[64], p[64], in[32], ns[32], w[128], want_l[32], want_ns[16];

	snprintf(want_l, sizeof(want_l), "127.0.0.1:%u", port);
	snprintf(want_ns, sizeof(want_ns), "%u", ino);
	who[0] = '\0';
	rewind(out);
	while (fgets(line, sizeof(line), out))
		if (sscanf(line, "%31s %63s %63s %31s %31s %127s", st, l, p, in, ns, w) == 6 &&
		    strcmp(st, state) == 0 && strcmp(l, want_l) == 0 && strcmp(ns, want_ns) == 0)
			snprintf(who, len, "%s", w);
}

/* snapshot -j -N SEL: the one CLOSE_WAIT older than 1 s is ns i's leak,
 * held by its child, in state for as long as the test has seen. */
static void one_ns_snapshot(const struct two *t, int i, const char *sel, uint16_t port, pid_t tracer)
{
	char portarg[8], tracerarg[16], line[1024];
	char *args[] = { "snapshot", "-j", "-N", (char *)sel, "-P", portarg, "-t", tracerarg,
			 "--older-than", "CLOSE_WAIT:1s", NULL };
	uint64_t before = now_ns(), after, in, pid;
	struct run r;
	int n = 0;

	snprintf(portarg, sizeof(portarg), "%u", port);
	snprintf(tracerarg, sizeof(tracerarg), "%d", (int)tracer);
	run_start(&r, args, -1);
	cr_assert_eq(run_finish(&r, 0), 0, "snapshot -N %s: %s", sel, r.err);
	after = now_ns();
	while (fgets(line, sizeof(line), r.out)) {
		if (!json_is(line, "type", "socket"))
			continue;
		n++;
		cr_assert(json_is(line, "state", "CLOSE_WAIT"), "%s", line);
		cr_assert_eq(json_u64(line, "pid", &pid), 1, "%s", line);
		cr_assert_eq(pid, (uint64_t)t->ch[i].pid, "holder %llu, the namespace's child %d: %s",
			     (unsigned long long)pid, (int)t->ch[i].pid, line);
		cr_assert_eq(json_u64(line, "in_state_ns", &in), 1, "%s", line);
		cr_assert(in + tolerance_ns(before - t->cw_ns[i]) >= before - t->cw_ns[i] &&
				  in <= after - t->cw_ns[i] + tolerance_ns(after - t->cw_ns[i]),
			  "in state %llu ns, the test saw %llu to %llu", (unsigned long long)in,
			  (unsigned long long)(before - t->cw_ns[i]), (unsigned long long)(after - t->cw_ns[i]));
	}
	fclose(r.out);
	cr_assert_eq(n, 1, "snapshot -N %s listed %d CLOSE_WAITs older than 1s", sel, n);
}

/* doctor's close_wait_leak over every namespace (sel NULL) or -N sel:
 * the leaks it counts and the holders it names. */
static void doctor_leaks(const struct two *t, const char *sel, uint16_t port, int only)
{
	char portarg[8], line[4096], want[32];
	char *all[] = { "doctor", "-d", "1", "-j", "-P", portarg, NULL };
	char *one[] = { "doctor", "-d", "1", "-j", "-P", portarg, "-N", (char *)sel, NULL };
	uint64_t old = 0;
	bool found = false;
	struct run r;

	snprintf(portarg, sizeof(portarg), "%u", port);
	run_start(&r, sel ? one : all, -1);
	cr_assert_eq(run_finish(&r, 0), 0, "doctor: %s", r.err);
	rewind(r.out);
	while (!found && fgets(line, sizeof(line), r.out))
		found = json_is(line, "type", "finding") && json_is(line, "id", "close_wait_leak");
	cr_assert(found, "doctor %s found no close_wait_leak", sel ? sel : "(every namespace)");
	cr_assert_eq(json_u64(line, "close_wait_old", &old), 1, "%s", line);
	cr_expect_eq(old, sel ? 1u : (uint64_t)NS, "leaks counted: %s", line);
	for (int i = 0; i < NS; i++) {
		snprintf(want, sizeof(want), "\"pid\":%d,", (int)t->ch[i].pid);
		if (!sel || i == only)
			cr_expect_not_null(strstr(line, want), "no owner %s in %s", want, line);
		else
			cr_expect_null(strstr(line, want), "-N %s named %s: %s", sel, want, line);
	}
	fclose(r.out);
}

Test(netns, snapshot_and_census_in_two_namespaces, .init = require_root, .timeout = 60)
{
	char portarg[8], who[128], want[64], self[24], path[64];
	char *targs[] = { "-T", "-P", portarg, NULL }, *sargs[] = { "snapshot", "-P", portarg, NULL };
	uint16_t port = free_port(4);
	uint64_t ss[TD_MAX_STATES];
	const struct td_census_ns *per;
	uint64_t total[TD_CENSUS_MAX];
	struct td_config cfg;
	struct capture cap;
	struct run tr, sn;
	struct two t;
	size_t n;

	snprintf(portarg, sizeof(portarg), "%u", port);
	run_start(&tr, targs, -1);
	cr_assert(run_wait_stderr(&tr, "tracing TCP state transitions", 10000), "%s", tr.err);
	two_start(&t, port);
	sleep_ms(1200);

	/* Without -N: both leaks and both TIME_WAITs, each in its namespace. */
	run_start(&sn, sargs, -1);
	cr_assert_eq(run_finish(&sn, 0), 0, "%s", sn.err);
	for (int i = 0; i < NS; i++) {
		snap_find(sn.out, "CLOSE_WAIT", port, t.ino[i], who, sizeof(who));
		snprintf(want, sizeof(want), "%d/", (int)t.ch[i].pid);
		cr_assert_eq(strncmp(who, want, strlen(want)), 0, "netns %u CLOSE_WAIT held by '%s', want %s...",
			     t.ino[i], who, want);
		snap_find(sn.out, "LISTEN", port, t.ino[i], who, sizeof(who));
		cr_assert_eq(strncmp(who, want, strlen(want)), 0, "netns %u LISTEN held by '%s'", t.ino[i], who);
	}
	fclose(sn.out);

	/* -N by inode and by path: one namespace each. */
	snprintf(self, sizeof(self), "%u", t.ino[0]);
	one_ns_snapshot(&t, 0, self, port, tr.pid);
	snprintf(path, sizeof(path), "/proc/%d/ns/net", (int)t.ch[1].pid);
	one_ns_snapshot(&t, 1, path, port, tr.pid);

	/* doctor: both namespaces' leaks, or -N's one. */
	doctor_leaks(&t, NULL, port, 0);
	doctor_leaks(&t, self, port, 0);

	/* The census per namespace against ss inside each. */
	config_for_port(&cfg, 0);
	capture_start(&cap, &cfg);
	cr_assert_eq(td_tracer_census(cap.tracer, total), 0);
	n = td_tracer_census_ns(cap.tracer, &per);
	for (int i = 0; i < NS; i++) {
		size_t k = 0;

		while (k < n && per[k].netns != t.ino[i])
			k++;
		cr_assert(k < n, "the census found no socket in netns %u", t.ino[i]);
		ss_counts(t.ch[i].pid, ss);
		cr_assert_eq(ss[TD_CLOSE_WAIT], 1);
		cr_assert_eq(ss[TD_TIME_WAIT], 1);
		assert_counts_equal(per[k].c, ss, t.ino[i], "census");
	}
	capture_stop(&cap);
	two_stop(&t);
	cr_assert_eq(run_finish(&tr, SIGINT), 0, "%s", tr.err);
	fclose(tr.out);
}

/* A field of /proc/PID/status is want. */
static void status_is(pid_t pid, const char *name, const char *want)
{
	char path[64], line[256];
	size_t n = strlen(name);
	int found = 0;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/status", (int)pid);
	f = fopen(path, "r");
	cr_assert_not_null(f);
	while (!found && fgets(line, sizeof(line), f))
		if (strncmp(line, name, n) == 0 && line[n] == ':') {
			char *v = line + n + 1 + strspn(line + n + 1, " \t");

			v[strcspn(v, "\n")] = '\0';
			cr_assert_str_eq(v, want, "%s is %s", name, v);
			found = 1;
		}
	fclose(f);
	cr_assert(found, "no %s in %s", name, path);
}

/* GET /metrics: the whole response in buf. */
static void scrape(uint16_t port, char *buf, size_t len)
{
	static const char req[] = "GET /metrics HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n";
	int fd = tcp_connect(4, port);
	size_t got = 0;
	ssize_t n;

	cr_assert_eq(write(fd, req, sizeof(req) - 1), (ssize_t)sizeof(req) - 1);
	while (got < len - 1 && (n = read(fd, buf + got, len - 1 - got)) > 0)
		got += (size_t)n;
	buf[got] = '\0';
	close(fd);
	cr_assert(got < len - 1, "the scrape outgrew %zu bytes", len);
}

/* tcpdwell_netns_sockets of namespace ino, per state (absent: 0). */
static void gauges(const char *body, uint32_t ino, uint64_t c[TD_MAX_STATES])
{
	char prefix[64], st[32];
	unsigned long long v;
	const char *p = body;
	int len = snprintf(prefix, sizeof(prefix), "\ntcpdwell_netns_sockets{netns=\"%u\",state=\"", ino);

	memset(c, 0, sizeof(uint64_t) * TD_MAX_STATES);
	while ((p = strstr(p, prefix))) {
		p += len;
		cr_assert_eq(sscanf(p, "%31[A-Z_0-9]\"} %llu", st, &v), 2, "%.80s", p);
		cr_assert_gt(td_state_parse(st), 0, "%s", st);
		c[td_state_parse(st)] = v;
	}
}

/* Over 30 s the test opens and closes connections in two namespaces in
 * bursts. After each burst the children have closed what they close (on
 * loopback the FIN and its ACK are delivered inside the close), so nothing
 * of theirs changes state until the next burst: that is when the gauges,
 * counted at the scrape, must equal ss -tan inside each namespace. */
Test(netns, gauges_equal_ss_for_30s, .init = require_root, .timeout = 120)
{
	char listen_arg[32], *body = malloc(1 << 20);
	char *args[] = { "--prometheus", listen_arg, "-T", NULL };
	uint64_t g[TD_MAX_STATES], ss[TD_MAX_STATES], t0;
	uint16_t mport = free_port(4);
	struct run ex;
	struct two t;
	int rounds = 0;

	cr_assert_not_null(body);
	snprintf(listen_arg, sizeof(listen_arg), "127.0.0.1:%u", mport);
	run_start(&ex, args, -1);
	cr_assert(run_wait_stderr(&ex, "serving Prometheus metrics", 10000), "%s", ex.err);
	/* After the drop only what entering namespaces needs stays:
	 * CAP_SYS_ADMIN (21) and CAP_SYS_PTRACE (19), under seccomp. */
	status_is(ex.pid, "CapEff", "0000000000280000");
	status_is(ex.pid, "CapPrm", "0000000000280000");
	status_is(ex.pid, "CapBnd", "0000000000000000");
	status_is(ex.pid, "NoNewPrivs", "1");
	status_is(ex.pid, "Seccomp", "2");
	two_start(&t, free_port(4));
	t0 = now_ns();
	while (now_ns() - t0 < 30000000000ull || rounds < 10) {
		two_burst(&t);
		/* Past the census' once-a-second limit: this scrape counts anew. */
		sleep_ms(1100 + pick_ms(0, 400));
		scrape(mport, body, 1 << 20);
		for (int i = 0; i < NS; i++) {
			gauges(body, t.ino[i], g);
			ss_counts(t.ch[i].pid, ss);
			cr_assert_geq(ss[TD_TIME_WAIT], 4u * (unsigned)(rounds + 1));
			assert_counts_equal(g, ss, t.ino[i], "tcpdwell_netns_sockets");
		}
		rounds++;
	}
	cr_log_info("%d rounds in %.1f s", rounds, (double)(now_ns() - t0) / 1e9);
	two_stop(&t);
	cr_assert_eq(run_finish(&ex, SIGINT), 0, "%s", ex.err);
	/* Its censuses walked the socket table, under seccomp too. */
	cr_assert_null(strstr(ex.err, "failed to walk the socket table"), "%s", ex.err);
	fclose(ex.out);
	free(body);
}
