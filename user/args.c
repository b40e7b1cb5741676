/* The grammar of each kind of option argument: ports and port lists,
 * durations, pids, sizes, CIDRs, state lists, listen addresses and
 * STATE:DURATION (args.h). Each rejects partial input and leaves its output
 * untouched on error; numbers follow the one grammar of user/num.c. */
#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <string.h>
#include "args.h"
#include "num.h"
#include "states.h"

/* A whole-string decimal in [lo, hi], in the one number grammar. */
static int parse_decimal(const char *s, long lo, long hi, long *out)
{
	uint64_t v;
	int err = td_num_uint(s, (uint64_t)lo, (uint64_t)hi, &v);

	if (!err)
		*out = (long)v;
	return err;
}

int td_parse_port(const char *s, uint16_t *port)
{
	long v;
	int err = parse_decimal(s, 1, 65535, &v);

	if (!err)
		*port = (uint16_t)v;
	return err;
}

/* Parses one "P" or "A-B" item of a port list; the item is [s, s+len). */
static int parse_port_item(const char *s, size_t len, uint16_t *lo, uint16_t *hi)
{
	char buf[16], *dash;
	int err;

	if (len == 0 || len >= sizeof(buf))
		return -EINVAL;
	memcpy(buf, s, len);
	buf[len] = '\0';
	dash = strchr(buf, '-');
	if (!dash) {
		err = td_parse_port(buf, lo);
		*hi = *lo;
		return err;
	}
	*dash = '\0';
	err = td_parse_port(buf, lo);
	if (!err)
		err = td_parse_port(dash + 1, hi);
	if (!err && *hi < *lo)
		err = -EINVAL;
	return err;
}

int td_parse_port_list(const char *s, uint8_t *filter, uint8_t bit)
{
	const char *p = s;
	uint16_t lo[64], hi[64];
	int n = 0;

	if (!s || !*s)
		return -EINVAL;
	for (;;) {
		size_t len = strcspn(p, ",");
		int err;

		if (n == 64)
			return -ERANGE;
		err = parse_port_item(p, len, &lo[n], &hi[n]);
		if (err)
			return err;
		n++;
		if (p[len] == '\0')
			break;
		p += len + 1;
	}
	for (int i = 0; i < n; i++)
		for (uint32_t port = lo[i]; port <= hi[i]; port++)
			filter[port] |= bit;
	return 0;
}

int td_parse_duration(const char *s, uint64_t *ns)
{
	static const struct { const char *suffix; double scale; } units[] = {
		{ "", 1e9 }, { "s", 1e9 }, { "ms", 1e6 }, { "us", 1e3 },
		{ "m", 60e9 }, { "h", 3600e9 },
	};
	struct td_num n;
	int err = td_num_scan(s, true, &n);

	if (err)
		return err;
	for (size_t i = 0; i < sizeof(units) / sizeof(units[0]); i++) {
		double total;

		if (strcmp(n.unit, units[i].suffix) != 0)
			continue;
		total = n.value * units[i].scale;
		if (total < 1e6 || total > 1e7 * 1e9) /* 1 ms .. ~115 days */
			return -ERANGE;
		*ns = (uint64_t)total;
		return 0;
	}
	return -EINVAL;
}

int td_parse_pid(const char *s, uint32_t *pid)
{
	long v;
	int err = parse_decimal(s, 1, INT_MAX, &v);

	if (!err)
		*pid = (uint32_t)v;
	return err;
}

int td_parse_size(const char *s, uint64_t *bytes)
{
	struct td_num n;
	int shift = 0, err = td_num_scan(s, false, &n);

	if (err)
		return err;
	if (*n.unit && n.unit[1] == '\0') {
		switch (toupper((unsigned char)*n.unit)) {
		case 'K': shift = 10; break;
		case 'M': shift = 20; break;
		case 'G': shift = 30; break;
		default: return -EINVAL;
		}
	} else if (*n.unit) {
		return -EINVAL;
	}
	if (n.whole > (UINT64_MAX >> shift))
		return -ERANGE;
	*bytes = n.whole << shift;
	return 0;
}

