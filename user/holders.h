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

/* Appends one holder (comm may be NULL: empty); 0 or -ENOMEM. */
int td_holders_add(struct td_holders *h, uint64_t ino, int pid, const char *comm);
/* Sorts by inode, then pid: td_holders_find gives the first of an
 * inode's holders, the lowest pid. */
void td_holders_sort(struct td_holders *h);
/* Scans proc ("/proc") until deadline_ns (CLOCK_MONOTONIC; 0: none).
 * Returns 0, -ETIME when the deadline cut the scan short, or -ENOMEM; what
 * was found before either stays in h. */
int td_holders_scan(struct td_holders *h, const char *proc, uint64_t deadline_ns);
/* The holder of socket inode ino (one of them when several), or NULL. */
const struct td_holder *td_holders_find(const struct td_holders *h, uint64_t ino);
void td_holders_free(struct td_holders *h);

/* Where the holders come from: the kernel's walk of every task's files
 * (user/holders_iter.c) where the kernel has it, else /proc; the debug
 * variable TD_HOLDERS=proc forces /proc. */
#define TD_HOLDERS_ENV "TD_HOLDERS"
enum td_holders_way {
	TD_HOLDERS_KERNEL, /* unset, empty or "kernel": the walk where it loads */
	TD_HOLDERS_PROC,   /* "proc" */
};
/* TD_HOLDERS' value (NULL: unset) -> *way; 0, or -EINVAL for another word. */
int td_holders_way_parse(const char *s, enum td_holders_way *way);
/* TD_HOLDERS from the environment: 0, or -EINVAL after one line on stderr. */
int td_holders_env_check(void);

#endif
