#!/usr/bin/env bash
# Regenerates vmlinux/vmlinux.h from a kernel's BTF, the way bpftool does it.
# The BPF object is CO-RE, so one generated copy (committed) builds for every
# BTF-enabled kernel; rerun this only to pick up new kernel types.
# Usage: scripts/gen-vmlinux.sh [OUT]   (VMLINUX_BTF=path overrides the source)
set -euo pipefail
btf=${VMLINUX_BTF:-/sys/kernel/btf/vmlinux}
out=${1:-"$(dirname "$0")/../vmlinux/vmlinux.h"}
if [ ! -r "$btf" ]; then
	echo "gen-vmlinux: no BTF at $btf: this kernel lacks CONFIG_DEBUG_INFO_BTF; set VMLINUX_BTF=" >&2
	exit 1
fi
tmp=$(mktemp "${out}.XXXXXX")
trap 'rm -f "$tmp"' EXIT
bpftool btf dump file "$btf" format c >"$tmp"
chmod 0644 "$tmp"
mv "$tmp" "$out"
trap - EXIT
echo "gen-vmlinux: wrote $out from $btf"
