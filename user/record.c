/* Ring-buffer record decoder: every record starts with a type tag; short,
 * unknown or malformed records are rejected, never half-read. */
#include <errno.h>
#include <string.h>
#include <unistd.h>
#include "record.h"

const struct td_event *td_decode(const void *data, size_t len)
{
	const struct td_event *e = data;

	if (!data || len < sizeof(*e))
		return NULL;
	if (e->type != TD_REC_TRANSITION)
		return NULL;
	if (e->family != 4 && e->family != 6)
		return NULL;
	if (e->oldstate == 0 || e->oldstate >= TD_MAX_STATES ||
	    e->newstate == 0 || e->newstate >= TD_MAX_STATES)
		return NULL;
	if (e->tw_end >= TD_TW_END_MAX || e->hs_outcome >= TD_HS_MAX || e->connect >= TD_CONNECT_MAX ||
	    e->close >= TD_CLOSE_MAX || e->rst_reason >= TD_RST_MAX)
		return NULL;
	return e;
}

const struct td_accept *td_decode_accept(const void *data, size_t len)
{
	const struct td_accept *r = data;

	if (!data || len < sizeof(*r))
		return NULL;
	if (r->type != TD_REC_ACCEPT || (r->family != 4 && r->family != 6))
		return NULL;
	return r;
}

unsigned int td_record_type(const void *data, size_t len)
{
	return data && len ? *(const __u8 *)data : 0;
}

const struct td_listener *td_decode_listener(const void *data, size_t len)
{
	const struct td_listener *r = data;

	if (!data || len < sizeof(*r))
		return NULL;
	if (r->type != TD_REC_LISTENER || (r->family != 4 && r->family != 6))
		return NULL;
	return r;
}

int td_read_records(int fd, void *rec, size_t size, void (*fn)(void *ctx, const void *rec), void *ctx)
{
	/* Many records a read: each read() of an iterator is a system call
	 * (one record a call cost a snapshot of 220,000 sockets as many). */
	char buf[64 * 1024];
	size_t got = 0;
	ssize_t n;

	if (!size || size > sizeof(buf))
		return -EINVAL;
	while ((n = read(fd, buf + got, sizeof(buf) - got)) > 0) {
		size_t off = 0;

		for (got += (size_t)n; got - off >= size; off += size) {
			memcpy(rec, buf + off, size);
			fn(ctx, rec);
		}
		got -= off;
		memmove(buf, buf + off, got);
	}
	return n < 0 ? -errno : 0;
}
