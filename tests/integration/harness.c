/* Integration-test harness implementation. */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <net/if.h>
#include <sched.h>
#include <sys/prctl.h>
#include <sys/ioctl.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <netinet/in.h>
#include <netinet/ip.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <grp.h>
#include <criterion/criterion.h>
#include "harness.h"
#include "netns.h"
#include "states.h"

void require_root(void)
{
	const char *ci = getenv("CI");

	if (geteuid() == 0)
		return;
	if (ci && strcmp(ci, "true") == 0)
		cr_assert_fail("BPF integration tests need root and must not skip in CI");
	cr_skip_test("skipped: loading BPF needs root (run `sudo make test`)");
}

int lo_up(void)
{
	struct ifreq ifr = { 0 };
	int fd = socket(AF_INET, SOCK_DGRAM, 0), err;

	if (fd < 0)
		return -errno;
	strcpy(ifr.ifr_name, "lo");
	err = ioctl(fd, SIOCGIFFLAGS, &ifr);
	ifr.ifr_flags |= IFF_UP;
	if (!err)
		err = ioctl(fd, SIOCSIFFLAGS, &ifr);
	err = err ? -errno : 0;
	close(fd);
	return err;
}

void enter_netns(void)
{
	int err;

	cr_assert_eq(unshare(CLONE_NEWNET), 0, "unshare(CLONE_NEWNET): %s", strerror(errno));
	err = lo_up();
	cr_assert_eq(err, 0, "lo up: %s", strerror(-err));
}

void sysctl_set(const char *path, const char *value)
{
	FILE *f = fopen(path, "w");

	cr_assert_not_null(f, "%s: %s", path, strerror(errno));
	cr_assert_geq(fprintf(f, "%s\n", value), 0);
	cr_assert_eq(fclose(f), 0, "%s: %s", path, strerror(errno));
}

uint64_t tcpext_counter(const char *name)
{
	char names[4096], values[4096], *ns, *vs, *n, *v;
	uint64_t found = UINT64_MAX;
	FILE *f = fopen("/proc/net/netstat", "r");

	cr_assert_not_null(f);
	while (fgets(names, sizeof(names), f) && fgets(values, sizeof(values), f)) {
		if (strncmp(names, "TcpExt:", 7) != 0)
			continue;
		n = strtok_r(names, " \n", &ns);
		v = strtok_r(values, " \n", &vs);
		while (n && v && strcmp(n, name) != 0) {
			n = strtok_r(NULL, " \n", &ns);
			v = strtok_r(NULL, " \n", &vs);
		}
		if (n && v)
			found = strtoull(v, NULL, 10);
	}
	fclose(f);
	cr_assert_neq(found, UINT64_MAX, "no TcpExt %s in /proc/net/netstat", name);
	return found;
}

uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

void sleep_ms(unsigned ms)
{
	struct timespec ts = { ms / 1000, (long)(ms % 1000) * 1000000L };

	while (nanosleep(&ts, &ts) && errno == EINTR)
		;
}

uint64_t tolerance_ns(uint64_t expected)
{
	uint64_t pct = expected * 3 / 100;

	return pct > 5000000ull ? pct : 5000000ull;
}

unsigned pick_ms(unsigned lo, unsigned hi)
{
	static int seeded;

	if (!seeded) {
		srand((unsigned)(now_ns() ^ (uint64_t)getpid()));
		seeded = 1;
	}
	return lo + (unsigned)rand() % (hi - lo);
}

void config_for_port(struct td_config *cfg, uint16_t port)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->ringbuf_bytes = 1u << 22;
	if (port) {
		cfg->filter_either = true;
		cfg->port_filter[port] |= TD_PORT_EITHER;
	}
}

void config_for_port_here(struct td_config *cfg, uint16_t port)
{
	int err;

	config_for_port(cfg, port);
	err = td_netns_ino("/proc/self/ns/net", &cfg->netns);
	cr_assert_eq(err, 0, "/proc/self/ns/net: %s", strerror(-err));
}

