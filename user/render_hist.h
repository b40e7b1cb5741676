/* One histogram in the reports' text and JSON forms (render_hist.c). */
#ifndef TD_RENDER_HIST_H
#define TD_RENDER_HIST_H

#include <stdint.h>
#include <stdio.h>
#include "hist.h"

/* A blank line, "TITLE  count N  p50 ..  p90 ..  p99 ..  max .." (with
 * "(+N of unknown dwell)"), then the bar rows. */
void td_hist_text(FILE *f, const char *title, const struct hist *h, uint64_t unknown);
/* ,"count":N,"unknown":N,"min_ns":...,"buckets":[...]} and a newline: the
 * keys of every histogram object, after the caller's opening keys. */
void td_hist_json_body(FILE *f, const struct hist *h, uint64_t unknown);

#endif
