/* Sharing the tracer's per-socket maps through bpffs, so that
 * `tcpdwell snapshot` can tell how long each socket has been in its state. */
#ifndef TD_PINS_H
#define TD_PINS_H

#include <stdbool.h>
#include <sys/types.h>

#define TD_PIN_ROOT "/sys/fs/bpf/tcpdwell"

/* The maps a tracer shares, by name in the BPF object. */
extern const char *const td_pinned_maps[];
extern const int td_pinned_maps_n;

/* Mounts bpffs on /sys/fs/bpf if nothing is mounted there; 0 or -errno. */
int td_bpffs_ensure(void);
/* Mounts tracefs on /sys/kernel/tracing (TD_TRACEFS) if nothing is mounted
 * there, for the classic tracepoints; 0 or -errno. */
#define TD_TRACEFS "/sys/kernel/tracing"
int td_tracefs_ensure(void);
/* "/sys/fs/bpf/tcpdwell/<pid>/<name>" into buf. */
void td_pin_path(char *buf, size_t len, pid_t pid, const char *name);
/* Creates /sys/fs/bpf/tcpdwell/<pid>; 0 or -errno. */
int td_pin_dir_create(pid_t pid);
/* The tracer's filters (td_filter_describe's words) beside its pins, so
 * that a snapshot knows which sockets it times: written as the command line
 * "tcpdwell WORDS..." that td_parse_args reads back. 0 or -errno. */
#define TD_PIN_FILTERS "filters"
#define TD_FILTERS_LEN 512
int td_pin_filters_write(pid_t pid, const char *filters);
/* That command line into buf (len bytes at most); 0 or -errno (-ENOENT: a
 * tracer from before the file existed). */
int td_pin_filters_read(pid_t pid, char *buf, size_t len);
/* Removes this pid's pins and directory (best effort). */
void td_pin_dir_remove(pid_t pid);
/* The pid of a running tracer that shares its maps (the newest), removing
 * directories left by dead ones; 0 when there is none. */
pid_t td_pin_find_tracer(void);
/* The running tracers that share their maps, but `except`, at most max
 * into out; how many. */
int td_pin_other_tracers(pid_t except, pid_t *out, int max);

/* Removes the directories (and the maps they keep alive) of tracers that
 * died without closing, e.g. killed with SIGKILL. */
void td_pin_cleanup_stale(void);

#endif
