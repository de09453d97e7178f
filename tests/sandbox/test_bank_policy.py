"""The sandbox bank's credit policy (each branch) and its loans' schedule on the demo calendar
(events in order, stable keys, money adding up), as pure functions."""

from __future__ import annotations

import datetime as dt
from copy import deepcopy
from decimal import Decimal
from typing import Any

import pytest

from xinyidai.domain.applications.vocabulary import RejectReason
from xinyidai.sandbox.bank.lending import DemoClock, fate_of, plan_loan
from xinyidai.sandbox.bank.policy import MAX_APPROVED, decide, pd_upper

APPLICATION: dict[str, Any] = {
    "id": "app-1",
    "amount": "500000.00",
    "term_months": 12,
    "grade": "B",
}
PROFILE: dict[str, Any] = {
    "score": {"grade": "A", "pd_band": "1%-2%"},
    "public_records": {"items": [], "latest_grades": {"tax_grade": "B"}},
    "families": {
        "tax": {
            "summary": {
                "months_last_12": 12,
                "vat_sales_last_12": "4000000.00",
                "arrears_latest": "0.00",
            }
        }
    },
}


def profile(**changes: Any) -> dict[str, Any]:
    """PROFILE with ``changes`` at dotted paths (``score.grade="C"``)."""
    changed = deepcopy(PROFILE)
    for path, value in changes.items():
        *parents, last = path.split("__")
        node = changed
        for name in parents:
            node = node[name]
        node[last] = value
    return changed


def test_a_good_application_is_approved_at_the_grades_rate() -> None:
    decision = decide(APPLICATION, PROFILE)
    assert decision.body() == {
        "outcome": "approve",
        "amount": "500000.00",
        "annual_rate": "0.0435",
        "term_months": 12,
        "note": None,
    }


def test_the_approved_amount_is_capped() -> None:
    rich = profile(families__tax__summary__vat_sales_last_12="90000000.00")
    decision = decide({**APPLICATION, "amount": "8000000.00"}, rich)
    assert decision.outcome == "approve"
    assert decision.amount == MAX_APPROVED
    assert decision.note is not None


@pytest.mark.parametrize(
    ("application", "pulled", "reason"),
    [
        (APPLICATION, None, RejectReason.INSUFFICIENT_DATA),
        (APPLICATION, profile(families__tax={"consented": False}), RejectReason.INSUFFICIENT_DATA),
        (
            APPLICATION,
            profile(families__tax__summary__months_last_12=5),
            RejectReason.INSUFFICIENT_DATA,
        ),
        (APPLICATION, profile(score__grade="CCC"), RejectReason.CREDIT_GRADE),
        ({**APPLICATION, "grade": "C"}, profile(score=None), RejectReason.CREDIT_GRADE),
        (
            APPLICATION,
            profile(public_records__latest_grades__tax_grade="D"),
            RejectReason.CREDIT_GRADE,
        ),
        (
            APPLICATION,
            profile(public_records__items=[{"negative": True, "disputed": False}] * 2),
            RejectReason.NEGATIVE_RECORDS,
        ),
        (APPLICATION, profile(score__pd_band="5%-10%"), RejectReason.DEBT_CAPACITY),
        (APPLICATION, profile(score__pd_band=">=20%"), RejectReason.DEBT_CAPACITY),
        (
            APPLICATION,
            profile(families__tax__summary__arrears_latest="12.00"),
            RejectReason.DEBT_CAPACITY,
        ),
        ({**APPLICATION, "amount": "1200000.01"}, PROFILE, RejectReason.AMOUNT_TOO_HIGH),
    ],
)
def test_each_failing_rule_rejects_with_its_reason(
    application: dict[str, Any], pulled: dict[str, Any] | None, reason: RejectReason
) -> None:
    decision = decide(application, pulled)
    assert decision.outcome == "reject"
    assert decision.reason is reason
    assert decision.body()["reason"] == reason.value


def test_disputed_records_and_a_single_one_do_not_reject_and_the_ceiling_is_inclusive() -> None:
    records = [{"negative": True, "disputed": True}] * 3 + [{"negative": True, "disputed": False}]
    assert decide(APPLICATION, profile(public_records__items=records)).outcome == "approve"
    # Six months of sales scale to a year: 2 000 000 × 2 × 0.3 = 1 200 000.
    half = profile(
        families__tax__summary__months_last_12=6,
        families__tax__summary__vat_sales_last_12="2000000.00",
    )
    assert decide({**APPLICATION, "amount": "1200000.00"}, half).outcome == "approve"


