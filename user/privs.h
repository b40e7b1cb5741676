/* The privileges tcpdwell needs, and giving them up once the BPF programs
 * are attached. */
#ifndef TD_PRIVS_H
#define TD_PRIVS_H

#include <stdbool.h>
#include <stddef.h>

/* Drops every capability (effective, permitted, inheritable, bounding and
 * ambient) but the nkeep in keep, sets no_new_privs, and confines the
 * process to a seccomp allow-list of what reading maps, the ring buffer and
 * serving HTTP need. bpf() is allowed only for commands on objects already
 * held (map lookups, iterators, info): loading programs or maps is refused.
 * Keeping CAP_SYS_ADMIN also allows setns(fd, CLONE_NEWNET), and nothing
 * else setns does, for a census of other network namespaces (CAP_SYS_PTRACE
 * to open other users' /proc/PID/ns/net). 0 or -errno, with a one-line
 * message on failure. */
int td_drop_privileges(const int *keep, size_t nkeep);

/* What a mode needs beyond loading and attaching (CAP_BPF+CAP_PERFMON). */
enum td_need {
	TD_NEED_LOAD = 0,
	TD_NEED_KALLSYMS = 1, /* -T: CAP_SYSLOG shows /proc/kallsyms' addresses */
};

/* The hint after a failure for want of privileges: "; run as root or grant
 * CAP_BPF+CAP_PERFMON (missing: CAP_PERFMON)", naming the capabilities this
 * process lacks. Sets, measured with setpriv, are in the README. Returns
 * whether any is missing. */
bool td_privilege_hint(char *buf, size_t len, enum td_need need);

/* Whether err (EPERM, or EACCES, which the verifier also returns) is a
 * refusal for want of privileges; if so, buf gets the hint, else "". */
bool td_privilege_refusal(char *buf, size_t len, int err, enum td_need need);

#endif
