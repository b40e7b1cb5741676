/* The one userspace filter: built from the options, stored into the kernel
 * side's knobs, and applied to the records userspace makes itself. */
#include <errno.h>
#include <arpa/inet.h>
#include <sys/socket.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <linux/magic.h>
#include "diag.h"
#include "filter.h"
#include "states.h"

_Static_assert(sizeof(((struct td_config *)0)->port_filter) == TD_PORT_TABLE,
	       "td_config.port_filter is the port table");

/* The cgroup v2 id is the inode number of the cgroup's directory
 * (kernfs_node id), which is what the kernel side reads from the socket.
 * On a cgroup v1 hierarchy or any other filesystem the inode number is
 * something else, so the filesystem is checked first. */
int td_cgroup_id(const char *path, uint64_t *id)
{
	struct statfs fs;
	struct stat st;

	if (statfs(path, &fs) || stat(path, &st))
		return -errno;
	if ((unsigned long)fs.f_type != CGROUP2_SUPER_MAGIC)
		return -EMEDIUMTYPE;
	if (!S_ISDIR(st.st_mode))
		return -ENOTDIR;
	*id = st.st_ino;
	return 0;
}

static int cgroup_filter(const char *path, __u64 *id)
{
	uint64_t v;
	int err = td_cgroup_id(path, &v);

	if (err == -EMEDIUMTYPE)
		td_err("failed to use cgroup '%s': not on a cgroup v2 filesystem; give a directory under the "
		       "cgroup2 mount (grep cgroup2 /proc/mounts)", path);
	else if (err)
		td_err("failed to open cgroup '%s': %s", path, strerror(-err));
	else
		*id = v;
	return err;
}

int td_filter_from_config(struct td_filter *f, const struct td_config *cfg)
{
	memset(f, 0, sizeof(*f));
	f->family = (__u8)cfg->family;
	f->lport = cfg->filter_lport;
	f->rport = cfg->filter_rport;
	f->either = cfg->filter_either;
	f->laddr = cfg->laddr;
	f->raddr = cfg->raddr;
	f->tgid = cfg->pid;
	f->states = cfg->state_mask;
	f->netns = cfg->netns;
	return cfg->cgroup_path ? cgroup_filter(cfg->cgroup_path, &f->cgroup_id) : 0;
}

void td_filter_store(volatile struct td_filter *knob, volatile uint8_t *port_knob,
		     const struct td_filter *f, const uint8_t *ports)
{
	/* Read-only data before load is plain memory: volatile only keeps the
	 * compiler from folding the BPF side's reads. */
	memcpy((void *)knob, f, sizeof(*f));
	memcpy((void *)port_knob, ports, TD_PORT_TABLE);
}

/* addr & mask == net, word by word; a filter matches only its own family. */
static bool cidr_pass(const struct td_cidr *c, int family, const __u8 *addr)
{
	__u32 a[4];

	if (!c->family)
		return true;
	if ((int)c->family != family)
		return false;
	memcpy(a, addr, sizeof(a));
	for (int i = 0; i < (family == 4 ? 1 : 4); i++)
		if ((a[i] & c->mask[i]) != c->net[i])
			return false;
	return true;
}

static bool ports_pass(const struct td_filter *f, const uint8_t *ports, __u16 lport, __u16 rport)
{
	if (f->lport && !(ports[lport] & TD_PORT_LOCAL))
		return false;
	if (f->rport && !(ports[rport] & TD_PORT_REMOTE))
		return false;
	if (f->either && !((ports[lport] | ports[rport]) & TD_PORT_EITHER))
		return false;
	return true;
}

bool td_filter_pass(const struct td_filter *f, const uint8_t *port_filter, const struct td_event *e)
{
	__u32 states = (1u << (e->oldstate & 31)) | (1u << (e->newstate & 31));

	if (f->family && e->family != f->family)
		return false;
	if (f->netns && e->netns != f->netns)
		return false;
	if (!ports_pass(f, port_filter, e->sport, e->dport))
		return false;
	if (!cidr_pass(&f->laddr, e->family, e->saddr) || !cidr_pass(&f->raddr, e->family, e->daddr))
		return false;
	if (f->tgid && (!(e->flags & TD_F_PID_KNOWN) || e->pid != f->tgid))
		return false;
	/* 0 is an unknown cgroup: it passes no cgroup filter. */
	if (f->cgroup_id && e->cgroup_id != f->cgroup_id)
		return false;
	return !f->states || (f->states & states);
}

