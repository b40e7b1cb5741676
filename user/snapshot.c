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

/* Loads only snapshot_tcp, on the tracer's pinned maps when one runs. */
static int open_snapshot(struct tcpdwell_bpf **out, const struct snap_opts *o, pid_t tracer)
{
	struct tcpdwell_bpf *skel = tcpdwell_bpf__open();
	struct bpf_program *prog;
	struct td_filter filt;
	int err = 0;

	if (!skel)
		return -errno;
	bpf_object__for_each_program(prog, skel->obj)
		bpf_program__set_autoload(prog, prog == skel->progs.snapshot_tcp);
	err = td_filter_from_config(&filt, &o->cfg);
	if (err) {
		tcpdwell_bpf__destroy(skel);
		return err;
	}
	td_filter_store(&skel->rodata->filt, skel->rodata->port_filter, &filt, o->cfg.port_filter);
	bpf_map__set_max_entries(skel->maps.events, 4096);
	for (int i = 0; i < td_pinned_maps_n; i++) {
		struct bpf_map *m = bpf_object__find_map_by_name(skel->obj, td_pinned_maps[i]);
		char path[256];
		int fd;

		if (!m)
			continue;
		if (!tracer) {
			if (bpf_map__type(m) == BPF_MAP_TYPE_HASH)
				bpf_map__set_max_entries(m, 1);
			continue;
		}
		td_pin_path(path, sizeof(path), tracer, td_pinned_maps[i]);
		fd = bpf_obj_get(path);
		if (fd < 0 || bpf_map__reuse_fd(m, fd)) {
			err = fd < 0 ? -errno : -EINVAL;
			if (fd >= 0)
				close(fd);
			break;
		}
		close(fd);
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

int td_snapshot_main(int argc, char **argv)
{
	static struct snap_opts o;
	struct td_render_opts ropts = { 0 };
	struct tcpdwell_bpf *skel = NULL;
	struct holders holders = { 0 };
	struct bpf_link *link = NULL;
	uint64_t counts[TD_MAX_STATES] = { 0 }, now;
	pid_t tracer;
	struct td_snap rec;
	size_t got = 0;
	ssize_t n;
	int err, fd = -1, listed = 0;

	err = td_parse_snapshot_args(&o, argc, argv, stdout, stderr);
	if (err)
		return err == 1 ? 0 : err;
	libbpf_set_print(NULL);
	if (td_require_btf())
		return 1;
	tracer = 0;
	if (td_bpffs_ensure() == 0)
		tracer = o.tracer ? (pid_t)o.tracer : td_pin_find_tracer();
	if (o.tracer) {
		char path[256];

		td_pin_path(path, sizeof(path), tracer, NULL);
		if (access(path, F_OK)) {
			fprintf(stderr, "tcpdwell: no tracing tcpdwell with pid %u shares its maps in %s\n", o.tracer,
				TD_PIN_ROOT);
			return 1;
		}
	}
	err = open_snapshot(&skel, &o, tracer);
	if (err) {
		fprintf(stderr, "tcpdwell: failed to load the snapshot iterator: %s%s\n", strerror(-err),
			err == -EPERM ? "; run as root or grant CAP_BPF+CAP_PERFMON" : "");
		return 1;
	}
	link = bpf_program__attach_iter(skel->progs.snapshot_tcp, NULL);
	if (!link) {
		err = -errno;
		fprintf(stderr, "tcpdwell: failed to attach the snapshot iterator: %s\n", strerror(-err));
		goto cleanup;
	}
	fd = bpf_iter_create(bpf_link__fd(link));
	if (fd < 0) {
		err = -errno;
		fprintf(stderr, "tcpdwell: failed to start the snapshot iterator: %s\n", strerror(-err));
		goto cleanup;
	}
	scan_holders(&holders);
	now = td_clock_ns(CLOCK_MONOTONIC);
	ropts.wide = o.cfg.wide;
	if (!o.cfg.json)
		td_render_snap_header(stdout, &ropts);
	/* iter/tcp writes whole records; a read returns whole ones. */
	while ((n = read(fd, (char *)&rec + got, sizeof(rec) - got)) > 0) {
		const struct holder *h;

		got += (size_t)n;
		if (got < sizeof(rec))
			continue;
		got = 0;
		if (rec.type != TD_REC_SNAPSHOT || rec.state == 0 || rec.state >= TD_MAX_STATES)
			continue;
		counts[rec.state]++;
		if (o.older_state) {
			if (rec.state != o.older_state || !(rec.flags & (TD_F_DWELL_KNOWN | TD_F_AT_LEAST)) ||
			    now < rec.since_ns || now - rec.since_ns < o.older_ns)
				continue;
		}
		h = find_holder(&holders, rec.ino);
		if (o.cfg.json)
			td_render_snap_json(stdout, &rec, now, h ? h->pid : 0, h ? h->comm : "");
		else
			td_render_snap_text(stdout, &ropts, &rec, now, h ? h->pid : 0, h ? h->comm : "");
		listed++;
	}
	if (n < 0) {
		err = -errno;
		fprintf(stderr, "tcpdwell: failed to read the snapshot iterator: %s\n", strerror(-err));
		goto cleanup;
	}
	if (o.cfg.json) {
		printf("{\"type\":\"counts\"");
		for (int s = 1; s < TD_MAX_STATES; s++)
			printf(",\"%s\":%llu", td_state_name(s), (unsigned long long)counts[s]);
		printf(",\"listed\":%d,\"tracer_pid\":", listed);
		if (tracer)
			printf("%d}\n", (int)tracer);
		else
			printf("null}\n");
	} else {
		printf("\n");
		for (int s = 1; s < TD_MAX_STATES; s++)
			if (counts[s])
				printf("%-12s %llu\n", td_state_name(s), (unsigned long long)counts[s]);
		if (!tracer)
			printf("(no tracing tcpdwell shares its maps: times in state are unknown; run tcpdwell to track them)\n");
	}
	err = 0;

cleanup:
	if (fd >= 0)
		close(fd);
	bpf_link__destroy(link);
	tcpdwell_bpf__destroy(skel);
	free(holders.v);
	return err ? 1 : 0;
}
