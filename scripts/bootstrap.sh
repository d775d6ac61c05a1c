#!/usr/bin/env bash
# Creates (or refreshes) the project's virtualenv in .venv with the tap, the sandbox
# and the development tools. Sourced by scripts/demo.sh and scripts/test.sh.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
PYTHON="${PYTHON:-python3}"
if [ ! -x .venv/bin/python ]; then
  "$PYTHON" -m venv .venv
fi
# Every venv uv builds from here on (this one, and Meltano's plugin venvs: Meltano 4
# installs with uv) is compiled to bytecode as it is installed. Where PYTHONDONTWRITEBYTECODE
# is set (as on this project's machines) no process writes .pyc files, so each `meltano`,
# tap and target process would compile everything it imports again: 3 s of CPU to start
# `meltano` instead of 1, hundreds of times in the tests.
export UV_COMPILE_BYTECODE=1
# uv installs an order of magnitude faster than pip; it is itself a PyPI wheel.
.venv/bin/python -m pip install --quiet --disable-pip-version-check "uv>=0.5"
VIRTUAL_ENV="$PWD/.venv" .venv/bin/uv pip install --quiet -e ".[dev]"
# uv compiles only what it installs: the editable packages (and a venv made before this
# line existed) are compiled here. compileall skips what is up to date; the exit code is
# ignored because some packages ship templates that are not Python.
.venv/bin/python -m compileall -q -j 0 .venv/lib tap_emailgistics emailgistics_sandbox \
  > /dev/null 2>&1 || true
