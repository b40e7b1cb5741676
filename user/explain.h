/* What each TCP state means, in one table: `tcpdwell explain` prints it and
 * `tcpdwell doctor` quotes its words as a finding's meaning. Pure. */
#ifndef TD_EXPLAIN_H
#define TD_EXPLAIN_H

#include <stdio.h>

struct td_explain {
	int state;             /* enum td_state */
	const char *meaning;   /* what the state is, in plain words */
	const char *waiting;   /* which side is in it and what it waits for */
	const char *duration;  /* how long it usually lasts */
	const char *many;      /* what many of them, or long ones, mean */
	const char *settings;  /* the kernel settings that govern it */
};

/* The entry of a state, or NULL for one without (CLOSE's is there too). */
const struct td_explain *td_explain_of(int state);
/* Every section of one state, as `tcpdwell explain STATE` prints it. */
void td_explain_render(FILE *f, const struct td_explain *e);
/* The connection's state diagram as text, with the states it names. */
void td_explain_diagram(FILE *f);
/* `tcpdwell explain [STATE]`; argv[0] is "explain". The exit status. */
int td_explain_main(int argc, char **argv);

#endif
