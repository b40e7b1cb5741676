/* Unit tests of user/filter.c: td_filter_pass against a table of events,
 * each knob on and off, filters built from a td_config by the real option
 * parsers; the config's fields and -c's path; the store into knobs. */
#include <errno.h>
#include <limits.h>
#include <arpa/inet.h>
#include <sys/stat.h>
#include <criterion/criterion.h>
#include "test_util.h"
#include "filter.h"
#include "opts.h"
#include "pins.h"

/* 10.1.2.3:8080 -> 192.168.0.9:40000, owner 42 in cgroup 777, ESTABLISHED
 * -> FIN_WAIT1. */
static struct td_event base_event(void)
{
	struct td_event e = make_event(TD_ESTABLISHED, TD_FIN_WAIT1, TD_F_PID_KNOWN | TD_F_DWELL_KNOWN, 1000);

	inet_pton(AF_INET, "10.1.2.3", e.saddr);
	inet_pton(AF_INET, "192.168.0.9", e.daddr);
	e.sport = 8080;
	e.dport = 40000;
	e.pid = 42;
	e.cgroup_id = 777;
	return e;
}

static void v6(struct td_event *e)
{
	e->family = 6;
	inet_pton(AF_INET6, "fe80::1", e->saddr);
	inet_pton(AF_INET6, "2001:db8::9", e->daddr);
}
static void owner_unknown(struct td_event *e) { e->flags &= (__u8)~TD_F_PID_KNOWN; }
static void other_owner(struct td_event *e) { e->pid = 43; }
static void cgroup_unknown(struct td_event *e) { e->cgroup_id = 0; }
static void port_unknown(struct td_event *e) { e->sport = 0; }

struct fcase {
	const char *what;
	int family;
	const char *lports, *rports, *ports; /* -L, -D, -P */
	const char *laddr, *raddr;           /* -A, -R */
	uint32_t tgid;
	uint64_t cgroup;
	const char *states;
	void (*ev)(struct td_event *e);      /* NULL: the base event */
	bool pass;
};

static const struct fcase cases[] = {
	{ "no filter", .pass = true },
	{ "no filter, v6", .ev = v6, .pass = true },
	{ "-4", .family = 4, .pass = true },
	{ "-6 on v4", .family = 6, .pass = false },
	{ "-6 on v6", .family = 6, .ev = v6, .pass = true },
	{ "-L local port", .lports = "80,8000-8090", .pass = true },
	{ "-L other port", .lports = "80", .pass = false },
	{ "-L the remote port", .lports = "40000", .pass = false },
	{ "-L, local port not known", .lports = "8080", .ev = port_unknown, .pass = false },
	{ "-D remote port", .rports = "40000", .pass = true },
	{ "-D the local port", .rports = "8080", .pass = false },
	{ "-P local side", .ports = "8080", .pass = true },
	{ "-P remote side", .ports = "40000", .pass = true },
	{ "-P neither", .ports = "443", .pass = false },
	{ "-L and -D", .lports = "8080", .rports = "40000", .pass = true },
	{ "-L and wrong -D", .lports = "8080", .rports = "40001", .pass = false },
	{ "-A net", .laddr = "10.0.0.0/8", .pass = true },
	{ "-A host", .laddr = "10.1.2.3", .pass = true },
	{ "-A other net", .laddr = "11.0.0.0/8", .pass = false },
	{ "-A v4 on v6", .laddr = "10.0.0.0/8", .ev = v6, .pass = false },
	{ "-A v6 on v6", .laddr = "fe80::/10", .ev = v6, .pass = true },
	{ "-A other v6 net", .laddr = "2001:db8::/32", .ev = v6, .pass = false },
	{ "-A v6 on v4", .laddr = "::/0", .pass = false },
	{ "-R net", .raddr = "192.168.0.0/16", .pass = true },
	{ "-R other net", .raddr = "192.168.1.0/24", .pass = false },
	{ "-R the local address", .raddr = "10.1.2.3", .pass = false },
	{ "-R v6", .raddr = "2001:db8::/32", .ev = v6, .pass = true },
	{ "-p owner", .tgid = 42, .pass = true },
	{ "-p other owner", .tgid = 42, .ev = other_owner, .pass = false },
	{ "-p owner not known", .tgid = 42, .ev = owner_unknown, .pass = false },
	{ "no -p, owner not known", .ev = owner_unknown, .pass = true },
	{ "-c cgroup", .cgroup = 777, .pass = true },
	{ "-c other cgroup", .cgroup = 778, .pass = false },
	{ "-c cgroup not known", .cgroup = 777, .ev = cgroup_unknown, .pass = false },
	{ "no -c, cgroup not known", .ev = cgroup_unknown, .pass = true },
	{ "-s old state", .states = "ESTABLISHED", .pass = true },
	{ "-s new state", .states = "FIN_WAIT1", .pass = true },
	{ "-s neither state", .states = "CLOSE_WAIT,TIME_WAIT", .pass = false },
	{ "all on", 4, "8080", "40000", "8080", "10.0.0.0/8", "192.168.0.9", 42, 777, "FIN_WAIT1", NULL, true },
	{ "all on but the state", 4, "8080", "40000", "8080", "10.0.0.0/8", "192.168.0.9", 42, 777, "LISTEN",
	  NULL, false },
	{ "all on but the owner", 4, "8080", "40000", "8080", "10.0.0.0/8", "192.168.0.9", 42, 777, "FIN_WAIT1",
	  other_owner, false },
};