def test_pd_bands_read_as_their_upper_bound() -> None:
    assert pd_upper("<0.5%") == Decimal("0.005")
    assert pd_upper("2%-5%") == Decimal("0.05")
    assert pd_upper(">=20%") == Decimal(1)
    assert pd_upper(None) is None


START = dt.date(2026, 1, 31)


def test_a_performing_loan_is_disbursed_repaid_monthly_and_settled() -> None:
    plan = plan_loan("L", "a", Decimal("1000.00"), Decimal("0.12"), 3, START, fate="performing")
    assert [e.body["kind"] for e in plan] == [
        "disbursed",
        "repayment",
        "repayment",
        "repayment",
        "settled",
    ]
    assert [e.key for e in plan] == ["L-1", "L-2", "L-3", "L-4", "L-5"]
    assert [e.occurred_on for e in plan] == [
        START,
        dt.date(2026, 2, 28),
        dt.date(2026, 3, 31),
        dt.date(2026, 4, 30),
        dt.date(2026, 4, 30),
    ]
    assert all(e.body["occurred_on"] == e.occurred_on.isoformat() for e in plan)
    repayments = [e.body for e in plan if e.body["kind"] == "repayment"]
    assert [r["amount"] for r in repayments] == ["333.33", "333.33", "333.34"]
    assert [r["interest"] for r in repayments] == [
        "10.00",
        "6.67",
        "3.33",
    ]  # 1 % a month on what is out
    again = plan_loan("L", "a", Decimal("1000.00"), Decimal("0.12"), 3, START, fate="performing")
    assert again == plan  # the same keys and bodies: a retry replays safely


def test_an_overdue_loan_catches_up_and_settles() -> None:
    plan = plan_loan("L", "a", Decimal("1200.00"), Decimal("0.12"), 4, START, fate="overdue")
    kinds = [e.body["kind"] for e in plan]
    assert kinds == ["disbursed", "repayment", "overdue", "repayment", "repayment", "settled"]
    overdue = plan[2]
    assert overdue.body["days_overdue"] == 15
    assert overdue.body["amount"] == "309.00"  # month 2: 300 principal + 9 interest on 900
    assert plan[3].body["amount"] == "600.00"  # months 2 and 3 together
    assert sum(Decimal(e.body["amount"]) for e in plan if e.body["kind"] == "repayment") == 1200
    days = [e.occurred_on for e in plan]
    assert days == sorted(days)


def test_a_defaulting_loan_goes_overdue_twice_then_defaults() -> None:
    plan = plan_loan("L", "a", Decimal("1200.00"), Decimal("0.12"), 4, START, fate="default")
    kinds = [e.body["kind"] for e in plan]
    assert kinds == ["disbursed", "repayment", "overdue", "overdue", "default"]
    assert [e.body.get("days_overdue") for e in plan[2:4]] == [15, 45]
    assert plan[-1].body["amount"] == "900.00"
    assert plan[-1].occurred_on == dt.date(2026, 3, 31) + dt.timedelta(days=90)


def test_fates_are_fixed_by_the_application_id_in_the_stated_shares() -> None:
    fates = [fate_of(f"app-{n}") for n in range(4000)]
    assert fate_of("app-7") == fate_of("app-7")
    assert 0.015 < fates.count("default") / 4000 < 0.045
    assert 0.06 < fates.count("overdue") / 4000 < 0.10


def test_the_demo_clock_runs_months_per_minute() -> None:
    now = [0.0]
    clock = DemoClock(2, origin=dt.date(2026, 1, 1), started=0.0, now=lambda: now[0])
    assert clock.today() == dt.date(2026, 1, 1)
    now[0] = 30.0  # half a minute: one month
    assert clock.today() == dt.date(2026, 1, 31)
    assert clock.seconds_until(dt.date(2026, 1, 1)) == 0
    assert 29 < clock.seconds_until(dt.date(2026, 3, 2)) < 31
    with pytest.raises(ValueError, match="positive"):
        DemoClock(0)
