#!/usr/bin/env bash
# The main job, end to end, with no API key: set up the environment, start the sandbox
# (a local Emailgistics API), run `meltano run tap-emailgistics target-duckdb dbt-duckdb:build`
# twice with the sandbox clock a day later between the runs, and print from SQL which
# periods were provisional, which became final, that no key is duplicated, what each run
# requested, and the dbt mart's rows for a day turning from provisional to final.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
source scripts/bootstrap.sh
export PATH="$PWD/.venv/bin:$PATH"
mkdir -p output
rm -f output/warehouse.duckdb output/run1.json output/marts1.json

echo "== Installing the Meltano plugins (tap, target-duckdb, target-jsonl, target-postgres, dbt-duckdb)"
# By name: the project's other plugins (target-snowflake, the tests' own loaders) are
# not needed here.
meltano install tap-emailgistics target-duckdb target-jsonl target-postgres dbt-duckdb \
  > output/meltano-install.log 2>&1 || { tail -20 output/meltano-install.log; exit 1; }

echo "== Starting the sandbox"
emailgistics-sandbox --port 0 --run-seconds 1 > output/sandbox.log 2>&1 &
SANDBOX_PID=$!
trap 'kill "$SANDBOX_PID" 2>/dev/null || true; echo "== Sandbox stopped"' EXIT
for _ in $(seq 100); do grep -q "listening on" output/sandbox.log 2>/dev/null && break; sleep 0.1; done
BASE_URL=$(sed -n 's/.*listening on \(http[^ ]*\).*/\1/p' output/sandbox.log | head -1)
[ -n "$BASE_URL" ] || { cat output/sandbox.log; exit 1; }
export TAP_EMAILGISTICS_BASE_URL="$BASE_URL"
echo "   $BASE_URL (clock: 2026-05-01T12:29Z; keys: see output/sandbox.log)"

echo "== Run 1: meltano run tap-emailgistics target-duckdb dbt-duckdb:build  (environment dev, from start_date)"
meltano --environment dev run --full-refresh tap-emailgistics target-duckdb dbt-duckdb:build \
  > output/meltano-run1.log 2>&1 || { tail -30 output/meltano-run1.log; exit 1; }
python scripts/demo_report.py snapshot output/warehouse.duckdb output/run1.json "$BASE_URL"
python scripts/demo_marts.py snapshot output/warehouse.duckdb output/marts1.json

echo "== Advancing the sandbox clock by one day"
curl -sf -X POST "$BASE_URL/_sandbox/clock/advance" -d '{"days": 1}' > /dev/null

echo "== Run 2: the same command; it resumes from the state run 1 left"
meltano --environment dev run tap-emailgistics target-duckdb dbt-duckdb:build \
  > output/meltano-run2.log 2>&1 || { tail -30 output/meltano-run2.log; exit 1; }

echo "== mailbox_performance in output/warehouse.duckdb (SQL: scripts/demo_report.py)"
python scripts/demo_report.py compare output/warehouse.duckdb output/run1.json "$BASE_URL" \
  output/meltano-run1.log output/meltano-run2.log
echo "== analytics_marts.mart_sla_mailbox: the dbt project in transform/, built after each run"
python scripts/demo_marts.py compare output/warehouse.duckdb output/marts1.json \
  output/meltano-run1.log output/meltano-run2.log
echo "== Done. Logs: output/meltano-run1.log, output/meltano-run2.log"
