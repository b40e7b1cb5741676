/* Unit tests of user/opts.c: the strict number parsers and td_parse_args,
 * whose errors must be exit status 2 and exactly one line on err (the
 * command-line harness is in test_util.h). */
#include <arpa/inet.h>
#include <errno.h>
#include <criterion/criterion.h>
#include "test_util.h"
#include "opts.h"

/* ---- td_parse_port ---- */

Test(opts, port_valid)
{
	static const struct { const char *s; uint16_t v; } ok[] = {
		{ "1", 1 }, { "22", 22 }, { "80", 80 }, { "443", 443 }, { "8080", 8080 },
		{ "65535", 65535 }, { "065535", 65535 }, { "0080", 80 },
	};

	for (size_t i = 0; i < N(ok); i++) {
		uint16_t p = 0;

		cr_expect_eq(td_parse_port(ok[i].s, &p), 0, "\"%s\"", ok[i].s);
		cr_expect_eq(p, ok[i].v, "\"%s\" -> %u", ok[i].s, p);
	}
}

Test(opts, port_invalid)
{
	static const struct { const char *s; int err; } bad[] = {
		{ "0", -ERANGE }, { "00", -ERANGE }, { "65536", -ERANGE }, { "99999", -ERANGE },
		{ "99999999999999999999999", -ERANGE },
		{ "", -EINVAL }, { "abc", -EINVAL }, { "+5", -EINVAL }, { "-1", -EINVAL },
		{ " 80", -EINVAL }, { "80 ", -EINVAL }, { "80x", -EINVAL }, { "x80", -EINVAL },
		{ "8 0", -EINVAL }, { "0x50", -EINVAL }, { "80\n", -EINVAL }, { "1.5", -EINVAL },
		{ "1e3", -EINVAL }, { "80,", -EINVAL }, { "1-2", -EINVAL },
	};

	for (size_t i = 0; i < N(bad); i++) {
		uint16_t p = 4242;

		cr_expect_eq(td_parse_port(bad[i].s, &p), bad[i].err, "\"%s\"", bad[i].s);
		cr_expect_eq(p, 4242, "\"%s\" changed the output", bad[i].s);
	}
	cr_expect_eq(td_parse_port(NULL, &(uint16_t){ 0 }), -EINVAL);
}

/* ---- td_parse_port_list ---- */

static size_t count_set(const uint8_t *filter, uint8_t bit)
{
	size_t n = 0;

	for (size_t i = 0; i < 65536; i++)
		n += !!(filter[i] & bit);
	return n;
}

Test(opts, port_list_valid)
{
	uint8_t *f = calloc(65536, 1);

	cr_assert_eq(td_parse_port_list("80", f, TD_PORT_LOCAL), 0);
	cr_assert_eq(f[80], TD_PORT_LOCAL);
	cr_assert_eq(count_set(f, 0xff), 1);

	memset(f, 0, 65536);
	cr_assert_eq(td_parse_port_list("80,443,8000-8010", f, TD_PORT_REMOTE), 0);
	cr_assert_eq(f[80], TD_PORT_REMOTE);
	cr_assert_eq(f[443], TD_PORT_REMOTE);
	for (int p = 8000; p <= 8010; p++)
		cr_assert_eq(f[p], TD_PORT_REMOTE, "port %d", p);
	cr_assert_eq(f[7999], 0);
	cr_assert_eq(f[8011], 0);
	cr_assert_eq(count_set(f, 0xff), 13);

	/* Bits accumulate: another list ORs its bit in. */
	cr_assert_eq(td_parse_port_list("443,22", f, TD_PORT_EITHER), 0);
	cr_assert_eq(f[443], TD_PORT_REMOTE | TD_PORT_EITHER);
	cr_assert_eq(f[22], TD_PORT_EITHER);
	cr_assert_eq(count_set(f, TD_PORT_EITHER), 2);
	cr_assert_eq(count_set(f, TD_PORT_REMOTE), 13);

	/* Single-port range, and the full range (port 0 never set). */
	memset(f, 0, 65536);
	cr_assert_eq(td_parse_port_list("5-5", f, TD_PORT_LOCAL), 0);
	cr_assert_eq(count_set(f, 0xff), 1);
	cr_assert_eq(f[5], TD_PORT_LOCAL);
	memset(f, 0, 65536);
	cr_assert_eq(td_parse_port_list("1-65535", f, TD_PORT_LOCAL), 0);
	cr_assert_eq(count_set(f, TD_PORT_LOCAL), 65535);
	cr_assert_eq(f[0], 0);
	cr_assert_eq(f[65535], TD_PORT_LOCAL);

	/* Overlapping items are fine. */
	memset(f, 0, 65536);
	cr_assert_eq(td_parse_port_list("10-20,15-25,20", f, TD_PORT_LOCAL), 0);
	cr_assert_eq(count_set(f, TD_PORT_LOCAL), 16);
	free(f);
}

