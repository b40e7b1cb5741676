/* The cgroup v2 hierarchy as id -> path, from a walk of its directories:
 * readdir's d_ino of a cgroup directory is its cgroup id (kernfs numbers
 * its nodes with the id: kernfs_ino(), cgroup_id()), so the walk needs no
 * stat per directory. The mounts parser is pure; the rest reads the
 * filesystem. */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include "cgroups.h"

/* Deeper directories are not followed (systemd and kubelet nest < 10). */
#define WALK_DEPTH_MAX 64

/* "\040" -> ' ': /proc/mounts escapes space, tab, newline and backslash. */
static bool unescape(const char *s, size_t n, char *out, size_t len)
{
	size_t o = 0;

	for (size_t i = 0; i < n; i++) {
		char ch = s[i];

		if (ch == '\\' && i + 3 < n && s[i + 1] >= '0' && s[i + 1] <= '3' && s[i + 2] >= '0' &&
		    s[i + 2] <= '7' && s[i + 3] >= '0' && s[i + 3] <= '7') {
			ch = (char)((s[i + 1] - '0') * 64 + (s[i + 2] - '0') * 8 + (s[i + 3] - '0'));
			i += 3;
		}
		if (o + 1 >= len)
			return false;
		out[o++] = ch;
	}
	out[o] = '\0';
	return o > 0;
}

/* "cgroup2 /sys/fs/cgroup/unified cgroup2 rw,relatime 0 0" */
bool td_mount_line_cgroup2(const char *line, char *dir, size_t len)
{
	const char *f[3];
	size_t fl[3];
	const char *p = line;

	for (int i = 0; i < 3; i++) {
		p += strspn(p, " \t");
		f[i] = p;
		fl[i] = strcspn(p, " \t\n");
		if (!fl[i])
			return false;
		p += fl[i];
	}
	if (fl[2] != 7 || memcmp(f[2], "cgroup2", 7) != 0)
		return false;
	return unescape(f[1], fl[1], dir, len) && dir[0] == '/';
}

/* The cgroup2 mount whose top is the root cgroup (inode 1), else the first
 * one (a container's namespaced view: paths are then relative to it). */
static int find_mount(char *root, size_t len)
{
	FILE *f = fopen("/proc/self/mounts", "r");
	char line[8192], dir[TD_CGROUP_PATH_MAX];
	bool found = false;

	if (!f)
		return -errno;
	while (fgets(line, sizeof(line), f)) {
		struct stat st;

		if (!td_mount_line_cgroup2(line, dir, sizeof(dir)) || strlen(dir) >= len)
			continue;
		if (!found) {
			strcpy(root, dir);
			found = true;
		}
		if (stat(dir, &st) == 0 && st.st_ino == 1) {
			strcpy(root, dir);
			break;
		}
	}
	fclose(f);
	return found ? 0 : -ENOENT;
}

int td_cgroups_init(struct td_cgroups *c, const char *root)
{
	memset(c, 0, sizeof(*c));
	c->max = TD_CGROUPS_MAX;
	c->min_walk_ns = TD_CGROUPS_MIN_WALK_NS;
	if (!root)
		return find_mount(c->root, sizeof(c->root));
	if (strlen(root) >= sizeof(c->root))
		return -ENAMETOOLONG;
	strcpy(c->root, root);
	return 0;
}

struct walk {
	struct td_cgroups *c;
	struct td_cgroup *v;
	size_t n, cap;
	size_t rootlen;
};

static int add(struct walk *w, uint64_t id, const char *full)
{
	const char *rel = full[w->rootlen] ? full + w->rootlen : "/";
	struct td_cgroup *g;

	if (w->n == w->c->max) {
		w->c->dropped++;
		return 0;
	}
	if (w->n == w->cap) {
		size_t cap = w->cap ? w->cap * 2 : 64;
		struct td_cgroup *v = realloc(w->v, cap * sizeof(*v));

		if (!v)
			return -ENOMEM;
		w->v = v;
		w->cap = cap;
	}
	g = &w->v[w->n];
	g->id = id;
	g->path = strdup(rel);
	if (!g->path)
		return -ENOMEM;
	g->ident = NULL;
	w->n++;
	return 0;
}

/* The directories below path (len bytes of buf), depth first. */
static int walk_dir(struct walk *w, char *buf, size_t len, int depth)
{
	DIR *d = opendir(buf);
	struct dirent *e;
	int err = 0;

	if (!d)
		return 0; /* removed under the walk, or unreadable: skipped */
	while (!err && (e = readdir(d))) {
		size_t n = strlen(e->d_name);

		if (e->d_type != DT_DIR || e->d_name[0] == '.' || len + 1 + n >= TD_CGROUP_PATH_MAX)
			continue;
		buf[len] = '/';
		memcpy(buf + len + 1, e->d_name, n + 1);
		err = add(w, e->d_ino, buf);
		if (!err && depth < WALK_DEPTH_MAX)
			err = walk_dir(w, buf, len + 1 + n, depth + 1);
		buf[len] = '\0';
	}
	closedir(d);
	return err;
}

static int by_id(const void *a, const void *b)
{
	const struct td_cgroup *x = a, *y = b;

	return x->id < y->id ? -1 : x->id > y->id;
}

static void free_entries(struct td_cgroup *v, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free(v[i].path);
		free(v[i].ident);
	}
	free(v);
}

/* A fresh map replaces the old one; on failure the old one stays. */
static int walk(struct td_cgroups *c)
{
	struct walk w = { .c = c, .rootlen = strlen(c->root) };
	char *buf = malloc(TD_CGROUP_PATH_MAX);
	struct stat st;
	int err;

	c->walks++;
	c->dropped = 0;
	if (!buf)
		return -ENOMEM;
	err = stat(c->root, &st) ? -errno : 0;
	memcpy(buf, c->root, w.rootlen + 1);
	if (!err)
		err = add(&w, st.st_ino, buf);
	if (!err)
		err = walk_dir(&w, buf, w.rootlen, 1);
	free(buf);
	if (err) {
		free_entries(w.v, w.n);
		return err;
	}
	qsort(w.v, w.n, sizeof(*w.v), by_id);
	free_entries(c->v, c->n);
	c->v = w.v;
	c->n = w.n;
	return 0;
}

/* The entry, its identity parsed on the first find. */
static const struct td_cgroup *find(struct td_cgroups *c, uint64_t id)
{
	struct td_cgroup key = { .id = id }, *g;

	g = c->n ? bsearch(&key, c->v, c->n, sizeof(*c->v), by_id) : NULL;
	if (g && !g->ident && (g->ident = malloc(sizeof(*g->ident))))
		td_identity_parse(g->path, g->ident);
	return g;
}

const struct td_cgroup *td_cgroups_lookup(struct td_cgroups *c, uint64_t id, uint64_t now_ns)
{
	const struct td_cgroup *g = find(c, id);

	if (g || !c->root[0] || !id)
		return g;
	if (c->walked && now_ns - c->last_walk_ns < c->min_walk_ns)
		return NULL;
	c->walked = true;
	c->last_walk_ns = now_ns;
	if (walk(c))
		return NULL;
	return find(c, id);
}

void td_cgroups_free(struct td_cgroups *c)
{
	free_entries(c->v, c->n);
	c->v = NULL;
	c->n = 0;
}
