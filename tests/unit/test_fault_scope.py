"""Which scope a repeated failure is charged to, on a fake clock (``engine.fault_scope``)."""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tap_emailgistics.engine.fault_scope import (
    EVIDENCE_SECONDS,
    FaultScopes,
    Streak,
)
from tap_emailgistics.errors import ApiFailingError, MailboxFailingError, ReportFailingError

MAILBOXES = [f"m{i}" for i in range(10)]
REPORTS = ["mailboxPerformance", "mailboxUserPerformance", "mailboxDomainPerformance"]


@dataclass
class Clock:
    now: float = 0.0

    def __call__(self) -> float:
        return self.now


def planned(mailboxes: list[str] = MAILBOXES) -> tuple[FaultScopes, Clock]:
    clock = Clock()
    scopes = FaultScopes(clock)
    for report in REPORTS:
        for mailbox in mailboxes:
            scopes.plan(report, mailbox)
    return scopes, clock


def key(report: str, mailbox: str) -> int:
    return REPORTS.index(report) * 100 + MAILBOXES.index(mailbox)


def fail(
    scopes: FaultScopes, clock: Clock, report: str, mailbox: str, signature: str = "HTTP 503"
) -> MailboxFailingError | ReportFailingError | None:
    streak = Streak(report, mailbox, "page", signature, "GET /results/x", clock.now)
    return scopes.failed(key(report, mailbox), streak)


def fail_together(
    scopes: FaultScopes, clock: Clock, report: str, mailboxes: list[str], tries: int
) -> list[MailboxFailingError | ReportFailingError | None]:
    """Each mailbox's request fails ``tries`` times, 30 s apart."""
    verdicts = []
    for _ in range(tries):
        verdicts += [fail(scopes, clock, report, mailbox) for mailbox in mailboxes]
        clock.now += EVIDENCE_SECONDS / 2
    return verdicts


def test_given_three_mailboxes_failing_alike_for_a_minute_when_charged_then_the_report() -> None:
    scopes, clock = planned()
    verdicts = fail_together(scopes, clock, REPORTS[0], MAILBOXES[:3], tries=3)
    assert verdicts[:-1] == [None] * 8  # not before three tries each and a minute
    assert isinstance(verdicts[-1], ReportFailingError)
    assert verdicts[-1].report == REPORTS[0]
    assert str(verdicts[-1]).startswith(
        "Report mailboxPerformance: reading results kept failing for 3 mailboxes "
        "(GET /results/x: HTTP 503, for 60 s, m0, m1, m2)"
    )


def test_given_two_mailboxes_of_ten_failing_when_charged_then_never_the_report() -> None:
    scopes, clock = planned()
    assert fail_together(scopes, clock, REPORTS[0], MAILBOXES[:2], tries=8) == [None] * 16


def test_given_both_mailboxes_of_two_failing_when_charged_then_the_report() -> None:
    scopes, clock = planned(MAILBOXES[:2])
    verdicts = fail_together(scopes, clock, REPORTS[0], MAILBOXES[:2], tries=3)
    assert isinstance(verdicts[-1], ReportFailingError)


def test_given_the_report_answering_others_when_three_fail_then_it_is_not_charged() -> None:
    scopes, clock = planned()
    verdicts = []
    for _ in range(4):
        verdicts += [fail(scopes, clock, REPORTS[0], mailbox) for mailbox in MAILBOXES[:3]]
        scopes.answered(key(REPORTS[0], MAILBOXES[5]), REPORTS[0], "page")  # others are fine
        clock.now += EVIDENCE_SECONDS / 2
    assert verdicts == [None] * 12


def test_given_a_mailbox_that_gave_up_when_another_partition_fails_twice_then_it_fails() -> None:
    scopes, clock = planned()
    fail(scopes, clock, REPORTS[0], "m4")
    scopes.gave_up(key(REPORTS[0], "m4"), "mailbox_performance: mailbox m4")
    assert fail(scopes, clock, REPORTS[1], "m4") is None  # one try may be a blip
    verdict = fail(scopes, clock, REPORTS[1], "m4")
    assert isinstance(verdict, MailboxFailingError)
    assert "as when mailbox_performance: mailbox m4 gave up after its retries" in str(verdict)
    assert fail(scopes, clock, REPORTS[1], "m5") is None  # its neighbours are not charged
    assert fail(scopes, clock, REPORTS[2], "m4", signature="HTTP 500") is None  # nor other faults


def test_given_a_second_report_charged_when_it_fails_then_the_account_is() -> None:
    scopes, clock = planned()
    fail_together(scopes, clock, REPORTS[0], MAILBOXES[:3], tries=3)
    with pytest.raises(ApiFailingError, match=r"^Requests of two reports kept failing \("):
        fail_together(scopes, clock, REPORTS[1], MAILBOXES[3:6], tries=3)


def test_given_a_charged_report_when_the_sync_ends_then_the_account_unless_another_answered() -> (
    None
):
    scopes, clock = planned()
    fail_together(scopes, clock, REPORTS[2], MAILBOXES[:3], tries=3)
    failing = scopes.unconfirmed()
    assert isinstance(failing, ApiFailingError)
    assert "no other report answered them" in str(failing)
    scopes.answered(key(REPORTS[0], "m0"), REPORTS[0], "page")
    assert scopes.unconfirmed() is None


outcome = st.tuples(
    st.sampled_from(REPORTS),
    st.sampled_from(["m7", "m8"]),  # the fault of two mailboxes of ten
    st.booleans(),  # failed, or answered
    st.floats(min_value=0, max_value=120),  # seconds since the last outcome
)


@settings(max_examples=200, deadline=None, derandomize=True)
@given(outcomes=st.lists(outcome, max_size=60))
def test_given_faults_confined_to_two_mailboxes_when_any_sequence_then_no_report_or_account(
    outcomes: list[tuple[str, str, bool, float]],
) -> None:
    scopes, clock = planned()
    for report, mailbox, failed, gap in outcomes:
        clock.now += gap
        if failed:
            verdict = fail(scopes, clock, report, mailbox)
            assert not isinstance(verdict, ReportFailingError)
        else:
            scopes.answered(key(report, mailbox), report, "page")
    assert not scopes.charged
