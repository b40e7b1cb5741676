/* tcpdwell doctor's rule engine: what a run collected (the live sockets
 * with their ages, the run's totals, the listeners, the losses and the
 * kernel's settings) in, findings out. Pure data, no I/O: collection lives
 * in doctor_main.c, the words of each state in explain.c, rendering in
 * doctor_render.c. */
#ifndef TD_DOCTOR_H
#define TD_DOCTOR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <linux/types.h>
#include "tcpdwell.h"
#include "agg.h"
#include "listeners.h"
#include "opts.h"
#include "sysctls.h"

/* The rules, each with its stable id (JSON "id", --threshold names start
 * with it or its concern). */
#define TD_DOC_RULES(X) \
	X(TD_R_CLOSE_WAIT_LEAK, "close_wait_leak") \
	X(TD_R_TIME_WAIT_PRESSURE, "time_wait_pressure") \
	X(TD_R_TW_BUCKET_LIMIT, "tw_bucket_limit") \
	X(TD_R_SLOW_CONNECTS, "slow_connects") \
	X(TD_R_CONNECT_FAILURES, "connect_failures") \
	X(TD_R_HANDSHAKE_FAILURES, "handshake_failures") \
	X(TD_R_ACCEPT_QUEUE_OVERFLOW, "accept_queue_overflow") \
	X(TD_R_SLOW_ACCEPT, "slow_accept") \
	X(TD_R_FIN_WAIT2_STUCK, "fin_wait2_stuck") \
	X(TD_R_UNACKED_FIN, "unacked_fin") \
	X(TD_R_ORPHANS, "orphans") \
	X(TD_R_RESETS, "resets") \
	X(TD_R_LOST_EVENTS, "lost_events")
#define TD_DOC_ENUM(name, word) name,
enum td_doc_rule { TD_DOC_RULES(TD_DOC_ENUM) TD_R_MAX };
extern const char *const td_doc_rule_ids[TD_R_MAX];

/* The thresholds: name, kind, default, what it means (for --help). */
enum td_th_kind { TD_TH_DURATION, TD_TH_COUNT, TD_TH_PERCENT };
#define TD_DOC_THRESHOLDS(X) \
	X(TD_T_CLOSE_WAIT_AGE, "close_wait_age", TD_TH_DURATION, 30000000000ull, "30s", \
	  "CLOSE_WAIT older than this, or there for the whole run, is a leak") \
	X(TD_T_CLOSE_WAIT_CRIT, "close_wait_critical", TD_TH_COUNT, 100, "100", \
	  "that many leaked CLOSE_WAITs are critical") \
	X(TD_T_TW_PORTS_PCT, "time_wait_ports", TD_TH_PERCENT, 50, "50%", \
	  "TIME_WAITs to one destination, in % of the ephemeral ports") \
	X(TD_T_TW_PORTS_CRIT, "time_wait_ports_critical", TD_TH_PERCENT, 90, "90%", "critical from this %") \
	X(TD_T_TW_BUCKETS_PCT, "tw_buckets", TD_TH_PERCENT, 80, "80%", "TIME_WAITs in % of tcp_max_tw_buckets") \
	X(TD_T_SLOW_CONNECT, "slow_connect", TD_TH_DURATION, 500000000ull, "500ms", \
	  "a connect slower than this (or one that sent a SYN again)") \
	X(TD_T_CONNECT_FAIL_CRIT, "connect_failures_critical", TD_TH_COUNT, 100, "100", \
	  "that many failed connects are critical") \
	X(TD_T_SLOW_ACCEPT, "slow_accept", TD_TH_DURATION, 100000000ull, "100ms", \
	  "a listener's p99 accept-queue wait above this") \
	X(TD_T_ACCEPT_DROPS_CRIT, "accept_drops_critical", TD_TH_COUNT, 100, "100", \
	  "that many SYNs one listener dropped are critical") \
	X(TD_T_FIN_WAIT2_AGE, "fin_wait2_age", TD_TH_DURATION, 0, "tcp_fin_timeout", \
	  "FIN_WAIT2 held by its owner for longer") \
	X(TD_T_UNACKED_FIN_AGE, "unacked_fin_age", TD_TH_DURATION, 10000000000ull, "10s", \
	  "FIN_WAIT1, LAST_ACK or CLOSING older than this") \
	X(TD_T_ORPHANS_PCT, "orphans", TD_TH_PERCENT, 50, "50%", "orphans in % of tcp_max_orphans") \
	X(TD_T_RESETS, "resets", TD_TH_COUNT, 10, "10", \
	  "that many resets are a warning (fewer: info)")
