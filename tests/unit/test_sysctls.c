/* Unit tests of user/sysctls.c on a directory tree of the test's own. */
#include <criterion/criterion.h>
#include <sys/stat.h>
#include "test_util.h"
#include "sysctls.h"

static void put(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");

	cr_assert_not_null(f, "%s", path);
	fputs(text, f);
	fclose(f);
}

Test(sysctls, reads_values_ranges_and_orphans)
{
	char root[] = "/tmp/td-sysctl-XXXXXX", p[256], buf[64];
	struct td_sysctls s;

	cr_assert_not_null(mkdtemp(root));
	snprintf(p, sizeof(p), "%s/net", root);
	mkdir(p, 0700);
	snprintf(p, sizeof(p), "%s/net/ipv4", root);
	mkdir(p, 0700);
	snprintf(p, sizeof(p), "%s/net/ipv4/tcp_fin_timeout", root);
	put(p, "30\n");
	snprintf(p, sizeof(p), "%s/net/ipv4/ip_local_port_range", root);
	put(p, "40000\t40099\n");
	snprintf(p, sizeof(p), "%s/net/ipv4/tcp_tw_reuse", root);
	put(p, "junk\n");
	snprintf(p, sizeof(p), "%s/sockstat", root);
	put(p, "sockets: used 5\nTCP: inuse 3 orphan 7 tw 2 alloc 4 mem 1\nUDP: inuse 0 mem 0\n");
	td_sysctls_read(&s, root, p);
	cr_expect(s.known[TD_SC_FIN_TIMEOUT]);
	cr_expect_eq(s.v[TD_SC_FIN_TIMEOUT], 30);
	cr_expect(s.known[TD_SC_PORT_RANGE]);
	cr_expect_str_eq(td_sysctl_fmt(&s, TD_SC_PORT_RANGE, buf, sizeof(buf)), "40000 40099");
	cr_expect_not(s.known[TD_SC_TW_REUSE]);
	cr_expect_str_eq(td_sysctl_fmt(&s, TD_SC_TW_REUSE, buf, sizeof(buf)), "?");
	cr_expect_not(s.known[TD_SC_SOMAXCONN]);
	cr_expect(s.orphans_known);
	cr_expect_eq(s.orphans, 7);
	cr_expect_str_eq(td_sysctl_name(TD_SC_SOMAXCONN), "net.core.somaxconn");
	snprintf(buf, sizeof(buf), "rm -rf %s", root);
	cr_expect_eq(system(buf), 0);
}

Test(sysctls, sockstat_lines)
{
	cr_expect_eq(td_sockstat_orphans("TCP: inuse 3 orphan 0 tw 2\n"), 0);
	cr_expect_eq(td_sockstat_orphans("TCP: inuse 3 orphan 12 tw 2\n"), 12);
	cr_expect_eq(td_sockstat_orphans("UDP: inuse 3\n"), -1);
	cr_expect_eq(td_sockstat_orphans("TCP: inuse 3 tw 2\n"), -1);
}
