/* BPF lifecycle: open, configure, load, attach, poll, read counters, close. */
#ifndef TD_TRACER_H
#define TD_TRACER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <linux/types.h>
#include "tcpdwell.h"
#include "agg.h"
#include "kfacts.h" /* td_require_btf */
#include "opts.h"

struct td_tracer;

/* Called for each well-formed record; a non-zero return stops the poll. */
typedef int (*td_event_fn)(void *ctx, const struct td_event *e);

/* Called for each well-formed accept record; a non-zero return stops the
 * poll. */
typedef int (*td_accept_fn)(void *ctx, const struct td_accept *r);

/* Opens, configures from cfg, loads and attaches. On failure prints one
 * "tcpdwell: failed to ..." line to stderr and returns -errno. */
int td_tracer_open(struct td_tracer **out, const struct td_config *cfg, td_event_fn fn, void *ctx);
/* Hands accept records to fn from the next poll on; without it they are
 * read and dropped. */
void td_tracer_on_accept(struct td_tracer *t, td_accept_fn fn, void *ctx);
/* Whether the accept programs (accept-queue waits) are attached. */
bool td_tracer_accepts(const struct td_tracer *t);
/* Waits up to timeout_ms for a wakeup, then drains the ring buffer. Returns
 * the number of records handled or -errno (-EINTR is not an error). */
int td_tracer_poll(struct td_tracer *t, int timeout_ms);
/* Totals since open: lost records, skipped runs, storage failures. */
int td_tracer_loss(struct td_tracer *t, struct td_loss *out);
/* Whether the timer programs (TIME_WAIT, handshakes) are attached. */
bool td_tracer_timers(const struct td_tracer *t);
/* --kernel-agg: the in-kernel totals since start; 0 or -errno. */
int td_tracer_read_kernel_agg(struct td_tracer *t, struct td_agg *out);
/* cfg->accepts_in_kernel: the kernel's accept waits since start, the rest
 * of *out zero; 0 or -errno. */
int td_tracer_read_kernel_accepts(struct td_tracer *t, struct td_agg *out);
/* Counts the live TCP sockets of every network namespace (or -N's) per
 * state (see TD_CENSUS_*), and settles orphaned FIN_WAIT2s; 0 or -errno. */
int td_tracer_census(struct td_tracer *t, uint64_t out[TD_CENSUS_MAX]);
/* The last census per namespace (those holding sockets); how many. */
struct td_census_ns;
struct td_census;
size_t td_tracer_census_ns(const struct td_tracer *t, const struct td_census_ns **per);
/* The census itself: how the last one ran (walked, the walker's counts). */
const struct td_census *td_tracer_census_state(const struct td_tracer *t);
/* Whether orphaned FIN_WAIT2s may wait for a census to settle them. */
bool td_tracer_orphans_pending(const struct td_tracer *t);
/* How often a run settles them while some wait. Settling infers the peer's
 * FIN from the timewait timer (tw_settle_found), so a later census reports
 * the same split, only later; each census walks every namespace and holds
 * the consumer meanwhile (at full churn, once a second overflowed the
 * ring). A sock that ends first is settled at its end. */
#define TD_SETTLE_PERIOD_NS 10000000000ull
/* Whether the census enters other namespaces (setns: privileges to keep). */
bool td_tracer_enters_netns(const struct td_tracer *t);
/* The listeners the last census found, with their drops and queues. */
struct td_listeners;
const struct td_listeners *td_tracer_listeners(const struct td_tracer *t);
/* Records rejected by the decoder (should stay 0). */
unsigned long td_tracer_bad_records(const struct td_tracer *t);
/* Who holds each socket file now, by the tracer's walk of open files (or
 * /proc): td_holders_collect's. */
struct td_holders;
int td_tracer_holders(struct td_tracer *t, struct td_holders *h);
void td_tracer_close(struct td_tracer *t);

/* A BPF program's cost as the kernel counts it while BPF statistics are on
 * (kernel.bpf_stats_enabled=1 or a BPF_ENABLE_STATS fd held). */
struct td_prog_stat {
	char name[64];
	uint64_t run_ns;  /* bpf_prog_info.run_time_ns */
	uint64_t run_cnt; /* bpf_prog_info.run_cnt */
};
/* Fills out[] for each loaded program, at most max; returns how many, or
 * -errno. */
int td_tracer_prog_stats(struct td_tracer *t, struct td_prog_stat *out, int max);
/* The ring buffer's epoll fd, readable when td_tracer_poll has records, so
 * callers can wait on it beside their own fds. */
int td_tracer_epoll_fd(const struct td_tracer *t);

#endif
