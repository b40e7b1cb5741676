/* Listener drops and accept queues against the kernel's own count: a
 * listener whose accept queue stays full, in a namespace of the test's own
 * whose TcpExt ListenDrops nothing else moves. */
#include <errno.h>
#include <string.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>
#include <criterion/criterion.h>
#include "harness.h"
#include "listeners.h"

static const struct td_listener_stat *listener_on(const struct td_listeners *l, uint16_t port)
{
	for (unsigned int i = 0; i < l->n; i++)
		if (l->v[i].port == port)
			return &l->v[i];
	return NULL;
}

static void full_queue_drops(int family)
{
	uint64_t census[TD_CENSUS_MAX], drops;
	const struct td_listener_stat *s;
	struct sockaddr_storage ss;
	struct td_config cfg;
	struct capture c;
	uint16_t port = 0;
	int lfd, filler, fd;

	enter_netns();
	lfd = tcp_listen(family, &port, 0); /* one queued child fills it */
	filler = tcp_connect(family, port);
	sleep_ms(20);
	config_for_port_here(&cfg, port);
	capture_start(&c, &cfg); /* its first census sets the baseline */
	drops = tcpext_counter("ListenDrops");
	fd = socket(family == 4 ? AF_INET : AF_INET6, SOCK_STREAM | SOCK_NONBLOCK, 0);
	cr_assert_geq(fd, 0);
	cr_assert(connect(fd, (struct sockaddr *)&ss, loopback(family, port, &ss)) < 0 && errno == EINPROGRESS);
	sleep_ms(pick_ms(1100, 1400)); /* the first SYN and its retransmit */
	drops = tcpext_counter("ListenDrops") - drops;
	cr_assert_geq(drops, 1, "the kernel dropped no SYN");
	cr_assert_eq(td_tracer_census(c.tracer, census), 0);
	s = listener_on(td_tracer_listeners(c.tracer), port);
	cr_assert_not_null(s, "the census found no listener on %u", port);
	cr_assert_eq(td_listener_dropped(s), drops, "dropped %u, the kernel counted %llu", td_listener_dropped(s),
		     (unsigned long long)drops);
	cr_assert_eq(s->backlog, 1, "accept queue %u, expected 1", s->backlog);
	cr_assert_eq(s->max_backlog, 0, "accept queue limit %u, expected 0", s->max_backlog);
	cr_assert_eq(s->family, family);
	capture_stop(&c);
	close(fd);
	close(filler);
	close(lfd);
}

BOTH_FAMILIES(listen, full_queue_drops, 30)
