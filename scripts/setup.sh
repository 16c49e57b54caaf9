#!/usr/bin/env bash
# Sets everything up on a Debian 12 machine (as root): the Debian packages the
# engine and its tests use, the npm dependencies, and the build. Idempotent:
# it installs only what is missing and rebuilds only when sources changed.
set -euo pipefail
cd "$(dirname "$0")/.."

PACKAGES=(runc conmon tini busybox-static nftables iproute2 iptables zstd xz-utils bzip2 docker-registry apache2-utils iperf3 tmux util-linux strace curl ca-certificates hyperfine gcc libc6-dev)
# The docker CLI is used as a test client; Debian's docker.io provides it where it is missing
# (its daemon is never started by this project).
command -v docker >/dev/null 2>&1 || PACKAGES+=(docker.io)

missing=()
for p in "${PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if [ "${#missing[@]}" -gt 0 ]; then
  echo "setup: installing Debian packages: ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  # Package post-install scripts must not start services (docker-registry, dockerd).
  policy_added=""
  if [ ! -e /usr/sbin/policy-rc.d ]; then
    printf '#!/bin/sh\nexit 101\n' > /usr/sbin/policy-rc.d && chmod +x /usr/sbin/policy-rc.d && policy_added=1
  fi
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  [ -n "$policy_added" ] && rm -f /usr/sbin/policy-rc.d
fi

if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  echo "setup: installing npm dependencies (the locked versions)"
  # node-unix-socket names platform packages that were never published; the lock file lists them
  # (optional, other platforms only) so that `npm ci` accepts it.
  npm ci --no-audit --no-fund --loglevel=error
fi

# Rebuild when a program is missing or any source (or the locked bun that compiles the CLI) is newer.
if [ ! -x dist/berth ] || [ ! -f dist/berthd.mjs ] || [ -n "$(find src scripts/build.mjs package-lock.json -newer dist/berth -print -quit)" ]; then
  echo "setup: building"
  node scripts/build.mjs
fi
