/* Loader for the benchmark's floor probes: attaches one of floor.bpf.c's
 * programs, consumes (ringbuf mode) until SIGINT/SIGTERM, then prints one
 * key=value line on stdout:
 *
 *   floor mode=ringbuf received=1842114 dropped=0 recursion_misses=212 lost=212 bad=0
 *
 * received is what reached userspace (null mode: program runs); lost is
 * dropped records plus runs the kernel skipped for recursion. */
#include <errno.h>
#include <inttypes.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <linux/types.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include "tcpdwell.h"
#include "floor.h"
#include "rings.h"
#include "floor.skel.h"

/* Same as tcpdwell's default ring and its wakeup threshold (a quarter). */
#define RINGBUF_BYTES (8u << 20)
#define POLL_MS       100

static const char usage[] =
"Usage: floor MODE\n"
"Attach a floor probe to tp_btf/inet_sock_set_state until SIGINT/SIGTERM.\n"
"\n"
"Modes:\n"
"  null      count runs in a per-CPU array, nothing else\n"
"  ringbuf   push a sizeof(struct td_event) record per transition through a\n"
"            ring buffer with batched wakeups, and consume it\n"
"  ringbuf-percpu\n"
"            the same through a ring per CPU (each an even share of the\n"
"            total, as tcpdwell's default mode does)\n";

/* The only mutable global: set by the signal handler. */
static volatile sig_atomic_t stop_requested;

static void on_signal(int sig)
{
	(void)sig;
	stop_requested = 1;
}

struct consumer {
	uint64_t received;
	uint64_t bad;
};

/* Reads the record's tag like a real consumer would, and rejects short or
 * unknown records. */
static int on_record(void *ctx, void *data, size_t len)
{
	struct consumer *c = ctx;
	const struct td_event *e = data;

	if (len < sizeof(*e) || e->type != TD_REC_TRANSITION)
		c->bad++;
	else
		c->received++;
	return 0;
}

static int percpu_sum(int map_fd, __u32 slot, uint64_t *sum)
{
	int ncpus = libbpf_num_possible_cpus();
	__u64 *vals;

	if (ncpus < 0)
		return ncpus;
	vals = calloc((size_t)ncpus, sizeof(*vals));
	if (!vals)
		return -ENOMEM;
	if (bpf_map_lookup_elem(map_fd, &slot, vals)) {
		free(vals);
		return -errno;
	}
	*sum = 0;
	for (int i = 0; i < ncpus; i++)
		*sum += vals[i];
	free(vals);
	return 0;
}

static int libbpf_quiet(enum libbpf_print_level level, const char *fmt, va_list args)
{
	(void)level;
	(void)fmt;
	(void)args;
	return 0;
}

