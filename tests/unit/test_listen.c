/* Unit tests of user/listen.c: the exporter's address as messages write
 * it; resolving leaves a numeric address alone (names: test_prom.c). */
#include <criterion/criterion.h>
#include "listen.h"

Test(listen, written_as_a_url_host_and_port)
{
	struct td_listen l;
	char buf[64];

	cr_assert_eq(td_parse_listen("0.0.0.0:9101", &l), 0);
	cr_assert_str_eq(td_listen_fmt(buf, sizeof(buf), &l), "0.0.0.0:9101");
	cr_assert_eq(td_parse_listen("[::1]:80", &l), 0);
	cr_assert_str_eq(td_listen_fmt(buf, sizeof(buf), &l), "[::1]:80");
	cr_assert_eq(td_parse_listen("9102", &l), 0);
	cr_assert_str_eq(td_listen_fmt(buf, sizeof(buf), &l), "127.0.0.1:9102");
}

Test(listen, a_numeric_address_is_not_resolved)
{
	struct td_listen l, before;

	cr_assert_eq(td_parse_listen("[fe80::1]:9101", &l), 0);
	before = l;
	cr_assert_eq(td_listen_resolve(&l), 0);
	cr_assert_eq(memcmp(&l, &before, sizeof(l)), 0, "a numeric address changed");
}
