#!/usr/bin/env bash
# The static checks CI runs (and `make lint`, and the pre-commit hooks): lint, format, types and
# migrations. Each failure names the file and line; `ruff check --fix .` and `ruff format .` mend most.
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/setup.sh
export DEBUG=true  # the type checker and makemigrations read the project's settings
echo "==> ruff check (lint)"
.venv/bin/ruff check .
echo "==> ruff format --check"
.venv/bin/ruff format --check .
echo "==> mypy (the service modules' type hints)"
.venv/bin/mypy
echo "==> makemigrations --check (every model change has its migration)"
.venv/bin/python manage.py makemigrations --check --dry-run