#define TD_TH_ENUM(name, word, kind, def, deftext, help) name,
enum td_doc_th { TD_DOC_THRESHOLDS(TD_TH_ENUM) TD_T_MAX };

struct td_doc_th_info {
	const char *name;
	enum td_th_kind kind;
	uint64_t def; /* ns, a count or a percent; 0 for fin_wait2_age: the sysctl */
	const char *deftext; /* the default as --threshold takes it */
	const char *help;
};
extern const struct td_doc_th_info td_doc_th_info[TD_T_MAX];

struct td_doc_thresholds {
	uint64_t v[TD_T_MAX];
	bool set[TD_T_MAX]; /* given with --threshold */
};
void td_doc_thresholds_default(struct td_doc_thresholds *t);
/* "NAME=VALUE": a duration ("30s", "500ms", the one grammar), a count or a
 * percent ("50", "50%"). 0, or -EINVAL (unknown name, bad value) or
 * -ERANGE; t is untouched on error. */
int td_doc_threshold_parse(struct td_doc_thresholds *t, const char *arg);

enum td_sev { TD_SEV_INFO = 1, TD_SEV_WARNING, TD_SEV_CRITICAL };
const char *td_sev_word(enum td_sev s);
/* "warning" or "critical" (for --fail-on): 0, or -EINVAL. */
int td_sev_parse(const char *s, enum td_sev *out);

/* One live socket of the census, with its age. */
struct td_doc_sock {
	uint8_t state;    /* enum td_state */
	uint8_t family;
	bool age_known;   /* age_ns is set */
	bool at_least;    /* age_ns is a lower bound: the socket predates the run */
	bool orphan;      /* closed by its owner: no file (FIN_WAIT2 in a timewait sock) */
	uint16_t sport, dport;
	uint32_t netns;   /* network namespace inode: each has its own ports */
	uint8_t saddr[16], daddr[16];
	uint64_t age_ns;
	uint32_t pid;     /* holder or owner; 0: unknown */
	char comm[TD_COMM_LEN + 1];
};

/* Sorts the census by identity (state, family, ports, addresses), so that
 * td_doc_socks_better finds a socket of a second reading: it takes that
 * reading's age when exact where its own is a lower bound or unknown, or
 * when a larger lower bound, and its owner where its own is unknown.
 * Whether the age was taken. */
void td_doc_socks_sort(struct td_doc_sock *v, size_t n);
bool td_doc_socks_better(struct td_doc_sock *v, size_t n, const struct td_doc_sock *other);

/* Who: a process (pid > 0) or an endpoint ("127.0.0.1:8080" in key), and
 * how many. A tally keeps the first TD_TALLY_MAX keys and counts the rest
 * as `other`. */
#define TD_TALLY_MAX 64
struct td_tally_item {
	uint32_t pid;
	char key[64];   /* comm of a process; an endpoint */
	/* Its container, pod or unit as td_identity_short gives it ("" none
	 * or unknown), set by collection. */
	char container[64];
	uint64_t count;
};
struct td_tally {
	struct td_tally_item v[TD_TALLY_MAX];
	unsigned n;
	uint64_t other;
};
void td_tally_add(struct td_tally *t, uint32_t pid, const char *key, uint64_t n);
/* The top n items by count (ties by first seen) into out; how many. */
unsigned td_tally_top(const struct td_tally *t, struct td_tally_item *out, unsigned n);

