"""The demo city's 24-month history of applications and loans: every application as the
platform would have written it (consent, delivered outbox row, a timeline through the
transition table, decided within the product's response days but for about one in twelve
answered late), each loan's running sums equal to its events, statuses that agree with the
events, nothing dated in the future, written once."""

from __future__ import annotations

import datetime as dt
import itertools
from collections import Counter, defaultdict
from decimal import Decimal
from typing import Any

import msgspec
from redis.asyncio import Redis
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from xinyidai.dates import CHINA_TZ, utc_now
from xinyidai.domain.applications.vocabulary import TRANSITIONS, ApplicationStatus
from xinyidai.domain.demo.applications import HISTORY_DAYS, KEY_PREFIX, seed_demo_applications
from xinyidai.domain.demo.products import seed_demo_products
from xinyidai.domain.demo.seed import seed_demo
from xinyidai.domain.products.schemas import ProductIn
from xinyidai.models import (
    Application,
    ApplicationDelivery,
    ApplicationEvent,
    BankConsent,
    Loan,
    LoanEvent,
    ProductVersion,
)
from xinyidai.settings import Settings

S = ApplicationStatus
ZERO = Decimal(0)


async def _history(db: AsyncSession, redis: Redis, settings: Settings) -> dict[str, Any]:
    await seed_demo(db, redis, settings)
    await seed_demo_products(db, redis)
    await db.commit()
    report = await seed_demo_applications(db)
    await db.commit()
    started = utc_now()  # the seed's "now" was a moment before: nothing may be after this
    apps = list(await db.scalars(select(Application)))
    events: dict[Any, list[ApplicationEvent]] = defaultdict(list)
    for event in await db.scalars(
        select(ApplicationEvent).order_by(ApplicationEvent.at, ApplicationEvent.id)
    ):
        events[event.application_id].append(event)
    loan_events: dict[Any, list[LoanEvent]] = defaultdict(list)
    for reported in await db.scalars(select(LoanEvent).order_by(LoanEvent.idempotency_key)):
        loan_events[reported.loan_id].append(reported)
    for listed in loan_events.values():  # in the order the bank sent them: by sequence number
        listed.sort(key=lambda e: int(e.idempotency_key.rsplit("-", 1)[1]))
    versions = {
        v.id: msgspec.convert(v.content, ProductIn)
        for v in await db.scalars(select(ProductVersion))
    }
    return {
        "report": report,
        "started": started,
        "apps": apps,
        "events": events,
        "loans": {loan.application_id: loan for loan in await db.scalars(select(Loan))},
        "loan_events": loan_events,
        "consents": {c.id: c for c in await db.scalars(select(BankConsent))},
        "deliveries": {d.application_id: d for d in await db.scalars(select(ApplicationDelivery))},
        "versions": versions,
    }


def _a_few_thousand_applications_with_realistic_outcomes(
    history: dict[str, Any],
) -> None:
    apps: list[Application] = history["apps"]
    assert 2000 <= len(apps) <= 4000
    assert history["report"].applications == len(apps)
    assert all(a.idempotency_key.startswith(KEY_PREFIX) for a in apps)
    statuses = Counter(a.status for a in apps)
    decided = sum(
        n for s, n in statuses.items() if s not in {S.DELIVERED, S.UNDER_REVIEW, S.WITHDRAWN}
    )
    approved = decided - statuses[S.REJECTED]
    assert 0.60 <= approved / decided <= 0.70, statuses
    assert statuses[S.WITHDRAWN] > 0 and statuses[S.UNDER_REVIEW] > 0
    assert {S.SETTLED, S.REPAYING, S.DEFAULTED} <= set(statuses)
    reasons = Counter(a.reject_reason for a in apps if a.status == S.REJECTED)
    assert None not in reasons and len(reasons) >= 5
    loans = list(history["loans"].values())
    live = [loan for loan in loans if loan.disbursed_on and not loan.settled_on]
    overdue = [loan for loan in live if loan.overdue_since and not loan.defaulted_on]
    defaulted = [loan for loan in loans if loan.defaulted_on]
    assert 0.03 <= len(overdue) / len(loans) <= 0.08, len(overdue)
    assert 0.01 <= len(defaulted) / len(loans) <= 0.025, len(defaulted)
    assert len({a.enterprise_id for a in apps}) > 150  # spread across the city
    assert len({a.product_id for a in apps}) == len(history["versions"])  # every product


