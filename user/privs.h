/* Giving up privileges once the BPF programs are attached. */
#ifndef TD_PRIVS_H
#define TD_PRIVS_H

/* Drops every capability (effective, permitted, inheritable, bounding and
 * ambient), sets no_new_privs, and confines the process to a seccomp
 * allow-list of what reading maps, the ring buffer and serving HTTP need.
 * bpf() is allowed only for commands on objects already held (map lookups,
 * iterators, info): loading programs or maps is refused. 0 or -errno, with
 * a one-line message on failure. */
int td_drop_privileges(void);

#endif