Test(opts, port_list_item_limit)
{
	uint8_t *f = calloc(65536, 1);
	char buf[1024] = "";

	/* 64 items are accepted, 65 are not. */
	for (int i = 1; i <= 64; i++)
		snprintf(buf + strlen(buf), sizeof(buf) - strlen(buf), "%s%d", i > 1 ? "," : "", 1000 + i);
	cr_assert_eq(td_parse_port_list(buf, f, TD_PORT_LOCAL), 0);
	cr_assert_eq(count_set(f, TD_PORT_LOCAL), 64);
	memset(f, 0, 65536);
	strcat(buf, ",2000");
	cr_assert_eq(td_parse_port_list(buf, f, TD_PORT_LOCAL), -ERANGE);
	cr_assert_eq(count_set(f, 0xff), 0);
	free(f);
}

Test(opts, port_list_invalid)
{
	static const char *const bad[] = {
		"", ",", "80,", ",80", "80,,443", "1-", "-5", "-", "10-5", "abc", "+5", "0",
		"65536", "0-5", "5-65536", "1-2-3", "80-abc", " 80", "80 ", "80, 443", "80;443",
		"80x", "443,abc", "8000-8010,", "00000000000000080",
	};
	uint8_t *f = calloc(65536, 1);

	for (size_t i = 0; i < N(bad); i++) {
		int err = td_parse_port_list(bad[i], f, TD_PORT_LOCAL);

		cr_expect(err == -EINVAL || err == -ERANGE, "\"%s\" returned %d", bad[i], err);
		/* Nothing applied, not even the valid items before the bad one. */
		cr_expect_eq(count_set(f, 0xff), 0, "\"%s\" left ports set", bad[i]);
		memset(f, 0, 65536);
	}
	cr_expect_eq(td_parse_port_list(NULL, f, TD_PORT_LOCAL), -EINVAL);
	free(f);
}

/* ---- td_parse_duration ---- */

Test(opts, duration_valid)
{
	static const struct { const char *s; uint64_t ns; } ok[] = {
		{ "5", 5000000000ull }, { "1.5", 1500000000ull }, { ".5", 500000000ull },
		{ "1.5s", 1500000000ull }, { "10s", 10000000000ull }, { "250ms", 250000000ull },
		{ "1ms", 1000000ull }, { "0.001", 1000000ull }, { "1000us", 1000000ull },
		{ "2500us", 2500000ull }, { "2m", 120000000000ull }, { "1.5m", 90000000000ull },
		{ "1h", 3600000000000ull }, { "24h", 86400000000000ull },
	};

	for (size_t i = 0; i < N(ok); i++) {
		uint64_t ns = 0;

		cr_expect_eq(td_parse_duration(ok[i].s, &ns), 0, "\"%s\"", ok[i].s);
		cr_expect_eq(ns, ok[i].ns, "\"%s\" -> %" PRIu64, ok[i].s, ns);
	}
}

Test(opts, duration_invalid)
{
	static const struct { const char *s; int err; } bad[] = {
		/* zero, below 1 ms, and beyond ~115 days */
		{ "0", -ERANGE }, { "0s", -ERANGE }, { "0ms", -ERANGE }, { "0.0", -ERANGE },
		{ "0.5ms", -ERANGE }, { "999us", -ERANGE }, { "3000h", -ERANGE },
		{ "99999999999", -ERANGE },
		/* negative */
		{ "-1", -EINVAL }, { "-5s", -EINVAL }, { "-0", -EINVAL },
		/* bad units and junk */
		{ "", -EINVAL }, { "s", -EINVAL }, { "ms", -EINVAL }, { "5x", -EINVAL },
		{ "5sec", -EINVAL }, { "5S", -EINVAL }, { "5MS", -EINVAL }, { "5d", -EINVAL },
		{ "5ns", -EINVAL }, { "5 s", -EINVAL }, { " 5", -EINVAL }, { "5 ", -EINVAL },
		{ "5ms ", -EINVAL }, { "+5", -EINVAL }, { "5s5", -EINVAL }, { "5ss", -EINVAL },
		{ "1,5", -EINVAL }, { ".", -EINVAL }, { "inf", -EINVAL }, { "nan", -EINVAL },
		{ "1e999", -EINVAL }, { "abc", -EINVAL },
	};

	for (size_t i = 0; i < N(bad); i++) {
		uint64_t ns = 4242;

		cr_expect_eq(td_parse_duration(bad[i].s, &ns), bad[i].err, "\"%s\"", bad[i].s);
		cr_expect_eq(ns, 4242, "\"%s\" changed the output", bad[i].s);
	}
	cr_expect_eq(td_parse_duration(NULL, &(uint64_t){ 0 }), -EINVAL);
}

