#!/usr/bin/env bash
# `npm run bench -- --calls 10,100,1000 [--json]`: installs what is needed (once), then runs the
# benchmark (bench/main.ts; `npm run bench -- --help` lists the options). Dependency installation
# output goes to stderr so that with --json the last stdout line stays the JSON summary.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh >&2
exec npx tsx bench/main.ts "$@"
