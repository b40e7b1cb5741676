/* The options of tcpdwell and of tcpdwell snapshot, each declared once in a
 * table (user/optable.c runs them): the setters that fill a config with
 * the parsers of user/args.c, the rows, and the cross-option checks. */
#include <errno.h>
#include <string.h>
#include <linux/types.h>
#include "tcpdwell.h"
#include "kfacts.h"
#include "opts.h"
#include "series.h"

#define DEFAULT_RINGBUF_BYTES (8u << 20)
#define MIN_RINGBUF_BYTES 4096u
#define MAX_RINGBUF_BYTES (1u << 30)
#define STR(x) #x
#define XSTR(x) STR(x)

/* ---- setters: an argument into the field a row names ---- */

#define FIELD(cfg, row, type) ((type *)((char *)(cfg) + (row)->off))

static int set_duration(void *cfg, const struct td_optrow *row, const char *arg)
{
	return td_parse_duration(arg, FIELD(cfg, row, uint64_t));
}

/* Below kernel.pid_max, which the parser read once: a pid above it can
 * never match. */
static int set_pid(void *cfg, const struct td_optrow *row, const char *arg)
{
	uint32_t pid;
	int err = td_parse_pid(arg, &pid);

	if (!err && pid >= ((struct td_config *)cfg)->pid_max)
		err = -EOVERFLOW;
	if (!err)
		*FIELD(cfg, row, uint32_t) = pid;
	return err;
}

static int set_cidr(void *cfg, const struct td_optrow *row, const char *arg)
{
	return td_parse_cidr(arg, FIELD(cfg, row, struct td_cidr));
}

static int set_states(void *cfg, const struct td_optrow *row, const char *arg)
{
	return td_parse_state_list(arg, FIELD(cfg, row, uint32_t));
}

static int set_listen(void *cfg, const struct td_optrow *row, const char *arg)
{
	return td_parse_listen(arg, FIELD(cfg, row, struct td_listen));
}

/* The row's TD_PORT_* bit (val) into the shared port table, and its
 * filter_* flag (the field) on. */
static int set_ports(void *cfg, const struct td_optrow *row, const char *arg)
{
	int err = td_parse_port_list(arg, ((struct td_config *)cfg)->port_filter, (uint8_t)row->val);

	if (!err)
		*FIELD(cfg, row, bool) = true;
	return err;
}

/* The path is kept as given; main opens it and says if it is missing. */
static int set_abs_path(void *cfg, const struct td_optrow *row, const char *arg)
{
	if (arg[0] != '/')
		return -EINVAL;
	*FIELD(cfg, row, const char *) = arg;
	return 0;
}

static int set_ringbuf(void *cfg, const struct td_optrow *row, const char *arg)
{
	uint64_t b;

	if (td_parse_size(arg, &b) || b < MIN_RINGBUF_BYTES || b > MAX_RINGBUF_BYTES || (b & (b - 1)))
		return -EINVAL;
	*FIELD(cfg, row, uint64_t) = b;
	return 0;
}

static int set_series(void *cfg, const struct td_optrow *row, const char *arg)
{
	struct td_config *c = cfg;
	enum td_series_kind kind;
	unsigned cap;

	(void)row;
	if (td_parse_series(arg, &kind, &cap))
		return -EINVAL;
	c->series_kind = (int)kind;
	c->series_cap = cap;
	return 0;
}

static int set_older_than(void *cfg, const struct td_optrow *row, const char *arg)
{
	struct snap_opts *o = cfg;

	(void)row;
	return td_parse_older_than(arg, &o->older_state, &o->older_ns);
}

/* A setter with the words of its error: "invalid NOUN 'ARG': EXPECT". */
#define TYPE(fn, noun_, expect_, ...) { .set = (fn), .noun = (noun_), .expect = (expect_), __VA_ARGS__ }

