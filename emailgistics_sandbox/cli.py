"""``emailgistics-sandbox``: run a local Emailgistics Reporting API (all four reports)."""

from __future__ import annotations

import argparse
import json
import signal
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from emailgistics_sandbox.settings.config import DEFAULT_NOW, SandboxSettings, load_keys
from emailgistics_sandbox.settings.faults import ALL_FAULTS, FaultRule
from emailgistics_sandbox.transport.server import Sandbox


def _instant(text: str) -> datetime:
    value = datetime.fromisoformat(text)
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value


_D = " (default: %(default)s)"
#: (flag, type, default, help); every option of the command, documented by --help.
_OPTIONS: tuple[tuple[str, Any, Any, str], ...] = (
    ("--host", str, "127.0.0.1", "interface to bind" + _D),
    ("--port", int, 8765, "port; 0 picks a free one" + _D),
    ("--seed", int, 7, "seed of the synthetic data" + _D),
    ("--now", _instant, DEFAULT_NOW, "initial sandbox clock, ISO 8601, UTC if no offset" + _D),
    ("--lag-minutes", int, 15, "activity becomes visible this many minutes late" + _D),
    ("--run-seconds", float, 2.0, "real seconds a report run stays 'running'" + _D),
    (
        "--run-seconds-per-row",
        float,
        0.0,
        "a run of N rows stays 'running' run-seconds + N times this" + _D,
    ),
    (
        "--instant-rows",
        int,
        0,
        "reports with at most this many rows are 'done' in the POST answer" + _D,
    ),
    (
        "--max-running-runs",
        int,
        3,
        "runs running at once per account before a POST gets 429; 0 = off" + _D,
    ),
    ("--requests-per-minute", int, 100, "requests per minute per account before 429; 0 = off" + _D),
    (
        "--result-ttl-hours",
        float,
        24.0,
        "results expire this long after creation, on the sandbox clock" + _D,
    ),
    (
        "--keys-file",
        Path,
        None,
        (
            "JSON list of keys ({key, name, scopes, mailboxes|'*', "
            "deniedMailboxes, expires}); default: the five built-in keys printed at start"
        ),
    ),
    ("--fault-seed", int, 1, "seed of the fault generator" + _D),
    (
        "--omit-null-probability",
        float,
        0.0,
        "chance that a null metric is left out of a row, as in the docs' example" + _D,
    ),
    (
        "--ambiguous-end",
        str,
        "last",
        "occurrence ('first' or 'last') an `end` inside a repeated DST hour is read as" + _D,
    ),
    (
        "--second-hour-domain",
        str,
        None,
        "make this domain active only in the second occurrence of each repeated DST hour",
    ),
    ("--extra-mailboxes", int, 0, "this many more active mailboxes, lightly used" + _D),
    (
        "--neighbour-runs",
        int,
        0,
        "another client of the account keeps this many small runs running, taking run "
        "slots and requests from the account's limits; its traffic is counted at "
        "/_sandbox/neighbour, not in the request log" + _D,
    ),
    (
        "--neighbour-run-seconds",
        float,
        None,
        (
            "real seconds each of the other client's runs stays 'running' "
            "(default: as long as a run of the same size of the tested client's)"
        ),
    ),
)
#: (flag, attribute, help): on/off readings of what the API docs leave open.
_SWITCHES: tuple[tuple[str, str, str], ...] = (
    ("--no-retry-after", "retry_after_header", "send 429s without a Retry-After header"),
    ("--no-date-header", "date_header", "send answers without an HTTP Date header"),
    ("--sparse-rows", "sparse_rows", "mailbox and user reports omit buckets without activity"),
)


def build_parser() -> argparse.ArgumentParser:
    """The command's options; ``--help`` documents every one."""
    parser = argparse.ArgumentParser(
        prog="emailgistics-sandbox",
        description=(
            "A faithful local Emailgistics Reporting API (v1) with deterministic data, "
            "a controllable clock, fault injection, ground truth and a request log. "
            "Reports: mailboxPerformance, mailboxUserPerformance, mailboxDomainPerformance "
            "and receivedMessageDetail (one row per received message; needs the "
            "messages:read scope as well as reporting), all built from the same message "
            "events. Control endpoints live under /_sandbox/ and need no API key."
        ),
    )
    for flag, kind, default, text in _OPTIONS:
        parser.add_argument(flag, type=kind, default=default, help=text)
    for flag, _, text in _SWITCHES:
        parser.add_argument(flag, action="store_true", help=text)
    parser.add_argument(
        "--fault",
        action="append",
        default=[],
        type=FaultRule.parse,
        metavar="KIND[:opt=v,...]",
        help=f"inject a fault; repeatable. Kinds: {', '.join(sorted(ALL_FAULTS))}. Options: "
        "probability, times, status, seconds, burst, mailbox_id, path, method, after_pages, "
        "shape. mailbox_id limits a rule to runs on that mailbox, report POSTs whose body "
        "names it and results GETs of its runs; requests naming no mailbox never match it",
    )
    return parser


def settings_from(args: argparse.Namespace) -> SandboxSettings:
    """Turn parsed options into sandbox settings."""
    return SandboxSettings(
        seed=args.seed,
        now=args.now,
        lag_minutes=args.lag_minutes,
        run_seconds=args.run_seconds,
        run_seconds_per_row=args.run_seconds_per_row,
        instant_rows=args.instant_rows,
        max_running_runs=args.max_running_runs,
        requests_per_minute=args.requests_per_minute,
        result_ttl_hours=args.result_ttl_hours,
        keys=load_keys(args.keys_file) if args.keys_file else None,
        faults=list(args.fault),
        fault_seed=args.fault_seed,
        retry_after_header=not args.no_retry_after,
        date_header=not args.no_date_header,
        sparse_rows=args.sparse_rows,
        omit_null_probability=args.omit_null_probability,
        ambiguous_end=args.ambiguous_end,
        second_hour_domain=args.second_hour_domain,
        extra_mailboxes=args.extra_mailboxes,
        neighbour_runs=args.neighbour_runs,
        neighbour_run_seconds=args.neighbour_run_seconds,
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
