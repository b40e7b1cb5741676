/* Userspace's half of the timewait end: the kernel side leaves a timer
 * cancel pending per CPU until an expiry or a re-arm on that CPU explains
 * it; on a CPU that went quiet nothing does, and this sweep reports the
 * early kill. */
#ifndef TD_TWSWEEP_H
#define TD_TWSWEEP_H

#include <stdint.h>
#include "tracer.h"

struct td_twsweep;
struct tcpdwell_bpf;

/* For a loaded skeleton with the timer programs; records go to fn(ctx, e)
 * after the filters the skeleton was loaded with. NULL with errno set. */
struct td_twsweep *td_twsweep_new(struct tcpdwell_bpf *skel, int ncpus, td_event_fn fn, void *ctx);
/* Reports the pending cancels older than a grace period at now_ns
 * (CLOCK_MONOTONIC); returns how many, or -errno. */
int td_twsweep_run(struct td_twsweep *s, uint64_t now_ns);
void td_twsweep_free(struct td_twsweep *s);

#endif