/* ---- td_parse_pid ---- */

Test(opts, pid)
{
	static const struct { const char *s; int err; uint32_t v; } cases[] = {
		{ "1", 0, 1 }, { "1234", 0, 1234 }, { "2147483647", 0, 2147483647u },
		{ "0", -ERANGE, 0 }, { "2147483648", -ERANGE, 0 }, { "4294967297", -ERANGE, 0 },
		{ "99999999999999999999", -ERANGE, 0 },
		{ "", -EINVAL, 0 }, { "-1", -EINVAL, 0 }, { "+1", -EINVAL, 0 }, { "abc", -EINVAL, 0 },
		{ "12a", -EINVAL, 0 }, { " 12", -EINVAL, 0 }, { "12 ", -EINVAL, 0 }, { "1.0", -EINVAL, 0 },
	};

	for (size_t i = 0; i < N(cases); i++) {
		uint32_t pid = 4242;

		cr_expect_eq(td_parse_pid(cases[i].s, &pid), cases[i].err, "\"%s\"", cases[i].s);
		cr_expect_eq(pid, cases[i].err ? 4242 : cases[i].v, "\"%s\" -> %u", cases[i].s, pid);
	}
	cr_expect_eq(td_parse_pid(NULL, &(uint32_t){ 0 }), -EINVAL);
}

/* ---- td_parse_size ---- */

Test(opts, size)
{
	static const struct { const char *s; int err; uint64_t v; } cases[] = {
		{ "4096", 0, 4096 }, { "64K", 0, 65536 }, { "64k", 0, 65536 }, { "8M", 0, 8u << 20 },
		{ "8m", 0, 8u << 20 }, { "1G", 0, 1u << 30 }, { "0", 0, 0 },
		{ "18446744073709551615", 0, UINT64_MAX },
		{ "18446744073709551616", -ERANGE, 0 }, { "17179869184G", -ERANGE, 0 },
		{ "", -EINVAL, 0 }, { "K", -EINVAL, 0 }, { "4KB", -EINVAL, 0 }, { "4T", -EINVAL, 0 },
		{ "4 K", -EINVAL, 0 }, { "-1", -EINVAL, 0 }, { "+4", -EINVAL, 0 }, { "4x", -EINVAL, 0 },
		{ " 4", -EINVAL, 0 }, { "4.5M", -EINVAL, 0 },
	};

	for (size_t i = 0; i < N(cases); i++) {
		uint64_t b = 4242;

		cr_expect_eq(td_parse_size(cases[i].s, &b), cases[i].err, "\"%s\"", cases[i].s);
		cr_expect_eq(b, cases[i].err ? 4242 : cases[i].v, "\"%s\" -> %" PRIu64, cases[i].s, b);
	}
}

/* ---- td_parse_args ---- */

Test(opts, args_defaults)
{
	struct run r;

	run_args(&r, (const char *const[]){ NULL });
	cr_assert_eq(r.rc, 0);
	cr_assert_str_empty(r.out.buf);
	cr_assert_str_empty(r.err.buf);
	cr_assert_eq(r.cfg->family, 0);
	cr_assert_not(r.cfg->events || r.cfg->json || r.cfg->wide || r.cfg->cumulative || r.cfg->verbose);
	cr_assert_eq(r.cfg->interval_ns, 0);
	cr_assert_eq(r.cfg->duration_ns, 0);
	cr_assert_eq(r.cfg->pid, 0);
	cr_assert_null(r.cfg->cgroup_path);
	cr_assert_eq(r.cfg->ringbuf_bytes, 8u << 20);
	cr_assert_not(r.cfg->filter_lport || r.cfg->filter_rport || r.cfg->filter_either);
	cr_assert_eq(count_set(r.cfg->port_filter, 0xff), 0);
	run_free(&r);
}

Test(opts, args_all_short_options)
{
	struct run r;

	run_args(&r, ARGS("-e", "-w", "-j", "-i", "10", "-C", "-d", "1m", "-4", "-L", "80,443",
			  "-D", "8000-8001", "-P", "22", "-p", "1234", "-c", "/sys/fs/cgroup/x",
			  "-r", "64K", "-v"));
	cr_assert_eq(r.rc, 0, "err: %s", r.err.buf);
	cr_assert_str_empty(r.err.buf);
	cr_assert(r.cfg->events && r.cfg->wide && r.cfg->json && r.cfg->cumulative && r.cfg->verbose);
	cr_assert_eq(r.cfg->interval_ns, 10000000000ull);
	cr_assert_eq(r.cfg->duration_ns, 60000000000ull);
	cr_assert_eq(r.cfg->family, 4);
	cr_assert_eq(r.cfg->pid, 1234);
	cr_assert_str_eq(r.cfg->cgroup_path, "/sys/fs/cgroup/x");
	cr_assert_eq(r.cfg->ringbuf_bytes, 65536);
	cr_assert(r.cfg->filter_lport && r.cfg->filter_rport && r.cfg->filter_either);
	cr_assert_eq(r.cfg->port_filter[80], TD_PORT_LOCAL);
	cr_assert_eq(r.cfg->port_filter[443], TD_PORT_LOCAL);
	cr_assert_eq(r.cfg->port_filter[8000], TD_PORT_REMOTE);
	cr_assert_eq(r.cfg->port_filter[8001], TD_PORT_REMOTE);
	cr_assert_eq(r.cfg->port_filter[22], TD_PORT_EITHER);
	cr_assert_eq(count_set(r.cfg->port_filter, 0xff), 5);
	run_free(&r);
}

