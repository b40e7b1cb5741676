#!/usr/bin/env bash
# Installs the Debian packages tcpdwell needs to build, test and benchmark.
# (systemd: systemd-analyze, man-db and groff-base: man, for the install test;
# python3-yaml: the DaemonSet manifest's test.)
# Idempotent: packages already present are not touched, and apt runs only when
# something is missing.
set -euo pipefail

PKGS=(
	clang llvm make gcc pkg-config
	libbpf-dev libelf-dev zlib1g-dev
	bpftool
	libcriterion-dev
	libcap-ng-dev libseccomp-dev
	libmicrohttpd-dev prometheus
	iproute2 procps curl time
	libbpf-tools
	systemd man-db groff-base
	python3-yaml
)

missing=()
for p in "${PKGS[@]}"; do
	if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed'; then
		missing+=("$p")
	fi
done

if [ ${#missing[@]} -eq 0 ]; then
	exit 0
fi

if [ "$(id -u)" -ne 0 ]; then
	echo "install-deps: missing packages: ${missing[*]}; run as root or install them with apt-get" >&2
	exit 1
fi

echo "install-deps: installing ${missing[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}"
