/* Building a finding, for the rules of doctor_rules.c and
 * doctor_rules_run.c: a finding, its evidence, title and action, the
 * census's sockets gathered by state and age. */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include "doctor_build.h"
#include "render.h"

struct td_finding *td_doc_new(struct td_findings *out, enum td_doc_rule rule, enum td_sev sev)
{
	struct td_finding *f;

	if (out->n == TD_FINDINGS_MAX)
		return NULL;
	f = &out->v[out->n++];
	memset(f, 0, sizeof(*f));
	f->rule = rule;
	f->sev = sev;
	return f;
}

void td_doc_ev(struct td_finding *f, const char *key, enum td_ev_kind kind, uint64_t num, const char *str)
{
	struct td_evidence *e;

	if (f->nev == TD_EVIDENCE_MAX)
		return;
	e = &f->ev[f->nev++];
	e->key = key;
	e->kind = kind;
	e->num = num;
	if (str)
		snprintf(e->str, sizeof(e->str), "%s", str);
}

void td_doc_title(struct td_finding *f, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(f->title, sizeof(f->title), fmt, ap);
	va_end(ap);
}

/* Appends to the action. */
void td_doc_act(struct td_finding *f, const char *fmt, ...)
{
	size_t n = strlen(f->action);
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(f->action + n, sizeof(f->action) - n, fmt, ap);
	va_end(ap);
}

/* "net.ipv4.tcp_fin_timeout = 60" */
const char *td_doc_setting(const struct td_doc_input *in, enum td_sysctl s, char *buf, unsigned len)
{
	char v[48];

	snprintf(buf, len, "%s = %s", td_sysctl_name(s), td_sysctl_fmt(&in->sys, s, v, sizeof(v)));
	return buf;
}

void td_doc_owners(struct td_finding *f, const struct td_tally *t)
{
	f->nowners = td_tally_top(t, f->owners, TD_OWNERS_MAX);
}

/* "127.0.0.1:8080 (12)": a tally's first item, for the evidence. */
void td_doc_top_key(const struct td_tally *t, char *buf, size_t len)
{
	struct td_tally_item top;

	buf[0] = '\0';
	if (td_tally_top(t, &top, 1))
		snprintf(buf, len, "%.48s (%llu)", top.key, (unsigned long long)top.count);
}

const char *td_doc_dur(char *buf, size_t len, uint64_t ns)
{
	return td_fmt_duration(buf, len, ns);
}

uint64_t td_doc_pct10(uint64_t part, uint64_t whole)
{
	return whole ? part * 1000 / whole : 0;
}

/* ---- sockets of the census ---- */

void td_doc_sock_owner(struct td_tally *t, const struct td_doc_sock *s)
{
	td_tally_add(t, s->pid, s->pid ? s->comm : "?", 1);
}

void td_doc_find_old(const struct td_doc_input *in, int state, bool held_only, uint64_t min_ns,
		     uint64_t whole_run_ns, struct td_old_socks *o)
{
	memset(o, 0, sizeof(*o));
	for (size_t i = 0; i < in->nsocks; i++) {
		const struct td_doc_sock *s = &in->socks[i];
		char peer[80], a[64];

		if (s->state != state || (held_only && s->orphan))
			continue;
		o->total++;
		if (!s->age_known) {
			o->unknown_age++;
			continue;
		}
		if (s->age_ns < min_ns && !(whole_run_ns && s->age_ns >= whole_run_ns))
			continue;
		o->n++;
		o->whole_run += s->age_ns < min_ns;
		if (s->age_ns > o->oldest) {
			o->oldest = s->age_ns;
			o->oldest_at_least = s->at_least;
		}
		td_doc_sock_owner(&o->owners, s);
		td_fmt_addr(a, sizeof(a), s->family, s->daddr);
		snprintf(peer, sizeof(peer), s->family == 6 ? "[%s]:%u" : "%s:%u", a, s->dport);
		td_tally_add(&o->peers, 0, peer, 1);
	}
}

void td_doc_old_evidence(struct td_finding *f, const struct td_old_socks *o, const char *key, uint64_t min_ns)
{
	td_doc_ev(f, key, TD_EV_NUM, o->n, NULL);
	td_doc_ev(f, "threshold", TD_EV_DUR, min_ns, NULL);
	td_doc_ev(f, "in_state_now", TD_EV_NUM, o->total, NULL);
	td_doc_ev(f, o->oldest_at_least ? "oldest_at_least" : "oldest", TD_EV_DUR, o->oldest, NULL);
	if (o->unknown_age)
		td_doc_ev(f, "age_unknown", TD_EV_NUM, o->unknown_age, NULL);
}

uint64_t td_doc_count_state(const struct td_doc_input *in, int state)
{
	uint64_t n = 0;

	for (size_t i = 0; i < in->nsocks; i++)
		n += in->socks[i].state == state;
	return n;
}

/* Stable: most severe first, the rules' order within one severity. */
void td_doc_sort(struct td_findings *out)
{
	for (unsigned i = 1; i < out->n; i++) {
		struct td_finding tmp = out->v[i];
		unsigned j = i;

		for (; j > 0 && out->v[j - 1].sev < tmp.sev; j--)
			out->v[j] = out->v[j - 1];
		out->v[j] = tmp;
	}
}

