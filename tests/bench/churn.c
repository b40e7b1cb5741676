/* Connection-churn load for the overhead benchmark (issue 4): client threads
 * connect and close against an epoll server for a fixed time, inside a network
 * namespace of their own, and print one machine-readable result line.
 *
 *   churn conns=184211 secs=5.002 conns_per_s=36827.5 errors=0 incomplete=0
 *         listeners=2 events_expected=1842114 clients=4 servers=2 sources=64
 *         closer=client
 *
 * Each completed connection makes 10 inet_sock_set_state transitions (5 per
 * socket, whichever side closes first) and each listener 2 (CLOSE->LISTEN,
 * LISTEN->CLOSE): events_expected = 10 * conns + 2 * listeners. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <net/if.h>
#include <netinet/in.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <sys/epoll.h>
#include <sys/ioctl.h>
#include <sys/socket.h>

#define EVENTS_PER_CONN     10
#define EVENTS_PER_LISTENER 2
#define MAX_SOURCES         65024 /* 127.0.1.0 - 127.0.254.255 */
#define DRAIN_TIMEOUT_NS    (5 * 1000000000ull)

static const char usage[] =
"Usage: churn [OPTIONS]\n"
"Connection churn over loopback in a private network namespace, for the\n"
"tcpdwell benchmark. Prints one line of key=value results on stdout.\n"
"\n"
"  -d, --duration SECS   run time in seconds, fractions allowed (default 5)\n"
"  -c, --clients N       client threads (default 2)\n"
"  -s, --servers N       server threads, one SO_REUSEPORT listener each (default 2)\n"
"  -n, --sources N       client source addresses 127.0.x.y, 1-65024 (default 64)\n"
"  -S, --server-closes   the server closes first (default: the client does)\n"
"  -p, --port PORT       server port on 127.0.0.1 (default 8765)\n"
"      --no-netns        stay in the current network namespace (changes no sysctl)\n"
"  -h, --help            this help\n"
"\n"
"Examples:\n"
"  churn                 # 5 s, 2 clients, client closes first\n"
"  churn -d 10 -c 8 -S   # 10 s, 8 clients, server closes first\n";

struct churn_cfg {
	double duration_s;
	int clients, servers, sources;
	bool server_closes;
	bool netns;
	uint16_t port;
};

/* State shared by all threads of one run. */
struct churn {
	const struct churn_cfg *cfg;
	struct sockaddr_in server;
	atomic_bool stop;           /* clients: finish the current connection and exit */
	atomic_bool clients_done;   /* servers: client totals are final */
	atomic_uint_fast64_t conns; /* connections completed by clients */
	atomic_uint_fast64_t errors;
	atomic_uint_fast64_t served; /* connections the servers closed */
	atomic_int failed;          /* a thread hit a fatal error */
};

struct client {
	struct churn *ch;
	pthread_t tid;
	int first_source;
};

struct server {
	struct churn *ch;
	pthread_t tid;
	int lfd, epfd;
};

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static int parse_int(const char *s, long min, long max, long *out)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (errno || end == s || *end || v < min || v > max)
		return -EINVAL;
	*out = v;
	return 0;
}

