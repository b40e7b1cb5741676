/* Option parsing for tcpdwell: getopt_long into struct td_config, with strict
 * number, port, duration and size parsers that reject partial input. */
#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <linux/types.h>
#include "tcpdwell.h"
#include "opts.h"
#include "series.h"
#include "states.h"

#define DEFAULT_RINGBUF_BYTES (8u << 20)
#define MIN_RINGBUF_BYTES 4096u
#define MAX_RINGBUF_BYTES (1u << 30)

static const char usage[] =
"Usage: tcpdwell [OPTIONS]\n"
"Trace TCP state transitions and report how long connections dwell in each\n"
"state, as histograms, attributed to the process that owns the socket.\n"
"\n"
"Output:\n"
"  -e, --events           print one line per transition (like tcpstates)\n"
"  -w, --wide             wide address columns (for IPv6)\n"
"  -j, --json             JSON Lines instead of text\n"
"  -i, --interval SECS    print a report every SECS (each covers its interval)\n"
"  -C, --cumulative       with -i, reports are totals since start\n"
"  -d, --duration SECS    stop after SECS (default: until Ctrl-C)\n"
"      --prometheus-by lport|cgroup[:CAP]\n"
"                         with --prometheus, also series per local port or\n"
"                         cgroup id, at most CAP (32) values, the rest 'other'\n"
"      --prometheus [ADDR:]PORT\n"
"                         serve Prometheus metrics at http://ADDR:PORT/metrics\n"
"                         (default ADDR 127.0.0.1; IPv6 as [::1]:9101)\n"
"Filters (applied in the kernel):\n"
"  -4, --ipv4             IPv4 only\n"
"  -6, --ipv6             IPv6 only\n"
"  -L, --lport LIST       local ports, e.g. 80,443,8000-8010\n"
"  -D, --rport LIST       remote ports\n"
"  -P, --port LIST        ports on either side\n"
"  -p, --pid PID          sockets owned by this process (tgid)\n"
"  -c, --cgroup PATH      sockets created in this cgroup v2 directory\n"
"  -A, --laddr CIDR       local address in this network, e.g. 10.0.0.0/8\n"
"  -R, --raddr CIDR       remote address in this network, e.g. ::1/128\n"
"  -s, --state LIST       transitions into or out of these states, e.g.\n"
"                         TIME_WAIT,CLOSE_WAIT\n"
"Tuning:\n"
"      --kernel-agg       build the histograms in the kernel (lowest overhead;\n"
"                         no -e)\n"
"  -T, --timers           also follow timewait and request socks through the\n"
"                         timer tracepoints: TIME_WAIT lifetimes, real\n"
"                         handshake (SYN_RECV) times; costs more, see README\n"
"      --no-timers        only the state tracepoint (the default)\n"
"  -r, --ringbuf-size N   ring buffer size, power of two (default 8M; K/M/G)\n"
"  -v, --verbose          print libbpf's log\n"
"  -h, --help             this help\n"
"  -V, --version          version\n"
"\n"
"SECS accepts a number of seconds or a unit: 500ms, 1.5s, 2m, 1h.\n"
"\n"
"Examples:\n"
"  tcpdwell                     # histograms per state until Ctrl-C\n"
"  tcpdwell -i 10               # a report every 10 s\n"
"  tcpdwell -e -P 443           # every transition of port 443, either side\n"
"  tcpdwell -L 8080 -d 60 -j    # server port 8080 for a minute, as JSON\n"
"  tcpdwell -p 1234             # sockets owned by process 1234\n"
"  tcpdwell --prometheus 9101   # exporter on 127.0.0.1:9101, report at exit\n"
"  tcpdwell -c /sys/fs/cgroup/system.slice/nginx.service\n";

