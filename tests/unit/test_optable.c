/* Unit tests of user/optable.c and the two tables in user/opts.c: getopt's
 * arrays and --help come from the rows, shared rows are one declaration,
 * and every bad command line is status 2 with one "tcpdwell: " line. */
#include <errno.h>
#include <criterion/criterion.h>
#include "test_util.h"
#include "opts.h"

static const struct td_optcmd *const cmds[] = { &td_trace_cmd, &td_snap_cmd };

static void build(const struct td_optcmd *cmd, struct td_optset *set)
{
	cr_assert_eq(td_opt_build(cmd, set), 0, "a table does not build");
}

/* "a b c" from a NULL-terminated list, for failure messages. */
static const char *joined(const char *const *args, char *buf, size_t len)
{
	buf[0] = '\0';
	for (; *args; args++)
		snprintf(buf + strlen(buf), len - strlen(buf), "%s%s", buf[0] ? " " : "", *args);
	return buf;
}

Test(optable, tables_build)
{
	struct td_optset set;

	build(&td_trace_cmd, &set);
	cr_expect_eq(set.n, 26);
	build(&td_snap_cmd, &set);
	cr_expect_eq(set.n, 14);
}

/* A row both commands list is the same object: declared once. -s is the
 * one name with a meaning of its own in each: transitions into or out of
 * the states when tracing, sockets in them in the snapshot. */
Test(optable, shared_rows_are_declared_once)
{
	static const char *const shared[] = { "json", "wide", "ipv4", "ipv6", "lport", "rport", "port",
					      "laddr", "raddr", "netns", "help" };
	struct td_optset t, s;
	size_t found = 0;

	build(&td_trace_cmd, &t);
	build(&td_snap_cmd, &s);
	for (int i = 0; i < s.n; i++)
		for (int j = 0; j < t.n; j++) {
			if (strcmp(s.row[i]->name, t.row[j]->name) || strcmp(s.row[i]->name, "state") == 0)
				continue;
			cr_expect_eq(s.row[i], t.row[j], "--%s is declared twice", s.row[i]->name);
			found++;
		}
	cr_expect_eq(found, N(shared));
	for (size_t k = 0; k < N(shared); k++) {
		bool in = false;

		for (int i = 0; i < s.n; i++)
			in |= strcmp(s.row[i]->name, shared[k]) == 0;
		cr_expect(in, "snapshot lacks --%s", shared[k]);
	}
}

/* The short string and the long options hold each row, and nothing else. */
Test(optable, getopt_arrays_come_from_the_rows)
{
	for (size_t c = 0; c < N(cmds); c++) {
		struct td_optset set;
		size_t want_len = 1;

		build(cmds[c], &set);
		cr_expect_eq(set.shortopts[0], ':');
		for (int i = 0; i < set.n; i++) {
			const struct td_optrow *r = set.row[i];
			const char *at = r->letter ? strchr(set.shortopts + 1, r->letter) : NULL;

			cr_expect_str_eq(set.longopts[i].name, r->name);
			cr_expect_eq(set.longopts[i].has_arg, r->arg ? required_argument : no_argument, "--%s", r->name);
			cr_expect_null(set.longopts[i].flag);
			if (!r->letter)
				continue;
			cr_expect_eq(set.longopts[i].val, r->letter, "--%s", r->name);
			cr_assert_not_null(at, "-%c missing from \"%s\"", r->letter, set.shortopts);
			cr_expect_eq(at[1] == ':', r->arg != NULL, "-%c: argument flag in \"%s\"", r->letter, set.shortopts);
			want_len += r->arg ? 2 : 1;
		}
		cr_expect_eq(strlen(set.shortopts), want_len, "\"%s\" holds more than the rows", set.shortopts);
		cr_expect_null(set.longopts[set.n].name, "long options not terminated");
	}
}

