#!/usr/bin/env bash
# Makes the project's Python environment, .venv/ at the repository root (git-ignored), from the
# pinned requirement files below, with the machine's python3 (3.10 or newer) and PyPI.
# Idempotent: when the files have not changed since the last install (their hash is kept in the
# venv) it only prints the interpreter's path, in well under a second.
#   bash scripts/python_env.sh        prints the venv's python on stdout
# Each area that needs Python packages adds its requirements file to REQUIREMENTS.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
VENV="${MP_VENV:-$ROOT/.venv}"
REQUIREMENTS=(
  clients/python/requirements.txt  # generated Python client, its helper and conformance suite
  tests/python/requirements.txt    # the gRPC error model read with grpcio-status (tests/e2e/grpc-status-python.test.ts)
)

say() { printf '[python_env] %s\n' "$*" >&2; }

PYTHON="${MP_PYTHON:-python3}"
command -v "$PYTHON" >/dev/null 2>&1 || { say "ERROR: $PYTHON not found; install Python 3.10 or newer"; exit 1; }
"$PYTHON" -c 'import sys; sys.exit(0 if sys.version_info >= (3, 10) else 1)' \
  || { say "ERROR: Python 3.10 or newer is required, found $("$PYTHON" --version 2>&1)"; exit 1; }

files=()
for f in "${REQUIREMENTS[@]}"; do files+=("$ROOT/$f"); done
want="$(cat "${files[@]}" | sha256sum | cut -d' ' -f1)"
stamp="$VENV/.mp-requirements.sha256"
if [ -x "$VENV/bin/python" ] && [ "$(cat "$stamp" 2>/dev/null)" = "$want" ]; then
  echo "$VENV/bin/python"
  exit 0
fi

started=$SECONDS
if [ ! -x "$VENV/bin/python" ]; then
  say "creating $VENV"
  "$PYTHON" -m venv "$VENV" || { say "ERROR: python3 -m venv failed (Debian: apt-get install python3-venv)"; exit 1; }
fi
say "installing ${REQUIREMENTS[*]} into $VENV (wheels from PyPI; about a minute the first time)"
args=()
for f in "${files[@]}"; do args+=(-r "$f"); done
"$VENV/bin/python" -m pip install --disable-pip-version-check --no-input --progress-bar off -q "${args[@]}" >&2 \
  || { say "ERROR: pip install failed (output above)"; exit 1; }
echo "$want" > "$stamp"
say "ready in $((SECONDS - started)) s"
echo "$VENV/bin/python"
