/* BPF lifecycle for tcpdwell: open -> set knobs and map sizes -> load ->
 * attach -> poll, with a single cleanup path. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <stddef.h>
#include <time.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <zlib.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include "tracer.h"
#include "clock.h"
#include "record.h"
#include "pins.h"
#include "tcpdwell.skel.h"

struct td_tracer {
	struct tcpdwell_bpf *skel;
	struct ring_buffer *rb;
	td_event_fn fn;
	void *ctx;
	unsigned long bad_records;
	int ncpus;
	bool timers;
	bool kernel_agg;
	uint32_t targ_pid;
	uint32_t targ_states;
	uint64_t targ_cgroup;
	pid_t pinned_pid;        /* 0: maps not shared in bpffs */
	size_t scratch_size;     /* per-CPU value size of the scratch map */
	void *scratch;           /* ncpus values */
};

/* Pending timewait cancels older than this were early kills: an expiry or a
 * re-arm follows its cancel within microseconds on the same CPU. */
#define TW_PENDING_GRACE_NS (50ull * 1000000ull)

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
	const struct td_event *e = td_decode(data, len);

	if (!e) {
		t->bad_records++;
		return 0;
	}
	return t->fn(t->ctx, e);
}

/* The cgroup v2 id is the inode number of the cgroup's directory
 * (kernfs_node id), which is what the kernel side reads from the socket. */
static int cgroup_id_of(const char *path, __u64 *id)
{
	struct stat st;

	if (stat(path, &st))
		return -errno;
	if (!S_ISDIR(st.st_mode))
		return -ENOTDIR;
	*id = st.st_ino;
	return 0;
}

/* Address of a kernel text symbol from /proc/kallsyms; 0 when missing or
 * hidden (kptr_restrict). */
static uint64_t kallsyms_addr(const char *name)
{
	char line[512], sym[256], type;
	unsigned long long addr;
	uint64_t found = 0;
	FILE *f = fopen("/proc/kallsyms", "r");

	if (!f)
		return 0;
	while (fgets(line, sizeof(line), f)) {
		if (sscanf(line, "%llx %c %255s", &addr, &type, sym) == 3 && strcmp(sym, name) == 0) {
			found = addr;
			break;
		}
	}
	fclose(f);
	return found;
}

/* CONFIG_HZ, to turn the timewait timer's jiffies into time: from
 * /proc/config.gz or /boot/config-*, else measured from /proc/timer_list's
 * jiffies over 100 ms and rounded to a usual value. 0 when unknown. */
static unsigned int config_hz_from(gzFile f)
{
	char line[256];
	unsigned int hz = 0;

	while (gzgets(f, line, sizeof(line)))
		if (sscanf(line, "CONFIG_HZ=%u", &hz) == 1)
			break;
	return hz;
}

static long long timer_list_jiffies(void)
{
	char line[256];
	long long j = -1;
	FILE *f = fopen("/proc/timer_list", "r");

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "jiffies: %lld", &j) == 1)
			break;
	fclose(f);
	return j;
}

static unsigned int kernel_hz(void)
{
	static const unsigned int usual[] = { 100, 250, 300, 1000 };
	char path[320];
	struct utsname u;
	unsigned int hz = 0;
	long long j0, j1;
	gzFile f;

	f = gzopen("/proc/config.gz", "r");
	if (!f && uname(&u) == 0) {
		snprintf(path, sizeof(path), "/boot/config-%s", u.release);
		f = gzopen(path, "r");
	}
	if (f) {
		hz = config_hz_from(f);
		gzclose(f);
		if (hz)
			return hz;
	}
	j0 = timer_list_jiffies();
	usleep(100000);
	j1 = timer_list_jiffies();
	if (j0 < 0 || j1 <= j0)
		return 0;
	for (size_t i = 0; i < sizeof(usual) / sizeof(usual[0]); i++)
		if ((j1 - j0) * 10 >= usual[i] * 9 && (j1 - j0) * 10 <= usual[i] * 11 + 10)
			return usual[i];
	return 0;
}

/* The timewait map is sized like the kernel's own cap on timewait socks. */
static uint32_t max_tw_buckets(void)
{
	unsigned long v = 0;
	FILE *f = fopen("/proc/sys/net/ipv4/tcp_max_tw_buckets", "r");

	if (f) {
		if (fscanf(f, "%lu", &v) != 1)
			v = 0;
		fclose(f);
	}
	if (v < 65536)
		v = 65536;
	if (v > (1u << 22))
		v = 1u << 22;
	return (uint32_t)v;
}

