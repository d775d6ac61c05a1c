"""``mailboxes``, ``mailbox_users`` and ``mailbox_tags``: the mailbox directory.

Full-table streams: every sync sends all the API lists, and, unless
``emit_activate_version_messages`` is off, an ACTIVATE_VERSION message, so that a
loader that processes it (target-postgres with ``activate_version`` and
``add_record_metadata``) flags or deletes the rows the API no longer lists: a mailbox
offboarded or removed from the key's allowlist, a deleted user or tag. The SDK sends it
before the stream's records, so the tap syncs these streams last (``TapEmailgistics``):
the loader reads their records and drains at the end of the input moments later.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, ClassVar

from singer_sdk import Stream
from typing_extensions import override

from tap_emailgistics.catalog.extras import ExtraFieldKeeper
from tap_emailgistics.catalog.schemas import STREAM_SCHEMA
from tap_emailgistics.errors import MalformedAnswerError, stopping_the_sync
from tap_emailgistics.settings.schema import ACTIVATE_VERSION_SETTING
from tap_emailgistics.streams.base import EmailgisticsStream
from tap_emailgistics.values import RunRequest

if TYPE_CHECKING:
    from collections.abc import Callable, Iterable, Mapping

    from singer_sdk import Tap
    from singer_sdk.helpers.types import Context

    from tap_emailgistics.sync.services import TapServices


def activate_versions(config: Mapping[str, Any]) -> bool:
    """Whether the directory streams send ACTIVATE_VERSION (on unless the setting says no)."""
    return bool(config.get(ACTIVATE_VERSION_SETTING, True))


class MailboxesStream(EmailgisticsStream):
    """Every mailbox the key can see, active or not (full table)."""

    name = "mailboxes"
    path = "/api/v1/admin/mailboxes"
    primary_keys: ClassVar[list[str]] = ["mailboxId"]
    schema = STREAM_SCHEMA

    @property
    @override
    def emit_activate_version_messages(self) -> bool:
        return activate_versions(self.config)

    def __init__(self, tap: Tap, services: Callable[[], TapServices]) -> None:
        """See ``EmailgisticsStream``."""
        super().__init__(tap, services)
        self._keeper = ExtraFieldKeeper(self.name, set(self.schema["properties"]), self.logger)

    def fetch(self) -> list[dict[str, Any]]:
        """Request the mailbox list (the directory's loader): one unpaginated answer."""
        body = self.send(RunRequest("GET")).body
        mailboxes = body.get("mailboxes") if isinstance(body, dict) else None
        if not isinstance(mailboxes, list) or not all(
            isinstance(m, dict) and isinstance(m.get("mailboxId"), str) for m in mailboxes
        ):
            msg = (
                f"Unexpected answer from the API: GET {self.path} did not return a list of "
                "mailboxes with mailboxId. Check base_url points at the Emailgistics API."
            )
            raise MalformedAnswerError(msg)
        return mailboxes

    @override
    def get_records(self, context: Context | None) -> Iterable[dict[str, Any]]:
        with stopping_the_sync():
            mailboxes = self.services.directory.mailboxes()
        for mailbox in mailboxes:
            yield self._keeper.keep(dict(mailbox))


class _DirectoryChildStream(Stream):
    """A full-table stream of one nested list of every mailbox (no extra request)."""

    nested_key: ClassVar[str]
    schema = STREAM_SCHEMA

    @property
    @override
    def emit_activate_version_messages(self) -> bool:
        return activate_versions(self.config)

    def __init__(self, tap: Tap, services: Callable[[], TapServices]) -> None:
        """See ``MailboxesStream``."""
        super().__init__(tap)
        self._services = services
        self._keeper = ExtraFieldKeeper(self.name, set(self.schema["properties"]), self.logger)

    @override
    def get_records(self, context: Context | None) -> Iterable[dict[str, Any]]:
        with stopping_the_sync():
            mailboxes = self._services().directory.mailboxes()
        for mailbox in mailboxes:
            for item in mailbox.get(self.nested_key) or []:
                yield self._keeper.keep({"mailboxId": mailbox["mailboxId"], **item})


class MailboxUsersStream(_DirectoryChildStream):
    """Users of every visible mailbox, inactive users included."""

    name = "mailbox_users"
    nested_key = "users"
    primary_keys: ClassVar[list[str]] = ["mailboxId", "userId"]


class MailboxTagsStream(_DirectoryChildStream):
    """Tags of every visible mailbox, inactive tags included."""

    name = "mailbox_tags"
    nested_key = "tags"
    primary_keys: ClassVar[list[str]] = ["mailboxId", "tagId"]
