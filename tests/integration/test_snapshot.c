/* `tcpdwell snapshot` against ss and against time the test controls. */
#define _GNU_SOURCE
#include <errno.h>
#include <net/if.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <unistd.h>
#include <criterion/criterion.h>
#include "harness.h"

#define LINE 192

/* ss's state names, as tcpdwell prints them. */
static const char *from_ss(const char *s)
{
	static const char *const map[][2] = {
		{ "ESTAB", "ESTABLISHED" }, { "SYN-SENT", "SYN_SENT" }, { "SYN-RECV", "SYN_RECV" },
		{ "FIN-WAIT-1", "FIN_WAIT1" }, { "FIN-WAIT-2", "FIN_WAIT2" }, { "TIME-WAIT", "TIME_WAIT" },
		{ "CLOSE-WAIT", "CLOSE_WAIT" }, { "LAST-ACK", "LAST_ACK" }, { "LISTEN", "LISTEN" },
		{ "CLOSING", "CLOSING" },
	};

	for (size_t i = 0; i < sizeof(map) / sizeof(map[0]); i++)
		if (strcmp(s, map[i][0]) == 0)
			return map[i][1];
	return s;
}

/* Lines "STATE local peer", sorted, from `ss -tan FILTER` (v4 only here;
 * a filter of one state would drop ss's State column). */
static size_t ss_lines(const char *filter, char out[][LINE], size_t max)
{
	char line[256], cmd[128], st[32], l[64], p[64];
	size_t n = 0;
	FILE *f;

	snprintf(cmd, sizeof(cmd), "ss -tan %s", filter);
	f = popen(cmd, "r");

	cr_assert_not_null(f);
	while (fgets(line, sizeof(line), f) && n < max)
		if (sscanf(line, "%31s %*s %*s %63s %63s", st, l, p) == 3 && strcmp(st, "State") != 0)
			snprintf(out[n++], LINE, "%s %s %s", from_ss(st), l, p);
	cr_assert_eq(pclose(f), 0, "ss failed");
	qsort(out, n, LINE, (int (*)(const void *, const void *))strcmp);
	return n;
}

/* The snapshot's sockets as ss_lines writes them; its counts record into
 * counts (if not NULL). */
static size_t snapshot_lines(char *const *args, char out[][LINE], size_t max, char *counts, size_t len)
{
	char line[1024], st[32], sa[48], da[48], pp[24];
	uint64_t sp, dp;
	struct run r;
	size_t n = 0;

	run_start(&r, args, -1);
	cr_assert_eq(run_finish(&r, 0), 0, "snapshot failed: %s", r.err);
	while (fgets(line, sizeof(line), r.out) && n < max) {
		const char *p;

		if (counts && json_is(line, "type", "counts"))
			snprintf(counts, len, "%s", line);
		if (!json_is(line, "type", "socket"))
			continue;
		p = strstr(line, "\"state\":\"");
		cr_assert(p && sscanf(p, "\"state\":\"%31[^\"]", st) == 1);
		p = strstr(line, "\"saddr\":\"");
		cr_assert(p && sscanf(p, "\"saddr\":\"%47[^\"]", sa) == 1);
		p = strstr(line, "\"daddr\":\"");
		cr_assert(p && sscanf(p, "\"daddr\":\"%47[^\"]", da) == 1);
		cr_assert_eq(json_u64(line, "sport", &sp), 1);
		cr_assert_eq(json_u64(line, "dport", &dp), 1);
		/* ss writes a listener's peer port as '*'. */
		if (dp)
			snprintf(pp, sizeof(pp), "%llu", (unsigned long long)dp);
		else
			strcpy(pp, "*");
		snprintf(out[n++], LINE, "%s %s:%llu %s:%s", st, sa, (unsigned long long)sp, da, pp);
	}
	fclose(r.out);
	qsort(out, n, LINE, (int (*)(const void *, const void *))strcmp);
	return n;
}

/* Sockets in six known states in a namespace of the test's own. */
struct known {
	int lfd, est_c, est_s, cw_c, cw_s;
};

static void make_known_states(struct known *k)
{
	uint16_t port = 0;
	int tw_c, tw_s;
	char b;

	enter_netns();
	k->lfd = tcp_listen(4, &port, 16);
	k->est_c = tcp_connect(4, port);
	k->est_s = accept(k->lfd, NULL, NULL);
	k->cw_c = tcp_connect(4, port);
	k->cw_s = accept(k->lfd, NULL, NULL);
	shutdown(k->cw_c, SHUT_WR);     /* cw_c FIN_WAIT2, cw_s CLOSE_WAIT */
	tw_c = tcp_connect(4, port);
	tw_s = accept(k->lfd, NULL, NULL);
	shutdown(tw_c, SHUT_WR);
	cr_assert_eq(read(tw_s, &b, 1), 0);
	close(tw_s);                    /* tw_c TIME_WAIT */
	sleep_ms(100);
	close(tw_c);
}

