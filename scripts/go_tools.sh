#!/usr/bin/env bash
# Installs the Go tools of the contracts into .tools/go/bin (git-ignored) with `go install`:
# protoc-gen-go and protoc-gen-go-grpc (proto/generate.sh writes clients/go with them) and grpcurl
# (tests/contract/grpcurl.test.ts drives every service by server reflection alone). Idempotent: a
# tool already built from the pinned version is skipped, so a second run takes about a
# second. The module download cache and the build cache stay where Go keeps them ($GOMODCACHE,
# $GOCACHE, outside the repository); only the three binaries land in the tree.
#   bash scripts/go_tools.sh          install what is missing, print the bin folder on stdout
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
export GOBIN="${MP_GO_BIN:-$ROOT/.tools/go/bin}"
# The machine's Go builds all three; never fetch another toolchain behind the caller's back.
export GOTOOLCHAIN=local GOFLAGS=-buildvcs=false

PROTOC_GEN_GO_VERSION=v1.36.12      # module google.golang.org/protobuf
PROTOC_GEN_GO_GRPC_VERSION=v1.6.2   # module google.golang.org/grpc/cmd/protoc-gen-go-grpc
GRPCURL_VERSION=v1.9.4              # module github.com/fullstorydev/grpcurl

say() { printf '[go_tools] %s\n' "$*" >&2; }

command -v go >/dev/null 2>&1 || { say "ERROR: Go is not installed (the machine image ships it in /usr/local/go); install Go 1.24 or newer"; exit 1; }
mkdir -p "$GOBIN"

# The module version a Go binary was built from (`go version -m` reads it from the binary; grpcurl
# built by `go install` prints no version of its own).
# A binary not built yet has no version: empty, not a failure (this script runs under pipefail).
built_version() { [ -x "$1" ] || return 0; go version -m "$1" 2>/dev/null | awk '$1 == "mod" { print $3; exit }' || true; }

# $1 binary, $2 the version it must be built from, $3 the package to install at that version
ensure() {
  local bin="$GOBIN/$1" want="$2" pkg="$3" have
  have="$(built_version "$bin")"
  if [ "$have" = "$want" ]; then return 0; fi
  say "installing $1 $want (go install $pkg@$want; the first build takes a minute or two)"
  local started=$SECONDS
  # The build runs in the background so that a long first build still shows it is alive.
  go install "$pkg@$want" &
  local pid=$!
  while kill -0 "$pid" 2>/dev/null; do
    sleep 15
    kill -0 "$pid" 2>/dev/null && say "  still building $1 ($((SECONDS - started)) s)"
  done
  wait "$pid" || { say "ERROR: go install $pkg@$want failed (output above)"; exit 1; }
  have="$(built_version "$bin")"
  [ "$have" = "$want" ] || { say "ERROR: $bin was built from ${have:-an unknown version}, expected $want"; exit 1; }
  say "  $1 $want ready in $((SECONDS - started)) s"
}

ensure protoc-gen-go "$PROTOC_GEN_GO_VERSION" google.golang.org/protobuf/cmd/protoc-gen-go
ensure protoc-gen-go-grpc "$PROTOC_GEN_GO_GRPC_VERSION" google.golang.org/grpc/cmd/protoc-gen-go-grpc
ensure grpcurl "$GRPCURL_VERSION" github.com/fullstorydev/grpcurl/cmd/grpcurl
echo "$GOBIN"
