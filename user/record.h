/* Validation of raw ring-buffer records before anyone reads them. */
#ifndef TD_RECORD_H
#define TD_RECORD_H

#include <stddef.h>
#include <linux/types.h>
#include "tcpdwell.h"

/* Returns the record as a td_event when data holds a well-formed one, or
 * NULL for a short record, an unknown tag, or out-of-range fields. */
const struct td_event *td_decode(const void *data, size_t len);

#endif
