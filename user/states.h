/* TCP state names as the kernel, netstat and tcpstates spell them. */
#ifndef TD_STATES_H
#define TD_STATES_H

/* Name of a kernel TCP state, or NULL when out of range. */
const char *td_state_name(int state);
/* Parses a state name (case-insensitive, '-' accepted for '_'); returns the
 * state, or -1 when unknown. */
int td_state_parse(const char *name);

#endif
