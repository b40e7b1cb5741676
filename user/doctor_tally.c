/* Doctor's tallies: who (process or endpoint) a run's records charge with
 * slow or failed connects, resets, failed handshakes and slow accepts.
 * Pure: fed one record at a time. */
#include <stdio.h>
#include <string.h>
#include "doctor.h"
#include "render.h"

void td_tally_add(struct td_tally *t, uint32_t pid, const char *key, uint64_t n)
{
	for (unsigned i = 0; i < t->n; i++) {
		if (t->v[i].pid == pid && strcmp(t->v[i].key, key) == 0) {
			t->v[i].count += n;
			return;
		}
	}
	if (t->n == TD_TALLY_MAX) {
		t->other += n;
		return;
	}
	t->v[t->n].pid = pid;
	snprintf(t->v[t->n].key, sizeof(t->v[t->n].key), "%s", key);
	t->v[t->n].container[0] = '\0';
	t->v[t->n].count = n;
	t->n++;
}

unsigned td_tally_top(const struct td_tally *t, struct td_tally_item *out, unsigned n)
{
	bool taken[TD_TALLY_MAX] = { false };
	unsigned k = 0;

	for (; k < n && k < t->n; k++) {
		int best = -1;

		for (unsigned i = 0; i < t->n; i++)
			if (!taken[i] && (best < 0 || t->v[i].count > t->v[best].count))
				best = (int)i;
		taken[best] = true;
		out[k] = t->v[best];
	}
	return k;
}

/* "127.0.0.1:8080", "[::1]:8080". */
static void endpoint(char *buf, size_t len, int family, const uint8_t *addr, uint16_t port)
{
	char a[64];

	td_fmt_addr(a, sizeof(a), family, addr);
	snprintf(buf, len, family == 6 ? "[%s]:%u" : "%s:%u", a, port);
}

static void owner_add(struct td_tally *t, const struct td_event *e)
{
	char comm[TD_COMM_LEN + 1];

	if (!(e->flags & TD_F_PID_KNOWN)) {
		td_tally_add(t, 0, "?", 1);
		return;
	}
	memcpy(comm, e->comm, TD_COMM_LEN);
	comm[TD_COMM_LEN] = '\0';
	td_tally_add(t, e->pid, comm, 1);
}

static void note_connect(struct td_doc_events *d, const struct td_doc_thresholds *t, const struct td_event *e)
{
	char peer[80];
	bool known = e->flags & TD_F_DWELL_KNOWN;

	endpoint(peer, sizeof(peer), e->family, e->daddr, e->dport);
	if (e->connect == TD_CONNECT_ESTABLISHED) {
		if (e->retrans || (known && e->dwell_ns >= t->v[TD_T_SLOW_CONNECT])) {
			d->slow++;
			owner_add(&d->slow_owners, e);
			td_tally_add(&d->slow_peers, 0, peer, 1);
		}
	} else if (e->connect == TD_CONNECT_REFUSED || e->connect == TD_CONNECT_TIMEOUT ||
		   e->connect == TD_CONNECT_UNREACHABLE) {
		owner_add(&d->fail_owners, e);
		td_tally_add(&d->fail_peers, 0, peer, 1);
	}
}

void td_doc_note_event(struct td_doc_events *d, const struct td_doc_thresholds *t, const struct td_event *e)
{
	char where[80];

	if (e->oldstate == TD_SYN_SENT && e->connect) {
		note_connect(d, t, e);
		return;
	}
	if (e->newstate == TD_CLOSE && (e->close == TD_CLOSE_RESET_RECEIVED || e->close == TD_CLOSE_RESET_SENT)) {
		endpoint(where, sizeof(where), e->family, e->daddr, e->dport);
		owner_add(&d->reset_owners, e);
		owner_add(e->close == TD_CLOSE_RESET_SENT ? &d->reset_senders : &d->reset_receivers, e);
		td_tally_add(&d->reset_peers, 0, where, 1);
		return;
	}
	if (e->oldstate == TD_SYN_RECV && e->newstate == TD_CLOSE &&
	    (e->hs_outcome == TD_HS_EXPIRED || e->hs_outcome == TD_HS_DROPPED)) {
		endpoint(where, sizeof(where), e->family, e->saddr, e->sport);
		td_tally_add(&d->hs_ports, 0, where, 1);
		if (e->hs_outcome == TD_HS_DROPPED)
			td_tally_add(&d->hs_reset, 0, where, 1);
	}
}

void td_doc_note_accept(struct td_doc_events *d, const struct td_doc_thresholds *t, const struct td_accept *a)
{
	char comm[TD_COMM_LEN + 1];

	if (!(a->flags & TD_F_DWELL_KNOWN) || a->wait_ns < t->v[TD_T_SLOW_ACCEPT])
		return;
	memcpy(comm, a->comm, TD_COMM_LEN);
	comm[TD_COMM_LEN] = '\0';
	td_tally_add(&d->accept_owners, a->pid, comm, 1);
}
