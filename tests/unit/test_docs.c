/* The man page (doc/tcpdwell.8), the bash completion and --help against
 * the option tables: every command and every row of each is documented, and
 * the completion's state names are those of user/states.c. */
#include <criterion/criterion.h>
#include "test_util.h"
#include "states.h"

#define MAN_PAGE "doc/tcpdwell.8"
#define COMPLETION "scripts/tcpdwell.bash-completion"

/* A whole file (the tests run from the top of the tree), NUL-ended. */
static char *slurp(const char *path)
{
	FILE *f = fopen(path, "r");
	char *buf;
	long n;

	cr_assert_not_null(f, "%s: not found (run the tests from the top of the tree)", path);
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	rewind(f);
	buf = calloc(1, (size_t)n + 1);
	cr_assert_eq(fread(buf, 1, (size_t)n, f), (size_t)n);
	fclose(f);
	return buf;
}

/* "--kernel-agg" as roff writes it: "\-\-kernel\-agg". */
static void roff_dashes(const char *s, char *buf, size_t len)
{
	size_t n = 0;

	for (; *s && n + 3 < len; s++) {
		if (*s == '-')
			buf[n++] = '\\';
		buf[n++] = *s;
	}
	buf[n] = '\0';
}

/* Every row of cmd named (long name, and letter if it has one) in the man
 * page between the section heading from and the next ".SH". */
static void expect_rows_in(const struct td_optcmd *cmd, const char *page, const char *from)
{
	const char *start = strstr(page, from), *end;
	struct td_optset set;

	cr_assert_not_null(start, "%s lacks '%s'", MAN_PAGE, from);
	end = strstr(start + 1, "\n.SH ");
	cr_assert_eq(td_opt_build(cmd, &set), 0);
	for (int i = 0; i < set.n; i++) {
		char want[64], roff[128];

		snprintf(want, sizeof(want), "--%s", set.row[i]->name);
		roff_dashes(want, roff, sizeof(roff));
		const char *at = strstr(start, roff);
		cr_expect(at && at < end, "%s: %s lacks %s", MAN_PAGE, from, want);
		if (!set.row[i]->letter)
			continue;
		snprintf(roff, sizeof(roff), "\\-%c ", set.row[i]->letter);
		at = strstr(start, roff);
		cr_expect(at && at < end, "%s: %s lacks -%c", MAN_PAGE, from, set.row[i]->letter);
	}
}

Test(docs, man_page_has_every_option_of_both_commands)
{
	char *page = slurp(MAN_PAGE);

	expect_rows_in(&td_trace_cmd, page, "\n.SH OPTIONS\n");
	expect_rows_in(&td_snap_cmd, page, "\n.SH SNAPSHOT OPTIONS\n");
	expect_rows_in(&td_doctor_cmd, page, "\n.SH DOCTOR OPTIONS\n");
	free(page);
}

Test(docs, man_page_has_every_command_and_section)
{
	static const char *const sections[] = { "NAME", "SYNOPSIS", "DESCRIPTION", "OPTIONS", "SNAPSHOT OPTIONS",
						"EXIT STATUS", "FILES", "EXAMPLES", "SEE ALSO" };
	char *page = slurp(MAN_PAGE), want[64];

	for (const struct td_optcmd *const *c = td_commands; *c; c++) {
		if ((*c)->name)
			snprintf(want, sizeof(want), ".SY \"tcpdwell %s\"\n", (*c)->name);
		else
			snprintf(want, sizeof(want), ".SY tcpdwell\n");
		cr_expect_not_null(strstr(page, want), "%s: no synopsis of '%s'", MAN_PAGE, want);
	}
	for (size_t i = 0; i < N(sections); i++) {
		snprintf(want, sizeof(want), "\n.SH %s\n", sections[i]);
		cr_expect_not_null(strstr(page, want), "%s: no section %s", MAN_PAGE, sections[i]);
	}
	free(page);
}

/* One example per use: slow connects, TIME_WAIT, CLOSE_WAIT leaks, the exporter. */
Test(docs, man_page_has_an_example_per_use)
{
	static const char *const uses[] = { "tcpdwell \\-D 443", "\\-T \\-s TIME_WAIT",
					    "snapshot \\-\\-older\\-than CLOSE_WAIT", "tcpdwell \\-\\-prometheus " };
	char *page = slurp(MAN_PAGE), *ex = strstr(page, "\n.SH EXAMPLES\n");

	cr_assert_not_null(ex);
	for (size_t i = 0; i < N(uses); i++)
		cr_expect_not_null(strstr(ex, uses[i]), "no example with '%s'", uses[i]);
	free(page);
}

/* The completion reads the options from --help; the state names it lists. */
Test(docs, completion_lists_every_state)
{
	char *script = slurp(COMPLETION), *line = strstr(script, "\n_tcpdwell_states=\"");

	cr_assert_not_null(line, "%s: no _tcpdwell_states", COMPLETION);
	*strchr(line + 1, '\n') = '\0';
	for (int s = 1; td_state_name(s); s++) {
		char want[40];

		snprintf(want, sizeof(want), "%s%s ", s == 1 ? "\"" : " ", td_state_name(s));
		if (!td_state_name(s + 1))
			snprintf(want, sizeof(want), " %s\"", td_state_name(s));
		cr_expect_not_null(strstr(line, want), "%s lacks %s", COMPLETION, td_state_name(s));
	}
	free(script);
}

Test(docs, help_lists_the_commands)
{
	struct run r;

	run_args(&r, ARGS("--help"));
	cr_assert_eq(r.rc, 1);
	for (const struct td_optcmd *const *c = td_commands; *c; c++) {
		char want[64];

		snprintf(want, sizeof(want), "\n  tcpdwell %s%s[OPTIONS]", (*c)->name ? (*c)->name : "",
			 (*c)->name ? " " : "");
		cr_expect_not_null(strstr(r.out.buf, want), "--help lacks '%s': %s", want, r.out.buf);
	}
	run_free(&r);
}
