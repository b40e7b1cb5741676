/* tcpdwell entry point: parse options, start the tracer, then run one loop
 * that drains records into the view, serves the Prometheus exporter and
 * prints reports on interval, duration and signals. */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <linux/capability.h>
#include "agg.h"
#include "cgroups.h"
#include "clock.h"
#include "diag.h"
#include "doctor.h"
#include "explain.h"
#include "http.h"
#include "listen.h"
#include "opts.h"
#include "output.h"
#include "prom.h"
#include "privs.h"
#include "render.h"
#include "signals.h"
#include "series.h"
#include "holders.h"
#include "snapshot.h"
#include "tracer.h"
#include "walker.h"
#include "view.h"

/* Scrapes count sockets at most this often however many scrapers there
 * are. */
#define CENSUS_PERIOD_NS 1000000000ull

/* How long the loop sleeps while nothing happens: events on stdout (-e)
 * are printed within POLL_EVENTS_MS of their records; otherwise the loop
 * wakes once a second, or sooner for a deadline (see sleep_ms). Records
 * never wait on it: the kernel side wakes the loop when a quarter of a
 * ring is full, and a scrape drains the rings before it is answered. */
#define POLL_EVENTS_MS 100
#define POLL_IDLE_MS   1000

/* The only mutable globals: set by the signal handler, acted on by the
 * loop. SIGUSR1 asks for a report now (as dd does); the others, to stop. */
static volatile sig_atomic_t stop_requested, report_requested;

static void on_signal(int sig)
{
	if (sig == SIGUSR1)
		report_requested = 1;
	else
		stop_requested = 1;
}

struct run {
	const struct td_config *cfg;
	struct td_render_opts ropts;
	struct td_view *view;    /* the totals, whichever side counts them */
	struct td_series series; /* --prometheus-by */
	struct td_cgroups cgroups; /* -e -j and --prometheus-by container */
	struct td_loss reported; /* loss totals at the previous report (zero under -C) */
	struct td_tracer *t;
	struct td_http *http;    /* --prometheus */
	struct td_output *out;   /* stdout, and whether it took everything */
	/* The last census, shown by the exporter's gauges. */
	uint64_t census[TD_CENSUS_MAX];
	uint64_t census_at;      /* CLOCK_MONOTONIC of the last census */
	bool census_ok;
	/* CLOCK_MONOTONIC deadlines; 0 when there is none. */
	uint64_t next_report, end, next_census;
	uint64_t interval_start; /* CLOCK_MONOTONIC: what the next report covers */
};

/* The socket's cgroup path and container, from the cached walk. */
static struct td_where where_of(struct run *r, uint64_t cgroup_id)
{
	const struct td_cgroup *g = td_cgroups_lookup(&r->cgroups, cgroup_id, td_clock_ns(CLOCK_MONOTONIC));

	return (struct td_where){ g ? g->path : NULL, g ? g->ident : NULL };
}

static int on_event(void *ctx, const struct td_event *e)
{
	struct run *r = ctx;
	struct td_where w = { 0 };

	if ((r->cfg->events && r->cfg->json) || r->series.kind == TD_SERIES_CONTAINER)
		w = where_of(r, e->cgroup_id);
	td_view_add(r->view, e);
	td_series_add(&r->series, e, w.ident);
	if (r->cfg->events) {
		if (r->cfg->json)
			td_render_event_json(stdout, &r->ropts, e, &w);
		else
			td_render_event_text(stdout, &r->ropts, e);
	}
	return 0;
}

static int on_accept(void *ctx, const struct td_accept *a)
{
	struct run *r = ctx;
	struct td_where w;

	td_view_add_accept(r->view, a);
	if (r->cfg->events) {
		w = where_of(r, r->cfg->json ? a->cgroup_id : 0);
		if (r->cfg->json)
			td_render_accept_json(stdout, &r->ropts, a, &w);
		else
			td_render_accept_text(stdout, &r->ropts, a);
	}
	return 0;
}

/* A census of every namespace now, into the gauges' copy. */
static void census_now(struct run *r)
{
	r->census_ok = td_tracer_census(r->t, r->census) == 0;
	r->census_at = td_clock_ns(CLOCK_MONOTONIC);
}

/* The view's kernel source: r->t is open by the time it is asked. */
static int read_kernel_agg(void *ctx, struct td_agg *out)
{
	struct run *r = ctx;

	return td_tracer_read_kernel_agg(r->t, out);
}

