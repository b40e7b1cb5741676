/* The one table of TCP state names. */
#include <ctype.h>
#include <stddef.h>
#include <linux/types.h>
#include "tcpdwell.h"
#include "states.h"

static const char *const names[TD_MAX_STATES] = {
	[TD_ESTABLISHED] = "ESTABLISHED",
	[TD_SYN_SENT] = "SYN_SENT",
	[TD_SYN_RECV] = "SYN_RECV",
	[TD_FIN_WAIT1] = "FIN_WAIT1",
	[TD_FIN_WAIT2] = "FIN_WAIT2",
	[TD_TIME_WAIT] = "TIME_WAIT",
	[TD_CLOSE] = "CLOSE",
	[TD_CLOSE_WAIT] = "CLOSE_WAIT",
	[TD_LAST_ACK] = "LAST_ACK",
	[TD_LISTEN] = "LISTEN",
	[TD_CLOSING] = "CLOSING",
	[TD_NEW_SYN_RECV] = "NEW_SYN_RECV",
	[TD_BOUND_INACTIVE] = "BOUND_INACTIVE",
};

const char *td_state_name(int state)
{
	if (state <= 0 || state >= TD_MAX_STATES)
		return NULL;
	return names[state];
}

static int same_name(const char *a, const char *b)
{
	for (; *a && *b; a++, b++) {
		char ca = *a == '-' ? '_' : (char)toupper((unsigned char)*a);

		if (ca != *b)
			return 0;
	}
	return *a == *b;
}

int td_state_parse(const char *name)
{
	if (!name)
		return -1;
	for (int s = 1; s < TD_MAX_STATES; s++)
		if (same_name(name, names[s]))
			return s;
	return -1;
}
