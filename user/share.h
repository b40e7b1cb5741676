/* A tracer's maps beyond its own process: shared in bpffs for `tcpdwell
 * snapshot`, and seeded with the sockets that exist at start. Paths are
 * pins.c's. */
#ifndef TD_SHARE_H
#define TD_SHARE_H

#include <sys/types.h>

struct tcpdwell_bpf;
struct td_nsiter;

/* Pins the per-socket maps of a loaded skeleton under
 * /sys/fs/bpf/tcpdwell/<pid>. Returns the pid whose directory holds them
 * (remove it with td_pin_dir_remove), or 0 when not shared. filters
 * (td_filter_describe) go beside them: a failure costs
 * only the snapshot's times, so it is a warning. */
pid_t td_share_maps(struct tcpdwell_bpf *skel, const char *filters);
/* Runs the attached seed_tcp iterator once in each namespace of walk: the sockets that exist now are
 * in their state "since at least" now, owned by the process that holds
 * their file (found in /proc within a time budget, as ss -p finds it).
 * A failure is a warning. */
void td_seed_sockets(struct tcpdwell_bpf *skel, struct td_nsiter *walk);

#endif
