#!/usr/bin/env bash
# Soak test (issue 12), run by `make soak` as root: the benchmark's full-rate
# connection churn (tests/bench/churn, in a network namespace of its own) for
# SECS under `tcpdwell -T --prometheus`, scraped every second, with the
# ring-buffer floor probe of `make bench` attached beside it as the loss floor
# under the same load (the floor can lose events to recursion and to its ring
# only; tcpdwell's timewait socks it could not track are a target of their
# own). Prints the tracer's RSS, open fds and map fill every
# EVERY seconds, then events, losses by reason, ring-buffer drops, scrape
# failures, and PASS/MISS per target.
#
# Environment (defaults in brackets):
#   SECS [600]     seconds of churn
#   EVERY [10]     seconds between the periodic lines
#   WARMUP [60]    seconds before RSS and fds must stay flat (at most SECS/2)
#   PROM_PORT []   the exporter's port on 127.0.0.1; empty: a free one from 39101
#   CLIENTS [CPUs]  SERVERS [CLIENTS]  SOURCES [64]   as for make bench
#   FLOOR [1]      0: no floor probe (the loss target is then skipped)
# Example: SECS=120 EVERY=5 make soak
set -euo pipefail
cd "$(dirname "$0")/.."

SECS=${SECS:-600}
EVERY=${EVERY:-10}
WARMUP=${WARMUP:-60}
PROM_PORT=${PROM_PORT:-}
CLIENTS=${CLIENTS:-$(nproc)}
SERVERS=${SERVERS:-$CLIENTS}
SOURCES=${SOURCES:-64}
FLOOR=${FLOOR:-1}

BENCH_OUT=.output/bench
FLAT_LIMIT=0.05 # RSS and fds: (max - min) / min after the warm-up

note() { echo "soak: $*" >&2; }
die() { note "$*"; exit 1; }
. scripts/bench-lib.sh

[ "$(id -u)" -eq 0 ] || die "needs root (BPF, network namespaces); run: sudo make soak"
for v in SECS EVERY WARMUP CLIENTS SERVERS SOURCES; do
	[[ ${!v} =~ ^[1-9][0-9]*$ ]] || die "$v='${!v}' is not a positive integer"
done
((SECS <= 3600)) || die "SECS=$SECS: at most 3600 (the churn's limit)"
((WARMUP <= SECS / 2)) || WARMUP=$((SECS / 2))
command -v curl >/dev/null || die "needs curl to scrape the exporter"
if [ -z "$PROM_PORT" ]; then
	for ((p = 39101; p < 39200; p++)); do
		[ -z "$(ss -ltnH "( sport = :$p )")" ] && PROM_PORT=$p && break
	done
	[ -n "$PROM_PORT" ] || die "no free port in 39101-39199; set PROM_PORT"
fi

note "building"
make --no-print-directory bench-bins >&2 || die "build failed"

