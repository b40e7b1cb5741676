/* HTTP for the Prometheus exporter: GET/HEAD /metrics and /, 404 for other
 * paths, 405 for other methods. libmicrohttpd runs in epoll mode without a
 * thread of its own; tcpdwell accepts the connections itself, to hold each
 * client address to a budget and answer 503 to the rest, and gives each
 * connection a deadline for its request. The caller waits on td_http_fd for
 * up to td_http_wait_ms and calls td_http_run. */
#define _GNU_SOURCE /* accept4 */
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>
#include <microhttpd.h>
#include "clock.h"
#include "diag.h"
#include "http.h"
#include "listen.h"
#include "prom.h"

/* Our epoll set: these two tags, or a slot of td_http.refused. */
#define TAG_MHD UINT64_MAX
#define TAG_LISTEN (UINT64_MAX - 1)
#define ACCEPTS_PER_RUN 64
/* Room for a burst of connects between two runs of the loop: past it the
 * kernel drops SYNs, and a client retries only after a second. */
#define LISTEN_BACKLOG 1024

/* A connection libmicrohttpd serves; linked from STARTED to CLOSED. */
struct td_conn {
	struct td_conn *prev, *next;
	struct MHD_Connection *c;
	struct sockaddr_storage peer;
	uint64_t due_ms; /* request headers due by then (0: a request is in) */
	bool shut;       /* past due: shut down, libmicrohttpd closes it */
};

/* A connection answered 503, waiting for its client to close. */
struct td_refused {
	int fd; /* -1 once closed */
	uint64_t due_ms;
};

struct td_http {
	struct MHD_Daemon *d;
	int epfd;      /* ours: the listener, MHD's epoll fd, refused fds */
	int listen_fd; /* ours: MHD never sees it */
	td_http_metrics_fn fn;
	void *ctx;
	struct td_conn *conns;
	unsigned nconns;
	struct td_refused refused[TD_HTTP_MAX_REFUSED]; /* a ring, oldest at head */
	unsigned rhead, rcount;
	char busy[256]; /* the whole 503 response */
	size_t busy_len;
};

static uint64_t now_ms(void)
{
	return td_clock_ns(CLOCK_MONOTONIC) / 1000000ull;
}

static const char index_page[] =
	"<!DOCTYPE html>\n<html><head><title>tcpdwell</title></head><body>\n"
	"<h1>tcpdwell</h1>\n<p>How long TCP connections dwell in each state: "
	"<a href=\"/metrics\">/metrics</a></p>\n</body></html>\n";

/* ---- connections libmicrohttpd serves ---- */

static bool same_addr(const struct sockaddr_storage *a, const struct sockaddr_storage *b)
{
	if (a->ss_family != b->ss_family)
		return false;
	if (a->ss_family == AF_INET6)
		return !memcmp(&((const struct sockaddr_in6 *)a)->sin6_addr,
			       &((const struct sockaddr_in6 *)b)->sin6_addr, 16);
	return ((const struct sockaddr_in *)a)->sin_addr.s_addr == ((const struct sockaddr_in *)b)->sin_addr.s_addr;
}

static unsigned conns_from(const struct td_http *h, const struct sockaddr_storage *peer)
{
	unsigned n = 0;

	for (const struct td_conn *k = h->conns; k; k = k->next)
		n += same_addr(&k->peer, peer);
	return n;
}

/* MHD_OPTION_NOTIFY_CONNECTION: called from MHD_add_connection (STARTED)
 * and when MHD closes the connection (CLOSED). */
static void on_connection(void *cls, struct MHD_Connection *c, void **socket_context,
			  enum MHD_ConnectionNotificationCode toe)
{
	const union MHD_ConnectionInfo *ci;
	struct td_http *h = cls;
	struct td_conn *k = *socket_context;

