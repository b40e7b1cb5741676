/* The Prometheus exporter end to end: ./tcpdwell --prometheus scraped by a
 * real Prometheus (Debian's package) while the test makes connections with
 * dwell times it controls, then asked through Prometheus' HTTP API; and the
 * HTTP server hit with malformed, oversized, slow and wrong requests. Each
 * test runs in a network namespace of its own, on its loopback. */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <math.h>
#include <net/if.h>
#include <netinet/in.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <criterion/criterion.h>
#include "harness.h"
#include "http.h"
#include "prom.h"

#define PROMETHEUS "/usr/bin/prometheus"
#define PROMTOOL "/usr/bin/promtool"
#define BUF_SIZE (512 * 1024)

/* ---- a network namespace, HTTP over plain sockets ---- */

static void setup(void)
{
	require_root();
	enter_netns();
}

/* A loopback connection, or -1 (no assertion: refusals are expected). */
static int dial(int family, uint16_t port)
{
	struct sockaddr_in s4 = { .sin_family = AF_INET, .sin_port = htons(port) };
	struct sockaddr_in6 s6 = { .sin6_family = AF_INET6, .sin6_port = htons(port), .sin6_addr = IN6ADDR_LOOPBACK_INIT };
	int fd = socket(family == 6 ? AF_INET6 : AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

	s4.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (fd < 0)
		return -1;
	if (family == 6 ? connect(fd, (struct sockaddr *)&s6, sizeof(s6)) : connect(fd, (struct sockaddr *)&s4, sizeof(s4))) {
		close(fd);
		return -1;
	}
	return fd;
}

/* Writes what it can (the server may close mid-way: no SIGPIPE). */
static void send_all(int fd, const char *p, size_t len)
{
	while (len) {
		ssize_t n = send(fd, p, len, MSG_NOSIGNAL);

		if (n <= 0)
			return;
		p += n;
		len -= (size_t)n;
	}
}

/* Reads into buf until EOF, an error or timeout_ms; returns the bytes read
 * and sets *closed when the peer closed (EOF or reset). */
static size_t read_until_close(int fd, char *buf, size_t cap, int timeout_ms, bool *closed)
{
	uint64_t end = now_ns() + (uint64_t)timeout_ms * 1000000ull;
	size_t len = 0;

	*closed = false;
	while (now_ns() < end) {
		struct pollfd p = { .fd = fd, .events = POLLIN };
		ssize_t n;

		if (poll(&p, 1, 50) <= 0)
			continue;
		n = read(fd, buf + len, cap - 1 - len);
		if (n <= 0) {
			*closed = true;
			break;
		}
		len += (size_t)n;
		if (len == cap - 1)
			break;
	}
	buf[len] = '\0';
	return len;
}

/* Sends a raw request on a new connection, reads the reply to EOF. Returns
 * the HTTP status, 0 if the server closed without one, -1 if it refused. */
static int http_raw(int family, uint16_t port, const char *req, size_t len, char *buf, int timeout_ms)
{
	int fd = dial(family, port), status = 0;
	bool closed;

	buf[0] = '\0';
	if (fd < 0)
		return -1;
	send_all(fd, req, len);
	read_until_close(fd, buf, BUF_SIZE, timeout_ms, &closed);
	close(fd);
	cr_assert(closed, "no close within %d ms after: %.60s", timeout_ms, req);
	if (sscanf(buf, "HTTP/1.%*d %d", &status) != 1)
		status = 0;
	return status;
}

/* GET path; returns the status, *body points into buf. */
static int http_get(int family, uint16_t port, const char *path, char *buf, const char **body)
{
	char req[4096];
	int n = snprintf(req, sizeof(req), "GET %s HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n", path);
	int status;
	char *b;

	cr_assert_lt((size_t)n, sizeof(req));
	status = http_raw(family, port, req, (size_t)n, buf, 10000);
	b = strstr(buf, "\r\n\r\n");
	*body = b ? b + 4 : "";
	return status;
}

static const char *header(const char *resp, const char *name, char *out, size_t len)
{
	const char *end = strstr(resp, "\r\n\r\n"), *p = resp;
	size_t nl = strlen(name);

	while ((p = strstr(p, "\r\n")) && p < end) {
		p += 2;
		if (strncasecmp(p, name, nl) == 0 && p[nl] == ':') {
			size_t vl = strcspn(p + nl + 1, "\r");

			snprintf(out, len, "%.*s", (int)vl, p + nl + 1);
			return out + strspn(out, " ");
		}
	}
	return NULL;
}

/* ---- a real Prometheus on loopback ---- */

struct prometheus {
	pid_t pid;
	uint16_t port;
	char dir[64];
};

/* What .fini must stop when an assertion ends a test early. */
static struct {
	struct prometheus *prom;
	pid_t tcpdwell;
} live;

static int rm_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	return remove(path);
}

static void prom_stop(struct prometheus *p)
{
	if (p->pid > 0) {
		kill(p->pid, SIGTERM);
		waitpid(p->pid, NULL, 0);
		p->pid = 0;
	}
	if (p->dir[0])
		nftw(p->dir, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
	p->dir[0] = '\0';
	live.prom = NULL;
}

static void cleanup(void)
{
	if (live.prom)
		prom_stop(live.prom);
	if (live.tcpdwell > 0) {
		kill(live.tcpdwell, SIGKILL);
		waitpid(live.tcpdwell, NULL, 0);
	}
}

static void print_log(const struct prometheus *p)
{
	char path[128], line[512];
	FILE *f;

	snprintf(path, sizeof(path), "%s/log", p->dir);
	f = fopen(path, "r");
	if (!f)
		return;
	while (fgets(line, sizeof(line), f))
		cr_log_error("prometheus: %s", line);
	fclose(f);
}

/* Scrapes the exporter every second; its own storage in a temp dir. */
static void prom_start(struct prometheus *p, uint16_t target_port, char *buf)
{
	char path[192], cfg[128], data[192], web[64];
	const char *body;
	uint64_t end;
	FILE *f;

	cr_assert_eq(access(PROMETHEUS, X_OK), 0, PROMETHEUS " is missing: run scripts/install-deps.sh");
	memset(p, 0, sizeof(*p));
	strcpy(p->dir, "/tmp/tcpdwell-prom-XXXXXX");
	cr_assert_not_null(mkdtemp(p->dir));
	live.prom = p;
	snprintf(cfg, sizeof(cfg), "%s/prometheus.yml", p->dir);
	f = fopen(cfg, "w");
	cr_assert_not_null(f);
	/* scrape_timeout must not exceed the interval (default 10s). */
	fprintf(f, "global:\n  scrape_interval: 1s\n  scrape_timeout: 1s\n"
		   "scrape_configs:\n  - job_name: tcpdwell\n    static_configs:\n"
		   "      - targets: ['127.0.0.1:%u']\n", target_port);
	fclose(f);
	snprintf(data, sizeof(data), "--storage.tsdb.path=%s/data", p->dir);
	p->port = free_port(4);
	snprintf(web, sizeof(web), "--web.listen-address=127.0.0.1:%u", p->port);
	snprintf(path, sizeof(path), "--config.file=%s", cfg);
	p->pid = fork();
	cr_assert_geq(p->pid, 0);
	if (p->pid == 0) {
		char log[128];
		int fd;

		prctl(PR_SET_PDEATHSIG, SIGKILL); /* never outlives the test */
		snprintf(log, sizeof(log), "%s/log", p->dir);
		fd = open(log, O_WRONLY | O_CREAT | O_TRUNC, 0600);
		dup2(fd, 1);
		dup2(fd, 2);
		execl(PROMETHEUS, PROMETHEUS, path, data, web, "--log.level=warn", (char *)NULL);
		_exit(97);
	}
	end = now_ns() + 20000000000ull;
	while (now_ns() < end) {
		int fd = dial(4, p->port);

		if (fd >= 0) {
			close(fd);
			if (http_get(4, p->port, "/-/ready", buf, &body) == 200)
				return;
		}
		sleep_ms(100);
	}
	print_log(p);
	cr_assert_fail("prometheus not ready in 20 s");
}

static void urlencode(char *out, size_t len, const char *s)
{
	size_t o = 0;

	for (; *s && o + 4 < len; s++) {
		unsigned char c = (unsigned char)*s;

		if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || strchr("-_.~", c))
			out[o++] = (char)c;
		else
			o += (size_t)snprintf(out + o, len - o, "%%%02X", c);
	}
	cr_assert_eq(*s, '\0', "query too long");
	out[o] = '\0';
}

