#!/usr/bin/env bash
# Set up and run the whole test suite (SQLite unless DATABASE_URL says otherwise).
# Extra arguments go to pytest, e.g. scripts/test.sh -k callback -x
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/setup.sh

if [ ! -x /usr/bin/chromium ]; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    echo "==> installing Debian's chromium for the browser tests"
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
  else
    echo "The browser tests need Debian's chromium: sudo apt-get install chromium" >&2
    exit 1
  fi
fi

# WorkOS's OpenAPI spec for the emulator contract and fuzz tests: WORKOS_OPENAPI_SPEC if set, else a
# copy beside the checkout, else the pinned npm package (fetched once, integrity-checked). Without
# any, those tests fail in CI and skip elsewhere.
spec=$(cd .. && pwd)/shared/workos-openapi/open-api-spec.yaml
if [ -z "${WORKOS_OPENAPI_SPEC:-}" ] && [ -f "$spec" ]; then export WORKOS_OPENAPI_SPEC=$spec; fi
if [ -z "${WORKOS_OPENAPI_SPEC:-}" ]; then
  if fetched=$(.venv/bin/python scripts/fetch_workos_spec.py); then
    export WORKOS_OPENAPI_SPEC=$fetched
  else
    echo "(WorkOS's OpenAPI spec is not available: the emulator contract tests will skip)" >&2
  fi
fi
# Two parallel workers by default (TEST_WORKERS=0 runs everything in one process).
echo "==> pytest on ${DATABASE_URL:-SQLite} with ${TEST_WORKERS:-2} workers"
set +e
started=$(date +%s)
.venv/bin/python -m pytest -n "${TEST_WORKERS:-2}" --durations=10 --durations-min=1 "$@"
status=$?
echo "==> the suite took $(( $(date +%s) - started )) s with ${TEST_WORKERS:-2} workers"
set -e
if [ "$status" = 5 ]; then
  echo "No tests ran: that is a failure." >&2
  exit 1
fi
exit "$status"
