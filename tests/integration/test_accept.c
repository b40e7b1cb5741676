/* Accept-queue waits against ground truth the test makes: a server that
 * sleeps a chosen time between the handshake and accept(), a pre-fork
 * server whose listener one process made and another accepts from, and the
 * in-kernel per-port histogram's count against the accepts made (with
 * --kernel-agg, and in the binary's report without -e). */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
#include <criterion/criterion.h>
#include "harness.h"

/* The accept record of the connection whose client port is cport. */
static const struct td_accept *find_accept(const struct capture *c, uint16_t lport, uint16_t cport)
{
	for (size_t i = 0; i < c->nacc; i++)
		if (c->acc[i].sport == lport && c->acc[i].dport == cport)
			return &c->acc[i];
	return NULL;
}

/* connect(), sleep ms, accept(): the wait is the sleep, and it lies between
 * the accept's start minus connect's end and the accept's end minus
 * connect's start (the child is queued at the final ACK, which loopback
 * handles before connect() returns). */
static void accept_wait(int family)
{
	uint16_t port = 0, cport;
	int lfd = tcp_listen(family, &port, 8), cfd, afd;
	unsigned ms = pick_ms(40, 300);
	uint64_t c0, c1, a0, a1, tol = tolerance_ns((uint64_t)ms * 1000000ull);
	const struct td_accept *r;
	struct td_config cfg;
	struct capture c;

	config_for_port_here(&cfg, port);
	capture_start(&c, &cfg);
	c0 = now_ns();
	cfd = tcp_connect(family, port);
	c1 = now_ns();
	cport = local_port(cfd);
	sleep_ms(ms);
	a0 = now_ns();
	afd = accept(lfd, NULL, NULL);
	a1 = now_ns();
	cr_assert_geq(afd, 0, "accept: %s", strerror(errno));
	capture_wait_accepts(&c, 1, 2000);
	r = find_accept(&c, port, cport);
	cr_assert_not_null(r, "no accept record for :%u <- :%u (%zu records)", port, cport, c.nacc);
	cr_assert_eq(r->family, family);
	cr_assert_eq(r->pid, (uint32_t)getpid());
	cr_assert(r->flags & TD_F_DWELL_KNOWN, "wait unknown");
	/* The sleep the test chose is what it waited, unless the machine
	 * held it longer: compare with the wait it measured before accept(),
	 * give or take the accept call itself. */
	cr_assert(r->wait_ns + tol >= a0 - c1 && r->wait_ns <= a0 - c1 + tol + (a1 - a0),
		  "wait %.3f ms, measured %.3f ms before accept() (slept %u ms)", r->wait_ns / 1e6, (a0 - c1) / 1e6, ms);
	cr_assert(r->wait_ns >= a0 - c1 && r->wait_ns <= a1 - c0, "wait %.3f ms outside [%.3f, %.3f] ms",
		  r->wait_ns / 1e6, (a0 - c1) / 1e6, (a1 - c0) / 1e6);
	cr_assert(r->ts_ns >= a0 && r->ts_ns <= a1, "accept time outside the accept() call");
	capture_stop(&c);
	close(afd);
	close(cfd);
	close(lfd);
}

Test(accept, wait_matches_the_sleep_v4, .timeout = 30)
{
	require_root();
	accept_wait(4);
}

Test(accept, wait_matches_the_sleep_v6, .timeout = 30)
{
	require_root();
	accept_wait(6);
}

/* A pre-fork worker: accepts one connection, says who it is, reads to EOF
 * (the client closes first), then closes. */
static int worker(void *arg, int wfd)
{
	int lfd = *(int *)arg, fd = accept(lfd, NULL, NULL);
	char buf[16];

	if (fd < 0)
		return 1;
	report_u64(wfd, (uint64_t)getpid());
	while (read(fd, buf, sizeof(buf)) > 0)
		;
	sleep_ms(20);
	close(fd);
	report_u64(wfd, now_ns());
	return 0;
}

/* The listener is this process's, the child is accepted by a forked worker:
 * from then on the child is the worker's, including ESTABLISHED ->
 * CLOSE_WAIT, which the peer's FIN causes in softirq. */