/* Returns 0 to run, 1 after --help, 2 on a usage error. */
static int parse_args(struct churn_cfg *cfg, int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "duration", required_argument, NULL, 'd' },
		{ "clients", required_argument, NULL, 'c' },
		{ "servers", required_argument, NULL, 's' },
		{ "sources", required_argument, NULL, 'n' },
		{ "server-closes", no_argument, NULL, 'S' },
		{ "port", required_argument, NULL, 'p' },
		{ "no-netns", no_argument, NULL, 'N' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	char *end;
	long v;
	int opt;

	*cfg = (struct churn_cfg){ .duration_s = 5, .clients = 2, .servers = 2, .sources = 64,
				   .netns = true, .port = 8765 };
	opterr = 0;
	while ((opt = getopt_long(argc, argv, ":d:c:s:n:Sp:h", longopts, NULL)) != -1) {
		switch (opt) {
		case 'd':
			errno = 0;
			cfg->duration_s = strtod(optarg, &end);
			if (errno || end == optarg || *end || !(cfg->duration_s > 0 && cfg->duration_s <= 3600)) {
				fprintf(stderr, "churn: invalid duration '%s': want seconds in (0, 3600]\n", optarg);
				return 2;
			}
			break;
		case 'c':
		case 's':
			if (parse_int(optarg, 1, 1024, &v)) {
				fprintf(stderr, "churn: invalid thread count '%s': want 1-1024\n", optarg);
				return 2;
			}
			*(opt == 'c' ? &cfg->clients : &cfg->servers) = (int)v;
			break;
		case 'n':
			if (parse_int(optarg, 1, MAX_SOURCES, &v)) {
				fprintf(stderr, "churn: invalid source count '%s': want 1-%d\n", optarg, MAX_SOURCES);
				return 2;
			}
			cfg->sources = (int)v;
			break;
		case 'S':
			cfg->server_closes = true;
			break;
		case 'p':
			if (parse_int(optarg, 1, 65535, &v)) {
				fprintf(stderr, "churn: invalid port '%s': want 1-65535\n", optarg);
				return 2;
			}
			cfg->port = (uint16_t)v;
			break;
		case 'N':
			cfg->netns = false;
			break;
		case 'h':
			fputs(usage, stdout);
			return 1;
		case ':':
			fprintf(stderr, "churn: option '%s' needs a value; see --help\n", argv[optind - 1]);
			return 2;
		default:
			fprintf(stderr, "churn: unknown option '%s'; see --help\n", argv[optind - 1]);
			return 2;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "churn: unexpected argument '%s'; see --help\n", argv[optind]);
		return 2;
	}
	return 0;
}

static int write_sysctl(const char *path, const char *val)
{
	int fd = open(path, O_WRONLY | O_CLOEXEC);
	ssize_t n;

	if (fd < 0)
		return -errno;
	n = write(fd, val, strlen(val));
	close(fd);
	return n < 0 ? -errno : 0;
}

/* A namespace of our own: its sysctls are private, so the host is left as it
 * was, and it vanishes (with its TIME_WAIT sockets) when we exit. Its lo comes
 * up with 127.0.0.1/8, so every 127.x.y.z is local without adding addresses.
 * /proc/sys/net resolves to the namespace of the task that opens it. */
static int enter_netns(void)
{
	struct ifreq ifr;
	int fd, err = 0;

	if (unshare(CLONE_NEWNET)) {
		err = -errno;
		fprintf(stderr, "churn: failed to create a network namespace: %s; run as root or use --no-netns\n",
			strerror(-err));
		return err;
	}
	fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		err = -errno;
		fprintf(stderr, "churn: failed to open a control socket: %s\n", strerror(-err));
		return err;
	}
	memset(&ifr, 0, sizeof(ifr));
	strncpy(ifr.ifr_name, "lo", IFNAMSIZ - 1);
	if (ioctl(fd, SIOCGIFFLAGS, &ifr)) {
		err = -errno;
	} else {
		ifr.ifr_flags |= IFF_UP | IFF_RUNNING;
		if (ioctl(fd, SIOCSIFFLAGS, &ifr))
			err = -errno;
	}
	close(fd);
	if (err) {
		fprintf(stderr, "churn: failed to bring lo up in the namespace: %s\n", strerror(-err));
		return err;
	}
	/* Wide ephemeral range and TIME_WAIT reuse: ports are not the limit.
	 * A deep accept queue: a SYN dropped on a full one stalls its client 1 s. */
	if (write_sysctl("/proc/sys/net/ipv4/ip_local_port_range", "10000 64999") ||
	    write_sysctl("/proc/sys/net/ipv4/tcp_tw_reuse", "1") ||
	    write_sysctl("/proc/sys/net/core/somaxconn", "16384"))
		fprintf(stderr, "churn: warning: could not tune the namespace's port sysctls\n");
	return 0;
}

static void source_addr(int i, struct sockaddr_in *sa)
{
	/* 127.0.1.0 upwards; 127.0.0.x is left to the server. */
	uint32_t host = (127u << 24) | (uint32_t)(256 + i);

	memset(sa, 0, sizeof(*sa));
	sa->sin_family = AF_INET;
	sa->sin_addr.s_addr = htonl(host);
}

/* One connection: returns 1 when completed, 0 on a counted error, -errno on a
 * fatal one. */
