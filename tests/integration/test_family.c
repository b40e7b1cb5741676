/* A dual-stack listener (AF_INET6, IPV6_V6ONLY off) serving an IPv4
 * client: its child is an AF_INET6 socket with v4-mapped addresses, which
 * tcpdwell reports as IPv4, so that -4 sees it. */
#include <errno.h>
#include <string.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>
#include <criterion/criterion.h>
#include "harness.h"

static int dual_stack_listener(uint16_t *port)
{
	struct sockaddr_in6 a = { .sin6_family = AF_INET6, .sin6_addr = IN6ADDR_ANY_INIT };
	socklen_t len = sizeof(a);
	int off = 0, one = 1, fd = socket(AF_INET6, SOCK_STREAM, 0);

	cr_assert_geq(fd, 0);
	cr_assert_eq(setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &off, sizeof(off)), 0);
	cr_assert_eq(setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)), 0);
	cr_assert_eq(bind(fd, (struct sockaddr *)&a, sizeof(a)), 0, "bind: %s", strerror(errno));
	cr_assert_eq(listen(fd, 8), 0);
	cr_assert_eq(getsockname(fd, (struct sockaddr *)&a, &len), 0);
	*port = ntohs(a.sin6_port);
	return fd;
}

Test(family, v4_mapped_child_is_ipv4, .init = require_root, .timeout = 30)
{
	const struct td_event *e;
	struct td_config cfg;
	struct capture c;
	uint16_t port, cport;
	uint8_t lo[4] = { 127, 0, 0, 1 };
	int lfd = dual_stack_listener(&port), cfd, sfd;

	config_for_port_here(&cfg, port);
	cfg.family = 4;
	capture_start(&c, &cfg);
	cfd = tcp_connect(4, port);
	cport = local_port(cfd);
	sfd = accept(lfd, NULL, NULL);
	cr_assert_geq(sfd, 0);
	close(cfd);
	sleep_ms(50);
	close(sfd);
	close(lfd);
	capture_wait(&c, 9, 3000);
	/* the server's child: an AF_INET6 socket, reported as IPv4 */
	e = find_event(&c, port, cport, TD_ESTABLISHED, TD_CLOSE_WAIT);
	cr_assert_not_null(e, "-4 did not see the dual-stack listener's v4-mapped child");
	cr_assert_eq(e->family, 4);
	cr_assert_eq(memcmp(e->saddr, lo, 4), 0, "saddr not 127.0.0.1");
	cr_assert_eq(memcmp(e->daddr, lo, 4), 0, "daddr not 127.0.0.1");
	cr_assert_not_null(find_event(&c, port, cport, TD_LAST_ACK, TD_CLOSE), "the child's end not seen");
	/* the listener itself is an IPv6 socket: -4 leaves it out */
	cr_assert_null(find_event(&c, port, 0, TD_LISTEN, TD_CLOSE));
	capture_stop(&c);
}
