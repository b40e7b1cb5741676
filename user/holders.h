/* Which process holds each socket file, as ss -p finds it: the
 * socket:[INODE] links under /proc/PID/fd. */
#ifndef TD_HOLDERS_H
#define TD_HOLDERS_H

#include <stddef.h>
#include <stdint.h>
#include <linux/types.h>
#include "tcpdwell.h"

struct td_holder {
	uint64_t ino;
	int pid;
	char comm[TD_COMM_LEN + 1];
};

struct td_holders {
	struct td_holder *v; /* sorted by ino after a scan */
	size_t n, cap;
};

/* Scans proc ("/proc") until deadline_ns (CLOCK_MONOTONIC; 0: none).
 * Returns 0, -ETIME when the deadline cut the scan short, or -ENOMEM; what
 * was found before either stays in h. */
int td_holders_scan(struct td_holders *h, const char *proc, uint64_t deadline_ns);
/* The holder of socket inode ino (one of them when several), or NULL. */
const struct td_holder *td_holders_find(const struct td_holders *h, uint64_t ino);
void td_holders_free(struct td_holders *h);

#endif
