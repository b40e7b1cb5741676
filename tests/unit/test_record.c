/* Unit tests of user/record.c: the ring-buffer record decoder. */
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
