/* What doctor's rules (doctor_rules.c, doctor_rules_run.c) build findings
 * with: doctor_find.c. */
#ifndef TD_DOCTOR_BUILD_H
#define TD_DOCTOR_BUILD_H

#include "doctor.h"

/* A new finding at the end of out, or NULL when out is full. */
struct td_finding *td_doc_new(struct td_findings *out, enum td_doc_rule rule, enum td_sev sev);
/* One item of evidence (str: TD_EV_STR only). */
void td_doc_ev(struct td_finding *f, const char *key, enum td_ev_kind kind, uint64_t num, const char *str);
void td_doc_title(struct td_finding *f, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Appends to the action. */
void td_doc_act(struct td_finding *f, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* "net.ipv4.tcp_fin_timeout = 60" */
const char *td_doc_setting(const struct td_doc_input *in, enum td_sysctl s, char *buf, unsigned len);
/* The top processes or endpoints of t as the finding's owners. */
void td_doc_owners(struct td_finding *f, const struct td_tally *t);
/* "127.0.0.1:8080 (12)": t's first item; "" when empty. */
void td_doc_top_key(const struct td_tally *t, char *buf, size_t len);
const char *td_doc_dur(char *buf, size_t len, uint64_t ns);
/* part/whole in tenths of a percent. */
uint64_t td_doc_pct10(uint64_t part, uint64_t whole);

/* The sockets of one state older than min_ns (lower bounds count when
 * enough): their number, all of that state, those of unknown age, the
 * oldest and whether it is a lower bound, who holds them and their peers.
 * With whole_run_ns (the run's duration), a socket whose age reaches it
 * counts too: it was in the state for the whole run (doctor's own times
 * of sockets older than the run are lower bounds from its start; another
 * tracer's may be exact); whole_run counts those below min_ns. */
struct td_old_socks {
	uint64_t n, whole_run, total, unknown_age, oldest;
	bool oldest_at_least;
	struct td_tally owners, peers;
};
/* held_only leaves out orphans (closed by their owner). */
void td_doc_find_old(const struct td_doc_input *in, int state, bool held_only, uint64_t min_ns,
		     uint64_t whole_run_ns, struct td_old_socks *o);
void td_doc_old_evidence(struct td_finding *f, const struct td_old_socks *o, const char *key, uint64_t min_ns);
void td_doc_sock_owner(struct td_tally *t, const struct td_doc_sock *s);
uint64_t td_doc_count_state(const struct td_doc_input *in, int state);
/* Most severe first, the rules' order kept within one severity. */
void td_doc_sort(struct td_findings *out);

/* The rules of the run's records (doctor_rules_run.c). */
void td_doctor_rules_traced(const struct td_doc_input *in, const struct td_doc_thresholds *t,
			    struct td_findings *out);

#endif
