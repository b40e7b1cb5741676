/* Accept-queue waits per listener port: at most TD_ACCEPT_PORTS ports,
 * first come first served, then every later port together as "other", so
 * that a host with many listeners keeps a bounded aggregate. Pure data. */
#ifndef TD_ACCEPTQ_H
#define TD_ACCEPTQ_H

#include <stdbool.h>
#include <stdint.h>
#include <linux/types.h>
#include "tcpdwell.h"
#include "hist.h"

struct td_port_wait {
	uint16_t port;    /* the listener's port; 0 in "other" */
	uint64_t unknown; /* accepts whose queue entry was not seen (queued before tracing) */
	struct hist h;    /* known waits */
};

struct td_accept_waits {
	unsigned n;                               /* entries of port[] in use */
	struct td_port_wait port[TD_ACCEPT_PORTS];
	struct td_port_wait other;                /* every port past the cap */
};

/* The entry of port: its own, a free one while any is left, else "other". */
struct td_port_wait *td_accept_slot(struct td_accept_waits *w, uint16_t port);
/* One accept on port; wait_ns counts only when known. */
void td_accept_add(struct td_accept_waits *w, uint16_t port, bool known, uint64_t wait_ns);
/* --kernel-agg: one CPU's value of a port (0: the kernel's "other"). */
void td_accept_add_kernel(struct td_accept_waits *w, uint16_t port, const struct td_kaccept *k);
/* dst += src, port by port. */
void td_accept_merge(struct td_accept_waits *dst, const struct td_accept_waits *src);
/* dst = cur - prev, port by port, for totals that only grow. */
void td_accept_delta(struct td_accept_waits *dst, const struct td_accept_waits *cur,
		     const struct td_accept_waits *prev);
/* Every port together (port 0): the one series without a port label. */
void td_accept_total(const struct td_accept_waits *w, struct td_port_wait *out);
/* Whether an entry has anything to show. */
static inline bool td_port_wait_used(const struct td_port_wait *p)
{
	return p->h.count || p->unknown;
}

#endif
