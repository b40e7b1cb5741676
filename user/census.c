/* The census of live TCP sockets in every network namespace (census.h). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <bpf/libbpf.h>
#include "census.h"
#include "diag.h"
#include "record.h"
#include "tcpdwell.skel.h"

void td_census_init(struct td_census *c, struct tcpdwell_bpf *skel, struct td_nsiter *walk, bool timers)
{
	memset(c, 0, sizeof(*c));
	c->skel = skel;
	c->walk = walk;
	c->timers = timers;
	td_walker_init(&c->walker, skel);
}

/* The listener records of a census iterator: iter/tcp writes whole
 * records, so a read returns whole ones. */
static void on_listener(void *ctx, const void *rec)
{
	const struct td_listener *r = td_decode_listener(rec, sizeof(*r));

	if (r)
		td_listeners_update(ctx, r);
}

static int keep_ns(struct td_census *c, uint32_t netns, const uint64_t *counts)
{
	if (c->n == c->cap) {
		size_t cap = c->cap ? c->cap * 2 : 16;
		struct td_census_ns *v = realloc(c->per, cap * sizeof(*v));

		if (!v)
			return -ENOMEM;
		c->per = v;
		c->cap = cap;
	}
	c->per[c->n].netns = netns;
	memcpy(c->per[c->n].c, counts, sizeof(c->per[c->n].c));
	c->n++;
	return 0;
}

/* A namespace's counts into the census (kept when any is non-zero). */
static int add_ns(struct td_census *c, uint32_t netns, const uint64_t *counts)
{
	uint64_t any = 0;

	for (int i = 0; i < TD_CENSUS_MAX; i++) {
		c->total[i] += counts[i];
		any |= counts[i];
	}
	return any ? keep_ns(c, netns, counts) : 0;
}

/* One namespace by its iterator: census_tcp runs in this thread while we
 * read it, counting into the kernel side's census[]. */
static int one_ns(struct td_census *c, uint32_t netns, int fd)
{
	volatile __u64 *k = c->skel->bss->census;
	uint64_t counts[TD_CENSUS_MAX];
	struct td_listener r;
	int err;

	memset((void *)k, 0, sizeof(c->skel->bss->census));
	err = td_read_records(fd, &r, sizeof(r), on_listener, &c->listeners);
	if (err)
		return err;
	for (int i = 0; i < TD_CENSUS_MAX; i++)
		counts[i] = k[i];
	return add_ns(c, netns, counts);
}

/* One namespace from the walk: its counts and its listeners. */
static int walked_ns(struct td_census *c, uint32_t netns)
{
	const struct td_listener *v;
	size_t n = td_walker_listeners(&c->walker, &v);
	uint64_t counts[TD_CENSUS_MAX];

	for (size_t i = 0; i < n; i++)
		if (v[i].netns == netns)
			td_listeners_update(&c->listeners, &v[i]);
	td_walker_counts(&c->walker, netns, counts);
	return add_ns(c, netns, counts);
}

static int census_ns(void *ctx, const struct td_netns *ns)
{
	struct td_census *c = ctx;
	int fd, err;

	if (c->walked && td_nsiter_same_table(c->walk, ns))
		return walked_ns(c, ns->ino);
	fd = td_nsiter_fd(c->walk, ns, c->skel->links.census_tcp);
	if (fd == -EAGAIN)
		return 0;
	if (fd < 0)
		return fd;
	err = one_ns(c, ns->ino, fd);
	close(fd);
	return err;
}

/* The walk, tried twice: a chain that changed under it makes it
 * incomplete; then the iterators count every namespace this time. A walk
 * that cannot run at all says so once and leaves the census to them. */
static bool try_walk(struct td_census *c)
{
	int err = -EAGAIN;

	if (!td_nsiter_covers_table(c->walk))
		return false;
	for (int i = 0; i < 2 && err == -EAGAIN && c->walker.on; i++)
		err = td_walker_run(&c->walker);
	if (c->walker.on && err && err != -EAGAIN) {
		td_warn("failed to walk the socket table for the census: %s; counting with an iterator per namespace",
			strerror(-err));
		c->walker.on = false;
	}
	return c->walker.on && !err;
}

int td_census_run(struct td_census *c)
{
	uint64_t born = c->skel->bss->orphans_born;
	int err;

	/* Looking up every timewait sock costs: only while some may wait. */
	c->skel->bss->settle_on = c->timers && (!c->ran || td_census_orphans_pending(c));
	memset(c->total, 0, sizeof(c->total));
	c->n = 0;
	c->walked = try_walk(c);
	td_listeners_begin(&c->listeners);
	err = td_nsiter_each(c->walk, census_ns, c);
	td_listeners_end(&c->listeners);
	if (err)
		return err;
	c->orphans_seen = born;
	c->ran = true;
	return 0;
}

bool td_census_orphans_pending(const struct td_census *c)
{
	return c->timers && (c->total[TD_CENSUS_ORPHANS] > 0 || c->skel->bss->orphans_born != c->orphans_seen);
}

void td_census_free(struct td_census *c)
{
	free(c->per);
	c->per = NULL;
	c->n = c->cap = 0;
}