/* An instant query whose result is one sample: 1 with *v, 0 when the
 * result is empty (no data yet). */
static int prom_query(const struct prometheus *p, const char *expr, double *v, char *buf)
{
	char path[2048], enc[1800];
	const char *body, *val;
	int status;

	urlencode(enc, sizeof(enc), expr);
	snprintf(path, sizeof(path), "/api/v1/query?query=%s", enc);
	status = http_get(4, p->port, path, buf, &body);
	cr_assert_eq(status, 200, "query %s: status %d: %s", expr, status, body);
	cr_assert_neq(strstr(body, "\"status\":\"success\""), NULL, "query %s: %s", expr, body);
	if (strstr(body, "\"result\":[]"))
		return 0;
	val = strstr(body, "\"value\":[");
	cr_assert_not_null(val, "query %s: %s", expr, body);
	val = strstr(val, ",\"");
	cr_assert_not_null(val, "query %s: %s", expr, body);
	*v = strtod(val + 2, NULL);
	return 1;
}

/* Polls a query until it returns at least want, or timeout; the last value. */
static double prom_wait(const struct prometheus *p, const char *expr, double want, int timeout_ms, char *buf)
{
	uint64_t end = now_ns() + (uint64_t)timeout_ms * 1000000ull;
	double v = -1;

	do {
		if (prom_query(p, expr, &v, buf) && v >= want)
			return v;
		sleep_ms(200);
	} while (now_ns() < end);
	return v;
}

/* promtool check metrics on a body; returns its exit status and output. */
static int promtool_check(const char *body, char *out, size_t cap)
{
	FILE *in = tmpfile(), *res = tmpfile();
	int status;
	size_t n;
	pid_t pid;

	cr_assert(in && res);
	fputs(body, in);
	fflush(in);
	rewind(in);
	pid = fork();
	cr_assert_geq(pid, 0);
	if (pid == 0) {
		dup2(fileno(in), 0);
		dup2(fileno(res), 1);
		dup2(fileno(res), 2);
		execl(PROMTOOL, PROMTOOL, "check", "metrics", (char *)NULL);
		_exit(97);
	}
	cr_assert_eq(waitpid(pid, &status, 0), pid);
	rewind(res);
	n = fread(out, 1, cap - 1, res);
	out[n] = '\0';
	fclose(in);
	fclose(res);
	return WIFEXITED(status) ? WEXITSTATUS(status) : 128;
}

/* Prometheus' histogram_quantile for cumulative bucket counts (promql's
 * bucketQuantile): the rank's bucket, then linear interpolation in it. */
static double bucket_quantile(double q, const uint64_t cum[TD_PROM_NBOUNDS + 1])
{
	double rank = q * (double)cum[TD_PROM_NBOUNDS], start = 0;
	int b = 0;

	while (b < TD_PROM_NBOUNDS && (double)cum[b] < rank)
		b++;
	if (b == TD_PROM_NBOUNDS)
		return td_prom_bounds_ns[TD_PROM_NBOUNDS - 1] / 1e9;
	if (b > 0) {
		start = td_prom_bounds_ns[b - 1] / 1e9;
		rank -= (double)cum[b - 1];
	}
	return start + (td_prom_bounds_ns[b] / 1e9 - start) * (rank / (double)(cum[b] - (b ? cum[b - 1] : 0)));
}

static void tcpdwell_start(struct run *r, char **args)
{
	run_start(r, args, -1);
	live.tcpdwell = r->pid;
	cr_assert(run_wait_stderr(r, "tcpdwell: tracing", 15000), "tcpdwell did not start: %s", r->err);
}

static int tcpdwell_finish(struct run *r)
{
	int status = run_finish(r, SIGINT);

	live.tcpdwell = 0;
	fclose(r->out);
	return status;
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return (x > y) - (x < y);
}

/* ---- the tests ---- */

/* 20 client connections hold ESTABLISHED for two chosen times: 8 for
 * 30-38 ms and 12 for 120-180 ms (picked per run). Prometheus only sees
 * bucket counts, so a quantile is exact only up to the bucket: the holds
 * sit well inside the buckets (25ms, 50ms] and (100ms, 250ms], far (more
 * than the 1.6% fine-bucket width and any timing error) from a bound, so
 * each dwell's bucket is certain, and the median's rank (10 of 20) falls
 * inside the second bucket, where Prometheus interpolates. Its answer must
 * then equal the interpolation of the ground-truth bucket counts
 * (0.1 + 0.15 * (10 - 8) / 12 = 0.125 s), to float precision, and lie in
 * the same bucket as the true median. Sum and counts are checked too. */
