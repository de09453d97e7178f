"""Post-loan warnings: each change warns its lending bank once (one row, one webhook), only for
live loans under a live consent that covers the change's family, and the bank's list is its
own."""

from __future__ import annotations

import dataclasses
import datetime as dt
from typing import Any

import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from tests.conftest import World
from tests.domain.applications.warning_rows import (
    Borrower,
    Lender,
    S,
    WarningRows,
    at_day,
    days_ago,
)
from tests.domain.needs.arrange import PoolWorld
from xinyidai import jobs
from xinyidai.dates import add_months, china_today, month_start, utc_now
from xinyidai.domain.applications.warnings import (
    JOB,
    check_enterprise,
    grade_steps,
    job_key,
    queue_all_checks,
    queue_check_for_snapshot,
)
from xinyidai.infra.db import session_factory, unit_of_work
from xinyidai.models import LoanWarning, Role, WebhookDelivery


@pytest.fixture
def rows(world: World) -> WarningRows:
    return WarningRows(world)


async def check(sessions: async_sessionmaker[AsyncSession], borrower: Borrower) -> list[str]:
    """One check of the borrower, committed; the change keys it wrote."""
    async with unit_of_work(sessions) as session:
        written = await check_enterprise(session, borrower.enterprise.id)
        return [w.change_key for w in written]


async def stored(sessions: async_sessionmaker[AsyncSession]) -> list[LoanWarning]:
    async with sessions() as session:
        return list(await session.scalars(select(LoanWarning).order_by(LoanWarning.change_key)))


async def deliveries(sessions: async_sessionmaker[AsyncSession]) -> list[WebhookDelivery]:
    async with sessions() as session:
        return list(
            await session.scalars(
                select(WebhookDelivery).where(WebhookDelivery.event_type == "loan.warning")
            )
        )


def next_month() -> dt.date:
    """A period after a loan disbursed 30 days ago (its month's successor)."""
    return add_months(month_start(days_ago(30)), 1)


# --- each kind, once ----------------------------------------------------------------------------
async def test_a_negative_record_warns_once_with_one_webhook(
    world: World, rows: WarningRows, sessions: async_sessionmaker[AsyncSession]
) -> None:
    lender = await rows.lender("WARN_A")
    borrower = await rows.borrower("sme@warn-a.example.com")
    lending = await rows.lend(lender, borrower, families=("score",))
    record = await world.record(borrower.enterprise.uscc, record_type="dishonest_debtor")
    await world.record(borrower.enterprise.uscc, record_type="red_list")  # not negative
    await world.record(borrower.enterprise.uscc, record_type="admin_penalty", status="repaired")

    assert await check(sessions, borrower) == [f"record:{record.id}"]
    assert await check(sessions, borrower) == []

    (warning,) = await stored(sessions)
    assert warning.kind == "public_record"
    assert warning.bank_id == lender.bank.id
    assert warning.loan_id == lending.loan.id
    assert warning.detail["change"]["document_no"] == record.document_no
    assert warning.detail["change"]["record_type"] == "dishonest_debtor"
    assert "失信被执行人" in warning.detail["summary"]["zh-CN"]
    assert "dishonest judgment debtor" in warning.detail["summary"]["en"]
    (delivery,) = await deliveries(sessions)
    assert delivery.bank_id == lender.bank.id
    assert delivery.event_id == f"loan.warning:{warning.id}"
    assert delivery.payload == {
        "warning_id": str(warning.id),
        "loan_id": str(lending.loan.id),
        "application_id": str(lending.application.id),
        "uscc": borrower.enterprise.uscc,
        "kind": "public_record",
        "change": warning.detail["change"],
        "summary": warning.detail["summary"],
    }


async def test_records_seen_before_disbursement_do_not_warn(
    world: World, rows: WarningRows, sessions: async_sessionmaker[AsyncSession]
) -> None:
    lender = await rows.lender("WARN_B")
    borrower = await rows.borrower("sme@warn-b.example.com")
    await rows.lend(lender, borrower, disbursed_on=days_ago(10))
    seen = at_day(days_ago(11))
    await world.record(borrower.enterprise.uscc, created_at=seen, updated_at=seen)

    assert await check(sessions, borrower) == []
    assert await deliveries(sessions) == []


