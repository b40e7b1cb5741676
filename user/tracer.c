/* BPF lifecycle for tcpdwell: open -> set knobs and map sizes -> load ->
 * attach -> poll, with a single cleanup path. Kernel facts (kfacts.c), the
 * filter (filter.c), bpffs sharing (share.c), the timewait sweep
 * (twsweep.c) and the kernel's counts of the programs (progstats.c) live in
 * their own modules. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <time.h>
#include <bpf/bpf.h>
#include <bpf/btf.h>
#include <bpf/libbpf.h>
#include "tracer.h"
#include "clock.h"
#include "diag.h"
#include "filter.h"
#include "kfacts.h"
#include "pins.h"
#include "record.h"
#include "share.h"
#include "twsweep.h"
#include "closesweep.h"
#include "census.h"
#include "listeners.h"
#include "nsiter.h"
#include "holders_iter.h"
#include "hooks.h"
#include "kread.h"
#include "privs.h"
#include "progstats.h"
#include "rings.h"
#include "tcpdwell.skel.h"

struct td_tracer {
	struct tcpdwell_bpf *skel;
	struct td_rings *rings;   /* the ring buffers (rings.h) */
	struct ring_buffer *rb;   /* their consumer (rings owns it) */
	int nrings;               /* one per online CPU, or 1 that all share */
	uint32_t ring_bytes;      /* each ring's size */
	struct td_twsweep *sweep; /* NULL without the timer programs */
	struct td_closesweep *closes;
	struct td_nsiter walk;    /* the namespaces the census and seeding walk */
	struct td_census census;
	struct td_hz_probe hz;    /* CONFIG_HZ being measured across polls */
	td_event_fn fn;
	void *ctx;
	td_accept_fn accept_fn;   /* NULL: accept records are dropped */
	void *accept_ctx;
	unsigned long bad_records;
	int ncpus;
	bool timers;
	bool accepts;             /* the accept programs are attached */
	char accepts_missing[160]; /* why not, warned about after the load */
	pid_t pinned_pid;         /* 0: maps not shared in bpffs */
};

static int libbpf_print(enum libbpf_print_level level, const char *fmt, va_list args)
{
	(void)level;
	return vfprintf(stderr, fmt, args);
}

static int libbpf_quiet(enum libbpf_print_level level, const char *fmt, va_list args)
{
	(void)level;
	(void)fmt;
	(void)args;
	return 0;
}

static int on_record(void *ctx, void *data, size_t len)
{
	struct td_tracer *t = ctx;
	const struct td_event *e;
	const struct td_accept *a;

	switch (td_record_type(data, len)) {
	case TD_REC_TRANSITION:
		if ((e = td_decode(data, len)))
			return t->fn(t->ctx, e);
		break;
	case TD_REC_ACCEPT:
		if ((a = td_decode_accept(data, len)))
			return t->accept_fn ? t->accept_fn(t->accept_ctx, a) : 0;
		break;
	}
	t->bad_records++;
	return 0;
}

/* Between two runs of a census walk: the records that came meanwhile
 * (the walk's own orphan settling among them). A failing callback (the
 * output gone) stops the drain; the loop's next poll meets it again and
 * ends the run, so it is not kept here. */
static void drain_during_walk(void *ctx)
{
	struct td_tracer *t = ctx;

	(void)ring_buffer__consume(t->rb);
}

/* What a refusal for privileges needs; "" for other errors. */
static const char *privilege_hint(char *buf, size_t len, int err, bool timers)
{
	td_privilege_refusal(buf, len, err, timers ? TD_NEED_KALLSYMS : TD_NEED_LOAD);
	return buf;
}

static int tracer_new(struct td_tracer **out, td_event_fn fn, void *ctx)
{
	struct td_tracer *t = calloc(1, sizeof(*t));
	int err;

	*out = t;
	if (!t) {
		td_err("failed to allocate tracer: %s", strerror(errno));
		return -ENOMEM;
	}
	t->fn = fn;
	t->ctx = ctx;
	t->hz.jiffies = -1;
	t->ncpus = libbpf_num_possible_cpus();
	if (t->ncpus < 0) {
		td_err("failed to count CPUs: %s", strerror(-t->ncpus));
		return t->ncpus;
	}
	t->skel = tcpdwell_bpf__open();
	if (!t->skel) {
		err = -errno;
		td_err("failed to open BPF object: %s", strerror(-err));
		return err;
	}
	return 0;
}

/* The timer programs tell timewait and request socks by their timer
 * function; without both addresses they stay unloaded. Warned about after
 * a successful load: without privileges the addresses read as 0 and the
 * load fails anyway. */