Test(prom, real_prometheus_quantile_and_transitions, .init = setup, .fini = cleanup, .timeout = 60)
{
	enum { N_SHORT = 8, N_LONG = 12, N = N_SHORT + N_LONG };
	unsigned short_ms = pick_ms(30, 39), long_ms = pick_ms(120, 181);
	char listen_arg[32], port_arg[16], expr[256], check[4096];
	/* -N self: another test's namespace may use the same port meanwhile. */
	char *args[] = { "--prometheus", listen_arg, "-D", port_arg, "-N", "self", NULL };
	char *buf = malloc(BUF_SIZE);
	uint64_t t0[N], dwell[N], cum[TD_PROM_NBOUNDS + 1] = { 0 }, truth_sum = 0;
	int cfd[N], sfd[N], lfd, stats_fd, near = 0;
	uint16_t port = 0, mport;
	struct prometheus p;
	struct run r;
	const char *body;
	double v, q, expected, lost, truth_median;

	cr_assert_not_null(buf);
	/* Counts every BPF program's run time while held (the sysctl stays as
	 * it is), so the bpf cost metrics show. */
	stats_fd = bpf_enable_stats(BPF_STATS_RUN_TIME);
	cr_assert_geq(stats_fd, 0, "BPF_ENABLE_STATS: %s", strerror(errno));
	lfd = tcp_listen(4, &port, 64);
	mport = free_port(4);
	snprintf(listen_arg, sizeof(listen_arg), "127.0.0.1:%u", mport);
	snprintf(port_arg, sizeof(port_arg), "%u", port);
	tcpdwell_start(&r, args);
	cr_assert_neq(strstr(r.err, "serving Prometheus metrics at http://127.0.0.1:"), NULL, "%s", r.err);
	prom_start(&p, mport, buf);
	if (prom_wait(&p, "up{job=\"tcpdwell\"}", 1, 15000, buf) != 1) {
		http_get(4, p.port, "/api/v1/targets", buf, &body);
		cr_assert_fail("prometheus cannot scrape the exporter: %s", body);
	}

	/* -D port: the clients' side only. Connect all, then close each when
	 * its hold is over (the short ones first). */
	for (int i = 0; i < N; i++) {
		cfd[i] = tcp_connect(4, port);
		t0[i] = now_ns();
	}
	for (int i = 0; i < N; i++)
		cr_assert_geq(sfd[i] = accept(lfd, NULL, NULL), 0);
	for (int i = 0; i < N; i++) {
		uint64_t due = t0[i] + (uint64_t)(i < N_SHORT ? short_ms : long_ms) * 1000000ull, now = now_ns();

		if (now < due)
			sleep_ms((unsigned)((due - now) / 1000000ull));
		dwell[i] = now_ns() - t0[i];
		close(cfd[i]);
	}
	for (int i = 0; i < N; i++)
		close(sfd[i]);
	close(lfd);

	/* The ground truth in Prometheus buckets. */
	for (int i = 0; i < N; i++) {
		truth_sum += dwell[i];
		for (int b = 0; b < TD_PROM_NBOUNDS; b++) {
			uint64_t d = dwell[i] > td_prom_bounds_ns[b] ? dwell[i] - td_prom_bounds_ns[b]
								     : td_prom_bounds_ns[b] - dwell[i];

			near += d < td_prom_bounds_ns[b] / 32;
			cum[b] += dwell[i] <= td_prom_bounds_ns[b];
		}
		cum[TD_PROM_NBOUNDS]++;
	}
	expected = bucket_quantile(0.5, cum);
	qsort(dwell, N, sizeof(dwell[0]), cmp_u64);
	truth_median = (dwell[N / 2 - 1] + dwell[N / 2]) / 2e9;
	cr_assert(truth_median > 0.1 && truth_median <= 0.25, "true median %g s", truth_median);

	/* Every dwell scraped, or the missing ones counted as lost. */
	v = prom_wait(&p, "tcpdwell_state_dwell_seconds_count{state=\"ESTABLISHED\"}", N, 15000, buf);
	cr_assert_eq(prom_query(&p, "sum(tcpdwell_events_lost_total)", &lost, buf), 1);
	cr_assert(v == N || (v < N && v + lost >= N), "%g ESTABLISHED dwells scraped of %d, %g lost", v, N, lost);

	cr_assert_eq(prom_query(&p, "histogram_quantile(0.5, sum by (le) "
				    "(tcpdwell_state_dwell_seconds_bucket{state=\"ESTABLISHED\"}))", &q, buf), 1);
	cr_log_info("holds %u/%u ms: Prometheus p50 %.6f s, bucket interpolation of the truth %.6f s, true median ~%.3f s",
		    short_ms, long_ms, q, expected, truth_median);
	cr_assert(q > 0.1 && q <= 0.25, "p50 %g s outside the true median's bucket (0.1, 0.25]", q);
	if (v == N && !near)
		cr_assert(fabs(q - expected) < 1e-9, "p50 %.9f s, expected %.9f s from the ground truth", q, expected);
	else
		cr_log_warn("%d dwells near a bound, %g lost: p50 checked to its bucket only", near, lost);

	cr_assert_eq(prom_query(&p, "tcpdwell_transitions_total{from=\"ESTABLISHED\",to=\"FIN_WAIT1\"}", &v, buf), 1);
	cr_assert(v == N || (v < N && v + lost >= N), "ESTABLISHED -> FIN_WAIT1: %g of %d", v, N);
	cr_assert_eq(prom_query(&p, "tcpdwell_state_dwell_seconds_sum{state=\"ESTABLISHED\"}", &v, buf), 1);
	if (lost == 0)
		cr_assert(fabs(v - truth_sum / 1e9) < N * tolerance_ns(short_ms * 1000000ull) / 1e9,
			  "dwell sum %g s, ground truth %g s", v, truth_sum / 1e9);
	snprintf(expr, sizeof(expr), "tcpdwell_state_dwell_seconds_bucket{state=\"ESTABLISHED\",le=\"0.05\"}");
	cr_assert_eq(prom_query(&p, expr, &v, buf), 1);
	cr_assert(v <= N_SHORT, "le=0.05 counts %g, more than the %d short holds", v, N_SHORT);
	/* The census follows the filters: the 20 clients (remote port port)
	 * are in TIME_WAIT now, the server having closed last. */
	v = prom_wait(&p, "tcpdwell_sockets{state=\"TIME_WAIT\"}", N, 5000, buf);
	cr_assert_eq(v, N, "census: %g TIME_WAITs", v);
	cr_assert_eq(prom_query(&p, "tcpdwell_sockets{state=\"LISTEN\"}", &v, buf), 1);
	cr_assert_eq(v, 0, "the listener's remote port is 0: filtered out");

	/* The body Prometheus scraped passes promtool's checks, and carries
	 * the BPF cost while statistics are on. */
	cr_assert_eq(http_get(4, mport, "/metrics", buf, &body), 200);
	cr_assert_eq(promtool_check(body, check, sizeof(check)), 0, "promtool check metrics: %s", check);
	cr_assert_str_empty(check, "promtool: %s", check);
	cr_assert_neq(strstr(body, "\ntcpdwell_bpf_runs_total{prog=\"handle_set_state\"} "), NULL, "%s", body);
	cr_assert_eq(prom_query(&p, "tcpdwell_bpf_runs_total{prog=\"handle_set_state\"}", &v, buf), 1);
	cr_assert_geq(v, N, "the state program ran at least once per ESTABLISHED -> FIN_WAIT1");
	cr_assert_eq(prom_query(&p, "tcpdwell_bpf_run_seconds_total{prog=\"handle_set_state\"}", &v, buf), 1);
	cr_assert(v > 0 && v < 1, "run time %g s", v);
	cr_assert_eq(prom_query(&p, "tcpdwell_build_info", &v, buf), 1);
	cr_assert_eq(v, 1);
	close(stats_fd);

	prom_stop(&p);
	cr_assert_eq(tcpdwell_finish(&r), 0, "SIGINT must exit 0: %s", r.err);
	free(buf);
}

