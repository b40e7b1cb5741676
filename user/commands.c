/* The commands of tcpdwell: each one's --help prose around its option table
 * (user/opts.c), and the list that --help, main's dispatch and the tests of
 * the man page and the completion walk. */
#include <stddef.h>
#include "doctor.h"
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

#define TH_HELP(name, word, kind, def, deftext, help) "  " word " (" deftext "): " help "\n"

const struct td_optcmd td_doctor_cmd = {
	.name = "doctor",
	.summary = "trace for a while, then say what is wrong and what\n"
		   "to do about it (tcpdwell doctor --help)",
	.head = "Usage: tcpdwell doctor [OPTIONS]\n"
		"Count the live TCP sockets with their ages, trace every transition for -d\n"
		"seconds (timer hooks included), read the kernel's TCP settings, then report\n"
		"findings, most severe first: what was seen, in numbers, by which processes,\n"
		"what it means and what to do. A healthy system gets one line. Ages of sockets\n"
		"older than the run are lower bounds (\"at least\"). Progress goes to stderr.\n"
		"\n",
	.tail = "\n"
		"Rules (ids, as in JSON): close_wait_leak, time_wait_pressure, tw_bucket_limit,\n"
		"slow_connects, connect_failures, handshake_failures, accept_queue_overflow,\n"
		"slow_accept, fin_wait2_stuck, unacked_fin, orphans, resets, lost_events.\n"
		"\n"
		"Thresholds (--threshold NAME=VALUE; durations as 30s or 500ms, % optional):\n"
		TD_DOC_THRESHOLDS(TH_HELP)
		"\n"
		"Exit status: 0, or 1 with --fail-on when a finding that severe exists (or on\n"
		"a failure); 2 for bad options.\n"
		"\n"
		"Examples:\n"
		"  tcpdwell doctor                       # 10 s, then the findings\n"
		"  tcpdwell doctor -d 30 -P 8080 -j      # port 8080 for 30 s, as JSON Lines\n"
		"  tcpdwell doctor --threshold close_wait_age=5s --fail-on warning\n",
	.headings = { "Output:", "Filters (applied in the kernel):", "Rules and help:" },
	.what = "doctor option",
	.hint = "tcpdwell doctor --help",
	.rows = td_doctor_rows,
	.checks = td_snap_checks,
};

const struct td_optcmd td_explain_cmd = {
	.name = "explain",
	.summary = "what a TCP state means and what to do when many\n"
		   "sockets are in it: tcpdwell explain [STATE]",
	.head = "Usage: tcpdwell explain [STATE]\n"
		"What STATE means, which side is in it and what it waits for, how long it\n"
		"usually lasts, what many or long ones mean, and the settings that govern it.\n"
		"Without STATE, the states of a connection as a diagram.\n"
		"\n",
	.tail = "\n"
		"Examples:\n"
		"  tcpdwell explain CLOSE_WAIT\n"
		"  tcpdwell explain time-wait\n",
	.headings = { "Output:", "Filters:", "Help:" },
	.what = "explain option",
	.hint = "tcpdwell explain --help",
	.rows = td_explain_rows,
	.checks = NULL,
};

/* The default command (tracing) first; the others by their word. */
const struct td_optcmd *const td_commands[] = { &td_trace_cmd, &td_snap_cmd, &td_doctor_cmd, &td_explain_cmd,
						NULL };