	if (toe == MHD_CONNECTION_NOTIFY_CLOSED) {
		if (!k)
			return;
		if (k->prev)
			k->prev->next = k->next;
		else
			h->conns = k->next;
		if (k->next)
			k->next->prev = k->prev;
		h->nconns--;
		free(k);
		*socket_context = NULL;
		return;
	}
	k = calloc(1, sizeof(*k));
	ci = MHD_get_connection_info(c, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
	if (!k || !ci || !ci->client_addr) {
		free(k); /* not counted: only on allocation failure */
		return;
	}
	k->c = c;
	memcpy(&k->peer, ci->client_addr,
	       ci->client_addr->sa_family == AF_INET6 ? sizeof(struct sockaddr_in6) : sizeof(struct sockaddr_in));
	k->due_ms = now_ms() + TD_HTTP_REQUEST_TIMEOUT_S * 1000ull;
	k->next = h->conns;
	if (h->conns)
		h->conns->prev = k;
	h->conns = k;
	h->nconns++;
	*socket_context = k;
}

/* By a walk of the list: MHD_CONNECTION_INFO_SOCKET_CONTEXT gives the
 * context itself or its address, depending on the libmicrohttpd version. */
static struct td_conn *conn_of(struct td_http *h, struct MHD_Connection *c)
{
	struct td_conn *k = h->conns;

	while (k && k->c != c)
		k = k->next;
	return k;
}

/* MHD_OPTION_NOTIFY_COMPLETED: a response went out; the next request is
 * due within the idle timeout, however slowly it trickles in. */
static void on_completed(void *cls, struct MHD_Connection *c, void **con_cls, enum MHD_RequestTerminationCode toe)
{
	struct td_conn *k = conn_of(cls, c);

	(void)con_cls;
	(void)toe;
	if (k)
		k->due_ms = now_ms() + TD_HTTP_IDLE_TIMEOUT_S * 1000ull;
}

/* A connection past its deadline is shut down: libmicrohttpd reads EOF
 * and closes it. Returns the next deadline, or UINT64_MAX. */
static uint64_t conns_expire(struct td_http *h, uint64_t now)
{
	uint64_t next = UINT64_MAX;

	for (struct td_conn *k = h->conns; k; k = k->next) {
		const union MHD_ConnectionInfo *ci;

		if (!k->due_ms || k->shut)
			continue;
		if (k->due_ms > now) {
			next = k->due_ms < next ? k->due_ms : next;
			continue;
		}
		ci = MHD_get_connection_info(k->c, MHD_CONNECTION_INFO_CONNECTION_FD);
		if (ci)
			shutdown(ci->connect_fd, SHUT_RDWR);
		k->shut = true;
	}
	return next;
}

/* ---- connections over the budget: 503, then a close without a reset ---- */

/* Reads what the client sent (a close with unread data would send a reset)
 * and closes at EOF or an error, or when final. */
static void refused_drain(struct td_http *h, unsigned slot, bool final)
{
	struct td_refused *x = &h->refused[slot];
	char buf[1024];
	ssize_t n;

	if (x->fd < 0)
		return;
	do
		n = recv(x->fd, buf, sizeof(buf), MSG_DONTWAIT);
	while (n > 0 || (n < 0 && errno == EINTR));
	if (n == 0 || final || (errno != EAGAIN && errno != EWOULDBLOCK)) {
		close(x->fd);
		x->fd = -1;
	}
}

static void refused_pop(struct td_http *h)
{
	refused_drain(h, h->rhead, true);
	h->rhead = (h->rhead + 1) % TD_HTTP_MAX_REFUSED;
	h->rcount--;
}

/* Returns the next deadline, or UINT64_MAX. */
static uint64_t refused_expire(struct td_http *h, uint64_t now)
{
	while (h->rcount && (h->refused[h->rhead].fd < 0 || h->refused[h->rhead].due_ms <= now))
		refused_pop(h);
	return h->rcount ? h->refused[h->rhead].due_ms : UINT64_MAX;
}

/* The 503 fits in an empty socket buffer; FIN follows it. When the ring is
 * full the oldest refused connection goes, the likeliest to have read its
 * answer. */
static void refuse(struct td_http *h, int fd)
{
	struct epoll_event ev = { .events = EPOLLIN | EPOLLRDHUP };
	unsigned slot;

	send(fd, h->busy, h->busy_len, MSG_NOSIGNAL | MSG_DONTWAIT);
	shutdown(fd, SHUT_WR);
	if (h->rcount == TD_HTTP_MAX_REFUSED)
		refused_pop(h);
	slot = (h->rhead + h->rcount) % TD_HTTP_MAX_REFUSED;
	ev.data.u64 = slot;
	if (epoll_ctl(h->epfd, EPOLL_CTL_ADD, fd, &ev)) {
		close(fd);
		return;
	}
	h->refused[slot] = (struct td_refused){ .fd = fd, .due_ms = now_ms() + TD_HTTP_REFUSED_LINGER_MS };
	h->rcount++;
}

/* Each connection goes to libmicrohttpd within the budgets, or gets a 503.
 * Out of fds, the oldest refused connection makes room. */
static void accept_some(struct td_http *h)
{
	for (int i = 0; i < ACCEPTS_PER_RUN; i++) {
		struct sockaddr_storage ss;
		socklen_t sl = sizeof(ss);
		int fd = accept4(h->listen_fd, (struct sockaddr *)&ss, &sl, SOCK_NONBLOCK | SOCK_CLOEXEC);

		if (fd < 0) {
			if (errno == EINTR || errno == ECONNABORTED)
				continue;
			if ((errno == EMFILE || errno == ENFILE) && h->rcount) {
				refused_pop(h);
				continue;
			}
			return;
		}
		if (h->nconns >= TD_HTTP_MAX_CONNS || conns_from(h, &ss) >= TD_HTTP_MAX_CONNS_PER_IP)
			refuse(h, fd);
		else
			MHD_add_connection(h->d, fd, (struct sockaddr *)&ss, sl); /* closes fd on failure */
	}
}

/* Queues a response with body [body, body+len) and frees it if owned. */
static enum MHD_Result reply(struct MHD_Connection *c, unsigned status, const char *type, void *body,
			     size_t len, bool owned)
{
	struct MHD_Response *r;
	enum MHD_Result ret;

	r = MHD_create_response_from_buffer(len, body, owned ? MHD_RESPMEM_MUST_FREE : MHD_RESPMEM_PERSISTENT);
	if (!r) {
		if (owned)
			free(body);
		return MHD_NO; /* MHD closes the connection */
	}
	MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, type);
	if (status == MHD_HTTP_METHOD_NOT_ALLOWED)
		MHD_add_response_header(r, MHD_HTTP_HEADER_ALLOW, "GET, HEAD");
	ret = MHD_queue_response(c, status, r);
	MHD_destroy_response(r);
	return ret;
}

