/* Unit tests of user/series.c: capped labeled series for the exporter. */
#include <errno.h>
#include <criterion/criterion.h>
#include "test_util.h"
#include "hist.h"
#include "series.h"

static struct td_event port_event(uint16_t sport, int oldstate, int newstate, uint64_t dwell)
{
	struct td_event e = make_event(oldstate, newstate, TD_F_DWELL_KNOWN, dwell);

	e.sport = sport;
	return e;
}

Test(series, parse)
{
	enum td_series_kind k = TD_SERIES_OFF;
	unsigned cap = 0;

	cr_assert_eq(td_parse_series("lport", &k, &cap), 0);
	cr_assert(k == TD_SERIES_LPORT && cap == 32);
	cr_assert_eq(td_parse_series("cgroup:5", &k, &cap), 0);
	cr_assert(k == TD_SERIES_CGROUP && cap == 5);
	cr_assert_eq(td_parse_series("lport:1024", &k, &cap), 0);
	cr_assert_eq(cap, 1024);
	k = TD_SERIES_OFF;
	cap = 7;
	cr_assert_eq(td_parse_series("lport:0", &k, &cap), -EINVAL);
	cr_assert_eq(td_parse_series("lport:1025", &k, &cap), -EINVAL);
	cr_assert_eq(td_parse_series("lport:", &k, &cap), -EINVAL);
	cr_assert_eq(td_parse_series("lport:-1", &k, &cap), -EINVAL);
	cr_assert_eq(td_parse_series("lports", &k, &cap), -EINVAL);
	cr_assert_eq(td_parse_series("rport", &k, &cap), -EINVAL);
	cr_assert_eq(td_parse_series("", &k, &cap), -EINVAL);
	cr_assert(k == TD_SERIES_OFF && cap == 7, "outputs changed on error");
}

/* Past the cap, keys go to "other"; each key keeps its own counts. */
Test(series, cap_and_other)
{
	struct td_series s;
	struct td_event e;

	cr_assert_eq(td_series_init(&s, TD_SERIES_LPORT, 2), 0);
	for (int i = 0; i < 3; i++) {
		e = port_event(1001, TD_ESTABLISHED, TD_FIN_WAIT1, 1000000);
		td_series_add(&s, &e, NULL);
	}
	e = port_event(1002, TD_CLOSE_WAIT, TD_LAST_ACK, 2000000);
	td_series_add(&s, &e, NULL);
	e = port_event(1003, TD_ESTABLISHED, TD_FIN_WAIT1, 5000000);
	td_series_add(&s, &e, NULL);
	e = port_event(1004, TD_ESTABLISHED, TD_FIN_WAIT1, 5000000);
	td_series_add(&s, &e, NULL);
	e = port_event(1001, TD_CLOSE, TD_SYN_SENT, 0); /* no dwell, still a transition */
	td_series_add(&s, &e, NULL);
	cr_assert_eq(s.n, 2);
	cr_assert_eq(s.v[0].key, 1001);
	cr_assert_eq(s.v[0].count[TD_ESTABLISHED], 3);
	cr_assert_eq(s.v[0].trans[TD_ESTABLISHED][TD_FIN_WAIT1], 3);
	cr_assert_eq(s.v[0].trans[TD_CLOSE][TD_SYN_SENT], 1);
	cr_assert_eq(s.v[0].count[TD_CLOSE], 0);
	cr_assert_eq(s.v[1].key, 1002);
	cr_assert_eq(s.v[1].count[TD_CLOSE_WAIT], 1);
	cr_assert(s.v[2].other);
	cr_assert_eq(s.v[2].count[TD_ESTABLISHED], 2, "1003 and 1004 under other");
	cr_assert_eq(s.v[2].sum_ns[TD_ESTABLISHED], 10000000);
	td_series_free(&s);
}

