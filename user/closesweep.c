/* The sweep of close_pending: the RST follows its close() within
 * microseconds on the same CPU, so a record still held after the grace
 * period will not get one. Deleting the entry is the claim the kernel side
 * also makes, so exactly one side reports it. */
#include <errno.h>
#include <stdlib.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include "closesweep.h"
#include "tcpdwell.skel.h"

#define CLOSE_GRACE_NS (50ull * 1000000ull)
#define BATCH 64

struct td_closesweep {
	int fd;
	td_event_fn fn;
	void *ctx;
};

struct td_closesweep *td_closesweep_new(struct tcpdwell_bpf *skel, td_event_fn fn, void *ctx)
{
	struct td_closesweep *s = calloc(1, sizeof(*s));

	if (!s)
		return NULL;
	s->fd = bpf_map__fd(skel->maps.close_pending);
	s->fn = fn;
	s->ctx = ctx;
	return s;
}

void td_closesweep_free(struct td_closesweep *s)
{
	free(s);
}

/* Up to BATCH keys of the map: it is almost always empty. */
static int held_keys(int fd, __u64 *keys)
{
	__u64 *prev = NULL;
	int n = 0;

	while (n < BATCH && bpf_map_get_next_key(fd, prev, &keys[n]) == 0) {
		prev = &keys[n];
		n++;
	}
	return n;
}

int td_closesweep_run(struct td_closesweep *s, uint64_t now_ns)
{
	__u64 keys[BATCH];
	int n = held_keys(s->fd, keys), reported = 0;

	for (int i = 0; i < n; i++) {
		struct td_event e;

		if (bpf_map_lookup_elem(s->fd, &keys[i], &e) || e.ts_ns + CLOSE_GRACE_NS >= now_ns)
			continue;
		if (bpf_map_delete_elem(s->fd, &keys[i]))
			continue;
		s->fn(s->ctx, &e);
		reported++;
	}
	return reported;
}
