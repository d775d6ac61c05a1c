#!/usr/bin/env bash
# The quick loop, while editing (about a minute): ruff, then the unit, sandbox and
# in-process tests in parallel, without the end-to-end and the slow (marked) ones.
# The full suite, which CI runs, is scripts/test.sh; both take pytest's arguments.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
[ -x .venv/bin/python ] || source scripts/bootstrap.sh
.venv/bin/ruff check .
.venv/bin/ruff format --check .
PYTEST_DEBUG_TEMPROOT="$(mktemp -d -t tap-emailgistics-quick.XXXXXX)"
export PYTEST_DEBUG_TEMPROOT
.venv/bin/python -m pytest -q -n "${TEST_WORKERS:-4}" --dist loadgroup -m "not e2e and not slow" \
  tests/unit tests/sandbox tests/integration "$@"
rm -rf "$PYTEST_DEBUG_TEMPROOT"
