#!/usr/bin/env bash
# Side-by-side overhead benchmark (issue 4), run by `make bench` as root: a
# connection churn (tests/bench/churn, in a namespace of its own) under no
# tracer, the floor probes, each tcpdwell mode and libbpf-tools' tcpstates,
# interleaved and repeated; then passes with kernel.bpf_stats_enabled=1 for
# the BPF cost per event. Prints two tables and PASS/MISS per target.
#
# Environment (defaults in brackets):
#   DURATION [5]        seconds of churn per run
#   REPEATS [3]         rounds of the throughput pass; each round runs every
#                       tracer once, starting one later than the round before
#   STATS_DURATION [3]  seconds per tracer in a BPF statistics pass; 0 skips them
#   STATS_REPEATS [3]   rounds of the BPF statistics pass (interleaved too)
#   MODES [--timers,--kernel-agg]
#                       tcpdwell variants besides the default, comma-separated:
#                       each is the flags added to `tcpdwell -j` (see TD_MODES;
#                       a variant that tcpdwell rejects with exit 2 is skipped)
#   BASE []             a git ref (commit, tag, branch) of an older tcpdwell to
#                       measure beside the current build in the same run: it is
#                       checked out in a temporary worktree (.output/bench/base-src,
#                       removed once built, and on any exit), built there with
#                       its own Makefile (.output/bench/tcpdwell-base) and run
#                       as "tcpdwell base" right after the current default mode,
#                       in both passes; the summary compares their BPF ns/event.
#                       Empty: no base
#   BASE_MODES []       with BASE: variants of the base build besides its default
#                       mode, comma-separated like MODES; each runs right after
#                       the same variant of the current build (added to MODES if
#                       missing there)
#   VARIANTS []         builds of the current tree with steps of the kernel
#                       side compiled out or swapped, ';'-separated, each
#                       NAME:FLAGS[:MODE]: FLAGS go to BPF_EXTRA (the -D knobs
#                       in bpf/), MODE to `tcpdwell -j` (default mode if
#                       empty); each runs as "tcpdwell var NAME" right after the
#                       same mode of the current build, and the summary gives
#                       its BPF ns/event beside that mode's (issue 13's
#                       breakdown). Example: VARIANTS="probe:-DTD_ACCEPT_PROBE"
#   BOUNDS []           set (not 0): add the lower-bound variants to
#                       VARIANTS, in the default mode and with --kernel-agg:
#                       no storage created for clients (nocreate), no socket
#                       storage at all (nostate), and neither storage nor
#                       record or aggregate (bare). The summary gives each
#                       one's ratio to its mode's floor beside the target, so
#                       a run shows what the targets leave for the work that
#                       keeps the outputs
#   SYSCALL_REPEATS [5] rounds of the syscall-cost pass: a getppid() loop
#                       (tests/bench/sysloop) under no tracer and each tracer
#                       but tcpstates, interleaved; 0 skips it. Attaching any
#                       syscalls:* tracepoint (the accept hooks) slows every
#                       system call on the host, not only accept's
#   SYSCALL_CALLS [2000000] system calls per sysloop run
#   CLIENTS [CPUs]  SERVERS [CLIENTS]  SOURCES [64]  CLOSER [client|server]
#   PIN []              a CPU list (taskset -c) for every thread of the churn:
#                       PIN=0 takes the scheduler's placement of its threads,
#                       which makes the BPF figures bimodal on a 2-CPU
#                       machine, out of them; empty: no pinning
#   TCPSTATES [/usr/sbin/tcpstates]  empty skips it
#   COOLDOWN [1]        seconds between runs (the last namespace is torn down)
#   KEEP                a directory to keep every run's raw output in
#   SCALE               set: run only the scale case (issue 10; a large socket
#                       table, idle CPU and census cost, snapshot against ss),
#                       see scripts/bench-scale.sh for its knobs; with BASE,
#                       the base build is measured beside the current one
# Example: DURATION=3 REPEATS=5 MODES="--kernel-agg,-r 64M" make bench
#          BASE=main BASE_MODES=--kernel-agg make bench
set -euo pipefail
cd "$(dirname "$0")/.."

DURATION=${DURATION:-5}
REPEATS=${REPEATS:-3}
STATS_DURATION=${STATS_DURATION:-3}
STATS_REPEATS=${STATS_REPEATS:-3}
CLIENTS=${CLIENTS:-$(nproc)}
SERVERS=${SERVERS:-$CLIENTS}
SOURCES=${SOURCES:-64}
CLOSER=${CLOSER:-client}
TCPSTATES=${TCPSTATES-/usr/sbin/tcpstates}
COOLDOWN=${COOLDOWN:-1}
KEEP=${KEEP:-}
BASE=${BASE:-}
BASE_MODES=${BASE_MODES:-}
VARIANTS=${VARIANTS:-}
BOUNDS=${BOUNDS:-}
SYSCALL_REPEATS=${SYSCALL_REPEATS:-5}
SYSCALL_CALLS=${SYSCALL_CALLS:-2000000}
PIN=${PIN:-}

BENCH_OUT=.output/bench
CHURN=$BENCH_OUT/churn
SYSLOOP=$BENCH_OUT/sysloop
FLOOR=$BENCH_OUT/floor
BASE_SRC=$BENCH_OUT/base-src
BASE_BIN=$BENCH_OUT/tcpdwell-base
SETTLE=0.5 # after the load: let consumers drain before reading their counters

die() { echo "bench: $*" >&2; exit 1; }
note() { echo "bench: $*" >&2; }

[ "$(id -u)" -eq 0 ] || die "needs root (BPF, network namespaces, sysctl); run: sudo make bench"
for v in DURATION STATS_DURATION COOLDOWN; do
	[[ ${!v} =~ ^[0-9]+(\.[0-9]+)?$ ]] || die "$v='${!v}' is not a number of seconds"
done
for v in REPEATS STATS_REPEATS CLIENTS SERVERS SOURCES SYSCALL_CALLS; do
	[[ ${!v} =~ ^[1-9][0-9]*$ ]] || die "$v='${!v}' is not a positive integer"
done
case $CLOSER in
client) CHURN_ARGS=() ;;
server) CHURN_ARGS=(-S) ;;
*) die "CLOSER='$CLOSER': want client or server" ;;
esac
CHURN_ARGS+=(-c "$CLIENTS" -s "$SERVERS" -n "$SOURCES")
CHURN_PRE=()
if [ -n "$PIN" ]; then
	[[ $PIN =~ ^[0-9]+([,-][0-9]+)*$ ]] || die "PIN='$PIN' is not a CPU list (e.g. 0 or 0-1)"
	taskset -c "$PIN" true 2>/dev/null || die "PIN='$PIN': taskset cannot run on these CPUs"
	CHURN_PRE=(taskset -c "$PIN")
fi
if [ -n "$BASE" ]; then
	BASE_REV=$(git rev-parse --verify --quiet "$BASE^{commit}") || die "BASE='$BASE' is not a git commit here"
