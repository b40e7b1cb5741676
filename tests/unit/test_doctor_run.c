/* Unit tests of doctor's rules over a run's records (doctor_rules_run.c,
 * doctor_tally.c), its order of findings and both renderers. */
#include <criterion/criterion.h>
#include "test_util.h"
#include "doctor.h"
#include "doctor_fx.h"

#define MS(x) ((uint64_t)(x) * 1000000ull)

static struct fx *fx_new(void)
{
	return doc_fx_new(2000000000ull);
}

/* One record into the run's totals and tallies, as doctor_main feeds them. */
static void feed(struct fx *x, struct td_event e)
{
	e.flags |= TD_F_PID_KNOWN;
	if (!e.pid) {
		e.pid = 4242;
		memcpy(e.comm, "client", 7);
	}
	e.daddr[0] = 127;
	e.daddr[3] = 1;
	e.dport = e.dport ? e.dport : 8080;
	td_agg_add(x->agg, &e);
	td_doc_note_event(&x->ev, &x->th, &e);
}

static struct td_event connect_ev(uint8_t outcome, uint64_t dwell, uint8_t retrans)
{
	struct td_event e = make_event(TD_SYN_SENT, outcome == TD_CONNECT_ESTABLISHED ? TD_ESTABLISHED : TD_CLOSE,
				       TD_F_DWELL_KNOWN, dwell);

	e.connect = outcome;
	e.retrans = retrans;
	return e;
}

Test(doctor_run, slow_connects_at_the_threshold_or_with_a_syn_resent)
{
	struct fx *x = fx_new();
	const struct td_finding *f;

	feed(x, connect_ev(TD_CONNECT_ESTABLISHED, MS(500) - 1, 0));
	cr_expect_null(run_for(x, TD_R_SLOW_CONNECTS));
	feed(x, connect_ev(TD_CONNECT_ESTABLISHED, MS(500), 0));
	feed(x, connect_ev(TD_CONNECT_ESTABLISHED, MS(1), 1));
	f = run_for(x, TD_R_SLOW_CONNECTS);
	cr_assert_not_null(f);
	cr_expect_eq(f->sev, TD_SEV_WARNING);
	cr_expect_eq(evnum(f, "slow"), 2);
	cr_expect_eq(evnum(f, "established"), 3);
	cr_expect_eq(evnum(f, "syn_retransmitted"), 1);
	cr_expect_eq(f->owners[0].pid, 4242);
	cr_expect_eq(f->owners[0].count, 2);
	cr_expect_not_null(strstr(f->action, "127.0.0.1:8080 (2)"), "%s", f->action);
	fx_free(x);
}

Test(doctor_run, connect_failures_count_and_turn_critical)
{
	struct fx *x = fx_new();
	const struct td_finding *f;

	feed(x, connect_ev(TD_CONNECT_ESTABLISHED, MS(1), 0));
	feed(x, connect_ev(TD_CONNECT_ABORTED, MS(1), 0));
	cr_expect_null(run_for(x, TD_R_CONNECT_FAILURES));
	feed(x, connect_ev(TD_CONNECT_REFUSED, MS(1), 0));
	f = run_for(x, TD_R_CONNECT_FAILURES);
	cr_assert_not_null(f);
	cr_expect_eq(f->sev, TD_SEV_WARNING);
	cr_expect_eq(evnum(f, "refused"), 1);
	cr_expect_eq(f->owners[0].count, 1);
	td_doc_threshold_parse(&x->th, "connect_failures_critical=2");
	feed(x, connect_ev(TD_CONNECT_TIMEOUT, MS(3000), 1));
	f = run_for(x, TD_R_CONNECT_FAILURES);
	cr_expect_eq(f->sev, TD_SEV_CRITICAL);
	cr_expect_eq(evnum(f, "timeout"), 1);
	fx_free(x);
}

Test(doctor_run, handshake_failures_from_expired_requests)
{
	struct fx *x = fx_new();
	struct td_event e = make_event(TD_SYN_RECV, TD_CLOSE, TD_F_MINI, MS(3000));

	cr_expect_null(run_for(x, TD_R_HANDSHAKE_FAILURES));
	e.hs_outcome = TD_HS_EXPIRED;
	e.sport = 9000;
	e.saddr[0] = 127;
	e.saddr[3] = 1;
	feed(x, e);
	cr_assert_not_null(run_for(x, TD_R_HANDSHAKE_FAILURES));
	cr_expect_eq(evnum(run_for(x, TD_R_HANDSHAKE_FAILURES), "expired"), 1);
	fx_free(x);
}

