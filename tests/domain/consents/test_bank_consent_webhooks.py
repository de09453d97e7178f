"""Banks hear what happens to the consents they hold and the profiles behind them: a revoked
or expired consent, a new profile version; each event once, only to the bank concerned."""

from __future__ import annotations

import datetime as dt
from uuid import UUID

from litestar import Litestar
from litestar.testing import AsyncTestClient
from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from tests.conftest import World, login
from tests.oauth_fixtures import Scene, bank_id, consent
from xinyidai.domain.consents.bank_consents import BankConsentService
from xinyidai.domain.profiles import snapshots
from xinyidai.models import BankConsent, WebhookDelivery, WebhookEndpoint


async def _hooks(db: AsyncSession, app: AsyncTestClient[Litestar]) -> dict[str, UUID]:
    """Both banks listen (their endpoints written as a bank user's PUT would)."""
    await login(app, "owner@example.com")
    ids = {code: UUID(await bank_id(app, code)) for code in ("BANK_A", "BANK_B")}
    app.cookies.clear()
    for code, bank in ids.items():
        db.add(WebhookEndpoint(bank_id=bank, url=f"https://hooks.{code.lower()}.example/xyd"))
    await db.commit()
    return ids


async def _events(db: AsyncSession, bank: UUID) -> list[tuple[str, dict[str, object]]]:
    rows = await db.scalars(
        select(WebhookDelivery)
        .where(WebhookDelivery.bank_id == bank)
        .order_by(WebhookDelivery.created_at)
    )
    return [(str(r.event_type), r.payload) for r in rows]


async def test_a_revocation_and_a_new_profile_version_reach_the_bank_that_holds_the_consent(
    oauth_app: AsyncTestClient[Litestar], bank_scene: Scene, db: AsyncSession, world: World
) -> None:
    banks = await _hooks(db, oauth_app)
    granted = await consent(oauth_app, bank_scene.sme, bank_scene.bank_a, ["tax"])
    await world.record(bank_scene.sme.uscc)
    assert await snapshots.rebuild(db, bank_scene.sme.id, "public_import") is not None
    await db.commit()
    await login(oauth_app, "owner@example.com")
    url = f"/api/v1/enterprises/{bank_scene.sme.id}/bank-consents/{granted['id']}"
    assert (await oauth_app.delete(url)).status_code == 200

    events = await _events(db, banks["BANK_A"])
    assert [kind for kind, _ in events] == ["profile.updated", "consent.revoked"]
    assert events[0][1]["uscc"] == bank_scene.sme.uscc
    assert events[1][1]["consent_id"] == granted["id"]
    assert await _events(db, banks["BANK_B"]) == []


async def test_an_expired_consent_is_told_once(
    oauth_app: AsyncTestClient[Litestar], bank_scene: Scene, db: AsyncSession
) -> None:
    banks = await _hooks(db, oauth_app)
    granted = await consent(oauth_app, bank_scene.sme, bank_scene.bank_a, ["tax"])
    hour_ago = dt.datetime.now(dt.UTC) - dt.timedelta(hours=1)
    await db.execute(
        update(BankConsent).values(created_at=hour_ago - dt.timedelta(days=1), expires_at=hour_ago)
    )
    await db.commit()
    for _ in range(2):  # the hourly job, twice
        await BankConsentService(db).notify_expired(within=dt.timedelta(days=2))
        await db.commit()
    events = await _events(db, banks["BANK_A"])
    assert [kind for kind, _ in events] == ["consent.expired"]
    assert events[0][1]["consent_id"] == granted["id"]
