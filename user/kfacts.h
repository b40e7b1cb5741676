/* Kernel facts: what userspace reads from /proc, /sys and /boot about the
 * running kernel (BTF, kallsyms, CONFIG_HZ, sysctls), in this one module and
 * off the start-up path where it can be. */
#ifndef TD_KFACTS_H
#define TD_KFACTS_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#define TD_KALLSYMS   "/proc/kallsyms"
#define TD_TIMER_LIST "/proc/timer_list"
#define TD_PID_MAX    "/proc/sys/kernel/pid_max"
/* PID_MAX_LIMIT of 64-bit kernels: no pid is this high, whatever pid_max. */
#define TD_PID_MAX_LIMIT 4194304u

/* One line naming what is missing when the kernel has no BTF; 0 or -ENOENT. */
int td_require_btf(void);

/* The address in one /proc/kallsyms line ("ffffffff81234560 t name [mod]")
 * when it names the symbol `name`, else 0. */
uint64_t td_kallsyms_line_addr(const char *line, const char *name);
/* Looks up n symbols in one pass over f: addrs[i] is names[i]'s address, 0
 * when missing or hidden (kptr_restrict shows zeros). Returns how many
 * were found. */
int td_kallsyms_find(FILE *f, const char *const names[], uint64_t addrs[], int n);
/* The same over /proc/kallsyms; none found when it cannot be read. */
int td_kallsyms_lookup(const char *const names[], uint64_t addrs[], int n);
/* Whether /proc/kallsyms shows its addresses as 0: kptr_restrict hides
 * them from a process without CAP_SYSLOG (kallsyms_show_value()). */
bool td_kallsyms_hidden(void);

/* CONFIG_HZ, which turns the timewait timer's jiffies into time. */
/* N from a "CONFIG_HZ=N" line (1..100000), else 0. */
unsigned int td_config_hz_line(const char *line);
/* CONFIG_HZ from a kernel config, plain or gzip-compressed; 0 when absent. */
unsigned int td_config_hz_file(const char *path);
/* From /proc/config.gz, else /boot/config-$(uname -r); 0 when neither says. */
unsigned int td_config_hz(void);
/* The usual HZ (100, 250, 300, 1000) nearest to `jiffies` ticks in `ns`,
 * within 10% and a tick; 0 when none is. */
unsigned int td_hz_round(uint64_t jiffies, uint64_t ns);
/* The "jiffies: N" of a /proc/timer_list text; -1 when absent. */
long long td_timer_list_jiffies(FILE *f);

/* Measuring HZ without sleeping: jiffies and the clock now, and again on a
 * later call at least TD_HZ_PROBE_NS after. */
#define TD_HZ_PROBE_NS (100ull * 1000000ull)
struct td_hz_probe {
	const char *path;  /* TD_TIMER_LIST; a test's file */
	long long jiffies; /* at the start; -1: not running */
	uint64_t ns;       /* CLOCK_MONOTONIC at the start */
};
/* Starts the measurement: 0, or -errno (not running). */
int td_hz_probe_start(struct td_hz_probe *p, const char *path, uint64_t now_ns);
bool td_hz_probe_running(const struct td_hz_probe *p);
/* The measured HZ (> 0) and the probe stops; 0 when called too early (it
 * goes on); -errno when it gave up (it stops). */
int td_hz_probe_finish(struct td_hz_probe *p, uint64_t now_ns);

/* Entries of the timewait map: the kernel's own cap on timewait socks
 * (net.ipv4.tcp_max_tw_buckets), clamped by td_tw_map_clamp. */
uint32_t td_tw_map_entries(void);
/* v and a sixteenth more, into [65536, 4M]: room for a burst on small
 * caps, bounded memory on large ones. The sixteenth holds, at the kernel's
 * cap, the entries whose end is still on its way (a cancel pending on a
 * CPU) or was lost to a recursion miss (kept until a new timewait sock
 * reuses the address): without it, a soak at the cap found 88 live socks
 * untracked in 90 s. */
uint32_t td_tw_map_clamp(unsigned long v);

/* kernel.pid_max: every pid is below it. From a file of that format, or
 * TD_PID_MAX_LIMIT when it cannot be read. */
uint32_t td_pid_max_file(const char *path);
uint32_t td_pid_max(void);

#endif
