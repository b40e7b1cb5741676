/* Container identity end to end: sockets made inside cgroups the test
 * creates with a Docker-like and a Kubernetes-like path, and what
 * `tcpdwell snapshot -j`, `snapshot -w` and `tcpdwell -e -j` say of them. */
#define _GNU_SOURCE
#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include <criterion/criterion.h>
#include "harness.h"

#define POD_UID "4f0c3e2a-1b2c-4d5e-8f90-a1b2c3d4e5f6"
#define POD_UID_ "4f0c3e2a_1b2c_4d5e_8f90_a1b2c3d4e5f6"

/* One made-up container: its cgroup (below the test's own directory) and
 * a child process inside it that holds one connection. */
struct box {
	char id[65];
	char dir[PATH_MAX];
	const char *pod; /* NULL: none */
	struct child ch;
	int go[2];
	uint16_t port; /* the child's local port */
};

struct box_args {
	int go_fd;
	uint16_t port;
	const char *procs;
};

/* Joins the cgroup (so that its sockets are created there), connects on
 * "g", reports its local port, closes on the next byte. */
static int box_main(void *arg, int wfd)
{
	struct box_args *a = arg;
	FILE *f = fopen(a->procs, "w");
	char b;
	int fd;

	if (!f || fprintf(f, "0\n") < 0 || fclose(f))
		return 2;
	report_u64(wfd, 1);
	if (read(a->go_fd, &b, 1) != 1)
		return 3;
	fd = tcp_connect(4, a->port);
	report_u64(wfd, local_port(fd));
	if (read(a->go_fd, &b, 1) != 1)
		return 4;
	close(fd);
	report_u64(wfd, 1);
	return 0;
}

/* mkdir -p below the cgroup2 mount; the directories are all the cgroup
 * needs (no controller is enabled). */
static void mkdirs(const char *path)
{
	char p[PATH_MAX];

	snprintf(p, sizeof(p), "%s", path);
	for (char *s = strchr(p + 1, '/'); s; s = strchr(s + 1, '/')) {
		*s = '\0';
		if (mkdir(p, 0755) && errno != EEXIST)
			cr_assert_fail("mkdir %s: %s", p, strerror(errno));
		*s = '/';
	}
	cr_assert(mkdir(p, 0755) == 0 || errno == EEXIST, "mkdir %s: %s", p, strerror(errno));
}

/* rmdir the path and its parents up to (and including) top. */
static void rmdirs(const char *path, const char *top)
{
	char p[PATH_MAX];
	size_t tl = strlen(top);

	snprintf(p, sizeof(p), "%s", path);
	while (strlen(p) >= tl) {
		char *s;

		rmdir(p);
		s = strrchr(p, '/');
		if (!s)
			break;
		*s = '\0';
	}
}

/* What .fini undoes when an assertion ends the test early: the children
 * (a cgroup with a process in it cannot be removed) and the cgroups. */
static struct {
	struct box *boxes;
	const char *top;
} live;

static void undo(void)
{
	for (int i = 0; live.boxes && i < 2; i++) {
		if (live.boxes[i].ch.pid > 0 && waitpid(live.boxes[i].ch.pid, NULL, WNOHANG) == 0) {
			kill(live.boxes[i].ch.pid, SIGKILL);
			waitpid(live.boxes[i].ch.pid, NULL, 0);
		}
		if (live.boxes[i].dir[0])
			rmdirs(live.boxes[i].dir, live.top);
	}
	live.boxes = NULL;
}

static void box_start(struct box *b, uint16_t port)
{
	static char procs[2][PATH_MAX + 16];
	static int next;
	struct box_args a = { 0 };
	char *pp = procs[next++ % 2];

	mkdirs(b->dir);
	snprintf(pp, PATH_MAX + 16, "%s/cgroup.procs", b->dir);
	cr_assert_eq(pipe(b->go), 0);
	a.go_fd = b->go[0];
	a.port = port;
	a.procs = pp;
	child_start(&b->ch, box_main, &a);
	(void)child_read_u64(&b->ch);
}

/* The line of the socket with local port sport, from a JSON Lines file. */
static bool find_line(FILE *f, const char *type, uint16_t sport, char *line, size_t len)
{
	uint64_t p;

	rewind(f);
	while (fgets(line, (int)len, f))
		if (json_is(line, "type", type) && json_u64(line, "sport", &p) == 1 && p == sport)
			return true;
	return false;
}

static void check_keys(const char *line, const struct box *b)
{
	char want[PATH_MAX + 32];

	snprintf(want, sizeof(want), "\"container\":\"%s\"", b->id);
	cr_expect_not_null(strstr(line, want), "no %s in %s", want, line);
	snprintf(want, sizeof(want), "\"cgroup\":\"%s\"", b->dir + strlen(cgroup2_root()));
	cr_expect_not_null(strstr(line, want), "no %s in %s", want, line);
	if (b->pod) {
		snprintf(want, sizeof(want), "\"pod_uid\":\"%s\"", b->pod);
		cr_expect_not_null(strstr(line, want), "no %s in %s", want, line);
	} else {
		cr_expect_null(strstr(line, "\"pod_uid\""), "a pod for a docker container: %s", line);
	}
}