Test(opts, args_long_options)
{
	struct run r;

	run_args(&r, ARGS("--events", "--json", "--interval=500ms", "--cumulative", "--duration", "2h",
			  "--ipv6", "--port", "443", "--lport=8080", "--pid=42", "--cgroup", "/a/b",
			  "--ringbuf-size=1G", "--wide", "--verbose"));
	cr_assert_eq(r.rc, 0, "err: %s", r.err.buf);
	cr_assert(r.cfg->events && r.cfg->json && r.cfg->cumulative && r.cfg->wide && r.cfg->verbose);
	cr_assert_eq(r.cfg->interval_ns, 500000000ull);
	cr_assert_eq(r.cfg->duration_ns, 7200000000000ull);
	cr_assert_eq(r.cfg->family, 6);
	cr_assert_eq(r.cfg->pid, 42);
	cr_assert_str_eq(r.cfg->cgroup_path, "/a/b");
	cr_assert_eq(r.cfg->ringbuf_bytes, 1u << 30);
	cr_assert(r.cfg->filter_either && r.cfg->filter_lport && !r.cfg->filter_rport);
	cr_assert_eq(r.cfg->port_filter[443], TD_PORT_EITHER);
	cr_assert_eq(r.cfg->port_filter[8080], TD_PORT_LOCAL);
	run_free(&r);
}

Test(opts, args_repeated_family_is_fine)
{
	struct run r;

	run_args(&r, ARGS("-6", "-6"));
	cr_assert_eq(r.rc, 0);
	cr_assert_eq(r.cfg->family, 6);
	run_free(&r);
}

Test(opts, args_ringbuf_power_of_two)
{
	static const struct { const char *s; uint64_t v; } ok[] = {
		{ "4096", 4096 }, { "4K", 4096 }, { "8k", 8192 }, { "1M", 1u << 20 }, { "1G", 1u << 30 },
		{ "524288", 524288 },
	};
	static const char *const bad[] = {
		"0", "1", "2048", "2K", "3K", "4097", "5000", "6M", "1023M", "2G", "4G", "-4K", "4KB", "",
	};

	for (size_t i = 0; i < N(ok); i++) {
		struct run r;

		run_args(&r, ARGS("-r", ok[i].s));
		cr_expect_eq(r.rc, 0, "-r %s: %s", ok[i].s, r.err.buf);
		cr_expect_eq(r.cfg->ringbuf_bytes, ok[i].v, "-r %s", ok[i].s);
		run_free(&r);
	}
	for (size_t i = 0; i < N(bad); i++) {
		char what[64];

		snprintf(what, sizeof(what), "-r '%s'", bad[i]);
		check_rejected(ARGS("-r", bad[i]), what);
	}
}

Test(opts, args_bad_values_rejected)
{
	static const char *const bad_ports[] = {
		"0", "65536", "", "80,", "1-", "10-5", "abc", "+5", " 80", "80 ", "80x", "x80",
	};
	static const char *const bad_durations[] = {
		"0", "-1", "", "5x", "5sec", "10 s", "abc", "0.1ms", " 5", "5 ",
	};
	static const char *const bad_pids[] = { "0", "-1", "", "abc", "12x", "+5", "2147483648" };
	static const char *const port_opts[] = { "-L", "-D", "-P", "--lport", "--rport", "--port" };
	char what[64];

	for (size_t o = 0; o < N(port_opts); o++)
		for (size_t i = 0; i < N(bad_ports); i++) {
			snprintf(what, sizeof(what), "%s '%s'", port_opts[o], bad_ports[i]);
			check_rejected(ARGS(port_opts[o], bad_ports[i]), what);
		}
	for (size_t i = 0; i < N(bad_durations); i++) {
		snprintf(what, sizeof(what), "-i '%s'", bad_durations[i]);
		check_rejected(ARGS("-i", bad_durations[i]), what);
		snprintf(what, sizeof(what), "-d '%s'", bad_durations[i]);
		check_rejected(ARGS("-d", bad_durations[i]), what);
	}
	for (size_t i = 0; i < N(bad_pids); i++) {
		snprintf(what, sizeof(what), "-p '%s'", bad_pids[i]);
		check_rejected(ARGS("-p", bad_pids[i]), what);
	}
}

