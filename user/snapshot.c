/* `tcpdwell snapshot`: the TCP sockets that exist now (iter/tcp), with how
 * long each has been in its state when a tracing tcpdwell shares its maps,
 * and the process that holds it. */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/stat.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include "cgroups.h"
#include "diag.h"
#include "filter.h"
#include "holders.h"
#include "holders_iter.h"
#include "hooks.h"
#include "nsiter.h"
#include "opts.h"
#include "pins.h"
#include "record.h"
#include "render.h"
#include "snapshot.h"
#include "privs.h"
#include "states.h"
#include "tracer.h"
#include "vocab.h"
#include "clock.h"
#include "tcpdwell.skel.h"

/* What to do when the shared maps cannot be read: they belong to root. */
#define PINS_HINT "run snapshot as root, or grant CAP_DAC_OVERRIDE (the maps are root's, mode 0700)"

/* The maps a tracer pinned, in place of the skeleton's; without a tracer
 * the hash maps shrink to one entry (nothing will be found in them). */
static int reuse_pins(struct tcpdwell_bpf *skel, pid_t tracer)
{
	for (int i = 0; i < td_pinned_maps_n; i++) {
		struct bpf_map *m = bpf_object__find_map_by_name(skel->obj, td_pinned_maps[i]);
		char path[256];
		int fd, err;

		if (!m)
			continue;
		if (!tracer) {
			if (bpf_map__type(m) == BPF_MAP_TYPE_HASH)
				bpf_map__set_max_entries(m, 1);
			continue;
		}
		td_pin_path(path, sizeof(path), tracer, td_pinned_maps[i]);
		fd = bpf_obj_get(path);
		if (fd < 0)
			return -errno;
		err = bpf_map__reuse_fd(m, fd);
		close(fd);
		if (err)
			return -EINVAL;
	}
	return 0;
}

int td_snapshot_open(struct tcpdwell_bpf **out, const struct td_config *cfg, pid_t tracer, bool holders)
{
	struct tcpdwell_bpf *skel = tcpdwell_bpf__open();
	struct bpf_program *prog;
	struct td_filter filt;
	int err;

	if (!skel)
		return -errno;
	bpf_object__for_each_program(prog, skel->obj)
		bpf_program__set_autoload(prog, prog == skel->progs.snapshot_tcp);
	if (holders)
		td_holders_prepare(skel, false);
	err = td_filter_from_config(&filt, cfg);
	if (!err) {
		td_filter_store(&skel->rodata->filt, skel->rodata->port_filter, &filt, cfg->port_filter);
		/* Only a starting tracer fills it. */
		bpf_map__set_max_entries(skel->maps.seed_holders, 1);
		err = reuse_pins(skel, tracer);
	}
	if (!err)
		err = tcpdwell_bpf__load(skel);
	td_vmlinux_btf_release(); /* td_holders_prepare's checks are done */
	if (err) {
		tcpdwell_bpf__destroy(skel);
		return err;
	}
	*out = skel;
	return 0;
}

/* 1 after an error line when this user may not open the tracer's pins
 * (root's, mode 0600: a user other than root with CAP_DAC_READ_SEARCH
 * reaches them, but only CAP_DAC_OVERRIDE opens them); else 0. */
static int pins_refused(pid_t tracer)
{
	char path[256];
	int fd;

	if (!tracer)
		return 0;
	td_pin_path(path, sizeof(path), tracer, td_pinned_maps[0]);
	fd = bpf_obj_get(path);
	if (fd >= 0) {
		close(fd);
		return 0;
	}
	if (errno != EACCES && errno != EPERM)
		return 0; /* the load says what else is wrong */
	td_err("failed to open the maps tracer %d shares (%s): %s; %s", (int)tracer, path, strerror(errno),
	       PINS_HINT);
	return 1;
}

/* The tracer whose maps give times in state: -t, else the newest sharing
 * one, else 0 (none). 1 after an error line: -t names no sharing tracer,
 * or the directory of shared maps cannot be read (a user other than root
 * without CAP_DAC_OVERRIDE: whether a tracer runs cannot be told). */
