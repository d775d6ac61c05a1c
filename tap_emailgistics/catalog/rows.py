"""Rows of a verified result completed into records: keys, finality, every declared column.

One ``RowCompleter`` per attempt at a window (a re-created run reads the window afresh).
What is the same for a whole page (the cutoff, the instant up to which periods are
final) is worked out once per page; what is the same for a whole period (its UTC
start, whether it is final) once per period: rows of one period come together, one
per dimension value. Per row there is one dict merge.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from tap_emailgistics.finality.periods import format_utc
from tap_emailgistics.finality.rules import RowKeys, final_until, is_final, parse_cutoff

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator
    from zoneinfo import ZoneInfo

    from tap_emailgistics.catalog.extras import ExtraFieldKeeper
    from tap_emailgistics.values import Page


class RowCompleter:
    """Completes the rows of one attempt at one window, page by page."""

    def __init__(  # noqa: PLR0913 - what a record is made of, each one needed
        self,
        *,
        partition: dict[str, Any],
        zone: ZoneInfo,
        dimension: str | None,
        order: Callable[[str], str] | None,
        keeper: ExtraFieldKeeper,
        malformed: Callable[[str], Exception],
    ) -> None:
        """``partition``: mailboxId and period; ``dimension``: the row's key column."""
        self.zone, self.dimension, self.keeper, self.malformed = zone, dimension, keeper, malformed
        self.period = partition["period"]
        self.keys = RowKeys(zone, order)
        self._fixed = {
            "mailboxId": partition["mailboxId"],
            "period": self.period,
            "timeZone": str(zone.key),
        }
        self._until: datetime | None = None
        self._cutoff: str | None = None
        self._text: str | None = None  # the last row's startDateTime, as sent
        self._local: datetime | None = None
        self._utc: datetime | None = None
        self._additions: dict[str, Any] = {}  # the tap's columns for that instant

    def page(self, page: Page) -> None:
        """Start a page: its cutoff and the instant up to which periods are final."""
        cutoff = parse_cutoff(page.cutoff, self.zone, page.api_now)
        self._until, self._cutoff = final_until(cutoff, page.api_now), page.cutoff
        self._utc = None  # finality may differ from the last page's

    def complete(self, row: dict[str, Any]) -> dict[str, Any]:
        """The record for one row of the current page."""
        try:
            text = row["startDateTime"]
            if text != self._text:
                self._local = datetime.fromisoformat(text).replace(tzinfo=None)
                self._text = text
            key = row.get(self.dimension) if self.dimension else None
            utc_start = self.keys.utc_start(self._local, key)  # type: ignore[arg-type]
        except (KeyError, TypeError, ValueError) as error:
            problem = f"a row's startDateTime cannot be read ({error})"
            raise self.malformed(problem) from None
        if utc_start != self._utc:
            self._utc = utc_start
            final = is_final(utc_start, self.period, self.zone, self._until)  # type: ignore[arg-type]
            self._additions = {
                **self._fixed,
                "startDateTimeUtc": format_utc(utc_start),
                "isFinal": final,
                "dataCutoffTimestamp": None if final else self._cutoff,
            }
        return self.keeper.keep(row, self._additions)

    def complete_page(self, rows: list[dict[str, Any]]) -> Iterator[dict[str, Any]]:
        """The records of one page's rows."""
        return map(self.complete, rows)

    def close(self) -> None:
        """End of the result (see ``RowKeys.close``)."""
        self.keys.close()


class MessageCompleter:
    """Completes the rows of one attempt at one window of an activity report (a message each).

    A row shows its message as of the result's horizon: the window's end, or the result's
    cutoff when that comes first. It keeps every column the API sent (``extraFields``
    for the undeclared), and gains its mailbox, zone, horizon (``asOfUtc``) and whether
    the result was final. A message can be in several windows of one sync (received in
    one, replied in another, read in any order): a row older than one already sent for
    the same message in this sync is not sent again, so an upsert never goes back in time.
    """

    def __init__(  # noqa: PLR0913 - what a record is made of, each one needed
        self,
        *,
        partition: dict[str, Any],
        zone: ZoneInfo,
        keeper: ExtraFieldKeeper,
        malformed: Callable[[str], Exception],
        window_end: datetime,
        sent: dict[str, datetime],
    ) -> None:
        """``window_end``: the window's end (UTC); ``sent``: the stream's horizons this sync."""
        self.zone, self.keeper, self.malformed, self.sent = zone, keeper, malformed, sent
        self.window_end = window_end.replace(tzinfo=UTC)
        self._fixed = {
            "mailboxId": partition["mailboxId"],
            "activityType": partition["activityType"],
            "timeZone": str(zone.key),
        }
        self._horizon = self.window_end
        self._additions: dict[str, Any] = dict(self._fixed)

    def page(self, page: Page) -> None:
        """Start a page: its cutoff says whether its rows are final, and as of when."""
        cutoff = parse_cutoff(page.cutoff, self.zone, page.api_now)
        self._horizon = min(self.window_end, final_until(cutoff, page.api_now))
        self._additions = {
            **self._fixed,
            "asOfUtc": format_utc(self._horizon),
            "isFinal": page.cutoff is None,
            "dataCutoffTimestamp": page.cutoff,
        }

    def complete_page(self, rows: list[dict[str, Any]]) -> Iterator[dict[str, Any]]:
        """The records of one page, but for messages already sent as of a later instant."""
        for row in rows:
            message = row.get("messageId")
            if not isinstance(message, str):
                problem = "a row has no messageId"
                raise self.malformed(problem)
            if self.sent.get(message, self._horizon) > self._horizon:
                continue
            self.sent[message] = self._horizon
            yield self.keeper.keep(row, self._additions)

    def close(self) -> None:
        """End of the result: nothing to settle (rows are keyed by message, not period)."""