/* Pins the per-socket maps under /sys/fs/bpf/tcpdwell/<pid> for
 * `tcpdwell snapshot`. A failure costs only that, so it is a warning. */
static void share_maps(struct td_tracer *t)
{
	pid_t pid = getpid();
	char path[256];
	int err;

	err = td_bpffs_ensure();
	if (!err) {
		td_pin_cleanup_stale();
		err = td_pin_dir_create(pid);
	}
	for (int i = 0; !err && i < td_pinned_maps_n; i++) {
		struct bpf_map *m = bpf_object__find_map_by_name(t->skel->obj, td_pinned_maps[i]);

		td_pin_path(path, sizeof(path), pid, td_pinned_maps[i]);
		err = m ? bpf_map__pin(m, path) : -ENOENT;
	}
	if (err == -EEXIST) {
		/* Another tracer of this process shares its maps already. */
		for (int i = 0; i < td_pinned_maps_n; i++)
			bpf_map__set_pin_path(bpf_object__find_map_by_name(t->skel->obj, td_pinned_maps[i]), NULL);
		return;
	}
	if (err) {
		fprintf(stderr, "tcpdwell: warning: cannot share maps in %s: %s; `tcpdwell snapshot` "
			"will not show times in state\n", TD_PIN_ROOT, strerror(-err));
		td_pin_dir_remove(pid);
		return;
	}
	t->pinned_pid = pid;
}

/* Runs seed_tcp: the sockets that exist now are in their state "since at
 * least" now, which beats unknown forever. */
static void seed_sockets(struct td_tracer *t)
{
	char buf[256];
	int fd;

	fd = bpf_iter_create(bpf_link__fd(t->skel->links.seed_tcp));
	if (fd >= 0) {
		while (read(fd, buf, sizeof(buf)) > 0)
			;
		close(fd);
	}
}

int td_require_btf(void)
{
	if (access("/sys/kernel/btf/vmlinux", R_OK) == 0)
		return 0;
	fprintf(stderr, "tcpdwell: failed to find kernel BTF at /sys/kernel/btf/vmlinux: "
		"this kernel needs CONFIG_DEBUG_INFO_BTF=y\n");
	return -ENOENT;
}

void td_set_net_filters(struct tcpdwell_bpf *skel, const struct td_config *cfg)
{
	skel->rodata->filt.family = (__u8)cfg->family;
	skel->rodata->filt.lport = cfg->filter_lport;
	skel->rodata->filt.rport = cfg->filter_rport;
	skel->rodata->filt.either = cfg->filter_either;
	memcpy((void *)skel->rodata->port_filter, cfg->port_filter, sizeof(cfg->port_filter));
	memcpy((void *)&skel->rodata->filt.laddr, &cfg->laddr, sizeof(cfg->laddr));
	memcpy((void *)&skel->rodata->filt.raddr, &cfg->raddr, sizeof(cfg->raddr));
}

static const char *privilege_hint(int err)
{
	if (err == -EPERM)
		return "; run as root or grant CAP_BPF+CAP_PERFMON";
	return "";
}

