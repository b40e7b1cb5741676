/* The one table of what each TCP state means (words of this project), the
 * state diagram as text, and `tcpdwell explain [STATE]`. Doctor's findings
 * quote the "meaning" and "many" texts from here. */
#include <stdio.h>
#include <string.h>
#include <linux/types.h>
#include "tcpdwell.h"
#include "diag.h"
#include "explain.h"
#include "opts.h"
#include "states.h"

static const struct td_explain table[] = {
	{ TD_ESTABLISHED,
	  "The connection is open: both sides have finished the handshake and data can flow either way.",
	  "Both sides. Nobody waits for anything in particular: the applications send and read.",
	  "As long as the applications keep the connection: milliseconds for one request, days for a pool.",
	  "Many are normal for a busy server or a connection pool. Long-idle ones may be dead peers that "
	  "nobody noticed: only keepalive (SO_KEEPALIVE) or the application's own timeouts find them.",
	  "net.ipv4.tcp_keepalive_time, tcp_keepalive_intvl, tcp_keepalive_probes (with SO_KEEPALIVE); "
	  "net.ipv4.tcp_retries2 (how long unacknowledged data is retransmitted)" },
	{ TD_SYN_SENT,
	  "The client has called connect() and sent its SYN; the connection is being opened.",
	  "The client, waiting for the server's SYN-ACK.",
	  "One round trip (tens of microseconds on loopback). Each SYN that gets no answer costs a "
	  "retransmit timeout: 1 s, then 2 s, 4 s, ...",
	  "Slow ones mean SYNs were dropped (a server whose accept queue is full, a firewall, packet loss) "
	  "or a distant server. Many that end at once are refused connects: nothing listens on that port.",
	  "net.ipv4.tcp_syn_retries (SYNs sent before giving up: 6 is about 127 s)" },
	{ TD_SYN_RECV,
	  "The server has answered a SYN with a SYN-ACK; the handshake is half done. Linux keeps it in a "
	  "small request sock (NEW_SYN_RECV) until the final ACK arrives.",
	  "The server, waiting for the client's final ACK.",
	  "One round trip. A lost SYN-ACK is retransmitted after 1 s, 2 s, ...",
	  "Many mean a SYN flood (clients that never answer) or ACKs lost on the way back; long ones, "
	  "SYN-ACKs retransmitted.",
	  "net.ipv4.tcp_synack_retries, net.ipv4.tcp_max_syn_backlog (the SYN queue), "
	  "net.ipv4.tcp_syncookies (answers without queueing when the queue overflows)" },
	{ TD_FIN_WAIT1,
	  "This side has closed (close() or shutdown(SHUT_WR)) and sent its FIN.",
	  "The side that closed first, waiting for the peer to acknowledge its FIN (and any data still unsent).",
	  "One round trip, unless data is still queued.",
	  "Long ones mean the peer does not acknowledge: it is gone, or it does not read and its receive "
	  "window is closed. An orphan (closed by its owner) is retried tcp_orphan_retries times, then dropped.",
	  "net.ipv4.tcp_orphan_retries, net.ipv4.tcp_max_orphans" },
	{ TD_FIN_WAIT2,
	  "This side's FIN has been acknowledged: a half-close. This side sends no more; the peer still may.",
	  "The side that closed first, waiting for the peer's FIN.",
	  "As long as the peer keeps its side open. If this side's owner still holds the socket "
	  "(shutdown), there is no limit; once it has closed it, the kernel gives the peer "
	  "tcp_fin_timeout (60 s by default) and then drops it.",
	  "Long ones held by their owner mean a peer that never closes its side, or an application that "
	  "called shutdown() and forgot the socket.",
	  "net.ipv4.tcp_fin_timeout (orphans only)" },
	{ TD_TIME_WAIT,
	  "Both FINs have been exchanged; the connection is over, but its 4-tuple is kept for a while so that "
	  "the last ACK can be sent again if lost and old duplicate segments die out.",
	  "The side that closed first, waiting for its timer: nothing else ends it.",
	  "60 s on Linux (twice the maximum segment lifetime, a fixed TCP_TIMEWAIT_LEN; tcp_fin_timeout "
	  "does not change it), less when tcp_tw_reuse lets a new connect take the tuple over.",
	  "Many mean many short connections closed by this side. Each holds a (local address, local port, "
	  "remote address, remote port); a client that talks to one server can run out of ephemeral ports. "
	  "Reusing connections (keep-alive, pools) is the real fix.",
	  "net.ipv4.tcp_tw_reuse, net.ipv4.ip_local_port_range, net.ipv4.tcp_max_tw_buckets (beyond it "
	  "the kernel skips TIME_WAIT)" },
	{ TD_CLOSE,
	  "No connection: the socket is new, or its connection has ended.",
	  "Nobody.",
	  "Not a state a connection dwells in: it is the start and the end.",
	  "Nothing to read from a count: the kernel frees the socket once its owner closes it.",
	  "none" },
	{ TD_CLOSE_WAIT,
	  "The peer has closed its side (its FIN arrived and was acknowledged); this side has not closed yet.",
	  "The local application: the kernel waits for it to call close(). Nothing on the network is "
	  "awaited.",
	  "As long as the application takes to notice EOF and close: microseconds to milliseconds.",
	  "Many, or old ones, mean the application read EOF (or never reads) and never calls close(): "
	  "a socket leak, or a child process that inherited the socket (fork without close-on-exec).",
	  "none: no kernel timer ends it; only close() or the owner's exit does" },
	{ TD_LAST_ACK,
	  "The peer closed first and this side has now closed too and sent its FIN.",
	  "The side that closed second, waiting for the peer to acknowledge its FIN.",
	  "One round trip.",
	  "Rare and short. Long ones mean the peer went away before acknowledging: the FIN is "
	  "retransmitted until the retries run out.",
	  "net.ipv4.tcp_orphan_retries, net.ipv4.tcp_retries2" },
	{ TD_LISTEN,
	  "A server socket (listen()) accepting new connections.",
	  "The server, waiting for SYNs; finished handshakes wait in its accept queue for accept().",
	  "As long as the server runs.",
	  "Dropped SYNs mean the accept queue or the SYN queue was full: the application accepts too "
	  "slowly or its backlog is too small; clients see 1 s (then 3 s, 7 s) connects.",
	  "net.core.somaxconn (the cap on listen()'s backlog), net.ipv4.tcp_max_syn_backlog, "
	  "net.ipv4.tcp_syncookies" },
	{ TD_CLOSING,
	  "Both sides closed at about the same time: this side's FIN is out and the peer's FIN arrived "
	  "before the acknowledgement of ours.",
	  "Both sides, each waiting for the acknowledgement of its FIN.",
	  "One round trip; rare.",
	  "Long ones mean acknowledgements are lost.",
	  "net.ipv4.tcp_orphan_retries" },
	{ TD_NEW_SYN_RECV,
	  "Linux's request sock: a half-open connection on a listener, kept small until the final ACK. "
	  "tcpdwell reports its time as the server's SYN_RECV.",
	  "The server, waiting for the client's final ACK.",
	  "One round trip.",
	  "Many mean a SYN flood or lost ACKs, as for SYN_RECV.",
	  "net.ipv4.tcp_synack_retries, net.ipv4.tcp_max_syn_backlog, net.ipv4.tcp_syncookies" },
	{ TD_BOUND_INACTIVE,
	  "A socket that was bound to a port (bind()) but neither listens nor connects.",
	  "Nobody: the port is reserved for the application.",
	  "As long as the application keeps it.",
	  "Many reserve ports that connects and listeners then cannot use.",
	  "net.ipv4.ip_local_port_range, net.ipv4.ip_local_reserved_ports" },
};

