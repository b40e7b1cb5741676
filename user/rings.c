/* The per-CPU ring buffers: see rings.h. */
#include <errno.h>
#include <stdlib.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include "rings.h"

struct td_rings {
	struct ring_buffer *rb; /* NULL until td_rings_consumer */
	int nslots;             /* possible CPUs */
	int n;
	int fds[];              /* the rings; the slots hold them too */
};

struct td_rings *td_rings_new(struct bpf_map *slots, int ncpus, int nrings, uint32_t ring_bytes)
{
	struct td_rings *r = calloc(1, sizeof(*r) + (size_t)nrings * sizeof(int));
	int err = 0;

	if (!r)
		return NULL;
	r->nslots = ncpus;
	while (r->n < nrings) {
		int fd = bpf_map_create(BPF_MAP_TYPE_RINGBUF, "td_ring", 0, 0, ring_bytes, NULL);

		if (fd < 0) {
			err = -errno;
			break;
		}
		r->fds[r->n++] = fd;
	}
	if (!err)
		err = bpf_map__set_max_entries(slots, (__u32)ncpus);
	if (!err)
		err = bpf_map__set_inner_map_fd(slots, r->fds[0]);
	if (err) {
		td_rings_free(r);
		errno = -err;
		return NULL;
	}
	return r;
}

int td_rings_install(const struct td_rings *r, const struct bpf_map *slots)
{
	int fd = bpf_map__fd(slots);

	for (__u32 cpu = 0; cpu < (__u32)r->nslots; cpu++)
		if (bpf_map_update_elem(fd, &cpu, &r->fds[cpu % r->n], BPF_ANY))
			return -errno;
	return 0;
}

struct ring_buffer *td_rings_consumer(struct td_rings *r, ring_buffer_sample_fn fn, void *ctx)
{
	int err = 0;

	r->rb = ring_buffer__new(r->fds[0], fn, ctx, NULL);
	if (!r->rb)
		return NULL;
	for (int i = 1; i < r->n && !err; i++)
		err = ring_buffer__add(r->rb, r->fds[i], fn, ctx);
	if (err) {
		ring_buffer__free(r->rb);
		r->rb = NULL;
		errno = -err;
	}
	return r->rb;
}

void td_rings_free(struct td_rings *r)
{
	if (!r)
		return;
	ring_buffer__free(r->rb);
	for (int i = 0; i < r->n; i++)
		close(r->fds[i]);
	free(r);
}