int td_tracer_open(struct td_tracer **out, const struct td_config *cfg, td_event_fn fn, void *ctx)
{
	struct td_tracer *t;
	__u64 cgid = 0;
	int err;

	libbpf_set_print(cfg->verbose ? libbpf_print : libbpf_quiet);
	err = td_require_btf();
	if (err)
		return err;
	if (cfg->cgroup_path) {
		err = cgroup_id_of(cfg->cgroup_path, &cgid);
		if (err) {
			fprintf(stderr, "tcpdwell: failed to open cgroup '%s': %s\n", cfg->cgroup_path, strerror(-err));
			return err;
		}
	}

	t = calloc(1, sizeof(*t));
	if (!t) {
		fprintf(stderr, "tcpdwell: failed to allocate tracer: %s\n", strerror(errno));
		return -ENOMEM;
	}
	t->fn = fn;
	t->ctx = ctx;
	t->ncpus = libbpf_num_possible_cpus();
	if (t->ncpus < 0) {
		err = t->ncpus;
		fprintf(stderr, "tcpdwell: failed to count CPUs: %s\n", strerror(-err));
		goto cleanup;
	}

	t->skel = tcpdwell_bpf__open();
	if (!t->skel) {
		err = -errno;
		fprintf(stderr, "tcpdwell: failed to open BPF object: %s\n", strerror(-err));
		goto cleanup;
	}
	t->targ_pid = cfg->pid;
	t->targ_states = cfg->state_mask;
	t->targ_cgroup = cgid;
	t->timers = cfg->timers;
	if (t->timers) {
		t->skel->rodata->tw_timer_fn = kallsyms_addr("tw_timer_handler");
		t->skel->rodata->reqsk_timer_fn = kallsyms_addr("reqsk_timer_handler");
		/* Warned about after a successful load: without privileges the
		 * addresses read as 0 and the load fails anyway. */
		if (!t->skel->rodata->tw_timer_fn || !t->skel->rodata->reqsk_timer_fn)
			t->timers = false;
	}
	t->skel->rodata->timers_on = t->timers;
	t->skel->rodata->nr_cpus = (__u32)t->ncpus;
	t->skel->rodata->kernel_agg = cfg->kernel_agg;
	t->kernel_agg = cfg->kernel_agg;
	if (!t->timers) {
		bpf_program__set_autoload(t->skel->progs.handle_timer_start, false);
		bpf_program__set_autoload(t->skel->progs.handle_timer_cancel, false);
		bpf_program__set_autoload(t->skel->progs.handle_timer_expire_entry, false);
		bpf_program__set_autoload(t->skel->progs.handle_timer_expire_exit, false);
	}
	err = bpf_map__set_max_entries(t->skel->maps.tw_socks, max_tw_buckets());
	if (err) {
		fprintf(stderr, "tcpdwell: failed to size the timewait map: %s\n", strerror(-err));
		goto cleanup;
	}
	td_set_net_filters(t->skel, cfg);
	t->skel->rodata->filt.tgid = cfg->pid;
	t->skel->rodata->filt.states = cfg->state_mask;
	t->skel->rodata->filt.cgroup_id = cgid;
	/* Wake the consumer when a quarter of the ring is full; the poll
	 * timeout covers quiet periods. */
	t->skel->rodata->wakeup_bytes = cfg->ringbuf_bytes / 4;
	/* --kernel-agg sends no records: the smallest ring will do. */
	err = bpf_map__set_max_entries(t->skel->maps.events,
				       cfg->kernel_agg ? 4096 : (__u32)cfg->ringbuf_bytes);
	if (err) {
		fprintf(stderr, "tcpdwell: failed to size ring buffer: %s\n", strerror(-err));
		goto cleanup;
	}

	err = tcpdwell_bpf__load(t->skel);
	if (err) {
		fprintf(stderr, "tcpdwell: failed to load BPF programs: %s%s%s\n", strerror(-err),
			privilege_hint(err), cfg->verbose ? "" : " (-v shows the verifier log)");
		goto cleanup;
	}
	err = tcpdwell_bpf__attach(t->skel);
	if (err) {
		fprintf(stderr, "tcpdwell: failed to attach to tracepoints sock:inet_sock_set_state%s: %s%s\n",
			t->timers ? " and timer:*" : "", strerror(-err), privilege_hint(err));
		goto cleanup;
	}
	if (cfg->timers && !t->timers)
		fprintf(stderr, "tcpdwell: warning: tw_timer_handler/reqsk_timer_handler not in /proc/kallsyms: "
			"TIME_WAIT and handshake times are not measured (as with --no-timers)\n");
	if (t->timers)
		t->skel->bss->kernel_hz = kernel_hz();
	share_maps(t);
	seed_sockets(t);
	t->scratch_size = bpf_map__value_size(t->skel->maps.scratch);
	t->scratch = calloc((size_t)t->ncpus, (t->scratch_size + 7) / 8 * 8);
	if (!t->scratch) {
		err = -ENOMEM;
		fprintf(stderr, "tcpdwell: failed to allocate: %s\n", strerror(ENOMEM));
		goto cleanup;
	}
	t->rb = ring_buffer__new(bpf_map__fd(t->skel->maps.events), on_record, t, NULL);
	if (!t->rb) {
		err = -errno;
		fprintf(stderr, "tcpdwell: failed to create ring buffer consumer: %s\n", strerror(-err));
		goto cleanup;
	}
	*out = t;
	return 0;

cleanup:
	td_tracer_close(t);
	return err;
}


/* Reports a timewait sock killed early whose cancel no later timer event on
 * its CPU has explained (a quiet CPU). Deleting the map entry is the claim
 * the kernel side also makes, so exactly one side reports it. */
