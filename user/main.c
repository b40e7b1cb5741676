/* tcpdwell entry point: parse options, start the tracer, consume records
 * into the aggregate, and print reports on interval, duration and signals. */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include "agg.h"
#include "opts.h"
#include "render.h"
#include "snapshot.h"
#include "tracer.h"

#define CENSUS_PERIOD_NS 1000000000ull

/* The only mutable global: set by the signal handler. */
static volatile sig_atomic_t stop_requested;

static void on_signal(int sig)
{
	(void)sig;
	stop_requested = 1;
}

struct run {
	const struct td_config *cfg;
	struct td_render_opts ropts;
	struct td_agg *agg;
	struct td_loss reported; /* loss totals at the previous report */
	/* --kernel-agg: the kernel's totals now and at the previous report,
	 * and what a report shows. */
	struct td_agg *kcur, *kprev, *shown;
};

static uint64_t clock_ns(clockid_t id)
{
	struct timespec ts;

	clock_gettime(id, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static int on_event(void *ctx, const struct td_event *e)
{
	struct run *r = ctx;

	td_agg_add(r->agg, e);
	if (r->cfg->events) {
		if (r->cfg->json)
			td_render_event_json(stdout, &r->ropts, e);
		else
			td_render_event_text(stdout, &r->ropts, e);
	}
	return 0;
}

static void report(struct run *r, struct td_tracer *t)
{
	struct td_loss total, delta;
	const struct td_agg *shown;
	uint64_t census[TD_CENSUS_MAX];
	int cerr;

	/* The census settles orphaned FIN_WAIT2s: drain what it reported so
	 * that this report includes it. */
	cerr = td_tracer_census(t, census);
	if (cerr)
		fprintf(stderr, "tcpdwell: failed to count live sockets: %s\n", strerror(-cerr));
	td_tracer_poll(t, 0);

	if (td_tracer_loss(t, &total)) {
		fprintf(stderr, "tcpdwell: failed to read loss counters: %s\n", strerror(errno));
		total = r->reported;
	}
	delta = total;
	if (!r->cfg->cumulative) {
		delta.ringbuf -= r->reported.ringbuf;
		delta.recursion -= r->reported.recursion;
		delta.no_storage -= r->reported.no_storage;
		delta.mini_untracked -= r->reported.mini_untracked;
	}
	shown = r->agg;
	if (r->cfg->kernel_agg) {
		int kerr = td_tracer_read_kernel_agg(t, r->kcur);

		if (kerr)
			fprintf(stderr, "tcpdwell: failed to read the in-kernel histograms: %s\n", strerror(-kerr));
		if (r->cfg->cumulative)
			*r->shown = *r->kcur;
		else
			td_agg_delta(r->shown, r->kcur, r->kprev);
		/* Plus what userspace itself reported (early kills it swept). */
		td_agg_merge(r->shown, r->agg);
		shown = r->shown;
		if (!r->cfg->cumulative)
			*r->kprev = *r->kcur;
	}
	if (r->cfg->json)
		td_render_report_json(stdout, shown, &delta);
	else
		td_render_report_text(stdout, shown, &delta, clock_ns(CLOCK_REALTIME));
	if (!cerr && r->cfg->json)
		td_render_census_json(stdout, census);
	else if (!cerr)
		td_render_census_text(stdout, census);
	fflush(stdout);
	if (!r->cfg->cumulative) {
		r->reported = total;
		td_agg_reset(r->agg);
	}
}

int main(int argc, char **argv)
{
	static struct td_config cfg;
	struct td_tracer *t = NULL;
	struct run r = { .cfg = &cfg };
	struct sigaction sa;
	uint64_t start, next_report = 0, end = 0, next_census;
	int err;

	if (argc > 1 && strcmp(argv[1], "snapshot") == 0)
		return td_snapshot_main(argc - 1, argv + 1);
	err = td_parse_args(&cfg, argc, argv, stdout, stderr);
	if (err)
		return err == 1 ? 0 : err;

	r.agg = calloc(1, sizeof(*r.agg));
	if (r.agg && cfg.kernel_agg) {
		r.kcur = calloc(1, sizeof(*r.kcur));
		r.kprev = calloc(1, sizeof(*r.kprev));
		r.shown = calloc(1, sizeof(*r.shown));
	}
	if (!r.agg || (cfg.kernel_agg && (!r.kcur || !r.kprev || !r.shown))) {
		fprintf(stderr, "tcpdwell: failed to allocate the aggregate: %s\n", strerror(errno));
		return 1;
	}
	r.ropts.wide = cfg.wide;
	r.ropts.realtime_offset_ns = (int64_t)(clock_ns(CLOCK_REALTIME) - clock_ns(CLOCK_MONOTONIC));

	/* No SA_RESTART: the poll returns at once on Ctrl-C. */
	sigemptyset(&sa.sa_mask);
	sa.sa_handler = on_signal;
	sa.sa_flags = 0;
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);

	err = td_tracer_open(&t, &cfg, on_event, &r);
	if (err) {
		err = 1;
		goto cleanup;
	}
	fprintf(stderr, "tcpdwell: tracing TCP state transitions%s; Ctrl-C to stop\n",
			cfg.interval_ns ? "" : ", report at exit");
	if (cfg.events && !cfg.json)
		td_render_event_header(stdout, &r.ropts);

	start = clock_ns(CLOCK_MONOTONIC);
	if (cfg.interval_ns)
		next_report = start + cfg.interval_ns;
	if (cfg.duration_ns)
		end = start + cfg.duration_ns;
	next_census = start + CENSUS_PERIOD_NS;
	while (!stop_requested) {
		uint64_t now;
		int n = td_tracer_poll(t, 100);

		if (n < 0) {
			fprintf(stderr, "tcpdwell: failed to poll ring buffer: %s\n", strerror(-n));
			err = 1;
			goto cleanup;
		}
		if (cfg.events)
			fflush(stdout);
		now = clock_ns(CLOCK_MONOTONIC);
		if (end && now >= end)
			break;
		/* Orphaned FIN_WAIT2s turn into TIME_WAIT without a timer event
		 * the kernel reports; the census finds them. */
		if (td_tracer_timers(t) && now >= next_census) {
			uint64_t census[TD_CENSUS_MAX];

			td_tracer_census(t, census);
			next_census = now + CENSUS_PERIOD_NS;
		}
		if (next_report && now >= next_report) {
			report(&r, t);
			next_report += cfg.interval_ns;
		}
	}
	/* Drain what is left, then the final report. */
	if (td_tracer_poll(t, 0) < 0)
		fprintf(stderr, "tcpdwell: failed to drain ring buffer\n");
	report(&r, t);
	if (td_tracer_bad_records(t))
		fprintf(stderr, "tcpdwell: %lu malformed records were rejected\n", td_tracer_bad_records(t));
	err = 0;

cleanup:
	td_tracer_close(t);
	free(r.agg);
	free(r.kcur);
	free(r.kprev);
	free(r.shown);
	return err;
}
