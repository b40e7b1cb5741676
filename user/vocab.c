#define _GNU_SOURCE /* strerrorname_np */
/* Word tables built from bpf/tcpdwell.h's value lists, so that an enum and
 * its words cannot drift apart. */
#include <stdio.h>
#include <string.h>
#include "vocab.h"

#define TD_WORD_ITEM(name, word) [name] = word,

static const char *const tw_end_words[TD_TW_END_MAX] = { TD_TW_ENDS(TD_WORD_ITEM) };
static const char *const hs_outcome_words[TD_HS_MAX] = { TD_HS_OUTCOMES(TD_WORD_ITEM) };
static const char *const connect_words[TD_CONNECT_MAX] = { TD_CONNECT_OUTCOMES(TD_WORD_ITEM) };
static const char *const close_words[TD_CLOSE_MAX] = { TD_CLOSE_CAUSES(TD_WORD_ITEM) };
#define TD_RST_WORD(name, word, kname) [name] = word,
static const char *const rst_words[TD_RST_MAX] = { TD_RST_REASONS(TD_RST_WORD) };

#define TD_AGE_WORD(name, word, text) [name] = word,
#define TD_AGE_TEXT(name, word, text) [name] = text,
static const char *const age_words[TD_AGE_WHY_MAX] = { TD_AGE_WHYS(TD_AGE_WORD) };
static const char *const age_texts[TD_AGE_WHY_MAX] = { TD_AGE_WHYS(TD_AGE_TEXT) };

const struct td_vocab td_age_vocab = { "unknown_why", age_words, TD_AGE_WHY_MAX };
const struct td_vocab td_tw_end_vocab = { "reason", tw_end_words, TD_TW_END_MAX };
const struct td_vocab td_hs_outcome_vocab = { "outcome", hs_outcome_words, TD_HS_MAX };
const struct td_vocab td_connect_vocab = { "outcome", connect_words, TD_CONNECT_MAX };
const struct td_vocab td_close_vocab = { "cause", close_words, TD_CLOSE_MAX };

const char *td_rst_reason_word(unsigned int value)
{
	return value < TD_RST_MAX ? rst_words[value] : NULL;
}

const char *td_age_why_text(unsigned int value)
{
	return value && value < TD_AGE_WHY_MAX ? age_texts[value] : NULL;
}

const char *td_vocab_word(const struct td_vocab *v, unsigned int value)
{
	if (value == 0 || value >= v->n)
		return NULL;
	return v->words[value];
}

const char *td_errno_name(int err, char *buf, size_t len)
{
	const char *name = err > 0 ? strerrorname_np(err) : NULL;

	if (name)
		return name;
	snprintf(buf, len, "E%d", err);
	return buf;
}
