/* Unit tests of the vocabulary of what ends a state (bpf/tcpdwell.h's lists,
 * user/vocab.c): every value has one word, every renderer (text and JSON
 * events and reports, Prometheus) shows every value with that word, and a
 * value out of range is neither counted nor read past an array. */
#include <criterion/criterion.h>
#include "test_util.h"
#include "prom.h"
#include "record.h"
#include "render.h"
#include "vocab.h"

static const struct td_render_opts opts = { 0 };

static const struct td_vocab *const vocabs[] = { &td_tw_end_vocab, &td_hs_outcome_vocab, &td_connect_vocab,
						 &td_close_vocab };

/* The words users and dashboards rely on, in order: pinned here so that a
 * rename is a deliberate change. */
Test(vocab, words_are_the_documented_ones)
{
	static const char *const tw[] = { NULL, "expired", "reuse", "killed", "netns" };
	static const char *const hs[] = { NULL, "established", "expired", "dropped" };
	static const char *const cn[] = { NULL, "established", "refused", "timeout", "unreachable", "aborted" };

	cr_assert_eq(td_tw_end_vocab.n, sizeof(tw) / sizeof(tw[0]));
	cr_assert_eq(td_hs_outcome_vocab.n, sizeof(hs) / sizeof(hs[0]));
	for (unsigned int i = 1; i < td_tw_end_vocab.n; i++)
		cr_expect_str_eq(td_vocab_word(&td_tw_end_vocab, i), tw[i]);
	for (unsigned int i = 1; i < td_hs_outcome_vocab.n; i++)
		cr_expect_str_eq(td_vocab_word(&td_hs_outcome_vocab, i), hs[i]);
	cr_assert_eq(td_connect_vocab.n, sizeof(cn) / sizeof(cn[0]));
	for (unsigned int i = 1; i < td_connect_vocab.n; i++)
		cr_expect_str_eq(td_vocab_word(&td_connect_vocab, i), cn[i]);
	cr_expect_str_eq(td_connect_vocab.what, "outcome");
	cr_assert_eq(td_close_vocab.n, 5);
	cr_expect_str_eq(td_vocab_word(&td_close_vocab, TD_CLOSE_NORMAL), "normal");
	cr_expect_str_eq(td_vocab_word(&td_close_vocab, TD_CLOSE_RESET_RECEIVED), "reset_received");
	cr_expect_str_eq(td_vocab_word(&td_close_vocab, TD_CLOSE_RESET_SENT), "reset_sent");
	cr_expect_str_eq(td_vocab_word(&td_close_vocab, TD_CLOSE_TIMEOUT), "timeout");
	cr_expect_str_eq(td_close_vocab.what, "cause");
	cr_expect_str_eq(td_tw_end_vocab.what, "reason");
	cr_expect_str_eq(td_hs_outcome_vocab.what, "outcome");
}

Test(vocab, every_value_has_one_distinct_word_and_none_outside)
{
	for (size_t v = 0; v < sizeof(vocabs) / sizeof(vocabs[0]); v++) {
		const struct td_vocab *voc = vocabs[v];

		cr_expect_null(td_vocab_word(voc, 0), "%s: 0 is none", voc->what);
		cr_expect_null(td_vocab_word(voc, voc->n), "%s: n is out of range", voc->what);
		cr_expect_null(td_vocab_word(voc, 255), "%s: 255 is out of range", voc->what);
		for (unsigned int i = 1; i < voc->n; i++) {
			const char *w = td_vocab_word(voc, i);

			cr_assert_not_null(w, "%s %u has no word", voc->what, i);
			cr_expect_gt(strlen(w), 0);
			for (unsigned int j = 1; j < i; j++)
				cr_expect_str_neq(w, td_vocab_word(voc, j), "%s: %u and %u share a word", voc->what, i, j);
		}
	}
}

static char *render_event(const struct td_event *e, bool json)
{
	struct memout m;

	memout_open(&m);
	if (json)
		td_render_event_json(m.f, &opts, e, NULL);
	else
		td_render_event_text(m.f, &opts, e);
	memout_close(&m);
	return m.buf;
}