static int find_tracer(const struct snap_opts *o, pid_t *tracer)
{
	char path[256];
	struct stat st;
	DIR *d;

	*tracer = 0;
	if (td_bpffs_ensure() == 0) {
		d = opendir(TD_PIN_ROOT);
		if (!d && (errno == EACCES || errno == EPERM)) {
			td_err("failed to read the maps tracers share in %s: %s; %s", TD_PIN_ROOT, strerror(errno),
			       PINS_HINT);
			return 1;
		}
		if (d)
			closedir(d);
		*tracer = o->tracer ? (pid_t)o->tracer : td_pin_find_tracer();
	}
	if (!o->tracer)
		return pins_refused(*tracer);
	td_pin_path(path, sizeof(path), *tracer, NULL);
	/* stat, not access(): access() checks as the real user without the
	 * capabilities (a user granted CAP_DAC_OVERRIDE would be refused). */
	if (stat(path, &st) == 0)
		return pins_refused(*tracer);
	td_err("no tracing tcpdwell with pid %u shares its maps in %s", o->tracer, TD_PIN_ROOT);
	return 1;
}

/* The iterator's link, or -errno after an error line. */
int td_snapshot_attach(struct tcpdwell_bpf *skel, struct bpf_link **link)
{
	int err;

	*link = bpf_program__attach_iter(skel->progs.snapshot_tcp, NULL);
	if (*link)
		return 0;
	err = -errno;
	td_err("failed to attach the snapshot iterator: %s", strerror(-err));
	return err;
}

/* The tracer whose maps give the times, and the filters it runs with (read
 * back from the words it left beside its pins, into cfg's port table). */
struct source {
	pid_t pid;                /* 0: none */
	char cmdline[TD_FILTERS_LEN]; /* "tcpdwell -P 47118,47119" */
	struct td_config *cfg;    /* NULL: filters unknown */
	struct td_filter filt;
};

/* A tracer's filters, parsed by the tracer's own option table. Failing
 * leaves them unknown: a tracer from before they were recorded. */
static void read_filters(struct source *src)
{
	char buf[TD_FILTERS_LEN], *argv[TD_FILTERS_LEN / 2], *save = NULL;
	FILE *null = fopen("/dev/null", "w");
	int argc = 0;

	if (!null || td_pin_filters_read(src->pid, src->cmdline, sizeof(src->cmdline)))
		goto out;
	memcpy(buf, src->cmdline, sizeof(buf));
	for (char *w = strtok_r(buf, " ", &save); w && argc < (int)(sizeof(argv) / sizeof(argv[0])) - 1;
	     w = strtok_r(NULL, " ", &save))
		argv[argc++] = w;
	argv[argc] = NULL;
	src->cfg = calloc(1, sizeof(*src->cfg));
	if (!src->cfg || td_parse_args(src->cfg, argc, argv, null, null))
		goto fail;
	/* Only the tuple decides which sockets a tracer times; the path
	 * pointed into buf. */
	src->cfg->cgroup_path = NULL;
	td_filter_from_config(&src->filt, src->cfg);
	goto out;
fail:
	free(src->cfg);
	src->cfg = NULL;
out:
	if (null)
		fclose(null);
}

/* What the listing has seen so far. */
struct listing {
	const struct snap_opts *o;
	struct td_render_opts ropts;
	struct td_holders holders;
	struct td_cgroups cgroups; /* -j and -w: each socket's cgroup and container */
	struct source src;
	struct td_snap_times times;
	uint64_t counts[TD_MAX_STATES];
	uint64_t now;
	int listed;
};

/* Why a socket has no time in state (TD_AGE_KNOWN: it has one). */
static unsigned age_why(const struct listing *l, const struct td_snap *r)
{
	const struct source *src = &l->src;

	if (r->flags & (TD_F_DWELL_KNOWN | TD_F_AT_LEAST))
		return TD_AGE_KNOWN;
	if (!src->pid)
		return TD_AGE_NO_TRACER;
	if (src->cfg && !td_filter_covers(&src->filt, src->cfg->port_filter, r))
		return TD_AGE_FILTERED;
	/* Timewait socks get times only from the timer hooks; request socks
	 * carry their own (bpf/reqsk.bpf.h). */
	if ((r->flags & TD_F_MINI) && r->state != TD_SYN_RECV && src->cfg && !src->cfg->timers)
		return TD_AGE_NEEDS_T;
	return TD_AGE_UNSEEN;
}

/* -s lists the sockets in its states. --older-than STATE:D lists the
 * sockets in STATE known to be there for at least D (">=" ones included:
 * their lower bound is enough), and those in STATE whose age is unknown,
 * marked: a leak must not hide behind a missing time. */
