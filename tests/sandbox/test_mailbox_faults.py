"""Faults tied to one mailbox: request faults by the mailbox a request is about."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

from emailgistics_sandbox import FaultRule

from .conftest import DOCS_MAILBOX, Api

if TYPE_CHECKING:
    from emailgistics_sandbox import SandboxControl

QUIET_DAYS = {
    "mailboxId": DOCS_MAILBOX,
    "start": "2025-06-01T00:00:00",
    "end": "2025-06-03T23:59:59",
    "period": "day",
}
DAYS = {**QUIET_DAYS, "start": "2026-01-01T00:00:00", "end": "2026-04-10T23:59:59"}  # 100 rows


@pytest.fixture
def billing(control: SandboxControl) -> str:
    """The id of a second mailbox (Billing), for the rules to leave alone or to hit."""
    return str(control.mailboxes()[1]["mailboxId"])


def test_given_a_post_404_rule_on_a_mailbox_when_posting_then_only_its_posts_get_404(
    api: Api,
    control: SandboxControl,
    billing: str,
) -> None:
    rule = FaultRule.parse(f"http_error:status=404,method=POST,mailbox_id={DOCS_MAILBOX}")
    control.set_faults([rule.to_json()])
    other = api.post("mailboxPerformance", {**QUIET_DAYS, "mailboxId": billing})
    hit = api.post("mailboxPerformance", QUIET_DAYS)
    assert (other.status_code, hit.status_code) == (200, 404)


def test_given_an_error_rule_on_a_mailbox_when_reading_results_then_only_its_results_fail(
    api: Api,
    control: SandboxControl,
    billing: str,
) -> None:
    own = api.run_to_done("mailboxPerformance", QUIET_DAYS)["_links"]["self"]["href"]
    body = {**QUIET_DAYS, "mailboxId": billing}
    other = api.run_to_done("mailboxPerformance", body)["_links"]["self"]["href"]
    control.set_faults([{"kind": "http_error", "status": 503, "mailbox_id": DOCS_MAILBOX}])
    assert api.get(other).status_code == 200
    assert api.get(own).status_code == 503


def test_given_a_rule_on_a_mailbox_when_a_request_names_no_mailbox_then_it_never_fires(
    api: Api,
    control: SandboxControl,
) -> None:
    control.set_faults([{"kind": "http_error", "status": 503, "mailbox_id": DOCS_MAILBOX}])
    listed = api.get("/api/v1/admin/mailboxes")
    unknown = api.get("/api/v1/reports/results/00000000-0000-4000-8000-000000000000")
    assert (listed.status_code, unknown.status_code) == (200, 404)
    assert control.faults()[0]["fired"] == 0


def test_given_a_run_error_on_another_mailbox_when_runs_are_created_then_only_its_run_fails(
    api: Api,
    control: SandboxControl,
    billing: str,
) -> None:
    control.set_faults([{"kind": "run_error", "mailbox_id": billing}])
    spared = api.run_to_done("mailboxPerformance", QUIET_DAYS)
    failed = api.run_to_done("mailboxPerformance", {**QUIET_DAYS, "mailboxId": billing})
    assert (spared["status"], failed["status"]) == ("done", "error")


def test_given_an_expiry_on_another_mailbox_when_paging_then_only_its_result_expires(
    api: Api,
    control: SandboxControl,
    billing: str,
) -> None:
    control.set_faults([{"kind": "expire_mid_paging", "after_pages": 1, "mailbox_id": billing}])
    spared = api.run_to_done("mailboxPerformance", DAYS)
    expiring = api.run_to_done("mailboxPerformance", {**DAYS, "mailboxId": billing})
    assert api.get(spared["_links"]["next"]["href"]).status_code == 200
    assert api.get(expiring["_links"]["next"]["href"]).status_code == 404


def test_given_a_last_page_rule_when_paging_a_result_then_only_its_last_page_fails(
    api: Api,
    control: SandboxControl,
) -> None:
    done = api.run_to_done("mailboxPerformance", DAYS)  # 100 rows: two pages of 50
    control.set_faults([{"kind": "http_error", "status": 500, "page": "last"}])
    assert api.get(done["_links"]["self"]["href"]).status_code == 200  # the first page
    assert api.get(done["_links"]["next"]["href"]).status_code == 500  # the last one
    running = api.post("mailboxPerformance", QUIET_DAYS)  # a POST is never a page
    assert running.status_code == 200
    assert control.faults()[0]["fired"] == 1


def test_given_a_rule_on_a_report_when_reading_then_only_that_reports_requests_fail(
    api: Api,
    control: SandboxControl,
) -> None:
    domains = api.run_to_done("mailboxDomainPerformance", QUIET_DAYS)["_links"]["self"]["href"]
    mailbox = api.run_to_done("mailboxPerformance", QUIET_DAYS)["_links"]["self"]["href"]
    control.set_faults(
        [{"kind": "http_error", "status": 503, "report": "mailboxDomainPerformance"}]
    )
    assert api.get(mailbox).status_code == 200
    assert api.get(domains).status_code == 503
    assert api.post("mailboxDomainPerformance", QUIET_DAYS).status_code == 503
    assert api.post("mailboxPerformance", QUIET_DAYS).status_code == 200


def test_given_an_unknown_page_option_when_parsed_then_it_is_refused() -> None:
    with pytest.raises(ValueError, match="unknown fault page 'first'"):
        FaultRule.parse("http_error:page=first")
