/* `tcpdwell doctor`: collection. A tracer of its own with every hook on
 * (timer hooks included) for -d seconds, a census of the live sockets with
 * their ages through the snapshot iterator on that tracer's maps, the
 * kernel's settings; then the rules (doctor_rules*.c) and the rendering. */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include "clock.h"
#include "diag.h"
#include "container.h"
#include "doctor.h"
#include "holders.h"
#include "nsiter.h"
#include "pins.h"
#include "signals.h"
#include "record.h"
#include "snapshot.h"
#include "tracer.h"
#include "tcpdwell.skel.h"

#define RINGBUF_BYTES (8u << 20)

/* Set by the signal handler: Ctrl-C ends the tracing early, with findings. */
static volatile sig_atomic_t stop_requested;

static void on_signal(int sig)
{
	(void)sig;
	stop_requested = 1;
}

struct doctor {
	struct doctor_opts o;
	struct td_tracer *t;
	struct td_agg *agg;
	struct td_doc_events ev;
	struct td_doc_input in;
	struct td_doc_sock *socks;
	size_t nsocks, cap;
	size_t unlisted;   /* census records that found no memory */
	size_t older_ages; /* ages an older tracer's maps gave */
	struct td_holders holders;
	uint64_t now; /* CLOCK_MONOTONIC at the census */
	struct td_findings findings;
};

static int on_event(void *ctx, const struct td_event *e)
{
	struct doctor *d = ctx;

	td_agg_add(d->agg, e);
	td_doc_note_event(&d->ev, &d->o.th, e);
	return 0;
}

static int on_accept(void *ctx, const struct td_accept *a)
{
	struct doctor *d = ctx;

	td_agg_add_accept(d->agg, a);
	td_doc_note_accept(&d->ev, &d->o.th, a);
	return 0;
}

/* One record of the census as doctor keeps it: its age and who holds it. */
static void sock_of(const struct doctor *d, const struct td_snap *r, struct td_doc_sock *s)
{
	const struct td_holder *h = r->ino ? td_holders_find(&d->holders, r->ino) : NULL;

	memset(s, 0, sizeof(*s));
	s->state = r->state;
	s->family = r->family;
	s->sport = r->sport;
	s->dport = r->dport;
	s->netns = r->netns;
	memcpy(s->saddr, r->saddr, 16);
	memcpy(s->daddr, r->daddr, 16);
	s->age_known = r->flags & (TD_F_DWELL_KNOWN | TD_F_AT_LEAST);
	s->at_least = r->flags & TD_F_AT_LEAST;
	s->age_ns = s->age_known && d->now > r->since_ns ? d->now - r->since_ns : 0;
	/* A timewait sock's FIN_WAIT2, or a full socket without a file. */
	s->orphan = (r->flags & TD_F_MINI) || (!r->ino && r->state != TD_TIME_WAIT && r->state != TD_NEW_SYN_RECV &&
					       r->state != TD_LISTEN);
	if (h) {
		s->pid = (uint32_t)h->pid;
		snprintf(s->comm, sizeof(s->comm), "%s", h->comm);
	} else if (r->flags & TD_F_PID_KNOWN) {
		s->pid = r->pid;
		snprintf(s->comm, sizeof(s->comm), "%.*s", TD_COMM_LEN, r->comm);
	}
}

static bool valid(const struct td_snap *r)
{
	return r->type == TD_REC_SNAPSHOT && r->state > 0 && r->state < TD_MAX_STATES;
}

static void add_sock(void *ctx, const void *rec)
{
	struct doctor *d = ctx;

	if (!valid(rec))
		return;
	if (d->nsocks == d->cap) {
		size_t cap = d->cap ? 2 * d->cap : 1024;
		struct td_doc_sock *v = realloc(d->socks, cap * sizeof(*v));

		if (!v) {
			d->unlisted++;
			return;
		}
		d->socks = v;
		d->cap = cap;
	}
	sock_of(d, rec, &d->socks[d->nsocks++]);
}

/* A second reading, on an older tracer's maps. */
static void better_sock(void *ctx, const void *rec)
{
	struct doctor *d = ctx;
	struct td_doc_sock s;

	if (!valid(rec))
		return;
	sock_of(d, rec, &s);
	d->older_ages += td_doc_socks_better(d->socks, d->nsocks, &s);
}

/* What census_pass hands each namespace's iterator to. */
struct pass {
	struct doctor *d;
	void (*fn)(void *ctx, const void *rec);
};

static int read_ns(void *ctx, uint32_t netns, int fd)
{
	struct pass *p = ctx;
	struct td_snap rec;

	(void)netns;
	return td_read_records(fd, &rec, sizeof(rec), p->fn, p->d);
}

/* One pass of the snapshot iterator over the live sockets of every
 * namespace (or -N's), with the times in the maps of `tracer` (0: none);
 * 0, or -errno with *what set. */
