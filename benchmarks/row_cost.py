"""CPU per row and memory: the tap against a raw requests + json client, same results.

Run by hand (numbers go in the closing note and docs/performance.md, never in timed tests):

    .venv/bin/python benchmarks/row_cost.py [--rows 10000 100000 1000000]

A sandbox process (no limits, runs finish at once) serves hourly user_performance
rows for its 3 active mailboxes (about 3 x 5 users x 24 hours a day, as many days as
the size needs). For each size the tap runs as a process (``--catalog`` selecting
that one stream, stdout to a file, so serialising is counted); then a raw client
process reads the very results the tap created (``GET`` each, follow ``_links.next``, decode every
page with ``json``, write each row as a JSON line) and does nothing else. CPU (user
+ system) and peak RSS come from ``wait4``. CPU per row is the slope between sizes,
so start-up (imports) cancels out.
"""

from __future__ import annotations

import argparse
import json
import os
import socket
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from emailgistics_sandbox import FULL_KEY, SandboxControl

END = date(2026, 5, 2)
ROWS_PER_DAY = 3 * 5 * 24  # mailboxes x users x hours
#: The least an extractor can do: read every page, decode it, write each row as a line.
RAW_CLIENT = """
import json, sys, requests
base, key, ids = sys.argv[1], sys.argv[2], sys.argv[3:]
session = requests.Session()
session.headers["Authorization"] = "Bearer " + key
for result_id in ids:
    url = f"{base}/api/v1/reports/results/{result_id}?max=500"
    while url:
        page = json.loads(session.get(url, timeout=60).content)
        for row in page["result"]["data"]:
            sys.stdout.write(json.dumps(row) + "\\n")
        url = (page["_links"].get("next") or {}).get("href")
"""


@dataclass
class Cost:
    rows: int
    seconds: float
    cpu: float
    rss_mb: float


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def measured(command: list[str], stdout: Any) -> tuple[float, float, float]:  # noqa: ANN401
    """Wall seconds, CPU seconds and peak RSS (MB) of one process."""
    started = time.perf_counter()
    process = subprocess.Popen(command, stdout=stdout)
    _, status, usage = os.wait4(process.pid, 0)
    process.returncode = os.waitstatus_to_exitcode(status)
    if process.returncode:
        msg = f"{command[:3]} exited {process.returncode}"
        raise RuntimeError(msg)
    return time.perf_counter() - started, usage.ru_utime + usage.ru_stime, usage.ru_maxrss / 1024


def run_tap(folder: Path, base_url: str, rows: int) -> Cost:
    days = max(1, rows // ROWS_PER_DAY)
    config = {
        "api_key": FULL_KEY,
        "base_url": base_url,
        "start_date": str(END - timedelta(days=days)),
        "end_date": str(END),
        "periods": ["hour"],
        "window_days": {"hour": 92},
        "requests_per_minute": 100_000,
    }
    (folder / "config.json").write_text(json.dumps(config))
    tap = [sys.executable, "-m", "tap_emailgistics", "--config", str(folder / "config.json")]
    catalog = json.loads(
        subprocess.run([*tap, "--discover"], capture_output=True, check=True).stdout
    )
    for entry in catalog["streams"]:
        for metadata in entry["metadata"]:
            if not metadata["breadcrumb"]:
                metadata["metadata"]["selected"] = entry["tap_stream_id"] == "user_performance"
    (folder / "catalog.json").write_text(json.dumps(catalog))
    with (folder / "tap.out").open("w") as out:
        seconds, cpu, rss = measured([*tap, "--catalog", str(folder / "catalog.json")], out)
    with (folder / "tap.out").open() as written:
        records = sum(1 for line in written if line.startswith('{"type":"RECORD"'))
    return Cost(records, seconds, cpu, rss)


def run_raw(folder: Path, base_url: str, result_ids: list[str], rows: int) -> Cost:
    (folder / "raw.py").write_text(RAW_CLIENT)
    command = [sys.executable, str(folder / "raw.py"), base_url, FULL_KEY, *result_ids]
    with (folder / "raw.out").open("w") as out:
        seconds, cpu, rss = measured(command, out)
    with (folder / "raw.out").open() as written:
        counted = sum(1 for _ in written)
    if counted != rows:
        msg = f"the raw client read {counted} rows, the tap {rows}"
        raise RuntimeError(msg)
    return Cost(rows, seconds, cpu, rss)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, nargs="+", default=[10_000, 100_000, 1_000_000])
    args = parser.parse_args()
    port = free_port()
    sandbox = subprocess.Popen(
        [
            str(Path(sys.executable).parent / "emailgistics-sandbox"),
            "--port",
            str(port),
            "--run-seconds",
            "0",
            "--instant-rows",
            str(10**9),
            "--requests-per-minute",
            "0",
            "--max-running-runs",
            "0",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    base_url = f"http://127.0.0.1:{port}"
    control = SandboxControl(base_url)
    try:
        while not _healthy(control):
            time.sleep(0.1)
        results = []
        with tempfile.TemporaryDirectory() as folder:
            for rows in args.rows:
                seen = {run["resultId"] for run in control.runs()["runs"]}
                tap = run_tap(Path(folder), base_url, rows)
                ids = [r["resultId"] for r in control.runs()["runs"] if r["resultId"] not in seen]
                results.append((tap, run_raw(Path(folder), base_url, ids, tap.rows)))
    finally:
        sandbox.terminate()
        sandbox.wait()
    report(results)


def _healthy(control: SandboxControl) -> bool:
    try:
        return control.health()
    except OSError:
        return False


def report(results: list[tuple[Cost, Cost]]) -> None:
    print(
        "| rows | tap rows/s | raw rows/s | tap CPU s | raw CPU s | tap µs/row | raw µs/row "
        "| ratio | tap peak RSS | raw peak RSS |"
    )
    print("|---" * 10 + "|")
    previous: tuple[Cost, Cost] | None = None
    slopes = []
    for tap, raw in results:
        if previous is None:
            per_tap, per_raw = tap.cpu / tap.rows * 1e6, raw.cpu / raw.rows * 1e6
        else:
            rows = tap.rows - previous[0].rows
            per_tap = (tap.cpu - previous[0].cpu) / rows * 1e6
            per_raw = (raw.cpu - previous[1].cpu) / rows * 1e6
            slopes.append(per_tap / per_raw)
        print(
            f"| {tap.rows:,} | {tap.rows / tap.seconds:,.0f} | {raw.rows / raw.seconds:,.0f} | "
            f"{tap.cpu:.1f} | {raw.cpu:.1f} | {per_tap:.1f} | {per_raw:.1f} | "
            f"{per_tap / per_raw:.2f}x | {tap.rss_mb:.0f} MB | {raw.rss_mb:.0f} MB |"
        )
        previous = (tap, raw)
    rss = [tap.rss_mb for tap, _ in results]
    print(
        f"summary: tap CPU per row {max(slopes or [0]):.2f}x the raw client's at most "
        f"(slope between sizes); tap peak RSS {min(rss):.0f}-{max(rss):.0f} MB"
    )


if __name__ == "__main__":
    main()