Test(opts, args_error_messages_name_the_input)
{
	struct run r;

	expect_usage_error(&r, ARGS("-p", "abc"), "-p abc");
	cr_assert_str_eq(r.err.buf, "tcpdwell: invalid pid 'abc': expected a process id from 1\n");
	run_free(&r);

	expect_usage_error(&r, ARGS("-L", "10-5"), "-L 10-5");
	cr_assert_not_null(strstr(r.err.buf, "invalid port list '10-5'"), "%s", r.err.buf);
	run_free(&r);

	expect_usage_error(&r, ARGS("-d", "5x"), "-d 5x");
	cr_assert_not_null(strstr(r.err.buf, "invalid duration '5x'"), "%s", r.err.buf);
	run_free(&r);

	expect_usage_error(&r, ARGS("-i", "0"), "-i 0");
	cr_assert_not_null(strstr(r.err.buf, "invalid interval '0'"), "%s", r.err.buf);
	run_free(&r);

	expect_usage_error(&r, ARGS("-r", "3K"), "-r 3K");
	cr_assert_not_null(strstr(r.err.buf, "invalid ring buffer size '3K'"), "%s", r.err.buf);
	run_free(&r);
}

Test(opts, args_ipv4_with_ipv6)
{
	struct run r;

	expect_usage_error(&r, ARGS("-4", "-6"), "-4 -6");
	cr_assert_str_eq(r.err.buf, "tcpdwell: -4 and -6 exclude each other\n");
	run_free(&r);
	check_rejected(ARGS("-6", "-4"), "-6 -4");
	check_rejected(ARGS("--ipv4", "--ipv6"), "--ipv4 --ipv6");
	check_rejected(ARGS("-46"), "-46");
}

Test(opts, args_unknown_option)
{
	struct run r;

	expect_usage_error(&r, ARGS("-x"), "-x");
	cr_assert_str_eq(r.err.buf, "tcpdwell: unknown option '-x'; see --help\n");
	run_free(&r);

	expect_usage_error(&r, ARGS("--bogus"), "--bogus");
	cr_assert_str_eq(r.err.buf, "tcpdwell: unknown option '--bogus'; see --help\n");
	run_free(&r);

	check_rejected(ARGS("-e", "-Z"), "-e -Z");
	check_rejected(ARGS("-eZ"), "-eZ");
	check_rejected(ARGS("--help=yes"), "--help=yes");
}

Test(opts, args_missing_argument)
{
	static const char *const needy[] = { "-i", "-d", "-L", "-D", "-P", "-p", "-c", "-r" };
	static const char *const needy_long[] = {
		"--interval", "--duration", "--lport", "--rport", "--port", "--pid", "--cgroup",
		"--ringbuf-size",
	};
	struct run r;

	expect_usage_error(&r, ARGS("-p"), "-p");
	cr_assert_str_eq(r.err.buf, "tcpdwell: option '-p' needs an argument; see --help\n");
	run_free(&r);

	for (size_t i = 0; i < N(needy); i++)
		check_rejected(ARGS("-e", needy[i]), needy[i]);
	for (size_t i = 0; i < N(needy_long); i++)
		check_rejected(ARGS(needy_long[i]), needy_long[i]);
}

Test(opts, args_unexpected_positional)
{
	struct run r;

	expect_usage_error(&r, ARGS("-e", "foo"), "-e foo");
	cr_assert_str_eq(r.err.buf, "tcpdwell: unexpected argument 'foo'; see --help\n");
	run_free(&r);
}

Test(opts, args_cumulative_needs_interval)
{
	struct run r;

	expect_usage_error(&r, ARGS("-C"), "-C");
	cr_assert_str_eq(r.err.buf, "tcpdwell: -C/--cumulative needs -i/--interval\n");
	run_free(&r);
	check_rejected(ARGS("--cumulative", "-d", "10"), "-C -d 10");

	run_args(&r, ARGS("-C", "-i", "1"));
	cr_assert_eq(r.rc, 0, "%s", r.err.buf);
	cr_assert(r.cfg->cumulative);
	cr_assert_eq(r.cfg->interval_ns, 1000000000ull);
	run_free(&r);
}

Test(opts, args_bad_cgroup_path)
{
	static const char *const bad[] = { "", "relative/path", "sys/fs/cgroup", ".", "~/cg" };

	for (size_t i = 0; i < N(bad); i++) {
		char what[64];

		snprintf(what, sizeof(what), "-c '%s'", bad[i]);
		check_rejected(ARGS("-c", bad[i]), what);
	}
}

