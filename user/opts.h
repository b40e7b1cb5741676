/* Command-line options of tcpdwell: the configs they fill, and the tables
 * of each command (the parsers behind them: args.h). */
#ifndef TD_OPTS_H
#define TD_OPTS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <linux/types.h>
#include "tcpdwell.h"
#include "args.h"
#include "optable.h"

struct td_config {
	int family;              /* 0 (both), 4 or 6 */
	bool events;             /* -e: one line per transition */
	bool json;               /* -j: JSON Lines */
	bool wide;               /* -w: wide address columns */
	bool cumulative;         /* -C: reports are totals since start */
	bool verbose;            /* -v: libbpf's log */
	bool timers;             /* --timers: TIME_WAIT and handshakes via timer hooks */
	bool kernel_agg;         /* --kernel-agg: histograms built in the kernel */
	bool accepts_in_kernel;  /* accept waits aggregated in the kernel, no record
				    per accept (set by main when -e is off) */
	uint64_t interval_ns;    /* -i: 0 = report only at exit */
	uint64_t duration_ns;    /* -d: 0 = until a signal */
	uint32_t pid;            /* -p: 0 = any */
	uint32_t pid_max;        /* kernel.pid_max, read once by the parser */
	uint32_t state_mask;     /* -s: bit per enum td_state; 0 = all */
	const char *cgroup_path; /* -c */
	uint32_t netns;          /* -N: namespace inode; 0 = every namespace */
	const char *netns_path;  /* -N PATH: the file that opens it; NULL: found by inode */
	uint64_t ringbuf_bytes;  /* -r: power of two */
	bool filter_lport, filter_rport, filter_either;
	struct td_cidr laddr, raddr; /* -A, -R; family 0 = off */
	struct td_listen prometheus; /* --prometheus; family 0 = off */
	int series_kind;         /* --prometheus-by: enum td_series_kind, 0 = off */
	unsigned series_cap;
	uint8_t port_filter[65536]; /* TD_PORT_* bits */
};

/* tcpdwell snapshot's options. */
struct snap_opts {
	struct td_config cfg; /* first (the shared rows fill it); filters, -s, -j, -w only */
	int older_state;      /* --older-than: 0 = list all */
	uint32_t tracer;      /* -t: 0 = the newest */
	uint64_t older_ns;
};

/* Whether snapshot's -s mask (0: every state) lists a socket in state. A
 * request sock is listed as SYN_RECV, so NEW_SYN_RECV names it too. */
static inline bool td_snap_state_listed(uint32_t mask, int state)
{
	return !mask || (mask & (1u << state)) || (state == TD_SYN_RECV && (mask & (1u << TD_NEW_SYN_RECV)));
}

/* The rows and cross-option checks of tracing and of snapshot (user/opts.c). */
extern const struct td_optrow td_trace_rows[], td_snap_rows[];
extern const struct td_optcheck td_trace_checks[], td_snap_checks[];

/* The rows of doctor and explain (user/doctor_opts.c). */
extern const struct td_optrow td_doctor_rows[], td_explain_rows[];

/* The rows the commands share: -w/-j; -4/-6 and the port lists; -A/-R; -N; -h. */
extern const struct td_optrow format_rows[], net_rows[], addr_rows[], netns_rows[], help_rows[];

/* The commands around them, with their help text (user/commands.c), and
 * their list: tracing first, NULL at the end. */
extern const struct td_optcmd td_trace_cmd, td_snap_cmd, td_doctor_cmd, td_explain_cmd;
extern const struct td_optcmd *const td_commands[];

/* Fill cfg (or o) from argv. Return 0 to run, 1 when --help/--version
 * printed to out (exit 0), or TD_EXIT_USAGE after a one-line error on err. */
int td_parse_args(struct td_config *cfg, int argc, char **argv, FILE *out, FILE *err);
int td_parse_snapshot_args(struct snap_opts *o, int argc, char **argv, FILE *out, FILE *err); /* argv[0]: "snapshot" */

#endif