/* What the network may send: the server answers or drops each request and
 * keeps serving. A client that sends nothing, or trickles half a request, is
 * timed out TD_HTTP_REQUEST_TIMEOUT_S after it connected without holding up
 * anyone else. */
Test(prom, http_survives_bad_clients, .init = setup, .fini = cleanup, .timeout = 60)
{
	char listen_arg[32], hdr[128], *req, *buf = malloc(BUF_SIZE);
	char *args[] = { "--prometheus", listen_arg, "-P", "9", NULL };
	int idle, half;
	uint16_t port = free_port(4);
	const char *body;
	struct run r;
	uint64_t opened, t;
	size_t n;
	bool closed;

	cr_assert_not_null(buf);
	snprintf(listen_arg, sizeof(listen_arg), "127.0.0.1:%u", port);
	tcpdwell_start(&r, args);

	/* Two slow clients, opened first. */
	idle = dial(4, port);
	half = dial(4, port);
	cr_assert(idle >= 0 && half >= 0);
	send_all(half, "GET /metr", 9);
	opened = now_ns();

	/* Meanwhile, scrapes are served at once. */
	t = now_ns();
	cr_assert_eq(http_get(4, port, "/metrics", buf, &body), 200);
	cr_assert_lt(now_ns() - t, 1000000000ull, "a scrape waited behind the slow clients");
	cr_assert_str_eq(header(buf, "Content-Type", hdr, sizeof(hdr)), TD_PROM_CONTENT_TYPE);
	cr_assert_eq(strncmp(body, "# HELP tcpdwell_build_info ", 27), 0, "%s", body);
	cr_assert_neq(strstr(body, "\ntcpdwell_events_lost_total{reason=\"ringbuf\"} 0\n"), NULL);

	cr_assert_eq(http_get(4, port, "/", buf, &body), 200);
	cr_assert_neq(strstr(body, "<a href=\"/metrics\">"), NULL, "%s", body);
	cr_assert_eq(http_get(4, port, "/nope", buf, &body), 404);
	cr_assert_eq(http_get(4, port, "/metrics/../etc/passwd", buf, &body), 404);
	cr_assert_eq(http_get(4, port, "/metrics?x=1", buf, &body), 200, "a query string is not part of the path");

	req = "HEAD /metrics HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n";
	cr_assert_eq(http_raw(4, port, req, strlen(req), buf, 5000), 200);
	cr_assert_neq(header(buf, "Content-Length", hdr, sizeof(hdr)), NULL);
	cr_assert_gt(atoi(hdr), 1000);
	cr_assert_str_eq(strstr(buf, "\r\n\r\n"), "\r\n\r\n", "HEAD with a body: %s", buf);

	req = "POST /metrics HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\nhello";
	cr_assert_eq(http_raw(4, port, req, strlen(req), buf, 5000), 405);
	cr_assert_str_eq(header(buf, "Allow", hdr, sizeof(hdr)), "GET, HEAD");
	req = "DELETE / HTTP/1.1\r\nHost: x\r\n\r\n";
	cr_assert_eq(http_raw(4, port, req, strlen(req), buf, 5000), 405);

	/* Malformed: answered 4xx/5xx or dropped, never served as a scrape. */
	{
		static const char *const bad[] = {
			"\x16\x03\x01\x02\xfc\x01\x03\x03\r\n\r\n", /* like a TLS hello (no NUL: strlen) */
			"GARBAGE\r\n\r\n",
			"GET /metrics HTTP/9.9\r\n\r\n",
			"GET /metrics HTTP/1.1\r\nHost: x\r\nno colon here\r\n\r\n",
			"GET /metrics HTTP/1.1\r\n\r\n", /* HTTP/1.1 without Host */
			"GET /metrics HTTP/1.1\r\nHost: x\r\nContent-Length: -5\r\n\r\n",
			"GET /metrics HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n",
			"GET\r\n\r\n",
			"GET /metrics HTTP/1.1\r\nHost: x\r\n Folded: header\r\n\r\n",
		};

		for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
			int st = http_raw(4, port, bad[i], strlen(bad[i]), buf, 5000);

			cr_assert(st == 0 || st >= 400, "malformed request %zu answered %d: %s", i, st, buf);
			cr_assert_eq(http_get(4, port, "/metrics", buf, &body), 200, "after malformed request %zu", i);
		}
	}

	/* Oversized: a 100 KiB request line, then 20 KiB of headers, both
	 * past the 8 KiB a connection may use. */
	req = malloc(120 * 1024);
	cr_assert_not_null(req);
	n = (size_t)sprintf(req, "GET /");
	memset(req + n, 'a', 100 * 1024);
	n += 100 * 1024;
	n += (size_t)sprintf(req + n, " HTTP/1.1\r\nHost: x\r\n\r\n");
	{
		int st = http_raw(4, port, req, n, buf, 5000);

		cr_assert(st == 0 || st == 414 || st == 431 || st == 400, "oversized URL answered %d", st);
	}
	n = (size_t)sprintf(req, "GET /metrics HTTP/1.1\r\nHost: x\r\n");
	for (int i = 0; i < 200; i++) {
		n += (size_t)sprintf(req + n, "X-Pad-%03d: ", i);
		memset(req + n, 'b', 90);
		n += 90;
		n += (size_t)sprintf(req + n, "\r\n");
	}
	n += (size_t)sprintf(req + n, "\r\n");
	{
		int st = http_raw(4, port, req, n, buf, 5000);

		cr_assert(st == 0 || st == 431 || st == 400 || st == 413, "oversized headers answered %d", st);
	}
	free(req);
	cr_assert_eq(http_get(4, port, "/metrics", buf, &body), 200, "after the bad requests");

	/* The slow clients: closed at their deadline. */
	read_until_close(idle, buf, BUF_SIZE, (TD_HTTP_REQUEST_TIMEOUT_S + 1) * 1000, &closed);
	cr_assert(closed, "an idle client kept its connection for %llu ms",
		  (unsigned long long)((now_ns() - opened) / 1000000ull));
	read_until_close(half, buf, BUF_SIZE, 1000, &closed);
	cr_assert(closed, "a client with half a request was not timed out");
	close(idle);
	close(half);
	cr_assert_eq(http_get(4, port, "/metrics", buf, &body), 200, "after the slow clients");
	cr_assert_eq(tcpdwell_finish(&r), 0, "stderr: %s", r.err);
	cr_assert_eq(strstr(r.err, "failed"), NULL, "stderr: %s", r.err);
	free(buf);
}

/* Reads until EOF, an error or timeout_ms; returns the HTTP status read (0
 * if none) and sets *err to 0 at EOF, else the errno (ETIMEDOUT). */
static int read_status(int fd, char *buf, size_t cap, int timeout_ms, int *err)
{
	uint64_t end = now_ns() + (uint64_t)timeout_ms * 1000000ull;
	size_t len = 0;
	int status = 0;

	*err = ETIMEDOUT;
	while (now_ns() < end && len < cap - 1) {
		struct pollfd p = { .fd = fd, .events = POLLIN };
		ssize_t n;

		if (poll(&p, 1, 20) <= 0)
			continue;
		n = recv(fd, buf + len, cap - 1 - len, 0);
		if (n <= 0) {
			*err = n ? errno : 0;
			break;
		}
		len += (size_t)n;
	}
	buf[len] = '\0';
	if (sscanf(buf, "HTTP/1.%*d %d", &status) != 1)
		status = 0;
	return status;
}