const struct td_explain *td_explain_of(int state)
{
	for (size_t i = 0; i < sizeof(table) / sizeof(table[0]); i++)
		if (table[i].state == state)
			return &table[i];
	return NULL;
}

/* A heading, then text wrapped at 78 columns under two spaces. */
static void section(FILE *f, const char *heading, const char *text)
{
	int col = 0;

	fprintf(f, "%s\n", heading);
	while (*text) {
		size_t w = strcspn(text, " ");

		if (col && col + 1 + (int)w > 78) {
			fputc('\n', f);
			col = 0;
		}
		col += col ? fprintf(f, " %.*s", (int)w, text) : fprintf(f, "  %.*s", (int)w, text);
		text += w;
		while (*text == ' ')
			text++;
	}
	fputc('\n', f);
}

void td_explain_render(FILE *f, const struct td_explain *e)
{
	section(f, td_state_name(e->state), e->meaning);
	section(f, "\nWho waits for what", e->waiting);
	section(f, "\nUsual duration", e->duration);
	section(f, "\nMany of them, or long ones", e->many);
	section(f, "\nSettings", e->settings);
}

void td_explain_diagram(FILE *f)
{
	fputs("A TCP connection's states (tcpdwell explain STATE for one of them):\n"
	      "\n"
	      "  client                                        server\n"
	      "  CLOSE                                         CLOSE\n"
	      "    | connect(): SYN ->                           | listen()\n"
	      "  SYN_SENT                                      LISTEN\n"
	      "    |                          <- SYN-ACK         | SYN arrives\n"
	      "    | ACK ->                                    SYN_RECV (NEW_SYN_RECV)\n"
	      "  ESTABLISHED                                     | ACK arrives: accept queue\n"
	      "    |                                           ESTABLISHED\n"
	      "\n"
	      "  The side that closes first                    The other side\n"
	      "  ESTABLISHED                                   ESTABLISHED\n"
	      "    | close(): FIN ->                             | FIN arrives\n"
	      "  FIN_WAIT1                                     CLOSE_WAIT  (until close())\n"
	      "    | <- ACK                                      | close(): <- FIN\n"
	      "  FIN_WAIT2                                     LAST_ACK\n"
	      "    | FIN arrives: ACK ->                         | ACK arrives\n"
	      "  TIME_WAIT  (60 s)                             CLOSE\n"
	      "    | timer\n"
	      "  CLOSE\n"
	      "\n"
	      "  Both close at once: FIN_WAIT1 -> CLOSING (the peer's FIN first) -> TIME_WAIT.\n"
	      "  A RST from either side ends any state at once: -> CLOSE.\n",
	      f);
}