static const struct td_opttype
	duration = TYPE(set_duration, "duration", "expected a duration from 1ms, such as 10, 1.5s or 500ms"),
	pid = TYPE(set_pid, "pid", "expected a process id from 1", .above = "above the kernel's pid_max "
		   "(/proc/sys/kernel/pid_max): no process has it"),
	cidr = TYPE(set_cidr, "CIDR", "expected an address with an optional prefix, such as 10.0.0.0/8 or fd00::/8"),
	states = TYPE(set_states, "state list", "expected names such as ESTABLISHED,TIME_WAIT (see README)"),
	listen_addr = TYPE(set_listen, "--prometheus",
			   "expected [ADDR:]PORT with a port 1-65535, such as 9101, 0.0.0.0:9101 or [::1]:9101"),
	ports = TYPE(set_ports, "port list", "expected ports 1-65535 such as 80,443,8000-8010 (at most 64 items)"),
	cgroup_dir = TYPE(set_abs_path, "cgroup", "expected an absolute path to a cgroup v2 directory"),
	ringbuf = TYPE(set_ringbuf, "ring buffer size", "expected a power of two from 4K to 1G"),
	series = TYPE(set_series, "--prometheus-by",
		      "expected lport, cgroup, netns or container, with an optional :CAP from 1 to "
		      XSTR(TD_SERIES_MAX_CAP)),
	older_than = TYPE(set_older_than, "--older-than", "expected STATE:DURATION such as CLOSE_WAIT:30s");

/* ---- the tables ---- */

/* Shared rows address struct td_config; a command's own config starts with one. */
_Static_assert(offsetof(struct snap_opts, cfg) == 0, "struct snap_opts must start with its td_config");

#define CFG(f) offsetof(struct td_config, f)
#define SNAP(f) offsetof(struct snap_opts, f)
/* One option: its section in --help, short letter (0: none), long name,
 * argument name (NULL: none), setter, the field it fills, a constant for the
 * setter, help text; then .noun (the error's word) or .excl if needed. */
#define OPT(sec, c, lname, argname, settype, field, v, text, ...)                                      \
	{ .section = TD_SEC_##sec, .letter = (c), .name = (lname), .arg = (argname), .type = &(settype), \
	  .off = (field), .val = (v), .help = (text), __VA_ARGS__ }

enum { EXCL_FAMILY = 1, EXCL_TIMERS };

/* Rows of both commands. */
const struct td_optrow format_rows[] = {
	OPT(OUTPUT, 'w', "wide", NULL, td_opt_flag, CFG(wide), 1,
	    "wide address columns (for IPv6); the snapshot adds\na CONTAINER column"),
	OPT(OUTPUT, 'j', "json", NULL, td_opt_flag, CFG(json), 1, "JSON Lines instead of text"),
	TD_OPT_END,
};
const struct td_optrow net_rows[] = {
	OPT(FILTERS, '4', "ipv4", NULL, td_opt_value, CFG(family), 4, "IPv4 only", .excl = EXCL_FAMILY),
	OPT(FILTERS, '6', "ipv6", NULL, td_opt_value, CFG(family), 6, "IPv6 only", .excl = EXCL_FAMILY),
	OPT(FILTERS, 'L', "lport", "LIST", ports, CFG(filter_lport), TD_PORT_LOCAL,
	    "local ports, e.g. 80,443,8000-8010"),
	OPT(FILTERS, 'D', "rport", "LIST", ports, CFG(filter_rport), TD_PORT_REMOTE, "remote ports"),
	OPT(FILTERS, 'P', "port", "LIST", ports, CFG(filter_either), TD_PORT_EITHER, "ports on either side"),
	TD_OPT_END,
};
const struct td_optrow addr_rows[] = {
	OPT(FILTERS, 'A', "laddr", "CIDR", cidr, CFG(laddr), 0, "local address in this network, e.g. 10.0.0.0/8"),
	OPT(FILTERS, 'R', "raddr", "CIDR", cidr, CFG(raddr), 0, "remote address in this network, e.g. ::1/128"),
	TD_OPT_END,
};
const struct td_optrow help_rows[] = {
	OPT(TUNING, 'h', "help", NULL, td_opt_help, 0, 0, "this help"),
	TD_OPT_END,
};