static int collect(void *ctx, const struct td_event *e)
{
	struct capture *c = ctx;

	if (c->n == c->cap) {
		c->cap = c->cap ? c->cap * 2 : 4096; /* tests hold pointers across waits (harness.h) */
		c->ev = realloc(c->ev, c->cap * sizeof(*c->ev));
		cr_assert_not_null(c->ev);
	}
	c->ev[c->n++] = *e;
	return 0;
}

static int collect_accept(void *ctx, const struct td_accept *a)
{
	struct capture *c = ctx;

	if (c->nacc == c->capacc) {
		c->capacc = c->capacc ? c->capacc * 2 : 64;
		c->acc = realloc(c->acc, c->capacc * sizeof(*c->acc));
		cr_assert_not_null(c->acc);
	}
	c->acc[c->nacc++] = *a;
	return 0;
}

void capture_start(struct capture *c, const struct td_config *cfg)
{
	int err;

	memset(c, 0, sizeof(*c));
	err = td_tracer_open(&c->tracer, cfg, collect, c);
	cr_assert_eq(err, 0, "tracer failed to start: %s", strerror(-err));
	td_tracer_on_accept(c->tracer, collect_accept, c);
}

size_t capture_wait(struct capture *c, size_t want, unsigned timeout_ms)
{
	uint64_t end = now_ns() + (uint64_t)timeout_ms * 1000000ull;

	do {
		int n = td_tracer_poll(c->tracer, 20);

		cr_assert_geq(n, 0, "poll failed: %s", strerror(-n));
	} while (c->n < want && now_ns() < end);
	return c->n;
}

size_t capture_wait_accepts(struct capture *c, size_t want, unsigned timeout_ms)
{
	uint64_t end = now_ns() + (uint64_t)timeout_ms * 1000000ull;

	do {
		int n = td_tracer_poll(c->tracer, 20);

		cr_assert_geq(n, 0, "poll failed: %s", strerror(-n));
	} while (c->nacc < want && now_ns() < end);
	return c->nacc;
}

void capture_stop(struct capture *c)
{
	td_tracer_close(c->tracer);
	free(c->ev);
	free(c->acc);
	memset(c, 0, sizeof(*c));
}

void assert_all_seen(struct capture *c, size_t got, size_t want, const char *what)
{
	struct td_loss loss;

	cr_assert_leq(got, want, "%s: %zu transitions, expected %zu", what, got, want);
	if (got == want)
		return;
	cr_assert_eq(td_tracer_loss(c->tracer, &loss), 0);
	cr_assert_eq(loss.ringbuf, 0, "%s: ring buffer drops", what);
	cr_assert_geq(loss.recursion, want - got, "%s: %zu of %zu transitions missing, %llu recursion misses",
		      what, want - got, want, (unsigned long long)loss.recursion);
	cr_log_warn("%s: %zu transitions skipped by the kernel (recursion), counted as lost", what, want - got);
}

const struct td_event *find_event(const struct capture *c, uint16_t lport, uint16_t rport,
				  int oldstate, int newstate)
{
	const struct td_event *first = NULL;

	for (size_t i = 0; i < c->n; i++) {
		const struct td_event *e = &c->ev[i];

		if (e->oldstate == oldstate && e->newstate == newstate &&
		    (lport == 0 || e->sport == lport) && (rport == 0 || e->dport == rport) &&
		    (!first || e->ts_ns < first->ts_ns))
			first = e;
	}
	return first;
}

const struct td_event *await_event(struct capture *c, uint16_t lport, uint16_t rport, int oldstate, int newstate,
				  unsigned timeout_ms)
{
	uint64_t end = now_ns() + (uint64_t)timeout_ms * 1000000ull;
	const struct td_event *e;

	while (!(e = find_event(c, lport, rport, oldstate, newstate)) && now_ns() < end)
		capture_wait(c, c->n + 1, 200);
	return e;
}

size_t count_events(const struct capture *c, uint16_t lport, uint16_t rport)
{
	size_t n = 0;

	for (size_t i = 0; i < c->n; i++)
		if ((lport == 0 || c->ev[i].sport == lport) && (rport == 0 || c->ev[i].dport == rport))
			n++;
	return n;
}