/* A whole-string decimal in [lo, hi]: no sign, no spaces, no junk. */
static int parse_decimal(const char *s, long lo, long hi, long *out)
{
	char *end;
	long v;

	if (!s || !isdigit((unsigned char)*s))
		return -EINVAL;
	errno = 0;
	v = strtol(s, &end, 10);
	if (*end != '\0')
		return -EINVAL;
	if (errno == ERANGE || v < lo || v > hi)
		return -ERANGE;
	*out = v;
	return 0;
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
	char *end;
	double v;

	if (!s || !(isdigit((unsigned char)*s) || *s == '.'))
		return -EINVAL;
	errno = 0;
	v = strtod(s, &end);
	if (end == s || errno == ERANGE || !isfinite(v))
		return -EINVAL;
	for (size_t i = 0; i < sizeof(units) / sizeof(units[0]); i++) {
		double total;

		if (strcmp(end, units[i].suffix) != 0)
			continue;
		total = v * units[i].scale;
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
	unsigned long long v;
	char *end;
	int shift = 0;

	if (!s || !isdigit((unsigned char)*s))
		return -EINVAL;
	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno == ERANGE)
		return -ERANGE;
	if (*end && end[1] == '\0') {
		switch (toupper((unsigned char)*end)) {
		case 'K': shift = 10; break;
		case 'M': shift = 20; break;
		case 'G': shift = 30; break;
		default: return -EINVAL;
		}
	} else if (*end) {
		return -EINVAL;
	}
	if (v > (UINT64_MAX >> shift))
		return -ERANGE;
	*bytes = (uint64_t)v << shift;
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

/* [ADDR:]PORT with a numeric address only (no name lookups): "9101" binds
 * 127.0.0.1, "0.0.0.0:9101" every IPv4 address, "[::1]:9101" IPv6 (the
 * brackets are required, as in URLs). */
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
		if (inet_pton(AF_INET, host, l.addr) != 1)
			return -EINVAL;
		l.family = 4;
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

int td_opt_filter(struct td_config *cfg, int opt, const char *arg, FILE *err)
{
	if (opt == 'A' || opt == 'R') {
		if (td_parse_cidr(arg, opt == 'A' ? &cfg->laddr : &cfg->raddr)) {
			fprintf(err, "tcpdwell: invalid CIDR '%s': expected an address with an optional prefix, "
				"such as 10.0.0.0/8 or fd00::/8\n", arg);
			return -EINVAL;
		}
		return 0;
	}
	if (td_parse_port_list(arg, cfg->port_filter,
			       opt == 'L' ? TD_PORT_LOCAL : opt == 'D' ? TD_PORT_REMOTE : TD_PORT_EITHER)) {
		fprintf(err, "tcpdwell: invalid port list '%s': expected ports 1-65535 such as 80,443,8000-8010 "
			"(at most 64 items)\n", arg);
		return -EINVAL;
	}
	if (opt == 'L')
		cfg->filter_lport = true;
	else if (opt == 'D')
		cfg->filter_rport = true;
	else
		cfg->filter_either = true;
	return 0;
}

enum { OPT_VERSION = 'V', OPT_TIMERS = 'T', OPT_NO_TIMERS = 0x100, OPT_KERNEL_AGG, OPT_PROMETHEUS, OPT_PROMETHEUS_BY };

int td_parse_args(struct td_config *cfg, int argc, char **argv, FILE *out, FILE *err)
{
	static const struct option longopts[] = {
		{ "events", no_argument, NULL, 'e' },
		{ "wide", no_argument, NULL, 'w' },
		{ "json", no_argument, NULL, 'j' },
		{ "interval", required_argument, NULL, 'i' },
		{ "cumulative", no_argument, NULL, 'C' },
		{ "duration", required_argument, NULL, 'd' },
		{ "ipv4", no_argument, NULL, '4' },
		{ "ipv6", no_argument, NULL, '6' },
		{ "lport", required_argument, NULL, 'L' },
		{ "rport", required_argument, NULL, 'D' },
		{ "port", required_argument, NULL, 'P' },
		{ "pid", required_argument, NULL, 'p' },
		{ "cgroup", required_argument, NULL, 'c' },
		{ "state", required_argument, NULL, 's' },
		{ "laddr", required_argument, NULL, 'A' },
		{ "raddr", required_argument, NULL, 'R' },
		{ "ringbuf-size", required_argument, NULL, 'r' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, OPT_VERSION },
		{ "timers", no_argument, NULL, OPT_TIMERS },
		{ "no-timers", no_argument, NULL, OPT_NO_TIMERS },
		{ "kernel-agg", no_argument, NULL, OPT_KERNEL_AGG },
		{ "prometheus", required_argument, NULL, OPT_PROMETHEUS },
		{ "prometheus-by", required_argument, NULL, OPT_PROMETHEUS_BY },
		{ 0 },
	};
	int opt, e;

	memset(cfg, 0, sizeof(*cfg));
	cfg->ringbuf_bytes = DEFAULT_RINGBUF_BYTES;
	/* 0, not 1: glibc and musl then also drop their pointer into the
	 * previous argv (a cluster like -hv left half-read), so a second call
	 * never reads the old, possibly freed, strings. */
	optind = 0;
	opterr = 0;
	while ((opt = getopt_long(argc, argv, ":ewji:Cd:46L:D:P:p:c:s:A:R:r:vhVT", longopts, NULL)) != -1) {
		switch (opt) {
		case 'e': cfg->events = true; break;
		case 'w': cfg->wide = true; break;
		case 'j': cfg->json = true; break;
		case 'C': cfg->cumulative = true; break;
		case 'v': cfg->verbose = true; break;
		case OPT_TIMERS: cfg->timers = true; break;
		case OPT_NO_TIMERS: cfg->timers = false; break;
		case OPT_KERNEL_AGG: cfg->kernel_agg = true; break;
		case '4':
		case '6':
			if (cfg->family && cfg->family != opt - '0') {
				fprintf(err, "tcpdwell: -4 and -6 exclude each other\n");
				return TD_EXIT_USAGE;
			}
			cfg->family = opt - '0';
			break;
		case 'i':
		case 'd':
			e = td_parse_duration(optarg, opt == 'i' ? &cfg->interval_ns : &cfg->duration_ns);
			if (e) {
				fprintf(err, "tcpdwell: invalid %s '%s': expected a duration from 1ms, such as 10, 1.5s or 500ms\n",
					opt == 'i' ? "interval" : "duration", optarg);
				return TD_EXIT_USAGE;
			}
			break;
		case 'L':
		case 'D':
		case 'P':
			if (td_opt_filter(cfg, opt, optarg, err))
				return TD_EXIT_USAGE;
			break;
		case 'p':
			if (td_parse_pid(optarg, &cfg->pid)) {
				fprintf(err, "tcpdwell: invalid pid '%s': expected a process id from 1\n", optarg);
				return TD_EXIT_USAGE;
			}
			break;
		case 'c':
			if (!*optarg || optarg[0] != '/') {
				fprintf(err, "tcpdwell: invalid cgroup '%s': expected an absolute path to a cgroup v2 directory\n",
					optarg);
				return TD_EXIT_USAGE;
			}
			cfg->cgroup_path = optarg;
			break;
		case 'A':
		case 'R':
			if (td_opt_filter(cfg, opt, optarg, err))
				return TD_EXIT_USAGE;
			break;
		case 's':
			if (td_parse_state_list(optarg, &cfg->state_mask)) {
				fprintf(err, "tcpdwell: invalid state list '%s': expected names such as ESTABLISHED,TIME_WAIT (see README)\n",
					optarg);
				return TD_EXIT_USAGE;
			}
			break;
		case 'r':
			if (td_parse_size(optarg, &cfg->ringbuf_bytes) ||
			    cfg->ringbuf_bytes < MIN_RINGBUF_BYTES || cfg->ringbuf_bytes > MAX_RINGBUF_BYTES ||
			    (cfg->ringbuf_bytes & (cfg->ringbuf_bytes - 1))) {
				fprintf(err, "tcpdwell: invalid ring buffer size '%s': expected a power of two from 4K to 1G\n",
					optarg);
				return TD_EXIT_USAGE;
			}
			break;
		case OPT_PROMETHEUS_BY: {
			enum td_series_kind kind;

			if (td_parse_series(optarg, &kind, &cfg->series_cap)) {
				fprintf(err, "tcpdwell: invalid --prometheus-by '%s': expected lport or cgroup, with an "
					"optional :CAP from 1 to %d\n", optarg, TD_SERIES_MAX_CAP);
				return TD_EXIT_USAGE;
			}
			cfg->series_kind = (int)kind;
			break;
		}
		case OPT_PROMETHEUS:
			if (td_parse_listen(optarg, &cfg->prometheus)) {
				fprintf(err, "tcpdwell: invalid --prometheus '%s': expected [ADDR:]PORT with a port 1-65535, "
					"such as 9101, 0.0.0.0:9101 or [::1]:9101\n", optarg);
				return TD_EXIT_USAGE;
			}
			break;
		case 'h':
			fputs(usage, out);
			return 1;
		case OPT_VERSION:
			fprintf(out, "tcpdwell %s\n", TD_VERSION);
			return 1;
		case ':':
			if (optopt)
				fprintf(err, "tcpdwell: option '-%c' needs an argument; see --help\n", optopt);
			else
				fprintf(err, "tcpdwell: option '%s' needs an argument; see --help\n", argv[optind - 1]);
			return TD_EXIT_USAGE;
		default:
			if (optopt)
				fprintf(err, "tcpdwell: unknown option '-%c'; see --help\n", optopt);
			else
				fprintf(err, "tcpdwell: unknown option '%s'; see --help\n", argv[optind - 1]);
			return TD_EXIT_USAGE;
		}
	}
	if (optind < argc) {
		fprintf(err, "tcpdwell: unexpected argument '%s'; see --help\n", argv[optind]);
		return TD_EXIT_USAGE;
	}
	if ((cfg->laddr.family && cfg->family && cfg->laddr.family != (__u32)cfg->family) ||
	    (cfg->raddr.family && cfg->family && cfg->raddr.family != (__u32)cfg->family) ||
	    (cfg->laddr.family && cfg->raddr.family && cfg->laddr.family != cfg->raddr.family)) {
		fprintf(err, "tcpdwell: the address filters and -4/-6 name different families: nothing would match\n");
		return TD_EXIT_USAGE;
	}
	if (cfg->series_kind && !cfg->prometheus.family) {
		fprintf(err, "tcpdwell: --prometheus-by needs --prometheus\n");
		return TD_EXIT_USAGE;
	}
	if (cfg->series_kind && cfg->kernel_agg) {
		fprintf(err, "tcpdwell: --prometheus-by needs the per-transition records; --kernel-agg keeps only totals\n");
		return TD_EXIT_USAGE;
	}
	if (cfg->kernel_agg && cfg->events) {
		fprintf(err, "tcpdwell: -e/--events needs the ring buffer; --kernel-agg keeps only histograms in the kernel\n");
		return TD_EXIT_USAGE;
	}
	if (cfg->cumulative && !cfg->interval_ns) {
		fprintf(err, "tcpdwell: -C/--cumulative needs -i/--interval\n");
		return TD_EXIT_USAGE;
	}
	return 0;
}
