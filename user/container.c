/* Container identity from a cgroup v2 path. The shapes, by cgroup driver:
 *
 *   systemd driver                                      cgroupfs driver
 *   /system.slice/docker-<id>.scope                      /docker/<id>
 *   /kubepods.slice/kubepods-burstable.slice/            /kubepods/burstable/pod<uid>/<id>
 *     kubepods-burstable-pod<uid with _>.slice/          /kubepods/pod<uid>/crio-<id>  (guaranteed)
 *     cri-containerd-<id>.scope | crio-<id>.scope        /libpod_parent/libpod-<id>
 *   /machine.slice/libpod-<id>.scope[/container]         /containerd/<id>, /k8s.io/<id>
 *   /system.slice/nerdctl-<id>.scope
 *
 * where <id> is 64 hex digits. The monitors (crio-conmon-<id>.scope,
 * libpod-conmon-<id>.scope) are not the container: they count as units. */
#define _GNU_SOURCE /* memmem */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include "container.h"

#define COMPONENT_MAX 255

static bool all_hex(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
			return false;
	return true;
}

static bool ends_with(const char *s, size_t n, const char *suffix)
{
	size_t k = strlen(suffix);

	return n >= k && memcmp(s + n - k, suffix, k) == 0;
}

static bool is_id(const char *s, size_t n)
{
	return n == TD_CONTAINER_ID_LEN && all_hex(s, n);
}

/* A runtime's own scope (or, under cgroupfs, directory) for one container:
 * PREFIX<id>.scope or PREFIX<id>. */
static const struct {
	const char *prefix, *runtime;
} scopes[] = {
	{ "docker-", "docker" },        { "cri-containerd-", "containerd" },
	{ "crio-", "cri-o" },           { "libpod-", "podman" },
	{ "nerdctl-", "containerd" },
};

/* A bare <id> directory is named by its parent (cgroupfs driver); under a
 * pod<uid> the runtime does not say. */
static const struct {
	const char *parent, *runtime;
} parents[] = {
	{ "docker", "docker" }, { "containerd", "containerd" }, { "k8s.io", "containerd" },
	{ "crio", "cri-o" },    { "libpod_parent", "podman" },
};

static const char *container_in(const char *c, size_t n, const char *parent, size_t pn, char *id)
{
	if (ends_with(c, n, ".scope"))
		n -= 6;
	for (size_t i = 0; i < sizeof(scopes) / sizeof(scopes[0]); i++) {
		size_t k = strlen(scopes[i].prefix);

		if (n > k && memcmp(c, scopes[i].prefix, k) == 0 && is_id(c + k, n - k)) {
			memcpy(id, c + k, TD_CONTAINER_ID_LEN);
			return scopes[i].runtime;
		}
	}
	if (!is_id(c, n))
		return NULL;
	memcpy(id, c, TD_CONTAINER_ID_LEN);
	for (size_t i = 0; i < sizeof(parents) / sizeof(parents[0]); i++)
		if (pn == strlen(parents[i].parent) && memcmp(parent, parents[i].parent, pn) == 0)
			return parents[i].runtime;
	return "";
}

/* 8-4-4-4-12 hex digits, or a static pod's 32 (a hash of its manifest). */
static bool pod_uid_ok(const char *u, size_t n)
{
	if (n == 32)
		return all_hex(u, n);
	if (n != 36)
		return false;
	for (size_t i = 0; i < n; i++) {
		bool dash = i == 8 || i == 13 || i == 18 || i == 23;

		if (dash ? u[i] != '-' : !all_hex(u + i, 1))
			return false;
	}
	return true;
}

/* kubepods[-QOS]-pod<uid_with_underscores>.slice (systemd driver; kind
 * nodes prefix "kubelet-"), or pod<uid> below a kubepods directory. */
static bool pod_in(const char *c, size_t n, bool under_kubepods, char *uid)
{
	char u[TD_POD_UID_MAX + 1];
	const char *p;
	size_t k;

	if (ends_with(c, n, ".slice")) {
		const char *at = NULL;

		for (p = c; p + 4 <= c + n; p++)
			if (memcmp(p, "-pod", 4) == 0)
				at = p;
		if (!at || !memmem(c, n, "kubepods", 8))
			return false;
		p = at + 4;
		k = (size_t)(c + n - 6 - p);
	} else {
		if (!under_kubepods || n < 3 || memcmp(c, "pod", 3) != 0)
			return false;
		p = c + 3;
		k = n - 3;
	}
	if (k > TD_POD_UID_MAX)
		return false;
	for (size_t i = 0; i < k; i++)
		u[i] = p[i] == '_' ? '-' : p[i];
	if (!pod_uid_ok(u, k))
		return false;
	memcpy(uid, u, k);
	uid[k] = '\0';
	return true;
}

static void take_unit(struct td_identity *id, const char *c, size_t n)
{
	if (ends_with(c, n, ".service") || ends_with(c, n, ".scope")) {
		memcpy(id->unit, c, n);
		id->unit[n] = '\0';
	}
}

int td_identity_parse(const char *path, struct td_identity *id)
{
	const char *c, *parent = "";
	size_t len, pn = 0;
	bool kubepods = false;

	memset(id, 0, sizeof(*id));
	id->runtime = "";
	if (!path || path[0] != '/')
		return -EINVAL;
	len = strnlen(path, TD_CGROUP_PATH_MAX);
	if (len >= TD_CGROUP_PATH_MAX)
		return -EINVAL;
	for (c = path; *c;) {
		size_t n = strcspn(c, "/");
		const char *rt;

		if (n > COMPONENT_MAX) {
			memset(id, 0, sizeof(*id));
			id->runtime = "";
			return -EINVAL;
		}
		if (n && (rt = container_in(c, n, parent, pn, id->container)))
			id->runtime = rt;
		else if (n && !pod_in(c, n, kubepods, id->pod_uid))
			take_unit(id, c, n);
		if (n && memmem(c, n, "kubepods", 8))
			kubepods = true;
		if (n) {
			parent = c;
			pn = n;
		}
		c += n + (c[n] == '/');
	}
	return 0;
}

const char *td_identity_short(const struct td_identity *id, char *buf, size_t len)
{
	if (id->container[0])
		snprintf(buf, len, "%.12s", id->container);
	else if (id->pod_uid[0])
		snprintf(buf, len, "pod/%s", id->pod_uid);
	else if (id->unit[0])
		snprintf(buf, len, "%s", id->unit);
	else
		snprintf(buf, len, "-");
	return buf;
}
