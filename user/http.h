/* The exporter's HTTP server (libmicrohttpd), run from the caller's event
 * loop: no threads, so the metrics are never read while being written. */
#ifndef TD_HTTP_H
#define TD_HTTP_H

#include <stdio.h>
#include "opts.h"

/* Budgets against what the network may send. tcpdwell accepts connections
 * itself and hands at most TD_HTTP_MAX_CONNS to libmicrohttpd, at most
 * TD_HTTP_MAX_CONNS_PER_IP from one client address; any other connection
 * is answered 503 at once and closed (after the client closes, or
 * TD_HTTP_REFUSED_LINGER_MS, so that its request gets no reset). */
#define TD_HTTP_MAX_CONNS 256
#define TD_HTTP_MAX_CONNS_PER_IP 16
#define TD_HTTP_MAX_REFUSED 256 /* refused connections lingering; the oldest goes first */
#define TD_HTTP_REFUSED_LINGER_MS 1000
/* A connection must have sent its request line and headers this long after
 * it was accepted, however slowly the bytes trickle in (slowloris). */
#define TD_HTTP_REQUEST_TIMEOUT_S 2
/* After a response, the next request must be in within this (keep-alive);
 * also libmicrohttpd's timeout for a connection with no traffic at all. */
#define TD_HTTP_IDLE_TIMEOUT_S 10
#define TD_HTTP_MEMORY_LIMIT 8192 /* per connection: request line + headers */

/* Writes the /metrics body to f; non-zero makes the response a 500. */
typedef int (*td_http_metrics_fn)(void *ctx, FILE *f);

struct td_http;

/* Binds and listens on l, then starts the server. On failure prints one
 * "tcpdwell: failed to ..." line to stderr and returns -errno. */
int td_http_start(struct td_http **out, const struct td_listen *l, td_http_metrics_fn fn, void *ctx);
/* The fd to wait on for clients (readable: td_http_run has work). */
int td_http_fd(const struct td_http *h);
/* max_ms, or less if a connection's deadline or data libmicrohttpd has
 * read already is due sooner: how long the caller may wait on the fd. */
int td_http_wait_ms(struct td_http *h, int max_ms);
/* Accepts, refuses, times out and serves whatever is ready, without
 * blocking. */
void td_http_run(struct td_http *h);
void td_http_stop(struct td_http *h);

#endif