static int census_pass(struct doctor *d, pid_t tracer, void (*fn)(void *ctx, const void *rec), const char **what)
{
	struct tcpdwell_bpf *skel = NULL;
	struct bpf_link *link = NULL;
	struct pass p = { d, fn };
	struct td_nsiter walk;
	int err;

	*what = "load the snapshot iterator";
	err = td_snapshot_open(&skel, &d->o.cfg, tracer, false);
	if (err)
		return err;
	*what = "start the snapshot iterator";
	err = td_snapshot_attach(skel, &link);
	if (!err) {
		*what = "read the socket census";
		err = td_nsiter_init(&walk, &d->o.cfg);
		d->now = td_clock_ns(CLOCK_MONOTONIC);
		if (!err)
			err = td_nsiter_run(&walk, link, read_ns, &p);
		td_nsiter_free(&walk);
	}
	bpf_link__destroy(link);
	tcpdwell_bpf__destroy(skel);
	return err < 0 ? err : 0;
}

/* Other tracers whose maps doctor reads for older times. */
#define OTHER_TRACERS 8

/* The live sockets with their ages: from the maps this run's tracer
 * shares (sockets older than the run "at least" since its start), then
 * from every other tracer that shares its maps: where its filters cover a
 * socket, its times reach further back; 0 or 1 after an error line. */
static int census(struct doctor *d)
{
	char path[256];
	pid_t self = getpid(), others[OTHER_TRACERS];
	int n;

	td_pin_path(path, sizeof(path), self, NULL);
	if (access(path, F_OK) != 0) {
		td_warn("this run's maps are not shared in %s: socket ages are unknown", TD_PIN_ROOT);
		self = 0;
	}
	const char *what;
	int err;

	(void)td_tracer_holders(d->t, &d->holders);
	err = census_pass(d, self, add_sock, &what);
	if (err) {
		td_err("failed to %s: %s", what, strerror(-err));
		return 1;
	}
	if (d->unlisted)
		td_warn("out of memory for %zu sockets of the census: the findings leave them out", d->unlisted);
	n = self ? td_pin_other_tracers(self, others, OTHER_TRACERS) : 0;
	if (n)
		td_doc_socks_sort(d->socks, d->nsocks);
	for (int i = 0; i < n; i++) {
		d->older_ages = 0;
		err = census_pass(d, others[i], better_sock, &what);
		if (err)
			td_warn("cannot read the times of the tracer pid %d (failed to %s: %s)", (int)others[i], what,
				strerror(-err));
		else if (d->older_ages)
			td_err("doctor: times in state from the tracer pid %d for %zu sockets older than this run",
			       (int)others[i], d->older_ages);
	}
	return 0;
}

/* "1::/system.slice/x.service" lines of /proc/PID/cgroup: the v2 path. */
/* The container (or pod, or systemd unit) a process runs in, as the
 * snapshot's CONTAINER column names it, from its cgroup v2 path; "" when
 * its cgroup names none. */
static void container_of_pid(uint32_t pid, char *buf, size_t len)
{
	struct td_identity id;
	char path[64], *line = NULL;
	size_t cap = 0;
	FILE *f;

	buf[0] = '\0';
	snprintf(path, sizeof(path), "/proc/%u/cgroup", pid);
	f = fopen(path, "r");
	if (!f)
		return;
	while (getline(&line, &cap, f) > 0) {
		line[strcspn(line, "\n")] = '\0';
		if (strncmp(line, "0::", 3) == 0 && td_identity_parse(line + 3, &id) == 0 &&
		    (id.container[0] || id.pod_uid[0] || id.unit[0]))
			td_identity_short(&id, buf, len);
	}
	free(line);
	fclose(f);
}

static void name_containers(struct td_findings *fs)
{
	for (unsigned i = 0; i < fs->n; i++)
		for (unsigned k = 0; k < fs->v[i].nowners; k++)
			if (fs->v[i].owners[k].pid)
				container_of_pid(fs->v[i].owners[k].pid, fs->v[i].owners[k].container,
						 sizeof(fs->v[i].owners[k].container));
}

/* A closed terminal (SIGHUP) ends the run as Ctrl-C does. */
static void catch_signals(void)
{
	static const int sigs[] = { SIGINT, SIGTERM, SIGHUP };

	/* Without its pipe the waits end at their timeouts: no error to stop on. */
	(void)td_catch_signals(on_signal, sigs, sizeof(sigs) / sizeof(sigs[0]));
}

/* One progress line per second on a terminal, else at the start only. */
static void progress(uint64_t left_ns, bool tty)
{
	if (tty)
		fprintf(stderr, "\rtcpdwell: doctor: tracing, %llu s left ",
			(unsigned long long)((left_ns + 999999999) / 1000000000));
}

/* Traces for -d (or until Ctrl-C), with a progress line every second and
 * a census only when orphaned FIN_WAIT2s wait, as main's loop does (the
 * end of the run settles the rest); 0 or 1. */