int td_parse_cidr(const char *s, struct td_cidr *out)
{
	char buf[INET6_ADDRSTRLEN + 8], *slash;
	unsigned char addr[16];
	struct td_cidr c;
	long prefix;
	int family, bits;

	if (!s || strlen(s) >= sizeof(buf))
		return -EINVAL;
	strcpy(buf, s);
	slash = strchr(buf, '/');
	if (slash)
		*slash = '\0';
	if (inet_pton(AF_INET, buf, addr) == 1)
		family = 4;
	else if (inet_pton(AF_INET6, buf, addr) == 1)
		family = 6;
	else
		return -EINVAL;
	bits = family == 4 ? 32 : 128;
	prefix = bits;
	if (slash && parse_decimal(slash + 1, 0, bits, &prefix) != 0)
		return -EINVAL;
	memset(&c, 0, sizeof(c));
	c.family = (__u32)family;
	for (int w = 0; w < bits / 32; w++) {
		int left = (int)prefix - 32 * w;
		uint32_t host_mask = left >= 32 ? 0xffffffffu : left <= 0 ? 0 : ~0u << (32 - left);

		c.mask[w] = htonl(host_mask);
		memcpy(&c.net[w], addr + 4 * w, 4);
		c.net[w] &= c.mask[w];
	}
	*out = c;
	return 0;
}

int td_parse_state_list(const char *s, uint32_t *mask)
{
	char buf[256], *save = NULL, *tok;
	uint32_t m = 0;

	if (!s || !*s || strlen(s) >= sizeof(buf) || s[strlen(s) - 1] == ',' || *s == ',' || strstr(s, ",,"))
		return -EINVAL;
	strcpy(buf, s);
	for (tok = strtok_r(buf, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		int st = td_state_parse(tok);

		if (st < 0)
			return -EINVAL;
		m |= 1u << st;
	}
	*mask = m;
	return 0;
}

/* A host name as RFC 1123 allows (letters, digits, '-', dots between
 * labels of at most 63), with a letter somewhere, so that a mistyped
 * address ("127.0.0") is malformed rather than looked up. */
static bool is_host_name(const char *h)
{
	size_t label = 0, len = strlen(h);
	bool letter = false;

	if (!len || len > 253 || h[0] == '-' || h[0] == '.' || h[len - 1] == '.' || h[len - 1] == '-')
		return false;
	for (const char *c = h; *c; c++) {
		if (*c == '.') {
			if (!label || c[-1] == '-' || c[1] == '-')
				return false;
			label = 0;
			continue;
		}
		if (!isalnum((unsigned char)*c) && *c != '-')
			return false;
		letter |= isalpha((unsigned char)*c) != 0;
		if (++label > 63)
			return false;
	}
	return letter;
}

/* [ADDR:]PORT: "9101" binds 127.0.0.1, "0.0.0.0:9101" every IPv4 address,
 * "[::1]:9101" IPv6 (the brackets are required, as in URLs). A host name
 * ("localhost:9101") is kept in name, for td_listen_resolve: parsing never
 * looks a name up. */
int td_parse_listen(const char *s, struct td_listen *out)
{
	char buf[INET6_ADDRSTRLEN + 16], *host, *port, *colon;
	struct td_listen l;

	if (!s || !*s || strlen(s) >= sizeof(buf))
		return -EINVAL;
	strcpy(buf, s);
	memset(&l, 0, sizeof(l));
	if (buf[0] == '[') {
		char *close = strchr(buf, ']');

		if (!close || close[1] != ':')
			return -EINVAL;
		*close = '\0';
		host = buf + 1;
		port = close + 2;
		if (inet_pton(AF_INET6, host, l.addr) != 1)
			return -EINVAL;
		l.family = 6;
	} else if ((colon = strchr(buf, ':'))) {
		if (strchr(colon + 1, ':')) /* an IPv6 address needs brackets */
			return -EINVAL;
		*colon = '\0';
		host = buf;
		port = colon + 1;
		if (inet_pton(AF_INET, host, l.addr) == 1)
			l.family = 4;
		else if (is_host_name(host))
			strcpy(l.name, host); /* family stays 0 until resolved */
		else
			return -EINVAL;
	} else {
		port = buf;
		l.family = 4;
		l.addr[0] = 127;
		l.addr[3] = 1;
	}
	if (td_parse_port(port, &l.port))
		return -EINVAL;
	*out = l;
	return 0;
}

/* "STATE:DURATION", for snapshot --older-than. */
int td_parse_older_than(const char *s, int *state, uint64_t *ns)
{
	const char *colon = strchr(s, ':');
	size_t n = colon ? (size_t)(colon - s) : 0;
	char name[32];
	uint64_t v;
	int st;

	if (!colon || n == 0 || n >= sizeof(name))
		return -EINVAL;
	memcpy(name, s, n);
	name[n] = '\0';
	st = td_state_parse(name);
	if (st < 0 || td_parse_duration(colon + 1, &v))
		return -EINVAL;
	*state = st;
	*ns = v;
	return 0;
}
