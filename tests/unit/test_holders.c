/* The holders table (user/holders.c): the /proc scan over a fake /proc,
 * the rule among several holders of one socket (the lowest pid), and
 * TD_HOLDERS' words. */
#include <errno.h>
#include <limits.h>
#include <sys/stat.h>
#include <unistd.h>
#include "test_util.h"
#include "holders.h"

/* root/PID/comm holding comm (NULL: none), and root/PID/fd/FD -> links[i]. */
static void fake_proc(const char *root, const char *pid, const char *comm, const char *const *links, int n)
{
	char path[PATH_MAX];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", root, pid);
	cr_assert_eq(mkdir(path, 0755), 0);
	snprintf(path, sizeof(path), "%s/%s/fd", root, pid);
	cr_assert_eq(mkdir(path, 0755), 0);
	for (int i = 0; i < n; i++) {
		snprintf(path, sizeof(path), "%s/%s/fd/%d", root, pid, i + 3);
		cr_assert_eq(symlink(links[i], path), 0);
	}
	if (!comm)
		return;
	snprintf(path, sizeof(path), "%s/%s/comm", root, pid);
	f = fopen(path, "w");
	cr_assert_not_null(f);
	fprintf(f, "%s\n", comm);
	fclose(f);
}

Test(holders, proc_scan_names_the_lowest_pid_and_its_comm)
{
	char root[] = "/tmp/td-holders-XXXXXX", cmd[PATH_MAX + 16];
	const char *const a[] = { "socket:[555]", "pipe:[9]", "socket:[777]" };
	const char *const b[] = { "/dev/null", "socket:[555]" };
	const char *const c[] = { "socket:[888]" };
	struct td_holders h = { 0 };
	const struct td_holder *x;

	cr_assert_not_null(mkdtemp(root));
	fake_proc(root, "4200", "server", a, 3);
	fake_proc(root, "310", "worker", b, 2); /* lower pid, listed after */
	fake_proc(root, "77", NULL, c, 1);      /* exited before its comm was read */
	fake_proc(root, "self", "nope", c, 1);  /* not a pid */
	cr_assert_eq(td_holders_scan(&h, root, 0), 0);
	cr_expect_eq(h.n, 4, "%zu", h.n);
	x = td_holders_find(&h, 555);
	cr_assert_not_null(x);
	cr_expect_eq(x->pid, 310);
	cr_expect_str_eq(x->comm, "worker");
	x = td_holders_find(&h, 777);
	cr_assert_not_null(x);
	cr_expect_eq(x->pid, 4200);
	cr_expect_str_eq(x->comm, "server");
	x = td_holders_find(&h, 888);
	cr_assert_not_null(x);
	cr_expect_eq(x->pid, 77);
	cr_expect_str_eq(x->comm, "");
	cr_expect_null(td_holders_find(&h, 9), "a pipe is no socket");
	cr_expect_null(td_holders_find(&h, 0));
	td_holders_free(&h);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", root);
	cr_assert_eq(system(cmd), 0);
}

Test(holders, a_past_deadline_stops_the_scan)
{
	struct td_holders h = { 0 };

	cr_expect_eq(td_holders_scan(&h, "/proc", 1), -ETIME);
	cr_expect_eq(h.n, 0);
	cr_expect_eq(td_holders_scan(&h, "/nonexistent-td", 0), 0);
	td_holders_free(&h);
}

/* Among many holders in any order: the lowest pid of each inode, and
 * nothing for the others. */
Test(holders, lookups_follow_the_lowest_pid_rule)
{
	enum { HOLDERS = 20000, INODES = 6000 };
	static int lowest[INODES];
	struct rng r = { 7 };
	struct td_holders h = { 0 };

	for (int i = 0; i < INODES; i++)
		lowest[i] = INT_MAX;
	for (int i = 0; i < HOLDERS; i++) {
		/* Odd inodes only, so that the even ones are surely absent. */
		int k = (int)(rng_next(&r) % INODES), pid = 1 + (int)(rng_next(&r) % 100000);

		cr_assert_eq(td_holders_add(&h, 2 * (uint64_t)k + 1, pid, "p"), 0);
		if (pid < lowest[k])
			lowest[k] = pid;
	}
	td_holders_sort(&h);
	for (int k = 0; k < INODES; k++) {
		const struct td_holder *x = td_holders_find(&h, 2 * (uint64_t)k + 1);

		cr_expect_null(td_holders_find(&h, 2 * (uint64_t)k + 2));
		if (lowest[k] == INT_MAX) {
			cr_expect_null(x);
			continue;
		}
		cr_assert_not_null(x, "inode %d", 2 * k + 1);
		cr_expect_eq(x->pid, lowest[k], "inode %d: %d, not %d", 2 * k + 1, x->pid, lowest[k]);
	}
	td_holders_free(&h);
	cr_expect_null(td_holders_find(&h, 1), "an empty table finds nothing");
}

Test(holders, a_comm_is_cut_to_the_kernels_length)
{
	struct td_holders h = { 0 };

	cr_assert_eq(td_holders_add(&h, 5, 1, "a-name-longer-than-sixteen"), 0);
	cr_assert_eq(td_holders_add(&h, 6, 2, NULL), 0);
	td_holders_sort(&h);
	cr_expect_str_eq(td_holders_find(&h, 5)->comm, "a-name-longer-th");
	cr_expect_str_eq(td_holders_find(&h, 6)->comm, "");
	td_holders_free(&h);
}

Test(holders, td_holders_words)
{
	enum td_holders_way way;

	cr_expect_eq(td_holders_way_parse(NULL, &way), 0);
	cr_expect_eq(way, TD_HOLDERS_KERNEL);
	cr_expect_eq(td_holders_way_parse("", &way), 0);
	cr_expect_eq(way, TD_HOLDERS_KERNEL);
	cr_expect_eq(td_holders_way_parse("kernel", &way), 0);
	cr_expect_eq(way, TD_HOLDERS_KERNEL);
	cr_expect_eq(td_holders_way_parse("proc", &way), 0);
	cr_expect_eq(way, TD_HOLDERS_PROC);
	cr_expect_eq(td_holders_way_parse("Proc", &way), -EINVAL);
	cr_expect_eq(td_holders_way_parse("procfs", &way), -EINVAL);
}