/* What the run's records add to the totals: who connected slowly or
 * failed, who reset, whose handshakes failed, who accepted slowly. Filled
 * by td_doc_note_event/_accept. */
struct td_doc_events {
	struct td_tally slow_owners, slow_peers;
	struct td_tally fail_owners, fail_peers;
	struct td_tally reset_owners, reset_peers;
	struct td_tally reset_senders, reset_receivers; /* the owners, by side */
	struct td_tally hs_ports;     /* failed handshakes per listener ("127.0.0.1:80") */
	struct td_tally hs_reset;     /* those dropped (a RST answered the SYN-ACK), per listener */
	struct td_tally accept_owners; /* slow accepts */
	uint64_t slow;                /* slow connects (TD_T_SLOW_CONNECT or a SYN resent) */
};
void td_doc_note_event(struct td_doc_events *d, const struct td_doc_thresholds *t, const struct td_event *e);
void td_doc_note_accept(struct td_doc_events *d, const struct td_doc_thresholds *t, const struct td_accept *a);

struct td_doc_input {
	const struct td_doc_sock *socks; /* the census at the end */
	size_t nsocks;
	uint64_t census_start[TD_CENSUS_MAX]; /* per state at the run's start */
	bool census_start_ok;
	const struct td_agg *agg;         /* the run's totals */
	const struct td_doc_events *ev;
	struct td_loss loss;
	const struct td_listeners *listeners;
	struct td_sysctls sys;
	uint64_t duration_ns;
	bool timers;  /* TIME_WAIT and request socks were followed (-T) */
	bool filtered; /* filters narrow the run: losses, counted for every
			  socket, may be of others (lost_events is then info) */
};

/* One finding. */
#define TD_EVIDENCE_MAX 12
#define TD_OWNERS_MAX 5
enum td_ev_kind { TD_EV_NUM, TD_EV_DUR, TD_EV_PCT, TD_EV_STR };
struct td_evidence {
	const char *key;
	enum td_ev_kind kind;
	uint64_t num;   /* a count, ns, or a percent times 10 */
	char str[64];
};
struct td_finding {
	enum td_sev sev;
	enum td_doc_rule rule;
	char title[160];
	struct td_evidence ev[TD_EVIDENCE_MAX];
	unsigned nev;
	struct td_tally_item owners[TD_OWNERS_MAX]; /* processes (pid > 0) or endpoints */
	unsigned nowners;
	const char *meaning; /* explain.c's words */
	char action[640];
};

#define TD_FINDINGS_MAX 64
struct td_findings {
	struct td_finding v[TD_FINDINGS_MAX];
	unsigned n;
};

/* Every rule over in; findings most severe first (stable within one
 * severity: the rules' order). */
void td_doctor_run(const struct td_doc_input *in, const struct td_doc_thresholds *t, struct td_findings *out);
/* Whether a finding at or above sev exists. */
bool td_findings_reach(const struct td_findings *f, enum td_sev sev);

/* Rendering (doctor_render.c). */
struct td_doc_render {
	bool color;          /* ANSI colours on the severity words */
	uint64_t duration_ns;
	size_t nsocks;       /* sockets in the census */
	uint64_t events;     /* transitions seen */
	uint64_t lost;
};
void td_doctor_render_text(FILE *f, const struct td_findings *fs, const struct td_doc_render *o);
void td_doctor_render_json(FILE *f, const struct td_findings *fs, const struct td_doc_render *o);

/* `tcpdwell doctor`'s options. */
struct doctor_opts {
	struct td_config cfg;  /* first (the shared rows fill it): filters, -j, -d */
	struct td_doc_thresholds th;
	int fail_on;           /* enum td_sev; 0: exit 0 whatever is found */
	bool no_color;
};
/* 0 to run, 1 after --help, or TD_EXIT_USAGE after one line on err. */
int td_parse_doctor_args(struct doctor_opts *o, int argc, char **argv, FILE *out, FILE *err);
/* `tcpdwell doctor`; argv[0] is "doctor". The exit status. */
int td_doctor_main(int argc, char **argv);

#endif