int main(int argc, char **argv)
{
	struct floor_bpf *skel = NULL;
	struct ring_buffer *rb = NULL; /* rings' own in ringbuf-percpu mode */
	struct td_rings *rings = NULL;
	struct consumer cons = { 0 };
	struct bpf_program *prog;
	struct bpf_prog_info info;
	__u32 info_len = sizeof(info);
	struct sigaction sa;
	uint64_t runs = 0, drops = 0;
	bool ringbuf, percpu;
	int ncpus = libbpf_num_possible_cpus();
	int err;

	if (argc == 2 && (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help"))) {
		fputs(usage, stdout);
		return 0;
	}
	if (argc != 2 || (strcmp(argv[1], "null") && strcmp(argv[1], "ringbuf") && strcmp(argv[1], "ringbuf-percpu"))) {
		fprintf(stderr, "floor: want one MODE, null, ringbuf or ringbuf-percpu; see --help\n");
		return 2;
	}
	if (ncpus < 1) {
		fprintf(stderr, "floor: failed to count CPUs\n");
		return 1;
	}
	percpu = !strcmp(argv[1], "ringbuf-percpu");
	ringbuf = percpu || !strcmp(argv[1], "ringbuf");
	if (!getenv("FLOOR_VERBOSE"))
		libbpf_set_print(libbpf_quiet);

	/* No SA_RESTART: the poll returns at once on a signal. */
	sigemptyset(&sa.sa_mask);
	sa.sa_handler = on_signal;
	sa.sa_flags = 0;
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);

	skel = floor_bpf__open();
	if (!skel) {
		err = -errno;
		fprintf(stderr, "floor: failed to open BPF object: %s\n", strerror(-err));
		goto cleanup;
	}
	prog = percpu ? skel->progs.floor_ringbuf_percpu : ringbuf ? skel->progs.floor_ringbuf : skel->progs.floor_null;
	bpf_program__set_autoload(skel->progs.floor_null, prog == skel->progs.floor_null);
	bpf_program__set_autoload(skel->progs.floor_ringbuf, prog == skel->progs.floor_ringbuf);
	bpf_program__set_autoload(skel->progs.floor_ringbuf_percpu, prog == skel->progs.floor_ringbuf_percpu);
	skel->rodata->wakeup_bytes = RINGBUF_BYTES / 4;
	/* Only the shared ring's mode uses it: else keep it small. */
	err = bpf_map__set_max_entries(skel->maps.events, ringbuf && !percpu ? RINGBUF_BYTES : 4096);
	if (!err && percpu) {
		/* tcpdwell's rings, by its own rule (user/rings.h, ringsize.h). */
		int nrings = td_rings_per_cpu(ncpus);
		__u32 bytes = td_ring_bytes(RINGBUF_BYTES, nrings);

		skel->rodata->wakeup_bytes = bytes / 4;
		rings = td_rings_new(skel->maps.rings, ncpus, nrings, bytes);
		err = rings ? 0 : -errno;
	}
	if (err) {
		fprintf(stderr, "floor: failed to size ring buffer: %s\n", strerror(-err));
		goto cleanup;
	}
	err = floor_bpf__load(skel);
	if (err) {
		fprintf(stderr, "floor: failed to load BPF programs: %s; run as root (FLOOR_VERBOSE=1 shows libbpf's log)\n",
			strerror(-err));
		goto cleanup;
	}
	err = percpu ? td_rings_install(rings, skel->maps.rings) : 0;
	if (err) {
		fprintf(stderr, "floor: failed to install the per-CPU rings: %s\n", strerror(-err));
		goto cleanup;
	}
	/* The skeleton's attach skips programs that were not loaded. */
	err = floor_bpf__attach(skel);
	if (err) {
		fprintf(stderr, "floor: failed to attach to tp_btf/inet_sock_set_state: %s\n", strerror(-err));
		goto cleanup;
	}
	if (ringbuf) {
		rb = percpu ? td_rings_consumer(rings, on_record, &cons) :
			      ring_buffer__new(bpf_map__fd(skel->maps.events), on_record, &cons, NULL);
		if (!rb) {
			err = -errno;
			fprintf(stderr, "floor: failed to create ring buffer consumer: %s\n", strerror(-err));
			goto cleanup;
		}
	}
	fprintf(stderr, "floor: %s probe attached; SIGINT or SIGTERM to stop\n", argv[1]);

	while (!stop_requested) {
		if (!ringbuf) {
			pause();
			continue;
		}
		/* Records are submitted without a wakeup until the ring is a
		 * quarter full, so a poll timeout may leave data: drain it. */
		err = ring_buffer__poll(rb, POLL_MS);
		if (err >= 0 || err == -EINTR)
			err = ring_buffer__consume(rb);
		if (err < 0 && err != -EINTR) {
			fprintf(stderr, "floor: failed to poll ring buffer: %s\n", strerror(-err));
			goto cleanup;
		}
	}
	if (rb && ring_buffer__consume(rb) < 0)
		fprintf(stderr, "floor: failed to drain ring buffer\n");

	err = percpu_sum(bpf_map__fd(skel->maps.counters), FLOOR_CNT_RUNS, &runs);
	if (!err)
		err = percpu_sum(bpf_map__fd(skel->maps.counters), FLOOR_CNT_DROPS, &drops);
	if (err) {
		fprintf(stderr, "floor: failed to read counters: %s\n", strerror(-err));
		goto cleanup;
	}
	memset(&info, 0, sizeof(info));
	if (bpf_obj_get_info_by_fd(bpf_program__fd(prog), &info, &info_len)) {
		err = -errno;
		fprintf(stderr, "floor: failed to read program info: %s\n", strerror(-err));
		goto cleanup;
	}
	printf("floor mode=%s received=%" PRIu64 " dropped=%" PRIu64 " recursion_misses=%llu lost=%llu bad=%" PRIu64 "\n",
	       argv[1], ringbuf ? cons.received : runs, drops, (unsigned long long)info.recursion_misses,
	       (unsigned long long)(drops + info.recursion_misses), cons.bad);
	fflush(stdout);
	err = 0;

cleanup:
	if (rings)
		td_rings_free(rings); /* and its consumer */
	else
		ring_buffer__free(rb);
	floor_bpf__destroy(skel);
	return err ? 1 : 0;
}
