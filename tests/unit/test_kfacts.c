/* Unit tests of user/kfacts.c: the parsers of kallsyms lines, kernel
 * configs (plain and gzip) and /proc/timer_list, the rounding of a
 * measured tick rate, and the HZ probe over files the tests write. */
#include <errno.h>
#include <stdlib.h>
#include <unistd.h>
#include <zlib.h>
#include <criterion/criterion.h>
#include "test_util.h"
#include "kfacts.h"

#define MS (1000000ull)

/* A temporary file holding text, gzip-compressed when gz; its path is
 * written to path (at least 32 bytes). */
static void temp_file(char *path, const char *text, bool gz)
{
	int fd;

	strcpy(path, "/tmp/tcpdwell-kfacts-XXXXXX");
	fd = mkstemp(path);
	cr_assert_geq(fd, 0);
	if (gz) {
		gzFile f = gzdopen(fd, "w");

		cr_assert_not_null(f);
		cr_assert_eq(gzputs(f, text), (int)strlen(text));
		cr_assert_eq(gzclose(f), Z_OK);
	} else {
		cr_assert_eq(write(fd, text, strlen(text)), (ssize_t)strlen(text));
		close(fd);
	}
}

/* Rewrites an existing file in place. */
static void rewrite(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");

	cr_assert_not_null(f);
	fputs(text, f);
	cr_assert_eq(fclose(f), 0);
}

Test(kfacts, kallsyms_line)
{
	cr_expect_eq(td_kallsyms_line_addr("ffffffff81234560 t tw_timer_handler\n", "tw_timer_handler"),
		     0xffffffff81234560ull);
	cr_expect_eq(td_kallsyms_line_addr("ffffffffc0401000 t reqsk_timer_handler\t[tcp]\n", "reqsk_timer_handler"),
		     0xffffffffc0401000ull);
	/* Another symbol, one that only starts alike, hidden, malformed. */
	cr_expect_eq(td_kallsyms_line_addr("ffffffff81234560 t tcp_v4_rcv\n", "tw_timer_handler"), 0);
	cr_expect_eq(td_kallsyms_line_addr("ffffffff81234560 t tw_timer_handler_x\n", "tw_timer_handler"), 0);
	cr_expect_eq(td_kallsyms_line_addr("0000000000000000 t tw_timer_handler\n", "tw_timer_handler"), 0);
	cr_expect_eq(td_kallsyms_line_addr("tw_timer_handler\n", "tw_timer_handler"), 0);
	cr_expect_eq(td_kallsyms_line_addr("", "tw_timer_handler"), 0);
}

Test(kfacts, kallsyms_find_in_one_pass)
{
	static const char text[] =
		"ffffffff81000000 T _stext\n"
		"ffffffff81aa0010 t reqsk_timer_handler\n"
		"ffffffff81bb0020 t tw_timer_handler_not\n"
		"ffffffff81bb0030 t tw_timer_handler\n"
		"ffffffff81cc0000 t tw_timer_handler\n"; /* a later twin is not read */
	const char *const names[] = { "tw_timer_handler", "reqsk_timer_handler", "no_such_symbol" };
	uint64_t addrs[3];
	FILE *f = fmemopen((void *)text, sizeof(text) - 1, "r");

	cr_assert_not_null(f);
	cr_expect_eq(td_kallsyms_find(f, names, addrs, 3), 2);
	fclose(f);
	cr_expect_eq(addrs[0], 0xffffffff81bb0030ull);
	cr_expect_eq(addrs[1], 0xffffffff81aa0010ull);
	cr_expect_eq(addrs[2], 0);
}

Test(kfacts, config_hz_line)
{
	cr_expect_eq(td_config_hz_line("CONFIG_HZ=250\n"), 250);
	cr_expect_eq(td_config_hz_line("CONFIG_HZ=1000"), 1000);
	cr_expect_eq(td_config_hz_line("CONFIG_HZ_250=y\n"), 0);
	cr_expect_eq(td_config_hz_line("# CONFIG_HZ_300 is not set\n"), 0);
	cr_expect_eq(td_config_hz_line("CONFIG_HZ_PERIODIC=y\n"), 0);
	cr_expect_eq(td_config_hz_line("CONFIG_HZ=\n"), 0);
	cr_expect_eq(td_config_hz_line("CONFIG_HZ=25x\n"), 0);
	cr_expect_eq(td_config_hz_line("CONFIG_HZ=-100\n"), 0);
	cr_expect_eq(td_config_hz_line("CONFIG_HZ=0\n"), 0);
	cr_expect_eq(td_config_hz_line("CONFIG_HZ=99999999999999999999\n"), 0);
	cr_expect_eq(td_config_hz_line(" CONFIG_HZ=250\n"), 0);
}

static const char config_text[] =
	"#\n# Automatically generated file; DO NOT EDIT.\n#\n"
	"CONFIG_HZ_PERIODIC=y\n"
	"# CONFIG_HZ_100 is not set\n"
	"CONFIG_HZ_300=y\n"
	"CONFIG_HZ=300\n"
	"CONFIG_SCHED_HRTICK=y\n";

Test(kfacts, config_hz_file_plain_and_gzip)
{
	char plain[32], gz[32], none[32];

	temp_file(plain, config_text, false);
	temp_file(gz, config_text, true);
	temp_file(none, "CONFIG_HZ_300=y\n# CONFIG_HZ is not set\n", true);
	cr_expect_eq(td_config_hz_file(plain), 300);
	cr_expect_eq(td_config_hz_file(gz), 300);
	cr_expect_eq(td_config_hz_file(none), 0);
	cr_expect_eq(td_config_hz_file("/nonexistent/tcpdwell-config"), 0);
	unlink(plain);
	unlink(gz);
	unlink(none);
}

