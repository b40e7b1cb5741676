/* Unit tests of the accept-queue wait: the decoder (user/record.c), the
 * per-port aggregate with its cap (user/acceptq.c, agg.c), and its text,
 * JSON and Prometheus forms. */
#include <criterion/criterion.h>
#include "test_util.h"
#include "prom.h"
#include "record.h"
#include "render.h"

static const struct td_render_opts opts = { 0 };

static struct td_accept make_accept(int family, uint16_t lport, uint16_t rport, bool known, uint64_t wait_ns)
{
	struct td_accept r;

	memset(&r, 0, sizeof(r));
	r.type = TD_REC_ACCEPT;
	r.family = (uint8_t)family;
	r.flags = TD_F_PID_KNOWN | (known ? TD_F_DWELL_KNOWN : 0);
	r.sport = lport;
	r.dport = rport;
	r.pid = 4242;
	r.netns = 4026531840u;
	r.ts_ns = 1000000000ull;
	r.wait_ns = wait_ns;
	r.cgroup_id = 7;
	memcpy(r.comm, "server", 7);
	if (family == 4) {
		r.saddr[0] = r.daddr[0] = 127;
		r.saddr[3] = r.daddr[3] = 1;
	} else {
		r.saddr[15] = r.daddr[15] = 1;
	}
	return r;
}

Test(accept, decoder_takes_good_records_rejects_short_and_unknown)
{
	struct td_accept r = make_accept(4, 8080, 50000, true, 5);
	struct td_accept *p = malloc(sizeof(*p));
	struct td_event e = make_event(TD_SYN_SENT, TD_ESTABLISHED, 0, 0);

	cr_assert_not_null(p);
	memcpy(p, &r, sizeof(*p));
	cr_expect_eq(td_decode_accept(p, sizeof(*p)), p);
	cr_expect_eq(td_record_type(p, sizeof(*p)), TD_REC_ACCEPT);
	/* short: every length below the record's, in an exact-size block */
	for (size_t len = 0; len < sizeof(*p); len++)
		cr_expect_null(td_decode_accept(p, len), "%zu bytes decoded", len);
	cr_expect_eq(td_record_type(p, 0), 0);
	cr_expect_null(td_decode_accept(NULL, sizeof(*p)));
	/* a transition is not an accept, nor an accept a transition */
	cr_expect_null(td_decode_accept(&e, sizeof(e)));
	cr_expect_null(td_decode(p, sizeof(*p)));
	p->type = 99;
	cr_expect_null(td_decode_accept(p, sizeof(*p)));
	p->type = TD_REC_ACCEPT;
	p->family = 5;
	cr_expect_null(td_decode_accept(p, sizeof(*p)));
	free(p);
}

/* Ports past TD_ACCEPT_PORTS count under "other"; known waits in the
 * histogram, unknown ones beside it. */
Test(accept, ports_are_capped_the_rest_is_other)
{
	struct td_agg *a = new_agg();

	for (unsigned i = 0; i < TD_ACCEPT_PORTS + 4; i++) {
		struct td_accept r = make_accept(4, (uint16_t)(1000 + i), 50000, true, 1000 * (i + 1));

		td_agg_add_accept(a, &r);
		td_agg_add_accept(a, &r);
	}
	cr_assert_eq(a->accept.n, TD_ACCEPT_PORTS);
	for (unsigned i = 0; i < TD_ACCEPT_PORTS; i++) {
		cr_expect_eq(a->accept.port[i].port, 1000 + i);
		cr_expect_eq(a->accept.port[i].h.count, 2);
	}
	cr_expect_eq(a->accept.other.h.count, 8);
	cr_expect_eq(a->accept.other.port, 0);
	{
		struct td_accept r = make_accept(6, 1000, 1, false, 0);

		td_agg_add_accept(a, &r);
		cr_expect_eq(a->accept.port[0].unknown, 1);
		cr_expect_eq(a->accept.port[0].h.count, 2);
	}
	free(a);
}