static int client_once(struct churn *ch, const struct sockaddr_in *src)
{
	const int one = 1;
	char buf[64];
	int fd, ret = 1;

	fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	/* Pick the port at connect() time, per 4-tuple, not per address at
	 * bind(): otherwise each source caps at the ephemeral range. */
	if (setsockopt(fd, IPPROTO_IP, IP_BIND_ADDRESS_NO_PORT, &one, sizeof(one)) ||
	    bind(fd, (const struct sockaddr *)src, sizeof(*src))) {
		ret = -errno;
		goto out;
	}
	if (connect(fd, (const struct sockaddr *)&ch->server, sizeof(ch->server))) {
		atomic_fetch_add(&ch->errors, 1);
		ret = 0;
		goto out;
	}
	if (ch->cfg->server_closes) {
		/* Wait for the server's FIN, so the server closes first. */
		while (read(fd, buf, sizeof(buf)) > 0)
			;
	}
out:
	close(fd);
	return ret;
}

static void *client_main(void *arg)
{
	struct client *c = arg;
	struct churn *ch = c->ch;
	struct sockaddr_in src;
	int i = c->first_source, ret;

	while (!atomic_load_explicit(&ch->stop, memory_order_relaxed)) {
		source_addr(i, &src);
		if (++i == ch->cfg->sources)
			i = 0;
		ret = client_once(ch, &src);
		if (ret < 0) {
			fprintf(stderr, "churn: client failed: %s\n", strerror(-ret));
			atomic_store(&ch->failed, 1);
			atomic_store(&ch->stop, true);
			break;
		}
		if (ret)
			atomic_fetch_add_explicit(&ch->conns, 1, memory_order_relaxed);
	}
	return NULL;
}

static void served_one(struct churn *ch, int fd)
{
	close(fd);
	atomic_fetch_add_explicit(&ch->served, 1, memory_order_relaxed);
}

/* Client closes first: the child is closed when the client's FIN arrives
 * (read returns 0). Returns whether it was closed. */
static bool serve_readable(struct server *s, int fd)
{
	char buf[64];
	ssize_t n;

	do
		n = read(fd, buf, sizeof(buf));
	while (n > 0);
	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return false;
	served_one(s->ch, fd);
	return true;
}

static void serve_accept(struct server *s)
{
	struct epoll_event ev;
	int fd;

	while ((fd = accept4(s->lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC)) >= 0) {
		if (s->ch->cfg->server_closes) {
			served_one(s->ch, fd);
			continue;
		}
		/* The client's FIN has usually arrived already: no epoll. */
		if (serve_readable(s, fd))
			continue;
		ev.events = EPOLLIN | EPOLLRDHUP;
		ev.data.fd = fd;
		if (epoll_ctl(s->epfd, EPOLL_CTL_ADD, fd, &ev)) {
			fprintf(stderr, "churn: failed to watch a connection: %s\n", strerror(errno));
			atomic_store(&s->ch->failed, 1);
			served_one(s->ch, fd);
		}
	}
	if (errno != EAGAIN && errno != EINTR && errno != ECONNABORTED) {
		fprintf(stderr, "churn: accept failed: %s\n", strerror(errno));
		atomic_store(&s->ch->failed, 1);
	}
}

/* Serves until every connection the clients completed has been closed here
 * too, so that the run ends with no socket half way through its states. */
static void *server_main(void *arg)
{
	struct server *s = arg;
	struct churn *ch = s->ch;
	struct epoll_event evs[256];
	uint64_t deadline = 0;

	for (;;) {
		int n = epoll_wait(s->epfd, evs, 256, 10);

		for (int i = 0; i < n; i++) {
			if (evs[i].data.fd == s->lfd)
				serve_accept(s);
			else
				serve_readable(s, evs[i].data.fd);
		}
		if (n < 0 && errno != EINTR) {
			fprintf(stderr, "churn: epoll_wait failed: %s\n", strerror(errno));
			atomic_store(&ch->failed, 1);
			break;
		}
		if (atomic_load(&ch->clients_done)) {
			if (atomic_load(&ch->served) >= atomic_load(&ch->conns))
				break;
			if (!deadline)
				deadline = now_ns() + DRAIN_TIMEOUT_NS;
			else if (now_ns() > deadline)
				break;
		}
	}
	return NULL;
}

