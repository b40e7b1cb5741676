/* Map fill of a running tracer, for make soak: for each hash map a process
 * holds (from /proc/PID/fdinfo), the entries now and the capacity, counted
 * by batch lookups. One line:
 *
 *   mapfill tw_socks=31204/262144 listeners=3/4096
 *
 * Maps without key iteration (socket storage) and per-CPU hashes are left
 * out. Under churn the count is of a map that changes while it is read. */
#include <dirent.h>
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <bpf/bpf.h>

#define MAX_MAPS 64

static int map_ids(const char *pid, unsigned *ids, int max)
{
	char dir[64], path[320], line[128];
	struct dirent *de;
	int n = 0;
	DIR *d;

	snprintf(dir, sizeof(dir), "/proc/%s/fdinfo", pid);
	d = opendir(dir);
	if (!d)
		return -errno;
	while ((de = readdir(d)) && n < max) {
		FILE *f;
		unsigned id = 0;
		bool dup = false;

		snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
		f = fopen(path, "r");
		if (!f)
			continue;
		while (fgets(line, sizeof(line), f))
			if (sscanf(line, "map_id: %u", &id) == 1)
				break;
		fclose(f);
		for (int i = 0; i < n; i++)
			dup |= ids[i] == id;
		if (id && !dup)
			ids[n++] = id;
	}
	closedir(d);
	return n;
}

/* Entries now, by batch lookups: they walk the buckets in order, so keys
 * deleted meanwhile (a churn deletes thousands a second) never restart the
 * walk, as they would BPF_MAP_GET_NEXT_KEY's (double counts). */
static long count_entries(int fd, const struct bpf_map_info *info)
{
	__u32 chunk = 4096, n;
	void *keys = calloc(chunk, info->key_size), *vals = calloc(chunk, info->value_size);
	__u64 in = 0, out = 0;
	bool first = true;
	long total = 0;
	int err;

	if (!keys || !vals) {
		free(keys);
		free(vals);
		return -ENOMEM;
	}
	for (;;) {
		n = chunk;
		err = bpf_map_lookup_batch(fd, first ? NULL : &in, &out, keys, vals, &n, NULL);
		if (err && errno != ENOENT) {
			total = -errno;
			break;
		}
		total += n;
		if (err) /* ENOENT: the last bucket was read */
			break;
		in = out;
		first = false;
	}
	free(keys);
	free(vals);
	return total;
}

int main(int argc, char **argv)
{
	unsigned ids[MAX_MAPS];
	int n;

	if (argc != 2 || !strcmp(argv[1], "-h") || !strcmp(argv[1], "--help")) {
		fprintf(stderr, "Usage: mapfill PID\nPrints the fill of each hash map PID holds, as name=entries/max.\n");
		return argc == 2 ? 0 : 2;
	}
	n = map_ids(argv[1], ids, MAX_MAPS);
	if (n < 0) {
		fprintf(stderr, "mapfill: cannot read /proc/%s/fdinfo: %s\n", argv[1], strerror(-n));
		return 1;
	}
	printf("mapfill");
	for (int i = 0; i < n; i++) {
		struct bpf_map_info info;
		__u32 len = sizeof(info);
		int fd = bpf_map_get_fd_by_id(ids[i]);
		long c;

		memset(&info, 0, sizeof(info));
		if (fd < 0 || bpf_obj_get_info_by_fd(fd, &info, &len)) {
			if (fd >= 0)
				close(fd);
			continue;
		}
		if (info.type == BPF_MAP_TYPE_HASH || info.type == BPF_MAP_TYPE_LRU_HASH) {
			c = count_entries(fd, &info);
			if (c >= 0)
				printf(" %s=%ld/%u", info.name, c, info.max_entries);
		}
		close(fd);
	}
	printf("\n");
	return 0;
}
