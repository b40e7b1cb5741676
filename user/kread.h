/* The kernel side's aggregates, read into a struct td_agg (user/kread.c). */
#ifndef TD_KREAD_H
#define TD_KREAD_H

#include <stdbool.h>
#include "agg.h"

struct tcpdwell_bpf;

/* The per-CPU totals since start into *out (reset first): everything
 * --kernel-agg keeps, or with accepts the accept waits alone; 0 or -errno. */
int td_kread(const struct tcpdwell_bpf *skel, int ncpus, struct td_agg *out, bool accepts);

#endif
