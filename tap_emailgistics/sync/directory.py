"""The mailbox directory: ``GET /api/v1/admin/mailboxes``, fetched once per run."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from tap_emailgistics.errors import EmailgisticsError, SettingsError

if TYPE_CHECKING:
    from collections.abc import Callable, Iterable

LOGGER = logging.getLogger("tap-emailgistics")
#: The user id the API reports activity with no identifiable user under.
UNKNOWN_USER = "unknown"


class MailboxDirectory:
    """The mailboxes the key can see, loaded lazily through a stream's transport."""

    def __init__(self, loader: Callable[[], Iterable[dict[str, Any]]]) -> None:
        """``loader`` performs the request (with the stream's auth and retries)."""
        self._loader = loader
        self._mailboxes: list[dict[str, Any]] | None = None
        self._users_checked: set[str] = set()

    def mailboxes(self) -> list[dict[str, Any]]:
        """Every mailbox the key can see (active and inactive)."""
        if self._mailboxes is None:
            self._mailboxes = list(self._loader())
        return self._mailboxes

    def get(self, mailbox_id: str) -> dict[str, Any]:
        """One mailbox by id."""
        for mailbox in self.mailboxes():
            if mailbox["mailboxId"] == mailbox_id:
                return mailbox
        msg = f"Mailbox {mailbox_id} is not visible to this API key."
        raise EmailgisticsError(msg)

    def selected_ids(self, configured: tuple[str, ...] | None) -> list[str]:
        """``mailbox_ids`` after checking the key sees each; default: active mailboxes."""
        visible = {m["mailboxId"]: m for m in self.mailboxes()}
        if configured is None:
            return [m["mailboxId"] for m in self.mailboxes() if m.get("active", True)]
        missing = [mailbox_id for mailbox_id in configured if mailbox_id not in visible]
        if missing:
            msg = (
                f"Setting mailbox_ids names mailbox {', '.join(missing)}, which this API key "
                "cannot see (not in its allowlist, or it does not exist): add it to the "
                "key's allowlist in Emailgistics Admin, or remove it from mailbox_ids."
            )
            raise SettingsError(msg)
        return list(configured)

    def warn_unknown_users(self, mailbox_id: str, users: list[str]) -> None:
        """Log once per mailbox the ``users`` ids it does not have (they give no rows)."""
        if mailbox_id in self._users_checked:
            return
        self._users_checked.add(mailbox_id)
        known = {user.get("userId") for user in self.get(mailbox_id).get("users") or []}
        unknown = [u for u in users if u not in known and u != UNKNOWN_USER]
        if unknown:
            LOGGER.warning(
                "Setting users names %s, not a user of mailbox %s: the user reports have "
                "no rows for them there. Check the ids against the mailbox_users stream.",
                ", ".join(unknown),
                mailbox_id,
            )

    def zone(self, mailbox_id: str) -> ZoneInfo:
        """The mailbox's IANA time zone."""
        name = self.get(mailbox_id).get("timeZone") or "UTC"
        try:
            return ZoneInfo(name)
        except (ZoneInfoNotFoundError, ValueError):
            msg = (
                f"Mailbox {mailbox_id} has time zone {name!r}, which this machine does not "
                "know: upgrade the tzdata package."
            )
            raise EmailgisticsError(msg) from None
