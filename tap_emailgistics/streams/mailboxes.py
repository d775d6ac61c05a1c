"""``mailboxes``, ``mailbox_users`` and ``mailbox_tags``: the mailbox directory."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, ClassVar

from singer_sdk import Stream
from typing_extensions import override

from tap_emailgistics.errors import MalformedAnswerError
from tap_emailgistics.extras import ExtraFieldKeeper
from tap_emailgistics.run_types import RunRequest
from tap_emailgistics.schemas import STREAM_SCHEMA
from tap_emailgistics.transport.stream import EmailgisticsStream

if TYPE_CHECKING:
    from collections.abc import Callable, Iterable

    from singer_sdk import Tap
    from singer_sdk.helpers.types import Context

    from tap_emailgistics.services import TapServices


class MailboxesStream(EmailgisticsStream):
    """Every mailbox the key can see, active or not (full table)."""

    name = "mailboxes"
    path = "/api/v1/admin/mailboxes"
    primary_keys: ClassVar[list[str]] = ["mailboxId"]
    schema = STREAM_SCHEMA

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
        for mailbox in self.services.directory.mailboxes():
            yield self._keeper.keep(dict(mailbox))


class _DirectoryChildStream(Stream):
    """A full-table stream of one nested list of every mailbox (no extra request)."""

    nested_key: ClassVar[str]
    schema = STREAM_SCHEMA

    def __init__(self, tap: Tap, services: Callable[[], TapServices]) -> None:
        """See ``MailboxesStream``."""
        super().__init__(tap)
        self._services = services
        self._keeper = ExtraFieldKeeper(self.name, set(self.schema["properties"]), self.logger)

    @override
    def get_records(self, context: Context | None) -> Iterable[dict[str, Any]]:
        for mailbox in self._services().directory.mailboxes():
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
