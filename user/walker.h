/* The census by a direct walk of the kernel's TCP socket tables
 * (bpf/walk.bpf.h's census_walk, run with BPF_PROG_TEST_RUN): one pass over
 * this namespace's table counts every namespace that shares it. census.c
 * asks it first and counts the other namespaces with the iterators. */
#ifndef TD_WALKER_H
#define TD_WALKER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <linux/types.h>
#include "tcpdwell.h"

struct tcpdwell_bpf;

struct td_walker {
	struct tcpdwell_bpf *skel;
	int prog_fd;
	bool on;       /* loaded (bpf_rdonly_cast exists), and not TD_CENSUS=iter */
	bool ran;      /* the last td_walker_run completed */
	uint64_t runs; /* test runs of the last walk */
	/* Called between two runs of a walk (see td_walker_between). */
	void (*between)(void *ctx);
	void *between_ctx;
};

/* Where census_walk may run: the kernel has bpf_rdonly_cast (v6.2), and
 * the debug variable TD_CENSUS is not "iter". Between open and load. */
bool td_walker_wanted(struct tcpdwell_bpf *skel);
/* TD_CENSUS: unset, "walk" or "iter"; another value gets one line and
 * -EINVAL (exit 2). */
int td_walker_env_check(void);
/* After load. */
void td_walker_init(struct td_walker *w, struct tcpdwell_bpf *skel);
/* fn(ctx) runs between two runs of each walk: a tracer drains its ring
 * buffer there, so that a walk of a large table, which runs on the
 * consumer's thread, does not hold the consumer while the ring fills. */
void td_walker_between(struct td_walker *w, void (*fn)(void *ctx), void *ctx);
/* One walk of both tables (established, then listeners): 0; -EAGAIN when
 * it was incomplete (a chain changed under it, a map was full); -errno. */
int td_walker_run(struct td_walker *w);
/* The last walk's counts of namespace netns (TD_CENSUS_* slots; zeroes
 * when it holds no socket that passes the filters). */
void td_walker_counts(const struct td_walker *w, uint32_t netns, uint64_t out[TD_CENSUS_MAX]);
/* The last walk's listener records. */
size_t td_walker_listeners(const struct td_walker *w, const struct td_listener **v);

#endif