static int open_listener(const struct churn *ch, struct server *s)
{
	const int one = 1;
	struct epoll_event ev = { .events = EPOLLIN };

	s->lfd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (s->lfd < 0)
		return -errno;
	if (setsockopt(s->lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) ||
	    setsockopt(s->lfd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof(one)) ||
	    bind(s->lfd, (const struct sockaddr *)&ch->server, sizeof(ch->server)) ||
	    listen(s->lfd, 16384))
		return -errno;
	s->epfd = epoll_create1(EPOLL_CLOEXEC);
	if (s->epfd < 0)
		return -errno;
	ev.data.fd = s->lfd;
	if (epoll_ctl(s->epfd, EPOLL_CTL_ADD, s->lfd, &ev))
		return -errno;
	return 0;
}

int main(int argc, char **argv)
{
	struct churn_cfg cfg;
	struct churn ch = { .cfg = &cfg };
	struct client *clients = NULL;
	struct server *servers = NULL;
	struct timespec nap;
	uint64_t start, elapsed, conns, served;
	int nclients = 0, nservers = 0, err;

	err = parse_args(&cfg, argc, argv);
	if (err)
		return err == 1 ? 0 : err;
	if (cfg.netns && enter_netns())
		return 1;

	ch.server.sin_family = AF_INET;
	ch.server.sin_port = htons(cfg.port);
	ch.server.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	clients = calloc((size_t)cfg.clients, sizeof(*clients));
	servers = calloc((size_t)cfg.servers, sizeof(*servers));
	if (!clients || !servers) {
		fprintf(stderr, "churn: failed to allocate threads: %s\n", strerror(errno));
		err = 1;
		goto cleanup;
	}

	for (; nservers < cfg.servers; nservers++) {
		struct server *s = &servers[nservers];

		s->ch = &ch;
		s->lfd = s->epfd = -1;
		err = open_listener(&ch, s);
		if (!err)
			err = -pthread_create(&s->tid, NULL, server_main, s);
		if (err) {
			fprintf(stderr, "churn: failed to start server on 127.0.0.1:%u: %s\n", cfg.port, strerror(-err));
			if (s->lfd >= 0)
				close(s->lfd);
			if (s->epfd >= 0)
				close(s->epfd);
			err = 1;
			goto stop;
		}
	}

	start = now_ns();
	for (; nclients < cfg.clients; nclients++) {
		struct client *c = &clients[nclients];

		c->ch = &ch;
		c->first_source = (int)((long)nclients * cfg.sources / cfg.clients);
		err = pthread_create(&c->tid, NULL, client_main, c);
		if (err) {
			fprintf(stderr, "churn: failed to start client thread: %s\n", strerror(err));
			err = 1;
			goto stop;
		}
	}
	nap.tv_sec = (time_t)cfg.duration_s;
	nap.tv_nsec = (long)((cfg.duration_s - (double)nap.tv_sec) * 1e9);
	while (nanosleep(&nap, &nap) && errno == EINTR)
		;
	err = 0;

stop:
	atomic_store(&ch.stop, true);
	for (int i = 0; i < nclients; i++)
		pthread_join(clients[i].tid, NULL);
	atomic_store(&ch.clients_done, true);
	for (int i = 0; i < nservers; i++) {
		pthread_join(servers[i].tid, NULL);
		close(servers[i].epfd);
		close(servers[i].lfd);
	}
	/* Up to the last close on either side: a server that fell behind
	 * (connections waiting in the accept queue) is not hidden. */
	elapsed = now_ns() - start;
	if (err)
		goto cleanup;
	if (atomic_load(&ch.failed)) {
		err = 1;
		goto cleanup;
	}
	/* Let the last FIN/ACK exchanges (softirq) finish before the namespace
	 * and its sockets go away. */
	nap = (struct timespec){ .tv_nsec = 50 * 1000000 };
	nanosleep(&nap, NULL);

	conns = atomic_load(&ch.conns);
	served = atomic_load(&ch.served);
	printf("churn conns=%" PRIu64 " secs=%.3f conns_per_s=%.1f errors=%" PRIu64
	       " incomplete=%" PRIu64 " listeners=%d events_expected=%" PRIu64
	       " clients=%d servers=%d sources=%d closer=%s\n",
	       conns, (double)elapsed / 1e9, (double)conns * 1e9 / (double)elapsed,
	       (uint64_t)atomic_load(&ch.errors), conns > served ? conns - served : 0, nservers,
	       EVENTS_PER_CONN * conns + EVENTS_PER_LISTENER * (uint64_t)nservers,
	       cfg.clients, cfg.servers, cfg.sources, cfg.server_closes ? "server" : "client");
	fflush(stdout);

cleanup:
	free(clients);
	free(servers);
	return err;
}
