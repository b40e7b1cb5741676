/* A large TCP socket table for the scale bench (scripts/bench-scale.sh), in
 * a network namespace of its own whose limits are raised (its port range,
 * timewait buckets; this process's open files): never the host's.
 *
 *   fill -e PAIRS [-a ADDRS]
 *
 * holds PAIRS ESTABLISHED connections (2 sockets each) from ADDRS client
 * addresses 127.0.1.x to 4 listeners on 127.0.0.1, in worker processes of
 * at most PER_WORKER pairs each (a process's open files are capped by its
 * hard limit, which only CAP_SYS_RESOURCE raises), prints "ready", then
 * reads commands on stdin: "tw N" makes N TIME_WAIT sockets (client closes
 * first, then the server) and prints "ok"; EOF ends it. */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <net/if.h>
#include <netinet/in.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/resource.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#define LISTENERS 4
#define BASE_PORT 20000
#define PER_WORKER 4000

static void die(const char *what)
{
	fprintf(stderr, "fill: %s: %s\n", what, strerror(errno));
	exit(1);
}

static void put(const char *path, const char *v)
{
	FILE *f = fopen(path, "w");

	if (!f || fputs(v, f) < 0 || fclose(f))
		die(path);
}

/* Our own namespace, lo up, limits of its own. */
static void own_netns(void)
{
	struct ifreq ifr = { 0 };
	int fd;

	if (unshare(CLONE_NEWNET))
		die("unshare(CLONE_NEWNET)");
	fd = socket(AF_INET, SOCK_DGRAM, 0);
	strcpy(ifr.ifr_name, "lo");
	if (fd < 0 || ioctl(fd, SIOCGIFFLAGS, &ifr))
		die("lo");
	ifr.ifr_flags |= IFF_UP;
	if (ioctl(fd, SIOCSIFFLAGS, &ifr))
		die("lo up");
	close(fd);
	put("/proc/sys/net/ipv4/ip_local_port_range", "1024 65000");
	put("/proc/sys/net/ipv4/tcp_max_tw_buckets", "2000000");
	put("/proc/sys/net/ipv4/tcp_tw_reuse", "0"); /* 2, loopback only, would reuse them */
	put("/proc/sys/net/core/somaxconn", "65535");
}

/* The soft open-file limit up to the hard one, which must hold a worker. */
static void raise_files(void)
{
	struct rlimit rl;

	if (getrlimit(RLIMIT_NOFILE, &rl))
		die("getrlimit");
	rl.rlim_cur = rl.rlim_max;
	if (setrlimit(RLIMIT_NOFILE, &rl))
		die("setrlimit(RLIMIT_NOFILE)");
	if (rl.rlim_cur < 2 * PER_WORKER + 64) {
		errno = EMFILE;
		die("the open-file hard limit is below a worker's pairs");
	}
}

static int dial(int *lfd, unsigned k, unsigned i, int *s);

/* Pairs [from, to) in a child that holds them until this process dies. */
static void worker(int *lfd, unsigned addrs, long from, long to)
{
	pid_t pid = fork();
	int st;

	if (pid < 0)
		die("fork");
	if (pid) {
		if (waitpid(pid, &st, WUNTRACED) < 0 || !WIFSTOPPED(st))
			die("worker");
		kill(pid, SIGCONT);
		return;
	}
	prctl(PR_SET_PDEATHSIG, SIGKILL);
	for (long j = from; j < to; j++) {
		int s;

		(void)dial(lfd, (unsigned)(j % addrs), (unsigned)(j / addrs % LISTENERS), &s);
	}
	raise(SIGSTOP); /* done: the parent goes on */
	for (;;)
		pause();
}

static struct sockaddr_in addr(const char *ip, unsigned port)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons((uint16_t)port) };

	inet_pton(AF_INET, ip, &a.sin_addr);
	return a;
}

static int listener(unsigned port)
{
	struct sockaddr_in a = addr("127.0.0.1", port);
	int one = 1, fd = socket(AF_INET, SOCK_STREAM, 0);

	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (fd < 0 || bind(fd, (struct sockaddr *)&a, sizeof(a)) || listen(fd, 4096))
		die("listen");
	return fd;
}

/* A connection from client address number k to listener i: the client fd,
 * and the server's in *s. The kernel picks the port per 4-tuple. */
static int dial(int *lfd, unsigned k, unsigned i, int *s)
{
	struct sockaddr_in dst = addr("127.0.0.1", BASE_PORT + i), src;
	char ip[32];
	int one = 1, c = socket(AF_INET, SOCK_STREAM, 0);

	snprintf(ip, sizeof(ip), "127.0.%u.%u", 1 + k / 250, 1 + k % 250);
	src = addr(ip, 0);
	setsockopt(c, IPPROTO_IP, IP_BIND_ADDRESS_NO_PORT, &one, sizeof(one));
	if (c < 0 || bind(c, (struct sockaddr *)&src, sizeof(src)) ||
	    connect(c, (struct sockaddr *)&dst, sizeof(dst)))
		die("connect");
	*s = accept(lfd[i], NULL, NULL);
	if (*s < 0)
		die("accept");
	return c;
}

static void timewaits(int *lfd, unsigned addrs, long n)
{
	char b;

	for (long j = 0; j < n; j++) {
		int s, c = dial(lfd, (unsigned)(j % addrs), (unsigned)(j / addrs % LISTENERS), &s);

		close(c);
		if (read(s, &b, 1) != 0)
			die("read EOF");
		close(s);
	}
}

int main(int argc, char **argv)
{
	long pairs = 0;
	unsigned addrs = 8;
	int lfd[LISTENERS], opt;
	char line[64];

	while ((opt = getopt(argc, argv, "e:a:")) != -1) {
		if (opt == 'e')
			pairs = atol(optarg);
		else if (opt == 'a')
			addrs = (unsigned)atoi(optarg);
		else
			return 2;
	}
	if (pairs < 0 || addrs < 1 || addrs > 2000)
		return 2;
	own_netns();
	raise_files();
	for (unsigned i = 0; i < LISTENERS; i++)
		lfd[i] = listener(BASE_PORT + i);
	for (long j = 0; j < pairs; j += PER_WORKER)
		worker(lfd, addrs, j, j + PER_WORKER < pairs ? j + PER_WORKER : pairs);
	printf("ready\n");
	fflush(stdout);
	while (fgets(line, sizeof(line), stdin)) {
		long n;

		if (sscanf(line, "tw %ld", &n) == 1 && n > 0)
			timewaits(lfd, addrs, n);
		printf("ok\n");
		fflush(stdout);
	}
	return 0;
}
