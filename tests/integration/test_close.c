/* Why connections end, against ground truth the test makes: SO_LINGER 0,
 * a close() with unread data, and an orderly close, each seen from both
 * ends, in the ring-buffer mode and in --kernel-agg. The RST reasons are
 * the kernel's as its tcp_send_reset tracepoint prints them (checked with
 * bpftrace on this kernel: see KERNEL-NOTES). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>
#include <criterion/criterion.h>
#include "harness.h"

enum how { LINGER0, UNREAD, ORDERLY };

struct conn {
	int lfd, c, s;
	uint16_t lport, cport;
};

static void open_conn(struct conn *k, int family)
{
	k->lport = 0;
	k->lfd = tcp_listen(family, &k->lport, 8);
	k->c = tcp_connect(family, k->lport);
	k->s = accept(k->lfd, NULL, NULL);
	cr_assert_geq(k->s, 0, "accept: %s", strerror(errno));
	k->cport = local_port(k->c);
}

/* The client ends the connection the chosen way; the server closes after. */
static void end_conn(struct conn *k, enum how how)
{
	struct linger lg = { .l_onoff = 1, .l_linger = 0 };
	char buf[64];

	if (how == LINGER0)
		cr_assert_eq(setsockopt(k->c, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg)), 0);
	if (how == UNREAD) {
		cr_assert_eq(write(k->s, "unread", 6), 6);
		sleep_ms(50); /* the data is in the client's receive queue */
	}
	close(k->c);
	sleep_ms(50);
	if (how == ORDERLY)
		cr_assert_eq(read(k->s, buf, sizeof(buf)), 0, "the server should read EOF");
	close(k->s);
	close(k->lfd);
}

/* Waits for it: records from different CPUs' rings arrive in any order, so
 * a count of records can be reached before this one (the listener's close
 * matches the port too). */
static const struct td_event *to_close(struct capture *c, uint16_t lport, uint16_t rport, int oldstate)
{
	const struct td_event *e = await_event(c, lport, rport, oldstate, TD_CLOSE, 3000);

	cr_assert_not_null(e, "no %d -> CLOSE for %u -> %u", oldstate, lport, rport);
	return e;
}

static void assert_cause(const struct td_event *e, int cause, int reason, int err, const char *what)
{
	cr_assert_eq(e->close, cause, "%s: close %u, expected %d", what, e->close, cause);
	if (cause == TD_CLOSE_RESET_SENT)
		cr_assert_eq(e->rst_reason, reason, "%s: rst_reason %u, expected %d", what, e->rst_reason, reason);
	cr_assert_eq(e->error, err, "%s: error %u, expected %d", what, e->error, err);
}

static void one_way(int family, enum how how)
{
	struct td_config cfg;
	struct capture c;
	struct conn k;

	open_conn(&k, family);
	config_for_port_here(&cfg, k.lport);
	capture_start(&c, &cfg);
	end_conn(&k, how);
	capture_wait(&c, how == ORDERLY ? 6 : 2, 3000);
	if (how == ORDERLY) {
		assert_cause(to_close(&c, k.cport, k.lport, TD_FIN_WAIT2), TD_CLOSE_NORMAL, 0, 0, "client");
		assert_cause(to_close(&c, k.lport, k.cport, TD_LAST_ACK), TD_CLOSE_NORMAL, 0, 0, "server");
	} else {
		assert_cause(to_close(&c, k.cport, k.lport, TD_ESTABLISHED), TD_CLOSE_RESET_SENT,
			     how == LINGER0 ? TD_RST_TCP_STATE : TD_RST_TCP_ABORT_ON_CLOSE, 0, "client");
		assert_cause(to_close(&c, k.lport, k.cport, TD_ESTABLISHED), TD_CLOSE_RESET_RECEIVED, 0, ECONNRESET,
			     "server");
	}
	capture_stop(&c);
}

static void linger0_resets(int family) { one_way(family, LINGER0); }
static void unread_data_resets(int family) { one_way(family, UNREAD); }
static void orderly_is_normal(int family) { one_way(family, ORDERLY); }

BOTH_FAMILIES(close, linger0_resets, 30)
BOTH_FAMILIES(close, unread_data_resets, 30)
BOTH_FAMILIES(close, orderly_is_normal, 30)

/* --kernel-agg counts the same causes and reasons as the ring buffer, the
 * held records (finished by their RST) included. */
Test(close, kernel_agg_counts_the_same, .init = require_root, .timeout = 60)
{
	static const enum how hows[] = { LINGER0, UNREAD, ORDERLY, LINGER0, UNREAD };
	struct td_agg *rb_agg = calloc(1, sizeof(*rb_agg)), *k_agg = calloc(1, sizeof(*k_agg));
	struct td_config cfg_rb, cfg_k;
	struct capture rb, k;
	uint16_t port = free_port(4);

	cr_assert(rb_agg && k_agg);
	config_for_port_here(&cfg_rb, port);
	cfg_k = cfg_rb;
	cfg_k.kernel_agg = true;
	capture_start(&rb, &cfg_rb);
	capture_start(&k, &cfg_k);
	for (size_t i = 0; i < sizeof(hows) / sizeof(hows[0]); i++) {
		struct conn x = { .lport = port };

		x.lfd = tcp_listen(4, &x.lport, 8);
		x.c = tcp_connect(4, port);
		x.s = accept(x.lfd, NULL, NULL);
		cr_assert_geq(x.s, 0);
		end_conn(&x, hows[i]);
	}
	sleep_ms(200);
	capture_wait(&rb, 1000000, 300);
	for (size_t i = 0; i < rb.n; i++)
		td_agg_add(rb_agg, &rb.ev[i]);
	cr_assert_eq(td_tracer_read_kernel_agg(k.tracer, k_agg), 0);
	cr_assert_eq(rb_agg->closes[TD_CLOSE_NORMAL], 2);
	cr_assert_eq(rb_agg->closes[TD_CLOSE_RESET_SENT], 4);
	cr_assert_eq(rb_agg->closes[TD_CLOSE_RESET_RECEIVED], 4);
	cr_assert_eq(rb_agg->resets_sent[TD_RST_TCP_STATE], 2);
	cr_assert_eq(rb_agg->resets_sent[TD_RST_TCP_ABORT_ON_CLOSE], 2);
	for (int d = 0; d < TD_CLOSE_MAX; d++)
		cr_assert_eq(k_agg->closes[d], rb_agg->closes[d], "closes[%d]", d);
	for (int r = 0; r < TD_RST_MAX; r++)
		cr_assert_eq(k_agg->resets_sent[r], rb_agg->resets_sent[r], "resets_sent[%d]", r);
	cr_assert_eq(k_agg->events, rb_agg->events);
	capture_stop(&rb);
	capture_stop(&k);
	free(rb_agg);
	free(k_agg);
}
