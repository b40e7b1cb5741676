/* The census of live TCP sockets, counted per state and per namespace,
 * with the listeners' records: one walk of the socket table (walker.c) for
 * every namespace that shares this namespace's table, and a census_tcp
 * iterator (nsiter.c) in each namespace with a table of its own, or in all
 * where the walk cannot run or was incomplete; and when a census must run
 * to settle orphaned FIN_WAIT2s. */
#ifndef TD_CENSUS_H
#define TD_CENSUS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "tcpdwell.h"
#include "listeners.h"
#include "nsiter.h"
#include "walker.h"

struct tcpdwell_bpf;

/* One namespace's counts (TD_CENSUS_* slots), for namespaces that hold
 * sockets which pass the filters. */
struct td_census_ns {
	uint32_t netns;
	uint64_t c[TD_CENSUS_MAX];
};

struct td_census {
	struct tcpdwell_bpf *skel;
	struct td_nsiter *walk;
	struct td_walker walker;
	struct td_listeners listeners; /* as the last census found them */
	struct td_census_ns *per;      /* the last census, by namespace */
	size_t n, cap;
	uint64_t total[TD_CENSUS_MAX]; /* the last census, all namespaces */
	uint64_t orphans_seen;         /* the kernel's orphans_born at the last census */
	bool timers;                   /* orphan settling: the timer programs run */
	bool ran;
	bool walked;                   /* the last census came from the walk */
};

/* After load (td_walker_wanted chose before it). */
void td_census_init(struct td_census *c, struct tcpdwell_bpf *skel, struct td_nsiter *walk, bool timers);
/* Walks every namespace now; 0 or -errno (the last census stays). */
int td_census_run(struct td_census *c);
/* Whether orphaned FIN_WAIT2s may wait for a census to be settled: the last
 * census counted some, or the kernel has seen one born since. */
bool td_census_orphans_pending(const struct td_census *c);
void td_census_free(struct td_census *c);

#endif
