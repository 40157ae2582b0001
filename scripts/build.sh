#!/usr/bin/env bash
# npm run build [-- OUT_DIR]: compiles app/, workers/, core/ and emulator/ to JavaScript in dist/ (or
# OUT_DIR) with source maps, so production runs `node --enable-source-maps dist/app/main.js` and
# stack traces still name the TypeScript file and line. Needs only the local node_modules.
set -euo pipefail
cd "$(dirname "$0")/.."

out=${1:-dist}
rm -rf "$out"
npx tsc -p tsconfig.build.json --outDir "$out"

# Files the code reads at run time relative to its own location (new URL("…", import.meta.url)):
# the compiled tree must hold them at the same relative place.
mkdir -p "$out/emulator/seeds"
cp emulator/seeds/*.json "$out/emulator/seeds/"
# The dashboard page (app/dashboard/dashboardRoutes.ts serves it from next to its own module).
mkdir -p "$out/app/dashboard/page"
cp app/dashboard/page/* "$out/app/dashboard/page/"
# The published customization API (docs/hooks.md): the hook loader's type-check and `hooks check`
# read these TypeScript sources next to the compiled code (core/hooks/loader/typeCheck.ts).
cp core/hooks/api.ts "$out/core/hooks/api.ts"
cp core/calls/types.ts "$out/core/calls/types.ts"

# dist/ is a package of its own: "type": "module" makes its .js files ES modules wherever dist/ is
# copied, and the version is what app/http/statusRoute.ts reports in /status (../../package.json).
node -e '
  const pkg = JSON.parse(require("fs").readFileSync("package.json", "utf8"));
  const out = { name: pkg.name, version: process.env.ITGRIX_VERSION || pkg.version, private: true, type: "module" };
  require("fs").writeFileSync(process.argv[1], JSON.stringify(out, null, 2) + "\n");
' "$out/package.json"
