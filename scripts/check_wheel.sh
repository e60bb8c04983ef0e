#!/usr/bin/env bash
# Build Gatehouse's wheel, install it into a clean virtual environment outside the checkout, and
# check that it runs there: the project's system checks and the emulator's command line.
set -euo pipefail
cd "$(dirname "$0")/.."
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
echo "==> building the wheel"
.venv/bin/python -m pip wheel --quiet --disable-pip-version-check --no-deps --no-build-isolation . -w "$work/dist"
echo "==> installing it into a clean virtual environment ($work/venv)"
.venv/bin/python -m venv "$work/venv"
"$work/venv/bin/python" -m pip install --quiet --disable-pip-version-check --require-hashes -r requirements.lock
"$work/venv/bin/python" -m pip install --quiet --disable-pip-version-check --no-deps "$work"/dist/*.whl
cd "$work"  # nothing of the checkout on the path from here on
export DJANGO_SETTINGS_MODULE=config.settings DEBUG=false ALLOWED_HOSTS=gatehouse.example.com \
  SECRET_KEY="wheel-check-$(head -c 32 /dev/urandom | base64 | tr -d '/+=')" DATABASE_URL="sqlite:///$work/db.sqlite3"
echo "==> django-admin check, from the installed wheel"
"$work/venv/bin/django-admin" check
"$work/venv/bin/django-admin" migrate -v0  # the migrations travel in the wheel too
"$work/venv/bin/python" -c "import django; django.setup(); from django.template.loader import get_template; [get_template(t) for t in ('base.html', 'accounts/login.html', 'connect/confirm.html', 'admin/sso/connection/change_list.html')]; from django.contrib.staticfiles import finders; assert finders.find('gatehouse/site.css'); print('templates and static files found')"
echo "==> python -m workos_emulator --help, from the installed wheel"
"$work/venv/bin/python" -m workos_emulator --help >/dev/null
"$work/venv/bin/python" -c "import importlib.resources as r; assert r.files('workos_emulator').joinpath('demo.yaml').is_file(); print('the demo seed is in the wheel')"
echo "The wheel installs and runs outside the checkout."
