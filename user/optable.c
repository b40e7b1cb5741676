/* The option engine: a command's table flattened into getopt_long's arrays,
 * the parse loop with its one-line errors, and --help laid out from rows. */
#include <ctype.h>
#include <errno.h>
#include <string.h>
#include "diag.h"
#include "optable.h"

#define HELP_COL 25     /* --help: where the help text of a row starts */
#define LONG_BASE 0x100 /* getopt_long's value for row i without a letter: LONG_BASE + i */

static int set_flag(void *cfg, const struct td_optrow *row, const char *arg)
{
	(void)arg;
	*(bool *)((char *)cfg + row->off) = row->val != 0;
	return 0;
}

static int set_value(void *cfg, const struct td_optrow *row, const char *arg)
{
	(void)arg;
	*(int *)((char *)cfg + row->off) = (int)row->val;
	return 0;
}

const struct td_opttype td_opt_flag = { .set = set_flag };
const struct td_opttype td_opt_value = { .set = set_value };
const struct td_opttype td_opt_help = { .act = TD_ACT_HELP };
const struct td_opttype td_opt_version = { .act = TD_ACT_VERSION };

/* Appends rows, and the rows they include, refusing a name or a letter
 * that is already there: getopt_long would silently take the first. */
static int add_rows(struct td_optset *set, const struct td_optrow *rows)
{
	for (; rows->name || rows->include; rows++) {
		int err;

		if (rows->include) {
			err = add_rows(set, rows->include);
			if (err)
				return err;
			continue;
		}
		if (set->n == TD_OPT_MAX)
			return -E2BIG;
		if (!rows->type || (rows->letter && !isalnum((unsigned char)rows->letter)))
			return -EINVAL;
		for (int i = 0; i < set->n; i++)
			if (strcmp(set->row[i]->name, rows->name) == 0 ||
			    (rows->letter && set->row[i]->letter == rows->letter))
				return -EINVAL;
		set->row[set->n++] = rows;
	}
	return 0;
}

int td_opt_build(const struct td_optcmd *cmd, struct td_optset *set)
{
	char *s = set->shortopts;
	int err;

	memset(set, 0, sizeof(*set));
	err = add_rows(set, cmd->rows);
	if (err)
		return err;
	/* A leading ':' makes getopt_long tell a missing argument (':') from
	 * an unknown option ('?'). */
	*s++ = ':';
	for (int i = 0; i < set->n; i++) {
		const struct td_optrow *r = set->row[i];

		set->longopts[i].name = r->name;
		set->longopts[i].has_arg = r->arg ? required_argument : no_argument;
		set->longopts[i].val = r->letter ? r->letter : LONG_BASE + i;
		if (r->letter) {
			*s++ = r->letter;
			if (r->arg)
				*s++ = ':';
		}
	}
	*s = '\0';
	return 0;
}

/* The row that getopt_long's value v stands for, or -1. */
static int row_of(const struct td_optset *set, int v)
{
	if (v >= LONG_BASE)
		return v - LONG_BASE < set->n ? v - LONG_BASE : -1;
	for (int i = 0; v > 0 && i < set->n; i++)
		if (set->row[i]->letter == v)
			return i;
	return -1;
}

/* How many long names start with the len bytes of word ("--" skipped):
 * getopt_long takes a unique prefix and refuses one of several. */
static int prefix_matches(const struct td_optset *set, const char *word, size_t len)
{
	int n = 0;

	for (int i = 0; len > 2 && i < set->n; i++)
		n += strncmp(set->row[i]->name, word + 2, len - 2) == 0;
	return n;
}

/* getopt_long's ':' (argument missing) and '?' (anything else wrong). It
 * leaves optopt at the option's value when it knows the option; a known
 * option is '?' only when given "--name=ARG" without taking one. */
static int bad_option(const struct td_optcmd *cmd, const struct td_optset *set, int opt, char **argv, FILE *err)
{
	const char *word = argv[optind - 1];
	int len = (int)strcspn(word, "="), i = row_of(set, optopt);

	if (opt == ':' && i >= 0 && strncmp(word, "--", 2) == 0)
		td_errf(err, "%s '--%s' needs an argument; see %s", cmd->what, set->row[i]->name, cmd->hint);
	else if (opt == ':')
		td_errf(err, "%s '-%c' needs an argument; see %s", cmd->what, optopt, cmd->hint);
	else if (i >= 0)
		td_errf(err, "%s '--%s' takes no argument; see %s", cmd->what, set->row[i]->name, cmd->hint);
	else if (optopt)
		td_errf(err, "unknown %s '-%c'; see %s", cmd->what, optopt, cmd->hint);
	else if (strncmp(word, "--", 2) == 0 && prefix_matches(set, word, (size_t)len) > 1)
		td_errf(err, "ambiguous %s '%.*s': the start of several; see %s", cmd->what, len, word, cmd->hint);
	else
		td_errf(err, "unknown %s '%.*s'; see %s", cmd->what, len, word, cmd->hint);
	return TD_EXIT_USAGE;
}

/* "-4" for a row with a letter, "--no-timers" for one without. */
static const char *spelling(const struct td_optrow *r, char *buf, size_t len)
{
	if (r->letter)
		snprintf(buf, len, "-%c", r->letter);
	else
		snprintf(buf, len, "--%s", r->name);
	return buf;
}

/* Row i of an exclusion group when another row of that group was seen
 * (the same row twice is fine): named in table order. */
