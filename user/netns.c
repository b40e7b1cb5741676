/* The host's network namespaces, and entering one (see netns.h). */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <linux/magic.h>
#include "netns.h"

int td_netns_ino(const char *path, uint32_t *ino)
{
	struct statfs fs;
	struct stat st;

	/* stat follows the /proc magic link to the nsfs inode; a bind mount
	 * under /run/netns is that inode too, an unmounted one a plain file. */
	if (statfs(path, &fs) || stat(path, &st))
		return -errno;
	if ((unsigned long)fs.f_type != NSFS_MAGIC || st.st_ino > UINT32_MAX)
		return -EINVAL;
	*ino = (uint32_t)st.st_ino;
	return 0;
}

int td_netns_parse_link(const char *link, uint32_t *ino)
{
	unsigned long long v;
	char *end;

	if (strncmp(link, "net:[", 5) != 0 || link[5] < '0' || link[5] > '9')
		return -EINVAL;
	errno = 0;
	v = strtoull(link + 5, &end, 10);
	if (errno || strcmp(end, "]") != 0 || v == 0 || v > UINT32_MAX)
		return -EINVAL;
	*ino = (uint32_t)v;
	return 0;
}

static int add(struct td_netns_list *l, uint32_t ino, const char *path, int pid)
{
	if (l->n == l->cap) {
		size_t cap = l->cap ? l->cap * 2 : 16;
		struct td_netns *v = realloc(l->v, cap * sizeof(*v));

		if (!v)
			return -ENOMEM;
		l->v = v;
		l->cap = cap;
	}
	l->v[l->n].ino = ino;
	l->v[l->n].named = pid == 0;
	l->v[l->n].pid = pid;
	snprintf(l->v[l->n].path, sizeof(l->v[l->n].path), "%s", path);
	l->n++;
	return 0;
}

/* Most processes share a few namespaces: the last one added is skipped
 * without a sort. */
static int scan_proc(struct td_netns_list *l, const char *proc)
{
	DIR *d = opendir(proc);
	struct dirent *e;
	uint32_t last = 0;
	int err = 0;

	if (!d)
		return 0;
	while (!err && (e = readdir(d))) {
		char path[112], link[64];
		uint32_t ino;
		ssize_t n;

		if (e->d_name[0] < '1' || e->d_name[0] > '9')
			continue;
		if (snprintf(path, sizeof(path), "%s/%s/ns/net", proc, e->d_name) >= (int)sizeof(path))
			continue;
		n = readlink(path, link, sizeof(link) - 1);
		if (n <= 0)
			continue;
		link[n] = '\0';
		if (td_netns_parse_link(link, &ino) || ino == last)
			continue;
		last = ino;
		err = add(l, ino, path, atoi(e->d_name));
	}
	closedir(d);
	return err;
}

static int scan_run(struct td_netns_list *l, const char *run)
{
	DIR *d = run ? opendir(run) : NULL;
	struct dirent *e;
	int err = 0;

	if (!d)
		return 0;
	while (!err && (e = readdir(d))) {
		char path[112];
		uint32_t ino;

		if (e->d_name[0] == '.')
			continue;
		if (snprintf(path, sizeof(path), "%s/%s", run, e->d_name) >= (int)sizeof(path))
			continue;
		if (td_netns_ino(path, &ino) == 0)
			err = add(l, ino, path, 0);
	}
	closedir(d);
	return err;
}

static int by_ino(const void *a, const void *b)
{
	const struct td_netns *x = a, *y = b;

	return x->ino < y->ino ? -1 : x->ino > y->ino;
}

/* The same, a named one first among equals. */
static int by_ino_named(const void *a, const void *b)
{
	const struct td_netns *x = a, *y = b;
	int c = by_ino(a, b);

	return c ? c : y->named - x->named;
}

