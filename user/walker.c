/* The census by a direct walk of the socket tables (walker.h). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include "diag.h"
#include "hooks.h"
#include "walker.h"
#include "tcpdwell.skel.h"

#define TD_CENSUS_ENV "TD_CENSUS"

int td_walker_env_check(void)
{
	const char *v = getenv(TD_CENSUS_ENV);

	if (!v || !*v || strcmp(v, "walk") == 0 || strcmp(v, "iter") == 0)
		return 0;
	td_err("%s=%s: expected \"walk\" or \"iter\"", TD_CENSUS_ENV, v);
	return -EINVAL;
}

bool td_walker_wanted(struct tcpdwell_bpf *skel)
{
	const char *how = getenv(TD_CENSUS_ENV);
	bool on = !(how && strcmp(how, "iter") == 0) && td_hooks_rdonly_cast();

	bpf_program__set_autoload(skel->progs.census_walk, on);
	/* Run on demand, never attached. */
	bpf_program__set_autoattach(skel->progs.census_walk, false);
	return on;
}

void td_walker_init(struct td_walker *w, struct tcpdwell_bpf *skel)
{
	memset(w, 0, sizeof(*w));
	w->skel = skel;
	w->prog_fd = bpf_program__fd(skel->progs.census_walk);
	w->on = bpf_program__autoload(skel->progs.census_walk) && w->prog_fd >= 0;
}

void td_walker_between(struct td_walker *w, void (*fn)(void *ctx), void *ctx)
{
	w->between = fn;
	w->between_ctx = ctx;
}

/* Empties walk_counts: the namespaces of the last census. */
static int clear_counts(int fd)
{
	__u32 key;

	while (bpf_map_get_next_key(fd, NULL, &key) == 0)
		if (bpf_map_delete_elem(fd, &key))
			return -errno;
	return errno == ENOENT ? 0 : -errno;
}

/* One table in runs of at most TD_WALK_BUCKETS buckets and about
 * TD_WALK_SOCKETS sockets, so that no run holds its CPU for long. */
static int walk_table(struct td_walker *w, __u64 listen)
{
	volatile struct tcpdwell_bpf__bss *b = w->skel->bss;
	__u64 next = 0;

	do {
		__u64 args[3] = { listen, next, TD_WALK_SOCKETS };
		LIBBPF_OPTS(bpf_test_run_opts, o, .ctx_in = args, .ctx_size_in = sizeof(args));

		if (bpf_prog_test_run_opts(w->prog_fd, &o))
			return -errno;
		w->runs++;
		if (b->walk_next <= next && b->walk_next < b->walk_end)
			return -EIO; /* no progress: never loop */
		next = b->walk_next;
		if (w->between && next < b->walk_end)
			w->between(w->between_ctx);
	} while (next < b->walk_end);
	return 0;
}

int td_walker_run(struct td_walker *w)
{
	volatile struct tcpdwell_bpf__bss *b = w->skel->bss;
	int err;

	w->ran = false;
	w->runs = 0;
	err = clear_counts(bpf_map__fd(w->skel->maps.walk_counts));
	if (err)
		return err;
	b->walk_broken = b->walk_full = b->walk_nlisten = 0;
	err = walk_table(w, 0);
	if (!err)
		err = walk_table(w, 1);
	if (err)
		return err;
	if (b->walk_broken || b->walk_full)
		return -EAGAIN;
	w->ran = true;
	return 0;
}

void td_walker_counts(const struct td_walker *w, uint32_t netns, uint64_t out[TD_CENSUS_MAX])
{
	struct td_walk_counts v;

	if (bpf_map_lookup_elem(bpf_map__fd(w->skel->maps.walk_counts), &netns, &v))
		memset(&v, 0, sizeof(v));
	memcpy(out, v.c, TD_CENSUS_MAX * sizeof(out[0]));
}

size_t td_walker_listeners(const struct td_walker *w, const struct td_listener **v)
{
	__u32 n = w->skel->bss->walk_nlisten;

	*v = (const struct td_listener *)w->skel->bss->walk_listeners;
	return n < TD_WALK_LISTENERS ? n : TD_WALK_LISTENERS;
}
