/* Unit tests of doctor's rule engine (user/doctor_*.c): thresholds and
 * their parsing, and every rule at the edges of its thresholds. */
#include <criterion/criterion.h>
#include "test_util.h"
#include "doctor.h"
#include "doctor_fx.h"

#define S(x) ((uint64_t)(x) * 1000000000ull)
#define MS(x) ((uint64_t)(x) * 1000000ull)

/* A 10 s run in a namespace whose port range is 40000-40099 and whose
 * tcp_fin_timeout is 60 s. */
static struct fx *fx_new(void)
{
	struct fx *x = doc_fx_new(S(10));

	x->in.sys.v[TD_SC_PORT_RANGE] = 40000;
	x->in.sys.port_hi = 40099;
	x->in.sys.known[TD_SC_PORT_RANGE] = true;
	x->in.sys.v[TD_SC_FIN_TIMEOUT] = 60;
	x->in.sys.known[TD_SC_FIN_TIMEOUT] = true;
	return x;
}

static struct td_doc_sock *sock(struct fx *x, int state, uint64_t age_ns, uint32_t pid, const char *comm)
{
	struct td_doc_sock *s = &x->socks[x->in.nsocks++];

	memset(s, 0, sizeof(*s));
	s->state = (uint8_t)state;
	s->family = 4;
	s->saddr[0] = s->daddr[0] = 127;
	s->saddr[3] = s->daddr[3] = 1;
	s->sport = (uint16_t)(40000 + x->in.nsocks - 1);
	s->dport = 8080;
	s->age_known = true;
	s->age_ns = age_ns;
	s->pid = pid;
	snprintf(s->comm, sizeof(s->comm), "%s", comm);
	return s;
}

/* ---- thresholds ---- */

Test(doctor, thresholds_parse_in_the_one_grammar)
{
	struct td_doc_thresholds t;

	td_doc_thresholds_default(&t);
	cr_expect_eq(t.v[TD_T_CLOSE_WAIT_AGE], S(30));
	cr_assert_eq(td_doc_threshold_parse(&t, "close_wait_age=5s"), 0);
	cr_expect_eq(t.v[TD_T_CLOSE_WAIT_AGE], S(5));
	cr_expect(t.set[TD_T_CLOSE_WAIT_AGE]);
	cr_assert_eq(td_doc_threshold_parse(&t, "slow_connect=1.5"), 0);
	cr_expect_eq(t.v[TD_T_SLOW_CONNECT], MS(1500));
	cr_assert_eq(td_doc_threshold_parse(&t, "time_wait_ports=30%"), 0);
	cr_expect_eq(t.v[TD_T_TW_PORTS_PCT], 30);
	cr_assert_eq(td_doc_threshold_parse(&t, "time_wait_ports=100"), 0);
	cr_expect_eq(t.v[TD_T_TW_PORTS_PCT], 100);
	cr_assert_eq(td_doc_threshold_parse(&t, "resets=0"), 0);
	cr_expect_eq(t.v[TD_T_RESETS], 0);
}

Test(doctor, thresholds_reject_bad_input_and_keep_the_old_value)
{
	static const char *const bad[] = { "close_wait_age", "close_wait_age=", "nope=5s", "close_wait_age=5x",
					   "close_wait_age=0x5", "close_wait_age=-5s", "time_wait_ports=101",
					   "time_wait_ports=5s", "resets=5%", "resets=1.5", "=5", "close_wait_agex=5s",
					   "close_wait_age=0" };
	struct td_doc_thresholds t;

	td_doc_thresholds_default(&t);
	for (size_t i = 0; i < N(bad); i++) {
		cr_expect_neq(td_doc_threshold_parse(&t, bad[i]), 0, "'%s' accepted", bad[i]);
		cr_expect_eq(t.v[TD_T_CLOSE_WAIT_AGE], S(30), "'%s' changed it", bad[i]);
		cr_expect_eq(t.v[TD_T_TW_PORTS_PCT], 50, "'%s' changed it", bad[i]);
	}
}

/* The defaults --help shows are the defaults the rules use. */
Test(doctor, default_texts_parse_to_the_defaults)
{
	for (int i = 0; i < TD_T_MAX; i++) {
		struct td_doc_thresholds t;
		char arg[128];

		if (i == TD_T_FIN_WAIT2_AGE)
			continue; /* the sysctl */
		td_doc_thresholds_default(&t);
		snprintf(arg, sizeof(arg), "%s=%s", td_doc_th_info[i].name, td_doc_th_info[i].deftext);
		cr_assert_eq(td_doc_threshold_parse(&t, arg), 0, "%s", arg);
		cr_expect_eq(t.v[i], td_doc_th_info[i].def, "%s", arg);
	}
}

