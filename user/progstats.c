/* What the kernel counts for tcpdwell's BPF side (progstats.h): sums of the
 * per-CPU `counters` map, and bpf_prog_info of every loaded program. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include "progstats.h"
#include "tcpdwell.skel.h"

static int counter_sum(struct tcpdwell_bpf *skel, int ncpus, __u32 slot, uint64_t *sum)
{
	__u64 vals[ncpus];

	if (bpf_map_lookup_elem(bpf_map__fd(skel->maps.counters), &slot, vals))
		return -errno;
	*sum = 0;
	for (int i = 0; i < ncpus; i++)
		*sum += vals[i];
	return 0;
}

/* Calls fn for each loaded program (the timer programs without -T are
 * not) with its info; stops at fn's non-zero return. 0 or -errno. */
static int each_program(struct tcpdwell_bpf *skel, int (*fn)(void *ctx, const struct bpf_program *prog,
							      const struct bpf_prog_info *info),
			void *ctx)
{
	struct bpf_program *prog;

	bpf_object__for_each_program(prog, skel->obj) {
		struct bpf_prog_info info;
		__u32 len = sizeof(info);
		int fd = bpf_program__fd(prog);

		if (fd < 0)
			continue;
		memset(&info, 0, sizeof(info));
		if (bpf_obj_get_info_by_fd(fd, &info, &len))
			return -errno;
		if (fn(ctx, prog, &info))
			break;
	}
	return 0;
}

static int add_misses(void *ctx, const struct bpf_program *prog, const struct bpf_prog_info *info)
{
	(void)prog;
	*(uint64_t *)ctx += info->recursion_misses;
	return 0;
}

int td_progstats_loss(struct tcpdwell_bpf *skel, int ncpus, struct td_loss *out)
{
	int err;

	memset(out, 0, sizeof(*out));
	err = counter_sum(skel, ncpus, TD_CNT_RB_DROPS, &out->ringbuf);
	if (!err)
		err = counter_sum(skel, ncpus, TD_CNT_NO_STORAGE, &out->no_storage);
	if (!err)
		err = counter_sum(skel, ncpus, TD_CNT_MINI_FULL, &out->mini_untracked);
	/* Every attached program's skipped runs are lost transitions. */
	if (!err)
		err = each_program(skel, add_misses, &out->recursion);
	return err;
}

struct runs {
	struct td_prog_stat *out;
	int n, max;
};

static int add_runs(void *ctx, const struct bpf_program *prog, const struct bpf_prog_info *info)
{
	struct runs *r = ctx;

	if (r->n == r->max)
		return 1;
	snprintf(r->out[r->n].name, sizeof(r->out[r->n].name), "%s", bpf_program__name(prog));
	r->out[r->n].run_ns = info->run_time_ns;
	r->out[r->n].run_cnt = info->run_cnt;
	r->n++;
	return 0;
}

int td_progstats_runs(struct tcpdwell_bpf *skel, struct td_prog_stat *out, int max)
{
	struct runs r = { .out = out, .max = max };
	int err = each_program(skel, add_runs, &r);

	return err ? err : r.n;
}
