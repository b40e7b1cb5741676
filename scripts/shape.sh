#!/usr/bin/env bash
# The shape rule of issue 8: no function in bpf/ or user/ longer than
# MAX_FN lines (default 80), no file longer than MAX_FILE (default 600).
# Prints each offender and exits 1 if there is one. A function is counted
# from its opening brace in column 0 to its closing brace in column 0.
set -euo pipefail
cd "$(dirname "$0")/.."
MAX_FN=${MAX_FN:-80}
MAX_FILE=${MAX_FILE:-600}
bad=0
for f in bpf/*.c bpf/*.h user/*.c user/*.h; do
	[ "$f" = bpf/vmlinux.h ] && continue
	n=$(wc -l <"$f")
	if [ "$n" -gt "$MAX_FILE" ]; then
		echo "shape: $f: $n lines (at most $MAX_FILE)"
		bad=1
	fi
	out=$(awk -v max="$MAX_FN" -v file="$f" '
		/^[A-Za-z_].*\(/ && !/;[[:space:]]*$/ { sig = $0; sigline = FNR }
		/^\{/ { start = FNR; name = sig }
		/^\}/ && start { len = FNR - start - 1
			if (len > max) { sub(/\(.*/, "", name); printf "shape: %s:%d: %s: %d lines (at most %d)\n", file, sigline, name, len, max }
			start = 0 }
	' "$f")
	if [ -n "$out" ]; then
		echo "$out"
		bad=1
	fi
done
exit $bad