Test(opts, args_help)
{
	static const char *const forms[] = { "-h", "--help" };

	for (size_t i = 0; i < N(forms); i++) {
		struct run r;

		run_args(&r, ARGS(forms[i]));
		cr_expect_eq(r.rc, 1, "%s", forms[i]);
		cr_expect_str_empty(r.err.buf, "%s", forms[i]);
		cr_expect_eq(strncmp(r.out.buf, "Commands:\n", 10), 0, "%s: %s", forms[i], r.out.buf);
		cr_expect_not_null(strstr(r.out.buf, "\nUsage: tcpdwell [OPTIONS]\n"), "%s: %s", forms[i], r.out.buf);
		cr_expect_not_null(strstr(r.out.buf, "\nExamples:\n"), "%s", forms[i]);
		cr_expect_not_null(strstr(r.out.buf, "--ringbuf-size"), "%s", forms[i]);
		run_free(&r);
	}
}

Test(opts, args_version)
{
	struct run r;

	run_args(&r, ARGS("--version"));
	cr_assert_eq(r.rc, 1);
	cr_assert_str_empty(r.err.buf);
	/* The version is baked in when opts.o is built; only check the shape. */
	cr_assert_eq(strncmp(r.out.buf, "tcpdwell ", 9), 0, "%s", r.out.buf);
	cr_assert_gt(r.out.len, 10, "no version: %s", r.out.buf);
	cr_assert_eq(count_char(r.out.buf, '\n'), 1, "%s", r.out.buf);
	cr_assert_eq(r.out.buf[r.out.len - 1], '\n');
	cr_assert_null(strchr(r.out.buf + 9, ' '), "%s", r.out.buf);
	run_free(&r);
	run_args(&r, ARGS("-V"));
	cr_assert_eq(r.rc, 1);
	run_free(&r);
}

/* td_parse_args must not carry getopt's position over from an earlier call
 * that stopped in the middle of a cluster of short options. The earlier argv
 * is kept alive so that a stale position reads its leftover letters. */
Test(opts, args_parse_twice)
{
	struct run first, r;

	run_args(&first, ARGS("-hv"));
	cr_assert_eq(first.rc, 1);
	run_args(&r, ARGS("-e"));
	cr_assert_eq(r.rc, 0, "%s", r.err.buf);
	cr_assert(r.cfg->events);
	cr_assert_not(r.cfg->verbose, "-v left over from the previous argv");
	run_free(&r);
	run_free(&first);

	run_args(&first, ARGS("-4", "-6j"));
	cr_assert_eq(first.rc, TD_EXIT_USAGE);
	run_args(&r, (const char *const[]){ NULL });
	cr_assert_eq(r.rc, 0, "%s", r.err.buf);
	cr_assert_not(r.cfg->json, "-j left over from the previous argv");
	run_free(&r);
	run_free(&first);
}

Test(opts, state_list)
{
	uint32_t m = 7;

	cr_assert_eq(td_parse_state_list("TIME_WAIT", &m), 0);
	cr_assert_eq(m, 1u << TD_TIME_WAIT);
	cr_assert_eq(td_parse_state_list("close-wait,ESTABLISHED", &m), 0);
	cr_assert_eq(m, (1u << TD_CLOSE_WAIT) | (1u << TD_ESTABLISHED));
	m = 7;
	cr_assert_eq(td_parse_state_list("TIME_WAIT,BOGUS", &m), -EINVAL);
	cr_assert_eq(td_parse_state_list("", &m), -EINVAL);
	cr_assert_eq(td_parse_state_list(",LISTEN", &m), -EINVAL);
	cr_assert_eq(td_parse_state_list("LISTEN,", &m), -EINVAL);
	cr_assert_eq(td_parse_state_list("LISTEN,,CLOSE", &m), -EINVAL);
	cr_assert_eq(m, 7, "output changed on error");
}

