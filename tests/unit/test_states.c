/* Unit tests of user/states.c: the state-name table and its parser. */
#include <criterion/criterion.h>
#include "test_util.h"
#include "states.h"

/* The numbering must match include/net/tcp_states.h: the kernel reports
 * these numbers and the table is indexed by them. */
Test(states, names_match_kernel_numbering)
{
	static const struct { int state; const char *name; } want[] = {
		{ 1, "ESTABLISHED" }, { 2, "SYN_SENT" }, { 3, "SYN_RECV" },
		{ 4, "FIN_WAIT1" }, { 5, "FIN_WAIT2" }, { 6, "TIME_WAIT" },
		{ 7, "CLOSE" }, { 8, "CLOSE_WAIT" }, { 9, "LAST_ACK" },
		{ 10, "LISTEN" }, { 11, "CLOSING" }, { 12, "NEW_SYN_RECV" },
		{ 13, "BOUND_INACTIVE" },
	};

	cr_assert_eq(TD_MAX_STATES, 14);
	for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
		const char *n = td_state_name(want[i].state);

		cr_assert_not_null(n, "state %d has no name", want[i].state);
		cr_expect_str_eq(n, want[i].name, "state %d", want[i].state);
	}
}

Test(states, round_trip_every_state)
{
	for (int s = 1; s < TD_MAX_STATES; s++) {
		const char *n = td_state_name(s);

		cr_assert_not_null(n, "state %d", s);
		cr_expect_eq(td_state_parse(n), s, "parse(\"%s\")", n);
	}
}

Test(states, names_are_unique)
{
	for (int a = 1; a < TD_MAX_STATES; a++)
		for (int b = a + 1; b < TD_MAX_STATES; b++)
			cr_expect_str_neq(td_state_name(a), td_state_name(b), "states %d and %d", a, b);
}

Test(states, parse_is_case_insensitive_and_accepts_dash)
{
	for (int s = 1; s < TD_MAX_STATES; s++) {
		char lower[32], dashed[32], mixed[32];
		const char *n = td_state_name(s);
		size_t i;

		for (i = 0; n[i]; i++) {
			lower[i] = (char)tolower((unsigned char)n[i]);
			dashed[i] = n[i] == '_' ? '-' : lower[i];
			mixed[i] = i % 2 ? lower[i] : n[i];
		}
		lower[i] = dashed[i] = mixed[i] = '\0';
		cr_expect_eq(td_state_parse(lower), s, "parse(\"%s\")", lower);
		cr_expect_eq(td_state_parse(dashed), s, "parse(\"%s\")", dashed);
		cr_expect_eq(td_state_parse(mixed), s, "parse(\"%s\")", mixed);
	}
	cr_expect_eq(td_state_parse("Time-Wait"), TD_TIME_WAIT);
	cr_expect_eq(td_state_parse("new-syn-recv"), TD_NEW_SYN_RECV);
	cr_expect_eq(td_state_parse("close"), TD_CLOSE);
	cr_expect_eq(td_state_parse("close-wait"), TD_CLOSE_WAIT);
}

Test(states, unknown_names_are_rejected)
{
	static const char *const bad[] = {
		"", "FOO", "ESTABLISHE", "ESTABLISHEDX", "ESTABLISHED ", " ESTABLISHED",
		"SYN SENT", "SYN__SENT", "SYNSENT", "SYN_SENT_", "FIN_WAIT", "FIN_WAIT3",
		"CLOSED", "TCP_ESTABLISHED", "0", "1", "UNKNOWN", "-", "_",
	};

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		cr_expect_eq(td_state_parse(bad[i]), -1, "parse(\"%s\")", bad[i]);
	cr_expect_eq(td_state_parse(NULL), -1);
}

Test(states, out_of_range_has_no_name)
{
	static const int bad[] = { 0, -1, -100, TD_MAX_STATES, TD_MAX_STATES + 1, 255, 256, 1 << 30 };

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		cr_expect_null(td_state_name(bad[i]), "state %d", bad[i]);
}
