# Sourced by every entry script: puts Node >= 24 and the pinned pnpm on PATH.
# The machine's own Node is used when it is current; otherwise Node 24 is installed from the npm
# registry (the `node` package ships the binary) into .tools/, which takes a few seconds.
MP_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
MP_NODE_VERSION="${MP_NODE_VERSION:-24.21.0}"
MP_PNPM_VERSION="$(sed -n 's/.*"packageManager": *"pnpm@\([^"]*\)".*/\1/p' "$MP_ROOT/package.json")"
MP_TOOLS="$MP_ROOT/.tools"

mp_log() { printf '[marketpulse] %s\n' "$*" >&2; }

# Runs "$@" and, while it runs, says every 5 s that it is still at it (a silent step of 8 s or
# 40 s otherwise looks like a hang): mp_progress "building (tsc -b)" pnpm run -s build
mp_progress() {
  local what="$1"; shift
  local started=$SECONDS pid status=0
  "$@" & pid=$!
  while kill -0 "$pid" 2>/dev/null; do
    for _ in 1 2 3 4 5 6 7 8 9 10; do kill -0 "$pid" 2>/dev/null || break; sleep 0.5; done
    kill -0 "$pid" 2>/dev/null && mp_log "  … still $what ($((SECONDS - started)) s)"
  done
  wait "$pid" || status=$?
  [ "$status" = 0 ] && mp_log "  $what: done in $((SECONDS - started)) s"
  return "$status"
}

mp_node_major() { "${1:-node}" -p 'process.versions.node.split(".")[0]' 2>/dev/null || echo 0; }

mp_toolchain() {
  local need_node=0 need_pnpm=0
  if [ "$(mp_node_major node)" -lt 24 ]; then
    if [ "$(mp_node_major "$MP_TOOLS/node_modules/.bin/node")" -lt 24 ]; then need_node=1; fi
  fi
  if [ "$("$MP_TOOLS/node_modules/.bin/pnpm" --version 2>/dev/null)" != "$MP_PNPM_VERSION" ] \
     && [ "$(pnpm --version 2>/dev/null)" != "$MP_PNPM_VERSION" ]; then need_pnpm=1; fi
  local pkgs=()
  [ $need_node = 1 ] && pkgs+=("node@$MP_NODE_VERSION")
  [ $need_pnpm = 1 ] && pkgs+=("pnpm@$MP_PNPM_VERSION")
  if [ ${#pkgs[@]} -gt 0 ]; then
    mp_log "installing ${pkgs[*]} into .tools/ (the machine's node is $(node --version 2>/dev/null || echo missing))"
    mkdir -p "$MP_TOOLS"
    [ -f "$MP_TOOLS/package.json" ] || echo '{"private":true}' > "$MP_TOOLS/package.json"
    mp_progress "installing ${pkgs[*]}" npm install --prefix "$MP_TOOLS" --no-audit --no-fund --loglevel=error "${pkgs[@]}" >&2 \
      || { mp_log "ERROR: could not install ${pkgs[*]} from the npm registry"; return 1; }
  fi
  export PATH="$MP_TOOLS/node_modules/.bin:$PATH"
  if [ "$(mp_node_major node)" -lt 24 ]; then mp_log "ERROR: node >= 24 is required, found $(node --version)"; return 1; fi
  mp_log "node $(node --version), pnpm $(pnpm --version)"
}

mp_install() {
  mp_toolchain || return 1
  mp_log "installing the workspace's npm packages (pnpm install --frozen-lockfile)"
  (cd "$MP_ROOT" && pnpm install --frozen-lockfile --reporter=append-only) >&2 || { mp_log "ERROR: pnpm install failed"; return 1; }
  mp_log "building (tsc -b, then type-checking the benchmarks): about a minute on two cores"
  (cd "$MP_ROOT" && mp_progress "building" pnpm run -s build) >&2 || { mp_log "ERROR: build failed"; return 1; }
}