/* A value each row accepts, and what it needs beside it to pass the checks. */
static const struct { const char *name, *value, *with[3]; } samples[] = {
	{ "interval", "1", { NULL } }, { "duration", "2s", { NULL } }, { "cumulative", NULL, { "-i", "1" } },
	{ "prometheus-by", "lport", { "--prometheus", "9101" } }, { "prometheus", "9101", { NULL } },
	{ "lport", "80", { NULL } }, { "rport", "80-81", { NULL } }, { "port", "443", { NULL } },
	{ "pid", "42", { NULL } }, { "cgroup", "/sys/fs/cgroup", { NULL } }, { "laddr", "10.0.0.0/8", { NULL } },
	{ "raddr", "10.0.0.1", { NULL } }, { "state", "CLOSE_WAIT", { NULL } }, { "ringbuf-size", "64K", { NULL } },
	{ "older-than", "CLOSE_WAIT:30s", { NULL } }, { "tracer", "42", { NULL } }, { "netns", "self", { NULL } },
};

static void run_row(enum cmd cmd, const struct td_optrow *r, bool by_letter)
{
	const char *args[8] = { NULL };
	char opt[40], what[128];
	struct run res;
	size_t n = 0, k;

	for (k = 0; k < N(samples) && strcmp(samples[k].name, r->name); k++)
		;
	cr_assert(k < N(samples) || !r->arg, "no sample value for --%s", r->name);
	if (by_letter)
		snprintf(opt, sizeof(opt), "-%c", r->letter);
	else if (r->arg)
		snprintf(opt, sizeof(opt), "--%s=%s", r->name, samples[k].value);
	else
		snprintf(opt, sizeof(opt), "--%s", r->name);
	args[n++] = opt;
	if (by_letter && r->arg)
		args[n++] = samples[k].value;
	for (size_t w = 0; k < N(samples) && w < 3 && samples[k].with[w]; w++)
		args[n++] = samples[k].with[w];
	run_cmd(&res, cmd, args);
	joined(args, what, sizeof(what));
	cr_expect(res.rc == 0 || (res.rc == 1 && r->type->act), "%s: status %d, %s", what, res.rc, res.err.buf);
	cr_expect_str_empty(res.err.buf, "%s", what);
	run_free(&res);
}

/* Every row is accepted by its letter and by its long name. */
Test(optable, every_row_is_accepted)
{
	for (size_t c = 0; c < N(cmds); c++) {
		struct td_optset set;

		build(cmds[c], &set);
		for (int i = 0; i < set.n; i++) {
			if (set.row[i]->letter)
				run_row(c ? CMD_SNAP : CMD_TRACE, set.row[i], true);
			run_row(c ? CMD_SNAP : CMD_TRACE, set.row[i], false);
		}
	}
}

/* Every row is in --help: its spelling, argument and first help line, under
 * its section's heading, in table order, in at most 80 columns. */