/* The one word that is not an option: the state. It is taken out so that
 * the option table sees only options. */
static int take_state(int *argc, char **argv, const char **word)
{
	*word = NULL;
	for (int i = 1; i < *argc; i++) {
		if (argv[i][0] == '-')
			continue;
		if (*word)
			return -1;
		*word = argv[i];
		memmove(&argv[i], &argv[i + 1], (size_t)(*argc - i) * sizeof(argv[0]));
		(*argc)--;
		i--;
	}
	return 0;
}

int td_explain_main(int argc, char **argv)
{
	struct td_config cfg;
	const char *word;
	int err, state;

	memset(&cfg, 0, sizeof(cfg));
	if (take_state(&argc, argv, &word)) {
		td_err("explain takes one state at most; see tcpdwell explain --help");
		return TD_EXIT_USAGE;
	}
	err = td_opt_parse(&td_explain_cmd, &cfg, argc, argv, stdout, stderr);
	if (err)
		return err == 1 ? 0 : err;
	if (!word) {
		td_explain_diagram(stdout);
		return 0;
	}
	state = td_state_parse(word);
	if (state < 0 || !td_explain_of(state)) {
		td_err("invalid state '%s': expected a name such as CLOSE_WAIT or time-wait "
		       "(tcpdwell explain lists them)", word);
		return TD_EXIT_USAGE;
	}
	td_explain_render(stdout, td_explain_of(state));
	return 0;
}
