/* The census by a direct walk of the socket table (bpf/walk.bpf.h) against
 * ground truth: two namespaces that the test makes hold ESTABLISHED pairs,
 * a CLOSE_WAIT (and its orphaned FIN_WAIT2), a TIME_WAIT and a listener
 * whose full accept queue dropped SYNs; the walk's counts per namespace
 * equal `ss -tan` inside each and the iterators' (TD_CENSUS=iter), and the
 * listener's drops equal the namespace's TcpExt ListenDrops. A namespace
 * with an established table of its own is counted by its iterator. */
#define _GNU_SOURCE
#include <errno.h>
#include <netinet/in.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>
#include <criterion/criterion.h>
#include "harness.h"
#include "census.h"
#include "listeners.h"
#include "states.h"
#include "tracer.h"

#define NS 2
#define PAIRS 3
#define DROPPED 2 /* SYNs sent to the full queue */

struct ns_args {
	int go_fd;
	int go_wfd;    /* closed in the child: a test that dies ends it */
	int own_table; /* make the namespace with a socket table of its own */
};

struct ns_report {
	uint32_t ino;
	uint16_t qport;   /* the listener with the full queue */
	uint64_t drops;   /* the namespace's ListenDrops after the dropped SYNs */
	long long ehash;  /* its net.ipv4.tcp_ehash_entries */
};

static long long read_ll(const char *path)
{
	long long v = 0;
	FILE *f = fopen(path, "r");

	if (!f || fscanf(f, "%lld", &v) != 1)
		v = 0;
	if (f)
		fclose(f);
	return v;
}

/* A namespace of its own (nested: its parent sets tcp_child_ehash_entries,
 * and the table exists only for namespaces created after that). */
static int make_ns(int own_table)
{
	FILE *f;

	if (unshare(CLONE_NEWNET) || lo_up())
		return 10;
	if (!own_table)
		return 0;
	f = fopen("/proc/sys/net/ipv4/tcp_child_ehash_entries", "w");
	if (!f || fprintf(f, "1024\n") < 0 || fclose(f))
		return 11;
	return unshare(CLONE_NEWNET) || lo_up() ? 12 : 0;
}

/* A listener with a one-child accept queue, full, that drops DROPPED SYNs;
 * the connects are closed before any retransmit, so no more drop comes. */
static uint16_t full_queue(void)
{
	struct sockaddr_storage ss;
	uint16_t port = 0;
	int lfd = tcp_listen(4, &port, 0), fd[DROPPED];

	(void)lfd; /* held until the child exits */
	(void)tcp_connect(4, port);
	sleep_ms(20);
	for (int i = 0; i < DROPPED; i++) {
		fd[i] = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
		(void)connect(fd[i], (struct sockaddr *)&ss, loopback(4, port, &ss));
	}
	sleep_ms(50);
	for (int i = 0; i < DROPPED; i++)
		close(fd[i]);
	return port;
}

/* In its namespace: PAIRS ESTABLISHED pairs, a CLOSE_WAIT (client closed
 * first: an orphaned FIN_WAIT2 on its side), a TIME_WAIT, the full queue;
 * reports what struct ns_report holds, then waits for 'q'. */
static int ns_child(void *arg, int wfd)
{
	struct ns_args *a = arg;
	uint16_t port = 0;
	int err = make_ns(a->own_table), lfd, c, s;
	struct stat st;
	char b;

	close(a->go_wfd);
	if (err)
		return err;
	lfd = tcp_listen(4, &port, 64);
	for (int i = 0; i < PAIRS; i++) {
		(void)tcp_connect(4, port);
		(void)accept(lfd, NULL, NULL);
	}
	c = tcp_connect(4, port);
	(void)accept(lfd, NULL, NULL);
	close(c); /* CLOSE_WAIT held, FIN_WAIT2 orphaned */
	c = tcp_connect(4, port);
	s = accept(lfd, NULL, NULL);
	close(c);
	(void)read(s, &b, 1);
	close(s); /* the client's TIME_WAIT */
	if (stat("/proc/self/ns/net", &st))
		return 13;
	report_u64(wfd, st.st_ino);
	report_u64(wfd, full_queue());
	report_u64(wfd, tcpext_counter("ListenDrops"));
	report_u64(wfd, (uint64_t)read_ll("/proc/sys/net/ipv4/tcp_ehash_entries"));
	while (read(a->go_fd, &b, 1) == 1 && b != 'q')
		;
	return 0;
}