static bool find_timer_fns(struct tcpdwell_bpf *skel)
{
	static const char *const names[] = { "tw_timer_handler", "reqsk_timer_handler" };
	uint64_t addrs[2];

	if (td_kallsyms_lookup(names, addrs, 2) != 2)
		return false;
	skel->rodata->tw_timer_fn = addrs[0];
	skel->rodata->reqsk_timer_fn = addrs[1];
	return true;
}

/* -T without the addresses would trace no timers: a failure, not a warning,
 * when only privileges hide them. */
static int check_kallsyms(const struct td_config *cfg)
{
	char hint[160];

	if (!cfg->timers || !td_kallsyms_hidden())
		return 0;
	td_privilege_hint(hint, sizeof(hint), TD_NEED_KALLSYMS);
	td_err("-T needs the timer handlers' addresses, which /proc/kallsyms hides without CAP_SYSLOG%s", hint);
	return -EPERM;
}

static void configure_knobs(struct td_tracer *t, const struct td_config *cfg, const struct td_filter *filt)
{
	struct tcpdwell_bpf *skel = t->skel;

	td_filter_store(&skel->rodata->filt, skel->rodata->port_filter, filt, cfg->port_filter);
	t->timers = cfg->timers && find_timer_fns(skel);
	skel->rodata->timers_on = t->timers;
	skel->rodata->nr_cpus = (__u32)t->ncpus;
	skel->rodata->kernel_agg = cfg->kernel_agg;
	skel->rodata->accept_agg = cfg->kernel_agg || cfg->accepts_in_kernel;
	/* A ring per CPU, which no two CPUs contend for, unless the output
	 * depends on the records' order: -e's lines, --prometheus-by's
	 * first-come series; one ring all CPUs share keeps it. -r is their
	 * total. --kernel-agg sends no records: the smallest rings will do.
	 * Wake the consumer when a quarter of a ring is full; the poll
	 * timeout covers quiet periods. */
	t->nrings = cfg->events || cfg->series_kind ? 1 : td_rings_per_cpu(t->ncpus);
	t->ring_bytes = td_ring_bytes(cfg->kernel_agg ? 4096 : cfg->ringbuf_bytes, t->nrings);
	skel->rodata->wakeup_bytes = t->ring_bytes / 4;
	t->accepts = td_hooks_accepts(skel, t->accepts_missing, sizeof(t->accepts_missing));
	if (!t->timers) {
		bpf_program__set_autoload(skel->progs.handle_timer_start, false);
		bpf_program__set_autoload(skel->progs.handle_timer_cancel, false);
		bpf_program__set_autoload(skel->progs.handle_timer_expire_entry, false);
		bpf_program__set_autoload(skel->progs.handle_timer_expire_exit, false);
	}
	td_hooks_drop_missing(skel);
}

static int size_maps(struct td_tracer *t, const struct td_config *cfg)
{
	int err;

	/* The timewait map is sized like the kernel's own cap on timewait socks. */
	err = bpf_map__set_max_entries(t->skel->maps.tw_socks, td_tw_map_entries());
	if (err) {
		td_err("failed to size the timewait map: %s", strerror(-err));
		return err;
	}
	/* Accept waits per port are kept in the kernel unless each accept is a
	 * record (-e, doctor). */
	err = bpf_map__set_max_entries(t->skel->maps.accept_ports,
				       cfg->kernel_agg || cfg->accepts_in_kernel ? TD_ACCEPT_PORTS + 1 : 1);
	if (err)
		td_err("failed to size the accept-wait map: %s", strerror(-err));
	return err;
}

/* The ring buffers, before load: the rings map needs one as its template. */
static int make_rings(struct td_tracer *t)
{
	char hint[160];
	int err;

	t->rings = td_rings_new(t->skel->maps.rings, t->ncpus, t->nrings, t->ring_bytes);
	if (t->rings)
		return 0;
	err = -errno;
	td_err("failed to create %d ring buffer(s) of %u bytes: %s%s", t->nrings, t->ring_bytes, strerror(-err),
	       privilege_hint(hint, sizeof(hint), err, t->timers));
	return err;
}

/* accept.bpf.h finds sk_infos' element in a socket's storage by map id. */
static int set_sk_infos_id(struct td_tracer *t)
{
	struct bpf_map_info info;
	__u32 len = sizeof(info);

	memset(&info, 0, sizeof(info));
	if (bpf_obj_get_info_by_fd(bpf_map__fd(t->skel->maps.sk_infos), &info, &len)) {
		int err = -errno;

		td_err("failed to read the socket storage map's id: %s", strerror(-err));
		return err;
	}
	t->skel->bss->sk_infos_id = info.id;
	return 0;
}