async def test_tax_and_social_insurance_arrears_warn_once_per_month(
    rows: WarningRows, sessions: async_sessionmaker[AsyncSession]
) -> None:
    lender = await rows.lender("WARN_C")
    borrower = await rows.borrower("sme@warn-c.example.com")
    await rows.lend(lender, borrower)
    before = month_start(days_ago(60))  # a month before the disbursement: not counted
    after = next_month()
    await rows.month(borrower, before, tax_arrears="900.00", si_arrears="800.00")
    await rows.month(borrower, after, tax_arrears="1234.50", si_arrears="0")
    await rows.month(borrower, add_months(after, 1), si_arrears="321.00")

    month, later = after.strftime("%Y-%m"), add_months(after, 1).strftime("%Y-%m")
    assert sorted(await check(sessions, borrower)) == [f"si:{later}", f"tax:{month}"]
    assert await check(sessions, borrower) == []

    warnings = {w.change_key: w for w in await stored(sessions)}
    tax = warnings[f"tax:{month}"]
    assert tax.kind == "tax_arrears"
    assert tax.detail["change"] == {"family": "tax", "period": month, "arrears": "1234.50"}
    assert "1234.50" in tax.detail["summary"]["zh-CN"]
    assert warnings[f"si:{later}"].kind == "social_insurance_arrears"
    assert len(await deliveries(sessions)) == 2


async def test_a_grade_drop_of_two_steps_warns_once_and_one_step_never(
    rows: WarningRows, sessions: async_sessionmaker[AsyncSession]
) -> None:
    lender = await rows.lender("WARN_D")
    borrower = await rows.borrower("sme@warn-d.example.com")
    await rows.lend(lender, borrower, disbursed_on=days_ago(30), grade="AA")
    await rows.score(borrower, "BBB", at_day(days_ago(40)))  # the grade at disbursement
    await rows.score(borrower, "BB", at_day(days_ago(20)))  # one step down

    assert await check(sessions, borrower) == []

    dropped = await rows.score(borrower, "B", at_day(days_ago(5)))  # two steps below BBB
    assert await check(sessions, borrower) == [f"grade:BBB-B:{dropped.id}"]
    assert await check(sessions, borrower) == []
    (warning,) = await stored(sessions)
    assert warning.kind == "grade_drop"
    assert warning.detail["change"]["from"] == "BBB"
    assert warning.detail["change"]["to"] == "B"
    assert warning.detail["change"]["steps"] == 2
    assert "BBB" in warning.detail["summary"]["zh-CN"]

    # The next drop is measured from the grade last reported: B → CCC is one step.
    await rows.score(borrower, "CCC", at_day(days_ago(1)))
    assert await check(sessions, borrower) == []
    assert len(await deliveries(sessions)) == 1


async def test_without_a_score_at_disbursement_the_applications_grade_is_the_baseline(
    rows: WarningRows, sessions: async_sessionmaker[AsyncSession]
) -> None:
    lender = await rows.lender("WARN_E")
    borrower = await rows.borrower("sme@warn-e.example.com")
    await rows.lend(lender, borrower, disbursed_on=days_ago(30), grade="A")
    dropped = await rows.score(borrower, "BB", at_day(days_ago(3)))

    assert await check(sessions, borrower) == [f"grade:A-BB:{dropped.id}"]


async def test_a_bank_ahead_of_the_platforms_clock_is_watched_from_its_report(
    world: World, rows: WarningRows, sessions: async_sessionmaker[AsyncSession]
) -> None:
    """The sandbox bank's demo clock runs ahead: it disburses "in 60 days" and reports it now.
    The platform's own records count from the report; arrears months from the business date."""
    lender = await rows.lender("WARN_P")
    borrower = await rows.borrower("sme@warn-p.example.com")
    reported = utc_now() - dt.timedelta(days=2)
    future = china_today() + dt.timedelta(days=60)
    await rows.lend(lender, borrower, disbursed_on=future, reported_at=reported, grade="AA")
    seen = utc_now() - dt.timedelta(days=3)
    await world.record(borrower.enterprise.uscc, created_at=seen, updated_at=seen)
    record = await world.record(borrower.enterprise.uscc)
    await rows.score(borrower, "BBB", reported - dt.timedelta(days=1))  # at disbursement
    dropped = await rows.score(borrower, "B", utc_now())
    await rows.month(borrower, next_month(), tax_arrears="10.00")  # before the business date

    assert sorted(await check(sessions, borrower)) == sorted(
        [f"record:{record.id}", f"grade:BBB-B:{dropped.id}"]
    )


def test_grade_steps_are_counted_on_the_platforms_risk_grades() -> None:
    assert grade_steps("BBB", "B") == 2
    assert grade_steps("AAA", "C") == 7
    assert grade_steps("BB", "A") == -2  # a rise
    assert grade_steps("M", "D") is None  # tax credit grades are another scale


# --- who is not warned --------------------------------------------------------------------------
@pytest.mark.parametrize("status", [S.APPROVED, S.SETTLED, S.DEFAULTED, S.REJECTED, S.REPAYING])
async def test_only_live_loans_are_watched(
    status: Any, world: World, rows: WarningRows, sessions: async_sessionmaker[AsyncSession]
) -> None:
    lender = await rows.lender("WARN_F")
    borrower = await rows.borrower("sme@warn-f.example.com")
    await rows.lend(lender, borrower, status=status)
    await world.record(borrower.enterprise.uscc)
    await rows.month(borrower, next_month(), tax_arrears="10.00", si_arrears="10.00")

    written = await check(sessions, borrower)
    assert (len(written) == 3) is (status is S.REPAYING)  # repaying is live; the rest are not


