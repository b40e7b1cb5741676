/* The option rows of `tcpdwell doctor` and `tcpdwell explain` (the engine
 * is user/optable.c; the commands' help text is in user/commands.c). The
 * filters are the rows the other commands share (user/opts.c). */
#include <errno.h>
#include <stddef.h>
#include <string.h>
#include "doctor.h"
#include "kfacts.h"
#include "opts.h"

#define DEFAULT_DURATION_NS 10000000000ull

_Static_assert(offsetof(struct doctor_opts, cfg) == 0, "struct doctor_opts must start with its td_config");

static int set_threshold(void *cfg, const struct td_optrow *row, const char *arg)
{
	(void)row;
	return td_doc_threshold_parse(&((struct doctor_opts *)cfg)->th, arg);
}

static int set_fail_on(void *cfg, const struct td_optrow *row, const char *arg)
{
	enum td_sev s;

	(void)row;
	if (td_sev_parse(arg, &s))
		return -EINVAL;
	((struct doctor_opts *)cfg)->fail_on = (int)s;
	return 0;
}

static int set_duration(void *cfg, const struct td_optrow *row, const char *arg)
{
	(void)row;
	return td_parse_duration(arg, &((struct doctor_opts *)cfg)->cfg.duration_ns);
}

static const struct td_opttype
	threshold = { .set = set_threshold, .noun = "--threshold",
		      .expect = "expected NAME=VALUE with a NAME listed in tcpdwell doctor --help, such as "
				"close_wait_age=5s or time_wait_ports=30%" },
	fail_on = { .set = set_fail_on, .noun = "--fail-on", .expect = "expected warning or critical" },
	duration = { .set = set_duration, .noun = "duration",
		     .expect = "expected a duration from 1ms, such as 10, 1.5s or 500ms" };

#define ROW(sec, c, lname, argname, settype, field, v, text) \
	{ .section = TD_SEC_##sec, .letter = (c), .name = (lname), .arg = (argname), .type = &(settype), \
	  .off = (field), .val = (v), .help = (text) }

const struct td_optrow td_doctor_rows[] = {
	ROW(OUTPUT, 'd', "duration", "SECS", duration, 0, 0, "trace for SECS before the findings (default 10)"),
	ROW(OUTPUT, 'j', "json", NULL, td_opt_flag, offsetof(struct td_config, json), 1,
	    "JSON Lines: one finding per line, then a summary"),
	ROW(OUTPUT, 0, "no-color", NULL, td_opt_flag, offsetof(struct doctor_opts, no_color), 1,
	    "no colours, even on a terminal"),
	ROW(OUTPUT, 0, "fail-on", "warning|critical", fail_on, 0, 0,
	    "exit 1 when a finding this severe or worse exists"),
	ROW(TUNING, 0, "threshold", "NAME=VALUE", threshold, 0, 0, "change a rule's threshold (below); repeatable"),
	TD_OPT_INCLUDE(net_rows),
	TD_OPT_INCLUDE(addr_rows),
	TD_OPT_INCLUDE(netns_rows),
	TD_OPT_INCLUDE(help_rows),
	TD_OPT_END,
};

const struct td_optrow td_explain_rows[] = {
	TD_OPT_INCLUDE(help_rows),
	TD_OPT_END,
};

int td_parse_doctor_args(struct doctor_opts *o, int argc, char **argv, FILE *out, FILE *err)
{
	memset(o, 0, sizeof(*o));
	o->cfg.pid_max = td_pid_max();
	o->cfg.duration_ns = DEFAULT_DURATION_NS;
	td_doc_thresholds_default(&o->th);
	return td_opt_parse(&td_doctor_cmd, o, argc, argv, out, err);
}