static void prefork(int family)
{
	uint16_t port = free_port(family), cport;
	const struct td_event *cw, *end;
	const struct td_accept *r;
	struct td_config cfg;
	struct capture c;
	struct child w;
	uint32_t wpid;
	int lfd, cfd;

	config_for_port_here(&cfg, port);
	capture_start(&c, &cfg);
	lfd = tcp_listen(family, &port, 8);
	child_start(&w, worker, &lfd);
	cfd = tcp_connect(family, port);
	cport = local_port(cfd);
	wpid = (uint32_t)child_read_u64(&w);
	close(cfd);
	child_read_u64(&w);
	child_wait(&w);
	capture_wait(&c, 10, 2000);
	capture_wait_accepts(&c, 1, 1000);
	r = find_accept(&c, port, cport);
	cr_assert_not_null(r, "no accept record");
	cr_assert_eq(r->pid, wpid, "accept charged to %u, the worker is %u", r->pid, wpid);
	cr_assert_eq(find_event(&c, port, 0, TD_CLOSE, TD_LISTEN)->pid, (uint32_t)getpid());
	cw = find_event(&c, port, cport, TD_ESTABLISHED, TD_CLOSE_WAIT);
	end = find_event(&c, port, cport, TD_LAST_ACK, TD_CLOSE);
	cr_assert_not_null(cw, "no ESTABLISHED -> CLOSE_WAIT");
	cr_assert_not_null(end, "no LAST_ACK -> CLOSE");
	cr_assert(cw->flags & TD_F_PID_KNOWN);
	cr_assert_eq(cw->pid, wpid, "ESTABLISHED -> CLOSE_WAIT charged to %u, the worker is %u (listener: %u)",
		     cw->pid, wpid, (uint32_t)getpid());
	cr_assert_eq(end->pid, wpid, "LAST_ACK -> CLOSE charged to %u, the worker is %u", end->pid, wpid);
	capture_stop(&c);
	close(lfd);
}

Test(accept, prefork_worker_owns_what_it_accepted_v4, .timeout = 30)
{
	require_root();
	prefork(4);
}

Test(accept, prefork_worker_owns_what_it_accepted_v6, .timeout = 30)
{
	require_root();
	prefork(6);
}

/* --kernel-agg: the port's histogram counts every accept, none unknown. */
static void kernel_count(int family)
{
	enum { N = 7 };
	uint16_t port = free_port(family);
	struct td_agg *a = calloc(1, sizeof(*a));
	const struct td_port_wait *p = NULL;
	struct td_config cfg;
	struct capture c;
	int lfd, cfd[N], afd[N];

	cr_assert_not_null(a);
	config_for_port_here(&cfg, port);
	cfg.kernel_agg = true;
	capture_start(&c, &cfg);
	lfd = tcp_listen(family, &port, N);
	for (int i = 0; i < N; i++)
		cfd[i] = tcp_connect(family, port);
	sleep_ms(pick_ms(5, 50));
	for (int i = 0; i < N; i++) {
		afd[i] = accept(lfd, NULL, NULL);
		cr_assert_geq(afd[i], 0);
	}
	cr_assert_eq(td_tracer_read_kernel_agg(c.tracer, a), 0);
	for (unsigned i = 0; i < a->accept.n; i++)
		if (a->accept.port[i].port == port)
			p = &a->accept.port[i];
	cr_assert_not_null(p, "no accept waits for port %u", port);
	cr_assert_eq(p->h.count, N, "%lu accepts counted, %d made", (unsigned long)p->h.count, N);
	cr_assert_eq(p->unknown, 0);
	cr_assert_eq(c.nacc, 0, "--kernel-agg sent accept records");
	capture_stop(&c);
	for (int i = 0; i < N; i++) {
		close(afd[i]);
		close(cfd[i]);
	}
	close(lfd);
	free(a);
}

Test(accept, kernel_agg_counts_every_accept_v4, .timeout = 30)
{
	require_root();
	kernel_count(4);
}

Test(accept, kernel_agg_counts_every_accept_v6, .timeout = 30)
{
	require_root();
	kernel_count(6);
}

/* --kernel-agg: the first TD_ACCEPT_PORTS listener ports to see an accept
 * get a histogram each, and every later port's accepts count as other
 * (port 0); none is lost. In a namespace of the test's own, so that no
 * other port takes a slot first. */
