/* The census of live TCP sockets in every network namespace (census.h). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <bpf/libbpf.h>
#include "census.h"
#include "record.h"
#include "tcpdwell.skel.h"

void td_census_init(struct td_census *c, struct tcpdwell_bpf *skel, struct td_nsiter *walk, bool timers)
{
	memset(c, 0, sizeof(*c));
	c->skel = skel;
	c->walk = walk;
	c->timers = timers;
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

/* One namespace: census_tcp runs in this thread while we read its
 * iterator, counting into the kernel side's census[]. */
static int one_ns(void *ctx, uint32_t netns, int fd)
{
	struct td_census *c = ctx;
	volatile __u64 *k = c->skel->bss->census;
	uint64_t counts[TD_CENSUS_MAX], any = 0;
	struct td_listener r;
	int err;

	memset((void *)k, 0, sizeof(c->skel->bss->census));
	err = td_read_records(fd, &r, sizeof(r), on_listener, &c->listeners);
	if (err)
		return err;
	for (int i = 0; i < TD_CENSUS_MAX; i++) {
		counts[i] = k[i];
		c->total[i] += counts[i];
		any |= counts[i];
	}
	return any ? keep_ns(c, netns, counts) : 0;
}

int td_census_run(struct td_census *c)
{
	uint64_t born = c->skel->bss->orphans_born;
	int err;

	/* Looking up every timewait sock costs: only while some may wait. */
	c->skel->bss->settle_on = c->timers && (!c->ran || td_census_orphans_pending(c));
	memset(c->total, 0, sizeof(c->total));
	c->n = 0;
	td_listeners_begin(&c->listeners);
	err = td_nsiter_run(c->walk, c->skel->links.census_tcp, one_ns, c);
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
