#!/usr/bin/env bash
# Installs what the tests, the demo and the benchmark need on a Debian machine, once:
# Node packages (from the committed lock file), Redis, PostgreSQL and the tools the tests use.
# Asterisk and sipp are provisioned by the testbed itself (testbed/README.md).
set -euo pipefail
cd "$(dirname "$0")/.."

if [[ ! -f node_modules/.package-lock.json || package-lock.json -nt node_modules/.package-lock.json ]]; then
  npm ci --no-audit --no-fund
fi

missing=()
command -v redis-server >/dev/null || missing+=(redis-server)
command -v debootstrap >/dev/null || missing+=(debootstrap)
# A real soft-phone for the attended-transfer test (sipp cannot send REFER with Replaces).
command -v linphonec >/dev/null || missing+=(linphone-cli)
# PostgreSQL for Asterisk's CDR and CEL (the testbed runs a cluster of its own with these binaries).
compgen -G "/usr/lib/postgresql/*/bin/pg_ctl" >/dev/null || missing+=(postgresql)
# The ops tests: unshare (offline install), systemd-analyze (the units), docker-compose (checks
# docker-compose.yml; it needs no Docker engine, so its recommended docker.io is left out).
command -v unshare >/dev/null || missing+=(util-linux)
command -v systemd-analyze >/dev/null || missing+=(systemd)
lean=()
command -v docker-compose >/dev/null || lean+=(docker-compose)
# The dashboard's browser test drives Debian's Chromium with playwright-core (no browser download).
command -v chromium >/dev/null || lean+=(chromium fonts-dejavu-core)
if [[ $((${#missing[@]} + ${#lean[@]})) -gt 0 ]]; then
  if [[ $(id -u) -ne 0 ]]; then
    echo "install-deps: need root to install: ${missing[*]} ${lean[*]}" >&2
    exit 1
  fi
  apt-get update -qq
  [[ ${#missing[@]} -eq 0 ]] || DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
  [[ ${#lean[@]} -eq 0 ]] ||
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${lean[@]}" >/dev/null
fi