Test(accept, kernel_agg_ports_past_the_cap_count_as_other, .timeout = 30)
{
	enum { N = TD_ACCEPT_PORTS + 3 };
	struct td_agg *a = calloc(1, sizeof(*a));
	uint16_t port[N];
	int lfd[N], cfd[N], afd[N];
	uint64_t total = 0;
	struct td_config cfg;
	struct capture c;

	require_root();
	cr_assert_not_null(a);
	enter_netns();
	config_for_port(&cfg, 0);
	cfg.kernel_agg = true;
	cfg.filter_either = true;
	for (int i = 0; i < N; i++) {
		port[i] = 0;
		lfd[i] = tcp_listen(4, &port[i], 1);
		cfg.port_filter[port[i]] |= TD_PORT_EITHER;
	}
	capture_start(&c, &cfg);
	for (int i = 0; i < N; i++) {
		cfd[i] = tcp_connect(4, port[i]);
		afd[i] = accept(lfd[i], NULL, NULL);
		cr_assert_geq(afd[i], 0, "accept: %s", strerror(errno));
	}
	cr_assert_eq(td_tracer_read_kernel_agg(c.tracer, a), 0);
	cr_assert_eq(a->accept.n, TD_ACCEPT_PORTS, "%u ports with their own histogram", a->accept.n);
	for (unsigned i = 0; i < a->accept.n; i++) {
		/* The first ports accepted from, in order: one accept each. */
		cr_expect_eq(a->accept.port[i].h.count, 1, "port %u", a->accept.port[i].port);
		cr_expect_neq(a->accept.port[i].port, port[N - 1]);
		total += a->accept.port[i].h.count;
	}
	cr_expect_eq(a->accept.other.h.count, N - TD_ACCEPT_PORTS);
	total += a->accept.other.h.count;
	cr_assert_eq(total, N, "%llu accepts counted, %d made", (unsigned long long)total, N);
	capture_stop(&c);
	for (int i = 0; i < N; i++) {
		close(afd[i]);
		close(cfd[i]);
		close(lfd[i]);
	}
	free(a);
}

/* The binary without -e: no record per accept, the kernel keeps the waits
 * (accepts_in_kernel), and the report at exit shows them all, each at
 * least the sleep between the handshakes and the accepts. */
static void report_counts(int family)
{
	enum { N = 5 };
	uint16_t port = free_port(family);
	char portarg[8], line[4096];
	char *args[] = { "-j", "-L", portarg, NULL };
	unsigned ms = pick_ms(30, 120);
	uint64_t count = 0, unknown = 1, min_ns = 0, v;
	int lfd, cfd[N], afd[N], lines = 0;
	struct run r;

	snprintf(portarg, sizeof(portarg), "%u", port);
	run_start(&r, args, -1);
	cr_assert(run_wait_stderr(&r, "tcpdwell: tracing", 15000), "tcpdwell did not start: %s", r.err);
	lfd = tcp_listen(family, &port, N);
	for (int i = 0; i < N; i++)
		cfd[i] = tcp_connect(family, port);
	sleep_ms(ms);
	for (int i = 0; i < N; i++) {
		afd[i] = accept(lfd, NULL, NULL);
		cr_assert_geq(afd[i], 0, "accept: %s", strerror(errno));
	}
	cr_assert_eq(run_finish(&r, SIGINT), 0, "SIGINT must exit 0; stderr: %s", r.err);
	while (fgets(line, sizeof(line), r.out)) {
		cr_assert(!json_is(line, "type", "accept"), "an accept record without -e: %s", line);
		if (!json_is(line, "type", "accept_wait") || json_u64(line, "port", &v) != 1 || v != port)
			continue;
		lines++;
		cr_assert_eq(json_u64(line, "count", &count), 1, "%s", line);
		cr_assert_eq(json_u64(line, "unknown", &unknown), 1, "%s", line);
		cr_assert_eq(json_u64(line, "min_ns", &min_ns), 1, "%s", line);
	}
	fclose(r.out);
	cr_assert_eq(lines, 1, "%d accept_wait lines for port %u", lines, port);
	cr_assert_eq(count, N, "%llu accepts counted, %d made", (unsigned long long)count, N);
	cr_assert_eq(unknown, 0);
	cr_assert_geq(min_ns, (uint64_t)ms * 1000000ull, "shortest wait %.3f ms, slept %u ms", min_ns / 1e6, ms);
	for (int i = 0; i < N; i++) {
		close(afd[i]);
		close(cfd[i]);
	}
	close(lfd);
}

Test(accept, report_without_e_counts_every_accept_v4, .timeout = 30)
{
	require_root();
	report_counts(4);
}

Test(accept, report_without_e_counts_every_accept_v6, .timeout = 30)
{
	require_root();
	report_counts(6);
}
