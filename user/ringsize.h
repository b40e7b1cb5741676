/* How many ring buffers carry records, and how large each is: one rule for
 * the tracer (rings.c) and the bench's per-CPU floor (tests/bench/floor.c),
 * so that the floor has tcpdwell's layout. Pure. */
#ifndef TD_RINGSIZE_H
#define TD_RINGSIZE_H

#include <stdint.h>

/* How many rings for ncpus possible CPUs: one per online CPU (a CPU beyond
 * shares one by its number, slot i taking ring i % count), never more than
 * ncpus. */
int td_rings_per_cpu(int ncpus);
/* Each ring's size for a total of total_bytes over nrings rings: an even
 * share, rounded down to a power of two, at least one page. */
uint32_t td_ring_bytes(uint64_t total_bytes, int nrings);

#endif