struct nss {
	int n;
	struct ns_args args[NS];
	struct child ch[NS];
	int go[NS][2];
	struct ns_report r[NS];
};

static void nss_start(struct nss *t, int n, int own_table)
{
	t->n = n;
	for (int i = 0; i < n; i++) {
		cr_assert_eq(pipe(t->go[i]), 0);
		t->args[i] = (struct ns_args){ .go_fd = t->go[i][0], .go_wfd = t->go[i][1], .own_table = own_table };
		child_start(&t->ch[i], ns_child, &t->args[i]);
		t->r[i].ino = (uint32_t)child_read_u64(&t->ch[i]);
		t->r[i].qport = (uint16_t)child_read_u64(&t->ch[i]);
		t->r[i].drops = child_read_u64(&t->ch[i]);
		t->r[i].ehash = (long long)child_read_u64(&t->ch[i]);
	}
}

static void nss_stop(struct nss *t)
{
	for (int i = 0; i < t->n; i++) {
		cr_assert_eq(write(t->go[i][1], "q", 1), 1);
		child_wait(&t->ch[i]);
		close(t->go[i][0]);
		close(t->go[i][1]);
	}
}

/* One census by a tracer of this process; walk: the walk, or the
 * iterators (TD_CENSUS=iter). Copies namespace ino's counts and its
 * full-queue listener's stat, and what the walk itself counted there;
 * returns whether the census walked. */
static bool census_of(bool walk, uint32_t only, const struct ns_report *r, uint64_t got[TD_CENSUS_MAX],
		      struct td_listener_stat *ls, uint64_t walker[TD_CENSUS_MAX])
{
	const struct td_census *cs;
	const struct td_census_ns *per;
	uint64_t total[TD_CENSUS_MAX];
	const struct td_listeners *l;
	struct td_config cfg;
	struct capture c;
	bool walked;
	size_t n, k = 0;

	if (!walk)
		setenv("TD_CENSUS", "iter", 1);
	config_for_port(&cfg, 0);
	cfg.netns = only;
	capture_start(&c, &cfg);
	unsetenv("TD_CENSUS");
	cr_assert_eq(td_tracer_census(c.tracer, total), 0);
	cs = td_tracer_census_state(c.tracer);
	walked = cs->walked;
	if (walked)
		td_walker_counts(&cs->walker, r->ino, walker);
	n = td_tracer_census_ns(c.tracer, &per);
	while (k < n && per[k].netns != r->ino)
		k++;
	cr_assert(k < n, "the census found no socket in netns %u", r->ino);
	memcpy(got, per[k].c, sizeof(per[k].c));
	l = td_tracer_listeners(c.tracer);
	memset(ls, 0, sizeof(*ls));
	for (unsigned int i = 0; i < l->n; i++)
		if (l->v[i].netns == r->ino && l->v[i].port == r->qport)
			*ls = l->v[i];
	cr_assert_eq(ls->port, r->qport, "no listener %u in netns %u", r->qport, r->ino);
	capture_stop(&c);
	return walked;
}

static void assert_ss(const uint64_t *got, pid_t pid, uint32_t ino, const char *how)
{
	uint64_t ss[TD_MAX_STATES];

	ss_counts(pid, ss);
	cr_assert_eq(ss[TD_ESTABLISHED], 2 * PAIRS + 2, "ss ESTABLISHED %llu", (unsigned long long)ss[TD_ESTABLISHED]);
	cr_assert_eq(ss[TD_CLOSE_WAIT], 1);
	cr_assert_eq(ss[TD_TIME_WAIT], 1);
	for (int s = 1; s < TD_MAX_STATES; s++)
		cr_assert_eq(got[s], ss[s], "netns %u, %s: %s %llu, ss -tan %llu", ino, how, td_state_name(s),
			     (unsigned long long)got[s], (unsigned long long)ss[s]);
	cr_assert_eq(got[TD_CENSUS_ORPHANS], 1, "netns %u, %s: orphaned FIN_WAIT2 %llu", ino, how,
		     (unsigned long long)got[TD_CENSUS_ORPHANS]);
}