static void close_known(struct known *k)
{
	close(k->est_c);
	close(k->est_s);
	close(k->cw_c);
	close(k->cw_s);
	close(k->lfd);
}

/* The snapshot lists exactly what ss lists: these, and only these. */
Test(snapshot, agrees_with_ss, .init = require_root, .timeout = 30)
{
	static const char *const want[] = { "CLOSE_WAIT", "ESTABLISHED", "ESTABLISHED", "FIN_WAIT2", "LISTEN",
					    "TIME_WAIT" };
	static char ss[64][LINE], snap[64][LINE];
	char *args[] = { "snapshot", "-N", "self", "-j", NULL };
	struct known k;
	size_t nss, nsnap;

	make_known_states(&k);
	nss = ss_lines("", ss, 64);
	nsnap = snapshot_lines(args, snap, 64, NULL, 0);
	cr_assert_eq(nsnap, nss, "snapshot lists %zu sockets, ss %zu", nsnap, nss);
	for (size_t i = 0; i < nss; i++)
		cr_assert_str_eq(snap[i], ss[i]);
	cr_assert_eq(nsnap, 6);
	for (size_t i = 0; i < 6; i++)
		cr_assert_eq(strncmp(snap[i], want[i], strlen(want[i])), 0, "%s, expected %s", snap[i], want[i]);
	close_known(&k);
}

/* -s lists the sockets ss lists for the same states; the counts still
 * cover every state. */
Test(snapshot, state_filter_agrees_with_ss_state, .init = require_root, .timeout = 30)
{
	static char ss[64][LINE], snap[64][LINE];
	char *args[] = { "snapshot", "-N", "self", "-j", "-s", "ESTABLISHED,time-wait", NULL };
	char counts[1024] = "";
	struct known k;
	size_t nss, nsnap;
	uint64_t v;

	make_known_states(&k);
	nss = ss_lines("state established state time-wait", ss, 64);
	nsnap = snapshot_lines(args, snap, 64, counts, sizeof(counts));
	cr_assert_eq(nss, 3, "ss lists %zu sockets in those states, the test made 3", nss);
	cr_assert_eq(nsnap, nss, "snapshot -s lists %zu sockets, ss %zu", nsnap, nss);
	for (size_t i = 0; i < nss; i++)
		cr_assert_str_eq(snap[i], ss[i]);
	cr_assert(json_u64(counts, "listed", &v) == 1 && v == 3, "counts: %s", counts);
	cr_assert(json_u64(counts, "LISTEN", &v) == 1 && v == 1, "counts: %s", counts);
	cr_assert(json_u64(counts, "CLOSE_WAIT", &v) == 1 && v == 1, "counts: %s", counts);
	cr_assert(json_u64(counts, "FIN_WAIT2", &v) == 1 && v == 1, "counts: %s", counts);
	close_known(&k);
}

/* A leaked CLOSE_WAIT found by --older-than, with its holder and a time in
 * state that matches the test's clock; one that predates the tracer is
 * reported "since at least" the tracer's start. */
