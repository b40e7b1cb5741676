/* Words for the values that say what ended a state (the lists in
 * bpf/tcpdwell.h): one table per meaning, read by every renderer. */
#ifndef TD_VOCAB_H
#define TD_VOCAB_H

#include <stddef.h>
#include <linux/types.h>
#include "tcpdwell.h"

struct td_vocab {
	const char *what;         /* the JSON key / Prometheus label: "reason", "outcome" */
	const char *const *words; /* indexed by value; [0] (none) is NULL */
	unsigned int n;           /* the enum's _MAX: values are 1 .. n-1 */
};

extern const struct td_vocab td_tw_end_vocab;     /* enum td_tw_end */
extern const struct td_vocab td_hs_outcome_vocab; /* enum td_hs_outcome */
extern const struct td_vocab td_connect_vocab;    /* enum td_connect_outcome */
extern const struct td_vocab td_close_vocab;      /* enum td_close_cause */

/* Why a snapshot cannot say how long a socket has been in its state: the
 * JSON word, then the words of the text and stderr lines. */
#define TD_AGE_WHYS(X) \
	X(TD_AGE_NO_TRACER, "no_tracer", "no tracer") \
	X(TD_AGE_FILTERED, "outside_filters", "outside the tracer's filters") \
	X(TD_AGE_NEEDS_T, "needs_timers", "not followed by a tracer without -T") \
	X(TD_AGE_UNSEEN, "not_seen", "not seen by the tracer")
#define TD_AGE_ENUM(name, word, text) name,
enum td_age_why { TD_AGE_KNOWN, TD_AGE_WHYS(TD_AGE_ENUM) TD_AGE_WHY_MAX };
extern const struct td_vocab td_age_vocab; /* enum td_age_why: the JSON words */
/* The text words of an enum td_age_why, or NULL for TD_AGE_KNOWN. */
const char *td_age_why_text(unsigned int value);

/* The kernel's name of a RST reason (enum td_rst_reason, where 0 is a
 * reason too), or NULL out of range. */
const char *td_rst_reason_word(unsigned int value);

/* The word for value v, or NULL for 0 (none) and values out of range. */
const char *td_vocab_word(const struct td_vocab *v, unsigned int value);

/* An errno's name ("ECONNREFUSED"), or "E<number>" in buf for one without. */
const char *td_errno_name(int err, char *buf, size_t len);

/* Whether a TIME_WAIT ended before its timer ran out. */
static inline int td_tw_end_early(unsigned int value)
{
	return value != TD_TW_NONE && value != TD_TW_EXPIRED;
}

#endif