static enum MHD_Result reply_text(struct MHD_Connection *c, unsigned status, const char *text)
{
	return reply(c, status, "text/plain; charset=utf-8", (void *)text, strlen(text), false);
}

/* MHD calls this when a request's headers are in, then for each piece of
 * its body, then once more with none. */
static enum MHD_Result on_request(void *cls, struct MHD_Connection *c, const char *url, const char *method,
				  const char *version, const char *upload_data, size_t *upload_data_size,
				  void **con_cls)
{
	struct td_http *h = cls;
	char *body = NULL;
	size_t len = 0;
	FILE *f;
	int err;

	(void)version;
	(void)upload_data;
	/* Answered at the first call, with the headers: MHD then closes the
	 * connection rather than read a body. */
	if (strcmp(method, MHD_HTTP_METHOD_GET) != 0 && strcmp(method, MHD_HTTP_METHOD_HEAD) != 0)
		return reply_text(c, MHD_HTTP_METHOD_NOT_ALLOWED, "405 method not allowed: GET or HEAD\n");
	/* GET and HEAD are answered at the last call, after any body (read
	 * and dropped), which keeps the connection alive for the next scrape. */
	if (!*con_cls) {
		struct td_conn *k = conn_of(h, c);

		if (k)
			k->due_ms = 0; /* the request is in: no deadline while it is served */
		*con_cls = h;
		return MHD_YES;
	}
	if (*upload_data_size) {
		*upload_data_size = 0;
		return MHD_YES;
	}
	if (strcmp(url, "/") == 0)
		return reply(c, MHD_HTTP_OK, "text/html; charset=utf-8", (void *)index_page, sizeof(index_page) - 1,
			     false);
	if (strcmp(url, "/metrics") != 0)
		return reply_text(c, MHD_HTTP_NOT_FOUND, "404 not found: the metrics are at /metrics\n");

	/* Built per request (HEAD too, for its Content-Length). */
	f = open_memstream(&body, &len);
	if (!f)
		return reply_text(c, MHD_HTTP_INTERNAL_SERVER_ERROR, "500 out of memory\n");
	err = h->fn(h->ctx, f);
	if (fclose(f) || err) {
		free(body);
		return reply_text(c, MHD_HTTP_INTERNAL_SERVER_ERROR, "500 failed to collect the metrics\n");
	}
	return reply(c, MHD_HTTP_OK, TD_PROM_CONTENT_TYPE, body, len, true);
}