Test(snapshot, older_than_finds_a_leaked_close_wait, .init = require_root, .timeout = 30)
{
	char portarg[16], tracerarg[16], line[1024];
	char *targs[] = { "-P", portarg, NULL };
	char *sargs[] = { "snapshot", "-N", "self", "-t", tracerarg, "-j", "--older-than", "CLOSE_WAIT:1s", NULL };
	struct run tr, sn;
	uint16_t port = 0;
	uint64_t t_fin0, t_fin1, t_snap0, t_snap1, v, pid, found_new = 0, found_old = 0;
	int lfd, old_c, old_s, c, s;

	enter_netns(); /* no CLOSE_WAIT of other tests (unknown ages are listed) */
	lfd = tcp_listen(4, &port, 16);
	old_c = tcp_connect(4, port);
	old_s = accept(lfd, NULL, NULL);
	close(old_c); /* old_s: CLOSE_WAIT before the tracer starts */
	snprintf(portarg, sizeof(portarg), "%u", port);
	run_start(&tr, targs, -1);
	cr_assert(run_wait_stderr(&tr, "tcpdwell: tracing", 15000), "tracer did not start: %s", tr.err);
	snprintf(tracerarg, sizeof(tracerarg), "%d", tr.pid);
	sleep_ms(200);

	c = tcp_connect(4, port);
	s = accept(lfd, NULL, NULL);
	t_fin0 = now_ns();
	close(c); /* s: CLOSE_WAIT, the leak */
	t_fin1 = now_ns();
	sleep_ms(pick_ms(1200, 2000));

	t_snap0 = now_ns();
	run_start(&sn, sargs, -1);
	cr_assert_eq(run_finish(&sn, 0), 0, "snapshot failed: %s", sn.err);
	t_snap1 = now_ns();
	while (fgets(line, sizeof(line), sn.out)) {
		uint64_t dport;

		if (!json_is(line, "type", "socket"))
			continue;
		cr_assert(json_is(line, "state", "CLOSE_WAIT"), "%s", line);
		cr_assert_eq(json_u64(line, "pid", &pid), 1, "no holder: %s", line);
		cr_assert_eq(pid, (uint64_t)getpid(), "holder %llu is not this process", (unsigned long long)pid);
		cr_assert_eq(json_u64(line, "in_state_ns", &v), 1);
		cr_assert_eq(json_u64(line, "dport", &dport), 1);
		if (dport == local_port(old_s) || strstr(line, "\"at_least\":true")) {
			/* Seeded when the tracer started, after this CLOSE_WAIT began. */
			cr_assert(strstr(line, "\"at_least\":true"), "%s", line);
			/* Its owner: the holder /proc named when the tracer seeded it. */
			cr_assert_eq(json_u64(line, "owner_pid", &pid), 1, "no seeded owner: %s", line);
			cr_assert_eq(pid, (uint64_t)getpid(), "seeded owner %llu", (unsigned long long)pid);
			found_old++;
			continue;
		}
		cr_assert(strstr(line, "\"at_least\":false"), "%s", line);
		/* Entered between the client's close() and the snapshot. */
		cr_assert(v + 5000000ull >= t_snap0 - t_fin1 && v <= t_snap1 - t_fin0 + 5000000ull,
			  "in state %.3f ms, expected [%.3f, %.3f] ms", v / 1e6, (t_snap0 - t_fin1) / 1e6,
			  (t_snap1 - t_fin0) / 1e6);
		found_new++;
	}
	fclose(sn.out);
	cr_assert_eq(found_new, 1, "the leaked CLOSE_WAIT not listed once");
	cr_assert_eq(found_old, 1, "the older CLOSE_WAIT not listed once");
	cr_assert_eq(run_finish(&tr, SIGINT), 0);
	fclose(tr.out);
	close(s);
	close(old_s);
	close(lfd);
}

/* A bpffs of the test's own on /sys/fs/bpf (in a mount namespace of its
 * own): the tracers it starts are the only ones a snapshot can find. */
static void private_bpffs(void)
{
	cr_assert_eq(unshare(CLONE_NEWNS), 0, "unshare: %s", strerror(errno));
	cr_assert_eq(mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL), 0, "%s", strerror(errno));
	cr_assert_eq(mount("bpf", "/sys/fs/bpf", "bpf", 0, "mode=0700"), 0, "%s", strerror(errno));
}

/* A CLOSE_WAIT that nobody closes: the peer closed, this side holds it. */
static int leak_close_wait(int lfd, uint16_t port, uint64_t *fin0, uint64_t *fin1)
{
	int c = tcp_connect(4, port), s = accept(lfd, NULL, NULL);

	cr_assert(c >= 0 && s >= 0);
	*fin0 = now_ns();
	close(c);
	*fin1 = now_ns();
	return s;
}

/* The socket lines of a finished snapshot run (by local port), and its
 * counts line. */
struct snap_out {
	char sock[4][1024];
	uint64_t sport[4];
	int n;
	char counts[1024];
};

static void snap_collect(struct run *r, struct snap_out *o)
{
	char line[1024];

	memset(o, 0, sizeof(*o));
	while (fgets(line, sizeof(line), r->out)) {
		if (json_is(line, "type", "counts")) {
			strcpy(o->counts, line);
			continue;
		}
		cr_assert(json_is(line, "type", "socket"), "%s", line);
		cr_assert_lt(o->n, 4, "too many sockets listed: %s", line);
		cr_assert_eq(json_u64(line, "sport", &o->sport[o->n]), 1);
		strcpy(o->sock[o->n++], line);
	}
	fclose(r->out);
}

static const char *snap_line(const struct snap_out *o, uint16_t sport)
{
	for (int i = 0; i < o->n; i++)
		if (o->sport[i] == sport)
			return o->sock[i];
	cr_assert_fail("no socket on port %u listed", sport);
	return NULL;
}

