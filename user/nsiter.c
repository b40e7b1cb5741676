/* An iter/tcp iterator in every network namespace (see nsiter.h). */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include "diag.h"
#include "nsiter.h"
#include "tcpdwell.skel.h" /* a BPF module: built and linked with the tracer */

#define NETNS_RUN "/run/netns"

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

/* An iterator fd made in ns, this thread back home; -errno (-EAGAIN: skip
 * this namespace, -EIO: stuck in it). */
static int iter_in(struct td_nsiter *w, const struct td_netns *ns, int link_fd)
{
	int fd, err;

	if (ns->ino == w->self_ino) {
		fd = bpf_iter_create(link_fd);
		return fd < 0 ? -errno : fd;
	}
	err = w->only ? td_netns_enter_fd(w->only_fd) : td_netns_enter(ns->path, ns->ino);
	if (err == -ENOENT || err == -ESTALE)
		return -EAGAIN; /* gone since the scan */
	if (err) {
		cannot_enter(w, ns, err);
		return -EAGAIN;
	}
	fd = bpf_iter_create(link_fd);
	err = fd < 0 ? -errno : 0;
	if (td_netns_enter_fd(w->self_fd)) {
		td_err("failed to return to this process's network namespace: %s", strerror(errno));
		if (fd >= 0)
			close(fd);
		return -EIO;
	}
	return fd < 0 ? err : fd;
}

int td_nsiter_run(struct td_nsiter *w, struct bpf_link *link, td_nsiter_fn fn, void *ctx)
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
	}
	for (size_t i = 0; i < n; i++) {
		int fd;

		/* Each walk goes through the host's whole socket hash: skip the
		 * namespaces that hold no TCP socket. */
		if (v[i].pid && td_netns_has_tcp("/proc", v[i].pid) == 0)
			continue;
		fd = iter_in(w, &v[i], bpf_link__fd(link));
		if (fd == -EAGAIN)
			continue;
		if (fd < 0)
			return fd;
		err = fn(ctx, v[i].ino, fd);
		close(fd);
		if (err)
			return err;
	}
	return 0;
}

void td_nsiter_free(struct td_nsiter *w)
{
	if (w->self_fd >= 0)
		close(w->self_fd);
	if (w->only_fd >= 0)
		close(w->only_fd);
	td_netns_free(&w->list);
	w->self_fd = w->only_fd = -1;
}
