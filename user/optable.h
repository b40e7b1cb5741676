/* Options declared once: a command is a table of rows, and getopt_long's
 * arrays, --help and the checks on values all come from that table. */
#ifndef TD_OPTABLE_H
#define TD_OPTABLE_H

#include <getopt.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#define TD_EXIT_USAGE 2

/* Where a row is listed in --help; each command names the headings. */
enum td_optsec { TD_SEC_OUTPUT, TD_SEC_FILTERS, TD_SEC_TUNING, TD_SEC_COUNT };

/* What --help and --version do: run once the whole line has parsed. */
enum td_optact { TD_ACT_NONE, TD_ACT_HELP, TD_ACT_VERSION };

struct td_optrow;

/* How an argument lands in the config. set returns 0, or -EINVAL/-ERANGE
 * and the engine prints "invalid NOUN 'ARG': EXPECT", or -EOVERFLOW for a
 * value above a limit of this system: "invalid NOUN 'ARG': ABOVE". */
struct td_opttype {
	int (*set)(void *cfg, const struct td_optrow *row, const char *arg);
	const char *noun;   /* unless the row names its own */
	const char *expect; /* "expected ..." */
	const char *above;  /* for -EOVERFLOW; NULL: expect */
	enum td_optact act; /* TD_ACT_NONE for every setter */
};

struct td_optrow {
	const char *name;      /* long name without "--"; NULL ends a table */
	char letter;           /* short option, or 0 */
	const char *arg;       /* argument name in --help; NULL: takes none */
	const char *help;      /* '\n' starts a line indented under the first */
	enum td_optsec section;
	const struct td_opttype *type;
	size_t off;            /* of the field type->set fills, in the config */
	long val;              /* a constant for the setter: flag value, family, port bit */
	const char *noun;      /* for the type's error message; NULL: the type's */
	int excl;              /* rows of one nonzero group exclude each other */
	const struct td_optrow *include; /* rows shared with another table */
};

/* A row that lists another table's rows in its place. */
#define TD_OPT_INCLUDE(rows) { .include = (rows) }
#define TD_OPT_END { .name = NULL }

/* A cross-option rule, checked after the whole line has parsed. */
struct td_optcheck {
	bool (*fails)(const void *cfg);
	const char *msg;
};

struct td_optcmd {
	const char *name;     /* the word that selects it ("snapshot"); NULL: the default */
	const char *summary;  /* its line in "Commands:" ('\n' as in a row's help) */
	const struct td_optcmd *const *commands; /* listed atop --help; NULL-ended */
	const char *head;     /* "Usage: ..." and what the command does, up to the options */
	const char *tail;     /* notes and EXAMPLES, after the options */
	const char *headings[TD_SEC_COUNT];
	const char *what;     /* "option", "snapshot option" */
	const char *hint;     /* where help is: "--help" */
	const struct td_optrow *rows;
	const struct td_optcheck *checks; /* ends with { NULL } */
};

#define TD_OPT_MAX 48

/* A table flattened (includes expanded) into what getopt_long takes. */
struct td_optset {
	const struct td_optrow *row[TD_OPT_MAX];
	int n;
	struct option longopts[TD_OPT_MAX + 1];
	char shortopts[2 + 2 * TD_OPT_MAX];
};

/* The typed setters every table may use. */
extern const struct td_opttype td_opt_flag;    /* bool field = val */
extern const struct td_opttype td_opt_value;   /* int field = val */
extern const struct td_opttype td_opt_help;
extern const struct td_opttype td_opt_version;

/* 0, or -E2BIG (too many rows) / -EINVAL (a name or letter twice). */
int td_opt_build(const struct td_optcmd *cmd, struct td_optset *set);

/* Runs getopt_long over argv with cmd's table into cfg (already holding
 * its defaults). Returns 0 to run, 1 when --help (the head, the rows under
 * the command's headings, the tail) or --version printed to out, or
 * TD_EXIT_USAGE after one "tcpdwell: ..." line on err. */
int td_opt_parse(const struct td_optcmd *cmd, void *cfg, int argc, char **argv, FILE *out, FILE *err);

#endif
