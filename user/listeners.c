/* The listener table: matched by socket address and port from census to
 * census, its drops counted from the first census that saw it. */
#include <string.h>
#include "listeners.h"

void td_listeners_begin(struct td_listeners *l)
{
	for (unsigned int i = 0; i < l->n; i++)
		l->v[i].seen = false;
	l->untracked = 0;
}

static struct td_listener_stat *find(struct td_listeners *l, const struct td_listener *r)
{
	for (unsigned int i = 0; i < l->n; i++)
		if (l->v[i].skaddr == r->skaddr && l->v[i].port == r->port && l->v[i].netns == r->netns)
			return &l->v[i];
	return NULL;
}

void td_listeners_update(struct td_listeners *l, const struct td_listener *r)
{
	struct td_listener_stat *s = find(l, r);

	if (!s) {
		if (l->n == TD_LISTENERS_MAX) {
			l->untracked++;
			return;
		}
		s = &l->v[l->n++];
		memset(s, 0, sizeof(*s));
		s->skaddr = r->skaddr;
		s->netns = r->netns;
		s->port = r->port;
		s->family = r->family;
		memcpy(s->addr, r->addr, sizeof(s->addr));
		/* At the first census, drops before tracing are not ours; a
		 * listener created later started from 0. */
		s->base = l->started ? 0 : r->drops;
	}
	s->drops = r->drops;
	s->backlog = r->backlog;
	s->max_backlog = r->max_backlog;
	s->seen = true;
}

void td_listeners_end(struct td_listeners *l)
{
	unsigned int kept = 0;

	for (unsigned int i = 0; i < l->n; i++)
		if (l->v[i].seen)
			l->v[kept++] = l->v[i];
	l->n = kept;
	l->started = true;
}
