#!/usr/bin/env bash
# npm run demo [-- --calls N --exit]: the whole connector on a real Asterisk (see demo/main.ts).
# Installs what it needs (scripts/install-deps.sh); the testbed provisions Asterisk, Redis and sipp itself.
set -euo pipefail
cd "$(dirname "$0")/.."

if ! command -v node >/dev/null 2>&1; then
  echo "demo: Node.js 20 or newer is required (apt-get install nodejs npm)" >&2
  exit 2
fi
major=$(node -p 'process.versions.node.split(".")[0]')
if [ "$major" -lt 20 ]; then
  echo "demo: Node.js $(node -v) is too old; 20 or newer is required" >&2
  exit 2
fi
bash scripts/install-deps.sh >&2

exec node --import tsx demo/main.ts "$@"
