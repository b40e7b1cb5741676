/* Namespace discovery (netns.c) over a fake /proc of ns/net links, and -N's
 * parser: the inode in a link, deduplication, what is skipped. */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>
#include <criterion/criterion.h>
#include "test_util.h"
#include "netns.h"

Test(netns, parse_link)
{
	uint32_t ino = 0;

	cr_expect_eq(td_netns_parse_link("net:[4026531840]", &ino), 0);
	cr_expect_eq(ino, 4026531840u);
	cr_expect_eq(td_netns_parse_link("net:[1]", &ino), 0);
	cr_expect_eq(ino, 1);
	static const char *const bad[] = { "", "net:[]", "net:[0]", "net:[4294967296]", "net:[12",
					   "net:[12]x", "mnt:[4026531840]", "net:[-1]", "net:[ 12]", "net:12" };
	for (size_t i = 0; i < N(bad); i++) {
		ino = 99;
		cr_expect_eq(td_netns_parse_link(bad[i], &ino), -EINVAL, "%s", bad[i]);
		cr_expect_eq(ino, 99, "%s", bad[i]);
	}
}

/* A fake proc: PID/ns/net links to "net:[INO]" (dangling, as readlink
 * needs), and entries that are not processes. */
static void fake_pid(const char *root, const char *pid, const char *target)
{
	char path[PATH_MAX];

	snprintf(path, sizeof(path), "%s/%s", root, pid);
	cr_assert_eq(mkdir(path, 0755), 0, "%s: %s", path, strerror(errno));
	snprintf(path, sizeof(path), "%s/%s/ns", root, pid);
	cr_assert_eq(mkdir(path, 0755), 0);
	if (!target)
		return;
	snprintf(path, sizeof(path), "%s/%s/ns/net", root, pid);
	cr_assert_eq(symlink(target, path), 0);
}

Test(netns, scan_dedups_and_skips)
{
	char root[] = "/tmp/td-netns-XXXXXX", run[PATH_MAX + 8], cmd[PATH_MAX + 16];
	struct td_netns_list l = { 0 };
	FILE *f;

	cr_assert_not_null(mkdtemp(root));
	fake_pid(root, "1", "net:[4026531840]");
	fake_pid(root, "2", "net:[4026531840]");
	fake_pid(root, "30", "net:[4026532301]");
	fake_pid(root, "31", "net:[4026531840]");
	fake_pid(root, "40", "net:[4026532301]");
	fake_pid(root, "41", "mnt:[4026531841]"); /* not a netns link */
	fake_pid(root, "42", NULL);               /* exited: no link */
	fake_pid(root, "self", "net:[5]");        /* not a pid */
	/* A plain file under the run directory is not a namespace (an unmounted
	 * leftover of ip netns). */
	snprintf(run, sizeof(run), "%s/run", root);
	cr_assert_eq(mkdir(run, 0755), 0);
	snprintf(cmd, sizeof(cmd), "%s/stale", run);
	f = fopen(cmd, "w");
	cr_assert_not_null(f);
	fclose(f);

	cr_assert_eq(td_netns_scan(&l, root, run), 0);
	cr_assert_eq(l.n, 2);
	cr_expect_eq(l.v[0].ino, 4026531840u);
	cr_expect_eq(l.v[1].ino, 4026532301u);
	cr_expect_eq(l.v[0].named, 0);
	cr_expect(l.v[0].pid == 1 || l.v[0].pid == 2 || l.v[0].pid == 31, "pid %d", l.v[0].pid);
	cr_expect(strstr(l.v[1].path, "/ns/net") != NULL, "%s", l.v[1].path);
	cr_expect_eq(td_netns_find(&l, 4026532301u), &l.v[1]);
	cr_expect_null(td_netns_find(&l, 5));
	/* Scanning again starts over. */
	cr_assert_eq(td_netns_scan(&l, root, NULL), 0);
	cr_expect_eq(l.n, 2);
	td_netns_free(&l);
	cr_expect_null(td_netns_find(&l, 4026531840u));
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", root);
	cr_assert_eq(system(cmd), 0);
}

static void put_file(const char *root, const char *rel, const char *text)
{
	char path[PATH_MAX];
	FILE *f;

	cr_assert_lt((size_t)snprintf(path, sizeof(path), "%s/%s", root, rel), sizeof(path));
	f = fopen(path, "w");
	cr_assert_not_null(f, "%s", path);
	fputs(text, f);
	fclose(f);
}

/* A namespace with no hashed TCP socket and no timewait sock is skipped;
 * any of either, or a sockstat that cannot be read, is walked. */
