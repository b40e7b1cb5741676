/* `tcpdwell snapshot`: the TCP sockets that exist now (iter/tcp), with how
 * long each has been in its state when a tracing tcpdwell shares its maps,
 * and the process that holds it. */
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include "diag.h"
#include "filter.h"
#include "opts.h"
#include "pins.h"
#include "render.h"
#include "snapshot.h"
#include "states.h"
#include "tracer.h"
#include "clock.h"
#include "tcpdwell.skel.h"

/* Socket inode -> holding process, as ss -p finds it: /proc/PID/fd links. */
struct holder {
	uint64_t ino;
	int pid;
	char comm[TD_COMM_LEN + 1];
};

struct holders {
	struct holder *v;
	size_t n, cap;
};

static void read_comm(int pid, char *comm, size_t len)
{
	char path[64];
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/comm", pid);
	comm[0] = '\0';
	f = fopen(path, "r");
	if (!f)
		return;
	if (fgets(comm, (int)len, f))
		comm[strcspn(comm, "\n")] = '\0';
	fclose(f);
}

static void scan_holders(struct holders *h)
{
	DIR *proc = opendir("/proc");
	struct dirent *p;

	if (!proc)
		return;
	while ((p = readdir(proc))) {
		char path[300], link[64];
		struct dirent *fdent;
		DIR *fds;

		if (!isdigit((unsigned char)p->d_name[0]))
			continue;
		snprintf(path, sizeof(path), "/proc/%s/fd", p->d_name);
		fds = opendir(path);
		if (!fds)
			continue;
		while ((fdent = readdir(fds))) {
			char fdpath[600];
			unsigned long long ino;
			ssize_t n;

			snprintf(fdpath, sizeof(fdpath), "%s/%s", path, fdent->d_name);
			n = readlink(fdpath, link, sizeof(link) - 1);
			if (n <= 0)
				continue;
			link[n] = '\0';
			if (sscanf(link, "socket:[%llu]", &ino) != 1)
				continue;
			if (h->n == h->cap) {
				size_t cap = h->cap ? h->cap * 2 : 256;
				struct holder *v = realloc(h->v, cap * sizeof(*v));

				if (!v)
					break;
				h->v = v;
				h->cap = cap;
			}
			h->v[h->n].ino = ino;
			h->v[h->n].pid = atoi(p->d_name);
			read_comm(h->v[h->n].pid, h->v[h->n].comm, sizeof(h->v[h->n].comm));
			h->n++;
		}
		closedir(fds);
	}
	closedir(proc);
}

static const struct holder *find_holder(const struct holders *h, uint64_t ino)
{
	for (size_t i = 0; ino && i < h->n; i++)
		if (h->v[i].ino == ino)
			return &h->v[i];
	return NULL;
}

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

/* Loads only snapshot_tcp, on the tracer's pinned maps when one runs. */
static int open_snapshot(struct tcpdwell_bpf **out, const struct snap_opts *o, pid_t tracer)
{
	struct tcpdwell_bpf *skel = tcpdwell_bpf__open();
	struct bpf_program *prog;
	struct td_filter filt;
	int err;

	if (!skel)
		return -errno;
	bpf_object__for_each_program(prog, skel->obj)
		bpf_program__set_autoload(prog, prog == skel->progs.snapshot_tcp);
	err = td_filter_from_config(&filt, &o->cfg);
	if (!err) {
		td_filter_store(&skel->rodata->filt, skel->rodata->port_filter, &filt, o->cfg.port_filter);
		bpf_map__set_max_entries(skel->maps.events, 4096);
		err = reuse_pins(skel, tracer);
	}
	if (!err)
		err = tcpdwell_bpf__load(skel);
	if (err) {
		tcpdwell_bpf__destroy(skel);
		return err;
	}
	*out = skel;
	return 0;
}

/* The tracer whose maps give times in state: -t, else the newest sharing
 * one, else 0 (none). 1 after an error line: -t names no sharing tracer. */
static int find_tracer(const struct snap_opts *o, pid_t *tracer)
{
	char path[256];

	*tracer = 0;
	if (td_bpffs_ensure() == 0)
		*tracer = o->tracer ? (pid_t)o->tracer : td_pin_find_tracer();
	if (!o->tracer)
		return 0;
	td_pin_path(path, sizeof(path), *tracer, NULL);
	if (access(path, F_OK) == 0)
		return 0;
	td_err("no tracing tcpdwell with pid %u shares its maps in %s", o->tracer, TD_PIN_ROOT);
	return 1;
}

