#!/usr/bin/env bash
# itgrix installer, shipped at the top of every release tarball. Needs no network.
#
#   sudo ./install.sh [install]      install this release, or upgrade to it (same command)
#   sudo ./install.sh rollback       return to the release that was active before the current one
#   ./install.sh status              show the active release, the installed ones and the services
#
# Options (the defaults suit a systemd host; pass the same ones to every command):
#   --prefix DIR       releases live in DIR/releases/<version>, DIR/current points at the active one
#                      (default /opt/itgrix)
#   --config-dir DIR   itgrix.json and itgrix.env (default /etc/itgrix); never overwritten
#   --user NAME        service user (default itgrix; created as a system user when missing)
#   --node PATH        node binary ≥ 20 (default: the bundled node/ if the tarball has one, else `node`)
#   --unit-dir DIR     where the systemd units go (default /etc/systemd/system)
#   --no-systemd       install files only: no user, no units, no systemctl
#   --keep N           installed releases kept (default 3; the active and the previous are never removed)
#   --force            replace an installed release of the same version built differently, and
#                      activate even when the configuration does not validate
#
# Layout: DIR/releases/<version>/ (dist/, node_modules/, docs, snippets, this script), DIR/current →
# releases/<version>, DIR/history (activated versions, oldest first; rollback pops the last one).
# Upgrading copies the new release next to the old ones, validates the kept configuration with the new
# code, switches the `current` link in one step and restarts the running services.
set -euo pipefail

die() {
  echo "install.sh: error: $*" >&2
  exit 1
}
say() { echo "install.sh: $*"; }

prefix=/opt/itgrix
config_dir=/etc/itgrix
service_user=itgrix
node_bin=""
unit_dir=/etc/systemd/system
use_systemd=1
keep=3
force=0
command=install
active_before=""

while [[ $# -gt 0 ]]; do
  case "$1" in
    install | upgrade | rollback | status) command=$1 ;;
    --prefix) prefix=${2:?--prefix needs a directory}; shift ;;
    --config-dir) config_dir=${2:?--config-dir needs a directory}; shift ;;
    --user) service_user=${2:?--user needs a name}; shift ;;
    --node) node_bin=${2:?--node needs a path}; shift ;;
    --unit-dir) unit_dir=${2:?--unit-dir needs a directory}; shift ;;
    --no-systemd) use_systemd=0 ;;
    --keep) keep=${2:?--keep needs a number}; shift ;;
    --force) force=1 ;;
    -h | --help) sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
    *) die "unknown argument: $1 (see --help)" ;;
  esac
  shift
done
[[ $keep =~ ^[0-9]+$ && $keep -ge 2 ]] || die "--keep must be a number ≥ 2"

src=$(cd "$(dirname "$0")" && pwd)
prefix=$(realpath -m "$prefix")
config_dir=$(realpath -m "$config_dir")
releases=$prefix/releases
history=$prefix/history
config_file=$config_dir/itgrix.json

# systemctl only when systemd runs this machine and the units go where it reads them.
systemd_live() { [[ $use_systemd == 1 && -d /run/systemd/system && $unit_dir == /etc/systemd/system ]]; }

release_field() { # release_field DIR KEY: a line KEY=VALUE of DIR/RELEASE
  sed -n "s/^$2=//p" "$1/RELEASE" 2>/dev/null | head -n 1
}

active_release() { [[ -L $prefix/current ]] && basename "$(readlink "$prefix/current")" || true; }

find_node() { # the node binary for this release directory ($1)
  if [[ -n $node_bin ]]; then
    echo "$node_bin"
  elif [[ -x $1/node/bin/node ]]; then
    echo "$prefix/current/node/bin/node"
  else
    command -v node || true
  fi
}

check_node() { # check_node PATH [DIR]: PATH runs and is Node ≥ 20
  local node=$1 run=$1 version
  [[ -n $node ]] || die "Node.js ≥ 20 is required and none was found: install it (see docs/admin-guide.md, \"Node.js without internet\") or pass --node PATH"
  # The bundled node is named by its future path under current/; check the copy in the release itself.
  [[ -n ${2:-} && $node == "$prefix/current/node/bin/node" ]] && run=$2/node/bin/node
  version=$("$run" -p 'process.versions.node' 2>/dev/null) || die "$node does not run"
  [[ ${version%%.*} -ge 20 ]] || die "$node is Node.js $version; itgrix needs 20 or newer"
  say "node: $node ($version)"
}

