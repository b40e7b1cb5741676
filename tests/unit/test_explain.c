/* Unit tests of user/explain.c: every state has its texts, the words are
 * the ones a netstat explainer gives, and the command's output. */
#include <criterion/criterion.h>
#include "test_util.h"
#include "explain.h"
#include "states.h"

Test(explain, every_state_has_every_section)
{
	for (int s = 1; s < TD_MAX_STATES; s++) {
		const struct td_explain *e = td_explain_of(s);

		cr_assert_not_null(e, "%s has no explanation", td_state_name(s));
		cr_expect_eq(e->state, s);
		cr_expect(e->meaning && *e->meaning && e->waiting && *e->waiting && e->duration && *e->duration &&
			  e->many && *e->many && e->settings && *e->settings, "%s lacks a section", td_state_name(s));
	}
	cr_expect_null(td_explain_of(0));
	cr_expect_null(td_explain_of(TD_MAX_STATES));
}

/* What a reader comes for: the cause and remedy of the usual suspects. */
Test(explain, close_wait_and_time_wait_say_cause_and_remedy)
{
	const struct td_explain *cw = td_explain_of(TD_CLOSE_WAIT), *tw = td_explain_of(TD_TIME_WAIT);

	cr_expect_not_null(strstr(cw->waiting, "close()"));
	cr_expect_not_null(strstr(cw->many, "leak"));
	cr_expect_not_null(strstr(cw->many, "child process"));
	cr_expect_not_null(strstr(tw->duration, "60 s"));
	cr_expect_not_null(strstr(tw->many, "ephemeral ports"));
	cr_expect_not_null(strstr(tw->settings, "net.ipv4.tcp_tw_reuse"));
	cr_expect_not_null(strstr(tw->settings, "net.ipv4.ip_local_port_range"));
	cr_expect_not_null(strstr(td_explain_of(TD_FIN_WAIT2)->settings, "tcp_fin_timeout"));
	cr_expect_not_null(strstr(td_explain_of(TD_LISTEN)->settings, "net.core.somaxconn"));
	cr_expect_not_null(strstr(td_explain_of(TD_SYN_SENT)->settings, "tcp_syn_retries"));
}

Test(explain, render_has_the_headings_and_wraps)
{
	struct memout m;
	const char *out;
	char *copy, *lines[64];
	size_t n;

	memout_open(&m);
	td_explain_render(m.f, td_explain_of(TD_CLOSE_WAIT));
	out = memout_close(&m);
	cr_expect_eq(strncmp(out, "CLOSE_WAIT\n", 11), 0, "%s", out);
	cr_expect_not_null(strstr(out, "\nWho waits for what\n"));
	cr_expect_not_null(strstr(out, "\nUsual duration\n"));
	cr_expect_not_null(strstr(out, "\nMany of them, or long ones\n"));
	cr_expect_not_null(strstr(out, "\nSettings\n"));
	n = split_lines(out, &copy, lines, N(lines));
	for (size_t i = 0; i < n; i++)
		cr_expect_leq(strlen(lines[i]), 78, "too wide: '%s'", lines[i]);
	free(copy);
	memout_free(&m);
}

Test(explain, diagram_names_the_states_of_a_connection)
{
	static const int states[] = { TD_SYN_SENT,  TD_SYN_RECV,   TD_ESTABLISHED, TD_FIN_WAIT1, TD_FIN_WAIT2,
				      TD_TIME_WAIT, TD_CLOSE_WAIT, TD_LAST_ACK,    TD_LISTEN,    TD_CLOSING };
	struct memout m;
	const char *out;

	memout_open(&m);
	td_explain_diagram(m.f);
	out = memout_close(&m);
	for (size_t i = 0; i < N(states); i++)
		cr_expect_not_null(strstr(out, td_state_name(states[i])), "no %s", td_state_name(states[i]));
	memout_free(&m);
}
