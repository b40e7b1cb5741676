/* Socket inode -> holding process: the table the snapshot's PID/COMM
 * column, doctor and a starting tracer's seeding look holders up in, and
 * the /proc scan that fills it like ss -p where the kernel's walk
 * (holders_iter.c) cannot. */
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include "clock.h"
#include "diag.h"
#include "holders.h"

static void read_comm(const char *proc, int pid, char *comm, size_t len)
{
	char path[300];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%d/comm", proc, pid);
	comm[0] = '\0';
	f = fopen(path, "r");
	if (!f)
		return;
	if (fgets(comm, (int)len, f))
		comm[strcspn(comm, "\n")] = '\0';
	fclose(f);
}

int td_holders_add(struct td_holders *h, uint64_t ino, int pid, const char *comm)
{
	if (h->n == h->cap) {
		size_t cap = h->cap ? h->cap * 2 : 256;
		struct td_holder *v = realloc(h->v, cap * sizeof(*v));

		if (!v)
			return -ENOMEM;
		h->v = v;
		h->cap = cap;
	}
	h->v[h->n].ino = ino;
	h->v[h->n].pid = pid;
	snprintf(h->v[h->n].comm, sizeof(h->v[h->n].comm), "%.*s", TD_COMM_LEN, comm ? comm : "");
	h->n++;
	return 0;
}

/* The socket links of one process; its comm is read once, if it has any. */
static int scan_pid(struct td_holders *h, const char *proc, const char *pid)
{
	char path[300], fdpath[600], link[64];
	size_t first = h->n;
	struct dirent *de;
	int err = 0;
	DIR *fds;

	snprintf(path, sizeof(path), "%s/%s/fd", proc, pid);
	fds = opendir(path);
	if (!fds)
		return 0; /* gone, or a kernel thread */
	while (!err && (de = readdir(fds))) {
		unsigned long long ino;
		ssize_t n;

		snprintf(fdpath, sizeof(fdpath), "%s/%s", path, de->d_name);
		n = readlink(fdpath, link, sizeof(link) - 1);
		if (n <= 0)
			continue;
		link[n] = '\0';
		if (sscanf(link, "socket:[%llu]", &ino) == 1)
			err = td_holders_add(h, ino, atoi(pid), NULL);
	}
	closedir(fds);
	if (h->n > first)
		read_comm(proc, h->v[first].pid, h->v[first].comm, sizeof(h->v[first].comm));
	for (size_t i = first + 1; i < h->n; i++)
		memcpy(h->v[i].comm, h->v[first].comm, sizeof(h->v[i].comm));
	return err;
}

static int by_ino(const void *a, const void *b)
{
	const struct td_holder *x = a, *y = b;

	if (x->ino != y->ino)
		return x->ino < y->ino ? -1 : 1;
	return x->pid - y->pid;
}

void td_holders_sort(struct td_holders *h)
{
	if (h->n)
		qsort(h->v, h->n, sizeof(h->v[0]), by_ino);
}

int td_holders_scan(struct td_holders *h, const char *proc, uint64_t deadline_ns)
{
	DIR *d = opendir(proc);
	struct dirent *p;
	int err = 0;

	if (!d)
		return 0;
	while (!err && (p = readdir(d))) {
		if (!isdigit((unsigned char)p->d_name[0]))
			continue;
		if (deadline_ns && td_clock_ns(CLOCK_MONOTONIC) > deadline_ns)
			err = -ETIME;
		else
			err = scan_pid(h, proc, p->d_name);
	}
	closedir(d);
	td_holders_sort(h);
	return err;
}

const struct td_holder *td_holders_find(const struct td_holders *h, uint64_t ino)
{
	struct td_holder key = { .ino = ino };
	size_t lo = 0, hi = h->n;

	if (!ino)
		return NULL;
	/* The first of equal inodes: the lowest pid. */
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (h->v[mid].ino < key.ino)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo < h->n && h->v[lo].ino == ino ? &h->v[lo] : NULL;
}

int td_holders_way_parse(const char *s, enum td_holders_way *way)
{
	*way = TD_HOLDERS_KERNEL;
	if (!s || !*s || strcmp(s, "kernel") == 0)
		return 0;
	if (strcmp(s, "proc") == 0) {
		*way = TD_HOLDERS_PROC;
		return 0;
	}
	return -EINVAL;
}

int td_holders_env_check(void)
{
	enum td_holders_way way;
	const char *v = getenv(TD_HOLDERS_ENV);

	if (td_holders_way_parse(v, &way) == 0)
		return 0;
	td_err("%s=%s: expected \"kernel\" or \"proc\"", TD_HOLDERS_ENV, v);
	return -EINVAL;
}

void td_holders_free(struct td_holders *h)
{
	free(h->v);
	memset(h, 0, sizeof(*h));
}