static void assert_listener(const struct td_listener_stat *s, const struct ns_report *r, const char *how)
{
	cr_assert_geq(r->drops, DROPPED, "the kernel dropped %llu SYNs", (unsigned long long)r->drops);
	cr_assert_eq(s->drops, r->drops, "netns %u, %s: sk_drops %u, ListenDrops %llu", r->ino, how, s->drops,
		     (unsigned long long)r->drops);
	cr_assert_eq(s->backlog, 1, "%s: accept queue %u", how, s->backlog);
	cr_assert_eq(s->max_backlog, 0, "%s: its limit %u", how, s->max_backlog);
}

Test(walk, equals_ss_and_the_iterators, .init = require_root, .timeout = 60)
{
	uint64_t w[TD_CENSUS_MAX], it[TD_CENSUS_MAX], wk[TD_CENSUS_MAX];
	struct td_listener_stat wl, il;
	struct nss t;

	nss_start(&t, NS, 0);
	for (int i = 0; i < NS; i++) {
		cr_assert_lt(t.r[i].ehash, 0, "netns %u: tcp_ehash_entries %lld, not the host's table", t.r[i].ino,
			     t.r[i].ehash);
		cr_assert(census_of(true, 0, &t.r[i], w, &wl, wk), "the census did not walk the table");
		cr_assert_eq(memcmp(w, wk, sizeof(w)), 0, "netns %u: counted other than by the walk", t.r[i].ino);
		assert_ss(w, t.ch[i].pid, t.r[i].ino, "walk");
		assert_listener(&wl, &t.r[i], "walk");
		cr_assert_not(census_of(false, 0, &t.r[i], it, &il, wk), "TD_CENSUS=iter walked the table");
		assert_ss(it, t.ch[i].pid, t.r[i].ino, "iterator");
		cr_assert_eq(memcmp(w, it, sizeof(w)), 0, "netns %u: the walk and the iterator differ", t.r[i].ino);
		cr_assert_eq(wl.drops, il.drops);
		cr_assert_eq(wl.skaddr, il.skaddr);
	}
	nss_stop(&t);
}

Test(walk, own_table_by_its_iterator, .init = require_root, .timeout = 60)
{
	uint64_t got[TD_CENSUS_MAX], walked[TD_CENSUS_MAX];
	struct td_listener_stat ls;
	struct nss t;

	nss_start(&t, 1, 1);
	cr_assert_gt(t.r[0].ehash, 0, "tcp_ehash_entries %lld: the namespace shares the host's table", t.r[0].ehash);
	cr_assert(census_of(true, 0, &t.r[0], got, &ls, walked), "the census did not walk the host's table");
	/* Only the established table is the namespace's own: the listeners'
	 * (lhash2) stays the host's (inet_pernet_hashinfo_alloc copies it). */
	for (int s = 0; s < TD_CENSUS_MAX; s++)
		cr_assert_eq(walked[s], s == TD_LISTEN ? got[TD_LISTEN] : 0,
			     "the walk of the host's table found %llu %s of the namespace", (unsigned long long)walked[s],
			     s < TD_MAX_STATES ? td_state_name(s) : "orphans");
	assert_ss(got, t.ch[0].pid, t.r[0].ino, "own table");
	assert_listener(&ls, &t.r[0], "own table");
	/* -N names it: the host's table, which holds none of its sockets but
	 * its listeners (counted by its iterator too), is not walked. */
	cr_assert_not(census_of(true, t.r[0].ino, &t.r[0], got, &ls, walked),
		      "-N %u (a table of its own) walked the host's table", t.r[0].ino);
	assert_ss(got, t.ch[0].pid, t.r[0].ino, "own table, -N");
	assert_listener(&ls, &t.r[0], "own table, -N");
	nss_stop(&t);
}