/* The case's options as the parser would leave them in a config. */
static void case_config(struct td_config *cfg, const struct fcase *c)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->family = c->family;
	cfg->pid = c->tgid;
	if (c->lports) {
		cr_assert_eq(td_parse_port_list(c->lports, cfg->port_filter, TD_PORT_LOCAL), 0);
		cfg->filter_lport = true;
	}
	if (c->rports) {
		cr_assert_eq(td_parse_port_list(c->rports, cfg->port_filter, TD_PORT_REMOTE), 0);
		cfg->filter_rport = true;
	}
	if (c->ports) {
		cr_assert_eq(td_parse_port_list(c->ports, cfg->port_filter, TD_PORT_EITHER), 0);
		cfg->filter_either = true;
	}
	if (c->laddr)
		cr_assert_eq(td_parse_cidr(c->laddr, &cfg->laddr), 0);
	if (c->raddr)
		cr_assert_eq(td_parse_cidr(c->raddr, &cfg->raddr), 0);
	if (c->states)
		cr_assert_eq(td_parse_state_list(c->states, &cfg->state_mask), 0);
}

Test(filter, pass_table)
{
	static struct td_config cfg;

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const struct fcase *c = &cases[i];
		struct td_event e = base_event();
		struct td_filter f;

		case_config(&cfg, c);
		cr_assert_eq(td_filter_from_config(&f, &cfg), 0);
		f.cgroup_id = c->cgroup; /* -c's id, as td_cgroup_id would give it */
		if (c->ev)
			c->ev(&e);
		cr_expect_eq(td_filter_pass(&f, cfg.port_filter, &e), c->pass, "%s: expected %s", c->what,
			     c->pass ? "pass" : "filtered out");
	}
}

/* A timewait sock's end as the sweep builds it: TIME_WAIT -> CLOSE passes
 * a -s TIME_WAIT filter on its old state, and -s CLOSE on its new one. */
Test(filter, states_on_old_or_new)
{
	static struct td_config cfg;
	struct td_event e = base_event();
	struct td_filter f;

	e.oldstate = TD_TIME_WAIT;
	e.newstate = TD_CLOSE;
	for (int s = 1; s < TD_MAX_STATES; s++) {
		memset(&cfg, 0, sizeof(cfg));
		cfg.state_mask = 1u << s;
		cr_assert_eq(td_filter_from_config(&f, &cfg), 0);
		cr_expect_eq(td_filter_pass(&f, cfg.port_filter, &e), s == TD_TIME_WAIT || s == TD_CLOSE,
			     "state %d", s);
	}
}

