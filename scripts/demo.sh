#!/usr/bin/env bash
# The main job, end to end, with no API key: set up the environment, start the sandbox
# (a local Emailgistics API), run `meltano run tap-emailgistics target-jsonl`, print where
# the data went with a per-stream row count, and stop the sandbox.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
source scripts/bootstrap.sh
export PATH="$PWD/.venv/bin:$PATH"
mkdir -p output
rm -rf output/jsonl && mkdir -p output/jsonl

echo "== Installing the Meltano plugins (tap, target-jsonl, target-postgres)"
meltano install > output/meltano-install.log 2>&1 || { tail -20 output/meltano-install.log; exit 1; }

echo "== Starting the sandbox"
emailgistics-sandbox --port 0 --run-seconds 1 > output/sandbox.log 2>&1 &
SANDBOX_PID=$!
trap 'kill "$SANDBOX_PID" 2>/dev/null || true; echo "== Sandbox stopped"' EXIT
for _ in $(seq 100); do grep -q "listening on" output/sandbox.log 2>/dev/null && break; sleep 0.1; done
BASE_URL=$(sed -n 's/.*listening on \(http[^ ]*\).*/\1/p' output/sandbox.log | head -1)
[ -n "$BASE_URL" ] || { cat output/sandbox.log; exit 1; }
echo "   $BASE_URL (clock: 2026-05-01T12:29Z; keys: see output/sandbox.log)"

echo "== meltano run tap-emailgistics target-jsonl  (environment dev)"
TAP_EMAILGISTICS_BASE_URL="$BASE_URL" meltano --environment dev run --full-refresh \
  tap-emailgistics target-jsonl > output/meltano-run.log 2>&1 \
  || { tail -30 output/meltano-run.log; exit 1; }

echo "== Done. Data: output/jsonl/ (one file per stream). Log: output/meltano-run.log"
for file in output/jsonl/*.jsonl; do
  printf '   %-28s %7d rows\n' "$(basename "$file" .jsonl)" "$(wc -l < "$file")"
done
