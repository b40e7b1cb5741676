/* Unit tests of user/num.c, the one number grammar of the command line, of
 * the parsers built on it (every numeric option says no to the same
 * things), and of kernel.pid_max as the pid options read it. */
#include <errno.h>
#include <unistd.h>
#include <criterion/criterion.h>
#include "test_util.h"
#include "kfacts.h"
#include "num.h"
#include "ringsize.h"
#include "opts.h"
#include "series.h"

Test(num, scan_splits_number_and_unit)
{
	static const struct { const char *s; bool frac; uint64_t whole; double value; const char *unit; } ok[] = {
		{ "0", false, 0, 0, "" }, { "42", false, 42, 42, "" }, { "007", false, 7, 7, "" },
		{ "64K", false, 64, 64, "K" }, { "1.5", false, 1, 1, ".5" }, { "1.5s", true, 1, 1.5, "s" },
		{ ".25", true, 0, 0.25, "" }, { "5.", true, 5, 5, "." }, { "0x10", true, 0, 0, "x10" },
		{ "1e3", true, 1, 1, "e3" }, { "18446744073709551615", false, UINT64_MAX, 18446744073709551615.0, "" },
	};

	for (size_t i = 0; i < N(ok); i++) {
		struct td_num n;

		cr_assert_eq(td_num_scan(ok[i].s, ok[i].frac, &n), 0, "\"%s\"", ok[i].s);
		cr_expect_eq(n.whole, ok[i].whole, "\"%s\"", ok[i].s);
		cr_expect_eq(n.value, ok[i].value, "\"%s\"", ok[i].s);
		cr_expect_str_eq(n.unit, ok[i].unit, "\"%s\"", ok[i].s);
	}
}

Test(num, scan_refuses_what_is_no_number)
{
	static const struct { const char *s; bool frac; int err; } bad[] = {
		{ "", true, -EINVAL }, { ".", true, -EINVAL }, { ".5", false, -EINVAL }, { "-1", true, -EINVAL },
		{ "+1", true, -EINVAL }, { " 1", true, -EINVAL }, { "x", true, -EINVAL }, { "inf", true, -EINVAL },
		{ "nan", true, -EINVAL }, { "18446744073709551616", false, -ERANGE },
		{ "99999999999999999999999", true, -ERANGE },
	};
	struct td_num n = { .whole = 4242 };

	for (size_t i = 0; i < N(bad); i++) {
		cr_expect_eq(td_num_scan(bad[i].s, bad[i].frac, &n), bad[i].err, "\"%s\"", bad[i].s);
		cr_expect_eq(n.whole, 4242, "\"%s\" changed the output", bad[i].s);
	}
	cr_expect_eq(td_num_scan(NULL, true, &n), -EINVAL);
}

Test(num, uint_range)
{
	uint64_t v = 0;

	cr_expect_eq(td_num_uint("10", 1, 10, &v), 0);
	cr_expect_eq(v, 10);
	cr_expect_eq(td_num_uint("11", 1, 10, &v), -ERANGE);
	cr_expect_eq(td_num_uint("0", 1, 10, &v), -ERANGE);
	cr_expect_eq(td_num_uint("1s", 1, 10, &v), -EINVAL);
	cr_expect_eq(td_num_uint("0x5", 0, 10, &v), -EINVAL);
	cr_expect_eq(v, 10);
}

/* Hex, hex floats, exponents, signs and spaces: refused by every parser
 * that takes a number, not only by some. */
Test(num, every_numeric_parser_refuses_the_same_forms)
{
	static const char *const forms[] = { "0x10", "0X10", "0x1p3", "1e3", "1E3", "1e+3", "+5", "-5", " 5", "5 ",
					     "0b101", "1_000", "\t5", "5\n" };

	for (size_t i = 0; i < N(forms); i++) {
		const char *s = forms[i];
		struct td_cidr c;
		uint64_t u = 4242;
		uint32_t p32 = 4242;
		uint16_t p16 = 4242;
		enum td_series_kind k;
		unsigned cap;
		char buf[32];

		cr_expect_neq(td_parse_duration(s, &u), 0, "duration \"%s\"", s);
		cr_expect_neq(td_parse_size(s, &u), 0, "size \"%s\"", s);
		cr_expect_eq(u, 4242, "\"%s\"", s);
		cr_expect_neq(td_parse_pid(s, &p32), 0, "pid \"%s\"", s);
		cr_expect_neq(td_parse_port(s, &p16), 0, "port \"%s\"", s);
		snprintf(buf, sizeof(buf), "10.0.0.0/%s", s);
		cr_expect_neq(td_parse_cidr(buf, &c), 0, "cidr \"%s\"", buf);
		snprintf(buf, sizeof(buf), "lport:%s", s);
		cr_expect_neq(td_parse_series(buf, &k, &cap), 0, "series \"%s\"", buf);
		snprintf(buf, sizeof(buf), "%s-20", s);
		cr_expect_neq(td_parse_port_list(buf, (uint8_t[65536]){ 0 }, TD_PORT_LOCAL), 0, "list \"%s\"", buf);
	}
}

