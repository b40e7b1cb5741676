/* Unit tests of user/cgroups.c: the /proc/mounts parser, and the id -> path
 * cache over a directory tree the test makes (a tmpfs or disk directory's
 * inode stands in for a cgroup id: the walk reads d_ino the same way). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <criterion/criterion.h>
#include "cgroups.h"

Test(cgroups, mount_lines)
{
	char dir[64];

	cr_assert(td_mount_line_cgroup2("cgroup2 /sys/fs/cgroup/unified cgroup2 rw,relatime 0 0\n", dir, sizeof(dir)));
	cr_assert_str_eq(dir, "/sys/fs/cgroup/unified");
	cr_assert(td_mount_line_cgroup2("none /host/sys/fs/cgroup cgroup2 rw,nsdelegate 0 0", dir, sizeof(dir)));
	cr_assert_str_eq(dir, "/host/sys/fs/cgroup");
	cr_assert(td_mount_line_cgroup2("cgroup2 /mnt/my\\040cgroups cgroup2 rw 0 0", dir, sizeof(dir)));
	cr_assert_str_eq(dir, "/mnt/my cgroups");
	cr_assert(td_mount_line_cgroup2("cgroup2 /a\\134b cgroup2 rw 0 0", dir, sizeof(dir)));
	cr_assert_str_eq(dir, "/a\\b");
	/* cgroup v1, another fs, a short line, a mount point too long */
	cr_assert_not(td_mount_line_cgroup2("cgroup /sys/fs/cgroup/cpu cgroup rw,cpu 0 0", dir, sizeof(dir)));
	cr_assert_not(td_mount_line_cgroup2("tmpfs /sys/fs/cgroup tmpfs rw 0 0", dir, sizeof(dir)));
	cr_assert_not(td_mount_line_cgroup2("cgroup2 /x cgroup2x rw 0 0", dir, sizeof(dir)));
	cr_assert_not(td_mount_line_cgroup2("cgroup2 /x", dir, sizeof(dir)));
	cr_assert_not(td_mount_line_cgroup2("", dir, sizeof(dir)));
	cr_assert_not(td_mount_line_cgroup2("cgroup2 relative cgroup2 rw 0 0", dir, sizeof(dir)));
	cr_assert_not(td_mount_line_cgroup2("cgroup2 /a/very/long/mount/point/that/does/not/fit/in/sixty/four/bytes/x "
					    "cgroup2 rw 0 0", dir, sizeof(dir)));
}

struct tree {
	char root[64];
};

static uint64_t mk(const struct tree *t, const char *rel)
{
	char p[512];
	struct stat st;

	snprintf(p, sizeof(p), "%s%s", t->root, rel);
	cr_assert_eq(mkdir(p, 0755), 0, "mkdir %s: %s", p, strerror(errno));
	cr_assert_eq(stat(p, &st), 0);
	return st.st_ino;
}

static void rm(const struct tree *t, const char *rel)
{
	char p[512];

	snprintf(p, sizeof(p), "%s%s", t->root, rel);
	rmdir(p);
}

#define DOCKER "/system.slice/docker-3f1c2a9b8d7e6f5a4b3c2d1e0f9a8b7c6d5e4f3a2b1c0d9e8f7a6b5c4d3e2f1a.scope"

/* Ids map to their paths and identities; a new directory is found on the
 * next miss once min_walk_ns has passed, not before; a file is no cgroup. */
Test(cgroups, walk_lookup_and_refresh)
{
	struct tree t;
	struct td_cgroups c;
	const struct td_cgroup *g;
	uint64_t sys, docker, late;
	struct stat st;
	FILE *f;

	snprintf(t.root, sizeof(t.root), "/tmp/td-cgroups-%d", getpid());
	cr_assert_eq(mkdir(t.root, 0755), 0);
	sys = mk(&t, "/system.slice");
	docker = mk(&t, DOCKER);
	f = fopen("/tmp/td-cgroups-x", "w");
	cr_assert_not_null(f);
	fclose(f);
	cr_assert_eq(td_cgroups_init(&c, t.root), 0);
	g = td_cgroups_lookup(&c, docker, 1000);
	cr_assert_not_null(g);
	cr_assert_str_eq(g->path, DOCKER);
	cr_assert_not_null(g->ident);
	cr_assert_str_eq(g->ident->runtime, "docker");
	cr_assert_str_eq(td_cgroups_lookup(&c, sys, 1000)->path, "/system.slice");
	cr_assert_eq(stat(t.root, &st), 0);
	cr_assert_str_eq(td_cgroups_lookup(&c, st.st_ino, 1000)->path, "/");
	cr_assert_eq(c.walks, 1);

	late = mk(&t, "/system.slice/sshd.service");
	cr_assert_null(td_cgroups_lookup(&c, late, 1000 + c.min_walk_ns - 1), "walked again too soon");
	cr_assert_null(td_cgroups_lookup(&c, 12345678, 1000 + c.min_walk_ns - 1));
	cr_assert_eq(c.walks, 1, "a flood of unknown ids walks once per min_walk_ns");
	g = td_cgroups_lookup(&c, late, 1000 + c.min_walk_ns);
	cr_assert_not_null(g);
	cr_assert_str_eq(g->ident->unit, "sshd.service");
	cr_assert_eq(c.walks, 2);
	cr_assert_null(td_cgroups_lookup(&c, 0, 1000 + 5 * c.min_walk_ns), "id 0 is no cgroup");
	cr_assert_eq(c.walks, 2);

	td_cgroups_free(&c);
	rm(&t, "/system.slice/sshd.service");
	rm(&t, DOCKER);
	rm(&t, "/system.slice");
	rm(&t, "");
	unlink("/tmp/td-cgroups-x");
}

/* At most max directories are kept; the rest are counted, not lost silently. */
Test(cgroups, bounded)
{
	struct tree t;
	struct td_cgroups c;
	char rel[32];

	snprintf(t.root, sizeof(t.root), "/tmp/td-cgroups-b-%d", getpid());
	cr_assert_eq(mkdir(t.root, 0755), 0);
	for (int i = 0; i < 10; i++) {
		snprintf(rel, sizeof(rel), "/d%d", i);
		mk(&t, rel);
	}
	cr_assert_eq(td_cgroups_init(&c, t.root), 0);
	c.max = 4;
	td_cgroups_lookup(&c, 1, 0);
	cr_assert_eq(c.n, 4);
	cr_assert_eq(c.dropped, 7, "root + 10 directories, 4 kept");
	td_cgroups_free(&c);
	for (int i = 0; i < 10; i++) {
		snprintf(rel, sizeof(rel), "/d%d", i);
		rm(&t, rel);
	}
	rm(&t, "");
}

/* No mount named: a missing root makes lookups fail, not crash. */
Test(cgroups, missing_root)
{
	struct td_cgroups c;

	cr_assert_eq(td_cgroups_init(&c, "/nonexistent/tcpdwell-cgroup"), 0);
	cr_assert_null(td_cgroups_lookup(&c, 1, 0));
	cr_assert_eq(c.n, 0);
	td_cgroups_free(&c);
}
