/* BPF lifecycle for tcpdwell: open -> set knobs and map sizes -> load ->
 * attach -> poll, with a single cleanup path. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include "tracer.h"
#include "record.h"
#include "tcpdwell.skel.h"

struct td_tracer {
	struct tcpdwell_bpf *skel;
	struct ring_buffer *rb;
	td_event_fn fn;
	void *ctx;
	unsigned long bad_records;
	int ncpus;
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

static const char *privilege_hint(int err)
{
	if (err == -EPERM || err == -EACCES)
		return "; run as root or grant CAP_BPF+CAP_PERFMON";
	return "";
}

int td_tracer_open(struct td_tracer **out, const struct td_config *cfg, td_event_fn fn, void *ctx)
{
	struct td_tracer *t;
	__u64 cgid = 0;
	int err;

	libbpf_set_print(cfg->verbose ? libbpf_print : libbpf_quiet);
	if (access("/sys/kernel/btf/vmlinux", R_OK)) {
		fprintf(stderr, "tcpdwell: failed to find kernel BTF at /sys/kernel/btf/vmlinux: "
			"this kernel needs CONFIG_DEBUG_INFO_BTF=y\n");
		return -ENOENT;
	}
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
	t->skel->rodata->targ_family = cfg->family == 4 ? 2 : cfg->family == 6 ? 10 : 0;
	t->skel->rodata->targ_tgid = cfg->pid;
	t->skel->rodata->targ_cgroup_id = cgid;
	t->skel->rodata->filter_lport = cfg->filter_lport;
	t->skel->rodata->filter_rport = cfg->filter_rport;
	t->skel->rodata->filter_either = cfg->filter_either;
	memcpy((void *)t->skel->rodata->port_filter, cfg->port_filter, sizeof(cfg->port_filter));
	/* Wake the consumer when a quarter of the ring is full; the poll
	 * timeout covers quiet periods. */
	t->skel->rodata->wakeup_bytes = cfg->ringbuf_bytes / 4;
	err = bpf_map__set_max_entries(t->skel->maps.events, (__u32)cfg->ringbuf_bytes);
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
		fprintf(stderr, "tcpdwell: failed to attach to tracepoint sock:inet_sock_set_state: %s%s\n",
			strerror(-err), privilege_hint(err));
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

int td_tracer_poll(struct td_tracer *t, int timeout_ms)
{
	int n, m;

	/* The kernel side submits with BPF_RB_NO_WAKEUP until a fill threshold,
	 * so epoll may time out with data ready: always drain afterwards. */
	n = ring_buffer__poll(t->rb, timeout_ms);
	if (n < 0 && n != -EINTR)
		return n;
	m = ring_buffer__consume(t->rb);
	if (m < 0 && m != -EINTR)
		return m;
	return (n > 0 ? n : 0) + (m > 0 ? m : 0);
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
	if (err)
		return err;
	memset(&info, 0, sizeof(info));
	if (bpf_obj_get_info_by_fd(bpf_program__fd(t->skel->progs.handle_set_state), &info, &len))
		return -errno;
	out->recursion = info.recursion_misses;
	return 0;
}

int td_tracer_matched(struct td_tracer *t, uint64_t *out)
{
	return percpu_sum(t, TD_CNT_EVENTS, out);
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
	tcpdwell_bpf__destroy(t->skel);
	free(t);
}