Test(vocab, event_text_and_json_name_every_timewait_end)
{
	for (unsigned int i = 1; i < td_tw_end_vocab.n; i++) {
		struct td_event e = make_event(TD_TIME_WAIT, TD_CLOSE, TD_F_DWELL_KNOWN | TD_F_MINI, 60000000000ull);
		const char *w = td_vocab_word(&td_tw_end_vocab, i);
		char want[64], *text, *json;

		e.tw_end = (__u8)i;
		text = render_event(&e, false);
		json = render_event(&e, true);
		/* text: " expired" or " early:reuse" at the end of the line */
		snprintf(want, sizeof(want), " %s%s\n", i == TD_TW_EXPIRED ? "" : "early:", w);
		cr_expect(strstr(text, want), "text for %s: %s", w, text);
		cr_expect(json_is_object(json), "%s", json);
		if (i == TD_TW_EXPIRED) {
			cr_expect(strstr(json, ",\"reason\":\"expired\","), "%s", json);
			cr_expect_null(strstr(json, "\"cause\""), "%s", json);
		} else {
			snprintf(want, sizeof(want), ",\"reason\":\"early\",\"cause\":\"%s\",", w);
			cr_expect(strstr(json, want), "json for %s: %s", w, json);
		}
		cr_expect_null(strstr(json, "\"outcome\""), "%s", json);
		free(text);
		free(json);
	}
}

Test(vocab, event_text_and_json_name_every_handshake_outcome)
{
	for (unsigned int i = 1; i < td_hs_outcome_vocab.n; i++) {
		struct td_event e = make_event(TD_SYN_RECV, TD_CLOSE, TD_F_DWELL_KNOWN | TD_F_MINI, 3000000);
		const char *w = td_vocab_word(&td_hs_outcome_vocab, i);
		char want[64], *text, *json;

		e.hs_outcome = (__u8)i;
		text = render_event(&e, false);
		json = render_event(&e, true);
		snprintf(want, sizeof(want), " %s\n", w);
		cr_expect(strstr(text, want), "text for %s: %s", w, text);
		cr_expect_null(strstr(text, "early:"), "%s", text);
		snprintf(want, sizeof(want), ",\"outcome\":\"%s\",", w);
		cr_expect(json_is_object(json), "%s", json);
		cr_expect(strstr(json, want), "json for %s: %s", w, json);
		cr_expect_null(strstr(json, "\"reason\""), "%s", json);
		free(text);
		free(json);
	}
}

Test(vocab, event_text_and_json_name_every_connect_outcome)
{
	for (unsigned int i = 1; i < td_connect_vocab.n; i++) {
		struct td_event e = make_event(TD_SYN_SENT, i == TD_CONNECT_ESTABLISHED ? TD_ESTABLISHED : TD_CLOSE,
					       TD_F_DWELL_KNOWN, 1000000000);
		const char *w = td_vocab_word(&td_connect_vocab, i);
		char want[96], *text, *json;

		e.connect = (__u8)i;
		e.retrans = (__u8)(i - 1); /* 0 for established: no word then */
		e.error = i == TD_CONNECT_REFUSED ? 111 : 0;
		text = render_event(&e, false);
		json = render_event(&e, true);
		if (e.retrans)
			snprintf(want, sizeof(want), " %s syn_retrans=%u%s\n", w, e.retrans,
				 e.error ? " error=ECONNREFUSED" : "");
		else
			snprintf(want, sizeof(want), " %s\n", w);
		cr_expect(strstr(text, want), "text for %s: %s", w, text);
		snprintf(want, sizeof(want), ",\"outcome\":\"%s\",\"syn_retrans\":%u%s,", w, e.retrans,
			 e.error ? ",\"error\":\"ECONNREFUSED\"" : "");
		cr_expect(json_is_object(json), "%s", json);
		cr_expect(strstr(json, want), "json for %s: %s", w, json);
		free(text);
		free(json);
	}
}

