#!/usr/bin/env bash
# Benchmarks: gunicorn (shipped config and sync workers) + the emulator on loopback, load from
# wrk; prints the tables with their targets, saves JSON in bench-results/ and prints the change
# since the previous run. DATABASE_URL, else the local PostgreSQL, else SQLite (see bench/).
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/setup.sh
if ! command -v wrk >/dev/null; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk >/dev/null
  else
    echo "The benchmarks need wrk: sudo apt-get install wrk" >&2
    exit 1
  fi
fi
exec .venv/bin/python -m bench "$@"
