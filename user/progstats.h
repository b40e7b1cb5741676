/* What the kernel counts for tcpdwell's BPF side: the per-CPU counters
 * (records dropped, storage not created, timewait socks untracked) and each
 * program's skipped runs, run time and run count. */
#ifndef TD_PROGSTATS_H
#define TD_PROGSTATS_H

#include "agg.h"    /* struct td_loss */
#include "tracer.h" /* struct td_prog_stat */

struct tcpdwell_bpf;

/* The losses since load, summed over ncpus CPUs; 0 or -errno. */
int td_progstats_loss(struct tcpdwell_bpf *skel, int ncpus, struct td_loss *out);
/* Each loaded program's cost into out[], at most max; how many, or -errno. */
int td_progstats_runs(struct tcpdwell_bpf *skel, struct td_prog_stat *out, int max);

#endif
