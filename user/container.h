/* A cgroup v2 path -> the container, Kubernetes pod and systemd unit it
 * names, from the shapes container runtimes and systemd give their cgroups.
 * Pure: strings in, strings out. */
#ifndef TD_CONTAINER_H
#define TD_CONTAINER_H

#include <stddef.h>

/* The longest cgroup path parsed (the kernel's PATH_MAX); longer ones are
 * refused rather than cut. */
#define TD_CGROUP_PATH_MAX 4096
/* Container ids are 64 hex digits (docker, containerd, cri-o, podman). */
#define TD_CONTAINER_ID_LEN 64
/* A pod UID with dashes (8-4-4-4-12), or a static pod's 32 hex digits. */
#define TD_POD_UID_MAX 36
#define TD_UNIT_MAX 255

struct td_identity {
	char container[TD_CONTAINER_ID_LEN + 1]; /* "" when none */
	const char *runtime; /* "docker", "containerd", "cri-o", "podman", "" (a
				bare id under a pod: the runtime does not say) */
	char pod_uid[TD_POD_UID_MAX + 1];        /* "" when none */
	char unit[TD_UNIT_MAX + 1]; /* the innermost systemd unit that is not a
				       container's own scope: "sshd.service",
				       "session-3.scope", "" */
};

/* Fills id from a cgroup path relative to the cgroup2 mount ("/",
 * "/system.slice/docker-<64hex>.scope"). The innermost container wins
 * (docker in docker). Returns 0 (fields empty when nothing is recognised),
 * or -EINVAL for a path not starting with '/', or one over
 * TD_CGROUP_PATH_MAX or with a component over 255 bytes. */
int td_identity_parse(const char *path, struct td_identity *id);

/* What a CONTAINER column and the container label show: the container id's
 * first 12 digits (as `docker ps`), else "pod/<uid>", else the unit, else
 * "-". */
const char *td_identity_short(const struct td_identity *id, char *buf, size_t len);

#endif
