#!/usr/bin/env bash
# The full test suite: lint, type check, then every test layer (sandbox, unit,
# SDK standard suite, end to end). Sets up its own environment first.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
source scripts/bootstrap.sh
echo "== ruff"
.venv/bin/ruff check .
.venv/bin/ruff format --check .
echo "== mypy (strict)"
.venv/bin/mypy
echo "== pytest"
.venv/bin/python -m pytest "$@"
