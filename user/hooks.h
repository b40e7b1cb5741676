/* Optional hooks (user/hooks.c): set a skeleton's autoload by what the
 * running kernel has, between open and load. */
#ifndef TD_HOOKS_H
#define TD_HOOKS_H

#include <stdbool.h>
#include <stddef.h>

struct tcpdwell_bpf;

/* The reset hooks, and the walk of open files (user/holders_iter.c
 * decides): unloaded, with a warning, when the kernel lacks them. */
void td_hooks_drop_missing(struct tcpdwell_bpf *skel);
/* The accept hooks: mounts tracefs if needed; false, with why filled in
 * (for a warning after a successful load), when they cannot run. */
bool td_hooks_accepts(struct tcpdwell_bpf *skel, char *why, size_t len);

#endif