/* Milliseconds until the server closes fd (EOF or reset), at most about
 * max_ms; what it sends meanwhile is dropped. */
static unsigned ms_until_closed(int fd, int max_ms)
{
	char buf[4096];
	uint64_t t = now_ns();
	unsigned ms = 0;
	bool closed = false;

	while (!closed && ms < (unsigned)max_ms) {
		read_until_close(fd, buf, sizeof(buf), max_ms - (int)ms, &closed);
		ms = (unsigned)((now_ns() - t) / 1000000ull);
	}
	return ms;
}

/* A connection has TD_HTTP_REQUEST_TIMEOUT_S from its accept to send its
 * request, however it trickles; after a response, the connection stays
 * open for the next request for TD_HTTP_IDLE_TIMEOUT_S. */
Test(prom, http_request_and_idle_deadlines, .init = setup, .fini = cleanup, .timeout = 60)
{
	static const char req[] = "GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n";
	const uint64_t request_ms = TD_HTTP_REQUEST_TIMEOUT_S * 1000ull, idle_ms = TD_HTTP_IDLE_TIMEOUT_S * 1000ull;
	char listen_arg[32], buf[4096];
	char *args[] = { "--prometheus", listen_arg, "-P", "9", NULL };
	uint16_t port = free_port(4);
	int idle, trickle, kept, err;
	uint64_t t0, t;
	struct run r;

	snprintf(listen_arg, sizeof(listen_arg), "127.0.0.1:%u", port);
	tcpdwell_start(&r, args);
	idle = dial(4, port);
	trickle = dial(4, port);
	kept = dial(4, port);
	cr_assert(idle >= 0 && trickle >= 0 && kept >= 0);
	t0 = now_ns();
	send_all(kept, req, sizeof(req) - 1);
	cr_assert_eq(read_status(kept, buf, 200, 1000, &err), 200, "%s", buf); /* the headers: no close yet */

	/* One byte every 200 ms: each renews libmicrohttpd's inactivity
	 * timeout, not the request deadline. */
	while ((t = (now_ns() - t0) / 1000000ull) < request_ms + 1500) {
		struct pollfd pf = { .fd = trickle, .events = POLLIN };

		if (poll(&pf, 1, 200) == 1)
			break;
		send_all(trickle, "G", 1);
	}
	cr_assert_geq(t, request_ms - 200, "the trickling client was closed after %llu ms", (unsigned long long)t);
	cr_assert_lt(t, request_ms + 1500, "the trickling client still open after %llu ms", (unsigned long long)t);
	t = (now_ns() - t0) / 1000000ull + ms_until_closed(idle, 2000);
	cr_assert(t >= request_ms - 200 && t < request_ms + 1500, "the idle client was closed after %llu ms",
		  (unsigned long long)t);

	/* The answered one outlives the request deadline, up to the idle one. */
	t = (now_ns() - t0) / 1000000ull + ms_until_closed(kept, (int)(idle_ms + 3000));
	cr_assert(t >= idle_ms - 500 && t < idle_ms + 2500, "a kept-alive connection was closed after %llu ms",
		  (unsigned long long)t);
	close(idle);
	close(trickle);
	close(kept);
	cr_assert_eq(tcpdwell_finish(&r), 0, "stderr: %s", r.err);
}

#define HOGS 200

/* Opens HOGS connections from 127.0.0.1 that send nothing. */
static void hog(uint16_t port, int *fds)
{
	for (int i = 0; i < HOGS; i++) {
		fds[i] = dial(4, port);
		cr_assert_geq(fds[i], 0, "connection %d of the idle client: %s", i, strerror(errno));
	}
}

/* One client address holding HOGS idle connections and firing HOGS
 * scrapes at once cannot keep a scrape from another address out: that one
 * answers 200 within a second. Connections over the budget are answered
 * 503 and closed, never reset. */
Test(prom, http_budget_per_address, .init = setup, .fini = cleanup, .timeout = 60)
{
	static const char req[] = "GET /metrics HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n";
	char listen_arg[32], *buf = malloc(BUF_SIZE);
	char *args[] = { "--prometheus", listen_arg, "-P", "9", NULL };
	int idle[HOGS], scrape[HOGS], other, status, err, got[600] = { 0 }, resets = 0, other_err = 0, busy = 0;
	uint16_t port = free_port(4);
	struct rlimit rl;
	struct run r;
	uint64_t t;

	cr_assert_not_null(buf);
	/* 400 sockets and more: the default soft limit is 1024. */
	cr_assert_eq(getrlimit(RLIMIT_NOFILE, &rl), 0);
	rl.rlim_cur = rl.rlim_max;
	cr_assert_eq(setrlimit(RLIMIT_NOFILE, &rl), 0);
	snprintf(listen_arg, sizeof(listen_arg), "127.0.0.1:%u", port);
	tcpdwell_start(&r, args);

	hog(port, idle);
	for (int i = 0; i < HOGS; i++) {
		scrape[i] = dial(4, port);
		cr_assert_geq(scrape[i], 0, "scrape %d: %s", i, strerror(errno));
		send_all(scrape[i], req, sizeof(req) - 1);
	}
	/* Prometheus, from another address, while all of that is in flight. */
	t = now_ns();
	other = tcp_connect_from("127.0.0.2", 0, port);
	cr_assert_geq(other, 0, "connect from 127.0.0.2: %s", strerror(errno));
	send_all(other, req, sizeof(req) - 1);
	status = read_status(other, buf, BUF_SIZE, 1000, &err);
	t = (now_ns() - t) / 1000000ull;
	cr_assert_eq(status, 200, "the scrape from 127.0.0.2 got %d (%s) after %llu ms", status, strerror(err),
		     (unsigned long long)t);
	cr_assert_eq(err, 0, "the scrape from 127.0.0.2: %s after %llu ms", strerror(err), (unsigned long long)t);
	cr_assert_lt(t, 1000);
	cr_log_info("scrape from 127.0.0.2: 200 in %llu ms", (unsigned long long)t);
	close(other);

	for (int i = 0; i < HOGS; i++) {
		status = read_status(scrape[i], buf, BUF_SIZE, 5000, &err);
		resets += err == ECONNRESET;
		other_err += err != 0 && err != ECONNRESET;
		got[status > 0 && status < 600 ? status : 0]++;
		close(scrape[i]);
	}
	cr_log_info("%d concurrent scrapes from 127.0.0.1: %d got 200, %d got 503, %d other, %d reset, %d other errors",
		    HOGS, got[200], got[503], HOGS - got[200] - got[503], resets, other_err);
	cr_assert_eq(resets, 0, "%d of %d scrapes were reset", resets, HOGS);
	cr_assert_eq(other_err, 0, "%d of %d scrapes failed", other_err, HOGS);
	cr_assert_eq(got[200] + got[503], HOGS, "%d got 200, %d got 503 of %d", got[200], got[503], HOGS);

	/* The idle connections over the budget got their 503 at once too. */
	for (int i = 0; i < HOGS; i++) {
		char c[16];
		ssize_t n = recv(idle[i], c, sizeof(c) - 1, MSG_DONTWAIT);

		busy += n >= 12 && !memcmp(c, "HTTP/1.1 503", 12);
		close(idle[i]);
	}
	cr_assert_geq(busy, HOGS - TD_HTTP_MAX_CONNS_PER_IP, "%d idle connections got a 503", busy);
	cr_assert_eq(tcpdwell_finish(&r), 0, "stderr: %s", r.err);
	free(buf);
}

