/* bpffs pins of a running tracer's maps: one directory per tracer pid. */
#include <dirent.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include "pins.h"

#define BPF_FS_MAGIC 0xcafe4a11
#define TRACEFS_MAGIC 0x74726163

const char *const td_pinned_maps[] = { "sk_infos", "tw_socks", "listeners" };
const int td_pinned_maps_n = sizeof(td_pinned_maps) / sizeof(td_pinned_maps[0]);

int td_bpffs_ensure(void)
{
	struct statfs st;

	if (statfs("/sys/fs/bpf", &st) == 0 && (unsigned long)st.f_type == BPF_FS_MAGIC)
		return 0;
	if (mkdir("/sys/fs/bpf", 0700) && errno != EEXIST)
		return -errno;
	if (mount("bpf", "/sys/fs/bpf", "bpf", 0, "mode=0700"))
		return -errno;
	return 0;
}

int td_tracefs_ensure(void)
{
	struct statfs st;

	if (statfs(TD_TRACEFS, &st) == 0 && (unsigned long)st.f_type == TRACEFS_MAGIC)
		return 0;
	if (mount("tracefs", TD_TRACEFS, "tracefs", 0, NULL))
		return -errno;
	return 0;
}

void td_pin_path(char *buf, size_t len, pid_t pid, const char *name)
{
	if (name)
		snprintf(buf, len, "%s/%d/%s", TD_PIN_ROOT, (int)pid, name);
	else
		snprintf(buf, len, "%s/%d", TD_PIN_ROOT, (int)pid);
}

int td_pin_dir_create(pid_t pid)
{
	char path[256];

	if (mkdir(TD_PIN_ROOT, 0700) && errno != EEXIST)
		return -errno;
	td_pin_path(path, sizeof(path), pid, NULL);
	if (mkdir(path, 0700) && errno != EEXIST)
		return -errno;
	return 0;
}

/* Every entry goes, not only this build's pins: a directory left by an
 * older tracer may hold a map this build no longer has (req_socks), whose
 * pin would keep it in the kernel. */
void td_pin_dir_remove(pid_t pid)
{
	char path[256];
	struct dirent *de;
	DIR *d;

	td_pin_path(path, sizeof(path), pid, NULL);
	d = opendir(path);
	if (d) {
		while ((de = readdir(d)))
			if (strcmp(de->d_name, ".") && strcmp(de->d_name, ".."))
				unlinkat(dirfd(d), de->d_name, 0);
		closedir(d);
	}
	rmdir(path);
}

/* bpffs takes no regular files but takes symlinks: the words are the
 * target of one, written and read in one call each. */
int td_pin_filters_write(pid_t pid, const char *filters)
{
	char path[256], target[TD_FILTERS_LEN + 16];

	td_pin_path(path, sizeof(path), pid, TD_PIN_FILTERS);
	snprintf(target, sizeof(target), "tcpdwell%s%s", filters[0] ? " " : "", filters);
	unlink(path);
	return symlink(target, path) ? -errno : 0;
}

int td_pin_filters_read(pid_t pid, char *buf, size_t len)
{
	char path[256];
	ssize_t n;

	td_pin_path(path, sizeof(path), pid, TD_PIN_FILTERS);
	n = readlink(path, buf, len - 1);
	if (n < 0)
		return -errno;
	buf[n] = '\0';
	return 0;
}

void td_pin_cleanup_stale(void)
{
	(void)td_pin_find_tracer();
}

/* At least as new: of two directories made in one tick, either will do. */
static bool newer(const struct timespec *a, const struct timespec *b)
{
	return a->tv_sec > b->tv_sec || (a->tv_sec == b->tv_sec && a->tv_nsec >= b->tv_nsec);
}

/* The sharing tracers (pid and when each began), at most max, removing
 * directories left by dead ones. How many. */
static int list_tracers(pid_t *pids, struct timespec *when, int max)
{
	DIR *d = opendir(TD_PIN_ROOT);
	struct dirent *de;
	int n = 0;

	if (!d)
		return 0;
	while ((de = readdir(d)) && n < max) {
		char *end, path[256];
		long pid = strtol(de->d_name, &end, 10);
		struct stat st;

		if (*end || pid <= 0)
			continue;
		if (kill((pid_t)pid, 0) && errno == ESRCH) {
			td_pin_dir_remove((pid_t)pid); /* left by a tracer that died */
			continue;
		}
		td_pin_path(path, sizeof(path), (pid_t)pid, NULL);
		if (stat(path, &st) == 0) {
			pids[n] = (pid_t)pid;
			when[n++] = st.st_mtim;
		}
	}
	closedir(d);
	return n;
}

#define TRACERS_MAX 256

pid_t td_pin_find_tracer(void)
{
	pid_t pids[TRACERS_MAX], found = 0;
	struct timespec when[TRACERS_MAX], newest = { 0, 0 };
	int n = list_tracers(pids, when, TRACERS_MAX);

	for (int i = 0; i < n; i++) {
		if (newer(&when[i], &newest)) {
			newest = when[i];
			found = pids[i];
		}
	}
	return found;
}

int td_pin_other_tracers(pid_t except, pid_t *out, int max)
{
	pid_t pids[TRACERS_MAX];
	struct timespec when[TRACERS_MAX];
	int n = list_tracers(pids, when, TRACERS_MAX), k = 0;

	for (int i = 0; i < n && k < max; i++)
		if (pids[i] != except)
			out[k++] = pids[i];
	return k;
}
