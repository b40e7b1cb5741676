/* What the doctor rule tests share: running the rules and reading one
 * finding's evidence. Included by test_doctor.c and test_doctor_run.c. */
#ifndef TD_DOCTOR_FX_H
#define TD_DOCTOR_FX_H

#include <string.h>
#include <criterion/criterion.h>
#include "doctor.h"

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
