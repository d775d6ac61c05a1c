#!/usr/bin/env bash
# Creates (or refreshes) the project's virtualenv in .venv with the tap, the sandbox
# and the development tools. Sourced by scripts/demo.sh and scripts/test.sh.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
PYTHON="${PYTHON:-python3}"
if [ ! -x .venv/bin/python ]; then
  "$PYTHON" -m venv .venv
fi
# uv installs an order of magnitude faster than pip; it is itself a PyPI wheel.
.venv/bin/python -m pip install --quiet --disable-pip-version-check "uv>=0.5"
VIRTUAL_ENV="$PWD/.venv" .venv/bin/uv pip install --quiet -e ".[dev]"