static int listen_on(const struct td_listen *l)
{
	struct sockaddr_storage ss;
	socklen_t sl;
	int one = 1, fd, err;

	memset(&ss, 0, sizeof(ss));
	if (l->family == 6) {
		struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)&ss;

		s6->sin6_family = AF_INET6;
		s6->sin6_port = htons(l->port);
		memcpy(&s6->sin6_addr, l->addr, 16);
		sl = sizeof(*s6);
	} else {
		struct sockaddr_in *s4 = (struct sockaddr_in *)&ss;

		s4->sin_family = AF_INET;
		s4->sin_port = htons(l->port);
		memcpy(&s4->sin_addr, l->addr, 4);
		sl = sizeof(*s4);
	}
	fd = socket(ss.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	/* A restart must not wait for the previous run's TIME_WAITs; a live
	 * listener on the port still makes bind() fail. */
	if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) ||
	    bind(fd, (struct sockaddr *)&ss, sl) || listen(fd, LISTEN_BACKLOG)) {
		err = -errno;
		close(fd);
		return err;
	}
	return fd;
}

static void set_busy(struct td_http *h)
{
	static const char body[] = "503 busy: too many connections from this address (or in all); retry later\n";
	int n;

	n = snprintf(h->busy, sizeof(h->busy),
		     "HTTP/1.1 503 Service Unavailable\r\nContent-Type: text/plain; charset=utf-8\r\n"
		     "Content-Length: %zu\r\nRetry-After: 1\r\nConnection: close\r\n\r\n%s",
		     sizeof(body) - 1, body);
	h->busy_len = n > 0 && (size_t)n < sizeof(h->busy) ? (size_t)n : 0;
}

/* Our epoll set: the listener and libmicrohttpd's own epoll fd. */
static int watch(struct td_http *h)
{
	const union MHD_DaemonInfo *info = MHD_get_daemon_info(h->d, MHD_DAEMON_INFO_EPOLL_FD);
	struct epoll_event ev = { .events = EPOLLIN, .data.u64 = TAG_LISTEN };

	if (!info)
		return -EINVAL;
	h->epfd = epoll_create1(EPOLL_CLOEXEC);
	if (h->epfd < 0)
		return -errno;
	if (epoll_ctl(h->epfd, EPOLL_CTL_ADD, h->listen_fd, &ev))
		return -errno;
	ev.data.u64 = TAG_MHD;
	if (epoll_ctl(h->epfd, EPOLL_CTL_ADD, info->epoll_fd, &ev))
		return -errno;
	return 0;
}

/* No listening socket for libmicrohttpd: we accept. Its own limits are a
 * backstop; the idle timeout also ends a connection with no traffic at all
 * while its response is being written. A small per-connection pool (an
 * oversized request line or header block gets 414/431 and a close), and
 * strict parsing. */