Test(optable, help_lists_every_row)
{
	for (size_t c = 0; c < N(cmds); c++) {
		const struct td_optcmd *cmd = cmds[c];
		struct td_optset set;
		const char *prev = NULL;
		struct run r;
		char *copy, *lines[128];
		size_t nl;

		build(cmd, &set);
		run_cmd(&r, c ? CMD_SNAP : CMD_TRACE, ARGS("--help"));
		cr_assert_eq(r.rc, 1);
		cr_assert_str_empty(r.err.buf);
		/* The head first, or after "Commands:" for the command that lists them. */
		cr_expect(strstr(r.out.buf, cmd->head) == r.out.buf ||
			  (cmd->commands && strncmp(r.out.buf, "Commands:\n", 10) == 0 && strstr(r.out.buf, cmd->head)),
			  "head");
		cr_expect_str_eq(r.out.buf + r.out.len - strlen(cmd->tail), cmd->tail, "tail");
		for (int s = 0; s < TD_SEC_COUNT; s++) {
			for (int i = 0; i < set.n; i++) {
				const struct td_optrow *row = set.row[i];
				char spell[96], first[96];
				const char *at;

				if (row->section != (enum td_optsec)s)
					continue;
				snprintf(spell, sizeof(spell), "  %c%c%c --%s%s%s", row->letter ? '-' : ' ',
					 row->letter ? row->letter : ' ', row->letter ? ',' : ' ', row->name,
					 row->arg ? " " : "", row->arg ? row->arg : "");
				at = strstr(r.out.buf, spell);
				cr_assert_not_null(at, "'%s' not in --help", spell);
				cr_expect(at > prev, "'%s' out of order", spell);
				cr_expect(strchr(" \n", at[strlen(spell)]) != NULL, "'%s' runs on", spell);
				snprintf(first, sizeof(first), "%.*s", (int)strcspn(row->help, "\n"), row->help);
				cr_expect_not_null(strstr(at, first), "help of --%s", row->name);
				prev = at;
			}
		}
		nl = split_lines(r.out.buf, &copy, lines, N(lines));
		for (size_t i = 0; i < nl; i++)
			cr_expect_leq(strlen(lines[i]), 80, "line %zu is wider than 80: %s", i + 1, lines[i]);
		free(copy);
		cr_expect_not_null(strstr(r.out.buf, "\nExamples:\n"));
		run_free(&r);
	}
}

Test(optable, help_headings_in_section_order)
{
	struct run r;
	const char *o, *f, *t;

	run_args(&r, ARGS("-h"));
	o = strstr(r.out.buf, "\nOutput:\n");
	f = strstr(r.out.buf, "\nFilters (applied in the kernel):\n");
	t = strstr(r.out.buf, "\nTuning:\n");
	cr_assert(o && f && t && o < f && f < t, "%s", r.out.buf);
	cr_expect_not_null(strstr(t, "\nSECS accepts a number of seconds or a unit"));
	run_free(&r);
}

static void check_lines(enum cmd cmd, const char *const (*bad)[8], size_t n)
{
	for (size_t i = 0; i < n; i++) {
		char what[160];

		check_rejected_in(cmd, bad[i], joined(bad[i], what, sizeof(what)));
	}
}

Test(optable, bad_tracing_lines)
{
	static const char *const bad[][8] = {
		{ "-x" }, { "--bogus" }, { "--bogus=1" }, { "-eZ" }, { "-Ze" }, { "--json=yes" }, { "--events=1" },
		{ "--kernel-agg=on" }, { "--no-timers=1" }, { "--help=yes" }, { "--version=1" },
		{ "-V", "extra" }, { "-h", "extra" }, { "--help", "x" }, { "foo" }, { "-e", "foo" }, { "-" },
		{ "--", "x" }, { "-T", "--no-timers" }, { "--no-timers", "-T" }, { "--timers", "--no-timers" },
		{ "-4", "-6" }, { "-6", "--ipv4" }, { "-46" }, { "-p" }, { "--pid" }, { "-ei" }, { "--interval" },
		{ "--prometheus" }, { "--prometheus-by" }, { "-i", "0" }, { "-d", "5x" }, { "-L", "0" },
		{ "-D", "65536" }, { "-P", "80," }, { "-p", "0" }, { "-c", "rel" }, { "-A", "10.0.0.0/40" },
		{ "-R", "nope" }, { "-s", "NOPE" }, { "-r", "3K" }, { "--prometheus", "70000" },
		{ "--prometheus-by", "port" }, { "--prometheus-by", "lport" },
		{ "--prometheus", "9101", "--prometheus-by", "lport", "--kernel-agg" }, { "--kernel-agg", "-e" },
		{ "-C" }, { "-4", "-A", "::1" }, { "-A", "10.0.0.1", "-R", "::1" }, { "--p", "1" },
		{ "-h", "-x" }, { "-V", "-4", "-6" }, { "-t", "1" }, { "--older-than", "CLOSE_WAIT:1s" },
		/* issue 12: one number grammar for every option (decimal digits, a
		 * fraction only in durations, a unit), pids below pid_max, and
		 * states only the timer hooks see */
		{ "-d", "0x10" }, { "-d", "0x1p3" }, { "-d", "1e3" }, { "-i", "1e3" }, { "-i", "0x10" },
		{ "-d", "5." }, { "-d", "1.5.5" }, { "-d", "1.5e3s" }, { "-d", "0X10" }, { "-d", "+1" },
		{ "-i", "inf" }, { "--duration", "0x10" }, { "-d", "1", "-d", "0x10" }, { "-p", "0x10" },
		{ "-p", "1e3" }, { "-p", "4194304" }, { "-r", "0x1000" }, { "-r", "1e6" }, { "-r", "4.5K" },
		{ "-L", "0x50" }, { "-P", "1e3" }, { "-D", "80-0x60" }, { "-A", "10.0.0.0/0x8" },
		{ "--prometheus", "0x10" }, { "--prometheus", "127.0.0.1:1e3" }, { "--prometheus-by", "lport:0x10" },
		{ "--prometheus-by", "lport:1e1" }, { "--prometheus-by", "lport:1.5" }, { "-s", "TIME_WAIT" },
		{ "-s", "NEW_SYN_RECV" }, { "-s", "time-wait,new_syn_recv" }, { "-s", "TIME_WAIT", "--no-timers" },
		{ "-c", "" },
	};

	cr_assert_geq(N(bad), 85);
	check_lines(CMD_TRACE, bad, N(bad));
}