elif [ -n "$BASE_MODES" ]; then
	note "BASE_MODES ignored: no BASE"
fi

note "building"
make --no-print-directory bench-bins >&2 || die "build failed"

# split_modes LIST: the non-empty entries of a comma-separated list, trimmed,
# one per line.
split_modes() {
	local m extra
	IFS=',' read -ra extra <<<"$1"
	for m in "${extra[@]}"; do
		m=$(echo "$m" | xargs) # trim
		if [ -n "$m" ]; then echo "$m"; fi
	done
}
# tcpdwell variants, one entry each: the flags added to `tcpdwell -j`; ""
# is the default mode. Edit the list here, or replace all but the default
# with MODES="--kernel-agg,-r 64M".
TD_MODES=("" "--timers" "--kernel-agg")
if [ -n "${MODES+set}" ]; then
	mapfile -t extra < <(split_modes "$MODES")
	TD_MODES=("" "${extra[@]}")
fi
# The base build's variants: the default mode and BASE_MODES, each paired with
# the same variant of the current build.
TDB_MODES=()
if [ -n "$BASE" ]; then
	mapfile -t extra < <(split_modes "$BASE_MODES")
	TDB_MODES=("" "${extra[@]}")
	for b in "${extra[@]}"; do
		for m in "${TD_MODES[@]}"; do
			if [ "$m" = "$b" ]; then continue 2; fi
		done
		note "BASE_MODES: adding '$b' to the current build's modes too, to compare with"
		TD_MODES+=("$b")
	done
fi

# The tracers, in run order: "label|kind|command"; kind picks the parser of
# the tracer's output. A base entry follows the same mode of the current build;
# BASE_OF[i] is the index of the current entry that base entry i pairs with.
# The floors come first: none, the null probe, the ring buffer shared by
# every CPU, and a ring per CPU (tcpdwell's own layout without -e).
TRACERS=("none|none|" "null probe|floor|$FLOOR null" "ringbuf floor|floor|$FLOOR ringbuf"
	"ringbuf floor per CPU|floor|$FLOOR ringbuf-percpu")