Test(doctor_run, accept_queue_overflow_counts_drops_since_the_start)
{
	struct fx *x = fx_new();
	struct td_listener_stat *l = &x->ls.v[0];
	const struct td_finding *f;

	x->ls.n = 1;
	l->family = 4;
	l->addr[0] = 127;
	l->addr[3] = 1;
	l->port = 9000;
	l->base = 5;
	l->drops = 5;
	l->backlog = 2;
	l->max_backlog = 1;
	cr_expect_null(run_for(x, TD_R_ACCEPT_QUEUE_OVERFLOW));
	l->drops = 6;
	f = run_for(x, TD_R_ACCEPT_QUEUE_OVERFLOW);
	cr_assert_not_null(f);
	cr_expect_eq(f->sev, TD_SEV_WARNING);
	cr_expect_eq(evnum(f, "dropped"), 1);
	cr_expect_eq(evnum(f, "accept_queue_max"), 1);
	td_doc_threshold_parse(&x->th, "accept_drops_critical=1");
	cr_expect_eq(run_for(x, TD_R_ACCEPT_QUEUE_OVERFLOW)->sev, TD_SEV_CRITICAL);
	fx_free(x);
}

/* A RST that ends a handshake counts in the listener's sk_drops: that one
 * is no overflow; a second drop is. */
Test(doctor_run, accept_queue_overflow_leaves_out_reset_handshakes)
{
	struct fx *x = fx_new();
	struct td_listener_stat *l = &x->ls.v[0];
	struct td_event e = make_event(TD_SYN_RECV, TD_CLOSE, TD_F_MINI, MS(1));

	x->ls.n = 1;
	l->family = 4;
	l->addr[0] = 127;
	l->addr[3] = 1;
	l->port = 9000;
	l->drops = 1;
	e.hs_outcome = TD_HS_DROPPED;
	e.sport = 9000;
	e.saddr[0] = 127;
	e.saddr[3] = 1;
	feed(x, e);
	cr_expect_null(run_for(x, TD_R_ACCEPT_QUEUE_OVERFLOW));
	l->drops = 2;
	cr_assert_not_null(run_for(x, TD_R_ACCEPT_QUEUE_OVERFLOW));
	cr_expect_eq(evnum(run_for(x, TD_R_ACCEPT_QUEUE_OVERFLOW), "dropped"), 1);
	fx_free(x);
}

Test(doctor_run, slow_accept_on_the_p99)
{
	struct fx *x = fx_new();
	struct td_accept a;

	memset(&a, 0, sizeof(a));
	a.type = TD_REC_ACCEPT;
	a.flags = TD_F_PID_KNOWN | TD_F_DWELL_KNOWN;
	a.sport = 9000;
	a.pid = 7;
	memcpy(a.comm, "server", 7);
	a.wait_ns = MS(50);
	td_agg_add_accept(x->agg, &a);
	td_doc_note_accept(&x->ev, &x->th, &a);
	cr_expect_null(run_for(x, TD_R_SLOW_ACCEPT));
	a.wait_ns = MS(200);
	td_agg_add_accept(x->agg, &a);
	td_doc_note_accept(&x->ev, &x->th, &a);
	cr_assert_not_null(run_for(x, TD_R_SLOW_ACCEPT));
	cr_expect_eq(run_for(x, TD_R_SLOW_ACCEPT)->owners[0].pid, 7);
	cr_expect_eq(run_for(x, TD_R_SLOW_ACCEPT)->owners[0].count, 1);
	fx_free(x);
}