Test(netns, has_tcp_from_sockstat)
{
	char root[] = "/tmp/td-sockstat-XXXXXX", dir[PATH_MAX], cmd[PATH_MAX + 16];
	static const struct { const char *tcp, *tcp6; int want; } cases[] = {
		{ "TCP: inuse 0 orphan 0 tw 0 alloc 1 mem 0\n", "TCP6: inuse 0\n", 0 },
		{ "TCP: inuse 3 orphan 0 tw 0 alloc 6 mem 161\n", "TCP6: inuse 0\n", 1 },
		{ "TCP: inuse 0 orphan 0 tw 124 alloc 0 mem 0\n", "TCP6: inuse 0\n", 1 },
		/* IPv6 only: sockstat's TCP line counts IPv4 sockets alone */
		{ "TCP: inuse 0 orphan 0 tw 0 alloc 3 mem 0\n", "TCP6: inuse 3\n", 1 },
		{ "TCP: inuse 0 orphan 0 tw 0 alloc 0 mem 0\n", NULL, 0 }, /* no sockstat6 */
		{ "TCP: bogus\n", "TCP6: inuse 0\n", -EINVAL },
	};

	cr_assert_not_null(mkdtemp(root));
	for (size_t i = 0; i < N(cases); i++) {
		char text[256];

		snprintf(dir, sizeof(dir), "%s/%zu", root, i + 1);
		cr_assert_eq(mkdir(dir, 0755), 0);
		snprintf(dir, sizeof(dir), "%s/%zu/net", root, i + 1);
		cr_assert_eq(mkdir(dir, 0755), 0);
		snprintf(text, sizeof(text), "sockets: used 28\n%sUDP: inuse 0 mem 0\n", cases[i].tcp);
		snprintf(dir, sizeof(dir), "%zu/net/sockstat", i + 1);
		put_file(root, dir, text);
		if (cases[i].tcp6) {
			snprintf(text, sizeof(text), "%sUDP6: inuse 0\n", cases[i].tcp6);
			snprintf(dir, sizeof(dir), "%zu/net/sockstat6", i + 1);
			put_file(root, dir, text);
		}
		cr_expect_eq(td_netns_has_tcp(root, (int)i + 1), cases[i].want, "%s", cases[i].tcp);
	}
	cr_expect_eq(td_netns_has_tcp(root, 99), -ENOENT);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", root);
	cr_assert_eq(system(cmd), 0);
}

/* tcp_ehash_entries as a namespace shows it: negative when it shares the
 * host's table, positive for a table of its own, and for the first
 * namespace (whose table is the host's); no file (before 6.1): shared. */
Test(netns, own_table_from_tcp_ehash_entries)
{
	char root[] = "/tmp/td-ehash-XXXXXX", path[PATH_MAX], cmd[PATH_MAX + 16];
	static const struct { const char *text; uint32_t ino; int want; } cases[] = {
		{ "-262144\n", 4026532177u, 0 },
		{ "1024\n", 4026532177u, 1 },
		{ "262144\n", TD_NETNS_INIT_INO, 0 },
		{ "bogus\n", 4026532177u, -EINVAL },
		{ "", 4026532177u, -EINVAL },
	};

	cr_assert_not_null(mkdtemp(root));
	for (size_t i = 0; i < N(cases); i++) {
		char name[16];

		snprintf(name, sizeof(name), "e%zu", i);
		put_file(root, name, cases[i].text);
		snprintf(path, sizeof(path), "%s/%s", root, name);
		cr_expect_eq(td_netns_own_table(path, cases[i].ino), cases[i].want, "'%s'", cases[i].text);
	}
	snprintf(path, sizeof(path), "%s/missing", root);
	cr_expect_eq(td_netns_own_table(path, 4026532177u), 0);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", root);
	cr_assert_eq(system(cmd), 0);
}

/* The real ones: this process's namespace is among them, by the inode
 * that stat shows, and a file that is not a namespace is refused. */
Test(netns, real_self)
{
	struct td_netns_list l = { 0 };
	uint32_t self = 0, ino;
	struct stat st;

	cr_assert_eq(td_netns_ino("/proc/self/ns/net", &self), 0);
	cr_assert_eq(stat("/proc/self/ns/net", &st), 0);
	cr_expect_eq(self, (uint32_t)st.st_ino);
	cr_expect_eq(td_netns_ino("/proc/self/status", &ino), -EINVAL);
	cr_expect_eq(td_netns_ino("/nonexistent", &ino), -ENOENT);
	cr_assert_eq(td_netns_scan(&l, "/proc", "/run/netns"), 0);
	cr_expect_not_null(td_netns_find(&l, self));
	td_netns_free(&l);
}

/* -N on both commands: self, an inode that exists, a path; bad ones. */
Test(netns, option)
{
	static struct td_config cfg;
	static struct snap_opts so;
	char self[24];
	uint32_t ino;
	FILE *null = fopen("/dev/null", "w");

	cr_assert_eq(td_netns_ino("/proc/self/ns/net", &ino), 0);
	snprintf(self, sizeof(self), "%u", ino);
	char *a1[] = { "tcpdwell", "-N", "self", NULL };
	cr_assert_eq(td_parse_args(&cfg, 3, a1, null, null), 0);
	cr_expect_eq(cfg.netns, ino);
	cr_expect_null(cfg.netns_path);
	char *a2[] = { "tcpdwell", "--netns", self, NULL };
	cr_assert_eq(td_parse_args(&cfg, 3, a2, null, null), 0);
	cr_expect_eq(cfg.netns, ino);
	char *a3[] = { "snapshot", "-N", "/proc/self/ns/net", NULL };
	cr_assert_eq(td_parse_snapshot_args(&so, 3, a3, null, null), 0);
	cr_expect_eq(so.cfg.netns, ino);
	cr_expect_str_eq(so.cfg.netns_path, "/proc/self/ns/net");
	static const char *const bad[] = { "", "0", "-1", "12x", "4294967296", "0x10", "relative/path",
					   "/proc/self/status", "/nonexistent", "1", "SELF" };
	for (size_t i = 0; i < N(bad); i++) {
		char *a[] = { "tcpdwell", "-N", (char *)bad[i], NULL };

		cr_expect_eq(td_parse_args(&cfg, 3, a, null, null), TD_EXIT_USAGE, "-N '%s'", bad[i]);
	}
	fclose(null);
}