NULL_I=1 FLOOR_I=2 PCPU_I=3 # their indices; tcpdwell's entries follow
declare -A BASE_OF=()
for m in "${TD_MODES[@]}"; do
	TRACERS+=("tcpdwell${m:+ $m}|tcpdwell|./tcpdwell -j $m")
	for b in "${TDB_MODES[@]}"; do
		[ "$b" = "$m" ] || continue
		BASE_OF[${#TRACERS[@]}]=$((${#TRACERS[@]} - 1))
		TRACERS+=("tcpdwell base${m:+ $m}|tcpdwell|$BASE_BIN -j $m")
	done
done
# ---- Variants (issue 13): the current tree with -D knobs ----------------------
# VAR_OF[i]: the index of the current build's entry that variant entry i pairs
# with; VAR_FLAGS[i]: its BPF_EXTRA; VAR_MODE[i]: its tcpdwell flags.
declare -A VAR_OF=() VAR_FLAGS=() VAR_MODE=()
if [ -n "$BOUNDS" ] && [ "$BOUNDS" != 0 ]; then
	for m in "" "--kernel-agg"; do
		VARIANTS+="${VARIANTS:+;}nocreate${m:+-agg}:-DTD_SKIP_CREATE:$m"
		VARIANTS+=";nostate${m:+-agg}:-DTD_SKIP_STORAGE:$m"
		VARIANTS+=";bare${m:+-agg}:-DTD_SKIP_STORAGE -DTD_SKIP_EMIT:$m"
	done
fi
# build_variant NAME FLAGS: tcpdwell built from a copy of this tree with
# BPF_EXTRA=FLAGS, as $BENCH_OUT/tcpdwell-var-NAME. The copy reuses the pure
# modules' objects (their timestamps kept), so only the BPF side and the
# modules that embed it are rebuilt.
build_variant() {
	local name=$1 flags=$2 dir=$BENCH_OUT/var-src-$1
	rm -rf "$dir"
	mkdir -p "$dir/.output"
	cp -a Makefile bpf user vmlinux "$dir"/ && cp -a .output/user "$dir/.output/" ||
		die "VARIANTS: cannot copy the tree to $dir"
	note "building variant '$name' (BPF_EXTRA=$flags)"
	make --no-print-directory -C "$dir" BPF_EXTRA="$flags" tcpdwell >&2 ||
		die "VARIANTS: build of '$name' with BPF_EXTRA='$flags' failed"
	mv "$dir/tcpdwell" "$BENCH_OUT/tcpdwell-var-$name"
	rm -rf "$dir"
}
# add_variants: builds VARIANTS and appends each to the tracers, paired with
# the current build's entry of its mode (the default mode's when that mode
# is not measured). Rounds rotate the run order, so the place in the list
# does not favour anyone.
add_variants() {
	local spec name flags mode j at
	local -a specs
	IFS=';' read -ra specs <<<"$VARIANTS"
	for spec in "${specs[@]}"; do
		[ -n "$(xargs <<<"$spec")" ] || continue
		IFS=':' read -r name flags mode <<<"$spec"
		name=$(xargs <<<"$name")
		mode=$(xargs <<<"${mode:-}")
		[[ $name =~ ^[A-Za-z0-9_.-]+$ ]] || die "VARIANTS: '$spec': want NAME:FLAGS[:MODE], NAME of letters, digits, _.-"
		build_variant "$name" "$flags"
		at=$((PCPU_I + 1))
		for ((j = PCPU_I + 1; j < ${#TRACERS[@]}; j++)); do
			[ "${TRACERS[$j]%%|*}" = "tcpdwell${mode:+ $mode}" ] && at=$j
		done
		VAR_OF[${#TRACERS[@]}]=$at
		VAR_FLAGS[${#TRACERS[@]}]=$flags
		VAR_MODE[${#TRACERS[@]}]=$mode
		TRACERS+=("tcpdwell var $name${mode:+ $mode}|tcpdwell|$BENCH_OUT/tcpdwell-var-$name -j $mode")
	done
}
add_variants

TCPSTATES_PREFIX=()
if [ -n "$TCPSTATES" ]; then
	if [ ! -x "$TCPSTATES" ]; then
		note "skipping tcpstates: $TCPSTATES not found (Debian package libbpf-tools)"
	else
		TRACERS+=("tcpstates|tcpstates|$TCPSTATES")
		# tcpstates attaches a classic tracepoint, which needs tracefs. If
		# the host has none mounted, mount one in a private mount namespace
		# of tcpstates' own rather than change the host.
		if [ ! -d /sys/kernel/tracing/events ] && [ ! -d /sys/kernel/debug/tracing/events ]; then
			TCPSTATES_PREFIX=(unshare -m --propagation private -- sh -c
				'mount -t tracefs tracefs /sys/kernel/tracing && exec "$@"' tcpstates)
		fi
	fi
fi
NT=${#TRACERS[@]}

TMP=$(mktemp -d /tmp/tcpdwell-bench.XXXXXX)
TRACER_PID=
STATS_OLD=
cleanup() {
	if [ -n "$TRACER_PID" ] && [ -e "/proc/$TRACER_PID" ]; then
		kill -KILL "$TRACER_PID" 2>/dev/null || true
	fi
	if [ -n "$STATS_OLD" ]; then
		echo "$STATS_OLD" >/proc/sys/kernel/bpf_stats_enabled || note "failed to restore kernel.bpf_stats_enabled=$STATS_OLD"
	fi
	remove_base_src
	if [ -n "$KEEP" ]; then
		mkdir -p "$KEEP" && cp -r "$TMP"/. "$KEEP"/ && note "raw output kept in $KEEP"
	fi
	rm -rf "$TMP"
}
# The base build's worktree, once added.
BASE_ADDED=
remove_base_src() {
	if [ -n "$BASE_ADDED" ]; then
		git worktree remove --force "$BASE_SRC" || note "failed to remove the worktree $BASE_SRC; run: git worktree remove --force $BASE_SRC"
		BASE_ADDED=
	fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

if [ -n "$BASE" ]; then
	note "building BASE=$BASE (${BASE_REV:0:12}) in $BASE_SRC"
	# A stale worktree of an interrupted run: --force unregisters it even if
	# its directory is gone.
	git worktree remove --force "$BASE_SRC" >/dev/null 2>&1 || true
	rm -rf "$BASE_SRC"
	git worktree add --quiet --detach "$BASE_SRC" "$BASE_REV" >&2 || die "BASE=$BASE: git worktree add $BASE_SRC failed"
	BASE_ADDED=1
	make --no-print-directory -C "$BASE_SRC" tcpdwell >&2 || die "BASE=$BASE: build of tcpdwell failed in $BASE_SRC"
	cp "$BASE_SRC/tcpdwell" "$BASE_BIN" || die "BASE=$BASE: cannot copy $BASE_SRC/tcpdwell to $BASE_BIN"
	remove_base_src # done with it; the EXIT trap covers the failures above
fi

# alive, cpu_ticks ... stop_tracer, kv, jnum; median ... spread: shared with
# scripts/soak.sh.
. scripts/bench-lib.sh

# vals I FIELD: the field over the throughput rounds, one per line.
vals() {
	local r
	for ((r = 1; r <= REPEATS; r++)); do
		if [ -n "${R[$1,$r,$2]:-}" ]; then echo "${R[$1,$r,$2]}"; fi
	done
}

declare -A R     # R[i,round,field]: results of tracer i's run in a round (s1, s2...: BPF statistics passes)
declare -A SKIP  # SKIP[i]: why tracer i is not run
CLK_TCK=$(getconf CLK_TCK)
FOREIGN_MAX=0

# run_one I ROUND SECONDS: one churn run under tracer I.
run_one() {
	local i=$1 round=$2 secs=$3 label kind cmd argv pid='' rc out err line
	local cpu0=0 cpu1=0 exact0=0 exact1=0 ids=() tp_ids=() other_ids=() id foreign
	IFS='|' read -r label kind cmd <<<"${TRACERS[$i]}"
	out=$TMP/$i.$round.out
	err=$TMP/$i.$round.err
	: >"$out"
	: >"$err"
	if [ "$kind" != none ]; then
		read -ra argv <<<"$cmd"
		if [ "$kind" = tcpstates ]; then
			"${TCPSTATES_PREFIX[@]}" "${argv[@]}" >/dev/null 2>"$err" &
		else
			"${argv[@]}" >"$out" 2>"$err" &
		fi
		pid=$!
		TRACER_PID=$pid
		rc=0
		wait_attached "$pid" || rc=$?
		if [ "$rc" -ne 0 ]; then
			TRACER_PID=
			if [ "$kind" = tcpdwell ] && [ "$rc" -eq 2 ]; then
				SKIP[$i]="${label%% -*} rejects '${cmd#* -j }' (exit 2)"
			elif [ "$rc" -eq 124 ]; then
				kill -KILL "$pid" 2>/dev/null || true
				wait "$pid" 2>/dev/null || true
				SKIP[$i]="not attached after 15 s"
			else
				SKIP[$i]="failed to start (exit $rc): $(head -c 300 "$err" | tr '\n' ' ')"
			fi
			return 0
		fi
		cpu0=$(cpu_ticks "$pid")
		exact0=$(cpu_exact_ns "$pid")
		mapfile -t ids < <(prog_ids "$pid")
		mapfile -t tp_ids < <(tp_prog_ids "$pid")
		((${#tp_ids[@]})) || tp_ids=("${ids[@]}")
		for id in "${ids[@]}"; do
			[[ " ${tp_ids[*]} " == *" $id "* ]] || other_ids+=("$id")
		done
	fi
	foreign=$(foreign_progs "${ids[@]}")
	((foreign > FOREIGN_MAX)) && FOREIGN_MAX=$foreign
	# BPF statistics count from here: what a tracer ran while it started
	# (its seeding, its first census) is not a cost per transition.
	local -A stat0=()
	if [ -n "$pid" ] && [[ $round == s* ]]; then
		for id in "${ids[@]}"; do
			stat0[$id,ns]=$(bpftool_sum run_time_ns "$id")
			stat0[$id,cnt]=$(bpftool_sum run_cnt "$id")
		done
	fi

	line=$("${CHURN_PRE[@]}" "$CHURN" -d "$secs" "${CHURN_ARGS[@]}" 2>"$TMP/churn.err") ||
		die "churn failed under '$label': $(cat "$TMP/churn.err")"
	[ -s "$TMP/churn.err" ] && note "churn under '$label': $(head -c 300 "$TMP/churn.err")"
	echo "$line" >"$TMP/$i.$round.churn"
	R[$i,$round,cps]=$(kv conns_per_s "$line")
	R[$i,$round,expected]=$(kv events_expected "$line")
	R[$i,$round,errors]=$(( $(kv errors "$line") + $(kv incomplete "$line") ))

	if [ -n "$pid" ]; then
		sleep "$SETTLE"
		alive "$pid" || die "'$label' died during the run: $(head -c 300 "$err")"
		cpu1=$(cpu_ticks "$pid")
		exact1=$(cpu_exact_ns "$pid")
		R[$i,$round,cpu_ns]=$(( (cpu1 - cpu0) * 1000000000 / CLK_TCK ))
		R[$i,$round,cpu_exact_ns]=$((exact1 - exact0))
		R[$i,$round,hwm_kb]=$(awk '/^VmHWM:/ { print $2 }' "/proc/$pid/status")
		# Skipped runs of the transition program(s), and of any others
		# (tcpdwell's timer hooks), as the kernel counts them.
		R[$i,$round,recursion]=$(bpftool_sum recursion_misses "${tp_ids[@]}")
		R[$i,$round,recursion_other]=$(bpftool_sum recursion_misses "${other_ids[@]}")
		R[$i,$round,nprogs]=${#ids[@]}
		if [[ $round == s* ]]; then
			local run_ns=0 run_cnt=0 ns cnt per=""
			for id in "${ids[@]}"; do
				ns=$(( $(bpftool_sum run_time_ns "$id") - ${stat0[$id,ns]:-0} ))
				cnt=$(( $(bpftool_sum run_cnt "$id") - ${stat0[$id,cnt]:-0} ))
				run_ns=$((run_ns + ns)) run_cnt=$((run_cnt + cnt))
				per+="$(bpftool -j prog show id "$id" 2>/dev/null | sed -n 's/.*"name":"\([^"]*\)".*/\1/p') $ns $cnt;"
			done
			R[$i,$round,run_ns]=$run_ns
			R[$i,$round,run_cnt]=$run_cnt
			R[$i,$round,per_prog]=$per
		fi
		rc=0
		stop_tracer "$pid" || rc=$?
		[ "$rc" -eq 0 ] || [ "$kind" = tcpstates ] || note "'$label' exited with status $rc: $(head -c 300 "$err")"
		case $kind in
		floor)
			line=$(grep '^floor ' "$out" | tail -1 || true)
			R[$i,$round,received]=$(kv received "$line")
			R[$i,$round,lost_rb]=$(kv dropped "$line")
			R[$i,$round,lost_rec]=$(kv recursion_misses "$line")
			;;
		tcpdwell)
			line=$(grep '"type":"summary"' "$out" | tail -1 || true)
			[ -n "$line" ] || note "'$label' printed no JSON summary"
			R[$i,$round,received]=$(jnum events "$line")
			R[$i,$round,lost]=$(jnum lost "$line")
			R[$i,$round,lost_rb]=$(jnum lost_ringbuf "$line")
			R[$i,$round,lost_rec]=$(jnum lost_recursion "$line")
			# Records the tracepoint never emits: a TIME_WAIT's end, seen
			# through the timer hooks (TIME_WAIT itself replaces the
			# tracepoint's FIN_WAIT2->CLOSE, so it adds nothing).
			R[$i,$round,extra]=$(awk -F'"count":' '/"type":"transitions"/ && /"old":"TIME_WAIT"/ { s += $2 + 0 }
				END { print s + 0 }' "$out")
			;;
		tcpstates)
			# Its output goes to /dev/null: it reports only its perf
			# buffer losses ("lost N events on CPU #C") on stderr.
			R[$i,$round,lost_rb]=$(awk '/^lost [0-9]+ events/ { s += $2 } END { print s + 0 }' "$err")
			R[$i,$round,lost_rec]=${R[$i,$round,recursion]}
			;;
		esac
		if [ -z "${R[$i,$round,lost]:-}" ]; then
			R[$i,$round,lost]=$(( ${R[$i,$round,lost_rb]:-0} + ${R[$i,$round,lost_rec]:-0} ))
		fi
	fi
	sleep "$COOLDOWN"
}
# The scale case (issue 10) runs on its own: SCALE=1 make bench.
if [ -n "${SCALE:-}" ]; then
	. scripts/bench-scale.sh
	(scale_main) # a subshell: any error ends the bench, not just the function
	exit
fi

# ---- Syscall cost (the accept hooks' host-wide tax) --------------------------
# sys_one I ROUND: sysloop's ns per getppid() under tracer I (none for 0).
sys_one() {
	local i=$1 round=$2 label kind cmd argv pid='' rc line
	IFS='|' read -r label kind cmd <<<"${TRACERS[$i]}"
	if [ "$kind" != none ]; then
		read -ra argv <<<"$cmd"
		"${argv[@]}" >/dev/null 2>"$TMP/sys.err" &
		pid=$!
		TRACER_PID=$pid
		rc=0
		wait_attached "$pid" || rc=$?
		if [ "$rc" -ne 0 ]; then
			TRACER_PID=
			kill -KILL "$pid" 2>/dev/null || true
			wait "$pid" 2>/dev/null || true
			return 0
		fi
	fi
	# Classic tracepoint programs of others (another tcpdwell's accept
	# hooks) set the same host-wide flag: a run without one of its own
	# measures nothing then. Wait up to 15 s for a moment without them.
	local mine=() own=0 k
	if [ -n "$pid" ]; then
		mapfile -t mine < <(prog_ids "$pid")
		for k in "${mine[@]}"; do
			bpftool -j prog show id "$k" 2>/dev/null | grep -q '"type":"tracepoint"' && own=1
		done
	fi
	for ((k = 0; k < 30; k++)); do
		((own == 0)) || break
		(($(foreign_tp_progs "${mine[@]}") > 0)) || break
		sleep 0.5
	done
	line=$("$SYSLOOP" -n "$SYSCALL_CALLS") || die "sysloop failed under '$label'"
	R[$i,y$round,sys_ns]=$(kv ns_per_call "$line")
	R[$i,y$round,sys_foreign]=0
	((own == 1)) || R[$i,y$round,sys_foreign]=$(foreign_tp_progs "${mine[@]}")
	if [ -n "$pid" ]; then stop_tracer "$pid" || true; fi
}

# foreign_tp_progs [MY IDS...]: classic tracepoint programs loaded by others.
foreign_tp_progs() {
	local mine=" $* " n=0 id
	for id in $(bpftool -j prog show 2>/dev/null | grep -o '"id":[0-9]*,"type":"tracepoint"' | sed 's/"id":\([0-9]*\),.*/\1/'); do
		[[ $mine == *" $id "* ]] || n=$((n + 1))
	done
	echo "$n"
}

# syscall_pass: SYSCALL_REPEATS interleaved rounds over every tracer but
# tcpstates (its classic tracepoint is no syscall one).
syscall_pass() {
	local round k i label kind
	((SYSCALL_REPEATS > 0)) || return 0
	for ((round = 1; round <= SYSCALL_REPEATS; round++)); do
		for ((k = 0; k < NT; k++)); do
			i=$(( (k + round - 1) % NT ))
			IFS='|' read -r label kind _ <<<"${TRACERS[$i]}"
			[ "$kind" != tcpstates ] && [ -z "${SKIP[$i]:-}" ] || continue
			sys_one "$i" "$round"
			printf 'bench: syscall cost %d/%d: %-28s %6s ns/getppid%s\n' "$round" "$SYSCALL_REPEATS" "$label" "${R[$i,y$round,sys_ns]:-?}" \
				"$( ((${R[$i,y$round,sys_foreign]:-0} == 0)) || echo " (not counted: others' syscall tracepoints loaded)")" >&2
		done
	done
}

# sys_vals I: tracer I's ns per getppid() over the clean rounds (all rounds if
# none was clean).
sys_vals() {
	local r v
	v=$(for ((r = 1; r <= SYSCALL_REPEATS; r++)); do
		if [ -n "${R[$1,y$r,sys_ns]:-}" ] && ((${R[$1,y$r,sys_foreign]:-0} == 0)); then echo "${R[$1,y$r,sys_ns]}"; fi
	done)
	if [ -z "$v" ]; then
		v=$(for ((r = 1; r <= SYSCALL_REPEATS; r++)); do echo "${R[$1,y$r,sys_ns]:-}"; done | grep . || true)
	fi
	echo "$v"
}

# print_syscalls: the median ns per getppid() under each tracer, and what it
# adds to every system call on the host against no tracer.
print_syscalls() {
	local i r label v base clean
	((SYSCALL_REPEATS > 0)) || return 0
	base=$(sys_vals 0 | median)
	[ -n "$base" ] || return 0
	echo
	echo "Syscall cost: ns per getppid() (sysloop, $SYSCALL_CALLS calls in bursts, median burst in thread CPU time;"
	echo "median (min-max) over the clean rounds (clean/all): no one else's classic tracepoint program loaded, unless the tracer has one):"
	echo "a tracer attached to any syscalls:* tracepoint puts every system call of every task on the slow path"
	for ((i = 0; i < NT; i++)); do
		IFS='|' read -r label _ <<<"${TRACERS[$i]}"
		v=$(sys_vals "$i")
		[ -n "$v" ] || continue
		clean=0
		for ((r = 1; r <= SYSCALL_REPEATS; r++)); do
			if [ -n "${R[$i,y$r,sys_ns]:-}" ] && ((${R[$i,y$r,sys_foreign]:-0} == 0)); then clean=$((clean + 1)); fi
		done
		printf '  %-28s %7.1f ns (%s-%s, %d/%d)  %+7.1f ns per system call (%+.0f%%)\n' "$label" "$(median <<<"$v")" \
			"$(vmin <<<"$v")" "$(vmax <<<"$v")" "$clean" "$SYSCALL_REPEATS" "$(calc "$(median <<<"$v") - $base")" \
			"$(calc "100 * ($(median <<<"$v") - $base) / $base")"
	done
}

# variant_floor I: variant I's BPF ns/event as a ratio to its mode's floor
# and that mode's target (default: both ring-buffer floors, 1.3x;
# --kernel-agg: the null probe, 2.5x); nothing for other modes.
variant_floor() {
	local i=$1 f
	case ${VAR_MODE[$i]} in
	"") for f in $FLOOR_I $PCPU_I; do
		have_bpf "$f" || continue
		printf '; %sx %s (target 1.3x)' "$(f2 "${S[$i,bpf_ns]} / ${S[$f,bpf_ns]}")" "${TRACERS[$f]%%|*}"
	done ;;
	--kernel-agg) if have_bpf $NULL_I; then
		printf '; %sx %s (target 2.5x)' "$(f2 "${S[$i,bpf_ns]} / ${S[$NULL_I,bpf_ns]}")" "${TRACERS[$NULL_I]%%|*}"
	fi ;;
	esac
}

# print_variants: each variant's BPF ns/event beside its mode's, per program,
# and its ratio to its mode's floor.
print_variants() {
	local i c
	((${#VAR_OF[@]})) || return 0
	echo
	for i in $(printf '%s\n' "${!VAR_OF[@]}" | sort -n); do
		c=${VAR_OF[$i]}
		if ! have_bpf "$i" || ! have_bpf "$c"; then
			echo "${TRACERS[$i]%%|*} (BPF_EXTRA=${VAR_FLAGS[$i]}): no BPF statistics pass"
			continue
		fi
		echo "${TRACERS[$i]%%|*} (BPF_EXTRA=${VAR_FLAGS[$i]}): BPF ns/event $(f1 "${S[$i,bpf_ns]}") (min-max $(round0 "${S[$i,bpf_min]}")-$(round0 "${S[$i,bpf_max]}")) vs ${TRACERS[$c]%%|*} $(f1 "${S[$c,bpf_ns]}") ($(round0 "${S[$c,bpf_min]}")-$(round0 "${S[$c,bpf_max]}")): current - variant $(f1 "${S[$c,bpf_ns]} - ${S[$i,bpf_ns]}") ns, ratio $(f2 "${S[$i,bpf_ns]} / ${S[$c,bpf_ns]}")$(variant_floor "$i")"
	done
}

echo "bench: $(nproc) CPUs, kernel $(uname -r), load average $(cut -d' ' -f1-3 /proc/loadavg)" >&2
n=$(foreign_progs)
((n == 0)) || note "warning: $n tracing BPF programs of other processes are loaded; they will tax every run"
echo "bench: churn $CLIENTS clients, $SERVERS servers, $SOURCES sources, $CLOSER closes first${PIN:+, pinned to CPU $PIN}; ${DURATION}s x $REPEATS rounds, $NT tracers" >&2
for ((round = 1; round <= REPEATS; round++)); do
	for ((k = 0; k < NT; k++)); do
		i=$(( (k + round - 1) % NT ))
		[ -n "${SKIP[$i]:-}" ] && continue
		IFS='|' read -r label _ <<<"${TRACERS[$i]}"
		printf 'bench: round %d/%d: %-28s' "$round" "$REPEATS" "$label" >&2
		run_one "$i" "$round" "$DURATION"
		if [ -n "${SKIP[$i]:-}" ]; then
			echo " skipped: ${SKIP[$i]}" >&2
		else
			printf ' %8.0f conn/s\n' "${R[$i,$round,cps]}" >&2
		fi
	done
done

if [ "$STATS_DURATION" != 0 ]; then
	STATS_OLD=$(cat /proc/sys/kernel/bpf_stats_enabled)
	echo 1 >/proc/sys/kernel/bpf_stats_enabled
	for ((round = 1; round <= STATS_REPEATS; round++)); do
		for ((k = 0; k < NT - 1; k++)); do
			i=$(( 1 + (k + round - 1) % (NT - 1) )) # all but "none"
			[ -n "${SKIP[$i]:-}" ] && continue
			IFS='|' read -r label _ <<<"${TRACERS[$i]}"
			printf 'bench: BPF statistics %d/%d: %-28s' "$round" "$STATS_REPEATS" "$label" >&2
			run_one "$i" "s$round" "$STATS_DURATION"
			if [ -n "${SKIP[$i]:-}" ]; then
				echo " skipped: ${SKIP[$i]}" >&2
			else
				printf ' %6s ns/event\n' "$(round0 "${R[$i,s$round,run_ns]} / ${R[$i,s$round,expected]}")" >&2
			fi
		done
	done
	echo "$STATS_OLD" >/proc/sys/kernel/bpf_stats_enabled
	STATS_OLD=
fi

syscall_pass

# ---- Report ------------------------------------------------------------------

declare -A S # S[i,metric]: summary per tracer
for ((i = 0; i < NT; i++)); do
	[ -n "${SKIP[$i]:-}" ] && continue
	S[$i,cps]=$(vals "$i" cps | median)
	S[$i,min]=$(vals "$i" cps | vmin)
	S[$i,max]=$(vals "$i" cps | vmax)
	S[$i,expected]=$(vals "$i" expected | vsum)
	S[$i,errors]=$(vals "$i" errors | vsum)
	[ "$i" -eq 0 ] && continue
	for f in received extra lost lost_rb lost_rec recursion recursion_other cpu_ns cpu_exact_ns; do
		S[$i,$f]=$(vals "$i" $f | vsum)
	done
	[ -n "$(vals "$i" received)" ] || S[$i,received]=
	# Recursion misses per round, as a rate: one round can miss 50 times
	# as often as the next (softirqs landing in programs), so the target
	# compares medians, and the rounds' range is printed beside them.
	rec=$(for ((r = 1; r <= REPEATS; r++)); do
		if [ -n "${R[$i,$r,recursion]:-}" ] && [ -n "${R[$i,$r,expected]:-}" ]; then
			calc "100 * ${R[$i,$r,recursion]} / ${R[$i,$r,expected]}"
		fi
	done)
	S[$i,rec_pct]=$(median <<<"$rec")
	S[$i,rec_pct_min]=$(vmin <<<"$rec")
	S[$i,rec_pct_max]=$(vmax <<<"$rec")
	S[$i,hwm_kb]=$(vals "$i" hwm_kb | vmax)
	S[$i,cpu_per_ev]=$(calc "${S[$i,cpu_ns]} / ${S[$i,expected]}")
	S[$i,cpu_exact_per_ev]=$(calc "${S[$i,cpu_exact_ns]} / ${S[$i,expected]}")
	# BPF cost: the median over the statistics passes, and its spread.
	bpf=$(for ((r = 1; r <= STATS_REPEATS; r++)); do
		if [ -n "${R[$i,s$r,run_ns]:-}" ]; then calc "${R[$i,s$r,run_ns]} / ${R[$i,s$r,expected]}"; fi
	done)
	if [ -n "$bpf" ]; then
		S[$i,bpf_ns]=$(median <<<"$bpf")
		S[$i,bpf_min]=$(vmin <<<"$bpf")
		S[$i,bpf_max]=$(vmax <<<"$bpf")
		S[$i,bpf_spread]=$(spread "${S[$i,bpf_min]}" "${S[$i,bpf_max]}" "${S[$i,bpf_ns]}")
		S[$i,bpf_n]=$(wc -l <<<"$bpf")
		S[$i,run_ns]=$(for ((r = 1; r <= STATS_REPEATS; r++)); do
			if [ -n "${R[$i,s$r,run_cnt]:-}" ]; then calc "${R[$i,s$r,run_cnt]} ? ${R[$i,s$r,run_ns]} / ${R[$i,s$r,run_cnt]} : 0"; fi
		done | median)
	fi
done
for i in 0 $NULL_I $FLOOR_I $PCPU_I; do
	[ -z "${SKIP[$i]:-}" ] || die "no runs of '${TRACERS[$i]%%|*}' to compare with: ${SKIP[$i]}"
done
BASE_CPS=${S[0,cps]}
overhead() { calc "1 - ${S[$1,cps]} / $BASE_CPS"; }
FLOOR_OVH=$(overhead $FLOOR_I)
# Run-to-run noise: the relative spread of the baseline and of the floor.
NOISE=$(spread "${S[0,min]}" "${S[0,max]}" "${S[0,cps]}")
NOISE_F=$(spread "${S[$FLOOR_I,min]}" "${S[$FLOOR_I,max]}" "${S[$FLOOR_I,cps]}")
is_true "$NOISE_F > $NOISE" && NOISE=$NOISE_F
have_bpf() { [ -n "${S[$1,bpf_ns]:-}" ]; }

# Base vs current, per pair (BASE_OF): the ratio of the BPF ns/event medians
# of the statistics passes, and the noise to judge it by. That noise is the
# larger of the two entries' own spreads over those passes, (max - min) /
# median of BPF ns/event, i.e. the "min-max" of the table below: the noisier
# side bounds what a difference can show. Not NOISE: that is the spread of
# conn/s in the throughput pass, another quantity from other runs. With fewer
# than 3 passes per side there is no spread to speak of (one pass: 0), so the
# comparison is inconclusive, as for the throughput target. A difference is
# within noise if current <= base * (1 + max(noise, 5%)).
for i in "${!BASE_OF[@]}"; do
	c=${BASE_OF[$i]}
	S[$i,pair]=
	if [ -n "${SKIP[$i]:-}" ] || [ -n "${SKIP[$c]:-}" ]; then
		S[$i,pair]="skipped: ${SKIP[$i]:-${SKIP[$c]}}"
	elif ! have_bpf "$i" || ! have_bpf "$c"; then
		S[$i,pair]="no BPF statistics pass"
	else
		S[$i,pair_noise]=${S[$i,bpf_spread]}
		is_true "${S[$c,bpf_spread]} > ${S[$i,pair_noise]}" && S[$i,pair_noise]=${S[$c,bpf_spread]}
		S[$i,pair_limit]=$(calc "(${S[$i,pair_noise]} > 0.05 ? ${S[$i,pair_noise]} : 0.05)")
		S[$i,pair_n]=${S[$i,bpf_n]}
		((${S[$c,bpf_n]} >= ${S[$i,pair_n]})) || S[$i,pair_n]=${S[$c,bpf_n]}
		S[$i,pair]="BPF ns/event $(f1 "${S[$i,bpf_ns]}") vs $(f1 "${S[$c,bpf_ns]}"): ratio current/base $(f2 "${S[$c,bpf_ns]} / ${S[$i,bpf_ns]}")"
		S[$i,pair]+=" (noise: spread $(f1 "100 * ${S[$i,bpf_spread]}")% base, $(f1 "100 * ${S[$c,bpf_spread]}")% current"
		S[$i,pair]+=" over ${S[$i,bpf_n]}/${S[$c,bpf_n]} passes; within noise up to +$(f1 "100 * ${S[$i,pair_limit]}")%)"
	fi
done
# pair_mode I: the mode of base entry I, as the summary names it.
pair_mode() {
	local label=${TRACERS[$1]%%|*}
	label=${label#tcpdwell base}
	label=${label# }
	echo "${label:-default mode}"
}

echo
echo "tcpdwell bench $(date -u +%Y-%m-%dT%H:%MZ): $(nproc) CPUs, kernel $(uname -r), tcpdwell $(git describe --always --dirty 2>/dev/null || echo unknown)${BASE:+, base $BASE (${BASE_REV:0:12})}"
echo "churn: $CLIENTS clients / $SERVERS servers, $SOURCES sources, $CLOSER closes first${PIN:+, pinned to CPU $PIN}, ${DURATION}s x $REPEATS rounds (interleaved); BPF statistics ${STATS_DURATION}s x $STATS_REPEATS rounds"
echo
printf '%-28s %9s %17s %9s %8s %10s %9s %8s\n' tracer conn/s "min-max" overhead "x floor" "CPU ns/ev" "(exact)" "RSS MB"
for ((i = 0; i < NT; i++)); do
	IFS='|' read -r label _ <<<"${TRACERS[$i]}"
	if [ -n "${SKIP[$i]:-}" ]; then
		printf '%-28s skipped: %s\n' "$label" "${SKIP[$i]}"
		continue
	fi
	if [ "$i" -eq 0 ]; then
		printf '%-28s %9.0f %8.0f-%-8.0f %9s %8s %10s %9s %8s\n' "$label" "${S[0,cps]}" "${S[0,min]}" "${S[0,max]}" - - - - -
		continue
	fi
	ovh=$(overhead "$i")
	if is_true "$FLOOR_OVH < 0.005"; then xf="floor~0"; else xf=$(calc "sprintf(\"%.1f\", $ovh / $FLOOR_OVH)"); fi
	printf '%-28s %9.0f %8.0f-%-8.0f %8.1f%% %8s %10.0f %9.1f %8.1f\n' "$label" "${S[$i,cps]}" "${S[$i,min]}" "${S[$i,max]}" \
		"$(calc "100 * $ovh")" "$xf" "${S[$i,cpu_per_ev]}" "${S[$i,cpu_exact_per_ev]}" "$(calc "${S[$i,hwm_kb]} / 1024")"
done
echo
printf '%-28s %10s %10s %8s %8s %8s %9s %8s %7s %9s %11s %7s\n' tracer expected received "+timer" lost ringbuf recursion "lost %" unacct "BPF ns/ev" "min-max" ns/run
ERRORS=0
for ((i = 0; i < NT; i++)); do
	[ -n "${SKIP[$i]:-}" ] && continue
	ERRORS=$((ERRORS + ${S[$i,errors]}))
	((i)) || continue
	IFS='|' read -r label _ <<<"${TRACERS[$i]}"
	if [ -n "${S[$i,received]}" ]; then
		rcv=${S[$i,received]}
		unacc=$(( ${S[$i,expected]} - (${S[$i,received]} - ${S[$i,extra]}) - ${S[$i,lost]} ))
	else
		rcv=- unacc=-
	fi
	spread=-
	[ -z "${S[$i,bpf_ns]:-}" ] || spread="$(round0 "${S[$i,bpf_min]}")-$(round0 "${S[$i,bpf_max]}")"
	printf '%-28s %10s %10s %8s %8s %8s %9s %7.3f%% %7s %9s %11s %7s\n' "$label" "${S[$i,expected]}" "$rcv" "${S[$i,extra]}" \
		"${S[$i,lost]}" "${S[$i,lost_rb]}" "${S[$i,lost_rec]}" "$(calc "100 * ${S[$i,lost]} / ${S[$i,expected]}")" "$unacc" \
		"$(round0 "${S[$i,bpf_ns]:-}")" "$spread" "$(round0 "${S[$i,run_ns]:-}")"
done
cat <<EOF

overhead: 1 - median conn/s / median with no tracer; x floor: overhead / the ringbuf floor's.
CPU ns/ev: tracer utime+stime (10 ms ticks) from attach to end of load, per expected event
(= ms per million); (exact): the same from schedstat's sum_exec_runtime. RSS: peak (VmHWM).
expected: tracepoint transitions, 10 per connection + 2 per listener, summed over rounds;
received: what the tracer reported, of which +timer are records the tracepoint never emits
(TIME_WAIT ends seen by tcpdwell's timer hooks); lost: ringbuf (ring or perf buffer full) +
recursion (runs the kernel skipped), as the tracer reports them (tcpstates: its perf-buffer
warnings and the kernel's count); unacct = expected - (received - timer) - lost, negative when
other loopback traffic ran. BPF ns/ev: run_time_ns summed over all the tracer's programs /
expected, median (and min-max) over the kernel.bpf_stats_enabled passes; ns/run: / run_cnt.
Run-to-run noise (spread of the baseline and floor runs): $(calc "sprintf(\"%.1f\", 100 * $NOISE)")%.
EOF
if ((${#BASE_OF[@]})); then
	echo
	for i in $(printf '%s\n' "${!BASE_OF[@]}" | sort -n); do
		echo "base vs current ($(pair_mode "$i")): ${S[$i,pair]}"
	done
	echo "(base: BASE=$BASE, ${BASE_REV:0:12}; noise: the larger (max - min) / median of BPF ns/event over the passes of either side)"
fi
print_variants
echo
echo "BPF cost per program, all statistics passes together:"
echo "  name: ns per expected event = runs per event x ns per run"
for ((i = 1; i < NT; i++)); do
	if [ -n "${SKIP[$i]:-}" ] || [ -z "${S[$i,bpf_ns]:-}" ]; then continue; fi
	IFS='|' read -r label _ <<<"${TRACERS[$i]}"
	# Lines "name run_time_ns run_cnt expected" from every pass, summed by name.
	for ((r = 1; r <= STATS_REPEATS; r++)); do
		IFS=';' read -ra progs <<<"${R[$i,s$r,per_prog]:-}"
		for p in "${progs[@]}"; do
			if [ -n "$p" ]; then echo "$p ${R[$i,s$r,expected]}"; fi
		done
	done | awk -v label="$label" '
		!($1 in ns) { order[n++] = $1 }
		{ ns[$1] += $2; cnt[$1] += $3; ev[$1] += $4 }
		END {
			for (k = 0; k < n; k++) {
				p = order[k]
				printf "  %-26s %s: %.0f = %.2f x %.0f\n", k ? "" : label, p, ns[p] / ev[p],
					cnt[p] / ev[p], cnt[p] ? ns[p] / cnt[p] : 0
			}
		}'
done
print_syscalls
((ERRORS == 0)) || echo "warning: churn counted $ERRORS failed or unfinished connections; expected counts are approximate"
if ((FOREIGN_MAX > 0)); then
	echo "WARNING: up to $FOREIGN_MAX tracing BPF programs of other processes were loaded during the runs;"
	echo "         they tax every run and blur the comparison (see bpftool prog show)."
fi

# ---- Targets (issue 4) -------------------------------------------------------
echo
echo "Targets (issue 4):"
MISSES=0
skip_target() { printf '  %-4s %s: %s\n' SKIP "$1" "$2"; }
TS_I=
for ((i = 0; i < NT; i++)); do
	IFS='|' read -r label kind _ <<<"${TRACERS[$i]}"
	[ "$kind" = tcpstates ] && [ -z "${SKIP[$i]:-}" ] && TS_I=$i
done

for i in $(printf '%s\n' "${!BASE_OF[@]}" | sort -n); do
	c=${BASE_OF[$i]}
	desc="current $(pair_mode "$i") BPF ns/event no worse than base within noise"
	if [ -z "${S[$i,pair_noise]:-}" ]; then
		skip_target "$desc" "${S[$i,pair]}"
	elif ((${S[$i,pair_n]} < 3)); then
		target "$desc" 0 \
			"inconclusive: ${S[$i,pair_n]} pass(es) cannot measure noise ($(f1 "${S[$c,bpf_ns]}") vs $(f1 "${S[$i,bpf_ns]}") ns); use STATS_REPEATS>=3"
	else
		target "$desc" "${S[$c,bpf_ns]} <= ${S[$i,bpf_ns]} * (1 + ${S[$i,pair_limit]})" \
			"$(f1 "${S[$c,bpf_ns]}") vs $(f1 "${S[$i,bpf_ns]}") ns ($(f2 "${S[$c,bpf_ns]} / ${S[$i,bpf_ns]}")x), noise $(f1 "100 * ${S[$i,pair_noise]}")% (at least 5%)"
	fi
done
for ((i = PCPU_I + 1; i < NT; i++)); do
	IFS='|' read -r label kind _ <<<"${TRACERS[$i]}"
	[ "$kind" = tcpdwell ] || continue
	[ -z "${BASE_OF[$i]:-}" ] || continue # the base build: compared with the current one above
	[ -z "${VAR_OF[$i]:-}" ] || continue # a variant: compared with the current build above
	if [ -n "${SKIP[$i]:-}" ]; then
		skip_target "$label" "${SKIP[$i]}"
		continue
	fi
	ovh=$(overhead "$i")
	if [ "$label" = tcpdwell ]; then
		if have_bpf "$i" && have_bpf $FLOOR_I; then
			target "$label: BPF ns/event <= 1.3x ringbuf floor" "${S[$i,bpf_ns]} <= 1.3 * ${S[$FLOOR_I,bpf_ns]}" \
				"$(f1 "${S[$i,bpf_ns]}") vs $(f1 "${S[$FLOOR_I,bpf_ns]}") ns ($(f1 "${S[$i,bpf_ns]} / ${S[$FLOOR_I,bpf_ns]}")x)"
		else
			skip_target "$label: BPF ns/event <= 1.3x ringbuf floor" "no statistics pass"
		fi
		# The same floor with tcpdwell's ring layout: a ring per CPU.
		if have_bpf "$i" && have_bpf $PCPU_I; then
			target "$label: BPF ns/event <= 1.3x per-CPU ringbuf floor" "${S[$i,bpf_ns]} <= 1.3 * ${S[$PCPU_I,bpf_ns]}" \
				"$(f1 "${S[$i,bpf_ns]}") vs $(f1 "${S[$PCPU_I,bpf_ns]}") ns ($(f1 "${S[$i,bpf_ns]} / ${S[$PCPU_I,bpf_ns]}")x)"
		else
			skip_target "$label: BPF ns/event <= 1.3x per-CPU ringbuf floor" "no statistics pass"
		fi
		target "$label: consumer CPU <= 150 ns/event" "${S[$i,cpu_per_ev]} <= 150 && ${S[$i,cpu_exact_per_ev]} <= 150" \
			"$(f1 "${S[$i,cpu_per_ev]}") ns (utime+stime), $(f1 "${S[$i,cpu_exact_per_ev]}") ns (exact)"
		target "$label: zero ring-buffer drops" "${S[$i,lost_rb]} == 0" "${S[$i,lost_rb]} dropped of ${S[$i,expected]}"
		target "$label: recursion misses counted in lost" \
			"${S[$i,lost_rec]} >= ${S[$i,recursion]} && ${S[$i,lost]} >= ${S[$i,lost_rec]} + ${S[$i,lost_rb]}" \
			"reported ${S[$i,lost_rec]}, the kernel counted ${S[$i,recursion]} before stop (other programs: ${S[$i,recursion_other]})"
		target "$label: recursion misses no more frequent than the floor's (median round)" \
			"${S[$i,rec_pct]} <= ${S[$FLOOR_I,rec_pct]}" \
			"$(f3 "${S[$i,rec_pct]}")% ($(f3 "${S[$i,rec_pct_min]}")-$(f3 "${S[$i,rec_pct_max]}")%) vs $(f3 "${S[$FLOOR_I,rec_pct]}")% ($(f3 "${S[$FLOOR_I,rec_pct_min]}")-$(f3 "${S[$FLOOR_I,rec_pct_max]}")%) over $REPEATS rounds"
		# Within noise: no further above the floor than runs spread. A
		# spread over 10% cannot show that: the verdict is then a miss.
		if ((REPEATS < 3)); then
			target "$label: throughput overhead within noise of the ringbuf floor" 0 \
				"inconclusive: $REPEATS round(s) cannot measure noise ($(f1 "100 * $ovh")% vs $(f1 "100 * $FLOOR_OVH")%); use REPEATS>=3"
		elif is_true "$NOISE > 0.10"; then
			target "$label: throughput overhead within noise of the ringbuf floor" 0 \
				"inconclusive: run-to-run noise $(f1 "100 * $NOISE")% > 10% ($(f1 "100 * $ovh")% vs $(f1 "100 * $FLOOR_OVH")%); rerun on a quiet machine"
		else
			target "$label: throughput overhead within noise of the ringbuf floor" "$ovh - $FLOOR_OVH <= ($NOISE > 0.02 ? $NOISE : 0.02)" \
				"$(f1 "100 * $ovh")% vs $(f1 "100 * $FLOOR_OVH")%, noise $(f1 "100 * $NOISE")% (at least 2%)"
		fi
	fi
	if [[ $label == *--kernel-agg* ]]; then
		if have_bpf "$i" && have_bpf $NULL_I; then
			target "$label: BPF ns/event <= 2.5x null probe" "${S[$i,bpf_ns]} <= 2.5 * ${S[$NULL_I,bpf_ns]}" \
				"$(f1 "${S[$i,bpf_ns]}") vs $(f1 "${S[$NULL_I,bpf_ns]}") ns ($(f1 "${S[$i,bpf_ns]} / ${S[$NULL_I,bpf_ns]}")x)"
		else
			skip_target "$label: BPF ns/event <= 2.5x null probe" "no statistics pass"
		fi
	fi
	if [ -z "$TS_I" ]; then
		skip_target "$label: vs tcpstates" "tcpstates not run"
		continue
	fi
	tovh=$(overhead "$TS_I")
	target "$label: throughput overhead <= 1/5 of tcpstates'" "$ovh <= $tovh / 5" \
		"$(f1 "100 * $ovh")% vs $(f1 "100 * $tovh")% / 5 = $(f1 "20 * $tovh")%"
	if have_bpf "$i" && have_bpf "$TS_I"; then
		target "$label: BPF ns/event <= 1/10 of tcpstates'" "${S[$i,bpf_ns]} <= ${S[$TS_I,bpf_ns]} / 10" \
			"$(f1 "${S[$i,bpf_ns]}") vs $(f1 "${S[$TS_I,bpf_ns]}") ns / 10 = $(f1 "${S[$TS_I,bpf_ns]} / 10")"
	else
		skip_target "$label: BPF ns/event <= 1/10 of tcpstates'" "no statistics pass"
	fi
done
echo
if ((MISSES)); then
	echo "bench: $MISSES target(s) missed"
else
	echo "bench: all measured targets met"
fi