Test(doctor_run, resets_are_info_until_the_threshold)
{
	struct fx *x = fx_new();
	const struct td_finding *f;

	for (int i = 0; i < 9; i++) {
		struct td_event e = make_event(TD_ESTABLISHED, TD_CLOSE, TD_F_DWELL_KNOWN, MS(1));

		e.close = TD_CLOSE_RESET_SENT;
		e.rst_reason = TD_RST_TCP_STATE;
		feed(x, e);
	}
	f = run_for(x, TD_R_RESETS);
	cr_assert_not_null(f);
	cr_expect_eq(f->sev, TD_SEV_INFO);
	cr_expect_not_null(strstr(f->action, "SO_LINGER"), "%s", f->action);
	{
		struct td_event e = make_event(TD_ESTABLISHED, TD_CLOSE, TD_F_DWELL_KNOWN, MS(1));

		e.close = TD_CLOSE_RESET_RECEIVED;
		e.pid = 77;
		memcpy(e.comm, "server", 7);
		feed(x, e);
	}
	f = run_for(x, TD_R_RESETS);
	cr_expect_eq(f->sev, TD_SEV_WARNING);
	cr_expect_eq(evnum(f, "reset_sent"), 9);
	cr_expect_eq(evnum(f, "reset_received"), 1);
	cr_expect_str_eq(f->ev[3].str, "TCP_STATE 9");
	cr_expect_str_eq(f->ev[5].str, "4242/client (9)");
	cr_expect_str_eq(f->ev[6].str, "77/server (1)");
	cr_expect_eq(f->nowners, 2);
	fx_free(x);
}

Test(doctor_run, lost_events_warn_unless_filters_narrow_the_run)
{
	struct fx *x = fx_new();

	cr_expect_null(run_for(x, TD_R_LOST_EVENTS));
	x->in.loss.recursion = 1;
	cr_expect_eq(run_for(x, TD_R_LOST_EVENTS)->sev, TD_SEV_WARNING);
	x->in.filtered = true;
	cr_expect_eq(run_for(x, TD_R_LOST_EVENTS)->sev, TD_SEV_INFO);
	x->in.loss.recursion = 0;
	x->in.loss.no_storage = 5; /* reported with unknown owner, not lost */
	cr_expect_null(run_for(x, TD_R_LOST_EVENTS));
	fx_free(x);
}

Test(doctor_run, most_severe_first_and_fail_on)
{
	struct fx *x = fx_new();

	x->in.loss.ringbuf = 1;                               /* warning */
	feed(x, connect_ev(TD_CONNECT_REFUSED, MS(1), 0));    /* warning */
	td_doc_threshold_parse(&x->th, "connect_failures_critical=1");
	{
		struct td_event e = make_event(TD_ESTABLISHED, TD_CLOSE, 0, 0);

		e.close = TD_CLOSE_RESET_RECEIVED;
		feed(x, e);                                   /* info */
	}
	td_doctor_run(&x->in, &x->th, &x->out);
	cr_assert_eq(x->out.n, 3);
	cr_expect_eq(x->out.v[0].rule, TD_R_CONNECT_FAILURES);
	cr_expect_eq(x->out.v[0].sev, TD_SEV_CRITICAL);
	cr_expect_eq(x->out.v[1].rule, TD_R_LOST_EVENTS);
	cr_expect_eq(x->out.v[2].rule, TD_R_RESETS);
	cr_expect(td_findings_reach(&x->out, TD_SEV_CRITICAL));
	x->out.v[0].sev = TD_SEV_INFO;
	cr_expect_not(td_findings_reach(&x->out, TD_SEV_CRITICAL));
	cr_expect(td_findings_reach(&x->out, TD_SEV_WARNING));
	fx_free(x);
}

Test(doctor_run, tally_keeps_the_first_keys_and_counts_the_rest)
{
	struct td_tally t;
	struct td_tally_item top[3];
	char key[16];

	memset(&t, 0, sizeof(t));
	for (int i = 0; i < TD_TALLY_MAX + 5; i++) {
		snprintf(key, sizeof(key), "k%d", i);
		td_tally_add(&t, (uint32_t)i, key, (uint64_t)(i % 7) + 1);
	}
	td_tally_add(&t, 3, "k3", 100);
	cr_expect_eq(t.n, TD_TALLY_MAX);
	cr_expect_eq(t.other, 2 + 3 + 4 + 5 + 6); /* i = 64..68: i % 7 + 1 */
	cr_assert_eq(td_tally_top(&t, top, 3), 3);
	cr_expect_eq(top[0].pid, 3);
	cr_expect_eq(top[0].count, 104);
	cr_expect_eq(top[1].count, 7);
	cr_expect_eq(top[1].pid, 6); /* the first of the sevens */
}

/* ---- renderers ---- */

static void some_findings(struct fx *x)
{
	x->in.loss.ringbuf = 2;
	feed(x, connect_ev(TD_CONNECT_REFUSED, MS(1), 0));
	td_doctor_run(&x->in, &x->th, &x->out);
	cr_assert_eq(x->out.n, 2);
}

