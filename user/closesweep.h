/* Userspace's half of a held close (bpf/close.bpf.h): the kernel side holds
 * the record of an aborting close() until the RST it sends names the
 * reason. A record no RST claimed within a grace period is reported here,
 * as it is: without a cause. */
#ifndef TD_CLOSESWEEP_H
#define TD_CLOSESWEEP_H

#include <stdint.h>
#include "tracer.h"

struct td_closesweep;
struct tcpdwell_bpf;

/* For a loaded skeleton; records go to fn(ctx, e). NULL with errno set. */
struct td_closesweep *td_closesweep_new(struct tcpdwell_bpf *skel, td_event_fn fn, void *ctx);
/* Reports the held records older than the grace period at now_ns
 * (CLOCK_MONOTONIC); returns how many, or -errno. */
int td_closesweep_run(struct td_closesweep *s, uint64_t now_ns);
void td_closesweep_free(struct td_closesweep *s);

#endif
