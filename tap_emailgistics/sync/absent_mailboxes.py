"""Mailboxes the state knows that this sync will not extract: one WARNING line each.

A mailbox removed from the key's allowlist, deleted or offboarded drops out of the
default selection (every active mailbox the key can see). Its bookmarks stay in the
state, its provisional rows stay provisional and its watermark rows stop moving; a
warehouse check on the newest watermark cannot notice one stale mailbox. So each sync
says, once per such mailbox, since when its data stands.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from collections.abc import Iterable

LOGGER = logging.getLogger("tap-emailgistics")


def last_verified(state: dict[str, Any], streams: Iterable[str]) -> dict[str, str]:
    """MailboxId -> the latest ``verified_at`` of its partitions in ``streams``' state."""
    bookmarks = state.get("bookmarks") if isinstance(state.get("bookmarks"), dict) else {}
    latest: dict[str, str] = {}
    for stream in streams:
        entry = (bookmarks or {}).get(stream)
        partitions = entry.get("partitions") if isinstance(entry, dict) else None
        for partition in partitions if isinstance(partitions, list) else []:
            context = partition.get("context") if isinstance(partition, dict) else None
            verified = partition.get("verified_at") if isinstance(partition, dict) else None
            if not isinstance(context, dict) or "mailboxId" not in context:
                continue
            mailbox = str(context["mailboxId"])
            stamp = verified if isinstance(verified, str) else "an unknown time"
            if stamp > latest.get(mailbox, ""):
                latest[mailbox] = stamp
    return latest


def warn_absent(
    known: dict[str, str], selected: Iterable[str], listed: dict[str, dict[str, Any]]
) -> list[str]:
    """Warn once per mailbox in ``known`` (from the state) that is not ``selected``.

    ``listed``: the mailboxes the key can see, by id. Returns the ids warned about.
    """
    absent = sorted(set(known) - set(selected))
    for mailbox in absent:
        why = (
            "is inactive (offboarded)"
            if mailbox in listed
            else "is no longer listed for this API key (removed from its allowlist, or deleted)"
        )
        LOGGER.warning(
            "Mailbox %s has bookmarks in the state but %s: it is not extracted, its data "
            "stands as last verified at %s, and its provisional rows stay provisional. "
            "Add it back to the key's allowlist, or clear its partitions from the state "
            "to stop this warning.",
            mailbox,
            why,
            known[mailbox],
        )
    return absent
