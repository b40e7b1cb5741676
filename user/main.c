/* tcpdwell entry point: parse options, start the tracer, consume records
 * into the aggregate, print reports on interval, duration and signals, and
 * serve the Prometheus exporter from the same loop. */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include "agg.h"
#include "clock.h"
#include "http.h"
#include "opts.h"
#include "prom.h"
#include "privs.h"
#include "render.h"
#include "series.h"
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
	/* --prometheus: totals since start (never reset by -i), the kernel's
	 * totals at a scrape, and the last census. */
	struct td_tracer *t;
	struct td_agg *total, *kscrape;
	uint64_t census[TD_CENSUS_MAX];
	bool census_ok;
	struct td_series series; /* --prometheus-by */
};

static int on_event(void *ctx, const struct td_event *e)
{
	struct run *r = ctx;

	td_agg_add(r->agg, e);
	if (r->total)
		td_agg_add(r->total, e);
	td_series_add(&r->series, e);
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
		td_render_report_text(stdout, shown, &delta, td_clock_ns(CLOCK_REALTIME));
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

/* Whether the kernel counts BPF run time now (the sysctl); a BPF_ENABLE_STATS
 * fd held elsewhere also does, which shows as run counts above 0. */
static bool bpf_stats_enabled(void)
{
	FILE *f = fopen("/proc/sys/kernel/bpf_stats_enabled", "r");
	int v = 0;

	if (f) {
		if (fscanf(f, "%d", &v) != 1)
			v = 0;
		fclose(f);
	}
	return v == 1;
}

/* A scrape: the totals since start, read between two ring buffer drains of
 * the main loop (single-threaded, so never while on_event writes them). */
static int render_metrics(void *ctx, FILE *f)
{
	struct run *r = ctx;
	struct td_prog_stat progs[32];
	struct td_loss loss;
	struct td_prom_input in = {
		.version = TD_VERSION,
		.agg = r->total,
		.loss = &loss,
		.census = r->census_ok ? r->census : NULL,
		.progs = progs,
	};
	int n, err;

	err = td_tracer_loss(r->t, &loss);
	if (err)
		return err;
	if (r->cfg->kernel_agg) {
		/* The kernel's totals plus what userspace reported itself
		 * (early kills it swept), like the text report. */
		err = td_tracer_read_kernel_agg(r->t, r->kscrape);
		if (err)
			return err;
		td_agg_merge(r->kscrape, r->total);
		in.agg = r->kscrape;
	}
	n = td_tracer_prog_stats(r->t, progs, (int)(sizeof(progs) / sizeof(progs[0])));
	if (n > 0) {
		in.nprogs = (size_t)n;
		in.bpf_stats = bpf_stats_enabled();
		for (int i = 0; i < n && !in.bpf_stats; i++)
			in.bpf_stats = progs[i].run_cnt > 0;
	}
	td_prom_render(f, &in);
	td_series_render(f, &r->series);
	return ferror(f) ? -EIO : 0;
}

int main(int argc, char **argv)
{
	static struct td_config cfg;
	struct td_tracer *t = NULL;
	struct td_http *http = NULL;
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
	if (r.agg && cfg.prometheus.family) {
		r.total = calloc(1, sizeof(*r.total));
		if (cfg.kernel_agg)
			r.kscrape = calloc(1, sizeof(*r.kscrape));
	}
	if (!r.agg || (cfg.kernel_agg && (!r.kcur || !r.kprev || !r.shown)) ||
	    (cfg.prometheus.family && (!r.total || (cfg.kernel_agg && !r.kscrape)))) {
		fprintf(stderr, "tcpdwell: failed to allocate the aggregate: %s\n", strerror(errno));
		return 1;
	}
	if (td_series_init(&r.series, (enum td_series_kind)cfg.series_kind, cfg.series_cap)) {
		fprintf(stderr, "tcpdwell: failed to allocate the labeled series: %s\n", strerror(ENOMEM));
		return 1;
	}
	r.ropts.wide = cfg.wide;
	r.ropts.realtime_offset_ns = (int64_t)(td_clock_ns(CLOCK_REALTIME) - td_clock_ns(CLOCK_MONOTONIC));

	/* No SA_RESTART: the poll returns at once on Ctrl-C. */
	sigemptyset(&sa.sa_mask);
	sa.sa_handler = on_signal;
	sa.sa_flags = 0;
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);

	/* Bind before loading BPF: a taken port fails fast. Nothing is served
	 * until the loop below runs td_http_run. */
	if (cfg.prometheus.family && td_http_start(&http, &cfg.prometheus, render_metrics, &r)) {
		err = 1;
		goto cleanup;
	}
	err = td_tracer_open(&t, &cfg, on_event, &r);
	if (err) {
		err = 1;
		goto cleanup;
	}
	r.t = t;
	if (http) {
		char where[64];

		/* Attached: what is left to do needs no privilege. */
		if (td_drop_privileges()) {
			err = 1;
			goto cleanup;
		}
		r.census_ok = td_tracer_census(t, r.census) == 0;
		fprintf(stderr, "tcpdwell: serving Prometheus metrics at http://%s/metrics\n",
			td_http_fmt_listen(where, sizeof(where), &cfg.prometheus));
	}
	fprintf(stderr, "tcpdwell: tracing TCP state transitions%s; Ctrl-C to stop\n",
			cfg.interval_ns ? "" : ", report at exit");
	if (cfg.events && !cfg.json)
		td_render_event_header(stdout, &r.ropts);

	start = td_clock_ns(CLOCK_MONOTONIC);
	if (cfg.interval_ns)
		next_report = start + cfg.interval_ns;
	if (cfg.duration_ns)
		end = start + cfg.duration_ns;
	next_census = start + CENSUS_PERIOD_NS;
	while (!stop_requested) {
		uint64_t now;
		int n;

		/* With the exporter, wait on the ring buffer and the server at
		 * once; scrapes are served after the drain. */
		if (http)
			td_http_wait(http, td_tracer_epoll_fd(t), 100);
		n = td_tracer_poll(t, http ? 0 : 100);

		if (n < 0) {
			fprintf(stderr, "tcpdwell: failed to poll ring buffer: %s\n", strerror(-n));
			err = 1;
			goto cleanup;
		}
		if (http)
			td_http_run(http);
		if (cfg.events)
			fflush(stdout);
		now = td_clock_ns(CLOCK_MONOTONIC);
		if (end && now >= end)
			break;
		/* Orphaned FIN_WAIT2s turn into TIME_WAIT without a timer event
		 * the kernel reports; the census finds them. The exporter's
		 * gauges show the last one, so scrapes cost no socket walk. */
		if ((td_tracer_timers(t) || http) && now >= next_census) {
			r.census_ok = td_tracer_census(t, r.census) == 0;
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
	td_http_stop(http);
	td_tracer_close(t);
	free(r.agg);
	free(r.kcur);
	free(r.kprev);
	free(r.shown);
	free(r.total);
	free(r.kscrape);
	td_series_free(&r.series);
	return err;
}