Test(opts, cidr)
{
	struct td_cidr c, keep;

	cr_assert_eq(td_parse_cidr("10.1.2.3/8", &c), 0);
	cr_assert_eq(c.family, 4);
	cr_assert_eq(c.mask[0], htonl(0xff000000u));
	cr_assert_eq(c.net[0], htonl(0x0a000000u), "host bits are masked off");
	cr_assert_eq(td_parse_cidr("127.0.0.1", &c), 0);
	cr_assert_eq(c.mask[0], 0xffffffffu);
	cr_assert_eq(c.net[0], htonl(0x7f000001u));
	cr_assert_eq(td_parse_cidr("10.0.0.0/0", &c), 0);
	cr_assert_eq(c.mask[0], 0);
	cr_assert_eq(td_parse_cidr("fd00::/8", &c), 0);
	cr_assert_eq(c.family, 6);
	cr_assert_eq(c.mask[0], htonl(0xff000000u));
	cr_assert_eq(c.mask[1], 0);
	cr_assert_eq(td_parse_cidr("::1", &c), 0);
	cr_assert(c.mask[0] == 0xffffffffu && c.mask[3] == 0xffffffffu && c.net[3] == htonl(1));
	cr_assert_eq(td_parse_cidr("2001:db8::/33", &c), 0);
	cr_assert_eq(c.mask[1], htonl(0x80000000u));
	memset(&keep, 0x5a, sizeof(keep));
	c = keep;
	cr_assert_eq(td_parse_cidr("10.0.0.0/33", &c), -EINVAL);
	cr_assert_eq(td_parse_cidr("::/129", &c), -EINVAL);
	cr_assert_eq(td_parse_cidr("10.0.0/8", &c), -EINVAL);
	cr_assert_eq(td_parse_cidr("10.0.0.0/", &c), -EINVAL);
	cr_assert_eq(td_parse_cidr("10.0.0.0/-1", &c), -EINVAL);
	cr_assert_eq(td_parse_cidr("10.0.0.0/8x", &c), -EINVAL);
	cr_assert_eq(td_parse_cidr("", &c), -EINVAL);
	cr_assert_eq(td_parse_cidr("host.example", &c), -EINVAL);
	cr_assert_eq(memcmp(&c, &keep, sizeof(c)), 0, "output changed on error");
}

/* ---- --prometheus [ADDR:]PORT ---- */

Test(opts, listen)
{
	static const struct { const char *s; int family; const char *addr; uint16_t port; } ok[] = {
		{ "9101", 4, "127.0.0.1", 9101 },
		{ "1", 4, "127.0.0.1", 1 },
		{ "65535", 4, "127.0.0.1", 65535 },
		{ "0.0.0.0:9101", 4, "0.0.0.0", 9101 },
		{ "10.1.2.3:80", 4, "10.1.2.3", 80 },
		{ "[::1]:9101", 6, "::1", 9101 },
		{ "[::]:9101", 6, "::", 9101 },
		{ "[fd00::1:2]:443", 6, "fd00::1:2", 443 },
	};
	static const char *const bad[] = {
		"", "0", "70000", "65536", "-1", "+80", " 80", "80 ", "junk", "9101x",
		"127.0.0.1", "127.0.0.1:", ":9101", "127.0.0.1:0", "127.0.0.1:70000", "127.0.0.1:x",
		"127.0.0:9101", "[::1]", "-host:80", "host-:80", "a..b:80", ".a:80", "a.:80",
		"exa_mple:80", "hÃ©:80", "a b:80", "[localhost]:80", "localhost", "localhost:0", "1.2.3.4.5:80", "[::1]:", "[::1]9101", "::1:9101", "[::1:9101",
		"[127.0.0.1]:9101", "[::1]:0", "[fe80::1%lo]:9101", "1.2.3.4:80:90",
		"[0000:0000:0000:0000:0000:0000:0000:0001]:65535xxxxxxxxxxxxxxxxxxxxxx",
	};
	struct td_listen l, keep;

	for (size_t i = 0; i < N(ok); i++) {
		uint8_t want[16] = { 0 };

		memset(&l, 0x5a, sizeof(l));
		cr_assert_eq(td_parse_listen(ok[i].s, &l), 0, "'%s'", ok[i].s);
		cr_expect_eq(l.family, ok[i].family, "'%s'", ok[i].s);
		cr_expect_eq(l.port, ok[i].port, "'%s'", ok[i].s);
		cr_assert_eq(inet_pton(ok[i].family == 4 ? AF_INET : AF_INET6, ok[i].addr, want), 1);
		cr_expect_eq(memcmp(l.addr, want, ok[i].family == 4 ? 4 : 16), 0, "'%s': address", ok[i].s);
	}
	memset(&keep, 0x5a, sizeof(keep));
	for (size_t i = 0; i < N(bad); i++) {
		l = keep;
		cr_expect_neq(td_parse_listen(bad[i], &l), 0, "'%s' accepted", bad[i]);
		cr_expect_eq(memcmp(&l, &keep, sizeof(l)), 0, "'%s': output changed on error", bad[i]);
	}
	cr_expect_neq(td_parse_listen(NULL, &l), 0);
}

/* A host name is kept for td_listen_resolve, never looked up while parsing. */
Test(opts, listen_name)
{
	static const char *const ok[] = { "localhost", "a", "x-1.example.com", "ip6-localhost", "9a" };
	char s[300], long_label[70];
	struct td_listen l;

	for (size_t i = 0; i < N(ok); i++) {
		snprintf(s, sizeof(s), "%s:9101", ok[i]);
		cr_assert_eq(td_parse_listen(s, &l), 0, "'%s'", s);
		cr_expect_str_eq(l.name, ok[i]);
		cr_expect_eq(l.family, 0, "'%s': family before resolving", s);
		cr_expect_eq(l.port, 9101);
		cr_expect(td_listen_on(&l));
	}
	cr_assert_eq(td_parse_listen("127.0.0.1:9101", &l), 0);
	cr_expect_str_eq(l.name, "", "numeric: no name");
	memset(long_label, 'a', 64);
	long_label[64] = '\0';
	snprintf(s, sizeof(s), "%s:80", long_label);
	cr_expect_neq(td_parse_listen(s, &l), 0, "a 64-character label");
}

