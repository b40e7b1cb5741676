/* Shared by tests/bench/floor.bpf.c and floor.c: the floor probes' counter
 * slots. No kernel or libc headers. */
#ifndef FLOOR_H
#define FLOOR_H

/* Slots of the per-CPU counter array. */
enum floor_counter {
	FLOOR_CNT_RUNS,  /* floor_null: program runs */
	FLOOR_CNT_DROPS, /* floor_ringbuf: reservation failures (lost records) */
	FLOOR_CNT_MAX,
};

#endif /* FLOOR_H */
