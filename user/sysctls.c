/* Reads the TCP settings doctor names in its findings, from /proc/sys (as
 * sysctl(8) does: the dots of a name are the directories), and the
 * kernel's orphan count from /proc/net/sockstat. */
#include <stdio.h>
#include <string.h>
#include "sysctls.h"

#define TD_SC_WORD(name, word) [name] = word,
static const char *const names[TD_SC_MAX] = { TD_SYSCTL_LIST(TD_SC_WORD) };

const char *td_sysctl_name(enum td_sysctl s)
{
	return (unsigned)s < TD_SC_MAX ? names[s] : NULL;
}

const char *td_sysctl_fmt(const struct td_sysctls *s, enum td_sysctl which, char *buf, unsigned len)
{
	if (!s->known[which])
		snprintf(buf, len, "?");
	else if (which == TD_SC_PORT_RANGE)
		snprintf(buf, len, "%lld %lld", (long long)s->v[which], (long long)s->port_hi);
	else
		snprintf(buf, len, "%lld", (long long)s->v[which]);
	return buf;
}

/* root/net/ipv4/tcp_fin_timeout: the first one or two numbers in it. */
static int read_one(const char *root, const char *name, long long *a, long long *b)
{
	char path[256];
	FILE *f;
	int n;

	snprintf(path, sizeof(path), "%s/%s", root, name);
	for (char *p = path + strlen(root) + 1; *p; p++)
		if (*p == '.')
			*p = '/';
	f = fopen(path, "r");
	if (!f)
		return 0;
	n = fscanf(f, "%lld %lld", a, b);
	fclose(f);
	return n < 0 ? 0 : n;
}

int64_t td_sockstat_orphans(const char *line)
{
	const char *p;
	long long v;

	if (strncmp(line, "TCP:", 4) != 0 || !(p = strstr(line, " orphan ")))
		return -1;
	return sscanf(p, " orphan %lld", &v) == 1 && v >= 0 ? v : -1;
}

static void read_orphans(struct td_sysctls *s, const char *sockstat)
{
	char line[256];
	FILE *f = sockstat ? fopen(sockstat, "r") : NULL;

	if (!f)
		return;
	while (fgets(line, sizeof(line), f)) {
		int64_t v = td_sockstat_orphans(line);

		if (v >= 0) {
			s->orphans = v;
			s->orphans_known = true;
		}
	}
	fclose(f);
}

void td_sysctls_read(struct td_sysctls *s, const char *root, const char *sockstat)
{
	memset(s, 0, sizeof(*s));
	for (int i = 0; i < TD_SC_MAX; i++) {
		long long a = 0, b = 0;
		int n = read_one(root, names[i], &a, &b);

		if (i == TD_SC_PORT_RANGE ? n == 2 : n >= 1) {
			s->v[i] = a;
			s->known[i] = true;
			if (i == TD_SC_PORT_RANGE)
				s->port_hi = b;
		}
	}
	read_orphans(s, sockstat);
}
