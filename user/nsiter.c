/* An iter/tcp iterator in every network namespace (see nsiter.h). */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include "diag.h"
#include "nsiter.h"
#include "tcpdwell.skel.h" /* a BPF module: built and linked with the tracer */

#define NETNS_RUN "/run/netns"
#define TD_EHASH_SYSCTL "/proc/sys/net/ipv4/tcp_ehash_entries"

/* -N INODE names no file: find one that opens it. */
static int open_only(struct td_nsiter *w, const struct td_config *cfg)
{
	const struct td_netns *ns = NULL;
	const char *path = cfg->netns_path;
	int err;

	if (!path) {
		err = td_netns_scan(&w->list, "/proc", NETNS_RUN);
		ns = err ? NULL : td_netns_find(&w->list, w->only);
		path = ns ? ns->path : NULL;
	}
	w->only_fd = path ? open(path, O_RDONLY | O_CLOEXEC) : -1;
	if (w->only_fd < 0) {
		err = path ? -errno : -ENOENT;
		td_err("failed to open network namespace %u%s%s: %s", w->only, path ? " at " : "", path ? path : "",
		       strerror(-err));
		return err;
	}
	return 0;
}

int td_nsiter_init(struct td_nsiter *w, const struct td_config *cfg)
{
	memset(w, 0, sizeof(*w));
	w->only = cfg->netns;
	w->only_fd = -1;
	w->self_fd = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
	if (w->self_fd < 0 || td_netns_ino("/proc/self/ns/net", &w->self_ino)) {
		int err = -errno;

		td_err("failed to open this process's network namespace: %s", strerror(-err));
		return err;
	}
	w->self_own = td_netns_own_table(TD_EHASH_SYSCTL, w->self_ino) != 0;
	if (w->only && w->only != w->self_ino)
		return open_only(w, cfg);
	return 0;
}

bool td_nsiter_enters(const struct td_nsiter *w)
{
	return w->only != w->self_ino;
}

/* One line per kind of failure: a census every scrape must not flood. */
static void cannot_enter(struct td_nsiter *w, const struct td_netns *ns, int err)
{
	if (w->warned == err)
		return;
	w->warned = err;
	td_warn("cannot enter network namespace %u (%s): %s; its sockets are not counted%s", ns->ino, ns->path,
		strerror(-err), err == -EPERM || err == -EACCES ? " (needs CAP_SYS_ADMIN and CAP_SYS_PTRACE)" : "");
}

/* Moves this thread into ns: 0, -EAGAIN (skip it: gone since the scan,
 * or cannot be entered, warned once), -errno. */
static int enter(struct td_nsiter *w, const struct td_netns *ns)
{
	int err = w->only ? td_netns_enter_fd(w->only_fd) : td_netns_enter(ns->path, ns->ino);

	if (err == -ENOENT || err == -ESTALE)
		return -EAGAIN; /* gone since the scan */
	if (err) {
		cannot_enter(w, ns, err);
		return -EAGAIN;
	}
	return 0;
}

static int come_back(struct td_nsiter *w)
{
	if (td_netns_enter_fd(w->self_fd) == 0)
		return 0;
	td_err("failed to return to this process's network namespace: %s", strerror(errno));
	return -EIO;
}

int td_nsiter_fd(struct td_nsiter *w, const struct td_netns *ns, struct bpf_link *link)
{
	int fd, err;

	if (ns->ino == w->self_ino) {
		fd = bpf_iter_create(bpf_link__fd(link));
		return fd < 0 ? -errno : fd;
	}
	err = enter(w, ns);
	if (err)
		return err;
	fd = bpf_iter_create(bpf_link__fd(link));
	err = fd < 0 ? -errno : 0;
	if (come_back(w)) {
		if (fd >= 0)
			close(fd);
		return -EIO;
	}
	return fd < 0 ? err : fd;
}

/* ns's entry in the table cache, read from inside ns when new; -errno. */
static int own_table(struct td_nsiter *w, const struct td_netns *ns)
{
	int own;

	for (size_t i = 0; i < w->ntables; i++)
		if (w->tables[i].ino == ns->ino)
			return w->tables[i].own;
	if (w->ntables == w->captables) {
		size_t cap = w->captables ? w->captables * 2 : 16;
		struct td_nstable *v = realloc(w->tables, cap * sizeof(*v));

		if (!v)
			return -ENOMEM;
		w->tables = v;
		w->captables = cap;
	}
	own = enter(w, ns);
	if (own)
		return own;
	own = td_netns_own_table(TD_EHASH_SYSCTL, ns->ino);
	if (come_back(w))
		return -EIO;
	if (own >= 0)
		w->tables[w->ntables++] = (struct td_nstable){ .ino = ns->ino, .own = own };
	return own;
}

bool td_nsiter_same_table(struct td_nsiter *w, const struct td_netns *ns)
{
	if (ns->ino == w->self_ino)
		return true;
	return !w->self_own && own_table(w, ns) == 0;
}

bool td_nsiter_covers_table(struct td_nsiter *w)
{
	struct td_netns one = { .ino = w->only };

	return !w->only || td_nsiter_same_table(w, &one);
}

/* A reused inode must not inherit a gone namespace's table. */
static void forget_gone(struct td_nsiter *w)
{
	size_t k = 0;

	for (size_t i = 0; i < w->ntables; i++)
		if (td_netns_find(&w->list, w->tables[i].ino))
			w->tables[k++] = w->tables[i];
	w->ntables = k;
}

int td_nsiter_each(struct td_nsiter *w, td_nsiter_ns_fn fn, void *ctx)
{
	struct td_netns one = { .ino = w->only };
	const struct td_netns *v = &one;
	size_t n = 1;
	int err = 0;

	if (!w->only) {
		err = td_netns_scan(&w->list, "/proc", NETNS_RUN);
		if (err)
			return err;
		v = w->list.v;
		n = w->list.n;
		forget_gone(w);
	}
	for (size_t i = 0; i < n; i++) {
		/* Each iterator walks the host's whole socket table: skip the
		 * namespaces that hold no TCP socket. */
		if (v[i].pid && td_netns_has_tcp("/proc", v[i].pid) == 0)
			continue;
		err = fn(ctx, &v[i]);
		if (err)
			return err;
	}
	return 0;
}

struct run_ctx {
	struct td_nsiter *w;
	struct bpf_link *link;
	td_nsiter_fn fn;
	void *ctx;
};

static int run_one(void *ctx, const struct td_netns *ns)
{
	struct run_ctx *r = ctx;
	int fd = td_nsiter_fd(r->w, ns, r->link), err;

	if (fd == -EAGAIN)
		return 0;
	if (fd < 0)
		return fd;
	err = r->fn(r->ctx, ns->ino, fd);
	close(fd);
	return err;
}

int td_nsiter_run(struct td_nsiter *w, struct bpf_link *link, td_nsiter_fn fn, void *ctx)
{
	struct run_ctx r = { .w = w, .link = link, .fn = fn, .ctx = ctx };

	return td_nsiter_each(w, run_one, &r);
}

void td_nsiter_free(struct td_nsiter *w)
{
	if (w->self_fd >= 0)
		close(w->self_fd);
	if (w->only_fd >= 0)
		close(w->only_fd);
	td_netns_free(&w->list);
	free(w->tables);
	w->tables = NULL;
	w->ntables = w->captables = 0;
	w->self_fd = w->only_fd = -1;
}
