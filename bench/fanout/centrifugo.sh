#!/usr/bin/env bash
# Builds the Centrifugo bench/fanout compares against (issue 19): v6.9.1 with `go install` into
# .tools/centrifugo/bin (git-ignored). A second run finds the binary built from that version and
# does nothing. Prints the binary's path on stdout, progress on stderr.
#   bash bench/fanout/centrifugo.sh
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
export GOBIN="$ROOT/.tools/centrifugo/bin"
export GOTOOLCHAIN=local GOFLAGS=-buildvcs=false
VERSION=v6.9.1
PKG=github.com/centrifugal/centrifugo/v6
BIN="$GOBIN/centrifugo"

say() { printf '[fanout] %s\n' "$*" >&2; }
command -v go >/dev/null 2>&1 || { say "ERROR: Go is not installed (the machine image ships it in /usr/local/go)"; exit 1; }

built_version() { [ -x "$BIN" ] || return 0; go version -m "$BIN" 2>/dev/null | awk '$1 == "mod" { print $3; exit }' || true; }

if [ "$(built_version)" != "$VERSION" ]; then
  mkdir -p "$GOBIN"
  say "building Centrifugo $VERSION (go install $PKG@$VERSION; the first build downloads its modules and takes several minutes on two cores)"
  started=$SECONDS
  go install "$PKG@$VERSION" &
  pid=$!
  while kill -0 "$pid" 2>/dev/null; do
    sleep 15
    kill -0 "$pid" 2>/dev/null && say "  still building Centrifugo ($((SECONDS - started)) s)"
  done
  wait "$pid" || { say "ERROR: go install $PKG@$VERSION failed (output above)"; exit 1; }
  [ "$(built_version)" = "$VERSION" ] || { say "ERROR: $BIN was not built from $VERSION"; exit 1; }
  say "  Centrifugo $VERSION ready in $((SECONDS - started)) s"
fi
echo "$BIN"
