/* An iter/tcp iterator run in every network namespace of the host, or in
 * the one -N names. The iterator walks the namespace of the thread that
 * creates its fd (bpf_iter_tcp's seq_file takes current's netns when
 * bpf_iter_create builds it), so each fd is created after a setns() into
 * the namespace and read after coming back. */
#ifndef TD_NSITER_H
#define TD_NSITER_H

#include <stdbool.h>
#include <stdint.h>
#include "netns.h"
#include "opts.h"

struct bpf_link;

struct td_nsiter {
	uint32_t only;    /* -N: the namespace's inode; 0: every namespace */
	int only_fd;      /* -N's namespace, opened at start (-1: it is this one) */
	uint32_t self_ino;
	int self_fd;      /* this thread's namespace, to come back to */
	struct td_netns_list list;
	int warned;       /* the errno already reported (one line per kind) */
};

/* From cfg's -N; opens what later walks need, so that they can run after
 * the privilege drop. 0, or -errno after one line on stderr. */
int td_nsiter_init(struct td_nsiter *w, const struct td_config *cfg);
/* Whether a walk may enter other namespaces (needs CAP_SYS_ADMIN, and
 * CAP_SYS_PTRACE to open other users' /proc/PID/ns/net). */
bool td_nsiter_enters(const struct td_nsiter *w);

/* fn gets an iterator fd created in namespace netns; it reads it (the fd
 * is closed after). A non-zero return stops the walk and is returned. */
typedef int (*td_nsiter_fn)(void *ctx, uint32_t netns, int iter_fd);
/* Runs link's iterator in each namespace in turn. A namespace that is gone
 * by the time it is entered is skipped; one that cannot be entered gets one
 * warning (once per errno) and is skipped. 0 or the first -errno of
 * bpf_iter_create or fn; -errno if this thread could not come back. */
int td_nsiter_run(struct td_nsiter *w, struct bpf_link *link, td_nsiter_fn fn, void *ctx);
void td_nsiter_free(struct td_nsiter *w);

#endif
