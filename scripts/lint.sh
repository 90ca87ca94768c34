#!/usr/bin/env bash
# The house rules, checked: the formatter (Prettier) and the linter (ESLint with its import fences).
# Both must report nothing; `pnpm run format` rewrites what the formatter would change.
set -euo pipefail
source "$(dirname "$0")/toolchain.sh"
mp_toolchain >/dev/null
cd "$MP_ROOT"
pnpm exec prettier --check --log-level warn .
# One type-checked program over the whole workspace (tsconfig.eslint.json), so no build is needed
# first; no --cache: a cached file is not re-checked when a file it imports changes its types.
mp_progress "linting (ESLint, type-aware, with the import fences)" pnpm exec eslint --max-warnings 0 .