/* ---- the filters as words: what a tracer records for the snapshot ---- */

struct words {
	char *buf;
	size_t len, used;
};

static void put(struct words *w, const char *fmt, const char *s)
{
	int n = snprintf(w->buf + w->used, w->len - w->used, fmt, s);

	if (n > 0)
		w->used = w->used + (size_t)n < w->len ? w->used + (size_t)n : w->len - 1;
}

/* " -P 80,8000-8010": the ports whose bit is set, in ranges. */
static void put_ports(struct words *w, const char *opt, const uint8_t *ports, uint8_t bit)
{
	char item[16];
	const char *sep = " ";

	put(w, "%s", opt);
	for (unsigned p = 1; p < TD_PORT_TABLE; p++) {
		unsigned q = p;

		if (!(ports[p] & bit))
			continue;
		while (q + 1 < TD_PORT_TABLE && (ports[q + 1] & bit))
			q++;
		if (q > p + 1)
			snprintf(item, sizeof(item), "%u-%u", p, q);
		else if (q == p + 1)
			snprintf(item, sizeof(item), "%u,%u", p, q);
		else
			snprintf(item, sizeof(item), "%u", p);
		put(w, "%s", sep);
		put(w, "%s", item);
		sep = ",";
		p = q;
	}
}

static void put_cidr(struct words *w, const char *opt, const struct td_cidr *c)
{
	char a[INET6_ADDRSTRLEN], item[64];
	int bits = 0;

	if (!c->family)
		return;
	for (int i = 0; i < 4; i++)
		bits += __builtin_popcount(c->mask[i]);
	inet_ntop(c->family == 4 ? AF_INET : AF_INET6, c->net, a, sizeof(a));
	snprintf(item, sizeof(item), " %s %s/%d", opt, a, bits);
	put(w, "%s", item);
}

static void put_states(struct words *w, uint32_t mask)
{
	const char *sep = " -s ";

	for (int s = 1; s < TD_MAX_STATES; s++)
		if (mask & (1u << s)) {
			put(w, "%s", sep);
			put(w, "%s", td_state_name(s));
			sep = ",";
		}
}

void td_filter_describe(const struct td_config *cfg, char *buf, size_t len)
{
	struct words w = { buf, len, 0 };
	char pid[24], ns[24];

	buf[0] = '\0';
	if (cfg->family)
		put(&w, "%s", cfg->family == 4 ? " -4" : " -6");
	if (cfg->filter_lport)
		put_ports(&w, " -L", cfg->port_filter, TD_PORT_LOCAL);
	if (cfg->filter_rport)
		put_ports(&w, " -D", cfg->port_filter, TD_PORT_REMOTE);
	if (cfg->filter_either)
		put_ports(&w, " -P", cfg->port_filter, TD_PORT_EITHER);
	put_cidr(&w, "-A", &cfg->laddr);
	put_cidr(&w, "-R", &cfg->raddr);
	snprintf(pid, sizeof(pid), " -p %u", cfg->pid);
	if (cfg->pid)
		put(&w, "%s", pid);
	if (cfg->cgroup_path)
		put(&w, " -c %s", cfg->cgroup_path);
	snprintf(ns, sizeof(ns), " -N %u", cfg->netns);
	if (cfg->netns)
		put(&w, "%s", ns);
	put_states(&w, cfg->state_mask);
	if (cfg->timers)
		put(&w, "%s", " -T");
	if (w.used)
		memmove(buf, buf + 1, w.used); /* the leading space */
}

bool td_filter_covers(const struct td_filter *f, const uint8_t *port_filter, const struct td_snap *s)
{
	if (f->family && s->family != f->family)
		return false;
	if (f->netns && s->netns != f->netns)
		return false;
	if (!ports_pass(f, port_filter, s->sport, s->dport))
		return false;
	return cidr_pass(&f->laddr, s->family, s->saddr) && cidr_pass(&f->raddr, s->family, s->daddr);
}
