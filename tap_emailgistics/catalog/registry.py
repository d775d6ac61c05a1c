"""The declarative report registry: one entry per report, one stream per group combo.

Adding a report or a field group is an entry here (and any new column in ``columns``);
``python -m tap_emailgistics.catalog.schema_files`` then writes its schemas into ``schemas/``.
Two kinds of report share the one engine: ``periodic`` reports group activity by
period (partitions: mailbox and period; a bookmark is a period start), ``activity``
reports list messages by when an activity happened (partitions: mailbox and activity
type; a bookmark is an instant). The kind picks its module (``finality.kinds``).
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
    #: "periodic" (rows per period) or "activity" (a row per message, by activity time).
    kind: str = "periodic"
    #: The stream name's last part: mailbox_performance, received_message_detail.
    stream_suffix: str = "performance"
    #: Columns that, with ``mailboxId``, identify a row across runs (activity reports).
    key: tuple[str, ...] = ()
    #: Whether its combination of all groups is selected by default (opt-in reports,
    #: e.g. one that needs a scope many keys lack, say no).
    selected_by_default: bool = True
    #: Scopes the report needs besides ``reporting``, for the 403's one line.
    extra_scopes: tuple[str, ...] = ()


@dataclass(frozen=True)
class StreamDefinition:
    """One Singer stream: a report with a fixed field-group combination."""

    name: str
    report: ReportDefinition
    field_groups: tuple[str, ...]
    selected_by_default: bool

    @property
    def metric_columns(self) -> tuple[str, ...]:
        """The report's columns for this combination, each once.

        ``received`` is in every periodic row, whatever is asked; the key in every
        activity row.
        """
        always = ("received",) if self.report.kind == "periodic" else self.report.key
        seen: dict[str, None] = dict.fromkeys(always)
        for group in self.field_groups:
            seen.update(dict.fromkeys(self.report.groups[group]))
        return tuple(seen)

    @property
    def primary_keys(self) -> tuple[str, ...]:
        """The columns that identify a row across runs.

        Periodic: ``mailboxId``, ``period``, ``startDateTimeUtc`` and the dimension;
        activity: ``mailboxId`` and the report's key (``messageId``).
        """
        if self.report.kind == "activity":
            return ("mailboxId", *self.report.key)
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
#: The basic group of Received Message Detail: the sandbox's stance (docs/sandbox.md).
_MESSAGE_BASIC = (
    "conversationId",
    "receivedDateTime",
    "status",
    "ownerUserId",
    "senderDomain",
    "firstRepliedDateTime",
    "lastRepliedDateTime",
    "closedDateTime",
)
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
    ReportDefinition(
        path="receivedMessageDetail",
        stream_prefix="received_message",
        # The docs name five groups and show one; the others join here when known.
        groups={"basic": _MESSAGE_BASIC},
        group_labels={"basic": "basic"},
        row="received message",
        supports_details=True,
        kind="activity",
        stream_suffix="detail",
        key=("messageId",),
        selected_by_default=False,  # it needs messages:read, which many keys lack
        extra_scopes=("messages:read",),
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
                        name=f"{report.stream_prefix}_{labels}{report.stream_suffix}",
                        report=report,
                        field_groups=combo,
                        selected_by_default=size == len(names) and report.selected_by_default,
                    )
                )
    return definitions
