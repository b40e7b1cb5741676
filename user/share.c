/* bpffs sharing and seeding of a loaded tracer's per-socket maps. */
#include <errno.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <linux/types.h>
#include "tcpdwell.h" /* the skeleton's types */
#include "diag.h"
#include "holders_iter.h"
#include "nsiter.h"
#include "pins.h"
#include "share.h"
#include "tcpdwell.skel.h"

static int pin_all(struct tcpdwell_bpf *skel, pid_t pid)
{
	char path[256];
	int err = 0;

	for (int i = 0; !err && i < td_pinned_maps_n; i++) {
		struct bpf_map *m = bpf_object__find_map_by_name(skel->obj, td_pinned_maps[i]);

		td_pin_path(path, sizeof(path), pid, td_pinned_maps[i]);
		err = m ? bpf_map__pin(m, path) : -ENOENT;
	}
	return err;
}

pid_t td_share_maps(struct tcpdwell_bpf *skel, const char *filters)
{
	pid_t pid = getpid();
	int err;

	err = td_bpffs_ensure();
	if (!err) {
		td_pin_cleanup_stale();
		err = td_pin_dir_create(pid);
	}
	if (!err)
		err = pin_all(skel, pid);
	if (!err)
		err = td_pin_filters_write(pid, filters);
	if (err == -EEXIST) {
		/* Another tracer of this process shares its maps already. */
		for (int i = 0; i < td_pinned_maps_n; i++)
			bpf_map__set_pin_path(bpf_object__find_map_by_name(skel->obj, td_pinned_maps[i]), NULL);
		return 0;
	}
	if (err) {
		td_warn("cannot share maps in %s: %s; `tcpdwell snapshot` will not show times in state",
			TD_PIN_ROOT, strerror(-err));
		td_pin_dir_remove(pid);
		return 0;
	}
	return pid;
}

/* A timewait sock keeps no cgroup and no owner (struct inet_timewait_sock
 * has neither; both went with the full socket): with -c or -p, the
 * TIME_WAITs seeded at start can never pass. Says how many. */
static void note_unattributed_tw(struct tcpdwell_bpf *skel)
{
	const struct td_filter *f = (const void *)&skel->rodata->filt;
	int fd = bpf_map__fd(skel->maps.tw_socks);
	__u64 key, next, *prev = NULL;
	size_t n = 0;
	struct td_tw w;

	if (!skel->rodata->timers_on || (!f->cgroup_id && !f->tgid))
		return;
	while (bpf_map_get_next_key(fd, prev, &next) == 0) {
		key = next;
		prev = &key;
		n += bpf_map_lookup_elem(fd, &key, &w) == 0 && w.start_known == TW_START_AT_LEAST;
	}
	if (n)
		td_warn("%zu TIME_WAIT socket%s from before this run %s never counted with %s: the kernel keeps no "
			"cgroup or owner for a timewait sock", n, n == 1 ? "" : "s", n == 1 ? "is" : "are",
			f->cgroup_id && f->tgid ? "-c and -p" : f->cgroup_id ? "-c" : "-p");
}

/* seed_tcp does its work while we read its iterator; it writes nothing. */
static int drain(void *ctx, uint32_t netns, int fd)
{
	char buf[256];
	ssize_t n;

	(void)ctx;
	(void)netns;
	while ((n = read(fd, buf, sizeof(buf))) > 0)
		;
	return n < 0 ? -errno : 0;
}

void td_seed_sockets(struct tcpdwell_bpf *skel, struct td_nsiter *walk)
{
	int err;

	td_holders_seed(skel);
	err = td_nsiter_run(walk, skel->links.seed_tcp, drain, NULL);
	td_holders_seeded(skel);
	if (err)
		td_warn("cannot seed the sockets that exist now: %s; their first times in state are unknown",
			strerror(-err));
	note_unattributed_tw(skel);
}