Test(optable, bad_snapshot_lines)
{
	static const char *const bad[][8] = {
		{ "-x" }, { "--bogus" }, { "-e" }, { "-i", "1" }, { "--kernel-agg" }, { "-p", "1" }, { "-V" },
		{ "-4", "-6" }, { "--ipv6", "-4" }, { "--json=1" }, { "-t" }, { "-t", "0" }, { "--tracer", "abc" },
		{ "--older-than" }, { "--older-than", "CLOSE_WAIT" }, { "--older-than", "NOPE:1s" },
		{ "--older-than", "CLOSE_WAIT:0" }, { "--older-than", ":1s" }, { "-L", "0" }, { "-A", "x" },
		{ "foo" }, { "-h", "x" }, { "-4", "-R", "::1" },
		/* issue 12 */
		{ "-t", "0x10" }, { "-t", "1e3" }, { "-t", "4194304" }, { "--older-than", "CLOSE_WAIT:0x10" },
		{ "--older-than", "CLOSE_WAIT:1e3" }, { "--older-than", "CLOSE_WAIT:0x1p3" },
		{ "--older-than", "CLOSE_WAIT:5." }, { "-P", "0x50" }, { "-L", "1e3" }, { "-A", "::1/0x10" },
		{ "-T" }, { "-d", "1" }, { "--prometheus", "9101" }, { "-s", "NOPE" }, { "-s" },
		{ "-s", "TIME_WAIT", "--older-than", "CLOSE_WAIT:1s" },
	};

	/* With the tracing lines, at least 100 bad command lines. */
	cr_assert_geq(N(bad), 15 + 100 - 85);
	check_lines(CMD_SNAP, bad, N(bad));
}

