/* `tcpdwell snapshot`: live sockets with their time in state. */
#ifndef TD_SNAPSHOT_H
#define TD_SNAPSHOT_H

/* argv[0] is "snapshot". Returns the exit status. */
int td_snapshot_main(int argc, char **argv);

#endif