static struct MHD_Daemon *start_daemon(struct td_http *h)
{
	return MHD_start_daemon(MHD_USE_EPOLL | MHD_USE_NO_LISTEN_SOCKET, 0, NULL, NULL, on_request, h,
				MHD_OPTION_CONNECTION_LIMIT, (unsigned int)(2 * TD_HTTP_MAX_CONNS),
				MHD_OPTION_CONNECTION_TIMEOUT, (unsigned int)TD_HTTP_IDLE_TIMEOUT_S,
				MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)TD_HTTP_MEMORY_LIMIT,
				MHD_OPTION_NOTIFY_CONNECTION, on_connection, h,
				MHD_OPTION_NOTIFY_COMPLETED, on_completed, h,
				MHD_OPTION_STRICT_FOR_CLIENT, (int)1,
				MHD_OPTION_END);
}

int td_http_start(struct td_http **out, const struct td_listen *l, td_http_metrics_fn fn, void *ctx)
{
	struct td_http *h;
	char where[64];
	int err;

	if (!l->family) {
		td_err("failed to listen: host '%s' not resolved", l->name);
		return -EINVAL;
	}
	td_listen_fmt(where, sizeof(where), l);
	h = calloc(1, sizeof(*h));
	if (!h) {
		td_err("failed to allocate the HTTP server: %s", strerror(errno));
		return -ENOMEM;
	}
	h->fn = fn;
	h->ctx = ctx;
	h->epfd = -1;
	set_busy(h);
	/* Our own socket, so that a bind failure says why. */
	h->listen_fd = listen_on(l);
	if (h->listen_fd < 0) {
		err = h->listen_fd;
		td_err("failed to listen on %s: %s%s", where, strerror(-err),
		       err == -EADDRINUSE ? " (another process has the port: pick another one)" :
		       err == -EADDRNOTAVAIL ? " (not an address of this host)" :
		       err == -EACCES ? " (a port below 1024 needs root or CAP_NET_BIND_SERVICE)" : "");
		goto cleanup;
	}
	h->d = start_daemon(h);
	if (!h->d) {
		err = -EINVAL;
		td_err("failed to start the HTTP server on %s (libmicrohttpd)", where);
		goto cleanup;
	}
	err = watch(h);
	if (err) {
		td_err("failed to start the HTTP server: epoll: %s", strerror(-err));
		goto cleanup;
	}
	*out = h;
	return 0;

cleanup:
	td_http_stop(h);
	return err;
}

int td_http_fd(const struct td_http *h)
{
	return h->epfd;
}

int td_http_wait_ms(struct td_http *h, int max_ms)
{
	uint64_t now = now_ms(), due;
	MHD_UNSIGNED_LONG_LONG mhd;
	int ms = max_ms;

	/* Data MHD has already read, or a connection to time out. */
	if (MHD_get_timeout(h->d, &mhd) == MHD_YES && mhd < (MHD_UNSIGNED_LONG_LONG)ms)
		ms = (int)mhd;
	/* Or one of our deadlines (at time 0, conns_expire only finds the next). */
	due = conns_expire(h, 0);
	if (h->rcount && h->refused[h->rhead].due_ms < due)
		due = h->refused[h->rhead].due_ms;
	if (due != UINT64_MAX && due < now + (uint64_t)ms)
		ms = due > now ? (int)(due - now) : 0;
	return ms;
}

void td_http_run(struct td_http *h)
{
	struct epoll_event ev[64];
	uint64_t now;
	int n;

	n = epoll_wait(h->epfd, ev, sizeof(ev) / sizeof(ev[0]), 0);
	for (int i = 0; i < n; i++) {
		if (ev[i].data.u64 == TAG_LISTEN)
			accept_some(h);
		else if (ev[i].data.u64 != TAG_MHD)
			refused_drain(h, (unsigned)ev[i].data.u64, false);
	}
	now = now_ms();
	refused_expire(h, now);
	conns_expire(h, now);
	MHD_run(h->d);
}

void td_http_stop(struct td_http *h)
{
	if (!h)
		return;
	if (h->d)
		MHD_stop_daemon(h->d); /* closes its connections: CLOSED frees each td_conn */
	while (h->rcount)
		refused_pop(h);
	if (h->listen_fd >= 0)
		close(h->listen_fd);
	if (h->epfd >= 0)
		close(h->epfd);
	free(h);
}