static int load_and_attach(struct td_tracer *t, const struct td_config *cfg)
{
	char hint[160];
	int err;

	err = tcpdwell_bpf__load(t->skel);
	td_vmlinux_btf_release(); /* the hooks' checks are done */
	if (err) {
		/* The verifier log is no help to a refusal for privileges. */
		privilege_hint(hint, sizeof(hint), err, t->timers);
		td_err("failed to load BPF programs: %s%s%s", strerror(-err), hint,
		       hint[0] || cfg->verbose ? "" : " (-v shows the verifier log)");
		return err;
	}
	err = set_sk_infos_id(t);
	if (err)
		return err;
	err = td_rings_install(t->rings, t->skel->maps.rings);
	if (err) {
		td_err("failed to install the ring buffers: %s", strerror(-err));
		return err;
	}
	err = tcpdwell_bpf__attach(t->skel);
	if (err) {
		td_err("failed to attach to tracepoints sock:inet_sock_set_state%s%s: %s%s",
		       t->timers ? ", timer:*" : "", t->accepts ? ", syscalls:sys_exit_accept*" : "",
		       strerror(-err), privilege_hint(hint, sizeof(hint), err, t->timers));
		return err;
	}
	if (!t->accepts)
		td_warn("%s: accept-queue waits are not measured", t->accepts_missing);
	if (cfg->timers && !t->timers)
		td_warn("tw_timer_handler/reqsk_timer_handler not in /proc/kallsyms: "
			"TIME_WAIT and handshake times are not measured (as with --no-timers)");
	return 0;
}

/* The timer programs turn jiffies into time with CONFIG_HZ: from the kernel
 * config when it says, else measured across polls (td_hz_poll). Until then
 * kernel_hz stays 0 and the kernel side calibrates from its own clock. */
static void hz_start(struct td_tracer *t)
{
	unsigned int hz = td_config_hz();

	if (hz)
		t->skel->bss->kernel_hz = hz;
	else
		td_hz_probe_start(&t->hz, TD_TIMER_LIST, td_clock_ns(CLOCK_MONOTONIC));
}

static void hz_poll(struct td_tracer *t)
{
	int hz;

	if (!td_hz_probe_running(&t->hz))
		return;
	hz = td_hz_probe_finish(&t->hz, td_clock_ns(CLOCK_MONOTONIC));
	if (hz > 0)
		t->skel->bss->kernel_hz = (__u32)hz;
}

static int start_timers(struct td_tracer *t)
{
	int err;

	if (!t->timers)
		return 0;
	hz_start(t);
	t->sweep = td_twsweep_new(t->skel, t->ncpus, t->fn, t->ctx);
	if (!t->sweep) {
		err = -errno;
		td_err("failed to allocate the timewait sweep: %s", strerror(-err));
		return err;
	}
	return 0;
}

static int start_close_sweep(struct td_tracer *t)
{
	t->closes = td_closesweep_new(t->skel, t->fn, t->ctx);
	if (!t->closes) {
		td_err("failed to allocate the close sweep: %s", strerror(errno));
		return -ENOMEM;
	}
	return 0;
}

static int create_ring(struct td_tracer *t)
{
	t->rb = td_rings_consumer(t->rings, on_record, t);
	if (!t->rb) {
		int err = -errno;

		td_err("failed to create ring buffer consumer: %s", strerror(-err));
		return err;
	}
	return 0;
}

/* The listeners' drops so far are not this run's: a first census sets
 * their baselines. A failure only leaves the baselines to the next one. */
static void first_census(struct td_tracer *t)
{
	uint64_t census[TD_CENSUS_MAX];

	(void)td_tracer_census(t, census);
}

/* The maps for `tcpdwell snapshot`, with the filters that say which
 * sockets they time; then the sockets that exist already. */
static void share_and_seed(struct td_tracer *t, const struct td_config *cfg)
{
	char filters[TD_FILTERS_LEN];

	td_filter_describe(cfg, filters, sizeof(filters));
	t->pinned_pid = td_share_maps(t->skel, filters);
	td_seed_sockets(t->skel, &t->walk);
}

