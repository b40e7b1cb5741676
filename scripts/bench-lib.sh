# Shell functions shared by scripts/bench.sh and scripts/soak.sh (sourced,
# not run): processes and their BPF programs, waiting for a tracer to attach
# and stopping it, reading key=value and JSON lines, and awk arithmetic.
# The caller defines note() (one line on stderr) and TRACER_PID (the tracer
# an EXIT trap should kill), which stop_tracer clears.

# Alive and not a zombie.
alive() {
	local st
	st=$(cat "/proc/$1/stat" 2>/dev/null) || return 1
	st=${st##*) }
	[ "${st%% *}" != Z ]
}

# utime+stime of a process, in clock ticks.
cpu_ticks() {
	local st
	st=$(cat "/proc/$1/stat") || return 1
	st=${st##*) }
	awk '{ print $12 + $13 }' <<<"$st"
}

# CPU time of all of a process's threads in ns, exactly (sum_exec_runtime).
cpu_exact_ns() {
	cat /proc/"$1"/task/*/schedstat 2>/dev/null | awk '{ s += $1 } END { print s + 0 }'
}

# Unique ids of the BPF programs a process holds (fdinfo of its bpf-prog fds).
prog_ids() {
	local f
	for f in /proc/"$1"/fdinfo/*; do
		awk '/^prog_type:/ { p = 1 } /^prog_id:/ { id = $2 } END { if (p) print id }' "$f" 2>/dev/null
	done | sort -un
}

# Ids of the programs a process has attached to inet_sock_set_state (from the
# fdinfo of its tp_btf/raw_tp links). Empty for a perf-event attachment.
tp_prog_ids() {
	local f
	for f in /proc/"$1"/fdinfo/*; do
		awk '/^tp_name:[ \t]*inet_sock_set_state$/ { t = 1 } /^prog_id:/ { id = $2 } END { if (t) print id }' "$f" 2>/dev/null
	done | sort -un
}

# Sum of a numeric field of `bpftool -j prog show id N` over ids.
bpftool_sum() {
	local field=$1 id total=0 v
	shift
	for id in "$@"; do
		v=$(bpftool -j prog show id "$id" 2>/dev/null | grep -o "\"$field\":[0-9]*" | cut -d: -f2)
		total=$((total + ${v:-0}))
	done
	echo "$total"
}

# Tracing programs loaded by anyone else right now: they tax every run.
foreign_progs() {
	local mine=" $* " n=0 id
	for id in $(bpftool -j prog show 2>/dev/null |
		grep -o '"id":[0-9]*,"type":"\(tracing\|raw_tracepoint\|tracepoint\|kprobe\|perf_event\)"' |
		sed 's/"id":\([0-9]*\),.*/\1/'); do
		[[ $mine == *" $id "* ]] || n=$((n + 1))
	done
	echo "$n"
}

holds_link() {
	local fd
	for fd in /proc/"$1"/fd/*; do
		case $(readlink "$fd" 2>/dev/null) in
		*bpf_link* | *perf_event*) return 0 ;;
		esac
	done
	return 1
}

# Waits until the tracer holds a BPF link or perf event (it has attached).
# Returns 0, or the tracer's exit status if it died first (or 124 on timeout).
wait_attached() {
	local pid=$1 i rc
	for ((i = 0; i < 300; i++)); do
		if ! alive "$pid"; then
			rc=0
			wait "$pid" || rc=$?
			return $((rc ? rc : 1))
		fi
		if holds_link "$pid"; then
			# A link exists once attached; give the consumer a moment.
			sleep 0.3
			alive "$pid" && return 0
		fi
		sleep 0.05
	done
	return 124
}

stop_tracer() {
	local pid=$1 i rc=0
	kill -INT "$pid" 2>/dev/null || true
	for ((i = 0; i < 100; i++)); do
		alive "$pid" || break
		sleep 0.1
	done
	if alive "$pid"; then
		note "tracer $pid ignored SIGINT for 10 s; killing it"
		kill -KILL "$pid" 2>/dev/null || true
	fi
	wait "$pid" || rc=$?
	TRACER_PID=
	return "$rc"
}

kv() { # kv KEY LINE: the value of KEY=VALUE in a line of key=value pairs
	sed -n "s/.*\\b$1=\\([^ ]*\\).*/\\1/p" <<<"$2"
}
jnum() { # jnum KEY JSON: a numeric member of a one-line JSON object
	sed -n "s/.*\"$1\":\\([0-9]*\\).*/\\1/p" <<<"$2"
}

median() { sort -g | awk '{ v[NR] = $1 } END { if (NR == 0) print ""; else if (NR % 2) print v[(NR + 1) / 2]; else print (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
vmin() { sort -g | head -1; }
vmax() { sort -g | tail -1; }
vsum() { awk '{ s += $1 } END { print s + 0 }'; }
calc() { awk "BEGIN { print $* }"; }
round0() { if [ -n "$1" ]; then calc "sprintf(\"%.0f\", $1)"; else echo -; fi; }
is_true() { [ "$(awk "BEGIN { print ($*) ? 1 : 0 }")" = 1 ]; }
f1() { calc "sprintf(\"%.1f\", $1)"; }
f2() { calc "sprintf(\"%.2f\", $1)"; }
f3() { calc "sprintf(\"%.4f\", $1)"; }
spread() { calc "$3 ? ($2 - $1) / $3 : 0"; } # spread MIN MAX MEDIAN: (max - min) / median

# One PASS/MISS line; a MISS adds to the caller's MISSES.
target() { # target "description" "awk condition" "measured"
	local verdict=MISS
	is_true "$2" && verdict=PASS
	[ $verdict = MISS ] && MISSES=$((MISSES + 1))
	printf '  %-4s %s: %s\n' "$verdict" "$1" "$3"
}
