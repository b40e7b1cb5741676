/* Who holds each socket (user/holders_iter.c): the kernel's walk of open
 * files where it loads, else the /proc scan; one entry point for the
 * snapshot, doctor and a starting tracer's seeding. */
#ifndef TD_HOLDERS_ITER_H
#define TD_HOLDERS_ITER_H

#include <stdbool.h>
#include <stdint.h>

struct td_holders;
struct tcpdwell_bpf;

/* Between open and load: loads the walk's program (and with seeding, a
 * tracer's, the one that seeds owners) only where the kernel has what it
 * needs and TD_HOLDERS does not ask for /proc; one line on stderr when
 * /proc it is. */
void td_holders_prepare(struct tcpdwell_bpf *skel, bool seeding);
/* The holders of socket files now into h (sorted, td_holders_find's), by
 * skel's walk when it was loaded (attached here if the skeleton did not),
 * else from /proc until deadline_ns (CLOCK_MONOTONIC; 0: none; the walk
 * runs to its end: 120,000 socket files take it tens of ms). 0, or as
 * td_holders_scan: -ETIME or -ENOMEM, with what was found kept. */
int td_holders_collect(struct td_holders *h, struct tcpdwell_bpf *skel, uint64_t deadline_ns);
/* A starting tracer's seeding, before seed_tcp: the holders of the
 * sockets that exist now, into seed_holders, which seed_tcp reads to make
 * them their owners (by the kernel's walk, or from /proc within a time
 * budget; the map's size bounds both; a warning says what was left out). */
void td_holders_seed(struct tcpdwell_bpf *skel);
/* After seed_tcp: seed_holders emptied, its memory given back. */
void td_holders_seeded(struct tcpdwell_bpf *skel);

#endif