/* More sockets than one run of the walk reads (TD_WALK_SOCKETS): the
 * census takes several runs, and a tracer drains its ring buffer between
 * them, from its first census on, which runs before the ring's consumer
 * exists. The counts still equal ss -tan. TIME_WAITs, in a namespace of
 * the test's own where none is reused. */
#define MANY (TD_WALK_SOCKETS + 4096)

/* Connection i from a source address and port of its own (127.0.1.x,
 * 50,000 ports each): no search for a free port among thousands of
 * TIME_WAITs, which makes connect() slow. */
static int bound_connect(int i, uint16_t port)
{
	char src[16];

	snprintf(src, sizeof(src), "127.0.1.%d", 1 + i / 50000);
	return tcp_connect_from(src, (uint16_t)(10000 + i % 50000), port);
}

Test(walk, a_table_of_several_runs, .init = require_root, .timeout = 180)
{
	uint64_t total[TD_CENSUS_MAX], ss[TD_MAX_STATES];
	const struct td_census_ns *per;
	const struct td_census *cs;
	uint16_t port[2] = { 0, 0 };
	struct td_config cfg;
	struct capture c;
	int lfd[2];
	struct stat st;
	size_t n, k = 0;

	enter_netns();
	sysctl_set("/proc/sys/net/ipv4/tcp_tw_reuse", "0");
	sysctl_set("/proc/sys/net/ipv4/tcp_max_tw_buckets", "262144");
	for (int i = 0; i < 2; i++)
		lfd[i] = tcp_listen(4, &port[i], 128);
	for (int i = 0; i < MANY; i++) {
		int cfd = bound_connect(i, port[i % 2]), afd = accept(lfd[i % 2], NULL, NULL);

		cr_assert(cfd >= 0 && afd >= 0, "connection %d: %s", i, strerror(errno));
		close(cfd); /* the client closes first: its TIME_WAIT */
		close(afd);
	}
	cr_assert_eq(stat("/proc/self/ns/net", &st), 0);
	config_for_port(&cfg, 0);
	cfg.netns = (uint32_t)st.st_ino;
	capture_start(&c, &cfg);
	cr_assert_eq(td_tracer_census(c.tracer, total), 0);
	cs = td_tracer_census_state(c.tracer);
	cr_assert(cs->walked, "the census did not walk the table");
	/* The established table in at least two runs, the listeners' in one. */
	cr_assert_geq(cs->walker.runs, 3, "%llu runs of the walk", (unsigned long long)cs->walker.runs);
	ss_counts(getpid(), ss);
	cr_assert_geq(ss[TD_TIME_WAIT], TD_WALK_SOCKETS, "ss TIME-WAIT %llu", (unsigned long long)ss[TD_TIME_WAIT]);
	n = td_tracer_census_ns(c.tracer, &per);
	while (k < n && per[k].netns != st.st_ino)
		k++;
	cr_assert(k < n, "the census found no socket in netns %lu", (unsigned long)st.st_ino);
	for (int s = 1; s < TD_MAX_STATES; s++)
		cr_assert_eq(per[k].c[s], ss[s], "%s: %llu, ss -tan %llu", td_state_name(s),
			     (unsigned long long)per[k].c[s], (unsigned long long)ss[s]);
	capture_stop(&c);
	for (int i = 0; i < 2; i++)
		close(lfd[i]);
}

/* TD_CENSUS is a debug variable, but a bad value is refused: one line,
 * exit 2. */
Test(walk, bad_td_census_refused, .init = require_root, .timeout = 30)
{
	char *args[] = { "-d", "1", NULL };
	struct run r;
	int rc;

	setenv("TD_CENSUS", "bogus", 1);
	run_start(&r, args, -1);
	unsetenv("TD_CENSUS");
	rc = run_finish(&r, 0);
	cr_assert_eq(rc, 2, "exit %d: %s", rc, r.err);
	cr_assert_str_eq(r.err, "tcpdwell: TD_CENSUS=bogus: expected \"walk\" or \"iter\"\n");
	fclose(r.out);
}
