"""``emailgistics-sandbox``: run a local Emailgistics Reporting API."""

from __future__ import annotations

import argparse
import json
import signal
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from emailgistics_sandbox.config import DEFAULT_NOW, SandboxSettings, load_keys
from emailgistics_sandbox.faults import ALL_FAULTS, FaultRule
from emailgistics_sandbox.server import Sandbox


def _instant(text: str) -> datetime:
    value = datetime.fromisoformat(text)
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value


def build_parser() -> argparse.ArgumentParser:
    """The command's options; ``--help`` documents every one."""
    parser = argparse.ArgumentParser(
        prog="emailgistics-sandbox",
        description=(
            "A faithful local Emailgistics Reporting API (v1) with deterministic data, "
            "a controllable clock, fault injection, ground truth and a request log. "
            "Control endpoints live under /_sandbox/ and need no API key."
        ),
    )
    add = parser.add_argument
    add("--host", default="127.0.0.1", help="interface to bind (default: %(default)s)")
    add(
        "--port",
        type=int,
        default=8765,
        help="port; 0 picks a free one (default: %(default)s)",
    )
    add(
        "--seed",
        type=int,
        default=7,
        help="seed of the synthetic data (default: %(default)s)",
    )
    add(
        "--now",
        type=_instant,
        default=DEFAULT_NOW,
        help="initial sandbox clock, ISO 8601, UTC if no offset (default: %(default)s)",
    )
    add(
        "--lag-minutes",
        type=int,
        default=15,
        help="activity becomes visible this many minutes late (default: %(default)s)",
    )
    add(
        "--run-seconds",
        type=float,
        default=2.0,
        help="real seconds a report run stays 'running' (default: %(default)s)",
    )
    add(
        "--instant-rows",
        type=int,
        default=0,
        help="reports with at most this many rows are 'done' in the POST answer "
        "(default: %(default)s)",
    )
    add(
        "--max-running-runs",
        type=int,
        default=3,
        help="runs running at once per account before a POST gets 429; 0 = off "
        "(default: %(default)s)",
    )
    add(
        "--requests-per-minute",
        type=int,
        default=100,
        help="requests per minute per account before 429; 0 = off (default: %(default)s)",
    )
    add(
        "--result-ttl-hours",
        type=float,
        default=24.0,
        help="results expire this long after creation, on the sandbox clock (default: %(default)s)",
    )
    add(
        "--keys-file",
        type=Path,
        help="JSON list of keys ({key, name, scopes, mailboxes|'*', deniedMailboxes, expires}); "
        "default: the four built-in keys printed at start",
    )
    add(
        "--fault",
        action="append",
        default=[],
        type=FaultRule.parse,
        metavar="KIND[:opt=v,...]",
        help=f"inject a fault; repeatable. Kinds: {', '.join(sorted(ALL_FAULTS))}. Options: "
        "probability, times, status, seconds, burst, mailbox_id, path, method, after_pages",
    )
    add(
        "--fault-seed",
        type=int,
        default=1,
        help="seed of the fault generator (default: %(default)s)",
    )
    return parser


def settings_from(args: argparse.Namespace) -> SandboxSettings:
    """Turn parsed options into sandbox settings."""
    return SandboxSettings(
        seed=args.seed,
        now=args.now,
        lag_minutes=args.lag_minutes,
        run_seconds=args.run_seconds,
        instant_rows=args.instant_rows,
        max_running_runs=args.max_running_runs,
        requests_per_minute=args.requests_per_minute,
        result_ttl_hours=args.result_ttl_hours,
        keys=load_keys(args.keys_file) if args.keys_file else None,
        faults=list(args.fault),
        fault_seed=args.fault_seed,
    )


def main(argv: list[str] | None = None) -> int:
    """Start the sandbox, print its base URL and keys, serve until stopped."""
    args = build_parser().parse_args(argv)
    try:
        sandbox = Sandbox(settings_from(args), host=args.host, port=args.port)
    except OSError as error:
        print(
            f"emailgistics-sandbox: cannot listen on {args.host}:{args.port}: {error}. "
            "Pick another --port (0 = any free port).",
            file=sys.stderr,
        )
        return 2
    banner: dict[str, Any] = {
        "baseUrl": sandbox.base_url,
        "now": sandbox.state.clock.now().isoformat(),
        "keys": [key.describe() for key in sandbox.state.keys.values()],
    }
    print(f"Emailgistics sandbox listening on {sandbox.base_url}", flush=True)
    print(json.dumps(banner), flush=True)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    try:
        sandbox.serve_forever()
    except (KeyboardInterrupt, SystemExit):
        pass
    finally:
        sandbox.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
