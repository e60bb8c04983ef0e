#!/usr/bin/env bash
# Set up and run Gatehouse on http://127.0.0.1:8000 with the local WorkOS emulator and demo data.
# APP_PORT and EMULATOR_PORT choose other ports; the demo follows them.
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/setup.sh

EMULATOR_PORT=${EMULATOR_PORT:-4100}
APP_PORT=${APP_PORT:-8000}
export DEBUG=${DEBUG:-true}
export WORKOS_BASE_URL=${WORKOS_BASE_URL:-http://127.0.0.1:$EMULATOR_PORT}
export WORKOS_API_KEY=${WORKOS_API_KEY:-sk_test_emulator}
export WORKOS_CLIENT_ID=${WORKOS_CLIENT_ID:-client_emulator}
export WORKOS_REDIRECT_URI=${WORKOS_REDIRECT_URI:-http://127.0.0.1:$APP_PORT/auth/callback}
export WORKOS_ALLOWED_REDIRECT_URIS=${WORKOS_ALLOWED_REDIRECT_URIS:-http://127.0.0.1:$APP_PORT/examples/spa/callback}
# The emulator signs its webhooks with a secret of this checkout (made once, like the dev SECRET_KEY).
[ -s .dev-webhook-secret ] || .venv/bin/python -c 'import secrets; print("whsec_" + secrets.token_urlsafe(24))' > .dev-webhook-secret
export WORKOS_WEBHOOK_SECRET=${WORKOS_WEBHOOK_SECRET:-$(cat .dev-webhook-secret)}
export WORKOS_LOGOUT_RETURN_TO=${WORKOS_LOGOUT_RETURN_TO:-http://127.0.0.1:$APP_PORT/}
export WORKOS_ALLOWED_LOGOUT_RETURN_TOS=${WORKOS_ALLOWED_LOGOUT_RETURN_TOS:-http://127.0.0.1:$APP_PORT/examples/spa/}
# The demo has passwords of both kinds: pat's (ours) and alice's and the others' (WorkOS's).
export GATEHOUSE_PASSWORD_BACKEND=${GATEHOUSE_PASSWORD_BACKEND:-either}
# The example SPA switches between tokens in its memory and in HttpOnly cookies.
export GATEHOUSE_TOKEN_DELIVERY_CHOICE=${GATEHOUSE_TOKEN_DELIVERY_CHOICE:-true}
# The emulator starts afresh each run; so does the demo's database (KEEP_DEMO_DATA=1 keeps it),
# so that nobody a previous run deactivated stays so. DATABASE_URL set: that database, kept.
if [ -z "${DATABASE_URL:-}" ]; then
  export DATABASE_URL="sqlite:///$PWD/.demo.sqlite3"
  [ "${KEEP_DEMO_DATA:-}" = 1 ] || rm -f .demo.sqlite3
fi

pids=()
cleanup() { for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done; }
trap cleanup EXIT INT TERM

# The emulator starts first: it comes up while Django prepares the demo.
if [ "$WORKOS_BASE_URL" = "http://127.0.0.1:$EMULATOR_PORT" ]; then
  .venv/bin/python -m workos_emulator --port "$EMULATOR_PORT" --seed workos_emulator/demo.yaml --app-url "http://127.0.0.1:$APP_PORT" \
    --webhook "http://127.0.0.1:$APP_PORT/webhooks/workos" --webhook-secret "$WORKOS_WEBHOOK_SECRET" &
  pids+=($!)
  for _ in $(seq 50); do
    curl -fsS "$WORKOS_BASE_URL/_emulator/health" >/dev/null 2>&1 && break
    kill -0 "${pids[0]}" 2>/dev/null || { echo "The WorkOS emulator did not start (port $EMULATOR_PORT taken? set EMULATOR_PORT)." >&2; exit 1; }
    sleep 0.2
  done
fi

# migrate, the demo users, the SSO and directory mirrors: one process, Django started once
.venv/bin/python manage.py start_demo

echo
echo "Gatehouse: http://127.0.0.1:$APP_PORT   (admin: http://127.0.0.1:$APP_PORT/admin/)"
echo
.venv/bin/python manage.py runserver --skip-checks "127.0.0.1:$APP_PORT" &  # start_demo ran the checks
pids+=($!)
wait "${pids[-1]}"
