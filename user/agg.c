/* Aggregation: folds decoded transitions into per-state histograms. */
#include <string.h>
#include "agg.h"

void td_agg_reset(struct td_agg *a)
{
	memset(a, 0, sizeof(*a));
}

int td_has_dwell(int oldstate, int newstate)
{
	if (oldstate == TD_CLOSE)
		return 0;
	if (oldstate == TD_LISTEN && newstate == TD_SYN_RECV)
		return 0;
	return 1;
}

void td_agg_add(struct td_agg *a, const struct td_event *e)
{
	a->events++;
	a->trans[e->oldstate][e->newstate]++;
	if (e->detail && e->detail < TD_DETAIL_MAX)
		a->details[e->detail]++;
	if ((e->flags & TD_F_ORPHAN) && e->oldstate == TD_FIN_WAIT2)
		a->orphans++;
	if (!td_has_dwell(e->oldstate, e->newstate))
		return;
	if (e->flags & TD_F_DWELL_KNOWN)
		hist_add(&a->dwell[e->oldstate], e->dwell_ns);
	else
		a->unknown[e->oldstate]++;
}
