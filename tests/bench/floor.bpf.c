// SPDX-License-Identifier: GPL-2.0
/* Floor probes for the benchmark (issue 4): the least a tracer of
 * sock:inet_sock_set_state can cost. floor_null only counts; floor_ringbuf
 * pushes a record the size of tcpdwell's td_event through a ring buffer with
 * batched wakeups, the floor for tcpdwell's default mode;
 * floor_ringbuf_percpu does the same through a ring per CPU, as tcpdwell's
 * default mode does. The loader (floor.c) enables exactly one of them. */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include "tcpdwell.h"
#include "floor.h"

char LICENSE[] SEC("license") = "GPL";

/* Set by the loader: a quarter of the ring, as tcpdwell does. */
const volatile __u64 wakeup_bytes = 2 * 1024 * 1024;

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 8 * 1024 * 1024); /* tcpdwell's default; resized by the loader */
} events SEC(".maps");

/* floor_ringbuf_percpu: each CPU's ring, installed by the loader. */
struct floor_ring {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 4096); /* resized by the loader */
};

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY_OF_MAPS);
	__uint(max_entries, 1); /* possible CPUs, set by the loader */
	__type(key, __u32);
	__array(values, struct floor_ring);
} rings SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, FLOOR_CNT_MAX);
	__type(key, __u32);
	__type(value, __u64);
} counters SEC(".maps");

static __always_inline void count(__u32 slot)
{
	__u64 *c = bpf_map_lookup_elem(&counters, &slot);

	if (c)
		*c += 1;
}

SEC("tp_btf/inet_sock_set_state")
int BPF_PROG(floor_null, const struct sock *sk, const int oldstate, const int newstate)
{
	count(FLOOR_CNT_RUNS);
	return 0;
}

/* One record on ring rb. */
static __always_inline void push(void *rb, const struct sock *sk, int oldstate, int newstate)
{
	struct td_event *e;
	__u64 flags;

	/* Same record size as tcpdwell, so the same ring-buffer bytes per
	 * event; only the fields that cost nothing to fill are filled. */
	e = bpf_ringbuf_reserve(rb, sizeof(*e), 0);
	if (!e) {
		count(FLOOR_CNT_DROPS);
		return;
	}
	__builtin_memset(e, 0, sizeof(*e));
	e->type = TD_REC_TRANSITION;
	e->oldstate = oldstate;
	e->newstate = newstate;
	e->ts_ns = bpf_ktime_get_ns();
	e->skaddr = (__u64)sk;

	/* The same batching as tcpdwell: wake the consumer only past a fill
	 * threshold; it drains on its poll timeout otherwise. */
	flags = bpf_ringbuf_query(rb, BPF_RB_AVAIL_DATA) >= wakeup_bytes ?
		BPF_RB_FORCE_WAKEUP : BPF_RB_NO_WAKEUP;
	bpf_ringbuf_submit(e, flags);
}

SEC("tp_btf/inet_sock_set_state")
int BPF_PROG(floor_ringbuf, const struct sock *sk, const int oldstate, const int newstate)
{
	push(&events, sk, oldstate, newstate);
	return 0;
}

SEC("tp_btf/inet_sock_set_state")
int BPF_PROG(floor_ringbuf_percpu, const struct sock *sk, const int oldstate, const int newstate)
{
	__u32 cpu = bpf_get_smp_processor_id();
	void *rb = bpf_map_lookup_elem(&rings, &cpu);

	if (rb)
		push(rb, sk, oldstate, newstate);
	else
		count(FLOOR_CNT_DROPS);
	return 0;
}
