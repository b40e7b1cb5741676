/* Reading the kernel side's aggregates: --kernel-agg's counters and
 * histograms, and the accept waits per port (kept in the kernel by
 * --kernel-agg and by the default mode without -e), summed over CPUs. */
#include <errno.h>
#include <stdlib.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include "kread.h"
#include "tcpdwell.skel.h"

/* The kernel's accept waits (accept_agg): each taken slot's port, then
 * "other" (port 0); vals holds a td_kaccept per CPU. A slot whose port is
 * not written yet reads as other this once. */
static int read_kernel_accepts(const struct tcpdwell_bpf *skel, int ncpus, struct td_accept_waits *w, void *vals)
{
	const size_t sz = sizeof(struct td_kaccept);
	int fd = bpf_map__fd(skel->maps.accept_ports);
	__u32 taken = skel->bss->accept_slots_taken;

	for (__u32 slot = 0; slot <= TD_ACCEPT_OTHER; slot++) {
		uint16_t port = slot < TD_ACCEPT_PORTS ? skel->bss->accept_slot_port[slot] : 0;

		if (slot < TD_ACCEPT_OTHER && slot >= taken)
			continue;
		if (bpf_map_lookup_elem(fd, &slot, vals))
			return -errno;
		for (int cpu = 0; cpu < ncpus; cpu++)
			td_accept_add_kernel(w, port, (const void *)((const char *)vals + (size_t)cpu * sz));
	}
	return 0;
}

/* --kernel-agg: the per-CPU counters and histograms into *out. */
static int read_kernel_counts(const struct tcpdwell_bpf *skel, int ncpus, struct td_agg *out, void *vals)
{
	size_t hsz = sizeof(struct td_khist), csz = sizeof(struct td_kcounts);
	__u32 zero = 0;
	int err = 0;

	if (bpf_map_lookup_elem(bpf_map__fd(skel->maps.agg_counts), &zero, vals))
		return -errno;
	for (int cpu = 0; cpu < ncpus; cpu++)
		td_agg_add_kcounts(out, (const void *)((const char *)vals + (size_t)cpu * csz));
	for (__u32 key = 1; key < TD_KHIST_MAX && !err; key++) {
		struct hist *dst = td_agg_khist(out, key);

		if (!dst)
			continue;
		if (bpf_map_lookup_elem(bpf_map__fd(skel->maps.agg_hists), &key, vals))
			err = -errno;
		for (int cpu = 0; cpu < ncpus && !err; cpu++)
			td_agg_add_khist(dst, (const void *)((const char *)vals + (size_t)cpu * hsz));
	}
	return err;
}

int td_kread(const struct tcpdwell_bpf *skel, int ncpus, struct td_agg *out, bool accepts)
{
	/* One value per CPU of the largest of the maps' values. */
	size_t csz = sizeof(struct td_kcounts), asz = sizeof(struct td_kaccept);
	void *vals = calloc((size_t)ncpus, asz > csz ? asz : csz);
	int err = 0;

	if (!vals)
		return -ENOMEM;
	td_agg_reset(out);
	if (!accepts)
		err = read_kernel_counts(skel, ncpus, out, vals);
	if (!err)
		err = read_kernel_accepts(skel, ncpus, &out->accept, vals);
	free(vals);
	return err;
}