Test(doctor, severities)
{
	enum td_sev s;

	cr_assert_eq(td_sev_parse("warning", &s), 0);
	cr_expect_eq(s, TD_SEV_WARNING);
	cr_assert_eq(td_sev_parse("critical", &s), 0);
	cr_expect_eq(s, TD_SEV_CRITICAL);
	cr_expect_neq(td_sev_parse("info", &s), 0);
	cr_expect_neq(td_sev_parse("Warning", &s), 0);
	cr_expect_str_eq(td_sev_word(TD_SEV_INFO), "info");
}

/* ---- census rules ---- */

Test(doctor, close_wait_leak_at_its_age_threshold)
{
	struct fx *x = fx_new();
	const struct td_finding *f;

	td_doc_threshold_parse(&x->th, "close_wait_age=5s");
	sock(x, TD_CLOSE_WAIT, S(5) - 1, 4242, "java");
	sock(x, TD_CLOSE_WAIT, 0, 4242, "java")->age_known = false;
	cr_expect_null(run_for(x, TD_R_CLOSE_WAIT_LEAK));
	sock(x, TD_CLOSE_WAIT, S(5), 4242, "java");
	sock(x, TD_CLOSE_WAIT, S(7), 4242, "java")->at_least = true;
	sock(x, TD_CLOSE_WAIT, S(6), 77, "worker");
	x->in.census_start[TD_CLOSE_WAIT] = 1;
	x->in.census_start_ok = true;
	f = run_for(x, TD_R_CLOSE_WAIT_LEAK);
	cr_assert_not_null(f);
	cr_expect_eq(f->sev, TD_SEV_WARNING);
	cr_expect_eq(evnum(f, "close_wait_old"), 3);
	cr_expect_eq(evnum(f, "in_state_now"), 5);
	cr_expect_eq(evnum(f, "age_unknown"), 1);
	cr_expect_eq(evnum(f, "oldest_at_least"), S(7));
	cr_expect_eq(evnum(f, "growth"), 4);
	cr_assert_eq(f->nowners, 2);
	cr_expect_eq(f->owners[0].pid, 4242);
	cr_expect_str_eq(f->owners[0].key, "java");
	cr_expect_eq(f->owners[0].count, 2);
	cr_expect_not_null(strstr(f->action, "pid 4242 (java) holds 2 CLOSE_WAIT sockets for at least 5s"), "%s",
			   f->action);
	cr_expect_not_null(strstr(f->meaning, "never calls close()"));
	fx_free(x);
}

/* A run (10 s) shorter than close_wait_age (30 s): a CLOSE_WAIT there for
 * the whole run is a leak, whether its age is a lower bound or exact; one
 * that did not last the run is not yet. */
Test(doctor, close_wait_leak_for_the_whole_run)
{
	struct fx *x = fx_new();
	const struct td_finding *f;

	sock(x, TD_CLOSE_WAIT, S(10) - 1, 1, "a")->at_least = true;
	sock(x, TD_CLOSE_WAIT, S(10) - 1, 1, "a");
	cr_expect_null(run_for(x, TD_R_CLOSE_WAIT_LEAK));
	sock(x, TD_CLOSE_WAIT, S(10), 2, "b")->at_least = true;
	f = run_for(x, TD_R_CLOSE_WAIT_LEAK);
	cr_assert_not_null(f);
	cr_expect_eq(evnum(f, "close_wait_old"), 1);
	cr_expect_eq(evnum(f, "whole_run"), 1);
	cr_expect_eq(evnum(f, "oldest_at_least"), S(10));
	sock(x, TD_CLOSE_WAIT, S(12), 3, "c");
	f = run_for(x, TD_R_CLOSE_WAIT_LEAK);
	cr_expect_eq(evnum(f, "close_wait_old"), 2);
	cr_expect_eq(evnum(f, "whole_run"), 2);
	cr_expect_eq(evnum(f, "oldest"), S(12));
	sock(x, TD_CLOSE_WAIT, S(30), 3, "c");
	cr_expect_eq(evnum(run_for(x, TD_R_CLOSE_WAIT_LEAK), "whole_run"), 2);
	x->in.nsocks -= 2;
	f = run_for(x, TD_R_CLOSE_WAIT_LEAK);
	cr_expect_str_eq(f->title, "1 CLOSE_WAIT socket for at least 10s (the whole run): the application does "
				   "not close them");
	cr_expect_eq(f->owners[0].pid, 2);
	fx_free(x);
}

