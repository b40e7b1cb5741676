/* HTTP for the Prometheus exporter: GET/HEAD /metrics and /, 404 for other
 * paths, 405 for other methods. libmicrohttpd runs in epoll mode without a
 * thread of its own: the caller polls its epoll fd and calls td_http_run. */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
#include <microhttpd.h>
#include "http.h"
#include "prom.h"

struct td_http {
	struct MHD_Daemon *d;
	int epfd;
	td_http_metrics_fn fn;
	void *ctx;
};

static const char index_page[] =
	"<!DOCTYPE html>\n<html><head><title>tcpdwell</title></head><body>\n"
	"<h1>tcpdwell</h1>\n<p>How long TCP connections dwell in each state: "
	"<a href=\"/metrics\">/metrics</a></p>\n</body></html>\n";

char *td_http_fmt_listen(char *buf, size_t len, const struct td_listen *l)
{
	char a[INET6_ADDRSTRLEN];

	if (!inet_ntop(l->family == 6 ? AF_INET6 : AF_INET, l->addr, a, sizeof(a)))
		snprintf(a, sizeof(a), "?");
	snprintf(buf, len, l->family == 6 ? "[%s]:%u" : "%s:%u", a, l->port);
	return buf;
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
	    bind(fd, (struct sockaddr *)&ss, sl) || listen(fd, 64)) {
		err = -errno;
		close(fd);
		return err;
	}
	return fd;
}

int td_http_start(struct td_http **out, const struct td_listen *l, td_http_metrics_fn fn, void *ctx)
{
	const union MHD_DaemonInfo *info;
	struct td_http *h;
	char where[64];
	int fd, err;

	td_http_fmt_listen(where, sizeof(where), l);
	h = calloc(1, sizeof(*h));
	if (!h) {
		fprintf(stderr, "tcpdwell: failed to allocate the HTTP server: %s\n", strerror(errno));
		return -ENOMEM;
	}
	h->fn = fn;
	h->ctx = ctx;
	/* Our own socket, so that a bind failure says why. */
	fd = listen_on(l);
	if (fd < 0) {
		err = fd;
		fprintf(stderr, "tcpdwell: failed to listen on %s: %s%s\n", where, strerror(-err),
			err == -EADDRINUSE ? " (another process has the port: pick another one)" :
			err == -EADDRNOTAVAIL ? " (not an address of this host)" : "");
		goto cleanup;
	}
	/* Bounded clients, an idle timeout, a small per-connection pool (an
	 * oversized request line or header block gets 414/431 and a close), and
	 * strict parsing. MHD owns fd once started. */
	h->d = MHD_start_daemon(MHD_USE_EPOLL, 0, NULL, NULL, on_request, h,
				MHD_OPTION_LISTEN_SOCKET, (MHD_socket)fd,
				MHD_OPTION_CONNECTION_LIMIT, (unsigned int)TD_HTTP_MAX_CONNS,
				MHD_OPTION_PER_IP_CONNECTION_LIMIT, (unsigned int)TD_HTTP_MAX_CONNS_PER_IP,
				MHD_OPTION_CONNECTION_TIMEOUT, (unsigned int)TD_HTTP_TIMEOUT_S,
				MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)TD_HTTP_MEMORY_LIMIT,
				MHD_OPTION_STRICT_FOR_CLIENT, (int)1,
				MHD_OPTION_END);
	if (!h->d) {
		err = -EINVAL;
		if (fcntl(fd, F_GETFD) != -1) /* whether MHD closed it varies by version */
			close(fd);
		fprintf(stderr, "tcpdwell: failed to start the HTTP server on %s (libmicrohttpd)\n", where);
		goto cleanup;
	}
	info = MHD_get_daemon_info(h->d, MHD_DAEMON_INFO_EPOLL_FD);
	if (!info) {
		err = -EINVAL;
		fprintf(stderr, "tcpdwell: failed to start the HTTP server: libmicrohttpd without epoll\n");
		goto cleanup;
	}
	h->epfd = info->epoll_fd;
	*out = h;
	return 0;

cleanup:
	td_http_stop(h);
	return err;
}

int td_http_wait(struct td_http *h, int other_fd, int max_ms)
{
	struct pollfd p[2] = { { .fd = h->epfd, .events = POLLIN }, { .fd = other_fd, .events = POLLIN } };
	MHD_UNSIGNED_LONG_LONG due;
	int ms = max_ms;

	/* Data MHD has already read, or a connection to time out. */
	if (MHD_get_timeout(h->d, &due) == MHD_YES && due < (MHD_UNSIGNED_LONG_LONG)ms)
		ms = (int)due;
	return poll(p, other_fd >= 0 ? 2 : 1, ms);
}

void td_http_run(struct td_http *h)
{
	MHD_run(h->d);
}

void td_http_stop(struct td_http *h)
{
	if (!h)
		return;
	if (h->d)
		MHD_stop_daemon(h->d);
	free(h);
}