/* RST reasons: value 0 is one; every value has the kernel's name, once. */
Test(vocab, rst_reasons_have_the_kernel_names)
{
	cr_expect_str_eq(td_rst_reason_word(TD_RST_NOT_SPECIFIED), "NOT_SPECIFIED");
	cr_expect_str_eq(td_rst_reason_word(TD_RST_TCP_ABORT_ON_CLOSE), "TCP_ABORT_ON_CLOSE");
	cr_expect_str_eq(td_rst_reason_word(TD_RST_TCP_ABORT_ON_LINGER), "TCP_ABORT_ON_LINGER");
	cr_expect_str_eq(td_rst_reason_word(TD_RST_TCP_KEEPALIVE_TIMEOUT), "TCP_KEEPALIVE_TIMEOUT");
	cr_expect_str_eq(td_rst_reason_word(TD_RST_OTHER), "OTHER");
	cr_expect_null(td_rst_reason_word(TD_RST_MAX));
	cr_expect_null(td_rst_reason_word(255));
	for (unsigned int i = 0; i < TD_RST_MAX; i++) {
		cr_assert_not_null(td_rst_reason_word(i), "reason %u", i);
		for (unsigned int j = 0; j < i; j++)
			cr_expect_str_neq(td_rst_reason_word(i), td_rst_reason_word(j));
	}
}

Test(vocab, event_text_and_json_name_every_close_cause)
{
	for (unsigned int i = 1; i < td_close_vocab.n; i++) {
		struct td_event e = make_event(TD_ESTABLISHED, TD_CLOSE, TD_F_DWELL_KNOWN, 2000000);
		const char *w = td_vocab_word(&td_close_vocab, i);
		bool sent = i == TD_CLOSE_RESET_SENT;
		char want[128], *text, *json;

		e.close = (__u8)i;
		e.rst_reason = TD_RST_TCP_ABORT_ON_CLOSE; /* shown only with reset_sent */
		e.error = i == TD_CLOSE_RESET_RECEIVED ? 104 : i == TD_CLOSE_TIMEOUT ? 110 : 0;
		text = render_event(&e, false);
		json = render_event(&e, true);
		snprintf(want, sizeof(want), " %s%s%s%s\n", w, sent ? ":TCP_ABORT_ON_CLOSE" : "",
			 e.error ? " error=" : "", e.error == 104 ? "ECONNRESET" : e.error ? "ETIMEDOUT" : "");
		cr_expect(strstr(text, want), "text for %s: '%s' not in %s", w, want, text);
		snprintf(want, sizeof(want), ",\"close\":\"%s\"%s%s%s%s,", w,
			 sent ? ",\"rst_reason\":\"TCP_ABORT_ON_CLOSE\"" : "", e.error ? ",\"error\":\"" : "",
			 e.error == 104 ? "ECONNRESET" : e.error ? "ETIMEDOUT" : "", e.error ? "\"" : "");
		cr_expect(json_is_object(json), "%s", json);
		cr_expect(strstr(json, want), "json for %s: '%s' not in %s", w, want, json);
		free(text);
		free(json);
	}
}

Test(vocab, errno_names)
{
	char buf[16];

	cr_expect_str_eq(td_errno_name(111, buf, sizeof(buf)), "ECONNREFUSED");
	cr_expect_str_eq(td_errno_name(110, buf, sizeof(buf)), "ETIMEDOUT");
	cr_expect_str_eq(td_errno_name(113, buf, sizeof(buf)), "EHOSTUNREACH");
	cr_expect_str_eq(td_errno_name(250, buf, sizeof(buf)), "E250");
}

/* An aggregate where value i of each vocabulary was counted 10 * i times. */
static struct td_agg *agg_with_every_value(void)
{
	struct td_agg *a = new_agg();