Test(filter, from_config_copies_every_field)
{
	static struct td_config cfg;
	struct td_filter f;

	memset(&cfg, 0, sizeof(cfg));
	cfg.family = 6;
	cfg.pid = 1234;
	cfg.state_mask = 1u << TD_LISTEN;
	cfg.netns = 4026532301u;
	cfg.filter_lport = cfg.filter_rport = cfg.filter_either = true;
	cr_assert_eq(td_parse_cidr("2001:db8::/48", &cfg.laddr), 0);
	cr_assert_eq(td_parse_cidr("::1", &cfg.raddr), 0);
	memset(&f, 0x5a, sizeof(f));
	cr_assert_eq(td_filter_from_config(&f, &cfg), 0);
	cr_expect_eq(f.family, 6);
	cr_expect_eq(f.tgid, 1234);
	cr_expect_eq(f.states, 1u << TD_LISTEN);
	cr_expect(f.lport && f.rport && f.either);
	cr_expect_eq(memcmp(&f.laddr, &cfg.laddr, sizeof(f.laddr)), 0);
	cr_expect_eq(memcmp(&f.raddr, &cfg.raddr, sizeof(f.raddr)), 0);
	cr_expect_eq(f.cgroup_id, 0);
	cr_expect_eq(f.netns, 4026532301u);
}

/* -N passes the events, and covers the snapshot records, of its namespace
 * only; without it every namespace passes. */
Test(filter, netns_rule)
{
	static struct td_config cfg;
	struct td_event e = { .family = 4, .oldstate = TD_ESTABLISHED, .newstate = TD_CLOSE_WAIT, .netns = 7 };
	struct td_snap sn = { .family = 4, .state = TD_CLOSE_WAIT, .netns = 7 };
	struct td_filter f;
	char words[TD_FILTERS_LEN];

	memset(&cfg, 0, sizeof(cfg));
	cr_assert_eq(td_filter_from_config(&f, &cfg), 0);
	cr_expect(td_filter_pass(&f, cfg.port_filter, &e));
	cr_expect(td_filter_covers(&f, cfg.port_filter, &sn));
	cfg.netns = 8;
	cr_assert_eq(td_filter_from_config(&f, &cfg), 0);
	cr_expect_not(td_filter_pass(&f, cfg.port_filter, &e));
	cr_expect_not(td_filter_covers(&f, cfg.port_filter, &sn));
	e.netns = sn.netns = 8;
	cr_expect(td_filter_pass(&f, cfg.port_filter, &e));
	cr_expect(td_filter_covers(&f, cfg.port_filter, &sn));
	td_filter_describe(&cfg, words, sizeof(words));
	cr_expect_str_eq(words, "-N 8");
}

/* Where cgroup2 is mounted, or NULL. */
static const char *cgroup2_mount(char *dir, size_t len)
{
	char dev[256], path[PATH_MAX], type[64];
	FILE *m = fopen("/proc/self/mounts", "r");
	const char *found = NULL;

	if (!m)
		return NULL;
	while (!found && fscanf(m, "%255s %4095s %63s %*[^\n]", dev, path, type) == 3)
		if (strcmp(type, "cgroup2") == 0 && strlen(path) < len)
			found = strcpy(dir, path);
	fclose(m);
	return found;
}

Test(filter, cgroup_path_must_be_a_cgroup2_directory)
{
	static struct td_config cfg;
	char root[PATH_MAX], file[PATH_MAX + 32];
	struct td_filter f;
	struct stat st;
	uint64_t id;

	cr_expect_eq(td_cgroup_id("/nonexistent/tcpdwell-cgroup", &id), -ENOENT);
	cr_expect_eq(td_cgroup_id("/proc", &id), -EMEDIUMTYPE);
	memset(&cfg, 0, sizeof(cfg));
	cfg.cgroup_path = "/proc";
	cr_expect_eq(td_filter_from_config(&f, &cfg), -EMEDIUMTYPE);
	if (!cgroup2_mount(root, sizeof(root)))
		cr_skip_test("no cgroup2 mount to try a good path on");
	cr_assert_eq(stat(root, &st), 0);
	cfg.cgroup_path = root;
	cr_assert_eq(td_filter_from_config(&f, &cfg), 0);
	cr_expect_eq(f.cgroup_id, (uint64_t)st.st_ino);
	snprintf(file, sizeof(file), "%s/cgroup.procs", root);
	cr_expect_eq(td_cgroup_id(file, &id), -ENOTDIR);
}

