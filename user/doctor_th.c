/* Doctor's thresholds (their names, defaults and --threshold parsing, in
 * the one number grammar) and its severities. */
#include <errno.h>
#include <string.h>
#include "doctor.h"
#include "num.h"
#include "opts.h"

#define TD_TH_INFO(name, word, kind, def, deftext, help) [name] = { word, kind, def, deftext, help },
const struct td_doc_th_info td_doc_th_info[TD_T_MAX] = { TD_DOC_THRESHOLDS(TD_TH_INFO) };

#define TD_RULE_WORD(name, word) [name] = word,
const char *const td_doc_rule_ids[TD_R_MAX] = { TD_DOC_RULES(TD_RULE_WORD) };

void td_doc_thresholds_default(struct td_doc_thresholds *t)
{
	memset(t, 0, sizeof(*t));
	for (int i = 0; i < TD_T_MAX; i++)
		t->v[i] = td_doc_th_info[i].def;
}

/* A count, or a percent with an optional '%' (0-100). */
static int parse_count(const char *s, enum td_th_kind kind, uint64_t *out)
{
	struct td_num n;
	int err = td_num_scan(s, false, &n);

	if (err)
		return err;
	if (*n.unit && !(kind == TD_TH_PERCENT && strcmp(n.unit, "%") == 0))
		return -EINVAL;
	if (kind == TD_TH_PERCENT && n.whole > 100)
		return -ERANGE;
	*out = n.whole;
	return 0;
}

int td_doc_threshold_parse(struct td_doc_thresholds *t, const char *arg)
{
	const char *eq = strchr(arg, '=');
	size_t len = eq ? (size_t)(eq - arg) : 0;
	uint64_t v;

	if (!eq)
		return -EINVAL;
	for (int i = 0; i < TD_T_MAX; i++) {
		const struct td_doc_th_info *th = &td_doc_th_info[i];
		int err;

		if (strlen(th->name) != len || strncmp(th->name, arg, len) != 0)
			continue;
		if (th->kind == TD_TH_DURATION)
			err = td_parse_duration(eq + 1, &v);
		else
			err = parse_count(eq + 1, th->kind, &v);
		if (err)
			return err;
		t->v[i] = v;
		t->set[i] = true;
		return 0;
	}
	return -EINVAL;
}

const char *td_sev_word(enum td_sev s)
{
	switch (s) {
	case TD_SEV_CRITICAL: return "critical";
	case TD_SEV_WARNING: return "warning";
	case TD_SEV_INFO: return "info";
	}
	return "?";
}

int td_sev_parse(const char *s, enum td_sev *out)
{
	if (strcmp(s, "warning") == 0)
		*out = TD_SEV_WARNING;
	else if (strcmp(s, "critical") == 0)
		*out = TD_SEV_CRITICAL;
	else
		return -EINVAL;
	return 0;
}

bool td_findings_reach(const struct td_findings *f, enum td_sev sev)
{
	for (unsigned i = 0; i < f->n; i++)
		if (f->v[i].sev >= sev)
			return true;
	return false;
}