socklen_t loopback(int family, uint16_t port, struct sockaddr_storage *ss)
{
	memset(ss, 0, sizeof(*ss));
	if (family == 4) {
		struct sockaddr_in *sin = (struct sockaddr_in *)ss;

		sin->sin_family = AF_INET;
		sin->sin_port = htons(port);
		sin->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
		return sizeof(*sin);
	}
	struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)ss;

	sin6->sin6_family = AF_INET6;
	sin6->sin6_port = htons(port);
	sin6->sin6_addr = in6addr_loopback;
	return sizeof(*sin6);
}

uint16_t local_port(int fd)
{
	struct sockaddr_storage ss;
	socklen_t len = sizeof(ss);

	cr_assert_eq(getsockname(fd, (struct sockaddr *)&ss, &len), 0);
	if (ss.ss_family == AF_INET)
		return ntohs(((struct sockaddr_in *)&ss)->sin_port);
	return ntohs(((struct sockaddr_in6 *)&ss)->sin6_port);
}

/* Test ports come from below the ephemeral range (net.ipv4.ip_local_port_range
 * starts at 32768): a client of another test running in parallel never
 * takes one as its source port, so a test's -P filter sees only its own
 * connections. */
#define TEST_PORT_LO 20000
#define TEST_PORT_HI 32700

static int bind_test_port(int fd, int family, uint16_t want)
{
	struct sockaddr_storage ss;
	socklen_t len;

	for (int tries = 0; tries < 1000; tries++) {
		uint16_t port = want ? want : (uint16_t)(TEST_PORT_LO + pick_ms(0, TEST_PORT_HI - TEST_PORT_LO));

		len = loopback(family, port, &ss);
		if (bind(fd, (struct sockaddr *)&ss, len) == 0)
			return 0;
		if (want || errno != EADDRINUSE)
			return -errno;
	}
	return -EADDRINUSE;
}

int tcp_listen(int family, uint16_t *port, int backlog)
{
	int one = 1, fd = socket(family == 4 ? AF_INET : AF_INET6, SOCK_STREAM, 0), err;

	cr_assert_geq(fd, 0, "socket: %s", strerror(errno));
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	err = bind_test_port(fd, family, *port);
	cr_assert_eq(err, 0, "bind: %s", strerror(-err));
	cr_assert_eq(listen(fd, backlog), 0, "listen: %s", strerror(errno));
	*port = local_port(fd);
	return fd;
}

int tcp_connect(int family, uint16_t port)
{
	struct sockaddr_storage ss;
	socklen_t len = loopback(family, port, &ss);
	int fd = socket(family == 4 ? AF_INET : AF_INET6, SOCK_STREAM, 0);

	cr_assert_geq(fd, 0, "socket: %s", strerror(errno));
	cr_assert_eq(connect(fd, (struct sockaddr *)&ss, len), 0, "connect: %s", strerror(errno));
	return fd;
}

int tcp_connect_from(const char *src, uint16_t sport, uint16_t port)
{
	struct sockaddr_in from = { .sin_family = AF_INET, .sin_port = htons(sport) };
	struct sockaddr_in to = { .sin_family = AF_INET, .sin_port = htons(port) };
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

	to.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	cr_assert_eq(inet_pton(AF_INET, src, &from.sin_addr), 1, "source address %s", src);
	if (fd < 0)
		return -1;
	if (bind(fd, (struct sockaddr *)&from, sizeof(from)) || connect(fd, (struct sockaddr *)&to, sizeof(to))) {
		close(fd);
		return -1;
	}
	return fd;
}

uint16_t free_port(int family)
{
	uint16_t port = 0;
	int fd = tcp_listen(family, &port, 1);

	close(fd);
	return port;
}

void child_start(struct child *ch, int (*fn)(void *arg, int wfd), void *arg)
{
	int p[2];

	cr_assert_eq(pipe(p), 0);
	ch->pid = fork();
	cr_assert_geq(ch->pid, 0, "fork: %s", strerror(errno));
	if (ch->pid == 0) {
		close(p[0]);
		_exit(fn(arg, p[1]));
	}
	close(p[1]);
	ch->fd = p[0];
}

