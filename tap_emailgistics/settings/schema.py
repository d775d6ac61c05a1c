"""The tap's settings as a JSON Schema: every setting's type, default, title and description.

The one source of the settings: ``--about``, the Meltano plugin definition and the
README's table are generated from it (tests keep them identical).
"""

from __future__ import annotations

from typing import Any

from singer_sdk import typing as th

from tap_emailgistics.finality.periods import PERIODS
from tap_emailgistics.transport.redaction import MIN_SECRET_LENGTH

DEFAULT_BASE_URL = "https://c1.emailgistics.com"
#: The SDK's own name for the setting (``Stream.emit_activate_version_messages``).
ACTIVATE_VERSION_SETTING = "emit_activate_version_messages"


def _window_days() -> th.ObjectType:
    return th.ObjectType(
        *(
            th.Property(
                p,
                th.IntegerType(minimum=1),
                title=f"{p.title()} window (days)",
                description=f"Longest range of one {p} report run, in days (no limit unless set).",
            )
            for p in PERIODS
        ),
        additional_properties=False,
    )


CONFIG_SCHEMA: dict[str, Any] = th.PropertiesList(
    th.Property(
        "api_key",
        th.StringType(min_length=MIN_SECRET_LENGTH),
        required=True,
        secret=True,
        title="API key",
        description="Emailgistics API key (Bearer). Needs the `reporting` scope and "
        "every extracted mailbox in its allowlist. Sent only to `base_url`.",
    ),
    th.Property(
        "base_url",
        th.StringType(pattern=r"^https?://[^/?#]+/?$"),
        default=DEFAULT_BASE_URL,
        title="Base URL",
        description="Scheme and host of your Emailgistics region, without a path. "
        "https, except for localhost (the sandbox).",
    ),
    th.Property(
        "mailbox_ids",
        th.ArrayType(th.StringType(min_length=1)),
        title="Mailbox IDs",
        description="Mailboxes to extract. Default: every active mailbox the key can "
        "see. An id the key cannot see stops the run before any report is requested.",
    ),
    th.Property(
        "start_date",
        th.DateTimeType,
        required=True,
        title="Start date",
        description="Earliest period to extract for a mailbox/period without state. "
        "Read as wall-clock time in each mailbox's zone (an offset or Z is ignored), "
        "so 2026-01-01 is local midnight in every mailbox.",
    ),
    th.Property(
        "end_date",
        th.DateTimeType,
        title="End date",
        description="Extract periods up to this mailbox-local wall-clock time "
        "(exclusive, rounded up to a whole period). Default: now in each mailbox's zone.",
    ),
    th.Property(
        "periods",
        th.ArrayType(th.StringType(allowed_values=list(PERIODS))),
        default=["day"],
        title="Periods",
        description="Report periods to extract (hour, day, week, month); each is its "
        "own partition with its own rows and bookmark.",
    ),
    th.Property(
        "message_activity_types",
        th.ArrayType(th.StringType(allowed_values=["received", "replied", "closed"])),
        default=["received", "replied", "closed"],
        title="Message activity types",
        description="For received_message_detail: the activities (received, replied, "
        "closed) whose times select messages, each its own partition and bookmark. A "
        "message's row is upserted whenever one of them happens, so its latest reply and "
        "close reach the warehouse.",
    ),
    th.Property(
        "users",
        th.ArrayType(th.StringType(min_length=1)),
        title="Users",
        description="User ids for the user reports ('unknown' = activity with no "
        "identifiable user). Default: every user of the mailbox.",
    ),
    th.Property(
        "domains",
        th.ArrayType(th.StringType(min_length=1)),
        title="Domains",
        description="Sender domains for the domain reports (exact, case-insensitive). "
        "Default: every domain with activity.",
    ),
    th.Property(
        "include_details",
        th.BooleanType,
        default=False,
        title="Include details",
        description="Add userName, userEmail and userActive to user report rows.",
    ),
    th.Property(
        "page_size",
        th.IntegerType(minimum=1, maximum=500),
        default=500,
        title="Page size",
        description="Rows per result page (the API caps it at 500).",
    ),
    th.Property(
        "poll_initial_seconds",
        th.NumberType(minimum=0),
        default=2,
        title="Shortest poll wait (s)",
        description="Floor of every poll wait. A run is polled when its progress says it "
        "will end (within this floor and the cap); without progress the wait starts "
        "here and doubles each poll.",
    ),
    th.Property(
        "poll_max_seconds",
        th.NumberType(minimum=0),
        default=30,
        title="Longest poll wait (s)",
        description="Cap of every poll wait.",
    ),
    th.Property(
        "poll_jitter",
        th.NumberType(minimum=0, maximum=1),
        default=0.2,
        title="Poll jitter",
        description="Random extra fraction (0-1) added to each poll wait.",
    ),
    th.Property(
        "max_concurrent_runs",
        th.IntegerType(minimum=1),
        default=3,
        title="Report runs at once",
        description="Most report runs the tap keeps running at once, across all "
        "streams, started ahead of the stream that reads them. The API allows 3 per "
        "account, shared with its other clients. 1 runs them one after another.",
    ),
    th.Property(
        "state_interval_seconds",
        th.NumberType(minimum=0),
        default=60,
        title="STATE interval (s)",
        description="A STATE message goes out when the rows sent since the last one "
        "outweigh the state a hundredfold, or after this many seconds, and always at the "
        "end of each stream and on shutdown. A crash loses at most that much finished "
        "work, which the next run reads again. 0 writes one after every verified window.",
    ),
    th.Property(
        "time_budget_minutes",
        th.NumberType(minimum=0),
        title="Time budget (min)",
        description="Create no new report run after this many minutes; runs already "
        "created are read if they finish within about one run's length, else kept in the "
        "state and read by the next sync. The sync then ends with exit 0, and the next "
        "one starts with the partitions that waited longest. Default: no limit.",
    ),
    th.Property(
        "run_journal",
        th.BooleanType,
        default=True,
        title="Run journal",
        description="Keep a local journal of the report runs this tap created and has not "
        "verified yet, outside the Singer state, so that a sync after a stop that lost the "
        "state (SIGTERM to the process group, a kill before Meltano saved) reads those runs "
        "instead of creating them again. It never holds the key. false: off.",
    ),
    th.Property(
        "run_journal_dir",
        th.StringType(min_length=1),
        title="Run journal folder",
        description="Where the run journal lives (its owner's alone). Default: .meltano/run/"
        "tap-emailgistics/journal of the Meltano project when run by Meltano, else "
        "$XDG_CACHE_HOME (or ~/.cache)/tap-emailgistics/journal. In a container, mount it "
        "(or the project's .meltano) to keep it across restarts.",
    ),
    th.Property(
        "rows_per_run",
        th.IntegerType(minimum=1),
        default=25000,
        title="Rows per report run",
        description="Windows are cut so that one report run returns about this many rows, "
        "estimated from the periods and the mailbox's users (50 sender domains per period "
        "unless domains is set; 200 messages per day for received_message_detail). A first "
        "sync then makes about one run per mailbox, report and period. Lower it for runs "
        "that take too long.",
    ),
    th.Property(
        "run_deadline_minutes",
        th.NumberType(minimum=0),
        default=45,
        title="Run deadline (min)",
        description="A report run still running after this many minutes is created "
        "again as two smaller windows (one of a single period fails its "
        "mailbox/period).",
    ),
    th.Property(
        "run_error_retries",
        th.IntegerType(minimum=0),
        default=2,
        title="Run error retries",
        description="How often a report run that ended in status 'error' is re-created "
        "before its mailbox/period fails (the others go on). A failed POST is re-created "
        "with backoff for 5 minutes instead.",
    ),
    th.Property(
        "requests_per_minute",
        th.IntegerType(minimum=1),
        default=90,
        title="Requests per minute",
        description="Pace of this tap's requests, polls included. The account allows "
        "100/min shared by all its keys: leave headroom for other clients.",
    ),
    th.Property(
        "rate_limit_wait_seconds",
        th.NumberType(minimum=0),
        default=60,
        title="Rate-limit wait (s)",
        description="Wait after a 429 that carries no Retry-After, doubling on each "
        "further 429. The API docs ask for at least a minute.",
    ),
    th.Property(
        ACTIVATE_VERSION_SETTING,
        th.BooleanType,
        default=True,
        title="Delete what the directory drops",
        description="Send ACTIVATE_VERSION with the full-table directory streams "
        "(mailboxes, mailbox_users, mailbox_tags), so that a loader that processes it "
        "(target-postgres: activate_version and add_record_metadata) flags or deletes "
        "the mailboxes, users and tags the API no longer lists. Report streams never.",
    ),
    th.Property(
        "window_days",
        _window_days(),
        title="Window sizes (days)",
        description="Longest range per report run, by period, in days, on top of "
        "rows_per_run. Default: no limit.",
    ),
).to_dict()
CONFIG_SCHEMA["additionalProperties"] = False
# An empty list would extract nothing (or, for users and domains, silently mean every
# one): always a mistake, so refused. The SDK's ArrayType has no parameter for it.
for _name in ("mailbox_ids", "periods", "message_activity_types", "users", "domains"):
    CONFIG_SCHEMA["properties"][_name]["minItems"] = 1
#: Settings whose values must never be printed (``secret`` in the schema).
SECRET_SETTINGS = tuple(n for n, p in CONFIG_SCHEMA["properties"].items() if p.get("secret"))