/* Merge and delta go port by port, whatever order each side met them in. */
Test(accept, merge_and_delta_by_port)
{
	struct td_agg *x = new_agg(), *y = new_agg(), *d = new_agg();
	struct td_accept r80 = make_accept(4, 80, 1, true, 2000), r443 = make_accept(4, 443, 1, true, 3000);
	struct td_port_wait all;

	td_agg_add_accept(x, &r80);
	td_agg_add_accept(y, &r443);
	td_agg_add_accept(y, &r80);
	td_agg_add_accept(y, &r80);
	td_agg_merge(y, x); /* y: 443 x1, 80 x3 */
	cr_assert_eq(y->accept.n, 2);
	cr_expect_eq(td_accept_slot(&y->accept, 80)->h.count, 3);
	cr_expect_eq(td_accept_slot(&y->accept, 443)->h.count, 1);
	td_agg_delta(d, y, x); /* minus 80 x1 */
	cr_expect_eq(td_accept_slot(&d->accept, 80)->h.count, 2);
	cr_expect_eq(td_accept_slot(&d->accept, 443)->h.count, 1);
	cr_expect_eq(td_accept_slot(&d->accept, 443)->h.sum, 3000);
	td_accept_total(&y->accept, &all);
	cr_expect_eq(all.h.count, 4);
	free(x);
	free(y);
	free(d);
}

static char *render_accept(const struct td_accept *r, bool json)
{
	struct memout m;

	memout_open(&m);
	if (json)
		td_render_accept_json(m.f, &opts, r, NULL);
	else
		td_render_accept_text(m.f, &opts, r);
	memout_close(&m);
	return m.buf;
}

Test(accept, event_line_and_object)
{
	struct td_accept r = make_accept(4, 8080, 50123, true, 250112000);
	struct td_accept u = make_accept(6, 8443, 50124, false, 0);
	char *text = render_accept(&r, false), *json = render_accept(&r, true);
	char *ujson = render_accept(&u, true), *utext = render_accept(&u, false);

	cr_expect(strstr(text, " 4242    server           127.0.0.1       8080  127.0.0.1       50123 ACCEPT"),
		  "%s", text);
	cr_expect(strstr(text, " 250.112\n"), "%s", text);
	cr_expect(json_is_object(json), "%s", json);
	cr_expect(strstr(json, "{\"type\":\"accept\",\"time_ns\":1000000000,\"pid\":4242,\"comm\":\"server\","
			 "\"family\":4,\"saddr\":\"127.0.0.1\",\"sport\":8080,\"daddr\":\"127.0.0.1\",\"dport\":50123,"
			 "\"wait_ns\":250112000,"), "%s", json);
	cr_expect(json_is_object(ujson), "%s", ujson);
	cr_expect(strstr(ujson, "\"family\":6,\"saddr\":\"::1\",\"sport\":8443,"), "%s", ujson);
	cr_expect(strstr(ujson, "\"wait_ns\":null"), "%s", ujson);
	cr_expect(strstr(utext, "ACCEPT") && strstr(utext, " -\n"), "%s", utext);
	free(text);
	free(json);
	free(ujson);
	free(utext);
}

/* 3 accepts on :8080 (1 unknown), one on each of 16 more ports: the
 * last is past the cap. */
static struct td_agg *report_agg(void)
{
	struct td_agg *a = new_agg();
	struct td_accept r = make_accept(4, 8080, 1, true, 9000000), u = make_accept(4, 8080, 2, false, 0);

	td_agg_add_accept(a, &r);
	td_agg_add_accept(a, &r);
	td_agg_add_accept(a, &u);
	for (unsigned i = 0; i < TD_ACCEPT_PORTS; i++) {
		struct td_accept o = make_accept(6, (uint16_t)(9000 + i), 1, true, 20000000);

		td_agg_add_accept(a, &o);
	}
	return a;
}