static int report_killed_tw(struct td_tracer *t, const struct td_tw_pending *p)
{
	int fd = bpf_map__fd(t->skel->maps.tw_socks);
	struct td_event e;
	struct td_tw w;
	__u64 key = p->tw;

	if (bpf_map_lookup_elem(fd, &key, &w) || bpf_map_delete_elem(fd, &key))
		return 0;
	if (t->targ_pid && (!w.owner_known || w.pid != t->targ_pid))
		return 0;
	if (t->targ_cgroup && w.cgroup_id != t->targ_cgroup)
		return 0;
	if (t->targ_states && !(t->targ_states & ((1u << w.substate) | (1u << TD_CLOSE))))
		return 0;
	memset(&e, 0, sizeof(e));
	e.type = TD_REC_TRANSITION;
	e.family = (__u8)w.t.family;
	e.oldstate = w.substate;
	e.newstate = TD_CLOSE;
	e.flags = TD_F_MINI | (w.substate == TD_FIN_WAIT2 ? TD_F_ORPHAN : 0);
	if (w.start_known && p->cancel_ns >= w.start_ns) {
		e.flags |= TD_F_DWELL_KNOWN;
		e.dwell_ns = p->cancel_ns - w.start_ns;
	}
	if (w.owner_known) {
		e.flags |= TD_F_PID_KNOWN;
		e.pid = w.pid;
		memcpy(e.comm, w.comm, sizeof(e.comm));
	}
	e.tw_end = (__u8)p->tw_end;
	e.sport = w.t.sport;
	e.dport = w.t.dport;
	e.netns = w.t.netns;
	e.ts_ns = p->cancel_ns;
	e.skaddr = p->tw;
	e.cgroup_id = w.cgroup_id;
	memcpy(e.saddr, w.t.saddr, sizeof(e.saddr));
	memcpy(e.daddr, w.t.daddr, sizeof(e.daddr));
	t->fn(t->ctx, &e);
	return 1;
}

static int sweep_pending(struct td_tracer *t)
{
	size_t stride = (t->scratch_size + 7) / 8 * 8;
	uint64_t now = td_clock_ns(CLOCK_MONOTONIC);
	__u32 zero = 0;
	int n = 0;

	if (!t->timers)
		return 0;
	if (bpf_map_lookup_elem(bpf_map__fd(t->skel->maps.scratch), &zero, t->scratch))
		return -errno;
	for (int cpu = 0; cpu < t->ncpus; cpu++) {
		const struct td_tw_pending *p = (const void *)((const char *)t->scratch + (size_t)cpu * stride +
							     offsetof(struct td_scratch, tw_pending));

		if (p->tw && p->cancel_ns + TW_PENDING_GRACE_NS < now)
			n += report_killed_tw(t, p);
	}
	return n;
}

int td_tracer_poll(struct td_tracer *t, int timeout_ms)
{
	int n, m, k;

	/* The kernel side submits with BPF_RB_NO_WAKEUP until a fill threshold,
	 * so epoll may time out with data ready: always drain afterwards. */
	n = ring_buffer__poll(t->rb, timeout_ms);
	if (n < 0 && n != -EINTR)
		return n;
	m = ring_buffer__consume(t->rb);
	if (m < 0 && m != -EINTR)
		return m;
	k = sweep_pending(t);
	if (k < 0)
		return k;
	return (n > 0 ? n : 0) + (m > 0 ? m : 0) + k;
}

static int percpu_sum(struct td_tracer *t, __u32 slot, uint64_t *sum)
{
	__u64 vals[t->ncpus];
	int err;

	err = bpf_map_lookup_elem(bpf_map__fd(t->skel->maps.counters), &slot, vals);
	if (err)
		return -errno;
	*sum = 0;
	for (int i = 0; i < t->ncpus; i++)
		*sum += vals[i];
	return 0;
}

int td_tracer_loss(struct td_tracer *t, struct td_loss *out)
{
	struct bpf_prog_info info;
	__u32 len = sizeof(info);
	int err;

	memset(out, 0, sizeof(*out));
	err = percpu_sum(t, TD_CNT_RB_DROPS, &out->ringbuf);
	if (!err)
		err = percpu_sum(t, TD_CNT_NO_STORAGE, &out->no_storage);
	if (!err)
		err = percpu_sum(t, TD_CNT_MINI_FULL, &out->mini_untracked);
	if (err)
		return err;
	/* Every attached program's skipped runs are lost transitions. */
	{
		struct bpf_program *prog;

		bpf_object__for_each_program(prog, t->skel->obj) {
			int fd = bpf_program__fd(prog);

			if (fd < 0)
				continue;
			memset(&info, 0, sizeof(info));
			len = sizeof(info);
			if (bpf_obj_get_info_by_fd(fd, &info, &len))
				return -errno;
			out->recursion += info.recursion_misses;
		}
	}
	return 0;
}

