/* libFuzzer target for the input-facing code the project writes itself: the
 * option parsers (ports, port lists, durations, sizes, pids, CIDRs, state
 * lists), the whole command line, the ring-buffer record decoder and
 * renderers, and the cgroup path and /proc/mounts line parsers. The first byte picks the target; the rest is its input. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <linux/types.h>
#include "agg.h"
#include "cgroups.h"
#include "container.h"
#include "opts.h"
#include "record.h"
#include "render.h"

static char *cstr(const uint8_t *data, size_t size)
{
	char *s = malloc(size + 1);

	if (!s)
		abort();
	memcpy(s, data, size);
	s[size] = '\0';
	return s;
}

/* Splits on NUL into at most 16 arguments after argv[0]. */
static void fuzz_args(const uint8_t *data, size_t size)
{
	static struct td_config cfg;
	char *buf = cstr(data, size), *argv[18] = { "tcpdwell" };
	int argc = 1;
	FILE *null = fopen("/dev/null", "w");

	for (size_t i = 0; i <= size && argc < 17; ) {
		argv[argc++] = buf + i;
		i += strlen(buf + i) + 1;
	}
	argv[argc] = NULL;
	td_parse_args(&cfg, argc, argv, null, null);
	fclose(null);
	free(buf);
}

_Static_assert(sizeof(struct td_event) >= sizeof(struct td_accept), "copy holds any record");

static void fuzz_record(const uint8_t *data, size_t size)
{
	static struct td_agg agg;
	const struct td_event *e;
	const struct td_accept *a;
	struct td_event copy; /* the largest record */
	struct td_render_opts o = { .wide = size & 1 };
	FILE *null;

	if (size > sizeof(copy))
		size = sizeof(copy);
	memset(&copy, 0, sizeof(copy));
	memcpy(&copy, data, size);
	null = fopen("/dev/null", "w");
	if ((e = td_decode(&copy, size))) {
		td_agg_add(&agg, e);
		td_render_event_text(null, &o, e);
		td_render_event_json(null, &o, e, NULL);
	} else if ((a = td_decode_accept(&copy, size))) {
		td_agg_add_accept(&agg, a);
		td_render_accept_text(null, &o, a);
		td_render_accept_json(null, &o, a, NULL);
	}
	fclose(null);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint8_t filter[65536];
	struct td_cidr cidr;
	uint64_t u64;
	uint32_t u32;
	uint16_t port;
	char *s;

	if (size < 1)
		return 0;
	s = cstr(data + 1, size - 1);
	switch (data[0] % 11) {
	case 0: td_parse_port(s, &port); break;
	case 1: memset(filter, 0, sizeof(filter)); td_parse_port_list(s, filter, TD_PORT_LOCAL); break;
	case 2: td_parse_duration(s, &u64); break;
	case 3: td_parse_size(s, &u64); break;
	case 4: td_parse_pid(s, &u32); break;
	case 5: td_parse_cidr(s, &cidr); break;
	case 6: td_parse_state_list(s, &u32); break;
	case 7: fuzz_args(data + 1, size - 1); break;
	case 8: fuzz_record(data + 1, size - 1); break;
	case 9: {
		struct td_identity id;
		char buf[64];

		if (td_identity_parse(s, &id) == 0)
			td_identity_short(&id, buf, sizeof(buf));
		break;
	}
	case 10: {
		char dir[256];

		td_mount_line_cgroup2(s, dir, sizeof(dir));
		break;
	}
	}
	free(s);
	return 0;
}
