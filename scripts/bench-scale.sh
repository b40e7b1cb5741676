# The scale case of `make bench` (issue 10), sourced by scripts/bench.sh when
# SCALE is set: a socket table of SCALE_PAIRS ESTABLISHED pairs and SCALE_TW
# TIME_WAITs built by tests/bench/fill in a namespace of its own (its own port
# range and timewait limit, fill's own open-file limit), then, for tcpdwell
# (and the BASE build, if given), side by side with ss in the same run:
#   - the exporter's own CPU per second while idle, scraped every 15 s;
#   - the same for -T (no exporter);
#   - a census's cost per socket it counted (the CPU of a scrape, median of
#     SCRAPES: one scrape is a noisy sample on a shared machine);
#   - `tcpdwell snapshot` wall time and peak RSS against ss -tan and ss -tanp;
#   - the gauges against ss -tan in that namespace at the scrape.
# A TIME_WAIT lives 60 s: each idle measurement starts on a fresh set (the
# last one drained first), so none expires inside a window.
#
# Environment: SCALE_PAIRS [60000]  SCALE_TW [100000]  SCALE_WINDOW [30]
# (seconds per idle measurement; a scrape at its start and every 15 s)
# SCRAPES [5].

SCALE_PAIRS=${SCALE_PAIRS:-60000}
SCALE_TW=${SCALE_TW:-100000}
SCALE_WINDOW=${SCALE_WINDOW:-30}
SCRAPES=${SCRAPES:-5}
for v in SCALE_PAIRS SCALE_TW SCALE_WINDOW SCRAPES; do
	[[ ${!v} =~ ^[1-9][0-9]*$ ]] || die "$v='${!v}' is not a positive integer"
done
FILL=$BENCH_OUT/fill
FILL_PID=

scale_cleanup() {
	if [ -n "$FILL_PID" ]; then
		kill "$FILL_PID" 2>/dev/null || true # its workers die with it (PR_SET_PDEATHSIG)
		wait "$FILL_PID" 2>/dev/null || true
		FILL_PID=
	fi
}