Test(num, fractions_only_in_durations)
{
	uint64_t u;
	uint32_t p;
	enum td_series_kind k;
	unsigned cap;

	cr_expect_eq(td_parse_duration("1.5", &u), 0);
	cr_expect_eq(td_parse_duration("5.", &u), -EINVAL);
	cr_expect_eq(td_parse_size("1.5K", &u), -EINVAL);
	cr_expect_eq(td_parse_pid("1.0", &p), -EINVAL);
	cr_expect_eq(td_parse_series("lport:1.5", &k, &cap), -EINVAL);
}

/* ---- kernel.pid_max ---- */

static const char *tmp_with(const char *text)
{
	static char path[64];
	FILE *f;

	snprintf(path, sizeof(path), "/tmp/td-pidmax-%d", (int)getpid());
	f = fopen(path, "w");
	cr_assert_not_null(f);
	fputs(text, f);
	fclose(f);
	return path;
}

Test(num, pid_max_file)
{
	static const struct { const char *text; uint32_t v; } cases[] = {
		{ "32768\n", 32768 }, { "4194304\n", 4194304 }, { "301\n", 301 }, { "garbage\n", TD_PID_MAX_LIMIT },
		{ "", TD_PID_MAX_LIMIT }, { "300\n", TD_PID_MAX_LIMIT }, { "99999999\n", TD_PID_MAX_LIMIT },
	};

	for (size_t i = 0; i < N(cases); i++) {
		const char *p = tmp_with(cases[i].text);

		cr_expect_eq(td_pid_max_file(p), cases[i].v, "'%s'", cases[i].text);
		unlink(p);
	}
	cr_expect_eq(td_pid_max_file("/nonexistent/pid_max"), TD_PID_MAX_LIMIT);
	cr_expect_leq(td_pid_max(), TD_PID_MAX_LIMIT);
	cr_expect_geq(td_pid_max(), 301);
}

/* -p and -t take pids below pid_max, and say so when one is not. */
Test(num, pids_above_pid_max_are_refused)
{
	char below[16], at[16], what[64], want[200];
	uint32_t max = td_pid_max();
	struct run r;

	snprintf(below, sizeof(below), "%u", max - 1);
	snprintf(at, sizeof(at), "%u", max);
	run_args(&r, ARGS("-p", below));
	cr_expect_eq(r.rc, 0, "%s", r.err.buf);
	cr_expect_eq(r.cfg->pid, max - 1);
	run_free(&r);
	for (int snap = 0; snap < 2; snap++) {
		const char *const args[] = { snap ? "-t" : "-p", at, NULL };

		snprintf(what, sizeof(what), "%s %s", args[0], at);
		expect_usage_error_in(&r, snap ? CMD_SNAP : CMD_TRACE, args, what);
		snprintf(want, sizeof(want), "tcpdwell: invalid %s '%s': above the kernel's pid_max "
			 "(/proc/sys/kernel/pid_max): no process has it\n", snap ? "tracer pid" : "pid", at);
		cr_expect_str_eq(r.err.buf, want);
		run_free(&r);
	}
}

/* The rings' sizes (user/ringsize.c): an even share of the total, a power
 * of two, never under a page. */
Test(ringsize, an_even_power_of_two_share)
{
	long page = sysconf(_SC_PAGESIZE);

	cr_assert_eq(td_ring_bytes(8u << 20, 1), 8u << 20);
	cr_assert_eq(td_ring_bytes(8u << 20, 2), 4u << 20);
	cr_assert_eq(td_ring_bytes(8u << 20, 3), 2u << 20, "a third rounds down to a power of two");
	cr_assert_eq(td_ring_bytes(4096, 2), (uint32_t)(page > 4096 ? page : 4096), "at least a page");
	cr_assert_eq(td_ring_bytes(1u << 30, 0), 1u << 30, "no ring count is one ring");
}

Test(ringsize, one_ring_per_online_cpu_at_most)
{
	long online = sysconf(_SC_NPROCESSORS_ONLN);

	cr_assert_eq(td_rings_per_cpu(1), 1);
	cr_assert_eq(td_rings_per_cpu(4096), online > 0 && online < 4096 ? online : 4096);
}
