#!/usr/bin/env bash
# CI guard of the contracts: buf lint, language options, buf breaking against the previous commit,
# and generated code up to date (proto/gen/src, clients/go, clients/python and clients/ts/src/generated/proto). Runs every check,
# prints what failed and how to fix it, exits 1 if any failed.
# Changes nothing in the tree. Run from anywhere (CI runs `bash proto/check.sh` at the root).
set -uo pipefail
export LC_ALL=C

PROTO_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
BUF="$PROTO_DIR/gen/node_modules/.bin/buf"
AGAINST_REF="${PROTO_BREAKING_AGAINST:-HEAD~1}"
failures=()

say() { printf '[proto/check] %s\n' "$*"; }

if [ ! -x "$BUF" ]; then
  say "FAIL: $BUF is missing; run 'pnpm install' at the repository root first"
  exit 1
fi
cd "$PROTO_DIR"

say "buf lint (STANDARD)"
if "$BUF" lint; then
  say "ok: lint"
else
  failures+=("lint: the findings above break buf's STANDARD rules; fix the .proto files they name")
fi

say "language options (derived from each file's package and name)"
if "$BUF" build --exclude-imports -o -#format=json | node "$PROTO_DIR/language_options.mjs"; then
  say "ok: language options"
else
  failures+=("options: the files above lack a language option or set one that differs from its package's (proto/language_options.mjs says which line to write)")
fi

say "buf breaking (FILE) against $AGAINST_REF"
if ! REPO_ROOT="$(git -C "$PROTO_DIR" rev-parse --show-toplevel 2>/dev/null)"; then
  say "skip: proto/ is not inside a git repository"
elif ! git -C "$REPO_ROOT" rev-parse --verify --quiet "$AGAINST_REF^{commit}" >/dev/null; then
  say "skip: $AGAINST_REF does not exist (first commit?), nothing to compare with"
else
  SUBDIR="$(realpath --relative-to="$REPO_ROOT" "$PROTO_DIR")"
  if ! git -C "$REPO_ROOT" cat-file -e "$AGAINST_REF:$SUBDIR/buf.yaml" 2>/dev/null; then
    say "skip: $AGAINST_REF has no $SUBDIR/buf.yaml yet, nothing to compare with"
  elif "$BUF" breaking --against "$REPO_ROOT/.git#ref=$AGAINST_REF,subdir=$SUBDIR"; then
    say "ok: no breaking change since $AGAINST_REF"
  else
    failures+=("breaking: the changes above break clients of $AGAINST_REF; keep field numbers, names and types (add new fields, reserve removed ones) or publish a new package version (v2)")
  fi
fi

say "generated code up to date (TypeScript, Go, Python and the TypeScript client's stream decoder)"
SCRATCH="$(mktemp -d)"
trap 'rm -rf "$SCRATCH"' EXIT
REPO_DIR="$(dirname "$PROTO_DIR")"
if ! bash "$PROTO_DIR/generate.sh" "$SCRATCH" 2>"$SCRATCH/generate.log"; then
  cat "$SCRATCH/generate.log" >&2
  failures+=("generate: proto/generate.sh failed (output above)")
else
  for generated in proto/gen/src clients/go/marketpulse clients/python/marketpulse clients/ts/src/generated/proto; do
    if ! diff -r -x __pycache__ "$REPO_DIR/$generated" "$SCRATCH/$generated" >"$SCRATCH/diff.txt" 2>&1; then
      head -n 40 "$SCRATCH/diff.txt"
      failures+=("stale: $generated does not match the .proto files (diff above, '<' committed, '>' expected); run 'bash proto/generate.sh' and commit $generated")
    else
      say "ok: $generated matches the .proto files"
    fi
  done
fi

if [ ${#failures[@]} -gt 0 ]; then
  for f in "${failures[@]}"; do say "FAIL $f"; done
  exit 1
fi
say "all checks passed"
