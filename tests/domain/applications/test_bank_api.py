"""A bank's server works its applications over /openapi/v1: lists its own, reviews, decides,
reports loan events once each; another bank's ids do not exist for it."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from tests.domain.applications.arrange import Apps
from xinyidai.dates import add_months_to_day, china_today
from xinyidai.domain.applications.vocabulary import OutboxStatus
from xinyidai.models import ApplicationDelivery, Loan, LoanEvent


async def _loan(apps: Apps) -> tuple[dict[str, Any], str]:
    application = await apps.applied()
    approved = await apps.approve(application["id"])
    assert approved.status_code == 200, approved.text
    return application, approved.json()["loan_id"]


async def test_a_bank_reviews_and_approves_and_the_sme_sees_every_step(apps: Apps) -> None:
    application = await apps.applied()
    reviewed = await apps.api(apps.a, "POST", f"/applications/{application['id']}/review")
    assert reviewed.status_code == 200, reviewed.text
    assert reviewed.json()["status"] == "under_review"
    approved = await apps.approve(application["id"], amount="450000.00")
    assert approved.status_code == 200, approved.text
    decided = approved.json()
    assert decided["application"]["status"] == "approved" and decided["loan_id"]
    assert decided["application"]["decision"]["amount"] == "450000.00"

    await apps.act_as(apps.owner)
    seen = (await apps.app.get(f"/api/v1/applications/{application['id']}")).json()
    steps = [(t["to_status"], t["actor"]) for t in seen["timeline"]]
    assert steps == [
        ("submitted", "sme"),
        ("delivered", "bank_api"),
        ("under_review", "bank_api"),
        ("approved", "bank_api"),
    ]
    assert seen["loan"]["amount"] == "450000.00" and seen["loan"]["unsecured"] is True
    assert seen["loan"]["annual_rate"] == "0.0435"


async def test_a_rejection_needs_a_reason_code_and_other_needs_a_note(apps: Apps) -> None:
    application = await apps.applied()
    path = f"/applications/{application['id']}/decision"
    bare = await apps.api(apps.a, "POST", path, json={"outcome": "reject"})
    assert bare.status_code == 422 and bare.json()["errors"][0]["field"] == "reason"
    mixed = await apps.api(
        apps.a, "POST", path, json={"outcome": "reject", "reason": "credit_grade", "amount": "1"}
    )
    assert mixed.status_code == 422 and mixed.json()["errors"][0]["field"] == "amount"
    other = await apps.api(apps.a, "POST", path, json={"outcome": "reject", "reason": "other"})
    assert other.status_code == 422 and other.json()["errors"][0]["field"] == "note"
    unknown = await apps.api(apps.a, "POST", path, json={"outcome": "reject", "reason": "mood"})
    assert unknown.status_code in (400, 422)
    done = await apps.api(
        apps.a, "POST", path, json={"outcome": "reject", "reason": "debt_capacity"}
    )
    assert done.status_code == 200 and done.json()["application"]["status"] == "rejected"
    assert done.json()["loan_id"] is None
    codes = await apps.api(apps.a, "GET", "/reason-codes")
    assert "debt_capacity" in {c["code"] for c in codes.json()}


async def test_invalid_transitions_get_409(apps: Apps) -> None:
    application, loan_id = await _loan(apps)
    twice = await apps.approve(application["id"])
    assert twice.status_code == 409 and "approved" in twice.json()["detail"]
    review = await apps.api(apps.a, "POST", f"/applications/{application['id']}/review")
    assert review.status_code == 409
    today = china_today().isoformat()
    settle_early = await apps.event(loan_id, {"kind": "settled", "occurred_on": today})
    assert settle_early.status_code == 409  # not disbursed yet
    ok = await apps.event(loan_id, {"kind": "disbursed", "occurred_on": today, "amount": "450000"})
    assert ok.status_code == 200, ok.text
    again = await apps.event(loan_id, {"kind": "disbursed", "occurred_on": today, "amount": "1"})
    assert again.status_code == 409


async def test_another_banks_application_or_loan_does_not_exist(apps: Apps) -> None:
    application, loan_id = await _loan(apps)
    decide = await apps.approve(application["id"], side=apps.b)
    assert decide.status_code == 404
    read = await apps.api(apps.b, "GET", f"/applications/{application['id']}")
    assert read.status_code == 404
    review = await apps.api(apps.b, "POST", f"/applications/{application['id']}/review")
    assert review.status_code == 404
    today = china_today().isoformat()
    event = await apps.event(
        loan_id, {"kind": "disbursed", "occurred_on": today, "amount": "1"}, side=apps.b
    )
    assert event.status_code == 404
    listed = await apps.api(apps.b, "GET", "/applications")
    assert listed.json()["items"] == []


async def test_a_replayed_loan_event_has_one_effect(apps: Apps, db: AsyncSession) -> None:
    _, loan_id = await _loan(apps)
    today = china_today().isoformat()
    await apps.event(loan_id, {"kind": "disbursed", "occurred_on": today, "amount": "450000"})
    repay = {"kind": "repayment", "occurred_on": today, "amount": "37500.00", "interest": "1631"}
    first = await apps.event(loan_id, repay, key="repay-1")
    replay = await apps.event(loan_id, repay, key="repay-1")
    assert first.status_code == replay.status_code == 200
    assert replay.headers["idempotent-replayed"] == "true"
    assert replay.json()["event"]["id"] == first.json()["event"]["id"]
    assert replay.json()["loan"]["principal_repaid"] == "37500.00"
    changed = await apps.event(loan_id, {**repay, "amount": "1.00"}, key="repay-1")
    assert changed.status_code == 422
    loan = await db.scalar(select(Loan).where(Loan.id == loan_id))
    assert loan is not None and loan.principal_repaid == 37500
    events = list(await db.scalars(select(LoanEvent).where(LoanEvent.loan_id == loan_id)))
    assert sorted(e.kind for e in events) == ["disbursed", "repayment"]


async def test_a_loan_runs_from_disbursement_to_settlement_with_its_sums(apps: Apps) -> None:
    application, loan_id = await _loan(apps)
    today = china_today().isoformat()
    steps: list[dict[str, Any]] = [
        {"kind": "disbursed", "occurred_on": today, "amount": "450000.00"},
        {"kind": "repayment", "occurred_on": today, "amount": "150000.00", "interest": "1600"},
        {"kind": "overdue", "occurred_on": today, "amount": "150000.00", "days_overdue": 5},
        {"kind": "repayment", "occurred_on": today, "amount": "150000.00", "interest": "1100"},
    ]
    for body in steps:
        done = await apps.event(loan_id, body)
        assert done.status_code == 200, done.text
    loan = done.json()["loan"]
    assert loan["status"] == "repaying" and loan["outstanding"] == "150000.00"
    assert loan["overdue_since"] is None  # the repayment cured it
    assert loan["interest_paid"] == "2700.00"
    assert loan["maturity_on"] == add_months_to_day(china_today(), 12).isoformat()
    early = await apps.event(loan_id, {"kind": "settled", "occurred_on": today})
    assert early.status_code == 422 and early.json()["errors"][0]["code"] == "outstanding_remains"
    settled = await apps.event(
        loan_id, {"kind": "settled", "occurred_on": today, "amount": "150000.00"}
    )
    assert settled.status_code == 200 and settled.json()["loan"]["status"] == "settled"
    await apps.act_as(apps.owner)
    seen = (await apps.app.get(f"/api/v1/applications/{application['id']}")).json()
    assert [t["to_status"] for t in seen["timeline"]][-3:] == ["disbursed", "repaying", "settled"]


async def test_loan_event_sums_and_dates_are_checked(apps: Apps) -> None:
    _, loan_id = await _loan(apps)
    today = china_today()
    over = await apps.event(
        loan_id, {"kind": "disbursed", "occurred_on": today.isoformat(), "amount": "450000.01"}
    )
    assert over.status_code == 422 and over.json()["errors"][0]["code"] == "amount_over_approved"
    future = await apps.event(
        loan_id,
        {
            "kind": "disbursed",
            "occurred_on": (today + dt.timedelta(days=3)).isoformat(),
            "amount": "1000",
        },
    )
    assert future.status_code == 422 and future.json()["errors"][0]["field"] == "occurred_on"
    await apps.event(
        loan_id, {"kind": "disbursed", "occurred_on": today.isoformat(), "amount": "1000"}
    )
    too_much = await apps.event(
        loan_id, {"kind": "repayment", "occurred_on": today.isoformat(), "amount": "1000.01"}
    )
    assert too_much.status_code == 422
    no_days = await apps.event(
        loan_id, {"kind": "overdue", "occurred_on": today.isoformat(), "amount": "10"}
    )
    assert no_days.status_code == 422 and no_days.json()["errors"][0]["field"] == "days_overdue"
    default = await apps.event(
        loan_id, {"kind": "default", "occurred_on": today.isoformat(), "amount": "1000"}
    )
    assert default.status_code == 200 and default.json()["loan"]["loss_amount"] == "1000.00"
    assert default.json()["loan"]["status"] == "defaulted"
    assert default.json()["loan"]["outstanding"] == "0.00"


async def test_a_polling_bank_pages_through_its_own_and_its_read_delivers_them(
    apps: Apps, db: AsyncSession
) -> None:
    made = [await apps.applied() for _ in range(3)]
    # No intake URL: the relay leaves these for the bank's poll.
    for a in made:
        delivery = await db.scalar(
            select(ApplicationDelivery).where(ApplicationDelivery.application_id == a["id"])
        )
        assert delivery is not None
        delivery.status = OutboxStatus.POLL
    await db.commit()
    first = await apps.api(apps.a, "GET", "/applications?limit=2")
    assert first.status_code == 200, first.text
    page = first.json()
    assert [d["id"] for d in page["items"]] == [a["id"] for a in made[:2]]
    doc = page["items"][0]
    assert doc["enterprise"]["uscc"] == apps.scene.sme.uscc and doc["amount"] == "500000.00"
    assert doc["links"]["profile"].endswith(f"/openapi/v1/profiles/{apps.scene.sme.uscc}")
    assert sorted(doc["consent"]["families"]) == ["score", "tax"]
    rest = (await apps.api(apps.a, "GET", f"/applications?cursor={page['next_cursor']}")).json()
    assert [d["id"] for d in rest["items"]] == [made[2]["id"]] and rest["next_cursor"] is None

    await apps.act_as(apps.owner)
    seen = (await apps.app.get(f"/api/v1/applications/{made[0]['id']}")).json()
    assert seen["status"] == "delivered" and seen["delivery"] == "delivered"
    bad = await apps.api(apps.a, "GET", "/applications?cursor=nonsense")
    assert bad.status_code == 422


async def test_a_token_without_the_applications_scope_is_refused(apps: Apps) -> None:
    application = await apps.applied()
    refused = await apps.api(
        apps.a, "POST", f"/applications/{application['id']}/review", scope="profiles"
    )
    assert refused.status_code == 403 and "applications" in refused.text


async def test_bank_users_decide_and_report_in_the_portal_and_other_banks_cannot(
    apps: Apps,
) -> None:
    application = await apps.applied()
    base = f"/api/v1/banks/{apps.a.id}"
    await apps.act_as(apps.a.user)
    reviewed = await apps.app.post(f"{base}/applications/{application['id']}/review")
    assert reviewed.status_code == 200 and reviewed.json()["status"] == "under_review"
    decided = await apps.app.post(
        f"{base}/applications/{application['id']}/decision",
        json={"outcome": "approve", "amount": "400000", "annual_rate": "0.04", "term_months": 6},
    )
    assert decided.status_code == 200, decided.text
    loan_id = decided.json()["loan_id"]
    timeline = decided.json()["application"]["timeline"]
    assert timeline[-1]["actor"] == "bank" and timeline[-1]["to_status"] == "approved"
    loans = (await apps.app.get(f"{base}/loans")).json()
    assert [x["id"] for x in loans] == [loan_id]
    body = {"kind": "disbursed", "occurred_on": china_today().isoformat(), "amount": "400000"}
    reported = await apps.app.post(
        f"{base}/loans/{loan_id}/events", json=body, headers={"Idempotency-Key": "d-1"}
    )
    assert reported.status_code == 200 and reported.json()["loan"]["status"] == "disbursed"

    await apps.act_as(apps.b.user)
    assert (await apps.app.get(f"{base}/loans")).status_code == 403
    refused = await apps.app.post(
        f"{base}/loans/{loan_id}/events", json=body, headers={"Idempotency-Key": "d-2"}
    )
    assert refused.status_code == 403
    own_path = await apps.app.post(
        f"/api/v1/banks/{apps.b.id}/loans/{loan_id}/events",
        json=body,
        headers={"Idempotency-Key": "d-3"},
    )
    assert own_path.status_code == 404
    assert (await apps.app.get(f"/api/v1/banks/{apps.b.id}/loans")).json() == []
    await apps.act_as(apps.owner)
    assert (await apps.app.get(f"{base}/loans")).status_code == 403