static void snapshot_shows(const struct box *boxes, uint16_t port)
{
	char parg[16], line[2048];
	char *json[] = { "snapshot", "-j", "-P", parg, NULL }, *wide[] = { "snapshot", "-w", "-P", parg, NULL };
	struct run r;

	snprintf(parg, sizeof(parg), "%u", port);
	run_start(&r, json, -1);
	cr_assert_eq(run_finish(&r, 0), 0, "snapshot failed: %s", r.err);
	for (int i = 0; i < 2; i++) {
		cr_assert(find_line(r.out, "socket", boxes[i].port, line, sizeof(line)), "socket %u not listed",
			  boxes[i].port);
		check_keys(line, &boxes[i]);
	}
	/* The server's side was accepted in the test's cgroup: no container. */
	cr_assert(find_line(r.out, "socket", port, line, sizeof(line)));
	cr_expect_null(strstr(line, "\"container\""), "%s", line);
	fclose(r.out);

	run_start(&r, wide, -1);
	cr_assert_eq(run_finish(&r, 0), 0, "snapshot -w failed: %s", r.err);
	{
		char all[8192];
		size_t n;

		rewind(r.out);
		n = fread(all, 1, sizeof(all) - 1, r.out);
		all[n] = '\0';
		cr_expect_not_null(strstr(all, " CONTAINER "), "%s", all);
		for (int i = 0; i < 2; i++) {
			char shortid[16];

			snprintf(shortid, sizeof(shortid), " %.12s ", boxes[i].id);
			cr_expect_not_null(strstr(all, shortid), "no %s in %s", shortid, all);
		}
	}
	fclose(r.out);
}

/* A CLOSE_WAIT held for the whole of a doctor run is a leak; its owners
 * name their containers as the snapshot's CONTAINER column does. */
static void doctor_names_them(const struct box *boxes, uint16_t port)
{
	char parg[16], line[4096];
	char *args[] = { "doctor", "-d", "1", "-j", "-P", parg, NULL };
	struct run r;
	bool found = false;

	snprintf(parg, sizeof(parg), "%u", port);
	run_start(&r, args, -1);
	cr_assert_eq(run_finish(&r, 0), 0, "doctor failed: %s", r.err);
	rewind(r.out);
	while (!found && fgets(line, sizeof(line), r.out))
		found = json_is(line, "type", "finding") && json_is(line, "id", "close_wait_leak");
	cr_assert(found, "no close_wait_leak finding");
	for (int i = 0; i < 2; i++) {
		char want[64];

		snprintf(want, sizeof(want), "\"pid\":%d,", (int)boxes[i].ch.pid);
		cr_expect_not_null(strstr(line, want), "no owner %s in %s", want, line);
		snprintf(want, sizeof(want), "\"container\":\"%.12s\"", boxes[i].id);
		cr_expect_not_null(strstr(line, want), "no %s in %s", want, line);
	}
	fclose(r.out);
}

Test(container, snapshot_and_events_name_it, .init = require_root, .fini = undo, .timeout = 60)
{
	static char top[256];
	static struct box boxes[2];
	char parg[16], line[2048];
	char *args[] = { "-e", "-j", "-P", parg, NULL };
	uint16_t port = 0;
	int lfd = tcp_listen(4, &port, 16), srv[2];
	struct run r;

	snprintf(top, sizeof(top), "%s/tcpdwell-ct-%d", cgroup2_root(), getpid());
	/* Ids unique to this run, so that a leftover never answers for it. */
	snprintf(boxes[0].id, sizeof(boxes[0].id), "%08x%056x", (unsigned)getpid(), 0xd0c4e4u);
	snprintf(boxes[1].id, sizeof(boxes[1].id), "%08x%056x", (unsigned)getpid(), 0xc0d7a1u);
	snprintf(boxes[0].dir, sizeof(boxes[0].dir), "%s/system.slice/docker-%s.scope", top, boxes[0].id);
	snprintf(boxes[1].dir, sizeof(boxes[1].dir),
		 "%s/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod" POD_UID_
		 ".slice/cri-containerd-%s.scope", top, boxes[1].id);
	boxes[1].pod = POD_UID;
	live.boxes = boxes;
	live.top = top;
	for (int i = 0; i < 2; i++)
		box_start(&boxes[i], port);

	snprintf(parg, sizeof(parg), "%u", port);
	run_start(&r, args, -1);
	cr_assert(run_wait_stderr(&r, "tcpdwell: tracing", 15000), "tcpdwell did not start: %s", r.err);
	for (int i = 0; i < 2; i++) {
		cr_assert_eq(write(boxes[i].go[1], "g", 1), 1);
		boxes[i].port = (uint16_t)child_read_u64(&boxes[i].ch);
		srv[i] = accept(lfd, NULL, NULL);
		cr_assert_geq(srv[i], 0);
	}
	snapshot_shows(boxes, port);
	/* The server closes first: each box's socket waits in CLOSE_WAIT. */
	for (int i = 0; i < 2; i++)
		close(srv[i]);
	doctor_names_them(boxes, port);
	for (int i = 0; i < 2; i++) {
		cr_assert_eq(write(boxes[i].go[1], "c", 1), 1);
		(void)child_read_u64(&boxes[i].ch);
		child_wait(&boxes[i].ch);
	}
	sleep_ms(300);
	cr_assert_eq(run_finish(&r, SIGINT), 0, "stderr: %s", r.err);
	for (int i = 0; i < 2; i++) {
		cr_assert(find_line(r.out, "transition", boxes[i].port, line, sizeof(line)),
			  "no transition of %u", boxes[i].port);
		check_keys(line, &boxes[i]);
	}
	fclose(r.out);
	close(lfd);
	for (int i = 0; i < 2; i++) {
		close(boxes[i].go[0]);
		close(boxes[i].go[1]);
	}
	undo();
	cr_expect_eq(access(top, F_OK), -1, "%s left behind", top);
}
