/* -N/--netns, the row every command shares (user/opts.h netns_rows): one
 * network namespace by file, inode or "self", resolved while parsing. */
#include <stddef.h>
#include "netns.h"
#include "opts.h"

/* A namespace that does not exist is a bad command line, not an empty
 * listing. */
static int set_netns(void *cfg, const struct td_optrow *row, const char *arg)
{
	struct td_config *c = cfg;

	(void)row;
	return td_netns_resolve(arg, &c->netns, &c->netns_path);
}

static const struct td_opttype netns = {
	.set = set_netns,
	.noun = "netns",
	.expect = "expected a network namespace file (/run/netns/NAME, /proc/PID/ns/net), its inode, or self",
	.above = "no such network namespace on this host (lsns -t net lists them)",
};

const struct td_optrow netns_rows[] = {
	{ .section = TD_SEC_FILTERS, .letter = 'N', .name = "netns", .arg = "PATH|INODE|self", .type = &netns,
	  .help = "one network namespace (default: every one), e.g.\n/run/netns/NAME, 4026532301 or self" },
	TD_OPT_END,
};