const struct td_optrow td_trace_rows[] = {
	OPT(OUTPUT, 'e', "events", NULL, td_opt_flag, CFG(events), 1, "print one line per transition (like tcpstates)"),
	TD_OPT_INCLUDE(format_rows),
	OPT(OUTPUT, 'i', "interval", "SECS", duration, CFG(interval_ns), 0,
	    "print a report every SECS (each covers its interval)", .noun = "interval"),
	OPT(OUTPUT, 'C', "cumulative", NULL, td_opt_flag, CFG(cumulative), 1, "with -i, reports are totals since start"),
	OPT(OUTPUT, 'd', "duration", "SECS", duration, CFG(duration_ns), 0, "stop after SECS (default: until Ctrl-C)"),
	OPT(OUTPUT, 0, "prometheus-by", "lport|cgroup|netns|container[:CAP]", series, 0, 0,
	    "with --prometheus, also series per local port,\n"
	    "cgroup id, network namespace or container, at most\n"
	    "CAP (32) values, the rest 'other'"),
	OPT(OUTPUT, 0, "prometheus", "[ADDR:]PORT", listen_addr, CFG(prometheus), 0,
	    "serve Prometheus metrics at http://ADDR:PORT/metrics\n"
	    "(default ADDR 127.0.0.1; IPv6 as [::1]:9101; a host\n"
	    "name binds its first IPv4 address, else its IPv6 one)"),
	TD_OPT_INCLUDE(net_rows),
	OPT(FILTERS, 'p', "pid", "PID", pid, CFG(pid), 0, "sockets owned by this process (tgid)"),
	OPT(FILTERS, 'c', "cgroup", "PATH", cgroup_dir, CFG(cgroup_path), 0, "sockets created in this cgroup v2 directory"),
	TD_OPT_INCLUDE(addr_rows),
	TD_OPT_INCLUDE(netns_rows),
	OPT(FILTERS, 's', "state", "LIST", states, CFG(state_mask), 0,
	    "transitions into or out of these states, e.g.\nTIME_WAIT,CLOSE_WAIT"),
	OPT(TUNING, 0, "kernel-agg", NULL, td_opt_flag, CFG(kernel_agg), 1,
	    "build the histograms in the kernel (lowest overhead;\nno -e)"),
	OPT(TUNING, 'T', "timers", NULL, td_opt_flag, CFG(timers), 1,
	    "also follow timewait and request socks through the\n"
	    "timer tracepoints: TIME_WAIT lifetimes, real\n"
	    "handshake (SYN_RECV) times; costs more, see README", .excl = EXCL_TIMERS),
	OPT(TUNING, 0, "no-timers", NULL, td_opt_flag, CFG(timers), 0, "only the state tracepoint (the default)",
	    .excl = EXCL_TIMERS),
	OPT(TUNING, 'r', "ringbuf-size", "N", ringbuf, CFG(ringbuf_bytes), 0,
	    "ring buffers' total: one per CPU (one with -e or\n"
	    "--prometheus-by); power of two (default 8M; K/M/G)"),
	OPT(TUNING, 'v', "verbose", NULL, td_opt_flag, CFG(verbose), 1, "print libbpf's log"),
	TD_OPT_INCLUDE(help_rows),
	OPT(TUNING, 'V', "version", NULL, td_opt_version, 0, 0, "version"),
	TD_OPT_END,
};

