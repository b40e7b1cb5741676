/* Who holds each socket, decided here for every caller (the snapshot,
 * doctor, a starting tracer's seeding): the kernel's walk of every task's
 * open files (iter/task_file, bpf/holders.bpf.h) where the kernel has it,
 * else the /proc scan (holders.c). Among several holders of one socket,
 * the lowest pid, either way. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/btf.h>
#include <bpf/libbpf.h>
#include <linux/types.h>
#include "tcpdwell.h"
#include "clock.h"
#include "diag.h"
#include "holders.h"
#include "holders_iter.h"
#include "hooks.h"
#include "record.h"
#include "tcpdwell.skel.h"

/* Whether enum name has a value called value (BPF_FUNC_* ids: a helper
 * the kernel knows). */
static bool enum_has(const struct btf *btf, const char *name, const char *value)
{
	int id = btf__find_by_name_kind(btf, name, BTF_KIND_ENUM);
	const struct btf_type *t = id > 0 ? btf__type_by_id(btf, id) : NULL;
	const struct btf_enum *e = t ? btf_enum(t) : NULL;

	for (int i = 0; t && i < btf_vlen(t); i++)
		if (strcmp(btf__name_by_offset(btf, e[i].name_off), value) == 0)
			return true;
	return false;
}

/* The walk needs the task_file iterator (v5.8: its target bpf_iter_task_file
 * in BTF) and bpf_sock_from_file (v5.11). */
static bool kernel_walks(void)
{
	const struct btf *btf = td_vmlinux_btf();

	return btf && btf__find_by_name_kind(btf, "bpf_iter_task_file", BTF_KIND_FUNC) > 0 &&
	       enum_has(btf, "bpf_func_id", "BPF_FUNC_sock_from_file");
}

void td_holders_prepare(struct tcpdwell_bpf *skel, bool seeding)
{
	enum td_holders_way way;
	bool walk;

	/* main() refused a bad value already: a word it did not know is the
	 * default here. */
	(void)td_holders_way_parse(getenv(TD_HOLDERS_ENV), &way);
	walk = way == TD_HOLDERS_KERNEL && kernel_walks();
	bpf_program__set_autoload(skel->progs.holders_file, walk);
	bpf_program__set_autoload(skel->progs.seed_owners, walk && seeding);
	if (way == TD_HOLDERS_PROC)
		td_err("%s=proc: finding the holders of sockets in /proc/*/fd", TD_HOLDERS_ENV);
	else if (!walk)
		td_warn("this kernel has no iter/task_file or bpf_sock_from_file: finding the holders of sockets "
			"in /proc/*/fd (slower)");
}

struct walk {
	struct td_holders *h;
	int err; /* the first failure; what was read before it is kept */
};

static void on_holder(void *ctx, const void *rec)
{
	const struct td_holder_rec *r = rec;
	struct walk *w = ctx;

	if (!w->err && r->type == TD_REC_HOLDER)
		w->err = td_holders_add(w->h, r->ino, (int)r->pid, r->comm);
}

/* An fd of the walk, or -1: not loaded (the line was said at the
 * choice), or failing now (said here). The tracer's skeleton attached its
 * link; the snapshot attaches its programs by hand, so it is made here. */
static int walk_fd(struct tcpdwell_bpf *skel)
{
	struct bpf_program *prog = skel ? skel->progs.holders_file : NULL;
	int fd;

	if (!prog || bpf_program__fd(prog) < 0)
		return -1;
	if (!skel->links.holders_file)
		skel->links.holders_file = bpf_program__attach_iter(prog, NULL);
	fd = skel->links.holders_file ? bpf_iter_create(bpf_link__fd(skel->links.holders_file)) : -1;
	if (fd < 0)
		td_warn("failed to start the walk of open files (%s): finding the holders of sockets in /proc/*/fd",
			strerror(errno));
	return fd;
}

int td_holders_collect(struct td_holders *h, struct tcpdwell_bpf *skel, uint64_t deadline_ns)
{
	int fd = walk_fd(skel), err;
	struct td_holder_rec rec;
	struct walk w = { h, 0 };

	if (fd < 0)
		return td_holders_scan(h, "/proc", deadline_ns);
	err = td_read_records(fd, &rec, sizeof(rec), on_holder, &w);
	close(fd);
	td_holders_sort(h);
	return w.err ? w.err : err;
}

/* The time a start may spend scanning /proc for the holders of existing
 * sockets (the kernel's walk needs no budget: tens of ms at 120,000). */
#define TD_SEED_SCAN_NS 250000000ull

/* Without the walk: the holders /proc names, into seed_holders, as
 * seed_owners does in the kernel; a scan cut short by its time budget, or
 * a full map, leaves the rest of the owners unknown until their next
 * transition. */
static void seed_from_proc(struct tcpdwell_bpf *skel)
{
	struct td_holders h = { 0 };
	int fd = bpf_map__fd(skel->maps.seed_holders);
	size_t stored = 0;
	int err;

	err = td_holders_scan(&h, "/proc", td_clock_ns(CLOCK_MONOTONIC) + TD_SEED_SCAN_NS);
	for (size_t i = 0; i < h.n; i++) {
		struct td_seed_holder v = { .pid = (__u32)h.v[i].pid };

		memcpy(v.comm, h.v[i].comm, sizeof(v.comm));
		if (bpf_map_update_elem(fd, &h.v[i].ino, &v, BPF_NOEXIST) == 0) {
			stored++;
		} else if (errno == E2BIG) {
			err = -E2BIG; /* full: the rest would fail alike */
			break;
		}
	}
	if (err == -ETIME)
		td_warn("the /proc scan for the holders of existing sockets took over %d ms and stopped: "
			"some sockets that predate this tracer have no owner", (int)(TD_SEED_SCAN_NS / 1000000));
	else if (err)
		td_warn("found the holders of only %zu existing socket files (%s): some sockets that predate this "
			"tracer have no owner", stored, strerror(-err));
	td_holders_free(&h);
}

void td_holders_seed(struct tcpdwell_bpf *skel)
{
	struct bpf_link *link = skel->links.seed_owners;
	char buf[256];
	int fd;

	if (bpf_program__fd(skel->progs.seed_owners) < 0) {
		seed_from_proc(skel);
		return;
	}
	fd = link ? bpf_iter_create(bpf_link__fd(link)) : -1;
	if (fd < 0) {
		td_warn("failed to start the walk of open files (%s): finding the holders of sockets in /proc/*/fd",
			strerror(errno));
		seed_from_proc(skel);
		return;
	}
	/* seed_owners fills seed_holders while it is read; it writes nothing. */
	while (read(fd, buf, sizeof(buf)) > 0)
		;
	close(fd);
}

void td_holders_seeded(struct tcpdwell_bpf *skel)
{
	int fd = bpf_map__fd(skel->maps.seed_holders);
	__u64 keys[1024], batch = 0;
	struct td_seed_holder vals[1024];
	bool first = true;
	int err;

	/* Each call deletes what it returns; ENOENT: the last of them. */
	do {
		__u32 n = 1024;

		err = bpf_map_lookup_and_delete_batch(fd, first ? NULL : &batch, &batch, keys, vals, &n, NULL);
		first = false;
	} while (!err);
	if (errno != ENOENT)
		td_warn("failed to empty the map of existing sockets' holders (%s): its memory stays in use",
			strerror(errno));
}