/* Without -e the kernel aggregates the accept waits (no record per
 * accept): the view's kernel part is those alone. */
static int read_kernel_accepts(void *ctx, struct td_agg *out)
{
	struct run *r = ctx;

	return td_tracer_read_kernel_accepts(r->t, out);
}

/* The losses this report shows; *total becomes r->reported after it. */
static void interval_loss(struct run *r, struct td_loss *total, struct td_loss *delta)
{
	if (td_tracer_loss(r->t, total)) {
		td_err("failed to read loss counters: %s", strerror(errno));
		*total = r->reported;
	}
	td_loss_delta(delta, total, &r->reported);
}

/* The report of this interval; ends_interval is false for one SIGUSR1
 * asked for, which shows the interval so far and lets it go on. */
static void report(struct run *r, bool ends_interval)
{
	struct td_loss total, delta;
	const struct td_agg *shown;
	uint64_t census[TD_CENSUS_MAX], now = td_clock_ns(CLOCK_MONOTONIC);
	int cerr, kerr;

	/* The census settles orphaned FIN_WAIT2s: drain what it reported so
	 * that this report includes it. */
	cerr = td_tracer_census(r->t, census);
	if (cerr)
		td_err("failed to count live sockets: %s", strerror(-cerr));
	td_tracer_poll(r->t, 0);
	interval_loss(r, &total, &delta);
	kerr = td_view_interval(r->view, &shown);
	if (kerr)
		td_err("failed to read the in-kernel histograms: %s", strerror(-kerr));

	if (r->cfg->json)
		td_render_report_json(stdout, shown, &delta, td_clock_ns(CLOCK_REALTIME), now - r->interval_start);
	else
		td_render_report_text(stdout, shown, &delta, td_clock_ns(CLOCK_REALTIME));
	if (!cerr && r->cfg->json) {
		td_render_census_json(stdout, census);
		td_render_listeners_json(stdout, td_tracer_listeners(r->t));
	} else if (!cerr) {
		td_render_census_text(stdout, census);
		td_render_listeners_text(stdout, td_tracer_listeners(r->t));
	}
	td_output_error(r->out); /* the report goes out now; a failure stops the loop */
	if (!ends_interval)
		return;
	td_view_interval_done(r->view);
	if (!r->cfg->cumulative) {
		r->reported = total;
		r->interval_start = now;
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
		.loss = &loss,
		.progs = progs,
		.accept_by_port = r->cfg->series_kind == TD_SERIES_LPORT,
	};
	int n, err;

	/* The gauges are counted now: nothing walks the socket table between
	 * scrapes (settling orphans aside). */
	if (td_clock_ns(CLOCK_MONOTONIC) - r->census_at >= CENSUS_PERIOD_NS)
		census_now(r);
	if (r->census_ok) {
		in.census = r->census;
		in.listeners = td_tracer_listeners(r->t);
		in.ncensus_ns = td_tracer_census_ns(r->t, &in.census_ns);
	}
	err = td_tracer_loss(r->t, &loss);
	if (!err)
		err = td_view_since_start(r->view, &in.agg);
	if (err)
		return err;
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

/* The view and the labeled series; 0 or 1 after one line on stderr. */
static int alloc_state(struct run *r)
{
	const struct td_config *cfg = r->cfg;
	struct td_view_opts vo = {
		.cumulative = cfg->cumulative,
		.since_start = cfg->prometheus.family != 0,
		.read_kernel = cfg->kernel_agg ? read_kernel_agg : cfg->accepts_in_kernel ? read_kernel_accepts : NULL,
		.kernel_ctx = r,
	};

	r->view = td_view_new(&vo);
	if (!r->view) {
		td_err("failed to allocate the aggregate: %s", strerror(errno));
		return 1;
	}
	if (td_series_init(&r->series, (enum td_series_kind)cfg->series_kind, cfg->series_cap)) {
		td_err("failed to allocate the labeled series: %s", strerror(ENOMEM));
		return 1;
	}
	/* Without a cgroup2 mount no socket gets a container: said once. */
	if (((cfg->events && cfg->json) || cfg->series_kind == TD_SERIES_CONTAINER) &&
	    td_cgroups_init(&r->cgroups, NULL))
		td_warn("no cgroup2 mount in /proc/self/mounts: no cgroup paths or containers");
	return 0;
}

/* What the census keeps after attaching: entering other namespaces needs
 * CAP_SYS_ADMIN, and finding every one (no -N) opening other users'
 * /proc/PID/ns/net, which needs CAP_SYS_PTRACE. -N self keeps nothing. */
static int drop_privileges(const struct run *r)
{
	int keep[2];
	size_t n = 0;

	if (td_tracer_enters_netns(r->t)) {
		keep[n++] = CAP_SYS_ADMIN;
		if (!r->cfg->netns)
			keep[n++] = CAP_SYS_PTRACE;
	}
	return td_drop_privileges(keep, n);
}

/* SIGUSR1 asks for a report of the interval so far; the others stop. */
static void catch_signals(void)
{
	static const int sigs[] = { SIGINT, SIGTERM, SIGHUP, SIGUSR1 };

	/* Without its pipe the waits end at their timeouts: no error to stop on. */
	(void)td_catch_signals(on_signal, sigs, sizeof(sigs) / sizeof(sigs[0]));
}

/* Exporter bound, tracer attached, privileges dropped; 0 or 1 after one
 * line on stderr. */
static int start(struct run *r)
{
	const struct td_config *cfg = r->cfg;
	char where[64];

	/* Bind before loading BPF: a taken port fails fast. Nothing is served
	 * until the loop runs td_http_run. */
	if (cfg->prometheus.family && td_http_start(&r->http, &cfg->prometheus, render_metrics, r))
		return 1;
	if (td_tracer_open(&r->t, cfg, on_event, r))
		return 1;
	td_tracer_on_accept(r->t, on_accept, r);
	if (!r->http)
		return 0;
	/* Attached: what is left to do needs no privilege, but entering other
	 * namespaces for the census. */
	if (drop_privileges(r))
		return 1;
	census_now(r);
	td_err("serving Prometheus metrics at http://%s/metrics%s%s%s",
	       td_listen_fmt(where, sizeof(where), &cfg->prometheus),
	       cfg->prometheus.name[0] ? " (" : "", cfg->prometheus.name,
	       cfg->prometheus.name[0] ? ")" : "");
	return 0;
}

static void schedule(struct run *r)
{
	uint64_t now = td_clock_ns(CLOCK_MONOTONIC);

	if (r->cfg->interval_ns)
		r->next_report = now + r->cfg->interval_ns;
	if (r->cfg->duration_ns)
		r->end = now + r->cfg->duration_ns;
	r->next_census = now + TD_SETTLE_PERIOD_NS;
	r->interval_start = now;
}

static int setup(struct run *r)
{
	const struct td_config *cfg = r->cfg;

	if (alloc_state(r))
		return 1;
	r->ropts.wide = cfg->wide;
	r->ropts.realtime_offset_ns = (int64_t)(td_clock_ns(CLOCK_REALTIME) - td_clock_ns(CLOCK_MONOTONIC));
	catch_signals();
	if (start(r))
		return 1;
	td_err("tracing TCP state transitions%s; Ctrl-C to stop", cfg->interval_ns ? "" : ", report at exit");
	if (cfg->events && !cfg->json)
		td_render_event_header(stdout, &r->ropts);
	schedule(r);
	return 0;
}

static void teardown(struct run *r)
{
	td_http_stop(r->http);
	td_tracer_close(r->t);
	td_view_free(r->view);
	td_series_free(&r->series);
	td_cgroups_free(&r->cgroups);
}

/* The loop's next sleep: see POLL_IDLE_MS; never past the next report,
 * the end of -d, or the census that settles orphans. */
static int sleep_ms(const struct run *r)
{
	uint64_t now = td_clock_ns(CLOCK_MONOTONIC), due = UINT64_MAX, left;
	int ms = r->cfg->events ? POLL_EVENTS_MS : POLL_IDLE_MS;

	if (r->next_report)
		due = r->next_report;
	if (r->end && r->end < due)
		due = r->end;
	if (td_tracer_orphans_pending(r->t) && r->next_census < due)
		due = r->next_census;
	if (due == UINT64_MAX)
		return ms;
	if (due <= now)
		return 0;
	left = (due - now + 999999) / 1000000; /* rounded up: never wakes early */
	return left < (uint64_t)ms ? (int)left : ms;
}

/* Waits for records (and, with the exporter, for clients at once), then
 * drains them into the view and flushes the events printed for them; 0 or 1
 * after one line on stderr. */
static int drain(struct run *r)
{
	int fds[2] = { td_tracer_epoll_fd(r->t), r->http ? td_http_fd(r->http) : -1 };
	int ms = sleep_ms(r), n;

	if (r->http)
		ms = td_http_wait_ms(r->http, ms);
	n = td_wait(fds, 2, ms);
	if (n < 0) {
		td_err("failed to wait for records: %s", strerror(-n));
		return 1;
	}
	n = td_tracer_poll(r->t, 0);
	if (n < 0) {
		td_err("failed to poll ring buffer: %s", strerror(-n));
		return 1;
	}
	if (r->cfg->events)
		td_output_error(r->out);
	return 0;
}

/* After the drain, so that a scrape sees every record read so far. */
static void serve_scrapes(struct run *r)
{
	if (r->http)
		td_http_run(r->http);
}

/* Orphaned FIN_WAIT2s turn into TIME_WAIT without a timer event the kernel
 * reports; the census finds them, so it runs every second while some may
 * wait (with -T), and not otherwise: scrapes and reports count for
 * themselves. */
static void census_when_due(struct run *r, uint64_t now)
{
	if (now >= r->next_census && td_tracer_orphans_pending(r->t)) {
		census_now(r);
		r->next_census = now + TD_SETTLE_PERIOD_NS;
	}
}

static void report_when_due(struct run *r, uint64_t now)
{
	if (r->next_report && now >= r->next_report) {
		report(r, true);
		r->next_report += r->cfg->interval_ns;
	}
}

static void report_on_request(struct run *r)
{
	if (report_requested) {
		report_requested = 0;
		report(r, false);
	}
}

/* Until a signal, the end of -d or lost output, then the last drain and
 * the final report; 0 or 1. Lost output is main's to report. */
static int run_loop(struct run *r)
{
	while (!stop_requested && !td_output_error(r->out)) {
		uint64_t now;

		if (drain(r))
			return 1;
		serve_scrapes(r);
		now = td_clock_ns(CLOCK_MONOTONIC);
		if (r->end && now >= r->end)
			break;
		census_when_due(r, now);
		report_when_due(r, now);
		report_on_request(r);
	}
	if (td_output_error(r->out))
		return 0;
	if (td_tracer_poll(r->t, 0) < 0)
		td_err("failed to drain ring buffer");
	report(r, true);
	if (td_tracer_bad_records(r->t))
		td_err("%lu malformed records were rejected", td_tracer_bad_records(r->t));
	return 0;
}

int main(int argc, char **argv)
{
	static struct td_config cfg;
	/* static: stdout's stream keeps a pointer to it until exit() has
	 * flushed every stream, after main returns. */
	static struct td_output out;
	struct run r = { .cfg = &cfg, .out = &out };
	int err;

	if (td_guard_std_fds()) {
		td_err("failed to open /dev/null onto a closed stdin, stdout or stderr: %s", strerror(errno));
		return 1;
	}
	/* glibc's stdout is a plain variable: printf and every renderer
	 * given stdout now write through the recording stream. */
	err = td_output_open(&out, STDOUT_FILENO);
	if (err) {
		td_err("failed to set up standard output: %s", strerror(-err));
		return 1;
	}
	stdout = out.f;
	/* Debug variables, but a bad value is still refused. */
	if (td_holders_env_check() || td_walker_env_check())
		return td_output_status(&out, 2);
	if (argc > 1 && strcmp(argv[1], td_snap_cmd.name) == 0)
		return td_output_status(&out, td_snapshot_main(argc - 1, argv + 1));
	if (argc > 1 && strcmp(argv[1], td_doctor_cmd.name) == 0)
		return td_output_status(&out, td_doctor_main(argc - 1, argv + 1));
	if (argc > 1 && strcmp(argv[1], td_explain_cmd.name) == 0)
		return td_output_status(&out, td_explain_main(argc - 1, argv + 1));
	err = td_parse_args(&cfg, argc, argv, stdout, stderr);
	if (err)
		return td_output_status(&out, err == 1 ? 0 : err);
	/* Only -e shows each accept: otherwise the kernel keeps their waits,
	 * which spares a record per accept (doctor keeps its records). */
	cfg.accepts_in_kernel = !cfg.events;
	err = td_listen_resolve(&cfg.prometheus);
	if (err)
		return td_output_status(&out, err);
	err = setup(&r);
	if (!err)
		err = run_loop(&r);
	teardown(&r);
	return td_output_status(&out, err);
}
