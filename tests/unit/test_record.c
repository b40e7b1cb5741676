/* Unit tests of user/record.c: the ring-buffer record decoder. */
#include <errno.h>
#include <unistd.h>
#include <criterion/criterion.h>
#include "test_util.h"
#include "record.h"

/* A record in its own exact-size heap block, so that ASan catches any read
 * past what the kernel handed over. */
static struct td_event *heap_event(const struct td_event *e)
{
	struct td_event *p = malloc(sizeof(*p));

	cr_assert_not_null(p);
	memcpy(p, e, sizeof(*p));
	return p;
}

Test(record, good_records_accepted)
{
	struct td_event e = make_event(TD_SYN_SENT, TD_ESTABLISHED, TD_F_DWELL_KNOWN, 1234);
	struct td_event *p;

	p = heap_event(&e);
	cr_assert_eq(td_decode(p, sizeof(*p)), p);
	p->family = 6;
	cr_assert_eq(td_decode(p, sizeof(*p)), p);
	free(p);

	/* Every pair of valid states, either family. */
	for (int o = 1; o < TD_MAX_STATES; o++)
		for (int n = 1; n < TD_MAX_STATES; n++) {
			e = make_event(o, n, 0, 0);
			e.family = (o + n) % 2 ? 4 : 6;
			cr_expect_eq(td_decode(&e, sizeof(e)), &e, "%d -> %d rejected", o, n);
		}
}

Test(record, short_records_rejected)
{
	struct td_event e = make_event(TD_ESTABLISHED, TD_FIN_WAIT1, 0, 0);

	cr_assert_null(td_decode(&e, 0));
	cr_assert_null(td_decode(&e, 1));
	cr_assert_null(td_decode(&e, 8));
	cr_assert_null(td_decode(&e, offsetof(struct td_event, comm)));
	cr_assert_null(td_decode(&e, sizeof(e) - 1));
	cr_assert_null(td_decode(NULL, sizeof(e)));
	cr_assert_null(td_decode(NULL, 0));
	cr_assert_eq(td_decode(&e, sizeof(e)), &e);
}

Test(record, short_record_not_read_past_its_end)
{
	/* A 1-byte record in a 1-byte block: the decoder must stop at len
	 * before looking at any field (ASan build checks this). */
	unsigned char *one = malloc(1);

	cr_assert_not_null(one);
	one[0] = TD_REC_TRANSITION;
	cr_assert_null(td_decode(one, 1));
	free(one);
}

Test(record, unknown_tag_rejected)
{
	static const int tags[] = { 0, 2, 3, 0x7f, 0x80, 0xff };

	for (size_t i = 0; i < sizeof(tags) / sizeof(tags[0]); i++) {
		struct td_event e = make_event(TD_ESTABLISHED, TD_FIN_WAIT1, 0, 0);

		e.type = (__u8)tags[i];
		cr_expect_null(td_decode(&e, sizeof(e)), "tag %d accepted", tags[i]);
	}
}

Test(record, bad_family_rejected)
{
	/* 2 and 10 are AF_INET and AF_INET6: the record carries 4 or 6. */
	static const int fams[] = { 0, 1, 2, 3, 5, 7, 10, 46, 255 };

	for (size_t i = 0; i < sizeof(fams) / sizeof(fams[0]); i++) {
		struct td_event e = make_event(TD_ESTABLISHED, TD_FIN_WAIT1, 0, 0);

		e.family = (__u8)fams[i];
		cr_expect_null(td_decode(&e, sizeof(e)), "family %d accepted", fams[i]);
	}
}

Test(record, bad_states_rejected)
{
	static const int bad[] = { 0, TD_MAX_STATES, TD_MAX_STATES + 1, 100, 255 };

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct td_event e = make_event(TD_ESTABLISHED, TD_FIN_WAIT1, 0, 0);

		e.oldstate = (__u8)bad[i];
		cr_expect_null(td_decode(&e, sizeof(e)), "oldstate %d accepted", bad[i]);
		e = make_event(TD_ESTABLISHED, TD_FIN_WAIT1, 0, 0);
		e.newstate = (__u8)bad[i];
		cr_expect_null(td_decode(&e, sizeof(e)), "newstate %d accepted", bad[i]);
	}
}

static void count_rec(void *ctx, const void *rec)
{
	unsigned *seen = ctx;

	cr_expect_eq(((const struct td_listener *)rec)->port, 8000 + *seen);
	(*seen)++;
}

/* Records written in pieces come out whole, and a partial one at EOF is
 * not handed out. */
Test(record, iterator_records_are_read_whole)
{
	struct td_listener r[3];
	unsigned seen = 0;
	int p[2];

	cr_assert_eq(pipe(p), 0);
	memset(r, 0, sizeof(r));
	for (int i = 0; i < 3; i++) {
		r[i].type = TD_REC_LISTENER;
		r[i].family = 4;
		r[i].port = (uint16_t)(8000 + i);
	}
	cr_assert_eq(write(p[1], r, 10), 10);
	cr_assert_eq(write(p[1], (char *)r + 10, 2 * sizeof(r[0]) - 10), (ssize_t)(2 * sizeof(r[0]) - 10));
	cr_assert_eq(write(p[1], &r[2], 7), 7);
	close(p[1]);
	cr_expect_eq(td_read_records(p[0], &r[0], sizeof(r[0]), count_rec, &seen), 0);
	cr_expect_eq(seen, 2);
	close(p[0]);
	cr_expect_eq(td_read_records(-1, &r[0], sizeof(r[0]), count_rec, &seen), -EBADF);
}

Test(record, listener_records_are_checked)
{
	struct td_listener r = { .type = TD_REC_LISTENER, .family = 6 };

	cr_expect_not_null(td_decode_listener(&r, sizeof(r)));
	cr_expect_null(td_decode_listener(&r, sizeof(r) - 1));
	r.family = 5;
	cr_expect_null(td_decode_listener(&r, sizeof(r)));
	r.family = 4;
	r.type = TD_REC_ACCEPT;
	cr_expect_null(td_decode_listener(&r, sizeof(r)));
}