static bool asked_for(const struct listing *l, const struct td_snap *r, unsigned why)
{
	const struct snap_opts *o = l->o;

	if (!td_snap_state_listed(o->cfg.state_mask, r->state))
		return false;
	if (!o->older_state)
		return true;
	if (r->state != o->older_state)
		return false;
	return why != TD_AGE_KNOWN || (l->now >= r->since_ns && l->now - r->since_ns >= o->older_ns);
}

static void list_one(void *ctx, const void *rec)
{
	struct listing *l = ctx;
	const struct td_snap *r = rec;
	const struct td_holder *h;
	const struct td_cgroup *g;
	struct td_where w = { 0 };
	unsigned why;

	if (r->type != TD_REC_SNAPSHOT || r->state == 0 || r->state >= TD_MAX_STATES)
		return;
	l->counts[r->state]++;
	why = age_why(l, r);
	if (!asked_for(l, r, why))
		return;
	if (why == TD_AGE_KNOWN)
		l->times.known++;
	else
		l->times.unknown[why]++;
	h = td_holders_find(&l->holders, r->ino);
	if (l->o->cfg.json || l->o->cfg.wide) {
		g = td_cgroups_lookup(&l->cgroups, r->cgroup_id, td_clock_ns(CLOCK_MONOTONIC));
		w.cgroup = g ? g->path : NULL;
		w.ident = g ? g->ident : NULL;
	}
	if (l->o->cfg.json)
		td_render_snap_json(stdout, r, l->now, h ? h->pid : 0, h ? h->comm : "", why, &w);
	else
		td_render_snap_text(stdout, &l->ropts, r, l->now, h ? h->pid : 0, h ? h->comm : "", why, &w);
	l->listed++;
}

/* One namespace's sockets: the iterator was created in it. */
static int read_ns(void *ctx, uint32_t netns, int fd)
{
	struct td_snap rec;

	(void)netns;
	return td_read_records(fd, &rec, sizeof(rec), list_one, ctx);
}

static int read_records(struct bpf_link *link, struct listing *l)
{
	struct td_nsiter walk;
	int err = td_nsiter_init(&walk, &l->o->cfg);

	if (err)
		return err;
	err = td_nsiter_run(&walk, link, read_ns, l);
	if (err)
		td_err("failed to read the snapshot iterator: %s", strerror(-err));
	td_nsiter_free(&walk);
	return err;
}

/* The counts, and one stderr line on where the times came from. */
static void finish(struct listing *l)
{
	/* The words after "tcpdwell ", as the tracer was given them. */
	const char *words = strchr(l->src.cmdline, ' ');

	l->times.tracer_pid = l->src.pid;
	l->times.filters = l->src.cfg ? (words ? words + 1 : "") : NULL;
	td_render_snap_counts(stdout, l->counts, l->listed, &l->times, l->o->cfg.json);
	/* No fflush here: main's td_output_status must see a failed write. */
	td_render_snap_source(stderr, &l->times);
}

int td_snapshot_main(int argc, char **argv)
{
	static struct snap_opts o;
	static struct listing l;
	struct tcpdwell_bpf *skel = NULL;
	struct bpf_link *link = NULL;
	pid_t tracer;
	int err;

	err = td_parse_snapshot_args(&o, argc, argv, stdout, stderr);
	if (err)
		return err == 1 ? 0 : err;
	libbpf_set_print(NULL);
	if (td_require_btf() || find_tracer(&o, &tracer))
		return 1;
	err = td_snapshot_open(&skel, &o.cfg, tracer, true);
	if (err) {
		char hint[160];

		td_privilege_refusal(hint, sizeof(hint), err, TD_NEED_LOAD);
		td_err("failed to load the snapshot iterator: %s%s", strerror(-err), hint);
		return 1;
	}
	err = td_snapshot_attach(skel, &link);
	if (err)
		goto cleanup;
	l.o = &o;
	l.ropts.wide = o.cfg.wide;
	l.src.pid = tracer;
	if (tracer)
		read_filters(&l.src);
	(void)td_holders_collect(&l.holders, skel, 0);
	/* No cgroup2 mount: no identities, the sockets are still listed. */
	(void)td_cgroups_init(&l.cgroups, NULL);
	l.now = td_clock_ns(CLOCK_MONOTONIC);
	if (!o.cfg.json)
		td_render_snap_header(stdout, &l.ropts);
	err = read_records(link, &l);
	if (!err)
		finish(&l);

cleanup:
	bpf_link__destroy(link);
	tcpdwell_bpf__destroy(skel);
	td_holders_free(&l.holders);
	td_cgroups_free(&l.cgroups);
	free(l.src.cfg);
	return err ? 1 : 0;
}
