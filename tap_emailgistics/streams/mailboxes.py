"""``mailboxes``, ``mailbox_users`` and ``mailbox_tags``: the mailbox directory."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, ClassVar

from singer_sdk import Stream
from typing_extensions import override

from tap_emailgistics.client import EmailgisticsStream
from tap_emailgistics.extras import ExtraFieldKeeper
from tap_emailgistics.schemas import STREAM_SCHEMA

if TYPE_CHECKING:
    from collections.abc import Callable, Iterable

    from singer_sdk import Tap
    from singer_sdk.helpers.types import Context
    from singer_sdk.pagination import BaseAPIPaginator

    from tap_emailgistics.services import TapServices


class MailboxesStream(EmailgisticsStream):
    """Every mailbox the key can see, active or not (full table)."""

    name = "mailboxes"
    path = "/api/v1/admin/mailboxes"
    primary_keys: ClassVar[list[str]] = ["mailboxId"]
    records_jsonpath = "$.mailboxes[*]"
    schema = STREAM_SCHEMA

    def __init__(self, tap: Tap, services: Callable[[], TapServices]) -> None:
        """See ``EmailgisticsStream``."""
        super().__init__(tap, services)
        self._keeper = ExtraFieldKeeper(self.name, set(self.schema["properties"]), self.logger)

    @override
    def get_new_paginator(self) -> BaseAPIPaginator[Any] | None:
        return None  # one synchronous, unpaginated answer

    def fetch(self) -> Iterable[dict[str, Any]]:
        """Request the mailbox list (the directory's loader)."""
        return self.request_records(None)

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
