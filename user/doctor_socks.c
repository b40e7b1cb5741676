/* The census's sockets by identity, so that a second reading (the maps of
 * a tracer that has run longer than doctor) can give a socket a better
 * age than doctor's own seeding: a real one, or a lower bound further back. */
#include <stdlib.h>
#include <string.h>
#include "doctor.h"

static int sock_cmp(const void *pa, const void *pb)
{
	const struct td_doc_sock *a = pa, *b = pb;
	int c;

	if (a->state != b->state)
		return a->state < b->state ? -1 : 1;
	if (a->family != b->family)
		return a->family < b->family ? -1 : 1;
	if (a->netns != b->netns)
		return a->netns < b->netns ? -1 : 1;
	if (a->sport != b->sport)
		return a->sport < b->sport ? -1 : 1;
	if (a->dport != b->dport)
		return a->dport < b->dport ? -1 : 1;
	c = memcmp(a->saddr, b->saddr, 16);
	return c ? c : memcmp(a->daddr, b->daddr, 16);
}

void td_doc_socks_sort(struct td_doc_sock *v, size_t n)
{
	if (n)
		qsort(v, n, sizeof(*v), sock_cmp);
}

bool td_doc_socks_better(struct td_doc_sock *v, size_t n, const struct td_doc_sock *other)
{
	struct td_doc_sock *s = n ? bsearch(other, v, n, sizeof(*v), sock_cmp) : NULL;
	bool better;

	if (!s || !other->age_known)
		return false;
	/* An exact age beats a lower bound; of two lower bounds, the larger. */
	better = !s->age_known || (s->at_least && (!other->at_least || other->age_ns > s->age_ns));
	if (better) {
		s->age_known = true;
		s->at_least = other->at_least;
		s->age_ns = other->age_ns;
	}
	if (!s->pid && other->pid) {
		s->pid = other->pid;
		memcpy(s->comm, other->comm, sizeof(s->comm));
	}
	return better;
}
