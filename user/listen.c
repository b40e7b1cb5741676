/* The exporter's address (listen.h): written for messages, and a host name
 * resolved to the address to bind. Parsing it is args.c's. */
#define _GNU_SOURCE /* EAI_NODATA, EAI_ADDRFAMILY */
#include <arpa/inet.h>
#include <errno.h>
#include <netdb.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include "diag.h"
#include "listen.h"

char *td_listen_fmt(char *buf, size_t len, const struct td_listen *l)
{
	char a[INET6_ADDRSTRLEN];

	if (!inet_ntop(l->family == 6 ? AF_INET6 : AF_INET, l->addr, a, sizeof(a)))
		snprintf(a, sizeof(a), "?");
	snprintf(buf, len, l->family == 6 ? "[%s]:%u" : "%s:%u", a, l->port);
	return buf;
}

static const struct addrinfo *pick_addr(const struct addrinfo *ai)
{
	for (const struct addrinfo *a = ai; a; a = a->ai_next)
		if (a->ai_family == AF_INET)
			return a;
	for (const struct addrinfo *a = ai; a; a = a->ai_next)
		if (a->ai_family == AF_INET6)
			return a;
	return NULL;
}

int td_listen_resolve(struct td_listen *l)
{
	struct addrinfo hints = { .ai_socktype = SOCK_STREAM }, *ai = NULL;
	const struct addrinfo *a;
	int rc;

	if (!l->name[0])
		return 0;
	rc = getaddrinfo(l->name, NULL, &hints, &ai);
	a = rc ? NULL : pick_addr(ai);
	if (!a) {
		bool unknown = !rc || rc == EAI_NONAME || rc == EAI_NODATA || rc == EAI_ADDRFAMILY;

		td_err("failed to resolve --prometheus host '%s': %s%s", l->name,
		       !rc ? "no IPv4 or IPv6 address" : rc == EAI_SYSTEM ? strerror(errno) : gai_strerror(rc),
		       unknown ? " (give an address, e.g. 127.0.0.1:9101)" : "");
		freeaddrinfo(ai);
		return unknown ? 2 : 1;
	}
	if (a->ai_family == AF_INET6) {
		l->family = 6;
		memcpy(l->addr, &((const struct sockaddr_in6 *)a->ai_addr)->sin6_addr, 16);
	} else {
		l->family = 4;
		memcpy(l->addr, &((const struct sockaddr_in *)a->ai_addr)->sin_addr, 4);
	}
	freeaddrinfo(ai);
	return 0;
}