# CPU time of a process's threads in ns, as an integer (cpu_exact_ns prints
# large sums in exponent form; mawk's %d stops at 2^31).
cpu_ns() { cat /proc/"$1"/task/*/schedstat 2>/dev/null | awk '{ s += $1 } END { printf "%.0f\n", s }'; }

# The fill namespace's TIME_WAIT count, from its sockstat (no table walk).
scale_tw() { awk '$1 == "TCP:" { for (i = 2; i < NF; i++) if ($i == "tw") print $(i + 1) }' "/proc/$FILL_PID/net/sockstat"; }

# A fresh set of SCALE_TW TIME_WAITs: the old set expired first, every one
# of them, so that none expires inside a measurement.
scale_refill() {
	local i
	for ((i = 0; i < 75; i++)); do
		(($(scale_tw) == 0)) && break
		sleep 1
	done
	echo "tw $SCALE_TW" >&"$FILL_IN"
	read -r _ <&"$FILL_OUT" || die "fill died"
}

# Run inside the fill namespace (IN_NS=1) or the host's.
in_ns() { if [ -n "${IN_NS:-}" ]; then nsenter -t "$FILL_PID" -n "$@"; else "$@"; fi; }

# scrape PORT FILE: the exporter's metrics into FILE.
scrape() {
	in_ns curl -sf "http://127.0.0.1:$1/metrics" -o "$2" || die "scrape of 127.0.0.1:$1 failed"
}

# The host's TCP sockets (every namespace's sockstat: hashed + timewait),
# and how many namespaces hold any: what a census of all of them walks.
host_tcp() {
	local ino p
	declare -A seen
	HOST_SOCKETS=0 HOST_NS=0
	for p in /proc/[0-9]*; do
		ino=$(stat -L -c %i "$p/ns/net" 2>/dev/null) || continue
		[ -z "${seen[$ino]:-}" ] || continue
		seen[$ino]=1
		# sockstat: IPv4 hashed + timewait of both families; sockstat6: IPv6.
		n=$(awk '$1 == "TCP:" || $1 == "TCP6:" { s += $3 + ($1 == "TCP:" ? $7 : 0) } END { print s + 0 }' \
			"$p/net/sockstat" "$p/net/sockstat6" 2>/dev/null) || continue
		((n > 0)) || continue
		HOST_SOCKETS=$((HOST_SOCKETS + n)) HOST_NS=$((HOST_NS + 1))
	done
}

# ss -tan's count of sockets in the fill namespace.
scale_ss_count() { nsenter -t "$FILL_PID" -n ss -tanH | wc -l; }

# Waits until process $1 has used under 5 ms of CPU in half a second: its
# start (seeding, the first census) is over.
wait_quiet() {
	local a b i
	for ((i = 0; i < 120; i++)); do
		a=$(cpu_ns "$1")
		sleep 0.5
		b=$(cpu_ns "$1")
		((b - a < 5000000)) && return 0
	done
	note "process $1 never went quiet"
}

# idle_run LABEL BIN ARGS...: starts BIN ARGS, waits until it is attached, and
# measures its CPU (all threads, exact) over SCALE_WINDOW seconds, scraping
# it every 15 s when it serves metrics. Sets R_cpu (ms/s) and, with an
# exporter, R_scrape_ns (CPU of a scrape: the median of the first and of
# SCRAPES - 1 more after the window, a second apart), R_counted (sockets its
# gauges counted), R_gauge/R_ss (the fill namespace's gauges and ss),
# R_mine (ss's sockets on the exporter's port there).
idle_run() {
	local label=$1 bin=$2 port="" t0 c0 c1 s0 s1 next end scr=()
	shift 2
	R_cpu= R_scrape_ns= R_counted= R_gauge= R_ss= R_mine=
	if [ "$1" = --prometheus ]; then port=${2##*:}; fi
	local pre=()
	[ -n "${IN_NS:-}" ] && pre=(nsenter -t "$FILL_PID" -n) # it execs: $! is the tracer
	"${pre[@]}" "$bin" "$@" >"$TMP/scale-$label.out" 2>"$TMP/scale-$label.err" &
	TRACER_PID=$!
	wait_attached "$TRACER_PID" || die "$label did not start: $(head -3 "$TMP/scale-$label.err")"
	wait_quiet "$TRACER_PID"
	sleep 1.1 # past the once-a-second limit: the first scrape counts anew
	c0=$(cpu_ns "$TRACER_PID")
	t0=$(date +%s.%N)
	if [ -n "$port" ]; then
		s0=$(cpu_ns "$TRACER_PID")
		scrape "$port" "$TMP/scale-$label.prom"
		s1=$(cpu_ns "$TRACER_PID")
		# ss without the exporter's own sockets (its listener, the scrape's
		# connection, the TIME_WAITs of the connections that checked it was
		# up), and those apart: the gauges count them as they were at the
		# census, when the scrape's connection was an ESTABLISHED pair.
		R_ss=$(nsenter -t "$FILL_PID" -n ss -tanH "not ( sport = :$port or dport = :$port )" | wc -l)
		R_mine=$(nsenter -t "$FILL_PID" -n ss -tanH "( sport = :$port or dport = :$port )" | wc -l)
		scr+=($((s1 - s0)))
		R_counted=$(awk '/^tcpdwell_sockets\{/ { s += $2 } END { print s + 0 }' "$TMP/scale-$label.prom")
		# Per namespace where the build has it; else its total (one namespace).
		R_gauge=$(awk -v ns="netns=\"$SCALE_NS\"" 'index($0, "tcpdwell_netns_sockets{" ns) == 1 { s += $2; n = 1 }
			/^tcpdwell_sockets\{/ { t += $2 } END { print n ? s : t }' "$TMP/scale-$label.prom")
	fi
	next=15
	end=$SCALE_WINDOW
	while :; do
		local now
		now=$(calc "$(date +%s.%N) - $t0")
		is_true "$now >= $end" && break
		if [ -n "$port" ] && is_true "$now >= $next"; then
			scrape "$port" "$TMP/scale-$label.prom"
			next=$((next + 15))
		fi
		sleep 0.2
	done
	c1=$(cpu_ns "$TRACER_PID")
	R_cpu=$(calc "($c1 - $c0) / 1e6 / ($(date +%s.%N) - $t0)")
	if [ -n "$port" ]; then
		scr+=($(scrape_cpu "$TRACER_PID" "$port" $((SCRAPES - 1))))
		R_scrape_ns=$(printf '%s\n' "${scr[@]}" | median)
	fi
	stop_tracer "$TRACER_PID" || true
}

# scrape_cpu PID PORT N: the CPU of each of N scrapes, 1.1 s apart (past
# the once-a-second limit: each counts anew), one per line.
scrape_cpu() {
	local i s0 s1
	for ((i = 0; i < $3; i++)); do
		sleep 1.1
		s0=$(cpu_ns "$1")
		scrape "$2" "$TMP/scale-cpu.prom"
		s1=$(cpu_ns "$1")
		echo $((s1 - s0))
	done
}

# census_all BIN: the CPU of a scrape (median of SCRAPES) of an exporter in
# the host's namespace that counts every namespace. Sets R_all_ns, and HOST_*.
census_all() {
	local port s0 s1
	port=$(free_tcp_port)
	"$1" --prometheus "127.0.0.1:$port" >"$TMP/scale-all.out" 2>"$TMP/scale-all.err" &
	TRACER_PID=$!
	wait_attached "$TRACER_PID" || die "the all-namespace exporter did not start: $(head -3 "$TMP/scale-all.err")"
	host_tcp
	wait_quiet "$TRACER_PID"
	R_all_ns=$(scrape_cpu "$TRACER_PID" "$port" "$SCRAPES" | median)
	note "scale: a scrape counting every namespace: $R_all_ns ns of CPU (median of $SCRAPES)"
	stop_tracer "$TRACER_PID" || true
}

# timed LABEL CMD...: median wall seconds and peak RSS (MiB) of 3 runs.
timed() {
	local label=$1 i
	shift
	for ((i = 0; i < 3; i++)); do
		/usr/bin/time -f '%e %M' -o "$TMP/time" "$@" >/dev/null 2>>"$TMP/scale-$label.err" || die "$label failed"
		cat "$TMP/time"
	done >"$TMP/times-$label"
	T_wall=$(awk '{ print $1 }' "$TMP/times-$label" | median)
	T_rss=$(awk '{ print $2 / 1024 }' "$TMP/times-$label" | median)
}

scale_main() {
	local bins=("tcpdwell|./tcpdwell") b label bin sockets nss
	declare -A R
	[ -n "${BASE:-}" ] && bins+=("tcpdwell base|$BASE_BIN")
	command -v curl >/dev/null || die "the scale case needs curl"
	[ -x /usr/bin/time ] || die "the scale case needs GNU time (Debian package time)"
	# A subshell of bench.sh: its own EXIT trap stops what it started; the
	# parent's cleans up the rest (the temporary directory, KEEP).
	trap 'scale_cleanup; [ -z "$TRACER_PID" ] || kill -KILL "$TRACER_PID" 2>/dev/null' EXIT
	note "scale: building $SCALE_PAIRS ESTABLISHED pairs in a namespace of their own"
	coproc FILLP { exec "$FILL" -e "$SCALE_PAIRS"; }
	FILL_PID=$FILLP_PID
	FILL_IN=${FILLP[1]} FILL_OUT=${FILLP[0]}
	read -r _ <&"$FILL_OUT" || die "fill failed"
	SCALE_NS=$(stat -L -c %i "/proc/$FILL_PID/ns/net")
	nss=$(for p in /proc/[0-9]*/ns/net; do stat -L -c %i "$p" 2>/dev/null; done | sort -u | wc -l)

	for b in "${bins[@]}"; do
		IFS='|' read -r label bin <<<"$b"
		note "scale: $label exporter, idle for ${SCALE_WINDOW}s (refilling $SCALE_TW TIME_WAITs first)"
		scale_refill
		sockets=$(scale_ss_count)
		# Inside the namespace, counting it alone (the base build has no
		# -N: its census walks its own namespace): other namespaces' churn
		# on a shared host stays out of the figures.
		local self=()
		[ "$label" = tcpdwell ] && self=(-N self)
		IN_NS=1 idle_run "$label-prom" "$bin" --prometheus "127.0.0.1:$(free_tcp_port)" "${self[@]}"
		R[$label,sockets]=$sockets R[$label,prom]=$R_cpu R[$label,scrape]=$R_scrape_ns
		R[$label,counted]=$R_counted R[$label,gauge]=$R_gauge R[$label,ss]=$R_ss R[$label,mine]=$R_mine
		note "scale: $label -T, idle for ${SCALE_WINDOW}s"
		scale_refill
		IN_NS=1 idle_run "$label-T" "$bin" -T "${self[@]}"
		R[$label,T]=$R_cpu
		# One namespace, as ss: the base build has no -N, so it runs in it.
		if [ "$label" = tcpdwell ]; then
			timed "$label-snap" "$bin" snapshot -N "$SCALE_NS"
		else
			timed "$label-snap" nsenter -t "$FILL_PID" -n "$bin" snapshot
		fi
		R[$label,snap]=$T_wall R[$label,snap_rss]=$T_rss
	done
	note "scale: tcpdwell exporter in the host's namespace, $SCRAPES scrapes counting every namespace"
	census_all ./tcpdwell
	timed ss nsenter -t "$FILL_PID" -n ss -tan
	R[ss,wall]=$T_wall R[ss,rss]=$T_rss
	timed ssp nsenter -t "$FILL_PID" -n ss -tanp
	R[ssp,wall]=$T_wall R[ssp,rss]=$T_rss

	echo
	echo "Scale (issue 10): $SCALE_PAIRS ESTABLISHED pairs + $SCALE_TW TIME_WAIT in netns $SCALE_NS;" \
		"$nss network namespaces on the host"
	printf '%-44s %14s %14s\n' "" "${bins[@]%%|*}" | sed 's/ *$//'
	row() { # row TITLE KEY FORMAT
		local line
		line=$(printf '%-44s' "$1")
		for b in "${bins[@]}"; do
			label=${b%%|*}
			line+=$(printf " %14s" "$(awk -v v="${R[$label,$2]:-}" "BEGIN { if (v == \"\") print \"-\"; else printf \"$3\", v }")")
		done
		echo "$line"
	}
	for b in "${bins[@]}"; do
		label=${b%%|*}
		R[$label,scrape_ms]=$(calc "${R[$label,scrape]} / 1e6")
		R[$label,per_sock]=$(calc "${R[$label,counted]} ? ${R[$label,scrape]} / ${R[$label,counted]} : 0")
	done
	row "sockets in the namespace (ss -tan)" sockets "%d"
	row "exporter idle CPU, scrape every 15 s (ms/s)" prom "%.2f"
	row "-T idle CPU (ms/s)" T "%.2f"
	row "CPU of a scrape, median of $SCRAPES (ms)" scrape_ms "%.1f"
	row "  per socket counted (ns)" per_sock "%.0f"
	row "gauges for the namespace at the scrape" gauge "%d"
	row "ss -tan there, without the exporter's port" ss "%d"
	row "snapshot of the namespace, wall (s)" snap "%.2f"
	row "snapshot peak RSS (MiB)" snap_rss "%.1f"
	printf '%-44s %14s\n' "a scrape counting every namespace (ms)" "$(printf %.1f "$(calc "$R_all_ns / 1e6")")"
	printf '%-44s %14s\n' "  host TCP sockets x namespaces holding any" "$HOST_SOCKETS x $HOST_NS"
	printf '%-44s %14s\n' "  per socket walked (ns)" "$(printf %.0f "$(calc "$R_all_ns / ($HOST_SOCKETS * $HOST_NS)")")"
	printf '%-44s %14s %14s\n' "ss -tan / ss -tanp wall (s)" "$(printf %.2f "${R[ss,wall]}")" "$(printf %.2f "${R[ssp,wall]}")"
	printf '%-44s %14s %14s\n' "ss -tan / ss -tanp peak RSS (MiB)" "$(printf %.1f "${R[ss,rss]}")" "$(printf %.1f "${R[ssp,rss]}")"
	echo
	echo "Targets (issue 10, tcpdwell):"
	MISSES=0
	target "idle exporter <= 2 ms CPU per second" "${R[tcpdwell,prom]} <= 2" "$(printf %.2f "${R[tcpdwell,prom]}") ms/s"
	target "a census <= 100 ns per socket" "${R[tcpdwell,per_sock]} <= 100" \
		"$(printf %.0f "${R[tcpdwell,per_sock]}") ns ($(printf %.1f "${R[tcpdwell,scrape_ms]}") ms for ${R[tcpdwell,counted]} sockets, one namespace)"
	target "snapshot within 2x of ss -tan's wall time" "${R[tcpdwell,snap]} <= 2 * ${R[ss,wall]}" \
		"${R[tcpdwell,snap]} s vs ${R[ss,wall]} s"
	target "gauges equal ss -tan in the namespace, but for the sockets on the exporter's port (ss's, and the scrape's pair as the census saw it)" \
		"${R[tcpdwell,gauge]} >= ${R[tcpdwell,ss]} && ${R[tcpdwell,gauge]} <= ${R[tcpdwell,ss]} + ${R[tcpdwell,mine]} + 2" \
		"${R[tcpdwell,gauge]} vs ${R[tcpdwell,ss]} + ${R[tcpdwell,mine]} on the exporter's port"
	echo
	((MISSES)) && echo "bench: $MISSES scale target(s) missed" || echo "bench: all scale targets met"
}


# A free port on 127.0.0.1 for the exporter.
free_tcp_port() {
	local p
	for ((p = 29100 + RANDOM % 1000; ; p++)); do
		ss -tanH "sport = :$p" | grep -q . || { echo "$p"; return; }
	done
}