Test(kfacts, hz_round_to_a_usual_value)
{
	static const struct {
		uint64_t jiffies, ns;
		unsigned int hz;
	} cases[] = {
		{ 10, 100 * MS, 100 },  { 11, 100 * MS, 100 },  { 25, 100 * MS, 250 },
		{ 27, 100 * MS, 250 },  { 29, 100 * MS, 300 },  { 30, 100 * MS, 300 },
		{ 100, 100 * MS, 1000 }, { 99, 100 * MS, 1000 }, { 251, 1000 * MS, 250 },
		{ 3001, 10000 * MS, 300 }, { 121, 120 * MS, 1000 },
		/* Nothing usual near: 500 Hz, 50 Hz, 2000 Hz, no time, no ticks. */
		{ 50, 100 * MS, 0 }, { 5, 100 * MS, 0 }, { 200, 100 * MS, 0 }, { 25, 0, 0 },
		{ 0, 100 * MS, 0 },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		cr_expect_eq(td_hz_round(cases[i].jiffies, cases[i].ns), cases[i].hz,
			     "%llu jiffies in %llu ms: got %u, want %u", (unsigned long long)cases[i].jiffies,
			     (unsigned long long)(cases[i].ns / MS), td_hz_round(cases[i].jiffies, cases[i].ns),
			     cases[i].hz);
}

/* The start of a real /proc/timer_list: per-CPU jiffies fields come first. */
static const char timer_list_text[] =
	"Timer List Version: v0.10\n"
	"HRTIMER_MAX_CLOCK_BASES: 8\n"
	"now at 123456789 nsecs\n"
	"  .idle_jiffies   : 4295026146\n"
	"  .last_jiffies   : 4295026148\n"
	"jiffies: 4295026148\n"
	"  .idle_jiffies   : 4295026129\n";

Test(kfacts, timer_list_jiffies)
{
	FILE *f = fmemopen((void *)timer_list_text, sizeof(timer_list_text) - 1, "r");

	cr_assert_not_null(f);
	cr_expect_eq(td_timer_list_jiffies(f), 4295026148ll);
	fclose(f);
	f = fmemopen((void *)"now at 1 nsecs\n", 15, "r");
	cr_assert_not_null(f);
	cr_expect_eq(td_timer_list_jiffies(f), -1);
	fclose(f);
}

Test(kfacts, hz_probe_finishes_on_a_later_call)
{
	struct td_hz_probe p;
	char path[32];

	temp_file(path, "jiffies: 1000\n", false);
	cr_assert_eq(td_hz_probe_start(&p, path, 5 * MS), 0);
	cr_assert(td_hz_probe_running(&p));
	/* Too early: it goes on, whatever the file says meanwhile. */
	rewrite(path, "jiffies: 1012\n");
	cr_expect_eq(td_hz_probe_finish(&p, 55 * MS), 0);
	cr_assert(td_hz_probe_running(&p));
	rewrite(path, "jiffies: 1025\n");
	cr_expect_eq(td_hz_probe_finish(&p, 105 * MS), 250);
	cr_expect_not(td_hz_probe_running(&p));
	cr_expect_eq(td_hz_probe_finish(&p, 205 * MS), -EINVAL);

	/* A rate that is no usual HZ, and jiffies going back: given up. */
	rewrite(path, "jiffies: 1000\n");
	cr_assert_eq(td_hz_probe_start(&p, path, 0), 0);
	rewrite(path, "jiffies: 1050\n");
	cr_expect_eq(td_hz_probe_finish(&p, 100 * MS), -ERANGE);
	cr_expect_not(td_hz_probe_running(&p));
	cr_assert_eq(td_hz_probe_start(&p, path, 0), 0);
	rewrite(path, "jiffies: 10\n");
	cr_expect_eq(td_hz_probe_finish(&p, 100 * MS), -ERANGE);
	unlink(path);
}

Test(kfacts, hz_probe_without_timer_list)
{
	struct td_hz_probe p;
	char path[32];

	cr_expect_eq(td_hz_probe_start(&p, "/nonexistent/timer_list", 0), -ENOENT);
	cr_expect_not(td_hz_probe_running(&p));
	temp_file(path, "no jiffies here\n", false);
	cr_expect_eq(td_hz_probe_start(&p, path, 0), -ENOENT);
	cr_expect_not(td_hz_probe_running(&p));
	/* The file vanishes between the two reads. */
	rewrite(path, "jiffies: 7\n");
	cr_assert_eq(td_hz_probe_start(&p, path, 0), 0);
	unlink(path);
	cr_expect_eq(td_hz_probe_finish(&p, 100 * MS), -ENOENT);
	cr_expect_not(td_hz_probe_running(&p));
}

Test(kfacts, tw_map_clamp)
{
	cr_expect_eq(td_tw_map_clamp(0), 65536);
	cr_expect_eq(td_tw_map_clamp(4096), 65536);
	cr_expect_eq(td_tw_map_clamp(131072), 139264);
	cr_expect_eq(td_tw_map_clamp(262144), 278528);
	cr_expect_eq(td_tw_map_clamp(4000000), 1u << 22);
	cr_expect_eq(td_tw_map_clamp(1ul << 22), 1u << 22);
	cr_expect_eq(td_tw_map_clamp(1ul << 40), 1u << 22);
}
