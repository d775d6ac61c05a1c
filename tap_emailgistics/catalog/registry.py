"""The declarative report registry: one entry per report, one stream per group combo.

Adding a report or a field group is an entry here (and any new column in ``columns``);
``python -m tap_emailgistics.catalog.schema_files`` then writes its schemas into ``schemas/``.
"""

from __future__ import annotations

from dataclasses import dataclass
from itertools import combinations


@dataclass(frozen=True)
class ReportDefinition:
    """One ``POST /api/v1/reports/<path>`` report."""

    path: str  # e.g. "mailboxPerformance"
    stream_prefix: str  # e.g. "mailbox" -> mailbox_performance, mailbox_reply_performance
    groups: dict[str, tuple[str, ...]]  # fieldGroup name -> its metric columns
    group_labels: dict[str, str]  # fieldGroup name -> stream name part ("reply")
    dimension: str | None = None  # "userId", "domain" or None (mailbox-wide rows)
    #: What one row is, for the schema's description: "user and period", ...
    row: str = "period"
    #: A tap setting sent as the body field of the same name (``users``, ``domains``).
    filter_setting: str | None = None
    supports_details: bool = False  # honours ?includeDetails=true
    #: How rows of one period are ordered by dimension: "alphabetical" (case-insensitive)
    #: or "directory" (the mailbox's user list, then unknown ids). A stance, like the
    #: API file's; it tells a repeated DST hour's second occurrence apart in sparse rows.
    dimension_order: str | None = None


@dataclass(frozen=True)
class StreamDefinition:
    """One Singer stream: a report with a fixed field-group combination."""

    name: str
    report: ReportDefinition
    field_groups: tuple[str, ...]
    selected_by_default: bool

    @property
    def metric_columns(self) -> tuple[str, ...]:
        """The report's metric columns for this combination, each once."""
        seen: dict[str, None] = {"received": None}  # always present, whatever is asked
        for group in self.field_groups:
            seen.update(dict.fromkeys(self.report.groups[group]))
        return tuple(seen)

    @property
    def primary_keys(self) -> tuple[str, ...]:
        """``mailboxId``, ``period``, ``startDateTimeUtc`` and the report's dimension."""
        base = ("mailboxId", "period", "startDateTimeUtc")
        return (*base, self.report.dimension) if self.report.dimension else base


_REPLY_SHARED = (
    "initiated",
    "initialReplies",
    "additionalReplies",
    "averageMailboxInitialReplyTime",
    "averageElapsedInitialReplyTime",
    "insideReplySla",
)
_CLOSE_SHARED = (
    "closedArchived",
    "closedDeleted",
    "closedJunk",
    "closedSentItems",
    "averageMailboxCloseTime",
    "averageElapsedCloseTime",
    "insideClosedSla",
)
_CONVERSATIONS = ("replyConversations", "newConversations", "existingConversations")
_LABELS = {"replyData": "reply", "closeData": "close"}

REPORTS: tuple[ReportDefinition, ...] = (
    ReportDefinition(
        path="mailboxPerformance",
        stream_prefix="mailbox",
        groups={
            "replyData": ("received", *_REPLY_SHARED, *_CONVERSATIONS),
            "closeData": ("received", *_CLOSE_SHARED),
        },
        group_labels=_LABELS,
    ),
    ReportDefinition(
        path="mailboxUserPerformance",
        stream_prefix="user",
        groups={
            "replyData": (
                "received",
                "assigned",
                "reassigned",
                *_REPLY_SHARED[:-3],
                "averageUserInitialReplyTime",
                *_REPLY_SHARED[-3:],
            ),
            "closeData": (
                "received",
                *_CLOSE_SHARED[:4],
                "averageUserCloseTime",
                *_CLOSE_SHARED[4:],
            ),
        },
        group_labels=_LABELS,
        dimension="userId",
        row="user and period",
        filter_setting="users",
        supports_details=True,
        dimension_order="directory",
    ),
    ReportDefinition(
        path="mailboxDomainPerformance",
        stream_prefix="domain",
        groups={
            "replyData": ("received", *_REPLY_SHARED, *_CONVERSATIONS),
            "closeData": ("received", *_CLOSE_SHARED),
        },
        group_labels=_LABELS,
        dimension="domain",
        row="sender domain and period",
        filter_setting="domains",
        dimension_order="alphabetical",
    ),
)


def stream_definitions(
    reports: tuple[ReportDefinition, ...] = REPORTS,
) -> list[StreamDefinition]:
    """Every field-group combination of every report, combined streams first.

    The combination of all groups is selected by default (one run fetches every
    column); proper subsets are opt-in.
    """
    definitions: list[StreamDefinition] = []
    for report in reports:
        names = tuple(report.groups)
        for size in range(len(names), 0, -1):
            for combo in combinations(names, size):
                labels = (
                    ""
                    if size == len(names)
                    else "_".join(report.group_labels[g] for g in combo) + "_"
                )
                definitions.append(
                    StreamDefinition(
                        name=f"{report.stream_prefix}_{labels}performance",
                        report=report,
                        field_groups=combo,
                        selected_by_default=size == len(names),
                    )
                )
    return definitions
