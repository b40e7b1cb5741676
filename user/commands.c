/* The commands of tcpdwell: each one's --help prose around its option table
 * (user/opts.c), and the list that --help, main's dispatch and the tests of
 * the man page and the completion walk. */
#include <stddef.h>
#include "opts.h"

const struct td_optcmd td_trace_cmd = {
	.summary = "trace TCP state transitions and report how long\n"
		   "connections dwell in each state (the options below)",
	.commands = td_commands,
	.head = "Usage: tcpdwell [OPTIONS]\n"
		"Trace TCP state transitions and report how long connections dwell in each\n"
		"state, as histograms, attributed to the process that owns the socket.\n"
		"\n",
	.tail = "\n"
		"SECS accepts a number of seconds or a unit: 500ms, 1.5s, 2m, 1h.\n"
		"\n"
		"Examples:\n"
		"  tcpdwell                     # histograms per state until Ctrl-C\n"
		"  tcpdwell -i 10               # a report every 10 s\n"
		"  tcpdwell -e -P 443           # every transition of port 443, either side\n"
		"  tcpdwell -L 8080 -d 60 -j    # server port 8080 for a minute, as JSON\n"
		"  tcpdwell -p 1234             # sockets owned by process 1234\n"
		"  tcpdwell --prometheus 9101   # exporter on 127.0.0.1:9101, report at exit\n"
		"  tcpdwell -c /sys/fs/cgroup/system.slice/nginx.service\n"
		"\n"
		"See tcpdwell(8) for more.\n",
	.headings = { "Output:", "Filters (applied in the kernel):", "Tuning:" },
	.what = "option",
	.hint = "--help",
	.rows = td_trace_rows,
	.checks = td_trace_checks,
};

const struct td_optcmd td_snap_cmd = {
	.name = "snapshot",
	.summary = "list the TCP sockets that exist now and how long each\n"
		   "has been in its state (tcpdwell snapshot --help)",
	.head = "Usage: tcpdwell snapshot [OPTIONS]\n"
		"List the TCP sockets that exist now (like ss -tan, TIME_WAIT and request\n"
		"socks included) with how long each has been in its state, and count them\n"
		"per state. Times come from the newest tcpdwell that is tracing (or -t);\n"
		"a socket it does not time, or every one without a tracer, shows '?' and\n"
		"why, and one line on stderr says where the times came from.\n"
		"\n",
	.tail = "\n"
		"Examples:\n"
		"  tcpdwell snapshot --older-than CLOSE_WAIT:30s\n"
		"                            # leaked CLOSE_WAITs and who holds them\n"
		"  tcpdwell snapshot -P 443 -j\n",
	.headings = { "Output:", "Filters:", "Tracer and help:" },
	.what = "snapshot option",
	.hint = "tcpdwell snapshot --help",
	.rows = td_snap_rows,
	.checks = td_snap_checks,
};

/* The default command (tracing) first; the others by their word. */
const struct td_optcmd *const td_commands[] = { &td_trace_cmd, &td_snap_cmd, NULL };
