/* The view: userspace's aggregates and the kernel's snapshots behind "this
 * interval" and "since start", so that callers never ask which mode runs. */
#include <errno.h>
#include <stdlib.h>
#include "view.h"

struct td_view {
	struct td_view_opts o;
	struct td_agg *interval; /* records since the last report (all, under -C) */
	struct td_agg *total;    /* records since start, for scrapes */
	/* --kernel-agg: the kernel's totals at this report and at the
	 * previous one, and the sum handed out. */
	struct td_agg *kcur, *kprev, *out;
};

struct td_view *td_view_new(const struct td_view_opts *o)
{
	struct td_view *v = calloc(1, sizeof(*v));

	if (!v)
		return NULL;
	v->o = *o;
	v->interval = calloc(1, sizeof(*v->interval));
	if (o->since_start)
		v->total = calloc(1, sizeof(*v->total));
	if (o->read_kernel) {
		v->kcur = calloc(1, sizeof(*v->kcur));
		v->kprev = calloc(1, sizeof(*v->kprev));
		v->out = calloc(1, sizeof(*v->out));
	}
	if (!v->interval || (o->since_start && !v->total) ||
	    (o->read_kernel && (!v->kcur || !v->kprev || !v->out))) {
		td_view_free(v);
		errno = ENOMEM;
		return NULL;
	}
	return v;
}

void td_view_free(struct td_view *v)
{
	if (!v)
		return;
	free(v->interval);
	free(v->total);
	free(v->kcur);
	free(v->kprev);
	free(v->out);
	free(v);
}

void td_view_add(struct td_view *v, const struct td_event *e)
{
	td_agg_add(v->interval, e);
	if (v->total)
		td_agg_add(v->total, e);
}

void td_view_add_accept(struct td_view *v, const struct td_accept *r)
{
	td_agg_add_accept(v->interval, r);
	if (v->total)
		td_agg_add_accept(v->total, r);
}

/* kernel holds the kernel's part (its totals, or an interval's share of
 * them); add what userspace counted itself. Under --kernel-agg the ring
 * buffer carries only what the kernel did not count, the TIME_WAITs the
 * userspace sweep saw killed early (user/tracer.c); without it the kernel
 * keeps only the accept waits, which then have no records. Either way the
 * sum counts each transition and each accept once. */
static const struct td_agg *plus_own(struct td_agg *kernel, const struct td_agg *own)
{
	td_agg_merge(kernel, own);
	return kernel;
}

int td_view_interval(struct td_view *v, const struct td_agg **out)
{
	int err;

	if (!v->o.read_kernel) {
		*out = v->interval;
		return 0;
	}
	err = v->o.read_kernel(v->o.kernel_ctx, v->kcur);
	if (v->o.cumulative)
		*v->out = *v->kcur;
	else
		td_agg_delta(v->out, v->kcur, v->kprev);
	*out = plus_own(v->out, v->interval);
	return err;
}

int td_view_since_start(struct td_view *v, const struct td_agg **out)
{
	int err;

	if (!v->total)
		return -EINVAL;
	if (!v->o.read_kernel) {
		*out = v->total;
		return 0;
	}
	err = v->o.read_kernel(v->o.kernel_ctx, v->out);
	if (err)
		return err;
	*out = plus_own(v->out, v->total);
	return 0;
}

void td_view_interval_done(struct td_view *v)
{
	if (v->o.cumulative)
		return;
	td_agg_reset(v->interval);
	if (v->o.read_kernel)
		*v->kprev = *v->kcur;
}
