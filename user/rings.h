/* The per-CPU ring buffers that carry records to userspace, through a
 * slots map (an array of ring buffers indexed by CPU: emit.bpf.h's
 * `rings`, and the bench floor's): made before the object's load (the
 * slots' map needs one as its template), installed after it and before
 * attach (so that no record finds its CPU without a ring), and consumed
 * together through one libbpf ring_buffer. */
#ifndef TD_RINGS_H
#define TD_RINGS_H

#include <stdint.h>
#include <bpf/libbpf.h>
#include "ringsize.h" /* their count and size */

struct td_rings;

/* Before load: nrings rings of ring_bytes for ncpus CPUs' slots, the first
 * ring also the template the slots are made for: one ring per CPU, or one
 * that every CPU shares, whose records come in the order they were
 * reserved (what -e prints needs that; totals do not). NULL with errno set. */
struct td_rings *td_rings_new(struct bpf_map *slots, int ncpus, int nrings, uint32_t ring_bytes);
/* After load, before attach: CPU i's slot gets ring i % nrings. 0 or -errno. */
int td_rings_install(const struct td_rings *r, const struct bpf_map *slots);
/* A consumer of every ring, handing each record to fn(ctx, ...). NULL with
 * errno set. Freed by td_rings_free. */
struct ring_buffer *td_rings_consumer(struct td_rings *r, ring_buffer_sample_fn fn, void *ctx);
void td_rings_free(struct td_rings *r);

#endif