static int excluded(const struct td_optset *set, const bool *seen, int i, FILE *err)
{
	const struct td_optrow *r = set->row[i];
	char a[40], b[40];

	for (int j = 0; r->excl && j < set->n; j++) {
		if (j == i || !seen[j] || set->row[j]->excl != r->excl)
			continue;
		td_errf(err, "%s and %s exclude each other", spelling(set->row[j < i ? j : i], a, sizeof(a)),
			spelling(set->row[j < i ? i : j], b, sizeof(b)));
		return TD_EXIT_USAGE;
	}
	return 0;
}

static int apply(const struct td_optrow *r, void *cfg, const char *arg, FILE *err)
{
	int e = r->type->set(cfg, r, arg);

	if (e == 0)
		return 0;
	td_errf(err, "invalid %s '%s': %s", r->noun ? r->noun : r->type->noun, arg,
		e == -EOVERFLOW && r->type->above ? r->type->above : r->type->expect);
	return TD_EXIT_USAGE;
}

/* "  LEFT                   TEXT": a left part too wide for the help
 * column gets a line of its own, and text lines after the first ('\n'
 * ends each) are indented to that column. */
static void print_item(FILE *out, const char *left, int n, const char *h)
{
	if (n < HELP_COL - 1)
		fprintf(out, "%-*s", HELP_COL, left);
	else
		fprintf(out, "%s\n%*s", left, HELP_COL, "");
	for (;;) {
		size_t len = strcspn(h, "\n");

		fprintf(out, "%.*s\n", (int)len, h);
		if (!h[len])
			break;
		h += len + 1;
		fprintf(out, "%*s", HELP_COL, "");
	}
}

/* "  -e, --events           print ..." */
static void print_row(FILE *out, const struct td_optrow *r)
{
	char letter[4] = "", left[96];
	int n;

	if (r->letter)
		snprintf(letter, sizeof(letter), "-%c,", r->letter);
	n = snprintf(left, sizeof(left), "  %-3s --%s%s%s", letter, r->name, r->arg ? " " : "", r->arg ? r->arg : "");
	print_item(out, left, n, r->help);
}

/* "Commands:", one item per command: "  tcpdwell snapshot [OPTIONS]" and
 * its summary. */
static void print_commands(FILE *out, const struct td_optcmd *const *cmds)
{
	fputs("Commands:\n", out);
	for (; *cmds; cmds++) {
		const char *name = (*cmds)->name;
		char left[64];
		int n = snprintf(left, sizeof(left), "  tcpdwell %s%s[OPTIONS]", name ? name : "", name ? " " : "");

		print_item(out, left, n, (*cmds)->summary);
	}
	fputs("\n", out);
}

static void usage(const struct td_optcmd *cmd, const struct td_optset *set, FILE *out)
{
	if (cmd->commands)
		print_commands(out, cmd->commands);
	fputs(cmd->head, out);
	for (int s = 0; s < TD_SEC_COUNT; s++) {
		bool headed = false;

		for (int i = 0; i < set->n; i++) {
			if (set->row[i]->section != (enum td_optsec)s)
				continue;
			if (!headed)
				fprintf(out, "%s\n", cmd->headings[s]);
			headed = true;
			print_row(out, set->row[i]);
		}
	}
	fputs(cmd->tail, out);
}

/* After the loop: positional arguments, then --help/--version (so "-V x"
 * is an error like any stray argument), then the cross-option checks. */
static int finish(const struct td_optcmd *cmd, const struct td_optset *set, enum td_optact act, void *cfg,
		  int argc, char **argv, FILE *out, FILE *err)
{
	if (optind < argc) {
		td_errf(err, "unexpected argument '%s'; see %s", argv[optind], cmd->hint);
		return TD_EXIT_USAGE;
	}
	if (act == TD_ACT_HELP) {
		usage(cmd, set, out);
		return 1;
	}
	if (act == TD_ACT_VERSION) {
		fprintf(out, "tcpdwell %s\n", TD_VERSION);
		return 1;
	}
	for (const struct td_optcheck *c = cmd->checks; c && c->fails; c++) {
		if (c->fails(cfg)) {
			td_errf(err, "%s", c->msg);
			return TD_EXIT_USAGE;
		}
	}
	return 0;
}

int td_opt_parse(const struct td_optcmd *cmd, void *cfg, int argc, char **argv, FILE *out, FILE *err)
{
	enum td_optact act = TD_ACT_NONE;
	bool seen[TD_OPT_MAX] = { false };
	struct td_optset set;
	int opt;

	if (td_opt_build(cmd, &set)) {
		td_errf(err, "the option table of this build is inconsistent");
		return TD_EXIT_USAGE;
	}
	/* 0, not 1: glibc and musl then also drop their pointer into the
	 * previous argv (a cluster like -hv left half-read), so a second call
	 * never reads the old, possibly freed, strings. */
	optind = 0;
	opterr = 0;
	while ((opt = getopt_long(argc, argv, set.shortopts, set.longopts, NULL)) != -1) {
		int i = opt == '?' || opt == ':' ? -1 : row_of(&set, opt);
		const struct td_optrow *r;

		if (i < 0)
			return bad_option(cmd, &set, opt, argv, err);
		r = set.row[i];
		if (excluded(&set, seen, i, err))
			return TD_EXIT_USAGE;
		seen[i] = true;
		if (r->type->act) {
			if (!act)
				act = r->type->act;
		} else if (apply(r, cfg, optarg, err)) {
			return TD_EXIT_USAGE;
		}
	}
	return finish(cmd, &set, act, cfg, argc, argv, out, err);
}