void report_u64(int wfd, uint64_t v)
{
	if (write(wfd, &v, sizeof(v)) != sizeof(v))
		_exit(99);
}

uint64_t child_read_u64(struct child *ch)
{
	struct pollfd pfd = { .fd = ch->fd, .events = POLLIN };
	uint64_t v;

	cr_assert_eq(poll(&pfd, 1, 20000), 1, "child %d reported nothing in 20 s", ch->pid);
	cr_assert_eq(read(ch->fd, &v, sizeof(v)), (ssize_t)sizeof(v), "child %d: short report", ch->pid);
	return v;
}

void child_wait(struct child *ch)
{
	int status;

	cr_assert_eq(waitpid(ch->pid, &status, 0), ch->pid);
	close(ch->fd);
	cr_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0, "child %d failed (status 0x%x)",
		  ch->pid, status);
}

int hold_server(void *arg, int wfd)
{
	struct hold_args *a = arg;
	char buf[64];
	int fd = accept(a->lfd, NULL, NULL);

	if (fd < 0)
		return 1;
	while (read(fd, buf, sizeof(buf)) > 0)
		;
	report_u64(wfd, now_ns());
	if (a->go_fd >= 0 && read(a->go_fd, buf, 1) != 1)
		return 2;
	sleep_ms(a->hold_ms);
	report_u64(wfd, now_ns());
	close(fd);
	report_u64(wfd, now_ns());
	return 0;
}

void hold_server_times(struct child *ch, struct hold_times *t)
{
	t->eof = child_read_u64(ch);
	t->close0 = child_read_u64(ch);
	t->close1 = child_read_u64(ch);
}

const char *td_binary(void)
{
	const char *b = getenv("TCPDWELL_BIN");

	return b ? b : "./tcpdwell";
}

/* The setpriv words that run a program as nobody with only caps
 * ("+bpf,+perfmon") in its inheritable, ambient and bounding sets. */
static int setpriv_prefix(char **argv, char *buf, size_t len, const char *caps)
{
	int n = 0;

	snprintf(buf, len, "-all,%s", caps);
	argv[n++] = "/usr/bin/setpriv";
	argv[n++] = "--reuid=65534";
	argv[n++] = "--regid=65534";
	argv[n++] = "--clear-groups";
	argv[n++] = "--inh-caps";
	argv[n++] = buf;
	argv[n++] = "--ambient-caps";
	argv[n++] = buf;
	argv[n++] = "--bounding-set";
	argv[n++] = buf;
	return n;
}

/* Starts tcpdwell with argv (NULL-terminated, without argv[0]); drop_to_uid
 * >= 0 runs it as that user, caps (not NULL) as nobody under setpriv with
 * those capabilities; stdout on outfd, or a temporary file for -2, or
 * closed for -1. */
static void spawn_as(struct run *r, char *const *args, int drop_to_uid, const char *caps, int outfd)
{
	char *argv[48], capbuf[256];
	int ep[2], n = 0;
	pid_t parent;

	memset(r, 0, sizeof(*r));
	if (caps)
		n = setpriv_prefix(argv, capbuf, sizeof(capbuf), caps);
	argv[n++] = (char *)td_binary();
	while (*args && n < 47)
		argv[n++] = *args++;
	argv[n] = NULL;
	if (outfd == -2) {
		r->out = tmpfile();
		cr_assert_not_null(r->out);
		outfd = fileno(r->out);
	}
	cr_assert_eq(pipe(ep), 0);
	parent = getpid();
	r->pid = fork();
	cr_assert_geq(r->pid, 0);
	if (r->pid == 0) {
		if (outfd >= 0)
			dup2(outfd, 1);
		else
			close(1);
		dup2(ep[1], 2);
		close(ep[0]);
		if (drop_to_uid >= 0 && (setgroups(0, NULL) || setgid((gid_t)drop_to_uid) ||
					 setuid((uid_t)drop_to_uid)))
			_exit(98);
		/* A test that fails an assertion exits at once: its tcpdwell
		 * must not live on (set after setuid, which clears it). */
		if (prctl(PR_SET_PDEATHSIG, SIGTERM) || getppid() != parent)
			_exit(96);
		execv(argv[0], argv);
		_exit(97);
	}
	close(ep[1]);
	r->errfd = ep[0];
}

