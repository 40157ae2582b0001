#!/usr/bin/env bash
# npm run package [-- --out DIR] [--version V] [--with-node]
#   Builds ONE release tarball, release/itgrix-<version>-linux-<arch>.tar.gz, that installs without
#   network: compiled JavaScript (dist/), production node_modules, install.sh, systemd units, the
#   example configuration, the Asterisk snippets and the docs. Needs no registry either: the
#   production node_modules are a copy of the local ones with the dev dependencies pruned, so it
#   works in a closed network once `npm ci` has run.
#   --version V   release version (default: package.json's)
#   --with-node   bundle this machine's node binary and its licence (node/bin/node, ~100 MB more
#                 unpacked); install.sh prefers it, so the target needs no Node.js of its own
#   --out DIR     where the tarball goes (default release/)
set -euo pipefail
cd "$(dirname "$0")/.."
started=$(date +%s)
phase_started=$started
phase() { # prints how long the previous phase took, then names the next one
  local now
  now=$(date +%s)
  echo "package: $1 (previous step $((now - phase_started)) s)" >&2
  phase_started=$now
}

out=release
version=""
with_node=0
while [[ $# -gt 0 ]]; do
  case "$1" in
    --out) out=${2:?--out needs a directory}; shift ;;
    --version) version=${2:?--version needs a value}; shift ;;
    --with-node) with_node=1 ;;
    *) echo "package: unknown argument $1" >&2; exit 2 ;;
  esac
  shift
done
version=${version:-$(node -p 'require("./package.json").version')}
[[ $version =~ ^[0-9A-Za-z][0-9A-Za-z.+_-]*$ ]] || { echo "package: bad version: $version" >&2; exit 2; }
[[ -f node_modules/.package-lock.json ]] || { echo "package: run npm ci first (node_modules is missing)" >&2; exit 2; }

arch=linux-$(node -p 'process.arch')
name=itgrix-$version
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
stage=$work/$name
mkdir -p "$stage" "$out"

phase "compiling"
ITGRIX_VERSION=$version bash scripts/build.sh "$stage/dist" >&2

phase "production node_modules (local copy, dev dependencies pruned, offline)"
cp package.json package-lock.json "$stage/"
# The release has no tsx and no scripts/: `npm run hooks` runs the compiled tool there.
node -e '
  const fs = require("fs");
  const pkg = JSON.parse(fs.readFileSync(process.argv[1], "utf8"));
  pkg.scripts.hooks = "node --enable-source-maps dist/scripts/hooks.js";
  fs.writeFileSync(process.argv[1], JSON.stringify(pkg, null, 2) + "\n");
' "$stage/package.json"
node -e '
  const fs = require("fs"), file = process.argv[1], pkg = JSON.parse(fs.readFileSync(file, "utf8"));
  pkg.version = process.argv[2];
  fs.writeFileSync(file, JSON.stringify(pkg, null, 2) + "\n");
' "$stage/package.json" "$version"
# Hard links where the file system allows (no copy of ~130 MB): npm prune only unlinks files, and the
# one file it rewrites, the hidden lockfile, is a real copy.
if ! cp -al node_modules "$stage/node_modules" 2>/dev/null; then
  rm -rf "$stage/node_modules"
  cp -a node_modules "$stage/node_modules"
fi
rm -f "$stage/node_modules/.package-lock.json"
cp node_modules/.package-lock.json "$stage/node_modules/.package-lock.json"
(cd "$stage" && npm prune --omit=dev --offline --no-audit --no-fund --ignore-scripts --loglevel=error >&2)
rm -rf "$stage/node_modules/.cache"
find "$stage/node_modules" -mindepth 1 -maxdepth 1 -type d -empty -delete # scopes left empty by the prune

cp -r config dialplan ari-config cdr-cel-config "$stage/"
mkdir -p "$stage/docs" "$stage/systemd"
cp docs/*.md "$stage/docs/"
cp README.md "$stage/"
cp deploy/systemd/*.service "$stage/systemd/"
cp deploy/install.sh "$stage/install.sh"

if [[ $with_node == 1 ]]; then
  node_path=$(command -v node)
  node_path=$(readlink -f "$node_path")
  licence=""
  for candidate in "$(dirname "$node_path")/../share/doc/node/LICENSE" /usr/share/doc/nodejs/LICENSE; do
    [[ -f $candidate ]] && { licence=$candidate; break; }
  done
  [[ -n $licence ]] || { echo "package: --with-node: Node's LICENSE file not found next to $node_path; not bundling a binary without its licence" >&2; exit 2; }
  if ldd "$node_path" 2>/dev/null | grep -q 'libnode'; then
    echo "package: --with-node: $node_path uses a shared libnode (a distribution build); bundle an official Node.js build instead" >&2
    exit 2
  fi
  mkdir -p "$stage/node/bin"
  cp "$node_path" "$stage/node/bin/node"
  cp "$licence" "$stage/node/LICENSE"
  arch=$arch-node$(node -p 'process.versions.node.split(".")[0]')
fi

commit=$(git rev-parse --short=12 HEAD 2>/dev/null || echo unknown)
dirty=$(git status --porcelain --untracked-files=no 2>/dev/null | grep -q . && echo "-dirty" || true)
cat >"$stage/RELEASE" <<EOF
version=$version
build=$commit$dirty-$(date -u +%Y%m%dT%H%M%SZ)
built=$(date -u +%Y-%m-%dT%H:%M:%SZ)
commit=$commit$dirty
node=$(node -v)
arch=$arch
EOF

phase "archiving"
tarball=$out/$name-$arch.tar.gz
# Modes and owners are set in the archive (the staged files may be links to the working tree's).
tar --owner=0 --group=0 --numeric-owner --mode=u=rwX,go=rX -C "$work" -czf "$tarball" "$name"
size=$(du -h "$tarball" | cut -f1)
echo "package: $tarball ($size, $(($(date +%s) - started)) s)" >&2
echo "$tarball"