Test(doctor, close_wait_leak_turns_critical_at_its_count)
{
	struct fx *x = fx_new();

	td_doc_threshold_parse(&x->th, "close_wait_critical=3");
	sock(x, TD_CLOSE_WAIT, S(31), 1, "a");
	sock(x, TD_CLOSE_WAIT, S(31), 1, "a");
	cr_expect_eq(run_for(x, TD_R_CLOSE_WAIT_LEAK)->sev, TD_SEV_WARNING);
	sock(x, TD_CLOSE_WAIT, S(31), 1, "a");
	cr_expect_eq(run_for(x, TD_R_CLOSE_WAIT_LEAK)->sev, TD_SEV_CRITICAL);
	fx_free(x);
}

/* 100 ephemeral ports (40000-40099): 49 TIME_WAITs to one destination are
 * under 50%, 50 reach it, 90 are critical; other destinations and
 * non-ephemeral local ports do not add up. */
Test(doctor, time_wait_pressure_against_the_ephemeral_range)
{
	struct fx *x = fx_new();
	const struct td_finding *f;

	for (int i = 0; i < 49; i++)
		sock(x, TD_TIME_WAIT, 0, 99, "churn");
	sock(x, TD_TIME_WAIT, 0, 99, "churn")->dport = 9090;
	sock(x, TD_TIME_WAIT, 0, 99, "churn")->sport = 8080;
	cr_expect_null(run_for(x, TD_R_TIME_WAIT_PRESSURE));
	sock(x, TD_TIME_WAIT, 0, 99, "churn");
	f = run_for(x, TD_R_TIME_WAIT_PRESSURE);
	cr_assert_not_null(f);
	cr_expect_eq(f->sev, TD_SEV_WARNING);
	cr_expect_eq(evnum(f, "time_wait"), 50);
	cr_expect_eq(evnum(f, "ephemeral_ports"), 100);
	cr_expect_eq(evnum(f, "port_use"), 500);
	cr_expect_str_eq(evstr(f, "destination"), "127.0.0.1:8080");
	cr_expect_eq(evnum(f, "time_wait_total"), 52);
	cr_expect_eq(f->owners[0].pid, 99);
	cr_expect_eq(f->owners[0].count, 50);
	cr_expect_not_null(strstr(f->action, "net.ipv4.ip_local_port_range = 40000 40099"), "%s", f->action);
	while (x->in.nsocks < 91)
		sock(x, TD_TIME_WAIT, 0, 99, "churn");
	cr_expect_eq(run_for(x, TD_R_TIME_WAIT_PRESSURE)->sev, TD_SEV_WARNING);
	sock(x, TD_TIME_WAIT, 0, 99, "churn");
	cr_expect_eq(run_for(x, TD_R_TIME_WAIT_PRESSURE)->sev, TD_SEV_CRITICAL);
	fx_free(x);
}

Test(doctor, tw_bucket_limit_edges)
{
	struct fx *x = fx_new();

	x->in.sys.v[TD_SC_MAX_TW_BUCKETS] = 100;
	x->in.sys.known[TD_SC_MAX_TW_BUCKETS] = true;
	for (int i = 0; i < 79; i++)
		sock(x, TD_TIME_WAIT, 0, 0, "")->sport = 80;
	cr_expect_null(run_for(x, TD_R_TW_BUCKET_LIMIT));
	sock(x, TD_TIME_WAIT, 0, 0, "")->sport = 80;
	cr_expect_eq(run_for(x, TD_R_TW_BUCKET_LIMIT)->sev, TD_SEV_WARNING);
	while (x->in.nsocks < 100)
		sock(x, TD_TIME_WAIT, 0, 0, "")->sport = 80;
	cr_expect_eq(run_for(x, TD_R_TW_BUCKET_LIMIT)->sev, TD_SEV_CRITICAL);
	cr_expect_eq(evnum(run_for(x, TD_R_TW_BUCKET_LIMIT), "use"), 1000);
	fx_free(x);
}

/* Held FIN_WAIT2 past tcp_fin_timeout (60 here); orphans are the kernel's
 * to end and do not count. */
Test(doctor, fin_wait2_stuck_uses_tcp_fin_timeout)
{
	struct fx *x = fx_new();
	const struct td_finding *f;

	sock(x, TD_FIN_WAIT2, S(60) - 1, 5, "client");
	sock(x, TD_FIN_WAIT2, S(100), 0, "")->orphan = true;
	cr_expect_null(run_for(x, TD_R_FIN_WAIT2_STUCK));
	sock(x, TD_FIN_WAIT2, S(60), 5, "client");
	f = run_for(x, TD_R_FIN_WAIT2_STUCK);
	cr_assert_not_null(f);
	cr_expect_eq(evnum(f, "fin_wait2_held"), 1);
	cr_expect_str_eq(evstr(f, "top_peer"), "127.0.0.1:8080 (1)");
	cr_expect_eq(f->owners[0].pid, 5);
	cr_expect_not_null(strstr(f->action, "net.ipv4.tcp_fin_timeout = 60"));
	td_doc_threshold_parse(&x->th, "fin_wait2_age=1s");
	cr_expect_eq(evnum(run_for(x, TD_R_FIN_WAIT2_STUCK), "fin_wait2_held"), 2);
	fx_free(x);
}