@pytest.mark.parametrize(
    "consent",
    [
        {"revoked": True},
        {"consent_expires_in": -dt.timedelta(days=1)},
    ],
    ids=["revoked", "expired"],
)
async def test_no_warning_without_a_live_consent(
    consent: dict[str, Any],
    world: World,
    rows: WarningRows,
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    lender = await rows.lender("WARN_G")
    borrower = await rows.borrower("sme@warn-g.example.com")
    await rows.lend(lender, borrower, **consent)
    await world.record(borrower.enterprise.uscc)
    await rows.month(borrower, next_month(), tax_arrears="10.00", si_arrears="10.00")
    await rows.score(borrower, "C", at_day(days_ago(1)))

    assert await check(sessions, borrower) == []
    assert await stored(sessions) == []
    assert await deliveries(sessions) == []


async def test_a_consent_warns_only_of_the_families_it_covers(
    world: World, rows: WarningRows, sessions: async_sessionmaker[AsyncSession]
) -> None:
    lender = await rows.lender("WARN_H")
    borrower = await rows.borrower("sme@warn-h.example.com")
    await rows.lend(lender, borrower, families=("score",), grade="BBB")
    await rows.month(borrower, next_month(), tax_arrears="10.00", si_arrears="10.00")
    assert await check(sessions, borrower) == []  # score only: no arrears

    other = await rows.lender("WARN_I")
    await rows.lend(other, borrower, families=("tax",), grade="AAA")
    await rows.score(borrower, "CCC", at_day(days_ago(1)))
    keys = await check(sessions, borrower)
    by_bank = {(w.bank_id, w.kind) for w in await stored(sessions)}
    assert by_bank == {(lender.bank.id, "grade_drop"), (other.bank.id, "tax_arrears")}
    assert len(keys) == 2


async def test_a_bank_without_a_webhook_url_still_gets_the_warning_row(
    world: World, rows: WarningRows, sessions: async_sessionmaker[AsyncSession]
) -> None:
    lender = await rows.lender("WARN_J", webhook=False)
    borrower = await rows.borrower("sme@warn-j.example.com")
    await rows.lend(lender, borrower)
    await world.record(borrower.enterprise.uscc)

    assert len(await check(sessions, borrower)) == 1
    assert await deliveries(sessions) == []


# --- queueing -----------------------------------------------------------------------------------
@dataclasses.dataclass
class Recorder:
    jobs: list[dict[str, Any]] = dataclasses.field(default_factory=list)

    async def enqueue(self, function: str, **kwargs: Any) -> None:
        self.jobs.append({"function": function, **kwargs})


async def test_a_scored_snapshot_queues_one_check_of_a_borrower_and_none_of_others(
    world: World, rows: WarningRows, sessions: async_sessionmaker[AsyncSession]
) -> None:
    lender = await rows.lender("WARN_K")
    borrower = await rows.borrower("sme@warn-k.example.com")
    bystander = await rows.borrower("sme@warn-k2.example.com")
    await rows.lend(lender, borrower)
    mine = await rows.score(borrower, "BBB", at_day(days_ago(1)))
    theirs = await rows.score(bystander, "BBB", at_day(days_ago(1)))
    recorder = Recorder()
    engine = sessions.kw["bind"]
    queued = session_factory(engine, enqueue=recorder.enqueue)

    result = await jobs.score_snapshot({"sessions": queued}, snapshot_id=str(mine.snapshot_id))
    assert result == {"status": "skipped"}  # no active model: still checked
    async with unit_of_work(queued) as session:
        assert not await queue_check_for_snapshot(session, theirs.snapshot_id)

    checks = [job for job in recorder.jobs if job["function"] == JOB]
    assert checks == [
        {
            "function": JOB,
            "enterprise_id": str(borrower.enterprise.id),
            "key": job_key(borrower.enterprise.id),
            "timeout": 300,
        }
    ]


async def test_the_daily_backstop_queues_enterprises_with_live_loans_and_the_job_checks(
    world: World, rows: WarningRows, sessions: async_sessionmaker[AsyncSession]
) -> None:
    lender = await rows.lender("WARN_L")
    live = await rows.borrower("sme@warn-l.example.com")
    settled = await rows.borrower("sme@warn-l2.example.com")
    await rows.lend(lender, live, status=S.REPAYING)
    await rows.lend(lender, settled, status=S.SETTLED)
    await world.record(live.enterprise.uscc)
    recorder = Recorder()

    async with sessions() as session:
        assert await queue_all_checks(session, recorder.enqueue) == 1
    assert [job["enterprise_id"] for job in recorder.jobs] == [str(live.enterprise.id)]
    assert jobs.check_all_loan_warnings in jobs.FUNCTIONS
    assert any(fn is jobs.check_all_loan_warnings for fn, _ in jobs.CRON_JOBS)

    ctx = {"sessions": sessions}
    enterprise_id = str(live.enterprise.id)
    assert await jobs.check_loan_warnings(ctx, enterprise_id=enterprise_id) == {"warned": 1}
    assert await jobs.check_loan_warnings(ctx, enterprise_id=enterprise_id) == {"warned": 0}


# --- the bank's list ----------------------------------------------------------------------------
async def _two_warnings(
    world: World, rows: WarningRows, sessions: async_sessionmaker[AsyncSession], code: str
) -> tuple[Lender, Borrower, list[LoanWarning]]:
    lender = await rows.lender(code)
    borrower = await rows.borrower(f"sme@{code.lower().replace('_', '-')}.example.com")
    await rows.lend(lender, borrower)
    await world.record(borrower.enterprise.uscc)
    await rows.month(borrower, next_month(), tax_arrears="10.00")
    await check(sessions, borrower)
    return lender, borrower, await stored(sessions)


async def test_the_bank_lists_and_reads_its_warnings(
    world: World,
    rows: WarningRows,
    client: AsyncTestClient[Litestar],
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    lender, borrower, warnings = await _two_warnings(world, rows, sessions, "WARN_M")
    pool = PoolWorld(world, client)
    await pool.act_as(lender.user)
    url = f"/api/v1/banks/{lender.bank.id}/warnings"

    listed = await client.get(url)
    assert listed.status_code == 200, listed.text
    body = listed.json()
    assert body["unread"] == 2
    assert body["next_cursor"] is None
    assert {item["id"] for item in body["items"]} == {str(w.id) for w in warnings}
    item = body["items"][0]
    assert item["uscc"] == borrower.enterprise.uscc
    assert item["enterprise_name"] == borrower.enterprise.name
    assert set(item["summary"]) == {"zh-CN", "en"}

    first = await client.get(url, params={"limit": 1})
    assert len(first.json()["items"]) == 1
    cursor = first.json()["next_cursor"]
    assert cursor is not None
    rest = await client.get(url, params={"limit": 1, "cursor": cursor})
    assert [i["id"] for i in rest.json()["items"]] != [i["id"] for i in first.json()["items"]]
    assert rest.json()["next_cursor"] is None

    read = await client.post(f"{url}/{warnings[0].id}/read")
    assert read.status_code == 200, read.text
    read_at = read.json()["read_at"]
    assert read_at is not None
    again = await client.post(f"{url}/{warnings[0].id}/read")
    assert again.json()["read_at"] == read_at

    unread = (await client.get(url, params={"unread": "true"})).json()
    assert [i["id"] for i in unread["items"]] == [str(warnings[1].id)]
    assert unread["unread"] == 1

    loan_id = str(warnings[0].loan_id)
    of_loan = (await client.get(url, params={"loan_id": loan_id})).json()
    assert len(of_loan["items"]) == 2
    other = (await client.get(url, params={"loan_id": str(borrower.enterprise.id)})).json()
    assert other["items"] == []

    bad = await client.get(url, params={"cursor": "not-a-cursor"})
    assert bad.status_code == 422


async def test_another_bank_and_other_roles_are_refused(
    world: World,
    rows: WarningRows,
    client: AsyncTestClient[Litestar],
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    lender, borrower, warnings = await _two_warnings(world, rows, sessions, "WARN_N")
    rival = await rows.lender("WARN_O")
    admin = await world.user("admin@warn.example.com", Role.ADMIN)
    pool = PoolWorld(world, client)
    url = f"/api/v1/banks/{lender.bank.id}/warnings"

    await pool.act_as(rival.user)
    assert (await client.get(url)).status_code == 403
    assert (await client.post(f"{url}/{warnings[0].id}/read")).status_code == 403
    own = f"/api/v1/banks/{rival.bank.id}/warnings"
    assert (await client.get(own)).json() == {"items": [], "unread": 0, "next_cursor": None}
    assert (await client.post(f"{own}/{warnings[0].id}/read")).status_code == 404

    for user in (borrower.user, admin):
        await pool.act_as(user)
        assert (await client.get(url)).status_code == 403
        assert (await client.post(f"{url}/{warnings[0].id}/read")).status_code == 403

    await pool.act_as(None)
    assert (await client.get(url)).status_code == 401

    async with sessions() as session:
        unread = await session.scalar(
            select(func.count()).select_from(LoanWarning).where(LoanWarning.read_at.is_(None))
        )
    assert unread == 2  # nobody else marked anything read