int td_netns_scan(struct td_netns_list *l, const char *proc, const char *run)
{
	size_t kept = 0;
	int err;

	l->n = 0;
	err = scan_run(l, run);
	if (!err)
		err = scan_proc(l, proc);
	if (err)
		return err;
	qsort(l->v, l->n, sizeof(l->v[0]), by_ino_named);
	for (size_t i = 0; i < l->n; i++) {
		if (!kept || l->v[kept - 1].ino != l->v[i].ino)
			l->v[kept++] = l->v[i];
		else if (!l->v[kept - 1].pid)
			l->v[kept - 1].pid = l->v[i].pid; /* a named one's process */
	}
	l->n = kept;
	return 0;
}

const struct td_netns *td_netns_find(const struct td_netns_list *l, uint32_t ino)
{
	struct td_netns key = { .ino = ino };

	return l->n ? bsearch(&key, l->v, l->n, sizeof(l->v[0]), by_ino) : NULL;
}

/* A count from one line of a sockstat file: "TCP: inuse 3 orphan 0 tw 5"
 * with fmt "TCP: inuse %llu orphan %*u tw %llu"; the fields' sum, or -errno. */
static long long sockstat_sum(const char *path, const char *fmt, int want)
{
	unsigned long long a = 0, b = 0;
	char line[256];
	int found = 0;
	FILE *f = fopen(path, "r");

	if (!f)
		return -errno;
	while (!found && fgets(line, sizeof(line), f))
		found = sscanf(line, fmt, &a, &b) == want;
	fclose(f);
	return found ? (long long)(a + b) : -EINVAL;
}

int td_netns_has_tcp(const char *proc, int pid)
{
	char path[64];
	long long v4, v6;

	/* sockstat counts IPv4 sockets and the namespace's timewait socks of
	 * both families (one tcp_death_row); sockstat6 the IPv6 ones. */
	snprintf(path, sizeof(path), "%s/%d/net/sockstat", proc, pid);
	v4 = sockstat_sum(path, "TCP: inuse %llu orphan %*u tw %llu", 2);
	if (v4 < 0)
		return (int)v4;
	snprintf(path, sizeof(path), "%s/%d/net/sockstat6", proc, pid);
	v6 = sockstat_sum(path, "TCP6: inuse %llu", 1);
	if (v6 == -ENOENT)
		v6 = 0; /* no IPv6 in this kernel */
	if (v6 < 0)
		return (int)v6;
	return v4 + v6 > 0;
}

int td_netns_own_table(const char *path, uint32_t ino)
{
	FILE *f = fopen(path, "re");
	long long v;
	int n;

	if (!f)
		return errno == ENOENT ? 0 : -errno;
	n = fscanf(f, "%lld", &v);
	fclose(f);
	if (n != 1)
		return -EINVAL;
	return v > 0 && ino != TD_NETNS_INIT_INO;
}

int td_netns_resolve(const char *arg, uint32_t *ino, const char **path)
{
	struct td_netns_list l = { 0 };
	unsigned long long v;
	char *end;
	int err;

	if (strcmp(arg, "self") == 0)
		return td_netns_ino("/proc/self/ns/net", ino) ? -EINVAL : 0;
	if (arg[0] == '/') {
		err = td_netns_ino(arg, ino);
		if (!err)
			*path = arg;
		return err == -ENOENT ? -EOVERFLOW : err ? -EINVAL : 0;
	}
	if (arg[0] < '1' || arg[0] > '9')
		return -EINVAL;
	errno = 0;
	v = strtoull(arg, &end, 10);
	if (errno || *end || v > UINT32_MAX)
		return -EINVAL;
	err = td_netns_scan(&l, "/proc", "/run/netns");
	if (!err && !td_netns_find(&l, (uint32_t)v))
		err = -EOVERFLOW;
	td_netns_free(&l);
	if (!err)
		*ino = (uint32_t)v;
	return err;
}

void td_netns_free(struct td_netns_list *l)
{
	free(l->v);
	memset(l, 0, sizeof(*l));
}

int td_netns_enter_fd(int fd)
{
	return setns(fd, CLONE_NEWNET) ? -errno : 0;
}

int td_netns_enter(const char *path, uint32_t ino)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	struct stat st;
	int err;

	if (fd < 0)
		return -errno;
	if (fstat(fd, &st))
		err = -errno;
	else
		err = st.st_ino == ino ? td_netns_enter_fd(fd) : -ESTALE;
	close(fd);
	return err;
}