static int trace(struct doctor *d)
{
	uint64_t start = td_clock_ns(CLOCK_MONOTONIC), end = start + d->o.cfg.duration_ns, next = start;
	uint64_t next_settle = start + TD_SETTLE_PERIOD_NS;
	uint64_t c[TD_CENSUS_MAX];
	bool tty = isatty(STDERR_FILENO);
	int fd = td_tracer_epoll_fd(d->t);

	td_err("doctor: tracing every TCP state transition for %.1f s (Ctrl-C ends it early)",
	       d->o.cfg.duration_ns / 1e9);
	while (!stop_requested) {
		uint64_t now = td_clock_ns(CLOCK_MONOTONIC);
		int n;

		if (now >= end)
			break;
		if (now >= next) {
			progress(end - now, tty);
			next += 1000000000ull;
		}
		if (now >= next_settle && td_tracer_orphans_pending(d->t)) {
			(void)td_tracer_census(d->t, c);
			next_settle = now + TD_SETTLE_PERIOD_NS;
		}
		n = td_wait(&fd, 1, 100);
		if (n >= 0)
			n = td_tracer_poll(d->t, 0);
		if (n < 0 && n != -EINTR) {
			td_err("failed to poll ring buffer: %s", strerror(-n));
			return 1;
		}
	}
	if (tty)
		fputs("\n", stderr);
	d->in.duration_ns = td_clock_ns(CLOCK_MONOTONIC) - start;
	return 0;
}

/* Whether the doctor's filters narrow what it traces. */
static bool filtered(const struct td_config *c)
{
	return c->family || c->filter_lport || c->filter_rport || c->filter_either || c->laddr.family ||
	       c->raddr.family || c->pid || c->cgroup_path;
}

/* The end of the run: the last records, the listeners, the losses. */
static int settle(struct doctor *d)
{
	uint64_t c[TD_CENSUS_MAX];
	int err = td_tracer_census(d->t, c);

	if (err)
		td_err("failed to count live sockets: %s", strerror(-err));
	(void)td_tracer_poll(d->t, 0);
	if (td_tracer_loss(d->t, &d->in.loss))
		td_err("failed to read loss counters: %s", strerror(errno));
	d->in.listeners = td_tracer_listeners(d->t);
	d->in.timers = td_tracer_timers(d->t);
	d->in.filtered = filtered(&d->o.cfg);
	return err ? 1 : 0;
}

static int start(struct doctor *d)
{
	d->o.cfg.timers = true;
	d->o.cfg.ringbuf_bytes = RINGBUF_BYTES;
	d->agg = calloc(1, sizeof(*d->agg));
	if (!d->agg) {
		td_err("failed to allocate the aggregate: %s", strerror(errno));
		return 1;
	}
	td_agg_reset(d->agg);
	catch_signals();
	if (td_tracer_open(&d->t, &d->o.cfg, on_event, d))
		return 1;
	td_tracer_on_accept(d->t, on_accept, d);
	d->in.census_start_ok = td_tracer_census(d->t, d->in.census_start) == 0;
	return 0;
}

static int report(struct doctor *d)
{
	struct td_doc_render r = {
		.color = !d->o.no_color && !d->o.cfg.json && isatty(STDOUT_FILENO),
		.duration_ns = d->in.duration_ns,
		.nsocks = d->nsocks,
		.events = d->agg->events,
		.lost = td_loss_total(&d->in.loss),
	};

	d->in.socks = d->socks;
	d->in.nsocks = d->nsocks;
	d->in.agg = d->agg;
	d->in.ev = &d->ev;
	td_sysctls_read(&d->in.sys, "/proc/sys", "/proc/net/sockstat");
	td_doctor_run(&d->in, &d->o.th, &d->findings);
	name_containers(&d->findings);
	if (d->o.cfg.json)
		td_doctor_render_json(stdout, &d->findings, &r);
	else
		td_doctor_render_text(stdout, &d->findings, &r);
	return d->o.fail_on && td_findings_reach(&d->findings, (enum td_sev)d->o.fail_on) ? 1 : 0;
}

int td_doctor_main(int argc, char **argv)
{
	struct doctor *d = calloc(1, sizeof(*d));
	int err;

	if (!d) {
		td_err("failed to allocate: %s", strerror(errno));
		return 1;
	}
	err = td_parse_doctor_args(&d->o, argc, argv, stdout, stderr);
	if (err) {
		free(d);
		return err == 1 ? 0 : err;
	}
	err = start(d);
	if (!err)
		err = trace(d);
	if (!err)
		err = settle(d);
	if (!err)
		err = census(d);
	if (!err)
		err = report(d);
	td_tracer_close(d->t);
	td_holders_free(&d->holders);
	free(d->socks);
	free(d->agg);
	free(d);
	return err;
}
