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
# pytest keeps each user's three newest temp roots and deletes older ones, even while
# another session still uses one: each run of the suite gets a root of its own (kept
# when a test fails, for its files).
PYTEST_DEBUG_TEMPROOT="$(mktemp -d -t tap-emailgistics-tests.XXXXXX)"
export PYTEST_DEBUG_TEMPROOT
# Tests that share one expensive fixture carry an xdist_group mark and stay on one worker.
.venv/bin/python -m pytest -n "${TEST_WORKERS:-6}" --dist loadgroup "$@"
rm -rf "$PYTEST_DEBUG_TEMPROOT"
