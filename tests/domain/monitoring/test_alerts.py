"""The credit office's alerts: each kind counts exactly what waits past its limit (and nothing
answered, not yet due or of another kind), the most severe first, with the page to act on it."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from itertools import count
from typing import Any

from litestar import Litestar
from litestar.testing import AsyncTestClient
from sqlalchemy.ext.asyncio import AsyncSession

from tests.conftest import World, login
from tests.domain.applications.rows import Shop, shop
from tests.domain.monitoring.service_rows import application, cst
from xinyidai.dates import china_today, utc_now
from xinyidai.domain.accounts.guards import Principal
from xinyidai.domain.applications.vocabulary import ApplicationStatus, OutboxStatus
from xinyidai.domain.monitoring.alerts import (
    SOURCES,
    Alert,
    AlertKind,
    AlertSeverity,
    OfficeAlerts,
    counted,
)
from xinyidai.models import (
    ApplicationDelivery,
    CreditScore,
    Dispute,
    ModelVersion,
    ProfileSnapshot,
    Role,
    ScoreReview,
    User,
)

_seq = count(1000)


def _by_kind(body: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {alert["kind"]: alert for alert in body["alerts"]}


async def _disputes(world: World, owner: User, shop_: Shop, *due: tuple[int, str]) -> None:
    """One dispute per ``(days from today to its due date, status)``."""
    for days, status in due:
        record = await world.record(shop_.enterprise.uscc)
        world.session.add(
            Dispute(
                record_id=record.id,
                enterprise_id=shop_.enterprise.id,
                raised_by=owner.id,
                reason="记录有误",
                due_on=china_today() + dt.timedelta(days=days),
                status=status,
                resolution=None if status == "open" else "已处理",
            )
        )
    await world.session.commit()


async def _reviews(db: AsyncSession, owner: User, shop_: Shop, *due: tuple[int, str]) -> None:
    """One score (on its own snapshot) and a review of it per ``(days to due, status)``."""
    if await db.get(ModelVersion, "alerts-test") is None:
        db.add(
            ModelVersion(
                version="alerts-test",
                manifest={},
                model_text="",
                manifest_sha256="0" * 64,
                model_sha256="0" * 64,
                feature_hash="0" * 64,
                created_at=utc_now(),
                registered_by="test",
            )
        )
    for days, status in due:
        n = next(_seq)
        snapshot = ProfileSnapshot(
            enterprise_id=shop_.enterprise.id,
            version=n,
            format="xinyidai.profile/1",
            content_hash=f"{n:064d}",
            as_of=china_today(),
            reason="test",
            content={"format": "xinyidai.profile/1"},
        )
        db.add(snapshot)
        await db.flush()
        score = CreditScore(
            enterprise_id=shop_.enterprise.id,
            snapshot_id=snapshot.id,
            snapshot_version=n,
            model_version="alerts-test",
            pd=Decimal("0.02"),
            score=600,
            grade="BBB",
            reasons=[],
            features=[],
        )
        db.add(score)
        await db.flush()
        db.add(
            ScoreReview(
                enterprise_id=shop_.enterprise.id,
                score_id=score.id,
                requested_by=owner.id,
                reason="请人工复核",
                due_on=china_today() + dt.timedelta(days=days),
                status=status,
                resolution=None if status == "open" else "upheld",
            )
        )
    await db.commit()


async def _deliveries(db: AsyncSession, shop_: Shop, *statuses: OutboxStatus) -> None:
    for status in statuses:
        row = await application(db, shop_, utc_now(), 5)
        db.add(
            ApplicationDelivery(
                application_id=row.id,
                bank_id=shop_.bank.id,
                status=status,
                next_attempt_at=utc_now(),
            )
        )
    await db.commit()


async def test_each_alert_counts_what_waits_past_its_limit(
    client: AsyncTestClient[Litestar], world: World, db: AsyncSession
) -> None:
    a = await shop(world, code="BANK_A")
    b = await shop(world, code="BANK_B")
    c = await shop(world, code="BANK_C")
    await world.user("office@example.com", Role.OFFICE)
    owner = a.user
    # Disputes: two open past the 20 days; one open due today; one answered late.
    await _disputes(world, owner, a, (-1, "open"), (-30, "open"), (0, "open"), (-5, "corrected"))
    # Reviews: one open overdue; one open not yet due; one resolved past due.
    await _reviews(db, owner, a, (-2, "open"), (3, "open"), (-9, "resolved"))
    # Deliveries: three dead, one failed (still retrying), one delivered.
    d = OutboxStatus
    await _deliveries(db, a, d.DEAD, d.DEAD, d.DEAD, d.FAILED, d.DELIVERED)
    # Banks past commitment: A twice, B once (under review), C only withdrawn or answered.
    await application(db, a, cst(2026, 3, 2), 3)
    await application(db, a, cst(2026, 4, 2), 3, status=ApplicationStatus.SUBMITTED)
    await application(db, b, cst(2026, 5, 2), 3, status=ApplicationStatus.UNDER_REVIEW)
    await application(db, c, cst(2026, 3, 2), 3, withdrawn=cst(2026, 3, 20))
    await application(db, c, cst(2026, 3, 2), 3, decided=cst(2026, 3, 20))
    await db.commit()

    await login(client, "office@example.com")
    got = await client.get("/api/v1/office/alerts")
    assert got.status_code == 200, got.text
    body = got.json()
    alerts = _by_kind(body)
    assert {kind: alert["count"] for kind, alert in alerts.items()} == {
        "overdue_disputes": 2,
        "score_reviews": 1,
        "dead_letters": 3,
        "banks_past_commitment": 2,
        "pool_near_cap": 0,
    }
    assert alerts["overdue_disputes"]["severity"] == "critical"
    assert alerts["dead_letters"]["severity"] == "warning"
    assert alerts["banks_past_commitment"]["route"] == "/office/service-levels/overdue"
    assert alerts["overdue_disputes"]["route"] == "/office/disputes?filter=overdue"
    assert all(alert["label_zh"] and alert["label_en"] for alert in body["alerts"])
    assert [alert["severity"] for alert in body["alerts"]] == [
        "critical",
        "critical",
        "warning",
        "warning",
        "ok",  # the pool is clear: listed last
    ]
    assert body["open"] == 4


async def test_with_nothing_waiting_every_alert_is_listed_with_zero(
    client: AsyncTestClient[Litestar], world: World
) -> None:
    await world.user("office@example.com", Role.OFFICE)
    await login(client, "office@example.com")
    body = (await client.get("/api/v1/office/alerts")).json()
    assert body["open"] == 0
    assert {a["kind"]: (a["count"], a["severity"]) for a in body["alerts"]} == {
        kind: (0, "ok")
        for kind in (
            "overdue_disputes",
            "score_reviews",
            "dead_letters",
            "banks_past_commitment",
            "pool_near_cap",
        )
    }


async def test_a_new_source_joins_the_list_in_its_severity(db: AsyncSession, world: World) -> None:
    """How the risk-compensation pool's source is added: one more function in the registry."""
    office = await world.user("office@example.com", Role.OFFICE)

    async def pool_alerts(session: AsyncSession) -> list[Alert]:
        return [
            counted(
                AlertKind.POOL_NEAR_CAP, 1, AlertSeverity.INFO, "资金池", "Pool", "/office/pool"
            )
        ]

    principal = Principal(
        user_id=office.id, email=office.email, role=Role.OFFICE, enterprise_id=None, bank_id=None
    )
    listed = await OfficeAlerts(db, (*SOURCES, pool_alerts)).alerts(principal)
    assert listed.alerts[0].kind == AlertKind.POOL_NEAR_CAP  # the only one open
    assert listed.open == 1 and len(listed.alerts) == len(SOURCES) + 1