/* IPv6, and the errors: a taken port or a foreign address exits 1, a
 * malformed value 2, each with one line. */
Test(prom, listen_addresses_and_errors, .init = setup, .fini = cleanup, .timeout = 60)
{
	char listen_arg[64], *buf = malloc(BUF_SIZE);
	char *args[] = { "--prometheus", listen_arg, "-P", "9", "-d", "20", NULL };
	static char *const bad[][3] = {
		{ "--prometheus", "0", NULL }, { "--prometheus", "70000", NULL },
		{ "--prometheus", "junk", NULL }, { "--prometheus", "127.0.0.1", NULL },
		{ "--prometheus", "::1:9101", NULL }, { "--prometheus", NULL, NULL },
	};
	uint16_t port = free_port(6), taken = 0;
	const char *body;
	struct run r;
	int lfd;

	cr_assert_not_null(buf);
	snprintf(listen_arg, sizeof(listen_arg), "[::1]:%u", port);
	tcpdwell_start(&r, args);
	cr_assert_neq(strstr(r.err, "http://[::1]:"), NULL, "%s", r.err);
	cr_assert_eq(http_get(6, port, "/metrics", buf, &body), 200);
	cr_assert_eq(dial(4, port), -1, "[::1] must not serve IPv4");
	cr_assert_eq(tcpdwell_finish(&r), 0, "stderr: %s", r.err);

	lfd = tcp_listen(4, &taken, 1);
	snprintf(listen_arg, sizeof(listen_arg), "127.0.0.1:%u", taken);
	run_start(&r, args, -1);
	cr_assert_eq(run_finish(&r, 0), 1, "a taken port: %s", r.err);
	cr_assert_neq(strstr(r.err, "tcpdwell: failed to listen on 127.0.0.1:"), NULL, "%s", r.err);
	cr_assert_neq(strstr(r.err, "Address already in use"), NULL, "%s", r.err);
	cr_assert_eq(strchr(r.err, '\n'), r.err + r.errlen - 1, "more than one line: %s", r.err);
	fclose(r.out);
	close(lfd);

	/* TEST-NET-1: no host has it; bind() fails without a packet sent. */
	snprintf(listen_arg, sizeof(listen_arg), "192.0.2.1:%u", taken);
	run_start(&r, args, -1);
	cr_assert_eq(run_finish(&r, 0), 1, "a foreign address: %s", r.err);
	cr_assert_neq(strstr(r.err, "not an address of this host"), NULL, "%s", r.err);
	cr_assert_eq(strchr(r.err, '\n'), r.err + r.errlen - 1, "more than one line: %s", r.err);
	fclose(r.out);

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		run_start(&r, bad[i], -1);
		cr_assert_eq(run_finish(&r, 0), 2, "%s %s: %s", bad[i][0], bad[i][1], r.err);
		cr_assert_eq(strncmp(r.err, "tcpdwell: ", 10), 0, "%s", r.err);
		cr_assert_eq(strchr(r.err, '\n'), r.err + r.errlen - 1, "more than one line: %s", r.err);
		fclose(r.out);
	}
	free(buf);
}

/* A host name: localhost binds its IPv4 address; a malformed name is bad
 * input; a name that cannot be resolved is one line (in a namespace of the
 * test's own, so the lookup sends nothing off this machine). */
Test(prom, listen_host_names, .init = setup, .fini = cleanup, .timeout = 60)
{
	char listen_arg[300], *buf = malloc(BUF_SIZE);
	char *args[] = { "--prometheus", listen_arg, "-P", "9", "-d", "20", NULL };
	const char *want = "tcpdwell: failed to resolve --prometheus host 'nosuch-host.invalid': ";
	uint16_t port = free_port(4);
	const char *body;
	struct run r;
	int rc;

	cr_assert_not_null(buf);
	snprintf(listen_arg, sizeof(listen_arg), "localhost:%u", port);
	tcpdwell_start(&r, args);
	cr_assert_neq(strstr(r.err, "http://127.0.0.1:"), NULL, "%s", r.err);
	cr_assert_neq(strstr(r.err, "(localhost)"), NULL, "%s", r.err);
	cr_assert_eq(http_get(4, port, "/metrics", buf, &body), 200);
	cr_assert_eq(tcpdwell_finish(&r), 0, "stderr: %s", r.err);

	snprintf(listen_arg, sizeof(listen_arg), "bad_name:%u", port);
	run_start(&r, args, -1);
	cr_assert_eq(run_finish(&r, 0), 2, "a malformed name: %s", r.err);
	cr_assert_eq(strchr(r.err, '\n'), r.err + r.errlen - 1, "more than one line: %s", r.err);
	fclose(r.out);

	enter_netns();
	snprintf(listen_arg, sizeof(listen_arg), "nosuch-host.invalid:%u", port);
	run_start(&r, args, -1);
	rc = run_finish(&r, 0);
	/* 2 if a resolver says the name does not exist, 1 if none answers. */
	cr_assert(rc == 1 || rc == 2, "an unknown name: status %d: %s", rc, r.err);
	cr_assert_eq(strncmp(r.err, want, strlen(want)), 0, "%s", r.err);
	cr_assert_eq(strchr(r.err, '\n'), r.err + r.errlen - 1, "more than one line: %s", r.err);
	fclose(r.out);
	free(buf);
}

/* A sample's value in a scrape body, or -1 when absent. */
static double sample(const char *body, const char *series)
{
	char pat[256];
	const char *p;

	snprintf(pat, sizeof(pat), "\n%s ", series);
	p = strstr(body, pat);
	return p ? strtod(p + strlen(pat), NULL) : -1;
}

/* The exporter's counters are totals since start: -i reports, which reset
 * the text report's aggregate, leave them alone, in both modes. */