/* The error lines the table's engine writes, word for word. */
Test(optable, engine_messages)
{
	static const struct { enum cmd cmd; const char *args[4]; const char *msg; } cases[] = {
		{ CMD_TRACE, { "-T", "--no-timers" }, "-T and --no-timers exclude each other" },
		{ CMD_TRACE, { "--no-timers", "--timers" }, "-T and --no-timers exclude each other" },
		{ CMD_TRACE, { "--json=yes" }, "option '--json' takes no argument; see --help" },
		{ CMD_TRACE, { "--js=yes" }, "option '--json' takes no argument; see --help" },
		{ CMD_TRACE, { "-V", "extra" }, "unexpected argument 'extra'; see --help" },
		{ CMD_TRACE, { "--pid" }, "option '--pid' needs an argument; see --help" },
		{ CMD_TRACE, { "--prometheus" }, "option '--prometheus' needs an argument; see --help" },
		{ CMD_TRACE, { "--bogus=1" }, "unknown option '--bogus'; see --help" },
		{ CMD_TRACE, { "--p", "1" }, "ambiguous option '--p': the start of several; see --help" },
		{ CMD_SNAP, { "-4", "-6" }, "-4 and -6 exclude each other" },
		{ CMD_SNAP, { "--json=1" }, "snapshot option '--json' takes no argument; see tcpdwell snapshot --help" },
		{ CMD_SNAP, { "-t" }, "snapshot option '-t' needs an argument; see tcpdwell snapshot --help" },
		{ CMD_SNAP, { "-x" }, "unknown snapshot option '-x'; see tcpdwell snapshot --help" },
		{ CMD_SNAP, { "-t", "0" }, "invalid tracer pid '0': expected a process id from 1" },
		{ CMD_SNAP, { "--older-than", "X" }, "invalid --older-than 'X': expected STATE:DURATION such as "
						      "CLOSE_WAIT:30s" },
		{ CMD_TRACE, { "-d", "0x10" }, "invalid duration '0x10': expected a duration from 1ms, such as 10, "
					       "1.5s or 500ms" },
		{ CMD_TRACE, { "-p", "4194304" }, "invalid pid '4194304': above the kernel's pid_max "
						  "(/proc/sys/kernel/pid_max): no process has it" },
		{ CMD_TRACE, { "-s", "TIME_WAIT" }, "-s TIME_WAIT and NEW_SYN_RECV need -T/--timers: without the "
						    "timer hooks no transition enters or leaves them" },
	};

	for (size_t i = 0; i < N(cases); i++) {
		char what[96], want[160];
		struct run r;

		expect_usage_error_in(&r, cases[i].cmd, cases[i].args, joined(cases[i].args, what, sizeof(what)));
		snprintf(want, sizeof(want), "tcpdwell: %s\n", cases[i].msg);
		cr_expect_str_eq(r.err.buf, want, "%s", what);
		run_free(&r);
	}
}

/* A state list of timer-only states needs -T; one with any other state
 * runs without it (those other states are seen). */
Test(optable, timer_states_need_timers)
{
	const char *const *ok[] = {
		ARGS("-s", "TIME_WAIT", "-T"), ARGS("-s", "NEW_SYN_RECV", "--timers"),
		ARGS("-s", "TIME_WAIT,CLOSE_WAIT"), ARGS("-s", "ESTABLISHED"),
	};

	for (size_t i = 0; i < N(ok); i++) {
		struct run r;

		run_args(&r, ok[i]);
		cr_expect_eq(r.rc, 0, "%s %s: %s", ok[i][0], ok[i][1], r.err.buf);
		run_free(&r);
	}
}

Test(optable, timers_one_way_each)
{
	struct run r;

	run_args(&r, ARGS("-T", "--timers"));
	cr_assert_eq(r.rc, 0, "%s", r.err.buf);
	cr_expect(r.cfg->timers);
	run_free(&r);
	run_args(&r, ARGS("--no-timers", "--no-timers"));
	cr_assert_eq(r.rc, 0, "%s", r.err.buf);
	cr_expect_not(r.cfg->timers);
	run_free(&r);
}

/* A long option may be cut to a unique start, as getopt_long allows. */
Test(optable, unique_prefix)
{
	struct run r;

	run_args(&r, ARGS("--ev", "--kernel", "--ti"));
	cr_expect_eq(r.rc, TD_EXIT_USAGE, "-e with --kernel-agg");
	run_free(&r);
	run_args(&r, ARGS("--ev", "--ti", "--ring=16K"));
	cr_assert_eq(r.rc, 0, "%s", r.err.buf);
	cr_expect(r.cfg->events && r.cfg->timers);
	cr_expect_eq(r.cfg->ringbuf_bytes, 16384);
	run_free(&r);
}

