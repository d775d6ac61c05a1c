"""The directory changing between runs: removed mailboxes, users and tags."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pytest
import requests

from emailgistics_sandbox import LIMITED_KEY

from .conftest import DOCS_MAILBOX, Api

if TYPE_CHECKING:
    from emailgistics_sandbox import Sandbox, SandboxControl

DAYS = {
    "mailboxId": DOCS_MAILBOX,
    "start": "2026-01-05T00:00:00",
    "end": "2026-01-07T23:59:59",
    "period": "day",
}
NOT_FOUND = f"Mailbox {DOCS_MAILBOX} was not found or is not allowed for this key."


def listed(api: Api) -> dict[str, dict[str, Any]]:
    """The mailboxes the API lists for ``api``'s key, by id."""
    answer = api.get("/api/v1/admin/mailboxes")
    return {m["mailboxId"]: m for m in answer.json()["mailboxes"]}


def docs_mailbox(control: SandboxControl) -> dict[str, Any]:
    return next(m for m in control.mailboxes() if m["mailboxId"] == DOCS_MAILBOX)


def test_given_a_removed_mailbox_when_listing_then_no_key_sees_it(
    sandbox: Sandbox,
    api: Api,
    control: SandboxControl,
) -> None:
    assert DOCS_MAILBOX in listed(api)
    control.remove_from_directory(DOCS_MAILBOX)
    assert DOCS_MAILBOX not in listed(api)
    assert DOCS_MAILBOX not in listed(Api(sandbox.base_url, LIMITED_KEY))


def test_given_a_removed_mailbox_when_posting_a_report_then_the_documented_404(
    api: Api,
    control: SandboxControl,
) -> None:
    control.remove_from_directory(DOCS_MAILBOX)
    answer = api.post("mailboxPerformance", DAYS)
    assert answer.status_code == 404
    assert answer.json()["error"] == {"code": "404", "message": NOT_FOUND}
    assert answer.json()["_links"]["origin"]["body"]["parameters"] == DAYS


def test_given_a_restored_mailbox_when_listing_and_posting_then_it_is_back(
    api: Api,
    control: SandboxControl,
) -> None:
    control.remove_from_directory(DOCS_MAILBOX)
    control.restore_directory(DOCS_MAILBOX)
    assert DOCS_MAILBOX in listed(api)
    assert api.post("mailboxPerformance", DAYS).status_code == 200


@pytest.mark.parametrize(
    ("kind", "id_field", "other"), [("users", "userId", "tags"), ("tags", "tagId", "users")]
)
def test_given_a_removed_user_or_tag_when_listing_then_only_that_one_is_gone(
    api: Api, control: SandboxControl, kind: str, id_field: str, other: str
) -> None:
    before = listed(api)[DOCS_MAILBOX]
    gone = before[kind][1][id_field]
    removal = {"user_id": gone} if kind == "users" else {"tag_id": gone}
    control.remove_from_directory(DOCS_MAILBOX, **removal)
    after = listed(api)[DOCS_MAILBOX]
    assert after[kind] == [before[kind][0], *before[kind][2:]]
    assert after[other] == before[other]


def test_given_a_removed_user_when_reporting_then_its_activity_is_still_counted(
    api: Api,
    control: SandboxControl,
) -> None:
    before = api.all_rows("mailboxUserPerformance", DAYS, includeDetails="true")
    gone = docs_mailbox(control)["users"][0]["userId"]
    control.remove_from_directory(DOCS_MAILBOX, user_id=gone)
    after = api.all_rows("mailboxUserPerformance", DAYS, includeDetails="true")
    assert any(row["userId"] == gone for row in after)
    assert [{**r, "id": None} for r in after] == [{**r, "id": None} for r in before]


def test_given_a_removed_mailbox_when_asking_the_oracle_then_its_truth_is_unchanged(
    control: SandboxControl,
) -> None:
    before = control.truth(report="mailboxPerformance", **DAYS)
    control.remove_from_directory(DOCS_MAILBOX)
    assert control.truth(report="mailboxPerformance", **DAYS) == before


def test_given_removals_when_reading_the_oracles_mailboxes_then_current_list_and_removals(
    control: SandboxControl,
) -> None:
    billing = control.mailboxes()[1]
    user, tag = billing["users"][2]["userId"], billing["tags"][0]["tagId"]
    control.remove_from_directory(DOCS_MAILBOX)
    control.remove_from_directory(billing["mailboxId"], user_id=user)
    control.remove_from_directory(billing["mailboxId"], tag_id=tag)
    assert DOCS_MAILBOX not in [m["mailboxId"] for m in control.mailboxes()]
    assert control.removed_from_directory() == {
        "mailboxes": [DOCS_MAILBOX],
        "users": [{"mailboxId": billing["mailboxId"], "userId": user}],
        "tags": [{"mailboxId": billing["mailboxId"], "tagId": tag}],
    }


def test_given_several_removals_when_restoring_with_an_empty_body_then_everything_is_back(
    control: SandboxControl,
) -> None:
    original = control.mailboxes()
    billing = original[1]
    control.remove_from_directory(DOCS_MAILBOX)
    control.remove_from_directory(billing["mailboxId"], user_id=billing["users"][0]["userId"])
    control.remove_from_directory(billing["mailboxId"], tag_id=billing["tags"][0]["tagId"])
    assert control.restore_directory() == {"mailboxes": [], "users": [], "tags": []}
    assert control.mailboxes() == original


@pytest.mark.parametrize(
    "body",
    [
        {"mailboxId": "no-such-mailbox"},
        {"mailboxId": DOCS_MAILBOX, "userId": "no-such-user"},
        {"mailboxId": DOCS_MAILBOX, "tagId": "no-such-tag"},
        {"userId": "a-user-without-a-mailbox"},
    ],
)
def test_given_an_unknown_or_incomplete_id_when_removing_then_400(
    sandbox: Sandbox,
    body: dict[str, str],
) -> None:
    url = f"{sandbox.base_url}/_sandbox/directory/remove"
    assert requests.post(url, json=body, timeout=5).status_code == 400
