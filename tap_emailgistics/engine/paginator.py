"""The SDK paginator that is a report run's face: what it requests next.

Poll ``_links.self`` while the run is running, then follow ``_links.next`` page by
page; None after the last page. It decides *what* to send next; *when* is the run's
``due_at`` (the scheduler's).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from singer_sdk.pagination import BaseAPIPaginator

from tap_emailgistics.values import RunRequest

if TYPE_CHECKING:
    from collections.abc import Callable

    import requests

    from tap_emailgistics.engine.envelope import Envelope


class RunPaginator(BaseAPIPaginator[RunRequest]):
    """One attempt's requests: poll ``_links.self`` until done, then follow ``_links.next``.

    It decides *what* to send next; *when* is the run's ``due_at`` (the scheduler's).
    """

    def __init__(self, last_answer: Callable[[], Envelope | None], start: RunRequest) -> None:
        """Start with the run's POST (or, resuming, a read of its results link).

        ``last_answer``: the run's reading of the answer just received (the run reads
        and checks every answer before the paginator is asked what comes next).
        """
        super().__init__(start)
        self.last_answer = last_answer
        self.polls = 0

    def get_next(self, response: requests.Response) -> RunRequest | None:  # noqa: ARG002
        """The next poll while running; the next page once done; None after the last.

        The run has already read and checked ``response`` (``ReportRun._read``).
        """
        envelope = self.last_answer()
        if envelope is None or envelope.self_href is None:  # pragma: no cover - read first
            return None
        if envelope.status == "running":
            self.polls += 1
            return RunRequest("GET", envelope.self_href, sequence=self.polls)
        return RunRequest("GET", envelope.next_href) if envelope.next_href else None