void run_start(struct run *r, char *const *args, int drop_to_uid)
{
	spawn_as(r, args, drop_to_uid, NULL, -2);
}

void run_start_caps(struct run *r, char *const *args, const char *caps)
{
	spawn_as(r, args, -1, caps, -2);
}

void run_start_out(struct run *r, char *const *args, int outfd)
{
	spawn_as(r, args, -1, NULL, outfd);
}

/* Reads stderr until `needle` shows up or the process closes it. */
int run_wait_stderr(struct run *r, const char *needle, int timeout_ms)
{
	uint64_t end = now_ns() + (uint64_t)timeout_ms * 1000000ull;

	while (!strstr(r->err, needle) && now_ns() < end) {
		struct pollfd p = { .fd = r->errfd, .events = POLLIN };
		ssize_t got;

		if (poll(&p, 1, 100) <= 0)
			continue;
		got = read(r->errfd, r->err + r->errlen, sizeof(r->err) - 1 - r->errlen);
		if (got <= 0)
			break;
		r->errlen += (size_t)got;
		r->err[r->errlen] = '\0';
	}
	return strstr(r->err, needle) != NULL;
}

/* Waits for exit (SIGINT first when sig), returns the exit status. */
int run_finish(struct run *r, int sig)
{
	int status;

	if (sig)
		kill(r->pid, sig);
	run_wait_stderr(r, "\x01never", 30000); /* all of stderr: until it exits */
	cr_assert_eq(waitpid(r->pid, &status, 0), r->pid);
	close(r->errfd);
	if (r->out)
		rewind(r->out);
	cr_assert(WIFEXITED(status), "tcpdwell died of signal %d", WTERMSIG(status));
	return WEXITSTATUS(status);
}

/* Value of "key": in a JSON line: 1 with *v set, 0 for null, -1 if absent. */
int json_u64(const char *line, const char *key, uint64_t *v)
{
	char pat[64];
	const char *p;

	snprintf(pat, sizeof(pat), "\"%s\":", key);
	p = strstr(line, pat);
	if (!p)
		return -1;
	p += strlen(pat);
	if (strncmp(p, "null", 4) == 0)
		return 0;
	*v = strtoull(p, NULL, 10);
	return 1;
}

int json_is(const char *line, const char *key, const char *val)
{
	char pat[128];

	snprintf(pat, sizeof(pat), "\"%s\":\"%s\"", key, val);
	return strstr(line, pat) != NULL;
}

/* The cgroup v2 hierarchy: an existing mount, or one made for the test. */
const char *cgroup2_root(void)
{
	static char root[PATH_MAX / 2];
	char dev[256], dir[PATH_MAX / 2], type[64];
	FILE *m = fopen("/proc/self/mounts", "r");

	cr_assert_not_null(m);
	while (fscanf(m, "%255s %2047s %63s %*[^\n]", dev, dir, type) == 3) {
		if (strcmp(type, "cgroup2") == 0) {
			snprintf(root, sizeof(root), "%s", dir);
			fclose(m);
			return root;
		}
	}
	fclose(m);
	snprintf(root, sizeof(root), "/tmp/tcpdwell-cgroup2");
	mkdir(root, 0755);
	cr_assert_eq(mount("none", root, "cgroup2", 0, NULL), 0, "mount cgroup2: %s", strerror(errno));
	return root;
}

static uint16_t csum(const void *data, size_t len, uint32_t sum)
{
	const uint16_t *p = data;

	for (; len > 1; len -= 2)
		sum += *p++;
	if (len)
		sum += *(const uint8_t *)p;
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)~sum;
}