Test(prom, counters_survive_interval_reports, .init = setup, .fini = cleanup, .timeout = 60)
{
	enum { N = 3 };
	char listen_arg[32], port_arg[16], *buf = malloc(BUF_SIZE);
	char *args[] = { "--prometheus", listen_arg, "-D", port_arg, "-i", "200ms", NULL, NULL };

	cr_assert_not_null(buf);
	for (int mode = 0; mode < 2; mode++) {
		uint16_t port = 0, mport = free_port(4);
		int lfd = tcp_listen(4, &port, 8), cfd[N], sfd[N];
		const char *body;
		double est, count, lost;
		struct run r;

		args[6] = mode ? "--kernel-agg" : NULL;
		snprintf(listen_arg, sizeof(listen_arg), "127.0.0.1:%u", mport);
		snprintf(port_arg, sizeof(port_arg), "%u", port);
		tcpdwell_start(&r, args);
		for (int i = 0; i < N; i++) {
			cfd[i] = tcp_connect(4, port);
			sfd[i] = accept(lfd, NULL, NULL);
			cr_assert_geq(sfd[i], 0);
		}
		sleep_ms(50);
		for (int i = 0; i < N; i++) {
			close(cfd[i]);
			close(sfd[i]);
		}
		close(lfd);
		sleep_ms(900); /* several -i reports later */
		cr_assert_eq(http_get(4, mport, "/metrics", buf, &body), 200);
		est = sample(body, "tcpdwell_transitions_total{from=\"ESTABLISHED\",to=\"FIN_WAIT1\"}");
		count = sample(body, "tcpdwell_state_dwell_seconds_count{state=\"ESTABLISHED\"}");
		lost = sample(body, "tcpdwell_events_lost_total{reason=\"recursion\"}");
		cr_assert(est == N || (est < N && est + lost >= N), "%s: %g ESTABLISHED -> FIN_WAIT1, %g lost",
			  mode ? "--kernel-agg" : "ring buffer", est, lost);
		cr_assert_eq(count, est, "one dwell per ESTABLISHED -> FIN_WAIT1");
		cr_assert_eq(tcpdwell_finish(&r), 0, "stderr: %s", r.err);
	}
	free(buf);
}

/* A "Name:\tvalue" line of /proc/PID/status. */
static int status_field(pid_t pid, const char *name, char *out, size_t len)
{
	char path[64], line[256];
	size_t n = strlen(name);
	FILE *f;
	int found = 0;

	snprintf(path, sizeof(path), "/proc/%d/status", (int)pid);
	f = fopen(path, "r");
	cr_assert_not_null(f);
	while (!found && fgets(line, sizeof(line), f))
		if (strncmp(line, name, n) == 0 && line[n] == ':') {
			snprintf(out, len, "%s", line + n + 1 + strspn(line + n + 1, " \t"));
			out[strcspn(out, "\n")] = '\0';
			found = 1;
		}
	fclose(f);
	return found;
}

/* Once attached, the exporter of one namespace (-N self) holds no
 * capability, may not gain any, runs under a seccomp filter (which refuses
 * loading BPF programs), and still serves and counts. */
Test(prom, privileges_dropped_and_still_counting, .init = setup, .fini = cleanup, .timeout = 60)
{
	enum { N = 5 };
	static const char *const zero_caps[] = { "CapInh", "CapPrm", "CapEff", "CapBnd", "CapAmb" };
	char listen_arg[32], port_arg[16], v[128], series[128], *buf = malloc(BUF_SIZE);
	char *args[] = { "--prometheus", listen_arg, "-P", port_arg, "-N", "self", NULL };
	uint16_t port = 0, mport = free_port(4);
	const char *body;
	struct run r;
	int lfd = tcp_listen(4, &port, 8);

	cr_assert_not_null(buf);
	snprintf(listen_arg, sizeof(listen_arg), "127.0.0.1:%u", mport);
	snprintf(port_arg, sizeof(port_arg), "%u", port);
	tcpdwell_start(&r, args);
	for (size_t i = 0; i < sizeof(zero_caps) / sizeof(zero_caps[0]); i++) {
		cr_assert(status_field(r.pid, zero_caps[i], v, sizeof(v)), "no %s", zero_caps[i]);
		cr_assert_str_eq(v, "0000000000000000", "%s is %s after the drop", zero_caps[i], v);
	}
	cr_assert(status_field(r.pid, "NoNewPrivs", v, sizeof(v)));
	cr_assert_str_eq(v, "1");
	cr_assert(status_field(r.pid, "Seccomp", v, sizeof(v)));
	cr_assert_str_eq(v, "2", "seccomp mode %s, expected 2 (filter)", v);

	for (int i = 0; i < N; i++) {
		int c = tcp_connect(4, port), s = accept(lfd, NULL, NULL);

		close(c);
		close(s);
	}
	sleep_ms(300);
	cr_assert_eq(http_get(4, mport, "/metrics", buf, &body), 200);
	snprintf(series, sizeof(series), "tcpdwell_transitions_total{from=\"ESTABLISHED\",to=\"FIN_WAIT1\"}");
	cr_assert_eq(sample(body, series), N, "%s after the drop: %g", series, sample(body, series));
	cr_assert_eq(tcpdwell_finish(&r), 0, "stderr: %s", r.err);
	close(lfd);
	free(buf);
}

/* --prometheus-by lport:2 on three server ports: two get their own label,
 * the third is counted under "other". */
Test(prom, per_port_series_with_a_cap, .init = setup, .fini = cleanup, .timeout = 60)
{
	char listen_arg[32], ports_arg[32], series[160], *buf = malloc(BUF_SIZE);
	char *args[] = { "--prometheus", listen_arg, "--prometheus-by", "lport:2", "-L", ports_arg, NULL };
	uint16_t port[3] = { 0 }, mport = free_port(4);
	int lfd[3];
	const char *body;
	struct run r;

	cr_assert_not_null(buf);
	for (int i = 0; i < 3; i++)
		lfd[i] = tcp_listen(4, &port[i], 8);
	snprintf(listen_arg, sizeof(listen_arg), "127.0.0.1:%u", mport);
	snprintf(ports_arg, sizeof(ports_arg), "%u,%u,%u", port[0], port[1], port[2]);
	tcpdwell_start(&r, args);
	for (int i = 0; i < 3; i++) {
		int c = tcp_connect(4, port[i]), s = accept(lfd[i], NULL, NULL);

		cr_assert_geq(s, 0);
		close(c); /* the server side goes ESTABLISHED -> CLOSE_WAIT */
		sleep_ms(20);
		close(s);
		sleep_ms(20);
	}
	sleep_ms(300);
	cr_assert_eq(http_get(4, mport, "/metrics", buf, &body), 200);
	for (int i = 0; i < 2; i++) {
		snprintf(series, sizeof(series),
			 "tcpdwell_lport_transitions_total{lport=\"%u\",from=\"ESTABLISHED\",to=\"CLOSE_WAIT\"}", port[i]);
		cr_assert_eq(sample(body, series), 1, "%s: %g", series, sample(body, series));
		snprintf(series, sizeof(series), "tcpdwell_lport_state_dwell_seconds_count{lport=\"%u\",state=\"CLOSE_WAIT\"}",
			 port[i]);
		cr_assert_eq(sample(body, series), 1, "%s: %g", series, sample(body, series));
	}
	snprintf(series, sizeof(series),
		 "tcpdwell_lport_transitions_total{lport=\"other\",from=\"ESTABLISHED\",to=\"CLOSE_WAIT\"}");
	cr_assert_eq(sample(body, series), 1, "%s: %g", series, sample(body, series));
	snprintf(series, sizeof(series), "lport=\"%u\"", port[2]);
	cr_assert_null(strstr(body, series), "the third port got a label of its own past the cap");
	{
		char out[4096];

		cr_assert_eq(promtool_check(body, out, sizeof(out)), 0, "promtool: %s", out);
	}
	cr_assert_eq(tcpdwell_finish(&r), 0, "stderr: %s", r.err);
	for (int i = 0; i < 3; i++)
		close(lfd[i]);
	free(buf);
}

