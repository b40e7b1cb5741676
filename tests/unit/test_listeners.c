/* Unit tests of user/listeners.c and the listener renderers: baselines,
 * closed listeners, the cap, and the text, JSON and Prometheus forms. */
#include <criterion/criterion.h>
#include "test_util.h"
#include "listeners.h"
#include "prom.h"
#include "report.h"

static struct td_listener rec(uint64_t sk, uint16_t port, uint32_t drops, uint32_t backlog, uint32_t max)
{
	struct td_listener r = { .type = TD_REC_LISTENER, .family = 4, .port = port, .netns = 7,
				 .drops = drops, .backlog = backlog, .max_backlog = max, .skaddr = sk };

	r.addr[0] = 127;
	r.addr[3] = 1;
	return r;
}

static void census(struct td_listeners *l, const struct td_listener *r, int n)
{
	td_listeners_begin(l);
	for (int i = 0; i < n; i++)
		td_listeners_update(l, &r[i]);
	td_listeners_end(l);
}

Test(listeners, drops_count_from_the_first_census_or_from_creation)
{
	static struct td_listeners l;
	struct td_listener first[] = { rec(1, 8080, 5, 0, 128) };
	struct td_listener later[] = { rec(1, 8080, 9, 2, 128), rec(2, 9090, 3, 0, 16) };

	census(&l, first, 1);
	cr_assert_eq(l.n, 1);
	cr_expect_eq(td_listener_dropped(&l.v[0]), 0, "drops before tracing counted");
	census(&l, later, 2);
	cr_assert_eq(l.n, 2);
	cr_expect_eq(td_listener_dropped(&l.v[0]), 4);
	cr_expect_eq(l.v[0].backlog, 2);
	/* created while tracing: all of its drops are this run's */
	cr_expect_eq(td_listener_dropped(&l.v[1]), 3);
	/* 8080 closed: forgotten */
	census(&l, later + 1, 1);
	cr_assert_eq(l.n, 1);
	cr_expect_eq(l.v[0].port, 9090);
}

Test(listeners, the_cap_is_counted)
{
	static struct td_listeners l;
	static struct td_listener r[TD_LISTENERS_MAX + 3];

	for (int i = 0; i < TD_LISTENERS_MAX + 3; i++)
		r[i] = rec((uint64_t)i + 1, (uint16_t)(1000 + i), 0, 0, 1);
	census(&l, r, TD_LISTENERS_MAX + 3);
	cr_expect_eq(l.n, TD_LISTENERS_MAX);
	cr_expect_eq(l.untracked, 3);
}

Test(listeners, rendered_in_text_json_and_prometheus)
{
	static struct td_listeners l;
	struct td_listener first[] = { rec(1, 8080, 0, 0, 128), rec(2, 8080, 0, 0, 128), rec(3, 22, 0, 0, 128) };
	struct td_listener now[] = { rec(1, 8080, 2, 1, 128), rec(2, 8080, 1, 0, 128), rec(3, 22, 0, 0, 128) };
	struct td_agg *a = new_agg();
	struct td_loss loss = { 0 };
	struct td_prom_input in = { .version = "t", .agg = a, .loss = &loss, .listeners = &l };
	struct memout text, json, prom;

	census(&l, first, 3);
	census(&l, now, 3);
	memout_open(&text);
	memout_open(&json);
	memout_open(&prom);
	td_render_listeners_text(text.f, &l);
	td_render_listeners_json(json.f, &l);
	td_prom_render(prom.f, &in);
	memout_close(&text);
	memout_close(&json);
	memout_close(&prom);
	cr_expect_str_eq(text.buf, "Listener 127.0.0.1:8080: dropped 2 SYNs (a queue was full), accept queue 1/128\n"
				   "Listener 127.0.0.1:8080: dropped 1 SYN (a queue was full), accept queue 0/128\n");
	cr_expect_eq(count_char(json.buf, '\n'), 3);
	cr_expect(strstr(json.buf, "{\"type\":\"listen_drops\",\"port\":8080,\"family\":4,\"addr\":\"127.0.0.1\","
				   "\"netns\":7,\"dropped\":2,\"accept_queue\":1,\"accept_queue_max\":128}\n"), "%s", json.buf);
	cr_expect(strstr(prom.buf, "\ntcpdwell_listen_drops_total{port=\"8080\"} 3\n"), "%s", prom.buf);
	cr_expect(strstr(prom.buf, "\ntcpdwell_listen_drops_total{port=\"22\"} 0\n"), "%s", prom.buf);
	cr_expect(strstr(prom.buf, "\ntcpdwell_accept_queue{port=\"8080\"} 1\n"), "%s", prom.buf);
	cr_expect(strstr(prom.buf, "\ntcpdwell_accept_queue_max{port=\"8080\"} 256\n"), "%s", prom.buf);
	memout_free(&text);
	memout_free(&json);
	memout_free(&prom);
	free(a);
}
