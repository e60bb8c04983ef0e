#!/usr/bin/env bash
# Create .venv with Python 3.11 and install Gatehouse with its test tools (skipped when up to date).
set -euo pipefail
cd "$(dirname "$0")/.."

PYTHON=${PYTHON:-}
if [ -z "$PYTHON" ]; then
  for candidate in python3.11 python3; do
    if command -v "$candidate" >/dev/null 2>&1 && "$candidate" -c 'import sys; sys.exit(sys.version_info[:2] != (3, 11))'; then
      PYTHON=$candidate; break
    fi
  done
fi
if [ -z "$PYTHON" ]; then
  echo "Gatehouse needs Python 3.11 (python3.11 or python3 on PATH). Set PYTHON=/path/to/python3.11." >&2
  exit 1
fi

if [ ! -x .venv/bin/python ]; then
  echo "==> creating .venv with $($PYTHON --version)"
  if ! "$PYTHON" -m venv .venv; then
    echo "Could not create a virtual environment. On Debian: apt-get install python3-venv" >&2
    exit 1
  fi
fi

# requirements.lock pins every package, direct or not, with hashes: a fresh machine installs
# exactly what CI tested. After changing pyproject.toml, refresh it with
#   .venv/bin/pip-compile --generate-hashes --allow-unsafe --strip-extras --no-emit-index-url \
#     --no-emit-find-links --extra emulator --extra test --extra dev -o requirements.lock pyproject.toml
stamp=.venv/.gatehouse-installed
want=$(cat pyproject.toml requirements.lock | sha256sum | cut -d' ' -f1)
if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$want" ]; then
  echo "==> installing dependencies (requirements.lock, hash-checked)"
  pip_install() { .venv/bin/python -m pip install --quiet --disable-pip-version-check "$@"; }
  # uv installs the same hash-checked lock in seconds where pip takes a minute; pip stays the
  # fallback where uv cannot be had.
  if [ -x .venv/bin/uv ] || pip_install "uv==0.13.9" 2>/dev/null; then
    .venv/bin/uv pip install --quiet --python .venv/bin/python --require-hashes -r requirements.lock
    .venv/bin/uv pip install --quiet --python .venv/bin/python --no-deps --no-build-isolation -e .
  else
    pip_install --require-hashes -r requirements.lock
    pip_install --no-deps --no-build-isolation -e .
  fi
  echo "$want" > "$stamp"
fi