def _every_application_fits_its_product_and_was_written_whole(
    history: dict[str, Any],
) -> None:
    late = 0
    for app in history["apps"]:
        terms: ProductIn = history["versions"][app.product_version_id]
        assert terms.amount_min <= app.amount <= terms.amount_max
        assert terms.term_min_months <= app.term_months <= terms.term_max_months
        consent = history["consents"][app.consent_id]
        assert consent.purpose == "application" and consent.channel == "application"
        assert consent.bank_id == app.bank_id and consent.enterprise_id == app.enterprise_id
        assert consent.reference == f"application {app.id}"
        assert consent.created_at == app.created_at < consent.expires_at
        assert consent.expires_at <= consent.created_at + dt.timedelta(days=366)
        delivery = history["deliveries"][app.id]
        assert delivery.status == "delivered" and delivery.attempts == 1
        assert delivery.bank_id == app.bank_id
        if app.approved_amount is not None:
            assert app.approved_amount <= app.amount
            assert terms.amount_min <= app.approved_amount
            assert app.approved_rate is not None
            assert terms.rate_floor <= app.approved_rate <= terms.rate_ceiling
            by_grade = terms.rates_by_grade.get(app.grade)
            assert by_grade is None or app.approved_rate == by_grade
        if app.decided_at is not None and app.decided_at <= app.respond_by:
            assert app.decided_at - app.created_at <= dt.timedelta(days=terms.response_days)
        elif app.decided_at is not None:  # a late answer: within twice the commitment
            late += 1
            overrun = app.decided_at - app.respond_by
            assert overrun <= dt.timedelta(days=terms.response_days)
    # About one answer in twelve is late (the service levels have something to show).
    decided = sum(1 for app in history["apps"] if app.decided_at is not None)
    assert 0.04 * decided <= late <= 0.12 * decided


def _timelines_follow_the_transition_table_in_order_and_within_24_months(
    history: dict[str, Any],
) -> None:
    started: dt.datetime = history["started"]
    earliest = started - dt.timedelta(days=HISTORY_DAYS, hours=4)
    for app in history["apps"]:
        timeline: list[ApplicationEvent] = history["events"][app.id]
        assert timeline[0].to_status == S.SUBMITTED and timeline[0].from_status is None
        assert timeline[1].to_status == S.DELIVERED
        for before, after in itertools.pairwise(timeline):
            assert after.from_status == before.to_status
            assert S(after.to_status) in TRANSITIONS[S(before.to_status)]
            assert before.at < after.at
        assert earliest <= timeline[0].at and timeline[-1].at <= started
        assert app.status == timeline[-1].to_status and app.status_at == timeline[-1].at
        assert timeline[0].at == app.created_at
        assert (app.status == S.REJECTED) == (app.reject_reason is not None)
        if app.status == S.REJECTED:
            assert app.decided_at == timeline[-1].at
        assert (app.id in history["loans"]) == (app.approved_amount is not None)


def _each_loans_sums_and_status_are_those_of_its_events(history: dict[str, Any]) -> None:
    today = history["started"].astimezone(CHINA_TZ).date()
    apps = {a.id: a for a in history["apps"]}
    for application_id, loan in history["loans"].items():
        app: Application = apps[application_id]
        events: list[LoanEvent] = history["loan_events"][loan.id]
        assert (loan.amount, loan.annual_rate, loan.term_months) == (
            app.approved_amount,
            app.approved_rate,
            app.approved_term_months,
        )
        assert app.decided_at is not None
        kinds = [str(e.kind) for e in events]
        days = [e.occurred_on for e in events]
        assert days == sorted(days) and all(loan.approved_on <= d <= today for d in days)
        assert all(e.created_at <= history["started"] for e in events)
        if not events:
            assert app.status == S.APPROVED and loan.disbursed_on is None
            continue
        assert kinds[0] == "disbursed" and kinds.count("disbursed") == 1
        assert loan.disbursed_amount == events[0].amount <= loan.amount
        assert loan.disbursed_on == events[0].occurred_on
        repaid = sum((e.amount or ZERO for e in events if e.kind in {"repayment", "settled"}), ZERO)
        interest = sum((e.interest or ZERO for e in events), ZERO)
        assert loan.principal_repaid == repaid and loan.interest_paid == interest
        lost = [e.amount for e in events if e.kind == "default"]
        assert loan.loss_amount == (lost[0] if lost else None)
        assert repaid + (loan.loss_amount or ZERO) <= loan.disbursed_amount
        settled = kinds[-1] == "settled"
        assert (loan.settled_on is not None) == settled
        if settled:
            assert repaid == loan.disbursed_amount
            assert loan.maturity_on is not None and loan.settled_on >= loan.maturity_on
        # The overdue flag: the first overdue report since the last repayment, if any.
        since_paid = kinds[::-1].index("repayment") if "repayment" in kinds else len(kinds)
        tail = events[len(events) - since_paid :]
        flagged = [e for e in tail if e.kind == "overdue"]
        if settled:
            assert loan.overdue_since is None
        else:
            assert loan.overdue_since == (flagged[0].occurred_on if flagged else None)
        expected = (
            S.DEFAULTED
            if lost
            else S.SETTLED
            if settled
            else S.REPAYING
            if "repayment" in kinds
            else S.DISBURSED
        )
        assert app.status == expected, (kinds, app.status)


async def test_the_history_holds_together_and_is_written_once(
    db: AsyncSession, redis: Redis, settings: Settings
) -> None:
    # One city for every check: seeding it is the slow part.
    history = await _history(db, redis, settings)
    _a_few_thousand_applications_with_realistic_outcomes(history)
    _every_application_fits_its_product_and_was_written_whole(history)
    _timelines_follow_the_transition_table_in_order_and_within_24_months(history)
    _each_loans_sums_and_status_are_those_of_its_events(history)

    count = await db.scalar(select(func.count()).select_from(Application))
    again = await seed_demo_applications(db)
    await db.commit()
    assert (again.applications, again.loans, again.loan_events) == (0, 0, 0)
    assert await db.scalar(select(func.count()).select_from(Application)) == count