Test(optable, snapshot_options)
{
	struct run r;

	run_cmd(&r, CMD_SNAP, (const char *const[]){ NULL });
	cr_assert_eq(r.rc, 0, "%s", r.err.buf);
	cr_expect(r.snap->older_state == 0 && r.snap->tracer == 0 && r.cfg->family == 0 && !r.cfg->json);
	run_free(&r);

	run_cmd(&r, CMD_SNAP, ARGS("--older-than", "close-wait:30s", "-t", "42", "-j", "-w", "-6", "-P", "443",
				   "-R", "::1"));
	cr_assert_eq(r.rc, 0, "%s", r.err.buf);
	cr_expect_eq(r.snap->older_state, TD_CLOSE_WAIT);
	cr_expect_eq(r.snap->older_ns, 30000000000ull);
	cr_expect_eq(r.snap->tracer, 42);
	cr_expect(r.cfg->json && r.cfg->wide && r.cfg->filter_either);
	cr_expect_eq(r.cfg->family, 6);
	cr_expect_eq(r.cfg->port_filter[443], TD_PORT_EITHER);
	cr_expect_eq(r.cfg->raddr.family, 6);
	run_free(&r);

	run_cmd(&r, CMD_SNAP, ARGS("-h"));
	cr_expect_eq(r.rc, 1);
	cr_expect_eq(strncmp(r.out.buf, "Usage: tcpdwell snapshot [OPTIONS]\n", 35), 0, "%s", r.out.buf);
	run_free(&r);
}

/* ---- the engine on tables of the test's own ---- */

struct toy {
	struct td_config cfg;
	bool a, b;
};

static const struct td_optrow toy_shared[] = {
	{ .name = "alpha", .letter = 'a', .help = "a", .type = &td_opt_flag, .off = offsetof(struct toy, a), .val = 1 },
	TD_OPT_END,
};

Test(optable, engine_refuses_broken_tables)
{
	const struct td_optrow twice_letter[] = {
		TD_OPT_INCLUDE(toy_shared),
		{ .name = "beta", .letter = 'a', .help = "b", .type = &td_opt_flag, .off = offsetof(struct toy, b) },
		TD_OPT_END,
	};
	const struct td_optrow twice_name[] = { TD_OPT_INCLUDE(toy_shared), TD_OPT_INCLUDE(toy_shared), TD_OPT_END };
	const struct td_optrow bad_letter[] = {
		{ .name = "colon", .letter = ':', .help = "c", .type = &td_opt_flag }, TD_OPT_END,
	};
	struct td_optrow many[TD_OPT_MAX + 2];
	char names[TD_OPT_MAX + 1][8];
	struct td_optcmd cmd = { .rows = toy_shared };
	struct td_optset set;

	cr_expect_eq(td_opt_build(&cmd, &set), 0);
	cr_expect_str_eq(set.shortopts, ":a");
	cmd.rows = twice_letter;
	cr_expect_eq(td_opt_build(&cmd, &set), -EINVAL);
	cmd.rows = twice_name;
	cr_expect_eq(td_opt_build(&cmd, &set), -EINVAL);
	cmd.rows = bad_letter;
	cr_expect_eq(td_opt_build(&cmd, &set), -EINVAL);
	memset(many, 0, sizeof(many));
	for (int i = 0; i <= TD_OPT_MAX; i++) {
		snprintf(names[i], sizeof(names[i]), "o%d", i);
		many[i] = (struct td_optrow){ .name = names[i], .help = "x", .type = &td_opt_flag };
	}
	cmd.rows = many;
	cr_expect_eq(td_opt_build(&cmd, &set), -E2BIG);
}
