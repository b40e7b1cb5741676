/* The exporter's address, --prometheus [ADDR:]PORT, once parsed (args.h):
 * written for messages, and a host name resolved (user/listen.c). */
#ifndef TD_LISTEN_H
#define TD_LISTEN_H

#include <stddef.h>
#include "args.h"

/* A --prometheus host name into an address: the first IPv4 address the
 * name has, else its first IPv6 one (one listening socket, as Go's
 * net.Listen, and so Prometheus' own exporters, bind for a name). Numeric
 * addresses are left alone. 0; 2 after one line if the name does not
 * exist or has no address; 1 after one line for other failures (DNS
 * unreachable). */
int td_listen_resolve(struct td_listen *l);

/* "127.0.0.1:9101", "[::1]:9101". */
char *td_listen_fmt(char *buf, size_t len, const struct td_listen *l);

#endif
