#!/usr/bin/env bash
# `npm test`: installs what the tests need, brings the testbed up (real Asterisk 22 in a chroot, sipp,
# a private Redis), runs every test file with Node's test runner, and brings down what it started.
#   npm test                 all tests
#   npm test -- unit         only test/unit (no servers needed)
#   npm test -- emulator     only the emulator's suite
#   npm test -- integration  only test/integration (needs the testbed)
#   npm test -- FILE…        the given test files
set -euo pipefail
cd "$(dirname "$0")/.."
shopt -s globstar nullglob

bash scripts/install-deps.sh

case "${1:-all}" in
  all) files=(test/unit/**/*.test.ts test/emulator/**/*.test.ts test/integration/**/*.test.ts) ;;
  unit) files=(test/unit/**/*.test.ts) ;;
  emulator) files=(test/emulator/**/*.test.ts) ;;
  integration) files=(test/integration/**/*.test.ts) ;;
  *) files=("$@") ;;
esac

needs_testbed=0
for f in "${files[@]}"; do [[ $f == test/integration/* ]] && needs_testbed=1; done

started_testbed=0
if [[ $needs_testbed == 1 ]]; then
  if ! npx tsx testbed/cli.ts status >/dev/null 2>&1; then
    npx tsx testbed/cli.ts up
    started_testbed=1
  fi
  ITGRIX_TESTBED="$(npx tsx testbed/cli.ts status | tail -n 1)"
  export ITGRIX_TESTBED
fi
cleanup() { if [[ $started_testbed == 1 && -z "${ITGRIX_KEEP_TESTBED:-}" ]]; then npx tsx testbed/cli.ts down || true; fi; }
trap cleanup EXIT

# One run, so the summary at the end counts every test. Files run one at a time: the integration
# tests share one Asterisk.
# A file whose teardown leaves a handle open (a Redis client retrying a dead server after a failed
# test) must not hang the run: it exits once its tests are done.
node --import tsx --test --test-concurrency=1 --test-force-exit --test-reporter=spec "${files[@]}"