bool td_tracer_timers(const struct td_tracer *t)
{
	return t->timers;
}

/* Sums the per-CPU in-kernel aggregation into *out (totals since start). */
int td_tracer_read_kernel_agg(struct td_tracer *t, struct td_agg *out)
{
	size_t hsz = sizeof(struct td_khist), csz = sizeof(struct td_kcounts);
	void *vals = calloc((size_t)t->ncpus, hsz > csz ? hsz : csz);
	__u32 zero = 0;
	int err = 0;

	if (!vals)
		return -ENOMEM;
	td_agg_reset(out);
	if (bpf_map_lookup_elem(bpf_map__fd(t->skel->maps.agg_counts), &zero, vals)) {
		err = -errno;
		goto out;
	}
	for (int cpu = 0; cpu < t->ncpus; cpu++) {
		const struct td_kcounts *c = (const void *)((const char *)vals + (size_t)cpu * csz);

		out->events += c->events;
		out->orphans += c->orphans;
		for (int o = 0; o < TD_MAX_STATES; o++) {
			out->unknown[o] += c->unknown[o];
			for (int n = 0; n < TD_MAX_STATES; n++)
				out->trans[o][n] += c->trans[o][n];
		}
		for (int d = 0; d < TD_TW_END_MAX; d++)
			out->tw_ends[d] += c->tw_ends[d];
		for (int d = 0; d < TD_HS_MAX; d++)
			out->hs_outcomes[d] += c->hs_outcomes[d];
	}
	for (__u32 s = 1; s < TD_MAX_STATES; s++) {
		if (bpf_map_lookup_elem(bpf_map__fd(t->skel->maps.agg_hists), &s, vals)) {
			err = -errno;
			goto out;
		}
		for (int cpu = 0; cpu < t->ncpus; cpu++) {
			const struct td_khist *k = (const void *)((const char *)vals + (size_t)cpu * hsz);
			struct hist h;

			/* Same layout, fixed-width fields: merge like any histogram. */
			_Static_assert(sizeof(h) == sizeof(*k), "struct hist and td_khist differ");
			memcpy(&h, k, sizeof(h));
			hist_merge(&out->dwell[s], &h);
		}
	}
out:
	free(vals);
	return err;
}

int td_tracer_census(struct td_tracer *t, uint64_t out[TD_CENSUS_MAX])
{
	char buf[64];
	ssize_t n;
	int fd;

	/* census_tcp runs in this thread while we read its iterator. */
	memset(t->skel->bss->census, 0, sizeof(t->skel->bss->census));
	fd = bpf_iter_create(bpf_link__fd(t->skel->links.census_tcp));
	if (fd < 0)
		return -errno;
	while ((n = read(fd, buf, sizeof(buf))) > 0)
		;
	close(fd);
	if (n < 0)
		return -errno;
	for (int i = 0; i < TD_CENSUS_MAX; i++)
		out[i] = t->skel->bss->census[i];
	return 0;
}

unsigned long td_tracer_bad_records(const struct td_tracer *t)
{
	return t->bad_records;
}

void td_tracer_close(struct td_tracer *t)
{
	if (!t)
		return;
	ring_buffer__free(t->rb);
	if (t->pinned_pid)
		td_pin_dir_remove(t->pinned_pid);
	tcpdwell_bpf__destroy(t->skel);
	free(t->scratch);
	free(t);
}

int td_tracer_prog_stats(struct td_tracer *t, struct td_prog_stat *out, int max)
{
	struct bpf_program *prog;
	int n = 0;

	bpf_object__for_each_program(prog, t->skel->obj) {
		struct bpf_prog_info info;
		__u32 len = sizeof(info);
		int fd = bpf_program__fd(prog);

		if (fd < 0)
			continue; /* not loaded (the timer programs without -T) */
		if (n == max)
			break;
		memset(&info, 0, sizeof(info));
		if (bpf_obj_get_info_by_fd(fd, &info, &len))
			return -errno;
		snprintf(out[n].name, sizeof(out[n].name), "%s", bpf_program__name(prog));
		out[n].run_ns = info.run_time_ns;
		out[n].run_cnt = info.run_cnt;
		n++;
	}
	return n;
}

int td_tracer_epoll_fd(const struct td_tracer *t)
{
	return ring_buffer__epoll_fd(t->rb);
}
