"""A run's result pages: the slice a request asks for and the documented envelope."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any
from urllib.parse import urlencode

if TYPE_CHECKING:
    from emailgistics_sandbox.runs.store import Run
    from emailgistics_sandbox.truth.reports import Row

DEFAULT_PAGE_SIZE = 50
MAX_PAGE_SIZE = 500


@dataclass(frozen=True)
class PageRequest:
    """Which slice of a result a request asks for."""

    max_rows: int = DEFAULT_PAGE_SIZE
    starting_after: str | None = None
    ending_before: str | None = None


def envelope(run: Run, base_url: str, page: PageRequest) -> dict[str, Any]:
    """The documented envelope for ``run`` at ``page``."""
    status = run.status()
    results_url = f"{base_url}/api/v1/reports/results/{run.result_id}"
    links: dict[str, Any] = {
        "self": {"href": f"{results_url}?{urlencode(_page_params(page))}", "method": "GET"},
        "origin": run.origin,
    }
    body: dict[str, Any] = {
        "_links": links,
        "status": status,
        "progress": run.progress(),
    }
    if status == "error":
        body["error"] = {"code": "500", "message": run.fails_with}
        return body
    if status == "running":
        body["result"] = {"total": None, "data": [], "timeZone": run.time_zone}
        return body
    rows, has_before, has_after = _slice(run.rows, page)
    links.update(
        _cursor_links(
            f"{results_url}?{urlencode({'max': page.max_rows})}",
            rows,
            has_before=has_before,
            has_after=has_after,
        )
    )
    run.pages_served += 1
    total = None if run.total_until_last_page and has_after else len(run.rows)
    result: dict[str, Any] = {"total": total}
    if run.cutoff is not None:
        result["dataCutoffTimestamp"] = run.cutoff
    result["timeZone"] = run.time_zone
    result["data"] = rows
    body["result"] = result
    return body


def _page_params(page: PageRequest) -> dict[str, Any]:
    """The query that asks for ``page`` again (its ``_links.self``)."""
    params: dict[str, Any] = {"max": page.max_rows}
    if page.starting_after is not None:
        params["starting_after"] = page.starting_after
    if page.ending_before is not None:
        params["ending_before"] = page.ending_before
    return params


def _cursor_links(
    first_page_url: str, rows: list[Row], *, has_before: bool, has_after: bool
) -> dict[str, Any]:
    # A next link is the self link plus the cursor of this page's last row.
    links: dict[str, Any] = {}
    if has_after:
        href = f"{first_page_url}&starting_after={rows[-1]['id']}"
        links["next"] = {"href": href, "method": "GET"}
    if has_before:
        href = f"{first_page_url}&ending_before={rows[0]['id']}"
        links["prev"] = {"href": href, "method": "GET"}
    return links


def _slice(rows: list[Row], page: PageRequest) -> tuple[list[Row], bool, bool]:
    ids = [int(row["id"]) for row in rows]
    if page.ending_before is not None:
        limit = int(page.ending_before)
        before = [i for i, value in enumerate(ids) if value < limit]
        chosen = before[-page.max_rows :]
    else:
        floor = int(page.starting_after) if page.starting_after is not None else -1
        chosen = [i for i, value in enumerate(ids) if value > floor][: page.max_rows]
    if not chosen:
        return [], False, False
    return [rows[i] for i in chosen], chosen[0] > 0, chosen[-1] < len(rows) - 1
