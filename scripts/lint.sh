#!/usr/bin/env bash
# The house rules, checked: the formatter (Prettier), the type checker over tests too (tsc) and the
# linter (ESLint with its import fences). All must report nothing; `pnpm run format` rewrites what
# the formatter would change.
set -euo pipefail
source "$(dirname "$0")/toolchain.sh"
mp_toolchain >/dev/null
cd "$MP_ROOT"
pnpm exec prettier --check --log-level warn .
# Every hand-written file type-checked as one program (tsconfig.eslint.json, ESLint's below): the
# build compiles the sources only, and vitest strips types unchecked, so a type error in a test, a
# test kit or a fuzz helper would otherwise pass CI. 14-20 s on two shared cores.
mp_progress "type-checking every file, tests included (tsc -p tsconfig.eslint.json)" pnpm exec tsc -p tsconfig.eslint.json || {
  mp_log "ERROR: the type errors above (tsc -p tsconfig.eslint.json, which the build does not run on tests) must be fixed"
  exit 1
}
# One type-checked program over the whole workspace (tsconfig.eslint.json), so no build is needed
# first; no --cache: a cached file is not re-checked when a file it imports changes its types.
mp_progress "linting (ESLint, type-aware, with the import fences)" pnpm exec eslint --max-warnings 0 .
# The Go client's files in gofmt's form (its generated code is gofmt's output already).
unformatted=$(gofmt -l clients/go)
if [ -n "$unformatted" ]; then
  mp_log "ERROR: not in gofmt's form (gofmt -w them): $unformatted"
  exit 1
fi
