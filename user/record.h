/* Validation of raw ring-buffer records before anyone reads them. */
#ifndef TD_RECORD_H
#define TD_RECORD_H

#include <stddef.h>
#include <linux/types.h>
#include "tcpdwell.h"

/* Returns the record as a td_event when data holds a well-formed one, or
 * NULL for a short record, an unknown tag, or out-of-range fields. */
const struct td_event *td_decode(const void *data, size_t len);
/* The same for an accept record (struct td_accept). */
const struct td_accept *td_decode_accept(const void *data, size_t len);
/* The same for a listener record of the census (struct td_listener). */
const struct td_listener *td_decode_listener(const void *data, size_t len);
/* Reads size-byte records (at most 64 KiB) from an iterator's fd to EOF,
 * many a read, copying each whole one into rec and calling fn(ctx, rec); a
 * partial one at EOF is dropped. 0 or -errno. */
int td_read_records(int fd, void *rec, size_t size, void (*fn)(void *ctx, const void *rec), void *ctx);
/* A record's type tag (enum td_rec_type), or 0 for an empty record. */
unsigned int td_record_type(const void *data, size_t len);

#endif
