#!/usr/bin/env bash
# `npm run soak -- --cps N --minutes M [--json]`: installs what is needed (once), then runs the soak
# (soak/main.ts; `npm run soak -- --help` lists the options). Installation output goes to stderr so
# that with --json the last stdout line stays the JSON summary.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh >&2
exec node --import tsx soak/main.ts "$@"