int td_tracer_open(struct td_tracer **out, const struct td_config *cfg, td_event_fn fn, void *ctx)
{
	struct td_tracer *t = NULL;
	struct td_filter filt;
	int err;

	libbpf_set_print(cfg->verbose ? libbpf_print : libbpf_quiet);
	err = td_require_btf();
	if (!err)
		err = td_filter_from_config(&filt, cfg);
	if (!err)
		err = check_kallsyms(cfg);
	if (err)
		return err;
	err = tracer_new(&t, fn, ctx);
	if (err)
		goto cleanup;
	configure_knobs(t, cfg, &filt);
	err = size_maps(t, cfg);
	if (!err)
		err = make_rings(t);
	if (!err)
		err = load_and_attach(t, cfg);
	if (!err)
		err = start_timers(t);
	if (!err)
		err = start_close_sweep(t);
	if (!err)
		err = td_nsiter_init(&t->walk, cfg);
	if (err)
		goto cleanup;
	td_census_init(&t->census, t->skel, &t->walk, t->timers);
	share_and_seed(t, cfg);
	first_census(t);
	err = create_ring(t);
	if (err)
		goto cleanup;
	/* From now on: the first census ran before there was a ring to drain. */
	td_walker_between(&t->census.walker, drain_during_walk, t);
	*out = t;
	return 0;

cleanup:
	td_tracer_close(t);
	return err;
}

int td_tracer_poll(struct td_tracer *t, int timeout_ms)
{
	int n, m, k, c;

	/* The kernel side submits with BPF_RB_NO_WAKEUP until a fill threshold,
	 * so epoll may time out with data ready: always drain afterwards. With
	 * no time to wait (the loops wait in td_wait), the drain alone reads
	 * every ring. */
	n = timeout_ms ? ring_buffer__poll(t->rb, timeout_ms) : 0;
	if (n < 0 && n != -EINTR)
		return n;
	m = ring_buffer__consume(t->rb);
	if (m < 0 && m != -EINTR)
		return m;
	hz_poll(t);
	k = t->sweep ? td_twsweep_run(t->sweep, td_clock_ns(CLOCK_MONOTONIC)) : 0;
	if (k < 0)
		return k;
	c = td_closesweep_run(t->closes, td_clock_ns(CLOCK_MONOTONIC));
	if (c < 0)
		return c;
	return (n > 0 ? n : 0) + (m > 0 ? m : 0) + k + c;
}

int td_tracer_loss(struct td_tracer *t, struct td_loss *out)
{
	return td_progstats_loss(t->skel, t->ncpus, out);
}

bool td_tracer_timers(const struct td_tracer *t)
{
	return t->timers;
}

bool td_tracer_accepts(const struct td_tracer *t)
{
	return t->accepts;
}

void td_tracer_on_accept(struct td_tracer *t, td_accept_fn fn, void *ctx)
{
	t->accept_fn = fn;
	t->accept_ctx = ctx;
}

int td_tracer_read_kernel_agg(struct td_tracer *t, struct td_agg *out)
{
	return td_kread(t->skel, t->ncpus, out, false);
}

int td_tracer_read_kernel_accepts(struct td_tracer *t, struct td_agg *out)
{
	return td_kread(t->skel, t->ncpus, out, true);
}

int td_tracer_census(struct td_tracer *t, uint64_t out[TD_CENSUS_MAX])
{
	int err = td_census_run(&t->census);

	if (!err)
		memcpy(out, t->census.total, sizeof(t->census.total));
	return err;
}

const struct td_census *td_tracer_census_state(const struct td_tracer *t)
{
	return &t->census;
}

size_t td_tracer_census_ns(const struct td_tracer *t, const struct td_census_ns **per)
{
	*per = t->census.per;
	return t->census.n;
}

bool td_tracer_orphans_pending(const struct td_tracer *t)
{
	return td_census_orphans_pending(&t->census);
}

bool td_tracer_enters_netns(const struct td_tracer *t)
{
	return td_nsiter_enters(&t->walk);
}

unsigned long td_tracer_bad_records(const struct td_tracer *t)
{
	return t->bad_records;
}

int td_tracer_holders(struct td_tracer *t, struct td_holders *h)
{
	return td_holders_collect(h, t->skel, 0);
}

void td_tracer_close(struct td_tracer *t)
{
	if (!t)
		return;
	td_rings_free(t->rings);
	if (t->pinned_pid)
		td_pin_dir_remove(t->pinned_pid);
	td_twsweep_free(t->sweep);
	td_closesweep_free(t->closes);
	td_census_free(&t->census);
	td_nsiter_free(&t->walk);
	tcpdwell_bpf__destroy(t->skel);
	free(t);
}

int td_tracer_prog_stats(struct td_tracer *t, struct td_prog_stat *out, int max)
{
	return td_progstats_runs(t->skel, out, max);
}

int td_tracer_epoll_fd(const struct td_tracer *t)
{
	return ring_buffer__epoll_fd(t->rb);
}

const struct td_listeners *td_tracer_listeners(const struct td_tracer *t)
{
	return &t->census.listeners;
}