/* A series' buckets agree with the totals' rule (td_prom_buckets). */
Test(series, buckets_follow_the_totals_rule)
{
	struct rng r = { 7 };
	struct td_series s;
	struct hist *h = calloc(1, sizeof(*h));
	uint64_t cum[TD_PROM_NBOUNDS + 1], acc = 0;

	cr_assert_not_null(h);
	cr_assert_eq(td_series_init(&s, TD_SERIES_LPORT, 4), 0);
	for (int i = 0; i < 5000; i++) {
		uint64_t v = 1000 + rng_next(&r) % 3000000000ull;
		struct td_event e = port_event(80, TD_ESTABLISHED, TD_FIN_WAIT1, v);

		/* Exactly on and next to bounds, too. */
		if (i % 10 == 0)
			v = e.dwell_ns = td_prom_bounds_ns[i / 10 % TD_PROM_NBOUNDS] + (uint64_t)(i % 3) - 1;
		td_series_add(&s, &e, NULL);
		hist_add(h, v);
	}
	td_prom_buckets(h, cum);
	for (int b = 0; b <= TD_PROM_NBOUNDS; b++) {
		acc += s.v[0].bucket[TD_ESTABLISHED][b];
		cr_assert_eq(acc, cum[b], "bound %d: %llu vs %llu", b, (unsigned long long)acc,
			     (unsigned long long)cum[b]);
	}
	free(h);
	td_series_free(&s);
}

Test(series, render)
{
	struct td_series s;
	struct td_event e;
	struct memout m;
	const char *out;

	cr_assert_eq(td_series_init(&s, TD_SERIES_LPORT, 1), 0);
	e = port_event(8080, TD_ESTABLISHED, TD_FIN_WAIT1, 150000000);
	td_series_add(&s, &e, NULL);
	e = port_event(9090, TD_ESTABLISHED, TD_FIN_WAIT1, 150000000);
	td_series_add(&s, &e, NULL);
	memout_open(&m);
	td_series_render(m.f, &s);
	out = memout_close(&m);
	cr_assert(strstr(out, "# TYPE tcpdwell_lport_state_dwell_seconds histogram\n"), "%s", out);
	cr_assert(strstr(out, "tcpdwell_lport_state_dwell_seconds_bucket{lport=\"8080\",state=\"ESTABLISHED\",le=\"0.1\"} 0\n"), "%s", out);
	cr_assert(strstr(out, "tcpdwell_lport_state_dwell_seconds_bucket{lport=\"8080\",state=\"ESTABLISHED\",le=\"0.25\"} 1\n"), "%s", out);
	cr_assert(strstr(out, "tcpdwell_lport_state_dwell_seconds_bucket{lport=\"other\",state=\"ESTABLISHED\",le=\"+Inf\"} 1\n"), "%s", out);
	cr_assert(strstr(out, "tcpdwell_lport_state_dwell_seconds_count{lport=\"other\",state=\"ESTABLISHED\"} 1\n"), "%s", out);
	cr_assert(strstr(out, "tcpdwell_lport_transitions_total{lport=\"8080\",from=\"ESTABLISHED\",to=\"FIN_WAIT1\"} 1\n"), "%s", out);
	cr_assert_null(strstr(out, "9090"), "a key past the cap got its own label");
	memout_free(&m);
	td_series_free(&s);
}

Test(series, parse_netns_and_container)
{
	enum td_series_kind k = TD_SERIES_OFF;
	unsigned cap = 0;

	cr_assert_eq(td_parse_series("netns", &k, &cap), 0);
	cr_assert(k == TD_SERIES_NETNS && cap == 32);
	cr_assert_eq(td_parse_series("container:3", &k, &cap), 0);
	cr_assert(k == TD_SERIES_CONTAINER && cap == 3);
	cr_assert_eq(td_parse_series("containers", &k, &cap), -EINVAL);
	cr_assert_eq(td_parse_series("net", &k, &cap), -EINVAL);
	cr_assert_eq(td_parse_series("container:0", &k, &cap), -EINVAL);
}

