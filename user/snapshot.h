/* `tcpdwell snapshot`: live sockets with their time in state. */
#ifndef TD_SNAPSHOT_H
#define TD_SNAPSHOT_H

#include <stdbool.h>
#include <sys/types.h>

struct tcpdwell_bpf;
struct bpf_link;
struct td_config;

/* Loads only the snapshot iterator, with cfg's filters, on the maps that
 * the tracer `tracer` pinned (0: none, every time unknown), and with
 * holders the walk of open files (td_holders_collect's); 0 or -errno. */
int td_snapshot_open(struct tcpdwell_bpf **out, const struct td_config *cfg, pid_t tracer, bool holders);
/* The snapshot iterator's link (td_snap records; run it in each namespace
 * with td_nsiter_run), 0 or -errno after an error line; *link is the
 * caller's to destroy. */
int td_snapshot_attach(struct tcpdwell_bpf *skel, struct bpf_link **link);

/* argv[0] is "snapshot". Returns the exit status. */
int td_snapshot_main(int argc, char **argv);

#endif
