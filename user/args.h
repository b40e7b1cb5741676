/* The grammar of each kind of option argument (user/args.c). */
#ifndef TD_ARGS_H
#define TD_ARGS_H

#include <stdbool.h>
#include <stdint.h>
#include <linux/types.h>
#include "tcpdwell.h"

/* An address to listen on: --prometheus [ADDR:]PORT. */
struct td_listen {
	int family;       /* 0 (off), 4 or 6 */
	uint8_t addr[16]; /* network order; v4 uses the first 4 bytes */
	uint16_t port;    /* 1-65535 */
	/* A host name given instead of an address (RFC 1123 syntax), until
	 * td_listen_resolve turns it into addr and family; "" if numeric. */
	char name[254];
};

/* --prometheus was given (by address, or by a name not yet resolved). */
static inline bool td_listen_on(const struct td_listen *l)
{
	return l->family || l->name[0];
}

/* Each returns 0 or -EINVAL/-ERANGE and leaves its output untouched on
 * error. */
int td_parse_port(const char *s, uint16_t *port);                 /* 1-65535 */
int td_parse_port_list(const char *s, uint8_t *filter, uint8_t bit); /* "80,443,8000-8010" */
int td_parse_duration(const char *s, uint64_t *ns);              /* "5", "1.5", "250ms", "2m" */
int td_parse_pid(const char *s, uint32_t *pid);                   /* 1..INT_MAX */
int td_parse_size(const char *s, uint64_t *bytes);                /* "4096", "64K", "8M" */
int td_parse_cidr(const char *s, struct td_cidr *out);           /* "10.0.0.0/8", "::1" */
int td_parse_state_list(const char *s, uint32_t *mask);          /* "TIME_WAIT,close-wait" */
int td_parse_listen(const char *s, struct td_listen *out);       /* "9101", "0.0.0.0:9101", "[::1]:9101", "localhost:9101" */
int td_parse_older_than(const char *s, int *state, uint64_t *ns); /* "CLOSE_WAIT:30s" */

#endif
