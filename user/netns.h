/* The host's network namespaces: found from the /proc/PID/ns/net links and
 * the bind mounts under /run/netns (a namespace nobody holds is gone),
 * deduplicated by inode; and moving the calling thread into one and back,
 * which is how an iter/tcp iterator gets to walk it. */
#ifndef TD_NETNS_H
#define TD_NETNS_H

#include <stddef.h>
#include <stdint.h>

struct td_netns {
	uint32_t ino;   /* nsfs inode: what `ls -L -i /proc/PID/ns/net` and lsns show */
	int named;      /* path is under /run/netns */
	int pid;        /* a process in it (its /proc/PID/net), 0: none seen */
	char path[112]; /* a file that opens it: /run/netns/NAME or /proc/PID/ns/net */
};

struct td_netns_list {
	struct td_netns *v; /* sorted by inode, one each */
	size_t n, cap;
};

/* The inode of the namespace file at path (a /proc/PID/ns/net link or a
 * bind mount of one): 0, or -errno (-EINVAL: not a network namespace). */
int td_netns_ino(const char *path, uint32_t *ino);
/* The inode in "net:[4026531840]", the target of a /proc/PID/ns/net link;
 * 0 or -EINVAL. */
int td_netns_parse_link(const char *link, uint32_t *ino);
/* Adds the namespaces of every process under proc ("/proc") and every bind
 * mount under run ("/run/netns"; NULL: none), then sorts and deduplicates
 * (a /run/netns path wins: it outlives processes). 0 or -ENOMEM; a process
 * that exits meanwhile is skipped. */
int td_netns_scan(struct td_netns_list *l, const char *proc, const char *run);
/* Whether the namespace of process pid has TCP sockets an iterator would
 * walk, from proc/PID/net/sockstat ("TCP: inuse N orphan N tw N ...") and
 * sockstat6 ("TCP6: inuse N"): hashed sockets of either family (listeners,
 * connections, request socks' listeners) and timewait socks. 1, 0, or
 * -errno (unknown: walk it). */
int td_netns_has_tcp(const char *proc, int pid);
/* The inode of the host's first namespace (PROC_NET_INIT_INO, fixed in
 * include/linux/proc_ns.h). */
#define TD_NETNS_INIT_INO 4026531833u
/* Whether namespace ino has a TCP socket table of its own, from its
 * net.ipv4.tcp_ehash_entries read inside it (path): negative when it shares
 * the host's (net/ipv4/sysctl_net_ipv4.c), positive for a table of its own
 * (made when tcp_child_ehash_entries was set in the namespace that created
 * it, Linux 6.1+) and for the first namespace, whose table is the host's.
 * No such file (before 6.1): every namespace shares it. 1, 0 or -errno. */
int td_netns_own_table(const char *path, uint32_t ino);
/* -N's argument: "self", an inode that some process or /run/netns holds,
 * or a namespace file (*path = arg; NULL otherwise). 0, -EINVAL (not one
 * of these) or -EOVERFLOW (no such namespace). */
int td_netns_resolve(const char *arg, uint32_t *ino, const char **path);
/* The entry with inode ino, or NULL. */
const struct td_netns *td_netns_find(const struct td_netns_list *l, uint32_t ino);
void td_netns_free(struct td_netns_list *l);

/* Moves the calling thread into the namespace at path (setns is per
 * thread; it needs CAP_SYS_ADMIN, and opening another user's
 * /proc/PID/ns/net needs CAP_SYS_PTRACE). An opened file whose inode is not
 * ino (the pid was reused) is refused with -ESTALE. 0 or -errno. */
int td_netns_enter(const char *path, uint32_t ino);
/* The same with a namespace fd opened earlier (-N, before privileges were
 * dropped). */
int td_netns_enter_fd(int fd);

#endif
