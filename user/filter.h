/* The one userspace filter: the options' filters as the struct td_filter
 * both sides read (bpf/tcpdwell.h), and the rule "does this socket pass"
 * that the kernel side applies, for what userspace reports itself. */
#ifndef TD_FILTER_H
#define TD_FILTER_H

#include <stdbool.h>
#include <stdint.h>
#include <linux/types.h>
#include "tcpdwell.h"
#include "opts.h"

/* The port lists: one byte of TD_PORT_* bits per port, td_config's
 * port_filter and the kernel side's alike. */
#define TD_PORT_TABLE 65536

/* The cgroup v2 id of a cgroup directory: 0, or -errno (-EMEDIUMTYPE when
 * the path is not on a cgroup2 filesystem, -ENOTDIR when not a directory). */
int td_cgroup_id(const char *path, uint64_t *id);
/* cfg's filters into *f, resolving -c's path: 0, or -errno after one line
 * on stderr. The port table stays cfg->port_filter. */
int td_filter_from_config(struct td_filter *f, const struct td_config *cfg);
/* f and its port table into a skeleton's knobs before load, for tracing and
 * the snapshot iterator alike: td_filter_store(&skel->rodata->filt,
 * skel->rodata->port_filter, f, ports). */
void td_filter_store(volatile struct td_filter *knob, volatile uint8_t *port_knob,
		     const struct td_filter *f, const uint8_t *ports);
/* Whether an event passes f: family, namespace, ports (local, remote, either side),
 * address CIDRs, owner tgid (known), cgroup, and the state bits on the old
 * or the new state. The same rule as the kernel side's. */
bool td_filter_pass(const struct td_filter *f, const uint8_t *port_filter, const struct td_event *e);

/* The filters a tracer runs with, as options that td_parse_args reads back
 * ("-P 47118,47119 -T"; "" when it follows every socket): the part of a
 * tracer's command line that decides which sockets it times. -T is in: it
 * decides whether timewait and request socks get times. */
void td_filter_describe(const struct td_config *cfg, char *buf, size_t len);
/* Whether a tracer with filter f keeps the time in state of socket s, as
 * far as a snapshot can tell: its tuple (family, ports, addresses) and
 * namespace pass.
 * The owner and state filters choose what a tracer reports, not which
 * sockets it times; the cgroup filter does, but a snapshot record has no
 * cgroup id (fullsk.bpf.h: fsk_filter). */
bool td_filter_covers(const struct td_filter *f, const uint8_t *port_filter, const struct td_snap *s);

#endif