Test(doctor_run, json_lines_per_finding_then_the_summary)
{
	struct fx *x = fx_new();
	struct td_doc_render r = { .duration_ns = 2000000000ull, .nsocks = 3, .events = 9 };
	struct memout m;
	char *copy, *lines[8], raw[64];
	size_t n;

	some_findings(x);
	memout_open(&m);
	td_doctor_render_json(m.f, &x->out, &r);
	n = split_lines(memout_close(&m), &copy, lines, N(lines));
	cr_assert_eq(n, 3);
	for (size_t i = 0; i < n; i++)
		cr_expect(json_is_object(lines[i]), "not one JSON object: %s", lines[i]);
	cr_expect_not_null(strstr(lines[0], "{\"type\":\"finding\",\"severity\":\"warning\",\"id\":\"connect_failures\","
					    "\"title\":\"1 failed connect: 1 refused"), "%s", lines[0]);
	cr_expect_eq(json_u64(lines[0], "refused"), 1);
	cr_expect_not_null(strstr(lines[0], "\"top_peer\":\"127.0.0.1:8080 (1)\""));
	cr_expect_not_null(strstr(lines[0], "\"owners\":[{\"pid\":4242,\"comm\":\"client\",\"container\":null,"
					    "\"count\":1}]"), "%s", lines[0]);
	cr_expect_not_null(strstr(lines[0], "\"meaning\":\""));
	cr_expect_not_null(strstr(lines[0], "\"action\":\"Refused: nothing listens at 127.0.0.1:8080"));
	cr_expect_not_null(strstr(lines[1], "\"id\":\"lost_events\""));
	cr_expect_not_null(strstr(lines[2], "{\"type\":\"doctor_summary\",\"findings\":2,\"checked\":["
					    "\"close_wait_leak\",\"time_wait_pressure\","), "%s", lines[2]);
	cr_expect_not_null(strstr(lines[2], "\"lost_events\"],\"duration_s\":2.0,"));
	cr_assert(json_raw(lines[2], "sockets", raw, sizeof(raw)));
	cr_expect_str_eq(raw, "3");
	free(copy);
	memout_free(&m);
	fx_free(x);
}

Test(doctor_run, text_groups_by_severity_and_colours_only_when_asked)
{
	struct fx *x = fx_new();
	struct td_doc_render r = { .duration_ns = 2000000000ull, .nsocks = 3, .events = 9, .lost = 2 };
	struct memout m;
	const char *out;

	some_findings(x);
	memout_open(&m);
	td_doctor_render_text(m.f, &x->out, &r);
	out = memout_close(&m);
	cr_expect_eq(strncmp(out, "tcpdwell doctor: 2 findings (0 critical, 2 warning, 0 info) after 2s, 3 sockets "
				  "and 9 transitions (2 lost)\nchecked: close_wait_leak, ", 110), 0, "%s", out);
	cr_expect_not_null(strstr(out, "\nWARNING   [connect_failures] 1 failed connect: 1 refused"), "%s", out);
	cr_expect_not_null(strstr(out, "\n  who       4242/client (1)\n"), "%s", out);
	cr_expect_not_null(strstr(out, "\n  evidence  refused 1, timeout 0,"), "%s", out);
	cr_expect_null(strchr(out, '\033'));
	memout_free(&m);
	r.color = true;
	memout_open(&m);
	td_doctor_render_text(m.f, &x->out, &r);
	out = memout_close(&m);
	cr_expect_not_null(strstr(out, "\033[1;33mWARNING  \033[0m [connect_failures]"), "%s", out);
	memout_free(&m);
	fx_free(x);
}

Test(doctor_run, a_healthy_run_is_one_line_with_what_was_checked)
{
	struct fx *x = fx_new();
	struct td_doc_render r = { .duration_ns = 10000000000ull, .nsocks = 12, .events = 40 };
	struct memout m;
	const char *out;

	td_doctor_run(&x->in, &x->th, &x->out);
	cr_assert_eq(x->out.n, 0);
	memout_open(&m);
	td_doctor_render_text(m.f, &x->out, &r);
	out = memout_close(&m);
	cr_expect_str_eq(out, "tcpdwell doctor: healthy: no findings after 10s, 12 sockets and 40 transitions "
			      "(0 lost); checked close_wait_leak, time_wait_pressure, tw_bucket_limit, slow_connects, "
			      "connect_failures, handshake_failures, accept_queue_overflow, slow_accept, "
			      "fin_wait2_stuck, unacked_fin, orphans, resets, lost_events\n");
	memout_free(&m);
	fx_free(x);
}
