/* Optional hooks (user/hooks.c): set a skeleton's autoload by what the
 * running kernel has, between open and load. */
#ifndef TD_HOOKS_H
#define TD_HOOKS_H

#include <stdbool.h>
#include <stddef.h>

struct btf;
struct tcpdwell_bpf;

/* The running kernel's BTF, parsed on first use and shared by every check
 * between open and load (which hooks and kfuncs the kernel has); NULL when
 * it cannot be read. td_vmlinux_btf_release gives its memory back once the
 * skeleton is loaded (a later call parses it again). */
const struct btf *td_vmlinux_btf(void);
void td_vmlinux_btf_release(void);

/* The reset hooks, and the walk of open files (user/holders_iter.c
 * decides): unloaded, with a warning, when the kernel lacks them. */
void td_hooks_drop_missing(struct tcpdwell_bpf *skel);
/* The accept hooks: mounts tracefs if needed; false, with why filled in
 * (for a warning after a successful load), when they cannot run. */
bool td_hooks_accepts(struct tcpdwell_bpf *skel, char *why, size_t len);

/* Whether the kernel has the bpf_rdonly_cast kfunc (v6.2), which the
 * accept programs' fast flavour and the census walk (bpf/walk.bpf.h) use. */
bool td_hooks_rdonly_cast(void);

#endif