void send_syn(const char *saddr, const char *daddr, uint16_t sport, uint16_t dport)
{
	struct {
		struct iphdr ip;
		struct tcphdr tcp;
	} pkt;
	struct {
		uint32_t s, d;
		uint8_t zero, proto;
		uint16_t len;
		struct tcphdr tcp;
	} pseudo;
	struct sockaddr_in to = { .sin_family = AF_INET };
	int fd = socket(AF_INET, SOCK_RAW, IPPROTO_RAW);

	cr_assert_geq(fd, 0, "raw socket: %s", strerror(errno));
	memset(&pkt, 0, sizeof(pkt));
	pkt.ip.version = 4;
	pkt.ip.ihl = 5;
	pkt.ip.ttl = 64;
	pkt.ip.protocol = IPPROTO_TCP;
	pkt.ip.tot_len = htons(sizeof(pkt));
	pkt.ip.saddr = inet_addr(saddr);
	pkt.ip.daddr = inet_addr(daddr);
	pkt.tcp.source = htons(sport);
	pkt.tcp.dest = htons(dport);
	pkt.tcp.seq = htonl(0x10000);
	pkt.tcp.doff = 5;
	pkt.tcp.syn = 1;
	pkt.tcp.window = htons(65535);
	memset(&pseudo, 0, sizeof(pseudo));
	pseudo.s = pkt.ip.saddr;
	pseudo.d = pkt.ip.daddr;
	pseudo.proto = IPPROTO_TCP;
	pseudo.len = htons(sizeof(pkt.tcp));
	pseudo.tcp = pkt.tcp;
	pkt.tcp.check = csum(&pseudo, sizeof(pseudo), 0);
	to.sin_addr.s_addr = pkt.ip.daddr;
	cr_assert_eq(sendto(fd, &pkt, sizeof(pkt), 0, (struct sockaddr *)&to, sizeof(to)), (ssize_t)sizeof(pkt),
		     "sendto: %s", strerror(errno));
	close(fd);
}

int lossy_listener(uint16_t *port)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr.s_addr = inet_addr("10.200.0.1") };
	int lfd;

	cr_assert_eq(system("ip link add tdv0 type veth peer name tdv1 && ip link set tdv0 up && "
			    "ip addr add 10.200.0.1/24 dev tdv0"), 0, "veth setup failed");
	lfd = socket(AF_INET, SOCK_STREAM, 0);
	cr_assert_geq(lfd, 0, "socket: %s", strerror(errno));
	cr_assert_eq(bind(lfd, (struct sockaddr *)&a, sizeof(a)), 0, "bind: %s", strerror(errno));
	cr_assert_eq(listen(lfd, 8), 0);
	*port = local_port(lfd);
	return lfd;
}

/* `ss -tan` inside pid's namespace, counted per enum td_state. */
void ss_counts(pid_t pid, uint64_t c[TD_MAX_STATES])
{
	static const char *const names[][2] = {
		{ "ESTAB", "ESTABLISHED" }, { "SYN-SENT", "SYN_SENT" }, { "SYN-RECV", "NEW_SYN_RECV" },
		{ "FIN-WAIT-1", "FIN_WAIT1" }, { "FIN-WAIT-2", "FIN_WAIT2" }, { "TIME-WAIT", "TIME_WAIT" },
		{ "CLOSE-WAIT", "CLOSE_WAIT" }, { "LAST-ACK", "LAST_ACK" }, { "LISTEN", "LISTEN" },
		{ "CLOSING", "CLOSING" },
	};
	char cmd[64], line[256], st[32];
	FILE *f;

	memset(c, 0, sizeof(uint64_t) * TD_MAX_STATES);
	snprintf(cmd, sizeof(cmd), "nsenter -t %d -n ss -tan", (int)pid);
	f = popen(cmd, "r");
	cr_assert_not_null(f);
	while (fgets(line, sizeof(line), f)) {
		size_t k = 0;

		if (sscanf(line, "%31s", st) != 1 || strcmp(st, "State") == 0)
			continue;
		while (k < sizeof(names) / sizeof(names[0]) && strcmp(st, names[k][0]))
			k++;
		cr_assert(k < sizeof(names) / sizeof(names[0]), "ss state %s", st);
		c[td_state_parse(names[k][1])]++;
	}
	cr_assert_eq(pclose(f), 0, "%s failed", cmd);
}
