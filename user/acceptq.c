/* Accept-queue waits per listener port, with a cap and "other". */
#include <string.h>
#include "acceptq.h"

struct td_port_wait *td_accept_slot(struct td_accept_waits *w, uint16_t port)
{
	for (unsigned i = 0; i < w->n; i++)
		if (w->port[i].port == port)
			return &w->port[i];
	if (w->n == TD_ACCEPT_PORTS || port == 0)
		return &w->other;
	w->port[w->n].port = port;
	return &w->port[w->n++];
}

void td_accept_add(struct td_accept_waits *w, uint16_t port, bool known, uint64_t wait_ns)
{
	struct td_port_wait *p = td_accept_slot(w, port);

	if (known)
		hist_add(&p->h, wait_ns);
	else
		p->unknown++;
}

static void port_merge(struct td_port_wait *dst, const struct td_port_wait *src)
{
	hist_merge(&dst->h, &src->h);
	dst->unknown += src->unknown;
}

void td_accept_add_kernel(struct td_accept_waits *w, uint16_t port, const struct td_kaccept *k)
{
	struct td_port_wait p = { .unknown = k->unknown };

	/* Same layout, fixed-width fields (asserted in agg.c). */
	memcpy(&p.h, &k->h, sizeof(p.h));
	port_merge(port ? td_accept_slot(w, port) : &w->other, &p);
}

void td_accept_merge(struct td_accept_waits *dst, const struct td_accept_waits *src)
{
	for (unsigned i = 0; i < src->n; i++)
		port_merge(td_accept_slot(dst, src->port[i].port), &src->port[i]);
	port_merge(&dst->other, &src->other);
}

static void port_delta(struct td_port_wait *dst, const struct td_port_wait *cur, const struct td_port_wait *prev)
{
	static const struct td_port_wait none;

	if (!prev)
		prev = &none;
	hist_delta(&dst->h, &cur->h, &prev->h);
	dst->unknown = cur->unknown - prev->unknown;
}

static const struct td_port_wait *find_port(const struct td_accept_waits *w, uint16_t port)
{
	for (unsigned i = 0; i < w->n; i++)
		if (w->port[i].port == port)
			return &w->port[i];
	return NULL;
}

void td_accept_delta(struct td_accept_waits *dst, const struct td_accept_waits *cur,
		     const struct td_accept_waits *prev)
{
	memset(dst, 0, sizeof(*dst));
	for (unsigned i = 0; i < cur->n; i++)
		port_delta(td_accept_slot(dst, cur->port[i].port), &cur->port[i], find_port(prev, cur->port[i].port));
	port_delta(&dst->other, &cur->other, &prev->other);
}

void td_accept_total(const struct td_accept_waits *w, struct td_port_wait *out)
{
	memset(out, 0, sizeof(*out));
	for (unsigned i = 0; i < w->n; i++)
		port_merge(out, &w->port[i]);
	port_merge(out, &w->other);
}