Test(opts, args_prometheus)
{
	static const char *const bad[] = { "0", "70000", "junk", "127.0.0.1", "127.0.0.1:", "::1:9101", "" };
	struct run r;
	char what[64];

	run_args(&r, ARGS("-i", "5"));
	cr_assert_eq(r.rc, 0);
	cr_assert_eq(r.cfg->prometheus.family, 0, "off by default");
	run_free(&r);

	run_args(&r, ARGS("--prometheus", "[::1]:9101", "--kernel-agg"));
	cr_assert_eq(r.rc, 0, "err: %s", r.err.buf);
	cr_assert_eq(r.cfg->prometheus.family, 6);
	cr_assert_eq(r.cfg->prometheus.port, 9101);
	cr_assert(r.cfg->kernel_agg);
	run_free(&r);

	run_args(&r, ARGS("--prometheus=9102"));
	cr_assert_eq(r.rc, 0, "err: %s", r.err.buf);
	cr_assert_eq(r.cfg->prometheus.family, 4);
	cr_assert_eq(r.cfg->prometheus.port, 9102);
	cr_assert_eq(r.cfg->prometheus.addr[0], 127);
	run_free(&r);

	for (size_t i = 0; i < N(bad); i++) {
		snprintf(what, sizeof(what), "--prometheus '%s'", bad[i]);
		check_rejected(ARGS("--prometheus", bad[i]), what);
	}
	expect_usage_error(&r, ARGS("--prometheus", "70000"), "--prometheus 70000");
	cr_assert_str_eq(r.err.buf, "tcpdwell: invalid --prometheus '70000': expected [ADDR:]PORT with a port "
		     "1-65535, such as 9101, 0.0.0.0:9101 or [::1]:9101\n");
	run_free(&r);
	check_rejected(ARGS("--prometheus"), "--prometheus without a value");
}

/* Parses snapshot's argv into o; the exit code, with stderr in err. */
static int snap_args(struct snap_opts *o, char **argv, int argc, char *err, size_t len)
{
	FILE *out = fopen("/dev/null", "w"), *e = fmemopen(err, len, "w");
	int rc;

	cr_assert(out && e);
	rc = td_parse_snapshot_args(o, argc, argv, out, e);
	fclose(out);
	fclose(e);
	return rc;
}

/* snapshot -s: a state list; NEW_SYN_RECV names the request socks it lists
 * as SYN_RECV; --older-than must name one of its states. */
Test(opts, snapshot_state_filter)
{
	static struct snap_opts o;
	char err[256] = "";
	char *a1[] = { "snapshot", "-s", "close-wait,TIME_WAIT", NULL };
	char *a2[] = { "snapshot", "-s", "TIME_WAIT", "--older-than", "CLOSE_WAIT:30s", NULL };
	char *a3[] = { "snapshot", "--state", "NEW_SYN_RECV", "--older-than", "SYN_RECV:1s", NULL };
	char *a4[] = { "snapshot", "-s", "CLOSE-WAIT,", NULL };

	cr_assert_eq(snap_args(&o, a1, 3, err, sizeof(err)), 0, "%s", err);
	cr_assert_eq(o.cfg.state_mask, 1u << TD_CLOSE_WAIT | 1u << TD_TIME_WAIT);
	cr_assert(td_snap_state_listed(o.cfg.state_mask, TD_CLOSE_WAIT));
	cr_assert_not(td_snap_state_listed(o.cfg.state_mask, TD_ESTABLISHED));
	cr_assert(td_snap_state_listed(0, TD_ESTABLISHED), "no -s lists every state");
	cr_assert_eq(snap_args(&o, a2, 5, err, sizeof(err)), TD_EXIT_USAGE);
	cr_assert_str_eq(err, "tcpdwell: --older-than's state is not among -s's states: nothing would be listed\n");
	cr_assert_eq(snap_args(&o, a3, 5, err, sizeof(err)), 0, "%s", err);
	cr_assert(td_snap_state_listed(o.cfg.state_mask, TD_SYN_RECV));
	cr_assert_eq(snap_args(&o, a4, 3, err, sizeof(err)), TD_EXIT_USAGE);
	cr_assert_not_null(strstr(err, "invalid state list 'CLOSE-WAIT,'"), "%s", err);
}
