/* The kernel settings that govern TCP's states, read for tcpdwell doctor:
 * a sibling of kfacts.c (which reads what the tracer needs at start). */
#ifndef TD_SYSCTLS_H
#define TD_SYSCTLS_H

#include <stdbool.h>
#include <stdint.h>

/* Each setting: its enum, its name as sysctl(8) spells it. */
#define TD_SYSCTL_LIST(X) \
	X(TD_SC_FIN_TIMEOUT, "net.ipv4.tcp_fin_timeout") \
	X(TD_SC_TW_REUSE, "net.ipv4.tcp_tw_reuse") \
	X(TD_SC_PORT_RANGE, "net.ipv4.ip_local_port_range") \
	X(TD_SC_MAX_TW_BUCKETS, "net.ipv4.tcp_max_tw_buckets") \
	X(TD_SC_SOMAXCONN, "net.core.somaxconn") \
	X(TD_SC_MAX_SYN_BACKLOG, "net.ipv4.tcp_max_syn_backlog") \
	X(TD_SC_SYNCOOKIES, "net.ipv4.tcp_syncookies") \
	X(TD_SC_SYN_RETRIES, "net.ipv4.tcp_syn_retries") \
	X(TD_SC_SYNACK_RETRIES, "net.ipv4.tcp_synack_retries") \
	X(TD_SC_KEEPALIVE_TIME, "net.ipv4.tcp_keepalive_time") \
	X(TD_SC_KEEPALIVE_INTVL, "net.ipv4.tcp_keepalive_intvl") \
	X(TD_SC_KEEPALIVE_PROBES, "net.ipv4.tcp_keepalive_probes") \
	X(TD_SC_MAX_ORPHANS, "net.ipv4.tcp_max_orphans") \
	X(TD_SC_ORPHAN_RETRIES, "net.ipv4.tcp_orphan_retries")
#define TD_SC_ENUM(name, word) name,
enum td_sysctl { TD_SYSCTL_LIST(TD_SC_ENUM) TD_SC_MAX };

struct td_sysctls {
	int64_t v[TD_SC_MAX];  /* the value (ip_local_port_range: its low end) */
	int64_t port_hi;       /* ip_local_port_range's high end */
	bool known[TD_SC_MAX];
	int64_t orphans;       /* /proc/net/sockstat "orphan": the kernel's count now */
	bool orphans_known;
};

/* "net.ipv4.tcp_fin_timeout". */
const char *td_sysctl_name(enum td_sysctl s);
/* The value as sysctl(8) shows it ("32768 60999"), into buf; "?" when unknown. */
const char *td_sysctl_fmt(const struct td_sysctls *s, enum td_sysctl which, char *buf, unsigned len);
/* Every setting under root ("/proc/sys" here; a test's directory), and the
 * orphan count from sockstat (a path; NULL: none). Unreadable ones stay
 * unknown. */
void td_sysctls_read(struct td_sysctls *s, const char *root, const char *sockstat);
/* The "orphan N" of a /proc/net/sockstat "TCP:" line; -1 when absent. */
int64_t td_sockstat_orphans(const char *line);

#endif
