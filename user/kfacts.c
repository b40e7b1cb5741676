/* Kernel facts read from /proc, /sys and /boot: parsers on a FILE * or a
 * line (unit-tested), and the readers of the real files around them. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/utsname.h>
#include <zlib.h>
#include "diag.h"
#include "kfacts.h"

int td_require_btf(void)
{
	if (access("/sys/kernel/btf/vmlinux", R_OK) == 0)
		return 0;
	td_err("failed to find kernel BTF at /sys/kernel/btf/vmlinux: this kernel needs CONFIG_DEBUG_INFO_BTF=y");
	return -ENOENT;
}

/* ---- /proc/kallsyms ---------------------------------------------------- */

uint64_t td_kallsyms_line_addr(const char *line, const char *name)
{
	unsigned long long addr;
	char sym[256], type;

	if (sscanf(line, "%llx %c %255s", &addr, &type, sym) != 3 || strcmp(sym, name) != 0)
		return 0;
	return addr;
}

int td_kallsyms_find(FILE *f, const char *const names[], uint64_t addrs[], int n)
{
	char line[512];
	int found = 0;

	for (int i = 0; i < n; i++)
		addrs[i] = 0;
	while (found < n && fgets(line, sizeof(line), f)) {
		for (int i = 0; i < n; i++) {
			uint64_t a;

			if (addrs[i])
				continue;
			a = td_kallsyms_line_addr(line, names[i]);
			if (a) {
				addrs[i] = a;
				found++;
				break;
			}
		}
	}
	return found;
}

int td_kallsyms_lookup(const char *const names[], uint64_t addrs[], int n)
{
	FILE *f = fopen(TD_KALLSYMS, "r");
	int found;

	if (!f) {
		for (int i = 0; i < n; i++)
			addrs[i] = 0;
		return 0;
	}
	found = td_kallsyms_find(f, names, addrs, n);
	fclose(f);
	return found;
}

bool td_kallsyms_hidden(void)
{
	FILE *f = fopen(TD_KALLSYMS, "r");
	unsigned long long addr = 1;

	if (!f)
		return true;
	if (fscanf(f, "%llx", &addr) != 1)
		addr = 0;
	fclose(f);
	return addr == 0;
}

/* ---- CONFIG_HZ --------------------------------------------------------- */

unsigned int td_config_hz_line(const char *line)
{
	const char *p = line + strlen("CONFIG_HZ=");
	unsigned long hz;
	char *end;

	if (strncmp(line, "CONFIG_HZ=", strlen("CONFIG_HZ=")) != 0 || *p < '0' || *p > '9')
		return 0;
	errno = 0;
	hz = strtoul(p, &end, 10);
	if (errno || (*end && *end != '\n') || hz < 1 || hz > 100000)
		return 0;
	return (unsigned int)hz;
}

/* gzopen reads a plain file as it is, so one reader serves both. */
unsigned int td_config_hz_file(const char *path)
{
	gzFile f = gzopen(path, "r");
	unsigned int hz = 0;
	char line[256];

	if (!f)
		return 0;
	while (!hz && gzgets(f, line, sizeof(line)))
		hz = td_config_hz_line(line);
	gzclose(f);
	return hz;
}

unsigned int td_config_hz(void)
{
	unsigned int hz = td_config_hz_file("/proc/config.gz");
	struct utsname u;
	char path[320];

	if (hz || uname(&u))
		return hz;
	snprintf(path, sizeof(path), "/boot/config-%s", u.release);
	return td_config_hz_file(path);
}

unsigned int td_hz_round(uint64_t jiffies, uint64_t ns)
{
	static const unsigned int usual[] = { 100, 250, 300, 1000 };
	unsigned int best = 0;
	double best_off = 0;

	if (!ns)
		return 0;
	for (size_t i = 0; i < sizeof(usual) / sizeof(usual[0]); i++) {
		double expected = (double)usual[i] * (double)ns / 1e9;
		double off = (double)jiffies > expected ? (double)jiffies - expected : expected - (double)jiffies;

		/* A count over an interval is off by up to one tick. */
		if (off <= expected / 10 + 1 && (!best || off < best_off)) {
			best = usual[i];
			best_off = off;
		}
	}
	return best;
}

long long td_timer_list_jiffies(FILE *f)
{
	char line[256];
	long long j;

	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "jiffies: %lld", &j) == 1)
			return j;
	return -1;
}

static long long timer_list_jiffies_at(const char *path)
{
	FILE *f = fopen(path, "r");
	long long j;

	if (!f)
		return -errno;
	j = td_timer_list_jiffies(f);
	fclose(f);
	return j < 0 ? -ENOENT : j;
}

int td_hz_probe_start(struct td_hz_probe *p, const char *path, uint64_t now_ns)
{
	long long j = timer_list_jiffies_at(path);

	p->path = path;
	p->ns = now_ns;
	p->jiffies = j < 0 ? -1 : j;
	return j < 0 ? (int)j : 0;
}

bool td_hz_probe_running(const struct td_hz_probe *p)
{
	return p->jiffies >= 0;
}

int td_hz_probe_finish(struct td_hz_probe *p, uint64_t now_ns)
{
	long long j;
	unsigned int hz;

	if (!td_hz_probe_running(p))
		return -EINVAL;
	if (now_ns < p->ns + TD_HZ_PROBE_NS)
		return 0;
	j = timer_list_jiffies_at(p->path);
	if (j >= 0 && j < p->jiffies)
		j = -ERANGE;
	hz = j < 0 ? 0 : td_hz_round((uint64_t)(j - p->jiffies), now_ns - p->ns);
	p->jiffies = -1;
	if (j < 0)
		return (int)j;
	return hz ? (int)hz : -ERANGE;
}

/* ---- sysctls ----------------------------------------------------------- */

uint32_t td_tw_map_clamp(unsigned long v)
{
	unsigned long n = v + v / 16;

	if (n < 65536)
		return 65536;
	if (n > (1u << 22))
		return 1u << 22;
	return (uint32_t)n;
}

uint32_t td_tw_map_entries(void)
{
	FILE *f = fopen("/proc/sys/net/ipv4/tcp_max_tw_buckets", "r");
	unsigned long v = 0;

	if (f) {
		if (fscanf(f, "%lu", &v) != 1)
			v = 0;
		fclose(f);
	}
	return td_tw_map_clamp(v);
}

uint32_t td_pid_max_file(const char *path)
{
	FILE *f = fopen(path, "r");
	unsigned long v = 0;

	if (f) {
		if (fscanf(f, "%lu", &v) != 1)
			v = 0;
		fclose(f);
	}
	/* The kernel keeps it in [301, PID_MAX_LIMIT]; anything else is no
	 * answer. */
	return v >= 301 && v <= TD_PID_MAX_LIMIT ? (uint32_t)v : TD_PID_MAX_LIMIT;
}

uint32_t td_pid_max(void)
{
	return td_pid_max_file(TD_PID_MAX);
}