/* A leaked CLOSE_WAIT of unknown age is listed, with why; stderr says so in
 * one line; exit 0. */
static void expect_unknown(const char *line, const char *why)
{
	uint64_t v, pid;
	char want[64];

	cr_assert(json_is(line, "state", "CLOSE_WAIT") || json_is(line, "state", "TIME_WAIT"), "%s", line);
	cr_assert_eq(json_u64(line, "in_state_ns", &v), 0, "an age where none is known: %s", line);
	snprintf(want, sizeof(want), "\"unknown_why\":\"%s\"", why);
	cr_assert_not_null(strstr(line, want), "%s", line);
	if (json_is(line, "state", "CLOSE_WAIT")) {
		cr_assert_eq(json_u64(line, "pid", &pid), 1, "no holder: %s", line);
		cr_assert_eq(pid, (uint64_t)getpid());
	}
}

Test(snapshot, no_tracer_lists_unknown_age, .init = require_root, .timeout = 30)
{
	char *args[] = { "snapshot", "-N", "self", "-j", "--older-than", "CLOSE_WAIT:1s", NULL };
	uint16_t port = 0;
	uint64_t f0, f1;
	struct snap_out o;
	struct run r;
	int lfd, s;

	enter_netns();
	private_bpffs();
	lfd = tcp_listen(4, &port, 16);
	s = leak_close_wait(lfd, port, &f0, &f1);
	run_start(&r, args, -1);
	cr_assert_eq(run_finish(&r, 0), 0, "snapshot failed: %s", r.err);
	snap_collect(&r, &o);
	cr_assert_eq(o.n, 1, "listed %d sockets", o.n);
	expect_unknown(snap_line(&o, port), "no_tracer");
	cr_assert_not_null(strstr(o.counts, "\"tracer_pid\":null,\"times\":\"unknown\",\"why\":\"no tracing tcpdwell "
					   "shares its maps\"}"), "%s", o.counts);
	cr_assert_str_eq(r.err, "tcpdwell: times in state are unknown: no tracing tcpdwell shares its maps; run "
				"tcpdwell to track them\n");
	close(s);
	close(lfd);
}

/* A request sock carries its SYN's time (bpf/reqsk.bpf.h), so the snapshot
 * knows a SYN_RECV's age with no tracer at all. */
Test(snapshot, request_sock_age_needs_no_tracer, .init = require_root, .timeout = 30)
{
	char *args[] = { "snapshot", "-N", "self", "-j", NULL };
	uint16_t port = 0, sport = (uint16_t)(20000 + pick_ms(0, 9999));
	uint64_t t0, t1, s0, s1, v;
	struct snap_out o;
	struct run r;
	int lfd, found = 0;

	enter_netns();
	private_bpffs();
	lfd = lossy_listener(&port);
	t0 = now_ns();
	send_syn("10.200.0.2", "10.200.0.1", sport, port);
	t1 = now_ns();
	sleep_ms(pick_ms(300, 900));
	s0 = now_ns();
	run_start(&r, args, -1);
	cr_assert_eq(run_finish(&r, 0), 0, "snapshot failed: %s", r.err);
	s1 = now_ns();
	snap_collect(&r, &o);
	for (int i = 0; i < o.n; i++) {
		uint64_t dport;

		if (!json_is(o.sock[i], "state", "SYN_RECV"))
			continue;
		cr_assert_eq(json_u64(o.sock[i], "dport", &dport), 1);
		cr_assert_eq(dport, sport, "%s", o.sock[i]);
		cr_assert_eq(json_u64(o.sock[i], "in_state_ns", &v), 1, "no age: %s", o.sock[i]);
		cr_assert_not_null(strstr(o.sock[i], "\"at_least\":false"), "%s", o.sock[i]);
		/* The first SYN-ACK left between t0 and t1; its stamp is in us,
		 * rounded down. */
		cr_assert(v >= s0 - t1 && v <= s1 - t0 + 1000, "in state %.3f ms, expected [%.3f, %.3f] ms",
			  v / 1e6, (s0 - t1) / 1e6, (s1 - t0) / 1e6);
		found++;
	}
	cr_assert_eq(found, 1, "the request sock not listed once (%d sockets listed)", o.n);
	close(lfd);
}

/* With a tracer that follows one port (-P), a leak on another port is
 * listed with an unknown age and the stderr line names the tracer and its
 * filters; the covered leak keeps its age, within the test's clock. The
 * tracer is found without -t: the newest (and only) one in this bpffs. */