validate_config() { # validate_config RELEASE_DIR NODE: the kept configuration, read by the new code
  local dir=$1 node=$2 run=$2 why
  [[ $node == "$prefix/current/node/bin/node" ]] && run=$dir/node/bin/node
  [[ -f $config_file ]] || return 0
  if [[ ${config_created:-0} == 1 ]]; then
    # A copy of the example still holds its change-me secrets, which the loader refuses on purpose.
    say "not validating $config_file: it is the example just copied; replace every change-me value, then start the services"
    return 0
  fi
  if why=$("$run" --input-type=module -e '
      const { loadConfig } = await import(process.argv[1]);
      try {
        loadConfig(process.argv[2], {});
      } catch (err) {
        console.log(err.message);
        process.exit(1);
      }
    ' "$dir/dist/core/config/loadConfig.js" "$config_file" 2>&1); then
    say "configuration $config_file validates with release $(basename "$dir") (ITGRIX__ overrides in itgrix.env are checked when the services start)"
  elif [[ $force == 1 ]]; then
    say "warning: $config_file does not validate with release $(basename "$dir"): $why (--force: activating anyway)"
  else
    die "the configuration does not validate with release $(basename "$dir"): $why
    Fix the key it names (docs/configuration.md of that release lists every key) and run this again.
    Nothing was switched: ${active_before:-no release} stays active."
  fi
}

copy_release() { # copies $src to releases/<version> unless that very build is there
  local version=$1 dest=$releases/$1 build
  build=$(release_field "$src" build)
  if [[ -d $dest ]]; then
    if [[ $(release_field "$dest" build) == "$build" ]]; then
      say "release $version (build $build) is already installed in $dest"
      return 0
    fi
    [[ $force == 1 ]] || die "$dest holds another build of $version ($(release_field "$dest" build), this one is $build); pass --force to replace it"
    [[ $(active_release) != "$version" ]] || die "release $version is active: roll back or install another version before replacing it"
  fi
  # Copy next to the target and rename: an interrupted copy never looks like an installed release.
  rm -rf "$releases/.incoming-$version"
  mkdir -p "$releases"
  cp -a "$src/." "$releases/.incoming-$version/"
  rm -rf "$dest"
  mv "$releases/.incoming-$version" "$dest"
  say "copied release $version to $dest"
}

ensure_config() {
  mkdir -p "$config_dir"
  # The reference copy always matches the active release, to compare new keys after an upgrade.
  cp "$src/config/itgrix.example.json" "$config_dir/itgrix.example.json"
  if [[ -f $config_file ]]; then
    say "kept the configuration $config_file"
  else
    cp "$src/config/itgrix.example.json" "$config_file"
    chmod 640 "$config_file"
    config_created=1
    say "created $config_file from the example: edit it before starting the services"
  fi
  if [[ ! -f $config_dir/itgrix.env ]]; then
    printf '%s\n' "# Environment overrides for itgrix-app and itgrix-workers@ (systemd EnvironmentFile syntax)," \
      "# e.g. ITGRIX__BITRIX__AUTH__WEBHOOKURL=https://portal/rest/1/secret/ — see docs/configuration.md." \
      >"$config_dir/itgrix.env"
    chmod 640 "$config_dir/itgrix.env"
  fi
  if [[ $use_systemd == 1 ]] && id -u "$service_user" >/dev/null 2>&1; then
    chown "root:$(id -gn "$service_user")" "$config_file" "$config_dir/itgrix.env" 2>/dev/null || true
  fi
}

ensure_user() {
  [[ $use_systemd == 1 ]] || return 0
  if ! id -u "$service_user" >/dev/null 2>&1; then
    [[ $(id -u) == 0 ]] || die "the service user $service_user does not exist and only root can create it"
    useradd --system --home-dir /nonexistent --no-create-home --shell /usr/sbin/nologin "$service_user"
    say "created the system user $service_user"
  fi
  # Asterisk writes recordings as its own group; the workers upload them.
  if [[ $(id -u) == 0 && $service_user != root ]] && getent group asterisk >/dev/null &&
    ! id -nG "$service_user" | tr ' ' '\n' | grep -qx asterisk; then
    usermod -aG asterisk "$service_user"
    say "added $service_user to the group asterisk (it reads Asterisk's recordings)"
  fi
}

render_units() { # render_units NODE: writes the units when they changed; echoes "changed" if so
  [[ $use_systemd == 1 ]] || return 0
  local node=$1 group unit changed=0
  group=$(id -gn "$service_user" 2>/dev/null || echo "$service_user")
  mkdir -p "$unit_dir"
  for unit in itgrix-app.service itgrix-workers@.service; do
    sed -e "s|@PREFIX@|$prefix|g" -e "s|@CONFIG_DIR@|$config_dir|g" -e "s|@USER@|$service_user|g" \
      -e "s|@GROUP@|$group|g" -e "s|@NODE@|$node|g" "$prefix/current/systemd/$unit" >"$unit_dir/.$unit.new"
    if cmp -s "$unit_dir/.$unit.new" "$unit_dir/$unit"; then
      rm -f "$unit_dir/.$unit.new"
    else
      mv "$unit_dir/.$unit.new" "$unit_dir/$unit"
      changed=1
    fi
  done
  [[ $changed == 0 ]] || say "wrote the systemd units to $unit_dir"
  if systemd_live && [[ $changed == 1 ]]; then systemctl daemon-reload; fi
}

restart_services() {
  systemd_live || return 0
  local running
  running=$(systemctl list-units --state=active --plain --no-legend 'itgrix-app.service' 'itgrix-workers@*.service' | awk '{print $1}')
  if [[ -n $running ]]; then
    # shellcheck disable=SC2086
    systemctl restart $running
    say "restarted: $(echo $running)"
  else
    say "no itgrix service is running; start them with:"
    say "  systemctl enable --now itgrix-app.service itgrix-workers@1.service itgrix-workers@2.service"
  fi
}

switch_to() { # switch_to VERSION: points current at releases/VERSION in one rename
  ln -sfn "releases/$1" "$prefix/.current.new"
  mv -T "$prefix/.current.new" "$prefix/current"
}

prune_releases() { # keeps the active release and the last activated ones, `--keep` in all
  local wanted dir version
  wanted=$( (active_release; tac "$history" 2>/dev/null) | awk 'NF && !seen[$0]++' | head -n "$keep")
  for dir in "$releases"/*/; do
    version=$(basename "$dir")
    grep -qxF -- "$version" <<<"$wanted" && continue
    rm -rf "${releases:?}/$version"
    grep -vxF -- "$version" "$history" >"$history.new" || true
    mv "$history.new" "$history"
    say "removed the old release $version"
  done
}

do_install() {
  local version node
  [[ -f $src/RELEASE && -f $src/dist/app/main.js && -d $src/node_modules ]] ||
    die "$src is not an unpacked itgrix release (RELEASE, dist/, node_modules/ expected); run the install.sh inside the tarball"
  version=$(release_field "$src" version)
  [[ -n $version ]] || die "$src/RELEASE names no version"
  mkdir -p "$prefix" || die "cannot create $prefix"
  node=$(find_node "$src")
  check_node "$node" "$src"
  copy_release "$version"
  ensure_user
  ensure_config
  active_before=$(active_release)
  validate_config "$releases/$version" "$node"
  local before=$active_before
  if [[ $before == "$version" ]]; then
    say "release $version is already active"
  else
    switch_to "$version"
    echo "$version" >>"$history"
    say "activated release $version${before:+ (was $before)}"
  fi
  render_units "$node"
  [[ $before == "$version" ]] || restart_services
  prune_releases
  say "done: $prefix/current → releases/$version"
  if [[ -z $before ]]; then
    say "next: edit $config_file (portal, ARI, routing; docs/admin-guide.md), install the Asterisk snippets from $prefix/current/dialplan and $prefix/current/ari-config,"
    say "      then start the services (systemctl enable --now itgrix-app.service itgrix-workers@1.service)"
  fi
}

do_rollback() {
  [[ -f $history ]] || die "no $history: nothing was installed by this script in $prefix"
  local active target
  active=$(active_release)
  [[ $(tail -n 1 "$history") == "$active" ]] || die "$prefix/current ($active) is not the last release in $history; fix the link by hand or install again"
  target=$(tail -n 2 "$history" | head -n 1)
  if [[ $(wc -l <"$history") -lt 2 || -z $target || $target == "$active" ]]; then
    die "nothing to roll back to: $active is the only release in $history"
  fi
  [[ -d $releases/$target ]] || die "the previous release $target is no longer in $releases"
  local node
  node=$(find_node "$releases/$target")
  check_node "$node" "$releases/$target"
  active_before=$active
  validate_config "$releases/$target" "$node"
  switch_to "$target"
  sed -i '$d' "$history"
  say "rolled back from $active to $target (the configuration is kept; $active stays installed)"
  render_units "$node"
  restart_services
}

do_status() {
  local active
  active=$(active_release)
  echo "prefix:   $prefix"
  echo "active:   ${active:-none}"
  [[ -n $active ]] && echo "build:    $(release_field "$prefix/current" build) ($(release_field "$prefix/current" built))"
  echo "releases: $(ls "$releases" 2>/dev/null | grep -v '^\.' | tr '\n' ' ')"
  echo "history:  $([[ -f $history ]] && tr '\n' ' ' <"$history")"
  echo "config:   $config_file$([[ -f $config_file ]] || echo ' (missing)')"
  if systemd_live; then
    systemctl list-units --all --plain --no-legend 'itgrix-app.service' 'itgrix-workers@*.service' || true
  fi
}

case "$command" in
  install | upgrade) do_install ;;
  rollback) do_rollback ;;
  status) do_status ;;
esac
