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

/* Whether a namespace has a socket table of its own (cached by inode,
 * dropped when a scan no longer finds it). */
struct td_nstable {
	uint32_t ino;
	bool own;
};

struct td_nsiter {
	uint32_t only;    /* -N: the namespace's inode; 0: every namespace */
	int only_fd;      /* -N's namespace, opened at start (-1: it is this one) */
	uint32_t self_ino;
	int self_fd;      /* this thread's namespace, to come back to */
	struct td_netns_list list;
	int warned;       /* the errno already reported (one line per kind) */
	bool self_own;    /* this namespace has a socket table of its own */
	struct td_nstable *tables;
	size_t ntables, captables;
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
/* fn gets each namespace that holds TCP sockets (from its sockstat; -N's
 * one always), as td_nsiter_run would walk them. 0 or the first -errno of
 * the scan or of fn. */
typedef int (*td_nsiter_ns_fn)(void *ctx, const struct td_netns *ns);
int td_nsiter_each(struct td_nsiter *w, td_nsiter_ns_fn fn, void *ctx);
/* An iterator fd of link created in ns (the caller closes it); -EAGAIN:
 * skip ns (gone, or cannot be entered: warned once), -errno. */
int td_nsiter_fd(struct td_nsiter *w, const struct td_netns *ns, struct bpf_link *link);
/* Whether ns's sockets are in this thread's namespace's socket table (the
 * one census_walk walks): ns is this namespace, or both share the host's.
 * Entered once per namespace to read its tcp_ehash_entries; false when
 * that fails (the iterator then counts it). */
bool td_nsiter_same_table(struct td_nsiter *w, const struct td_netns *ns);
/* Whether any namespace the walks cover is in this thread's namespace's
 * socket table: false only when -N names one with a table of its own,
 * whose census the walk of this table cannot take. */
bool td_nsiter_covers_table(struct td_nsiter *w);
/* Runs link's iterator in each namespace in turn. A namespace that is gone
 * by the time it is entered is skipped; one that cannot be entered gets one
 * warning (once per errno) and is skipped. 0 or the first -errno of
 * bpf_iter_create or fn; -errno if this thread could not come back. */
int td_nsiter_run(struct td_nsiter *w, struct bpf_link *link, td_nsiter_fn fn, void *ctx);
void td_nsiter_free(struct td_nsiter *w);

#endif