Test(snapshot, uncovered_close_wait_listed_unknown, .init = require_root, .timeout = 40)
{
	char portarg[16], want[256];
	char *targs[] = { "-P", portarg, NULL };
	char *sargs[] = { "snapshot", "-N", "self", "-j", "--older-than", "CLOSE_WAIT:1s", NULL };
	uint16_t pcov = 0, punc = 0;
	uint64_t f0, f1, s0, s1, v, tpid;
	struct snap_out o;
	struct run tr, sn;
	int lcov, lunc, scov, sunc;
	const char *line;

	enter_netns();
	private_bpffs();
	lcov = tcp_listen(4, &pcov, 16);
	lunc = tcp_listen(4, &punc, 16);
	snprintf(portarg, sizeof(portarg), "%u", pcov);
	run_start(&tr, targs, -1);
	cr_assert(run_wait_stderr(&tr, "tcpdwell: tracing", 15000), "tracer did not start: %s", tr.err);
	sunc = leak_close_wait(lunc, punc, &f0, &f1);
	scov = leak_close_wait(lcov, pcov, &f0, &f1);
	sleep_ms(pick_ms(1200, 2000));

	s0 = now_ns();
	run_start(&sn, sargs, -1);
	cr_assert_eq(run_finish(&sn, 0), 0, "snapshot failed: %s", sn.err);
	s1 = now_ns();
	snap_collect(&sn, &o);
	cr_assert_eq(o.n, 2, "listed %d sockets", o.n);
	expect_unknown(snap_line(&o, punc), "outside_filters");
	line = snap_line(&o, pcov);
	cr_assert_eq(json_u64(line, "in_state_ns", &v), 1, "%s", line);
	cr_assert(v + 5000000ull >= s0 - f1 && v <= s1 - f0 + 5000000ull, "in state %.3f ms, expected [%.3f, %.3f] ms",
		  v / 1e6, (s0 - f1) / 1e6, (s1 - f0) / 1e6);
	cr_assert_not_null(strstr(line, "\"unknown_why\":null"), "%s", line);
	cr_assert_eq(json_u64(o.counts, "tracer_pid", &tpid), 1, "%s", o.counts);
	cr_assert_eq(tpid, (uint64_t)tr.pid);
	cr_assert(json_is(o.counts, "times", "partial"), "%s", o.counts);
	snprintf(want, sizeof(want), "tcpdwell: times in state from the tracer pid %d (filters: -P %u); unknown for 1 "
		 "socket outside the tracer's filters (-P %u)\n", tr.pid, pcov, pcov);
	cr_assert_str_eq(sn.err, want);
	cr_assert_eq(run_finish(&tr, SIGINT), 0);
	fclose(tr.out);
	close(scov);
	close(sunc);
	close(lcov);
	close(lunc);
}

/* A tracer without -T does not time TIME_WAIT: such a socket is listed by
 * --older-than TIME_WAIT:D with an unknown age, and stderr says -T. */
Test(snapshot, time_wait_without_timers_says_so, .init = require_root, .timeout = 40)
{
	char portarg[16];
	char *targs[] = { "-P", portarg, NULL };
	char *sargs[] = { "snapshot", "-N", "self", "-j", "--older-than", "TIME_WAIT:1s", NULL };
	uint16_t port = 0;
	struct snap_out o;
	struct run tr, sn;
	int lfd, c, s;
	char b;

	enter_netns();
	private_bpffs();
	lfd = tcp_listen(4, &port, 16);
	snprintf(portarg, sizeof(portarg), "%u", port);
	run_start(&tr, targs, -1);
	cr_assert(run_wait_stderr(&tr, "tcpdwell: tracing", 15000), "tracer did not start: %s", tr.err);
	c = tcp_connect(4, port);
	s = accept(lfd, NULL, NULL);
	shutdown(c, SHUT_WR);
	cr_assert_eq(read(s, &b, 1), 0);
	close(s);
	sleep_ms(100);
	close(c); /* c: TIME_WAIT */
	run_start(&sn, sargs, -1);
	cr_assert_eq(run_finish(&sn, 0), 0, "snapshot failed: %s", sn.err);
	snap_collect(&sn, &o);
	cr_assert_eq(o.n, 1, "listed %d sockets", o.n);
	expect_unknown(o.sock[0], "needs_timers");
	cr_assert(json_is(o.counts, "times", "unknown"), "%s", o.counts);
	cr_assert_not_null(strstr(sn.err, "unknown for 1 socket not followed by a tracer without -T\n"), "%s",
			   sn.err);
	cr_assert_eq(run_finish(&tr, SIGINT), 0);
	fclose(tr.out);
	close(lfd);
}