Test(accept, report_histogram_per_port)
{
	struct td_agg *a = report_agg();
	struct td_loss l = { 0 };
	struct memout text, json;
	char *copy, *lines[256];
	size_t n, found = 0;

	memout_open(&text);
	td_render_report_text(text.f, a, &l, 0);
	memout_close(&text);
	cr_expect(strstr(text.buf, "\nACCEPT WAIT :8080 count 2  p50 9ms  p90 9ms  p99 9ms  max 9ms  "
			 "(+1 of unknown dwell)\n"), "%s", text.buf);
	cr_expect(strstr(text.buf, "\nACCEPT WAIT other count 1  p50 20ms"), "%s", text.buf);
	cr_expect(!strstr(text.buf, "no dwell times yet"), "%s", text.buf);
	memout_open(&json);
	td_render_report_json(json.f, a, &l, 0, 0);
	memout_close(&json);
	n = split_lines(json.buf, &copy, lines, 256);
	for (size_t i = 0; i < n; i++) {
		if (!strstr(lines[i], "\"type\":\"accept_wait\""))
			continue;
		cr_expect(json_is_object(lines[i]), "%s", lines[i]);
		found++;
	}
	cr_expect_eq(found, TD_ACCEPT_PORTS + 1, "%s", json.buf);
	cr_expect(strstr(json.buf, "{\"type\":\"accept_wait\",\"port\":8080,\"count\":2,\"unknown\":1,\"min_ns\":9000000,"),
		  "%s", json.buf);
	cr_expect(strstr(json.buf, "{\"type\":\"accept_wait\",\"port\":\"other\",\"count\":1,\"unknown\":0,"), "%s",
		  json.buf);
	free(copy);
	memout_free(&text);
	memout_free(&json);
	free(a);
}

static char *prom(const struct td_agg *a, bool by_port)
{
	struct td_loss l = { 0 };
	struct td_prom_input in = { .version = "t", .agg = a, .loss = &l, .accept_by_port = by_port };
	struct memout m;

	memout_open(&m);
	td_prom_render(m.f, &in);
	memout_close(&m);
	return m.buf;
}

Test(accept, prometheus_one_series_or_per_port)
{
	struct td_agg *a = report_agg();
	char *one = prom(a, false), *per = prom(a, true);
	struct td_agg *empty = new_agg();
	char *none = prom(empty, false);

	cr_expect(strstr(one, "# TYPE tcpdwell_accept_wait_seconds histogram\n"), "%s", one);
	cr_expect(strstr(one, "\ntcpdwell_accept_wait_seconds_bucket{le=\"0.01\"} 2\n"), "%s", one);
	cr_expect(strstr(one, "\ntcpdwell_accept_wait_seconds_bucket{le=\"+Inf\"} 18\n"), "%s", one);
	cr_expect(strstr(one, "\ntcpdwell_accept_wait_seconds_count 18\n"), "%s", one);
	cr_expect(strstr(one, "\ntcpdwell_accept_wait_seconds_sum 0.338\n"), "%s", one);
	cr_expect(!strstr(one, "port=\""), "labels without --prometheus-by lport");
	cr_expect(strstr(per, "\ntcpdwell_accept_wait_seconds_bucket{port=\"8080\",le=\"0.01\"} 2\n"), "%s", per);
	cr_expect(strstr(per, "\ntcpdwell_accept_wait_seconds_count{port=\"8080\"} 2\n"), "%s", per);
	cr_expect(strstr(per, "\ntcpdwell_accept_wait_seconds_count{port=\"other\"} 1\n"), "%s", per);
	cr_expect(strstr(per, "\ntcpdwell_accept_wait_seconds_sum{port=\"9000\"} 0.02\n"), "%s", per);
	/* present from the first scrape, at zero */
	cr_expect(strstr(none, "\ntcpdwell_accept_wait_seconds_count 0\n"), "%s", none);
	free(one);
	free(per);
	free(none);
	free(a);
	free(empty);
}
