/* What a report or a scrape shows, wherever the transitions are counted: in
 * userspace from the ring buffer's records, or in the kernel (--kernel-agg)
 * plus the few records userspace reports itself. Pure data, no I/O: the
 * kernel's totals come through a callback. */
#ifndef TD_VIEW_H
#define TD_VIEW_H

#include <stdbool.h>
#include "agg.h"

/* Fills out with the kernel's totals since start; 0 or -errno. */
typedef int (*td_kernel_read_fn)(void *ctx, struct td_agg *out);

struct td_view_opts {
	bool cumulative;  /* -C: an interval is everything since start */
	bool since_start; /* keep the totals since start (the exporter's scrapes) */
	/* Where the kernel's totals come from (--kernel-agg: everything;
	 * else the accept waits, which the kernel keeps without -e); NULL
	 * when userspace counts every record. */
	td_kernel_read_fn read_kernel;
	void *kernel_ctx;
};

struct td_view;

/* NULL with errno set when out of memory. */
struct td_view *td_view_new(const struct td_view_opts *o);
void td_view_free(struct td_view *v);
/* A record from the ring buffer. */
void td_view_add(struct td_view *v, const struct td_event *e);
/* An accept record from the ring buffer. */
void td_view_add_accept(struct td_view *v, const struct td_accept *r);
/* What a report shows: since the last td_view_interval_done, or since start
 * under -C. *out stays valid until the next call on v. A failed kernel read
 * is returned, and *out is set all the same (from what the read left): the
 * report goes out anyway. */
int td_view_interval(struct td_view *v, const struct td_agg **out);
/* What a scrape shows: everything since start (needs .since_start, else
 * -EINVAL). *out stays valid until the next call on v; on an error it is
 * not set. */
int td_view_since_start(struct td_view *v, const struct td_agg **out);
/* The report of this interval is out: the next one starts from here. */
void td_view_interval_done(struct td_view *v);

#endif