const struct td_optrow td_snap_rows[] = {
	OPT(FILTERS, 's', "state", "LIST", states, CFG(state_mask), 0,
	    "only sockets in these states, e.g. CLOSE_WAIT,\nTIME_WAIT (the counts still cover every state)"),
	OPT(FILTERS, 0, "older-than", "STATE:DURATION", older_than, 0, 0,
	    "only sockets in STATE for at least DURATION,\ne.g. CLOSE_WAIT:30s, and those in STATE of\n"
	    "unknown age (marked)"),
	OPT(TUNING, 't', "tracer", "PID", pid, SNAP(tracer), 0,
	    "read the maps of this tracing tcpdwell (default: the\nnewest one)", .noun = "tracer pid"),
	TD_OPT_INCLUDE(format_rows),
	TD_OPT_INCLUDE(net_rows),
	TD_OPT_INCLUDE(addr_rows),
	TD_OPT_INCLUDE(netns_rows),
	TD_OPT_INCLUDE(help_rows),
	TD_OPT_END,
};

/* ---- cross-option checks ---- */

static bool families_disagree(const void *cfg)
{
	const struct td_config *c = cfg;
	__u32 f = (__u32)c->family;

	return (c->laddr.family && f && c->laddr.family != f) || (c->raddr.family && f && c->raddr.family != f) ||
	       (c->laddr.family && c->raddr.family && c->laddr.family != c->raddr.family);
}

static bool series_without_exporter(const void *cfg)
{
	const struct td_config *c = cfg;

	return c->series_kind && !td_listen_on(&c->prometheus);
}

static bool series_with_kernel_agg(const void *cfg)
{
	const struct td_config *c = cfg;

	return c->series_kind && c->kernel_agg;
}

static bool events_with_kernel_agg(const void *cfg)
{
	const struct td_config *c = cfg;

	return c->kernel_agg && c->events;
}

static bool cumulative_without_interval(const void *cfg)
{
	const struct td_config *c = cfg;

	return c->cumulative && !c->interval_ns;
}

/* TIME_WAIT lives in timewait socks and NEW_SYN_RECV in request socks:
 * only the timer hooks see them, so a list of nothing else shows nothing. */
static bool timer_states_without_timers(const void *cfg)
{
	const struct td_config *c = cfg;
	uint32_t timer_only = 1u << TD_TIME_WAIT | 1u << TD_NEW_SYN_RECV;

	return c->state_mask && !(c->state_mask & ~timer_only) && !c->timers;
}

#define FAMILIES_DISAGREE \
	{ families_disagree, "the address filters and -4/-6 name different families: nothing would match" }

const struct td_optcheck td_trace_checks[] = {
	FAMILIES_DISAGREE,
	{ series_without_exporter, "--prometheus-by needs --prometheus" },
	{ series_with_kernel_agg, "--prometheus-by needs the per-transition records; --kernel-agg keeps only totals" },
	{ events_with_kernel_agg,
	  "-e/--events needs the ring buffer; --kernel-agg keeps only histograms in the kernel" },
	{ cumulative_without_interval, "-C/--cumulative needs -i/--interval" },
	{ timer_states_without_timers, "-s TIME_WAIT and NEW_SYN_RECV need -T/--timers: without the timer "
				       "hooks no transition enters or leaves them" },
	{ NULL, NULL },
};

/* --older-than names one state; -s, if given, must list it. */
static bool older_than_outside_states(const void *cfg)
{
	const struct snap_opts *o = cfg;

	return o->older_state && !td_snap_state_listed(o->cfg.state_mask, o->older_state);
}

const struct td_optcheck td_snap_checks[] = {
	FAMILIES_DISAGREE,
	{ older_than_outside_states, "--older-than's state is not among -s's states: nothing would be listed" },
	{ NULL, NULL },
};

int td_parse_args(struct td_config *cfg, int argc, char **argv, FILE *out, FILE *err)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->ringbuf_bytes = DEFAULT_RINGBUF_BYTES;
	cfg->pid_max = td_pid_max();
	return td_opt_parse(&td_trace_cmd, cfg, argc, argv, out, err);
}

int td_parse_snapshot_args(struct snap_opts *o, int argc, char **argv, FILE *out, FILE *err)
{
	memset(o, 0, sizeof(*o));
	o->cfg.pid_max = td_pid_max();
	return td_opt_parse(&td_snap_cmd, o, argc, argv, out, err);
}
