"""Who waited longest: the order in which a sync reads report streams and their partitions.

A partition has waited longer when its bookmark is older (its wall-clock text, as the
state holds it; a partition without one starts at start_date, older still), and then
when it was verified longer ago (``verified_at``; never = longest). Every sync begins
with the partitions that waited longest, so when a time budget ends a sync early,
what it left waits least long: its bookmarks stay old and go first next time, and
every partition gets its turn.

Streams are read in the order of their longest-waiting partition (the SDK reads one
stream after another), partitions within a stream in their own order. Both come from
the incoming state alone, before any request.
"""

from __future__ import annotations

from typing import Any

#: (bookmark or start_date, wall clock; last verified, UTC, "" = never): smaller waited longer.
WaitKey = tuple[str, str]


def partition_key(partition_state: dict[str, Any] | None, start_date: str) -> WaitKey:
    """How long one partition has waited, from its state (None: it has none yet)."""
    state = partition_state or {}
    bookmark = state.get("provisional_from")
    verified = state.get("verified_at")
    return (
        bookmark if isinstance(bookmark, str) else start_date,
        verified if isinstance(verified, str) else "",
    )


def stream_order(
    streams: dict[str, tuple[str, tuple[str, ...]]], state: dict[str, Any], start_date: str
) -> list[str]:
    """Report stream names longest-waiting first, from the incoming state.

    ``streams``: each name's partition key beside the mailbox (``period``, or
    ``activityType``) and the values it will extract. A stream that lacks a partition
    (a mailbox another stream has, a value it has not verified yet), or any state at
    all, has waited since start_date.
    """
    bookmarks = state.get("bookmarks")
    entries: dict[str, Any] = bookmarks if isinstance(bookmarks, dict) else {}
    known = {n: _partitions(entries.get(n), key, start_date) for n, (key, _) in streams.items()}
    mailboxes = {mailbox for parts in known.values() for mailbox, _ in parts}

    def waited(name: str) -> WaitKey:
        parts, values = known[name], streams[name][1]
        expected = {(mailbox, value) for mailbox in mailboxes for value in values}
        if not parts or expected - parts.keys():
            return partition_key(None, start_date)
        return min(parts.values())

    return sorted(streams, key=waited)


def _partitions(entry: object, key: str, start_date: str) -> dict[tuple[str, str], WaitKey]:
    """(mailboxId, value of ``key``) -> wait key of every partition in one stream's state."""
    partitions = entry.get("partitions") if isinstance(entry, dict) else None
    found: dict[tuple[str, str], WaitKey] = {}
    for partition in partitions if isinstance(partitions, list) else []:
        context = partition.get("context") if isinstance(partition, dict) else None
        if isinstance(context, dict) and "mailboxId" in context and key in context:
            found[str(context["mailboxId"]), str(context[key])] = partition_key(
                partition, start_date
            )
    return found
