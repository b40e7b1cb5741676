/* Listeners as the census finds them (td_listener records): the SYNs each
 * one's queues dropped while traced, and its accept queue now. Pure data,
 * no I/O. */
#ifndef TD_LISTENERS_H
#define TD_LISTENERS_H

#include <stdbool.h>
#include <stdint.h>
#include <linux/types.h>
#include "tcpdwell.h"

#define TD_LISTENERS_MAX 64

struct td_listener_stat {
	uint64_t skaddr;
	uint32_t netns;
	uint16_t port;
	uint8_t  family;
	uint8_t  addr[16];
	uint32_t base;        /* its sk_drops when first seen by a first census */
	uint32_t drops;       /* sk_drops now */
	uint32_t backlog;     /* accept queue now */
	uint32_t max_backlog; /* and its limit */
	bool     seen;        /* in the census being read */
};

struct td_listeners {
	struct td_listener_stat v[TD_LISTENERS_MAX];
	unsigned int n;
	uint64_t untracked;   /* listeners past TD_LISTENERS_MAX in the last census */
	bool started;         /* a census has been read: later listeners are new */
};

/* A census: begin, one update per record, end (listeners not seen again
 * have closed and are forgotten). */
void td_listeners_begin(struct td_listeners *l);
void td_listeners_update(struct td_listeners *l, const struct td_listener *r);
void td_listeners_end(struct td_listeners *l);
/* SYNs dropped since tracing began (or since the listener was created, if
 * later): a full accept queue or a full SYN queue. */
static inline uint32_t td_listener_dropped(const struct td_listener_stat *s)
{
	return s->drops >= s->base ? s->drops - s->base : 0;
}

#endif