	for (unsigned int i = 1; i < td_tw_end_vocab.n; i++)
		for (unsigned int k = 0; k < 10 * i; k++) {
			struct td_event e = make_event(TD_TIME_WAIT, TD_CLOSE, TD_F_MINI, 0);

			e.tw_end = (__u8)i;
			td_agg_add(a, &e);
		}
	for (unsigned int i = 1; i < td_hs_outcome_vocab.n; i++)
		for (unsigned int k = 0; k < 10 * i; k++) {
			struct td_event e = make_event(TD_SYN_RECV, TD_CLOSE, TD_F_MINI, 0);

			e.hs_outcome = (__u8)i;
			td_agg_add(a, &e);
		}
	for (unsigned int i = 1; i < td_connect_vocab.n; i++)
		for (unsigned int k = 0; k < 10 * i; k++) {
			struct td_event e = make_event(TD_SYN_SENT, TD_CLOSE, TD_F_DWELL_KNOWN, 1000 * i);

			e.connect = (__u8)i;
			e.retrans = k == 0; /* one connect per outcome retransmitted */
			td_agg_add(a, &e);
		}
	for (unsigned int i = 1; i < td_close_vocab.n; i++)
		for (unsigned int k = 0; k < 10 * i; k++) {
			struct td_event e = make_event(TD_ESTABLISHED, TD_CLOSE, TD_F_DWELL_KNOWN, 1000);

			e.close = (__u8)i;
			/* of the 30 resets sent: 20 TCP_STATE, 10 TCP_ABORT_ON_CLOSE */
			e.rst_reason = k % 3 ? TD_RST_TCP_STATE : TD_RST_TCP_ABORT_ON_CLOSE;
			td_agg_add(a, &e);
		}
	return a;
}

Test(vocab, reports_show_every_value_with_its_count)
{
	struct td_agg *a = agg_with_every_value();
	struct td_loss l = { 0 };
	struct memout text, json;
	uint64_t early = 0;
	char want[128];

	memout_open(&text);
	memout_open(&json);
	td_render_report_text(text.f, a, &l, 0);
	td_render_report_json(json.f, a, &l, 0, 0);
	memout_close(&text);
	memout_close(&json);
	for (unsigned int i = 1; i < td_tw_end_vocab.n; i++) {
		const char *w = td_vocab_word(&td_tw_end_vocab, i);

		if (i != TD_TW_EXPIRED) {
			snprintf(want, sizeof(want), "%s %u", w, 10 * i);
			cr_expect(strstr(text.buf, want), "text lacks '%s': %s", want, text.buf);
			early += 10 * i;
		}
		snprintf(want, sizeof(want), "\"%s\":%u", w, 10 * i);
		cr_expect(strstr(json.buf, want), "json lacks '%s': %s", want, json.buf);
	}
	snprintf(want, sizeof(want), "TIME_WAIT ends: %u expired, %" PRIu64 " early (reuse 20, killed 30, netns 40); 0 orphaned FIN_WAIT2\n",
		 10 * TD_TW_EXPIRED, early);
	cr_expect(strstr(text.buf, want), "text lacks '%s': %s", want, text.buf);
	cr_expect(strstr(text.buf, "Handshakes (SYN_RECV): 10 established, 20 expired, 30 dropped\n"), "%s", text.buf);
	cr_expect(strstr(text.buf, "Connects (SYN_SENT): 10 established, 20 refused, 30 timeout, 40 unreachable, "
			 "50 aborted; 5 retransmitted a SYN\n"), "%s", text.buf);
	for (unsigned int i = 1; i < td_connect_vocab.n; i++) {
		const char *w = td_vocab_word(&td_connect_vocab, i);

		snprintf(want, sizeof(want), "\"%s\":%u", w, 10 * i);
		cr_expect(strstr(strstr(json.buf, "\"type\":\"connects\""), want), "json lacks '%s': %s", want, json.buf);
		/* SYN_SENT's histogram per outcome */
		snprintf(want, sizeof(want), "{\"type\":\"histogram\",\"state\":\"SYN_SENT\",\"outcome\":\"%s\",\"count\":%u,",
			 w, 10 * i);
		cr_expect(strstr(json.buf, want), "json lacks '%s'", want);
	}
	cr_expect(strstr(json.buf, ",\"syn_retransmitted\":5,\"syn_retrans\":5}"), "%s", json.buf);
	cr_expect(strstr(text.buf, "Closes: 10 normal, 20 reset_received, 30 reset_sent, 40 timeout; resets sent: "
			 "TCP_ABORT_ON_CLOSE 10, TCP_STATE 20\n"), "%s", text.buf);
	cr_expect(strstr(json.buf, "{\"type\":\"closes\",\"normal\":10,\"reset_received\":20,\"reset_sent\":30,"
			 "\"timeout\":40,\"rst_reasons\":{\"TCP_ABORT_ON_CLOSE\":10,\"TCP_STATE\":20}}\n"), "%s", json.buf);
	for (unsigned int i = 1; i < td_hs_outcome_vocab.n; i++) {
		snprintf(want, sizeof(want), "\"%s\":%u", td_vocab_word(&td_hs_outcome_vocab, i), 10 * i);
		cr_expect(strstr(strstr(json.buf, "\"type\":\"handshakes\""), want), "json lacks '%s': %s", want, json.buf);
	}
	memout_free(&text);
	memout_free(&json);
	free(a);
}

