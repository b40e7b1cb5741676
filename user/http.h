/* The exporter's HTTP server (libmicrohttpd), run from the caller's event
 * loop: no threads, so the metrics are never read while being written. */
#ifndef TD_HTTP_H
#define TD_HTTP_H

#include <stdio.h>
#include "opts.h"

/* Limits against what the network may send. */
#define TD_HTTP_MAX_CONNS 16
#define TD_HTTP_MAX_CONNS_PER_IP 8
#define TD_HTTP_TIMEOUT_S 10
#define TD_HTTP_MEMORY_LIMIT 8192 /* per connection: request line + headers */

/* Writes the /metrics body to f; non-zero makes the response a 500. */
typedef int (*td_http_metrics_fn)(void *ctx, FILE *f);

struct td_http;

/* Binds and listens on l, then starts the server. On failure prints one
 * "tcpdwell: failed to ..." line to stderr and returns -errno. */
int td_http_start(struct td_http **out, const struct td_listen *l, td_http_metrics_fn fn, void *ctx);
/* Waits until the server or other_fd (if >= 0) is readable, a connection
 * timeout is due, or max_ms pass; returns poll()'s result. */
int td_http_wait(struct td_http *h, int other_fd, int max_ms);
/* Serves whatever is ready, without blocking. */
void td_http_run(struct td_http *h);
void td_http_stop(struct td_http *h);
/* "127.0.0.1:9101", "[::1]:9101". */
char *td_http_fmt_listen(char *buf, size_t len, const struct td_listen *l);

#endif