/* An iterator fd over the live sockets, or -errno after an error line. */
static int start_iter(struct tcpdwell_bpf *skel, struct bpf_link **link)
{
	int fd;

	*link = bpf_program__attach_iter(skel->progs.snapshot_tcp, NULL);
	if (!*link) {
		fd = -errno;
		td_err("failed to attach the snapshot iterator: %s", strerror(-fd));
		return fd;
	}
	fd = bpf_iter_create(bpf_link__fd(*link));
	if (fd < 0) {
		fd = -errno;
		td_err("failed to start the snapshot iterator: %s", strerror(-fd));
	}
	return fd;
}

/* What the listing has seen so far. */
struct listing {
	const struct snap_opts *o;
	struct td_render_opts ropts;
	struct holders holders;
	uint64_t counts[TD_MAX_STATES];
	uint64_t now;
	int listed;
};

static bool older_than_asked(const struct listing *l, const struct td_snap *r)
{
	const struct snap_opts *o = l->o;

	if (!o->older_state)
		return true;
	return r->state == o->older_state && (r->flags & (TD_F_DWELL_KNOWN | TD_F_AT_LEAST)) &&
	       l->now >= r->since_ns && l->now - r->since_ns >= o->older_ns;
}

static void list_one(struct listing *l, const struct td_snap *r)
{
	const struct holder *h;

	if (r->type != TD_REC_SNAPSHOT || r->state == 0 || r->state >= TD_MAX_STATES)
		return;
	l->counts[r->state]++;
	if (!older_than_asked(l, r))
		return;
	h = find_holder(&l->holders, r->ino);
	if (l->o->cfg.json)
		td_render_snap_json(stdout, r, l->now, h ? h->pid : 0, h ? h->comm : "");
	else
		td_render_snap_text(stdout, &l->ropts, r, l->now, h ? h->pid : 0, h ? h->comm : "");
	l->listed++;
}

/* iter/tcp writes whole records; a read returns whole ones. */
static int read_records(int fd, struct listing *l)
{
	struct td_snap rec;
	size_t got = 0;
	ssize_t n;

	while ((n = read(fd, (char *)&rec + got, sizeof(rec) - got)) > 0) {
		got += (size_t)n;
		if (got < sizeof(rec))
			continue;
		got = 0;
		list_one(l, &rec);
	}
	if (n < 0) {
		int err = -errno;

		td_err("failed to read the snapshot iterator: %s", strerror(-err));
		return err;
	}
	return 0;
}

int td_snapshot_main(int argc, char **argv)
{
	static struct snap_opts o;
	static struct listing l;
	struct tcpdwell_bpf *skel = NULL;
	struct bpf_link *link = NULL;
	pid_t tracer;
	int err, fd = -1;

	err = td_parse_snapshot_args(&o, argc, argv, stdout, stderr);
	if (err)
		return err == 1 ? 0 : err;
	libbpf_set_print(NULL);
	if (td_require_btf() || find_tracer(&o, &tracer))
		return 1;
	err = open_snapshot(&skel, &o, tracer);
	if (err) {
		td_err("failed to load the snapshot iterator: %s%s", strerror(-err),
		       err == -EPERM ? "; run as root or grant CAP_BPF+CAP_PERFMON" : "");
		return 1;
	}
	fd = err = start_iter(skel, &link);
	if (fd < 0)
		goto cleanup;
	l.o = &o;
	l.ropts.wide = o.cfg.wide;
	scan_holders(&l.holders);
	l.now = td_clock_ns(CLOCK_MONOTONIC);
	if (!o.cfg.json)
		td_render_snap_header(stdout, &l.ropts);
	err = read_records(fd, &l);
	if (!err)
		td_render_snap_counts(stdout, l.counts, l.listed, tracer, o.cfg.json);

cleanup:
	if (fd >= 0)
		close(fd);
	bpf_link__destroy(link);
	tcpdwell_bpf__destroy(skel);
	free(l.holders.v);
	return err ? 1 : 0;
}
