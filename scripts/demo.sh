#!/usr/bin/env bash
# The main job, end to end, with no API key: set up the environment, start the
# sandbox (a local Emailgistics API), extract every default stream with the tap,
# write the Singer output to output/, print a per-stream summary, stop the sandbox.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
source scripts/bootstrap.sh
mkdir -p output
PORT="${SANDBOX_PORT:-8765}"
.venv/bin/emailgistics-sandbox --port "$PORT" --run-seconds 1 > output/sandbox.log 2>&1 &
SANDBOX_PID=$!
trap 'kill "$SANDBOX_PID" 2>/dev/null || true' EXIT
for _ in $(seq 50); do
  grep -q "listening on" output/sandbox.log 2>/dev/null && break
  sleep 0.2
done
grep -q "listening on" output/sandbox.log || { cat output/sandbox.log; exit 1; }
cat > output/demo-config.json <<JSON
{"api_key": "sandbox-full-key", "base_url": "http://127.0.0.1:$PORT",
 "start_date": "2026-03-01", "end_date": "2026-05-02", "periods": ["day", "week"],
 "poll_initial_seconds": 0.5}
JSON
echo "Extracting from the sandbox at http://127.0.0.1:$PORT ..."
.venv/bin/tap-emailgistics --config output/demo-config.json \
  > output/demo.singer.jsonl 2> output/tap.log
.venv/bin/python - <<'PY'
import collections, json
counts = collections.Counter()
states = 0
with open("output/demo.singer.jsonl") as lines:
    for line in lines:
        message = json.loads(line)
        if message["type"] == "RECORD":
            counts[message["stream"]] += 1
        states += message["type"] == "STATE"
print("\nRows per stream (output/demo.singer.jsonl):")
for stream, rows in sorted(counts.items()):
    print(f"  {stream:<24} {rows:>6}")
print(f"  {'STATE messages':<24} {states:>6}  (one after every completed window)")
PY
echo "Tap log: output/tap.log. Sandbox stopped."
