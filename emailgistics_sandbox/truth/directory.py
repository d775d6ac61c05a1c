"""Directory changes between runs: mailboxes, users and tags an admin removed.

A removed mailbox (offboarded, or taken off every key's allowlist) is no longer listed
and its report POSTs get the documented 404; a removed user or tag disappears from its
mailbox's lists. Activity is not touched: it happened, so reports and ground truth
still count it.
"""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from emailgistics_sandbox.truth.data import Mailbox


class Directory:
    """The data set's mailboxes minus what was removed; removals can be restored."""

    def __init__(self, mailboxes: list[Mailbox]) -> None:
        """Start with every mailbox, user and tag present."""
        self._mailboxes = {m.mailbox_id: m for m in mailboxes}
        self._removed: set[tuple[str, str | None, str | None]] = set()
        self._lock = threading.Lock()

    def remove(self, body: dict[str, Any]) -> None:
        """Remove ``{"mailboxId"}``, ``{"mailboxId", "userId"}`` or ``{"mailboxId", "tagId"}``."""
        entry = self._entry(body)
        with self._lock:
            self._removed.add(entry)

    def restore(self, body: dict[str, Any]) -> None:
        """Undo the removal ``body`` names (same shapes as ``remove``); ``{}``: every one."""
        if not body:
            with self._lock:
                self._removed.clear()
            return
        entry = self._entry(body)
        with self._lock:
            self._removed.discard(entry)

    def lists(self, mailbox_id: str) -> bool:
        """Whether the API still lists the mailbox (and accepts reports on it)."""
        with self._lock:
            return (mailbox_id, None, None) not in self._removed

    def lists_user(self, mailbox_id: str, user_id: str) -> bool:
        """Whether the mailbox's ``users`` still lists the user."""
        with self._lock:
            return (mailbox_id, user_id, None) not in self._removed

    def lists_tag(self, mailbox_id: str, tag_id: str) -> bool:
        """Whether the mailbox's ``tags`` still lists the tag."""
        with self._lock:
            return (mailbox_id, None, tag_id) not in self._removed

    def describe(self) -> dict[str, list[Any]]:
        """What is removed, for ``/_sandbox/mailboxes`` and the directory endpoints."""
        with self._lock:
            removed = sorted(self._removed, key=lambda e: (e[0], e[1] or "", e[2] or ""))
        return {
            "mailboxes": [m for m, user, tag in removed if user is None and tag is None],
            "users": [{"mailboxId": m, "userId": user} for m, user, _ in removed if user],
            "tags": [{"mailboxId": m, "tagId": tag} for m, _, tag in removed if tag],
        }

    def _entry(self, body: dict[str, Any]) -> tuple[str, str | None, str | None]:
        # Unknown ids are refused so that a typo in a test fails loudly, not silently.
        if not isinstance(body, dict):
            msg = "the body must be a JSON object"
            raise TypeError(msg)
        unknown = set(body) - {"mailboxId", "userId", "tagId"}
        if unknown or "mailboxId" not in body or {"userId", "tagId"} <= set(body):
            msg = "use {mailboxId}, {mailboxId, userId} or {mailboxId, tagId}"
            raise ValueError(msg)
        mailbox = self._mailboxes.get(str(body["mailboxId"]))
        if mailbox is None:
            msg = f"unknown mailbox {body['mailboxId']!r}"
            raise ValueError(msg)
        user, tag = body.get("userId"), body.get("tagId")
        if user is not None and user not in {u.user_id for u in mailbox.users}:
            msg = f"unknown user {user!r} of mailbox {mailbox.mailbox_id}"
            raise ValueError(msg)
        if tag is not None and tag not in {t.tag_id for t in mailbox.tags}:
            msg = f"unknown tag {tag!r} of mailbox {mailbox.mailbox_id}"
            raise ValueError(msg)
        return mailbox.mailbox_id, user, tag