TMP=$(mktemp -d /tmp/tcpdwell-soak.XXXXXX)
TRACER_PID=
FLOOR_PID=
CHURN_PID=
cleanup() {
	local p
	for p in "$CHURN_PID" "$FLOOR_PID" "$TRACER_PID"; do
		if [ -n "$p" ] && [ -e "/proc/$p" ]; then kill -KILL "$p" 2>/dev/null || true; fi
	done
	rm -rf "$TMP"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# start_bg OUT ERR CMD...: a process in the background; its pid in BG_PID
# once it has attached (holds a BPF link).
start_bg() {
	local out=$1 err=$2 rc=0
	shift 2
	"$@" >"$out" 2>"$err" &
	BG_PID=$!
	wait_attached "$BG_PID" || rc=$?
	((rc == 0)) || die "'$*' did not start (status $rc): $(head -c 300 "$err")"
}

# metric NAME_AND_LABELS FILE: a sample's value in a scrape, or empty.
metric() {
	awk -v k="$1" '$1 == k { print $2; exit }' "$2"
}

echo "soak: $(nproc) CPUs, kernel $(uname -r), load average $(cut -d' ' -f1-3 /proc/loadavg)," \
	"$(foreign_progs) tracing BPF programs of other processes loaded"
if ((FLOOR)); then
	start_bg "$TMP/floor.out" "$TMP/floor.err" "$BENCH_OUT/floor" ringbuf
	FLOOR_PID=$BG_PID
fi
start_bg "$TMP/tcpdwell.out" "$TMP/tcpdwell.err" ./tcpdwell -j -T --prometheus "127.0.0.1:$PROM_PORT"
TRACER_PID=$BG_PID
URL=http://127.0.0.1:$PROM_PORT/metrics
"$BENCH_OUT/churn" -d "$SECS" -c "$CLIENTS" -s "$SERVERS" -n "$SOURCES" >"$TMP/churn.out" 2>"$TMP/churn.err" &
CHURN_PID=$!
echo "soak: ${SECS}s of churn ($CLIENTS clients, $SERVERS servers, $SOURCES sources) under tcpdwell -T" \
	"--prometheus (pid $TRACER_PID), scraped every second at $URL; warm-up ${WARMUP}s"

SCRAPES=0
SCRAPE_FAILS=0
RSS=()  # after the warm-up, kB
FDS=()
START=$(date +%s.%N)
t=0
while alive "$CHURN_PID"; do
	# Scrape k at START + k seconds, whatever the previous one took.
	t=$((t + 1))
	delay=$(calc "$START + $t - $(date +%s.%N)")
	if is_true "$delay > 0"; then sleep "$delay"; fi
	alive "$TRACER_PID" || die "tcpdwell died: $(head -c 300 "$TMP/tcpdwell.err")"
	SCRAPES=$((SCRAPES + 1))
	code=$(curl -s -o "$TMP/scrape" -w '%{http_code}' --max-time 2 "$URL" || true)
	if [ "$code" = 200 ] && [ -n "$(metric tcpdwell_events_total "$TMP/scrape")" ]; then
		cp "$TMP/scrape" "$TMP/last"
	else
		SCRAPE_FAILS=$((SCRAPE_FAILS + 1))
		note "scrape $SCRAPES failed: HTTP ${code:-none}"
	fi
	((t % EVERY == 0)) || continue
	rss=$(awk '/^VmRSS:/ { print $2 }' "/proc/$TRACER_PID/status")
	fds=$(ls "/proc/$TRACER_PID/fd" | wc -l)
	if ((t > WARMUP)); then
		RSS+=("$rss")
		FDS+=("$fds")
	fi
	ev=$(metric tcpdwell_events_total "$TMP/last" 2>/dev/null || true)
	lost=$(awk '/^tcpdwell_events_lost_total\{/ { s += $2 } END { print s + 0 }' "$TMP/last" 2>/dev/null || echo '?')
	printf 'soak: %5ds rss %5.1f MB  fds %3d  events %10s  lost %7s  scrapes %d/%d  %s\n' "$t" \
		"$(calc "$rss / 1024")" "$fds" "${ev:-?}" "$lost" $((SCRAPES - SCRAPE_FAILS)) "$SCRAPES" \
		"$("$BENCH_OUT/mapfill" "$TRACER_PID" | sed 's/^mapfill //')"
done
CHURN_RC=0
wait "$CHURN_PID" || CHURN_RC=$?
CHURN_PID=
((CHURN_RC == 0)) || die "churn failed (status $CHURN_RC): $(head -c 300 "$TMP/churn.err")"
sleep 1 # the consumers drain
RSS_END=$(awk '/^VmRSS:/ { print $2 }' "/proc/$TRACER_PID/status")
HWM=$(awk '/^VmHWM:/ { print $2 }' "/proc/$TRACER_PID/status")
rc=0
stop_tracer "$TRACER_PID" || rc=$?
((rc == 0)) || note "tcpdwell exited with status $rc: $(head -c 300 "$TMP/tcpdwell.err")"
if ((FLOOR)); then
	kill -INT "$FLOOR_PID"
	wait "$FLOOR_PID" || note "the floor probe exited with status $?"
	FLOOR_PID=
fi

CHURN_LINE=$(cat "$TMP/churn.out")
SUM=$(grep '"type":"summary"' "$TMP/tcpdwell.out" | tail -1 || true)
[ -n "$SUM" ] || die "tcpdwell printed no JSON summary: $(head -c 300 "$TMP/tcpdwell.err")"
EV=$(jnum events "$SUM")
LOST=$(jnum lost "$SUM")
L_RB=$(jnum lost_ringbuf "$SUM")
L_REC=$(jnum lost_recursion "$SUM")
L_MINI=$(jnum lost_untracked_mini "$SUM")
echo
echo "soak: churn: $CHURN_LINE"
echo "soak: load average at the end $(cut -d' ' -f1-3 /proc/loadavg)"
echo "soak: tcpdwell: $EV events, $LOST lost ($(f3 "100 * $LOST / ($EV + $LOST)")%): ring buffer $L_RB," \
	"kernel recursion $L_REC, mini socks untracked $L_MINI; RSS $(f1 "$RSS_END / 1024") MB at the end," \
	"peak $(f1 "$HWM / 1024") MB"
echo "soak: scrapes: $((SCRAPES - SCRAPE_FAILS)) of $SCRAPES answered"
if ((FLOOR)); then
	FL=$(grep '^floor ' "$TMP/floor.out" | tail -1 || true)
	F_RECV=$(kv received "$FL")
	F_LOST=$(kv lost "$FL")
	echo "soak: ring-buffer floor probe beside it: $FL"
fi

echo
echo "Targets (issue 12):"
MISSES=0
# flat NAME VALUES...: (max - min) / min of the samples after the warm-up.
flat() {
	local name=$1
	shift
	if (($# < 2)); then
		target "$name flat after the warm-up (within 5%)" 0 "only $# sample(s) after ${WARMUP}s"
		return
	fi
	local lo hi
	lo=$(printf '%s\n' "$@" | vmin)
	hi=$(printf '%s\n' "$@" | vmax)
	target "$name flat after the warm-up (within 5%)" "($hi - $lo) / $lo <= $FLAT_LIMIT" \
		"$lo-$hi over $# samples ($(f1 "100 * ($hi - $lo) / $lo")%)"
}
target "every scrape answered" "$SCRAPE_FAILS == 0" "$((SCRAPES - SCRAPE_FAILS)) of $SCRAPES"
flat "RSS (kB)" "${RSS[@]}"
flat "open fds" "${FDS[@]}"
target "zero ring-buffer drops" "$L_RB == 0" "$L_RB dropped"
if ((FLOOR)) && [ -n "$F_RECV" ]; then
	# The floor probe can lose only these two ways: recursion and its ring.
	target "recursion and ring-buffer losses no higher than the ring-buffer floor's" \
		"($L_REC + $L_RB) / ($EV + $LOST) <= $F_LOST / ($F_RECV + $F_LOST)" \
		"$(f3 "100 * ($L_REC + $L_RB) / ($EV + $LOST)")% vs $(f3 "100 * $F_LOST / ($F_RECV + $F_LOST)")% (the floor probe's, same load)"
else
	printf '  %-4s %s: %s\n' SKIP "recursion and ring-buffer losses no higher than the ring-buffer floor's" "no floor probe"
fi
target "no timewait sock untracked (tw_socks never full)" "$L_MINI == 0" \
	"$L_MINI untracked ($(f3 "100 * $L_MINI / ($EV + $LOST)")%); the map holds a sixteenth more than net.ipv4.tcp_max_tw_buckets ($(cat /proc/sys/net/ipv4/tcp_max_tw_buckets)), for all namespaces"
echo
if ((MISSES)); then
	echo "soak: $MISSES target(s) missed"
	exit 1
fi
echo "soak: all targets met"