Test(vocab, prometheus_has_a_series_per_value)
{
	struct td_agg *a = agg_with_every_value();
	struct td_loss l = { 0 };
	struct td_prom_input in = { .version = "t", .agg = a, .loss = &l };
	struct memout m;
	char want[128];

	memout_open(&m);
	td_prom_render(m.f, &in);
	memout_close(&m);
	for (unsigned int i = 1; i < td_tw_end_vocab.n; i++) {
		snprintf(want, sizeof(want), "\ntcpdwell_time_wait_ends_total{reason=\"%s\"} %u\n",
			 td_vocab_word(&td_tw_end_vocab, i), 10 * i);
		cr_expect(strstr(m.buf, want), "lacks %s", want);
	}
	for (unsigned int i = 1; i < td_hs_outcome_vocab.n; i++) {
		snprintf(want, sizeof(want), "\ntcpdwell_handshakes_total{outcome=\"%s\"} %u\n",
			 td_vocab_word(&td_hs_outcome_vocab, i), 10 * i);
		cr_expect(strstr(m.buf, want), "lacks %s", want);
	}
	for (unsigned int i = 1; i < td_connect_vocab.n; i++) {
		snprintf(want, sizeof(want), "\ntcpdwell_connects_total{outcome=\"%s\"} %u\n",
			 td_vocab_word(&td_connect_vocab, i), 10 * i);
		cr_expect(strstr(m.buf, want), "lacks %s", want);
	}
	cr_expect(strstr(m.buf, "\ntcpdwell_syn_retransmits_total 5\n"), "lacks syn retransmits");
	for (unsigned int i = 1; i < td_close_vocab.n; i++) {
		snprintf(want, sizeof(want), "\ntcpdwell_closes_total{cause=\"%s\"} %u\n",
			 td_vocab_word(&td_close_vocab, i), 10 * i);
		cr_expect(strstr(m.buf, want), "lacks %s", want);
	}
	cr_expect(strstr(m.buf, "\ntcpdwell_resets_total{direction=\"received\",reason=\"peer\"} 20\n"), "%s", m.buf);
	cr_expect(strstr(m.buf, "\ntcpdwell_resets_total{direction=\"sent\",reason=\"TCP_STATE\"} 20\n"), "%s", m.buf);
	cr_expect(strstr(m.buf, "\ntcpdwell_resets_total{direction=\"sent\",reason=\"TCP_ABORT_ON_CLOSE\"} 10\n"),
		  "%s", m.buf);
	cr_expect_null(strstr(m.buf, "reason=\"TCP_ABORT_ON_LINGER\""), "a reason never seen has a series");
	memout_free(&m);
	free(a);
}

/* A value one past the enum (the next one somebody adds, before the arrays
 * know it) and the largest byte: the decoder rejects them, the aggregate
 * does not count them (under ASan a read or write past the arrays fails
 * this test), and an event line names nothing. */