Test(filter, store_into_knobs)
{
	static uint8_t ports[TD_PORT_TABLE], knob_ports[TD_PORT_TABLE];
	static volatile struct td_filter knob;
	struct td_filter f = { .family = 4, .tgid = 7, .cgroup_id = 9, .either = 1 };

	ports[443] = TD_PORT_EITHER;
	memset(knob_ports, 0xff, sizeof(knob_ports));
	td_filter_store(&knob, knob_ports, &f, ports);
	cr_expect_eq(memcmp((const void *)&knob, &f, sizeof(f)), 0);
	cr_expect_eq(memcmp(knob_ports, ports, sizeof(ports)), 0);
}

/* Parses "tcpdwell ARGS..." (space-separated) into cfg. */
static void parse_line(struct td_config *cfg, const char *line)
{
	static char bufs[4][512]; /* cfg keeps pointers into them */
	static unsigned next;
	char *buf = bufs[next++ % 4], *argv[64], *save = NULL;
	int argc = 0;

	snprintf(buf, 512, "%s", line);
	for (char *w = strtok_r(buf, " ", &save); w; w = strtok_r(NULL, " ", &save))
		argv[argc++] = w;
	argv[argc] = NULL;
	memset(cfg, 0, sizeof(*cfg));
	cr_assert_eq(td_parse_args(cfg, argc, argv, stdout, stderr), 0, "%s", line);
}

/* The words a tracer leaves for the snapshot read back into the filters it
 * runs with: the same struct td_filter, port table and -T. */
Test(filter, describe_reads_back)
{
	static const struct {
		const char *line, *want;
	} cases[] = {
		{ "tcpdwell", "" },
		{ "tcpdwell -P 47119,47118", "-P 47118,47119" },
		{ "tcpdwell -T -L 80,443,8000-8010 -D 22", "-L 80,443,8000-8010 -D 22 -T" },
		{ "tcpdwell -6 -A 2001:db8::/32 -R ::1 -s close-wait,LAST_ACK -p 42", "-6 -A 2001:db8::/32 -R ::1/128 "
										   "-p 42 -s CLOSE_WAIT,LAST_ACK" },
		{ "tcpdwell -4 -R 10.1.2.0/24 -c /sys/fs/cgroup/x -P 65535", "-4 -P 65535 -R 10.1.2.0/24 -c "
									     "/sys/fs/cgroup/x" },
	};
	static struct td_config a, b;

	for (size_t i = 0; i < N(cases); i++) {
		char words[512], line[600];
		struct td_filter fa, fb;

		parse_line(&a, cases[i].line);
		td_filter_describe(&a, words, sizeof(words));
		cr_expect_str_eq(words, cases[i].want);
		snprintf(line, sizeof(line), "tcpdwell %s", words);
		parse_line(&b, line);
		a.cgroup_path = b.cgroup_path = NULL;
		cr_assert_eq(td_filter_from_config(&fa, &a), 0);
		cr_assert_eq(td_filter_from_config(&fb, &b), 0);
		cr_expect_eq(memcmp(&fa, &fb, sizeof(fa)), 0, "%s", words);
		cr_expect_eq(memcmp(a.port_filter, b.port_filter, TD_PORT_TABLE), 0, "%s", words);
		cr_expect_eq(a.timers, b.timers, "%s", words);
	}
}

/* Which sockets a tracer times: its tuple filters only. */
Test(filter, covers_the_tuple_only)
{
	static struct td_config cfg;
	struct td_filter f;
	struct td_snap s;

	parse_line(&cfg, "tcpdwell -P 47118,47119 -A 127.0.0.0/8 -p 42 -s CLOSE_WAIT");
	cr_assert_eq(td_filter_from_config(&f, &cfg), 0);
	memset(&s, 0, sizeof(s));
	s.family = 4;
	s.state = TD_CLOSE_WAIT;
	s.saddr[0] = 127;
	s.sport = 47120;
	s.dport = 40000;
	cr_expect_not(td_filter_covers(&f, cfg.port_filter, &s));
	s.dport = 47119;
	cr_expect(td_filter_covers(&f, cfg.port_filter, &s)); /* -p and -s do not matter */
	s.saddr[0] = 10;
	cr_expect_not(td_filter_covers(&f, cfg.port_filter, &s));
	s.family = 6;
	cr_expect_not(td_filter_covers(&f, cfg.port_filter, &s));
}