/* Per network namespace: the inode is the label, the cap holds. */
Test(series, netns_cap_and_other)
{
	struct td_series s;
	struct td_event e = make_event(TD_ESTABLISHED, TD_FIN_WAIT1, TD_F_DWELL_KNOWN, 1000000);
	struct memout m;
	const char *out;

	cr_assert_eq(td_series_init(&s, TD_SERIES_NETNS, 2), 0);
	for (uint32_t ns = 4026531840u; ns < 4026531844u; ns++) {
		e.netns = ns;
		td_series_add(&s, &e, NULL);
	}
	memout_open(&m);
	td_series_render(m.f, &s);
	out = memout_close(&m);
	cr_assert(strstr(out, "tcpdwell_netns_transitions_total{netns=\"4026531840\",from=\"ESTABLISHED\",to=\"FIN_WAIT1\"} 1\n"),
		  "%s", out);
	cr_assert(strstr(out, "tcpdwell_netns_transitions_total{netns=\"other\",from=\"ESTABLISHED\",to=\"FIN_WAIT1\"} 2\n"),
		  "%s", out);
	cr_assert_null(strstr(out, "4026531842"), "a namespace past the cap got its own label");
	memout_free(&m);
	td_series_free(&s);
}

/* Per container: the short id and pod UID as labels; the same container
 * from two cgroup ids is one entry; a unit stands in for a container; an
 * unknown cgroup is "-"; a label value is escaped. */
Test(series, container_labels)
{
	struct td_series s;
	struct td_event e = make_event(TD_ESTABLISHED, TD_CLOSE_WAIT, TD_F_DWELL_KNOWN, 1000000);
	struct td_identity k8s, unit;
	struct memout m;
	const char *out;

	td_identity_parse("/kubepods/burstable/pod1b4e28ba-2fa1-11d2-883f-0016d3cca427/"
			  "3f1c2a9b8d7e6f5a4b3c2d1e0f9a8b7c6d5e4f3a2b1c0d9e8f7a6b5c4d3e2f1a", &k8s);
	td_identity_parse("/system.slice/systemd-fsck@dev-disk-by\\x2duuid.service", &unit);
	cr_assert_eq(td_series_init(&s, TD_SERIES_CONTAINER, 3), 0);
	e.cgroup_id = 10;
	td_series_add(&s, &e, &k8s);
	e.cgroup_id = 11;
	td_series_add(&s, &e, &k8s);
	td_series_add(&s, &e, &unit);
	td_series_add(&s, &e, NULL);
	cr_assert_eq(s.n, 3);
	memout_open(&m);
	td_series_render(m.f, &s);
	out = memout_close(&m);
	cr_assert(strstr(out, "tcpdwell_container_transitions_total{container=\"3f1c2a9b8d7e\","
			      "pod_uid=\"1b4e28ba-2fa1-11d2-883f-0016d3cca427\",from=\"ESTABLISHED\",to=\"CLOSE_WAIT\"} 2\n"),
		  "%s", out);
	cr_assert(strstr(out, "tcpdwell_container_transitions_total{container=\"systemd-fsck@dev-disk-by\\\\x2duuid.service\","
			      "from=\"ESTABLISHED\",to=\"CLOSE_WAIT\"} 1\n"), "%s", out);
	cr_assert(strstr(out, "tcpdwell_container_state_dwell_seconds_count{container=\"-\",state=\"ESTABLISHED\"} 1\n"),
		  "%s", out);
	td_series_add(&s, &e, NULL);
	td_identity_parse("/docker/0000000000000000000000000000000000000000000000000000000000000001", &k8s);
	td_series_add(&s, &e, &k8s);
	cr_assert_eq(s.n, 3);
	cr_assert_eq(s.v[3].trans[TD_ESTABLISHED][TD_CLOSE_WAIT], 1, "a fourth container under other");
	memout_free(&m);
	td_series_free(&s);
}
