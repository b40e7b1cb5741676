/* The census honours -p and -c as the transitions do: a child process holds
 * 2 ESTABLISHED sockets, the test process 4 more, and the filtered census
 * counts only the child's. */
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <errno.h>
#include <sys/stat.h>
#include <sys/socket.h>
#include <unistd.h>
#include <criterion/criterion.h>
#include "harness.h"
#include "tcpdwell.h"

struct holder_args {
	uint16_t port;
	int go_fd;
	const char *procs; /* NULL: stay in the test's cgroup */
};

/* Joins the cgroup if asked, then on "go" connects twice and holds both
 * connections until the second "go". */
static int hold_two(void *arg, int wfd)
{
	struct holder_args *a = arg;
	int fd[2];
	char b;
	FILE *f;

	if (a->procs) {
		f = fopen(a->procs, "w");
		if (!f || fprintf(f, "0\n") < 0 || fclose(f))
			return 2;
	}
	report_u64(wfd, 1);
	if (read(a->go_fd, &b, 1) != 1)
		return 3;
	fd[0] = tcp_connect(4, a->port);
	fd[1] = tcp_connect(4, a->port);
	report_u64(wfd, 2);
	if (read(a->go_fd, &b, 1) != 1)
		return 4;
	close(fd[0]);
	close(fd[1]);
	return 0;
}

/* A child (in the cgroup of procs, if given) holds 2 connections, the test
 * 2 more; the census under -p child (by_pid) or -c cgroup_dir: its
 * ESTABLISHED count. */
static uint64_t census_established(const char *procs, const char *cgroup_dir, bool by_pid)
{
	struct holder_args ha = { .procs = procs };
	uint64_t census[TD_CENSUS_MAX];
	struct td_config cfg;
	struct capture c;
	struct child ch;
	int go[2], lfd, fds[8], n = 0;

	enter_netns();
	lfd = tcp_listen(4, &ha.port, 16);
	cr_assert_eq(pipe(go), 0);
	ha.go_fd = go[0];
	child_start(&ch, hold_two, &ha);
	(void)child_read_u64(&ch);
	config_for_port(&cfg, 0);
	cfg.pid = by_pid ? (uint32_t)ch.pid : 0;
	cfg.cgroup_path = cgroup_dir;
	capture_start(&c, &cfg);
	cr_assert_eq(write(go[1], "g", 1), 1);
	(void)child_read_u64(&ch);
	fds[n++] = accept(lfd, NULL, NULL);
	fds[n++] = accept(lfd, NULL, NULL);
	/* The test's own: 2 connections, 4 ESTABLISHED sockets. */
	for (int i = 0; i < 2; i++) {
		fds[n++] = tcp_connect(4, ha.port);
		fds[n++] = accept(lfd, NULL, NULL);
	}
	sleep_ms(50);
	cr_assert_eq(td_tracer_census(c.tracer, census), 0);
	cr_assert_eq(write(go[1], "g", 1), 1);
	child_wait(&ch);
	capture_stop(&c);
	for (int i = 0; i < n; i++)
		close(fds[i]);
	close(lfd);
	close(go[0]);
	close(go[1]);
	cr_assert_eq(census[TD_LISTEN], 0, "the test's listener passed the filter");
	return census[TD_ESTABLISHED];
}

Test(census, honours_pid, .init = require_root, .timeout = 30)
{
	uint64_t est = census_established(NULL, NULL, true);

	cr_assert_eq(est, 2, "ESTABLISHED %llu with -p: want the child's 2 of 6", (unsigned long long)est);
}

Test(census, honours_cgroup, .init = require_root, .timeout = 30)
{
	char dir[PATH_MAX], procs[PATH_MAX + 16];
	uint64_t est;

	snprintf(dir, sizeof(dir), "%s/tcpdwell-census-%d", cgroup2_root(), getpid());
	cr_assert_eq(mkdir(dir, 0755), 0, "mkdir %s: %s", dir, strerror(errno));
	snprintf(procs, sizeof(procs), "%s/cgroup.procs", dir);
	est = census_established(procs, dir, false);
	cr_assert_eq(rmdir(dir), 0, "rmdir %s: %s", dir, strerror(errno));
	cr_assert_eq(est, 2, "ESTABLISHED %llu with -c: want the child's 2 of 6", (unsigned long long)est);
}

/* TIME_WAITs made before the tracer starts: a timewait sock keeps no cgroup
 * or owner, so with -c (or -p) they can never pass; the start-up note says
 * how many, and only then. */
Test(census, seeded_time_waits_named_under_cgroup, .init = require_root, .timeout = 30)
{
	char portstr[8], cg[PATH_MAX], want[160];
	char *with_c[] = { "-T", "-c", cg, "-P", portstr, "-d", "1", NULL };
	char *with_p[] = { "-T", "-p", "1", "-P", portstr, "-d", "1", NULL };
	char *plain[] = { "-T", "-P", portstr, "-d", "1", NULL };
	char *no_t[] = { "-c", cg, "-P", portstr, "-d", "1", NULL };
	unsigned n = pick_ms(2, 6);
	uint16_t port = 0;
	struct run r;
	char b;
	int lfd;

	enter_netns();
	lfd = tcp_listen(4, &port, 16);
	for (unsigned i = 0; i < n; i++) {
		int c = tcp_connect(4, port), s = accept(lfd, NULL, NULL);

		cr_assert_eq(shutdown(c, SHUT_WR), 0);
		cr_assert_eq(read(s, &b, 1), 0);
		close(s);
		sleep_ms(20); /* the server's FIN: the client is in TIME_WAIT */
		close(c);
	}
	snprintf(portstr, sizeof(portstr), "%u", port);
	snprintf(cg, sizeof(cg), "%s", cgroup2_root());
	snprintf(want, sizeof(want), "tcpdwell: warning: %u TIME_WAIT sockets from before this run are never counted with -c: ",
		 n);
	run_start(&r, with_c, -1);
	cr_assert_eq(run_finish(&r, 0), 0, "stderr: %s", r.err);
	cr_assert_neq(strstr(r.err, want), NULL, "want \"%s\" in: %s", want, r.err);
	cr_assert_neq(strstr(r.err, "the kernel keeps no cgroup or owner for a timewait sock\n"), NULL, "%s", r.err);
	fclose(r.out);
	run_start(&r, with_p, -1);
	cr_assert_eq(run_finish(&r, 0), 0, "stderr: %s", r.err);
	cr_assert_neq(strstr(r.err, " are never counted with -p: "), NULL, "%s", r.err);
	fclose(r.out);
	run_start(&r, plain, -1);
	cr_assert_eq(run_finish(&r, 0), 0, "stderr: %s", r.err);
	cr_assert_eq(strstr(r.err, "never counted"), NULL, "no -c or -p: %s", r.err);
	fclose(r.out);
	run_start(&r, no_t, -1);
	cr_assert_eq(run_finish(&r, 0), 0, "stderr: %s", r.err);
	cr_assert_eq(strstr(r.err, "never counted"), NULL, "no -T: %s", r.err);
	fclose(r.out);
	close(lfd);
}