Test(vocab, values_out_of_range_are_rejected_not_read)
{
	static const unsigned int bad_tw[] = { TD_TW_END_MAX, TD_TW_END_SLOTS, 255 };
	static const unsigned int bad_hs[] = { TD_HS_MAX, TD_HS_SLOTS, 255 };
	static const unsigned int bad_cn[] = { TD_CONNECT_MAX, TD_CONNECT_SLOTS, 255 };
	static const unsigned int bad_cl[] = { TD_CLOSE_MAX, TD_CLOSE_SLOTS, 255 };
	static const unsigned int bad_rst[] = { TD_RST_MAX, TD_RST_SLOTS, 255 };
	struct td_agg *a = new_agg();

	for (size_t i = 0; i < 3; i++) {
		struct td_event tw = make_event(TD_TIME_WAIT, TD_CLOSE, TD_F_MINI, 0);
		struct td_event hs = make_event(TD_SYN_RECV, TD_CLOSE, TD_F_MINI, 0);
		struct td_event cn = make_event(TD_SYN_SENT, TD_CLOSE, TD_F_DWELL_KNOWN, 5);
		char *text;

		tw.tw_end = (__u8)bad_tw[i];
		hs.hs_outcome = (__u8)bad_hs[i];
		cn.connect = (__u8)bad_cn[i];
		{
			struct td_event cl = make_event(TD_ESTABLISHED, TD_CLOSE, 0, 0);
			struct td_event rs = make_event(TD_ESTABLISHED, TD_CLOSE, 0, 0);

			cl.close = (__u8)bad_cl[i];
			rs.close = TD_CLOSE_RESET_SENT;
			rs.rst_reason = (__u8)bad_rst[i];
			cr_expect_null(td_decode(&cl, sizeof(cl)), "close %u decoded", bad_cl[i]);
			cr_expect_null(td_decode(&rs, sizeof(rs)), "rst_reason %u decoded", bad_rst[i]);
			td_agg_add(a, &cl);
			td_agg_add(a, &rs);
		}
		cr_expect_null(td_decode(&cn, sizeof(cn)), "connect %u decoded", bad_cn[i]);
		td_agg_add(a, &cn);
		cr_expect_null(td_decode(&tw, sizeof(tw)), "tw_end %u decoded", bad_tw[i]);
		cr_expect_null(td_decode(&hs, sizeof(hs)), "hs_outcome %u decoded", bad_hs[i]);
		td_agg_add(a, &tw);
		td_agg_add(a, &hs);
		text = render_event(&tw, false);
		cr_expect(strstr(text, "TIME_WAIT   -> CLOSE       -\n"), "%s", text);
		free(text);
	}
	for (unsigned int i = 0; i < TD_TW_END_MAX; i++)
		cr_expect_eq(a->tw_ends[i], 0, "tw_ends[%u] counted", i);
	for (unsigned int i = 0; i < TD_HS_MAX; i++)
		cr_expect_eq(a->hs_outcomes[i], 0, "hs_outcomes[%u] counted", i);
	for (unsigned int i = 0; i < TD_CONNECT_MAX; i++) {
		cr_expect_eq(a->connects[i], 0, "connects[%u] counted", i);
		cr_expect_eq(a->connect_dwell[i].count, 0, "connect_dwell[%u] counted", i);
	}
	for (unsigned int i = 0; i < TD_CLOSE_MAX; i++)
		cr_expect_eq(a->closes[i], i == TD_CLOSE_RESET_SENT ? 3 : 0, "closes[%u]", i);
	for (unsigned int i = 0; i < TD_RST_MAX; i++)
		cr_expect_eq(a->resets_sent[i], 0, "resets_sent[%u] counted", i);
	cr_expect_eq(a->events, 15);
	free(a);
}

/* A handshake's SYN-ACK retransmits: on the record that ends SYN_RECV, in
 * the text, the JSON and the Prometheus counter. */
Test(vocab, synack_retransmits_are_rendered)
{
	struct td_event e = make_event(TD_SYN_RECV, TD_ESTABLISHED, TD_F_DWELL_KNOWN, 3000000000ull);
	struct td_agg *a = new_agg();
	struct td_loss l = { 0 };
	struct td_prom_input in = { .version = "t", .agg = a, .loss = &l };
	struct memout m;
	char *text, *json;

	e.hs_outcome = TD_HS_ESTABLISHED;
	e.retrans = 2;
	text = render_event(&e, false);
	json = render_event(&e, true);
	cr_expect(strstr(text, " established synack_retrans=2\n"), "%s", text);
	cr_expect(strstr(json, ",\"outcome\":\"established\",\"synack_retrans\":2,"), "%s", json);
	td_agg_add(a, &e);
	cr_expect_eq(a->synack_retrans, 2);
	cr_expect_eq(a->syn_retrans, 0);
	memout_open(&m);
	td_prom_render(m.f, &in);
	memout_close(&m);
	cr_expect(strstr(m.buf, "\ntcpdwell_synack_retransmits_total 2\n"), "lacks the counter");
	memout_free(&m);
	free(text);
	free(json);
	free(a);
}