Test(doctor, unacked_fin_edges)
{
	struct fx *x = fx_new();
	const struct td_finding *f;

	sock(x, TD_LAST_ACK, S(10) - 1, 1, "a");
	sock(x, TD_FIN_WAIT1, S(9), 1, "a");
	cr_expect_null(run_for(x, TD_R_UNACKED_FIN));
	sock(x, TD_LAST_ACK, S(10), 1, "a");
	sock(x, TD_CLOSING, S(11), 2, "b");
	f = run_for(x, TD_R_UNACKED_FIN);
	cr_assert_not_null(f);
	cr_expect_eq(evnum(f, "last_ack_old"), 1);
	cr_expect_eq(evnum(f, "closing_old"), 1);
	cr_expect_eq(evnum(f, "fin_wait1_old"), 0);
	cr_expect_eq(f->nowners, 2);
	fx_free(x);
}

Test(doctor, orphans_against_tcp_max_orphans)
{
	struct fx *x = fx_new();

	x->in.sys.v[TD_SC_MAX_ORPHANS] = 100;
	x->in.sys.known[TD_SC_MAX_ORPHANS] = true;
	x->in.sys.orphans_known = true;
	x->in.sys.orphans = 49;
	cr_expect_null(run_for(x, TD_R_ORPHANS));
	x->in.sys.orphans = 50;
	cr_expect_eq(run_for(x, TD_R_ORPHANS)->sev, TD_SEV_WARNING);
	x->in.sys.orphans = 100;
	cr_expect_eq(run_for(x, TD_R_ORPHANS)->sev, TD_SEV_CRITICAL);
	x->in.sys.orphans_known = false;
	cr_expect_null(run_for(x, TD_R_ORPHANS));
	fx_free(x);
}

/* A second reading of the census (an older tracer's maps): an exact age
 * beats a lower bound, a larger lower bound a smaller one, and an unknown
 * owner is filled; a socket the first reading lacks is left out. */
Test(doctor, older_tracer_ages_improve_the_census)
{
	struct fx *x = fx_new();
	struct td_doc_sock o;
	const struct td_doc_sock *s;

	sock(x, TD_CLOSE_WAIT, S(3), 0, "")->at_least = true;    /* sport 40000 */
	sock(x, TD_CLOSE_WAIT, S(3), 7, "mine")->at_least = true; /* 40001 */
	sock(x, TD_CLOSE_WAIT, S(1), 7, "mine");                  /* 40002, exact */
	td_doc_socks_sort(x->socks, x->in.nsocks);
	o = x->socks[0];
	o.at_least = false;
	o.age_ns = S(40);
	o.pid = 9;
	snprintf(o.comm, sizeof(o.comm), "old");
	cr_expect(td_doc_socks_better(x->socks, x->in.nsocks, &o));
	o = x->socks[1];
	o.age_ns = S(2); /* a smaller lower bound */
	cr_expect_not(td_doc_socks_better(x->socks, x->in.nsocks, &o));
	o.age_ns = S(20);
	cr_expect(td_doc_socks_better(x->socks, x->in.nsocks, &o));
	o = x->socks[2];
	o.at_least = true;
	o.age_ns = S(50); /* a lower bound never beats an exact age */
	cr_expect_not(td_doc_socks_better(x->socks, x->in.nsocks, &o));
	o.sport = 41000; /* not in the census */
	o.at_least = false;
	cr_expect_not(td_doc_socks_better(x->socks, x->in.nsocks, &o));
	s = &x->socks[0];
	cr_expect(s->age_known && !s->at_least && s->age_ns == S(40));
	cr_expect_eq(s->pid, 9);
	cr_expect_str_eq(s->comm, "old");
	cr_expect(x->socks[1].at_least && x->socks[1].age_ns == S(20) && x->socks[1].pid == 7);
	cr_expect(!x->socks[2].at_least && x->socks[2].age_ns == S(1));
	td_doc_threshold_parse(&x->th, "close_wait_age=10s");
	x->in.duration_ns = S(3);
	cr_expect_eq(evnum(run_for(x, TD_R_CLOSE_WAIT_LEAK), "close_wait_old"), 2);
	cr_expect_eq(evnum(run_for(x, TD_R_CLOSE_WAIT_LEAK), "whole_run"), 0);
	fx_free(x);
}
