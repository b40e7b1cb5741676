/* A socket's cgroup v2 id -> its cgroup's path and identity. The id is the
 * inode of the cgroup's directory in the cgroup2 mount, so a walk of the
 * hierarchy builds the map; it is cached and walked again on a miss, at
 * most once per min_walk_ns. */
#ifndef TD_CGROUPS_H
#define TD_CGROUPS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "container.h"

/* Directories kept from one walk; a larger hierarchy keeps the first ones
 * found (dropped counts the rest). Each costs its path and 24 bytes. */
#define TD_CGROUPS_MAX 65536
/* Walks caused by unknown ids: at most one per second. */
#define TD_CGROUPS_MIN_WALK_NS 1000000000ull

struct td_cgroup {
	uint64_t id;
	char *path; /* relative to the mount: "/", "/system.slice/x.service" */
	/* Parsed from path on the first lookup: only the cgroups that hold
	 * sockets pay for one. NULL before, or if it could not be allocated. */
	struct td_identity *ident;
};

struct td_cgroups {
	char root[TD_CGROUP_PATH_MAX]; /* the cgroup2 mount; "" when none */
	struct td_cgroup *v;           /* sorted by id */
	size_t n;
	size_t max;                    /* TD_CGROUPS_MAX unless a test says */
	uint64_t min_walk_ns;
	uint64_t last_walk_ns;
	bool walked;
	unsigned walks;                /* how many so far */
	size_t dropped;                /* directories past max in the last walk */
};

/* One line of /proc/mounts: true for a cgroup2 mount, with its mount point
 * (octal escapes such as \040 undone) in dir. Pure. */
bool td_mount_line_cgroup2(const char *line, char *dir, size_t len);

/* root: the cgroup2 mount to walk; NULL: found in /proc/self/mounts, the
 * one whose top is the hierarchy's root (inode 1) before a namespaced
 * view. Returns 0, or -ENOENT when there is no cgroup2 mount (lookups then
 * find nothing). Nothing is walked until the first lookup. */
int td_cgroups_init(struct td_cgroups *c, const char *root);
/* The cgroup with this id, or NULL. A miss walks the hierarchy again when
 * the last walk is min_walk_ns old (now_ns: CLOCK_MONOTONIC). */
const struct td_cgroup *td_cgroups_lookup(struct td_cgroups *c, uint64_t id, uint64_t now_ns);
void td_cgroups_free(struct td_cgroups *c);

#endif
