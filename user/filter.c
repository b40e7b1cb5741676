/* The one userspace filter: built from the options, stored into the kernel
 * side's knobs, and applied to the records userspace makes itself. */
#include <errno.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <linux/magic.h>
#include "diag.h"
#include "filter.h"

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