/* Fetches /metrics, checks it with promtool, returns the body (in buf). */
static const char *scrape_checked(uint16_t mport, char *buf)
{
	char out[4096];
	const char *body;

	cr_assert_eq(http_get(4, mport, "/metrics", buf, &body), 200);
	cr_assert_eq(promtool_check(body, out, sizeof(out)), 0, "promtool: %s", out);
	return body;
}

/* A child in its own network namespace: a connection on its loopback to
 * port, closed by the client first. */
static int connect_in_own_netns(void *arg, int wfd)
{
	uint16_t port = *(uint16_t *)arg;
	int lfd, c, s;

	enter_netns();
	lfd = tcp_listen(4, &port, 4);
	c = tcp_connect(4, port);
	s = accept(lfd, NULL, NULL);
	if (c < 0 || s < 0)
		return 1;
	close(c);
	sleep_ms(20);
	close(s);
	sleep_ms(20);
	report_u64(wfd, 1);
	return 0;
}

/* --prometheus-by netns:1: the test's namespace gets its inode as the
 * label (it made the first transition), a second namespace goes to
 * "other". */
Test(prom, per_netns_series_with_a_cap, .init = setup, .fini = cleanup, .timeout = 60)
{
	char listen_arg[32], port_arg[16], series[192], *buf = malloc(BUF_SIZE);
	char *args[] = { "--prometheus", listen_arg, "--prometheus-by", "netns:1", "-P", port_arg, NULL };
	uint16_t port = 0, mport = free_port(4);
	int lfd = tcp_listen(4, &port, 8), c, s;
	struct child other;
	struct stat st;
	const char *body;
	struct run r;

	cr_assert_not_null(buf);
	cr_assert_eq(stat("/proc/self/ns/net", &st), 0);
	snprintf(listen_arg, sizeof(listen_arg), "127.0.0.1:%u", mport);
	snprintf(port_arg, sizeof(port_arg), "%u", port);
	tcpdwell_start(&r, args);
	c = tcp_connect(4, port);
	s = accept(lfd, NULL, NULL);
	cr_assert_geq(s, 0);
	close(c);
	sleep_ms(20);
	close(s);
	sleep_ms(50);
	child_start(&other, connect_in_own_netns, &port);
	(void)child_read_u64(&other);
	child_wait(&other);
	sleep_ms(300);
	body = scrape_checked(mport, buf);
	snprintf(series, sizeof(series),
		 "tcpdwell_netns_transitions_total{netns=\"%lu\",from=\"ESTABLISHED\",to=\"FIN_WAIT1\"}",
		 (unsigned long)st.st_ino);
	cr_assert_eq(sample(body, series), 1, "%s: %g", series, sample(body, series));
	snprintf(series, sizeof(series),
		 "tcpdwell_netns_transitions_total{netns=\"other\",from=\"ESTABLISHED\",to=\"FIN_WAIT1\"}");
	cr_assert_eq(sample(body, series), 1, "%s: %g", series, sample(body, series));
	cr_assert_eq(tcpdwell_finish(&r), 0, "stderr: %s", r.err);
	close(lfd);
	free(buf);
}

struct joiner {
	const char *procs;
	uint16_t port;
};

/* Joins a cgroup, then connects to port and closes first. */
static int connect_in_cgroup(void *arg, int wfd)
{
	const struct joiner *j = arg;
	FILE *f = fopen(j->procs, "w");
	int c;

	if (!f || fprintf(f, "0\n") < 0 || fclose(f))
		return 2;
	c = tcp_connect(4, j->port);
	report_u64(wfd, local_port(c));
	sleep_ms(50);
	close(c);
	report_u64(wfd, 1);
	return 0;
}

/* The cgroups of the container test, removed even when it fails (its
 * child has exited or been killed by then: the child never blocks). */
static char box_top[128], box_dir[256];

static void cleanup_box(void)
{
	cleanup();
	if (box_dir[0])
		rmdir(box_dir);
	if (box_top[0])
		rmdir(box_top);
}

/* --prometheus-by container:1: a client in a docker-like cgroup the test
 * makes gets its 12 digits as the label; the server side (the test's own
 * cgroup) counts under "other". */
Test(prom, per_container_series_with_a_cap, .init = setup, .fini = cleanup_box, .timeout = 60)
{
	char listen_arg[32], port_arg[16], series[256], procs[300], id[65], *buf = malloc(BUF_SIZE);
	char *top = box_top, *dir = box_dir;
	char *args[] = { "--prometheus", listen_arg, "--prometheus-by", "container:1", "-P", port_arg, NULL };
	uint16_t port = 0, mport = free_port(4);
	int lfd = tcp_listen(4, &port, 8), s;
	struct joiner j = { procs, port };
	struct child box;
	const char *body;
	struct run r;

	cr_assert_not_null(buf);
	snprintf(id, sizeof(id), "%08x%056x", (unsigned)getpid(), 0xfeedu);
	snprintf(top, sizeof(box_top), "%s/tcpdwell-prom-%d", cgroup2_root(), getpid());
	snprintf(dir, sizeof(box_dir), "%s/docker-%.64s.scope", top, id);
	snprintf(procs, sizeof(procs), "%s/cgroup.procs", dir);
	cr_assert_eq(mkdir(top, 0755), 0, "mkdir %s: %s", top, strerror(errno));
	cr_assert_eq(mkdir(dir, 0755), 0, "mkdir %s: %s", dir, strerror(errno));
	snprintf(listen_arg, sizeof(listen_arg), "127.0.0.1:%u", mport);
	snprintf(port_arg, sizeof(port_arg), "%u", port);
	tcpdwell_start(&r, args);
	child_start(&box, connect_in_cgroup, &j);
	(void)child_read_u64(&box);
	s = accept(lfd, NULL, NULL);
	cr_assert_geq(s, 0);
	(void)child_read_u64(&box);
	child_wait(&box);
	sleep_ms(20);
	close(s);
	sleep_ms(300);
	body = scrape_checked(mport, buf);
	snprintf(series, sizeof(series),
		 "tcpdwell_container_transitions_total{container=\"%.12s\",from=\"ESTABLISHED\",to=\"FIN_WAIT1\"}", id);
	cr_assert_eq(sample(body, series), 1, "%s: %g in\n%s", series, sample(body, series), body);
	snprintf(series, sizeof(series),
		 "tcpdwell_container_transitions_total{container=\"other\",from=\"ESTABLISHED\",to=\"CLOSE_WAIT\"}");
	cr_assert_eq(sample(body, series), 1, "%s: %g", series, sample(body, series));
	cr_assert_eq(tcpdwell_finish(&r), 0, "stderr: %s", r.err);
	close(lfd);
	free(buf);
}
