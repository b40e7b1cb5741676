/* What the doctor rule tests share: a run's input, running the rules and
 * reading one finding's evidence. Included by test_doctor.c and
 * test_doctor_run.c. */
#ifndef TD_DOCTOR_FX_H
#define TD_DOCTOR_FX_H

#include <string.h>
#include <criterion/criterion.h>
#include "doctor.h"
#include "test_util.h" /* new_agg */

/* A run's input, built by each test; socks are the census's. */
struct fx {
	struct td_doc_sock socks[512];
	struct td_doc_input in;
	struct td_doc_events ev;
	struct td_doc_thresholds th;
	struct td_listeners ls;
	struct td_agg *agg;
	struct td_findings out;
};

/* An empty run of duration_ns with the default thresholds. */
static inline struct fx *doc_fx_new(uint64_t duration_ns)
{
	struct fx *x = calloc(1, sizeof(*x));

	cr_assert_not_null(x);
	x->agg = new_agg();
	td_doc_thresholds_default(&x->th);
	x->in.socks = x->socks;
	x->in.agg = x->agg;
	x->in.ev = &x->ev;
	x->in.listeners = &x->ls;
	x->in.duration_ns = duration_ns;
	return x;
}

static inline void fx_free(struct fx *x)
{
	free(x->agg);
	free(x);
}

/* The finding of rule r after running every rule, or NULL. */
static inline const struct td_finding *doc_find(const struct td_doc_input *in, const struct td_doc_thresholds *th,
						struct td_findings *out, enum td_doc_rule r)
{
	td_doctor_run(in, th, out);
	for (unsigned i = 0; i < out->n; i++)
		if (out->v[i].rule == r)
			return &out->v[i];
	return NULL;
}

/* The evidence named key (the test fails without it). */
static inline const struct td_evidence *doc_ev(const struct td_finding *f, const char *key)
{
	for (unsigned i = 0; i < f->nev; i++)
		if (strcmp(f->ev[i].key, key) == 0)
			return &f->ev[i];
	cr_assert_fail("no evidence '%s' in [%s]", key, f->title);
	return NULL;
}

#define run_for(x, r) doc_find(&(x)->in, &(x)->th, &(x)->out, (r))
#define evnum(f, key) (doc_ev((f), (key))->num)
#define evstr(f, key) (doc_ev((f), (key))->str)

#endif
