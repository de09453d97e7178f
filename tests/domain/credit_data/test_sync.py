"""Syncing an SME's authorized families from the (sandbox) data provider."""

from __future__ import annotations

import asyncio
import dataclasses
import datetime as dt
from typing import Any
from uuid import UUID

import pytest
from joserfc.jwk import ECKey
from litestar.testing import AsyncTestClient
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from tests.conftest import World, login, no_queue
from tests.provider_fixtures import PLATFORM_SIGNER, RunningSandbox, established, find_firm
from xinyidai.app import create_app
from xinyidai.dates import months_back
from xinyidai.domain.credit_data.sync import execute_sync, queue_sync
from xinyidai.domain.profiles import snapshots
from xinyidai.domain.providers.base import DataProvider
from xinyidai.domain.providers.http import HttpDataProvider
from xinyidai.infra.signing import Signer
from xinyidai.models import (
    DataAuthorization,
    ElectricityMonthly,
    Enterprise,
    Role,
    SyncRun,
    TaxMonthly,
    User,
    WaterMonthly,
)
from xinyidai.settings import Settings


@pytest.fixture
async def firm(world: World) -> tuple[Enterprise, User]:
    uscc = find_firm(established)
    enterprise = await world.enterprise(uscc=uscc)
    user = await world.user("owner@example.com", Role.SME, uscc)
    return enterprise, user


async def _sync(
    db: AsyncSession,
    sessions: async_sessionmaker[AsyncSession],
    provider: DataProvider,
    enterprise_id: UUID,
    signer: Signer = PLATFORM_SIGNER,
) -> SyncRun:
    run = await queue_sync(db, no_queue, enterprise_id, trigger="test")
    await db.commit()
    done = await execute_sync(sessions, provider, run.id, signer=signer)
    assert done is not None
    return done


async def _count(
    db: AsyncSession, model: type[TaxMonthly | ElectricityMonthly], enterprise_id: UUID
) -> int:
    counted = await db.execute(
        select(func.count()).select_from(model).where(model.enterprise_id == enterprise_id)
    )
    return counted.scalar_one()


async def test_a_sync_stores_36_months_of_each_authorized_family_with_provenance(
    db: AsyncSession,
    world: World,
    sessions: async_sessionmaker[AsyncSession],
    sandbox: RunningSandbox,
    sandbox_provider: HttpDataProvider,
    firm: tuple[Enterprise, User],
) -> None:
    enterprise, user = firm
    auth = await world.authorize(enterprise.id, ["tax"], user.id)
    run = await _sync(db, sessions, sandbox_provider, enterprise.id)
    assert run.status == "done" and run.families == ["tax"]
    assert run.records_added == 36
    rows = (
        await db.scalars(
            select(TaxMonthly)
            .where(TaxMonthly.enterprise_id == enterprise.id)
            .order_by(TaxMonthly.period)
        )
    ).all()
    first, last = snapshots.window(dt.date.today())
    assert [r.period for r in rows] == sorted(months_back(last, 36))
    assert rows[0].period == first
    assert all(
        r.authorization_id == auth.id and r.source == "sandbox" and r.provider_ref for r in rows
    )
    assert sandbox.calls(enterprise.uscc, "electricity") == 0  # never authorized, never asked
    profile = await snapshots.latest(db, enterprise.id)
    assert profile is not None
    assert len(profile.content["families"]["tax"]["months"]) == 36
    assert profile.reason == "sync"


async def test_every_call_carries_a_signed_receipt_of_its_authorization(
    db: AsyncSession,
    world: World,
    sessions: async_sessionmaker[AsyncSession],
    settings: Settings,
    sandbox: RunningSandbox,
    sandbox_provider: HttpDataProvider,
    firm: tuple[Enterprise, User],
) -> None:
    enterprise, user = firm
    energy = await world.authorize(enterprise.id, ["tax", "electricity"], user.id)
    water = await world.authorize(enterprise.id, ["water"], user.id, days=30)
    signer = Signer.from_settings(settings)
    assert signer.jwks() == PLATFORM_SIGNER.jwks(), "the sandbox knows the test platform's keys"
    run = await _sync(db, sessions, sandbox_provider, enterprise.id, signer=signer)
    assert run.status == "done" and sorted(run.families) == ["electricity", "tax", "water"]

    kept = {entry["released"]["family"]: entry for entry in sandbox.released()}
    assert sorted(kept) == ["electricity", "tax", "water"]
    for family, auth in (("tax", energy), ("electricity", energy), ("water", water)):
        claims = kept[family]["claims"]
        assert claims["uscc"] == enterprise.uscc
        assert claims["legal_rep"] == enterprise.legal_rep_name
        assert claims["families"] == sorted(auth.families)
        assert claims["purpose"] == auth.purpose
        assert claims["authorization"]["id"] == str(auth.id)
        assert claims["authorization"]["reference"] == auth.reference
        assert claims["iss"] == settings.issuer and claims["aud"] == sandbox.url
    assert kept["tax"]["jti"] == kept["electricity"]["jti"], "one receipt per authorization"
    assert kept["water"]["jti"] != kept["tax"]["jti"]

    # Each stored month names the authorization it was released under, as the provider kept it.
    for model, auth in ((TaxMonthly, energy), (WaterMonthly, water)):
        rows = (await db.scalars(select(model).where(model.enterprise_id == enterprise.id))).all()
        assert rows and {r.authorization_id for r in rows} == {auth.id}
        family = model.__tablename__.removeprefix("series_")
        assert {r.provider_ref for r in rows} == set(kept[family]["released"]["refs"])


async def test_a_provider_that_cannot_verify_the_receipts_releases_nothing(
    db: AsyncSession,
    world: World,
    sessions: async_sessionmaker[AsyncSession],
    sandbox: RunningSandbox,
    sandbox_provider: HttpDataProvider,
    firm: tuple[Enterprise, User],
) -> None:
    enterprise, user = firm
    await world.authorize(enterprise.id, ["tax", "electricity"], user.id)
    unknown = Signer(ECKey.generate_key("P-256"), issuer=PLATFORM_SIGNER.issuer)
    run = await _sync(db, sessions, sandbox_provider, enterprise.id, signer=unknown)
    assert run.status == "failed" and run.families == []
    assert run.error is not None
    assert run.error.count("receipt_unknown_key") == 2
    assert sandbox.calls(enterprise.uscc, "tax") == 1, "a refused receipt is not retried"
    assert sandbox.released() == []
    assert await _count(db, TaxMonthly, enterprise.id) == 0


async def test_syncing_again_changes_nothing(
    db: AsyncSession,
    world: World,
    sessions: async_sessionmaker[AsyncSession],
    sandbox_provider: HttpDataProvider,
    firm: tuple[Enterprise, User],
) -> None:
    enterprise, user = firm
    await world.authorize(enterprise.id, ["tax", "electricity"], user.id)
    first = await _sync(db, sessions, sandbox_provider, enterprise.id)
    before = await snapshots.latest(db, enterprise.id)
    assert before is not None
    version = before.version
    second = await _sync(db, sessions, sandbox_provider, enterprise.id)
    assert first.records_added > 0
    assert second.records_added == 0 and second.status == "done"
    after = await snapshots.latest(db, enterprise.id)
    assert after is not None
    assert after.version == version


@pytest.mark.parametrize("ending", ["revoked", "expired"])
async def test_ended_authorizations_mean_the_provider_is_never_called(
    db: AsyncSession,
    world: World,
    sessions: async_sessionmaker[AsyncSession],
    sandbox: RunningSandbox,
    sandbox_provider: HttpDataProvider,
    firm: tuple[Enterprise, User],
    ending: str,
) -> None:
    enterprise, user = firm
    auth = await world.authorize(enterprise.id, ["tax", "electricity"], user.id)
    now = dt.datetime.now(dt.UTC)
    if ending == "revoked":
        auth.revoked_at = now
    else:
        auth.created_at = now - dt.timedelta(days=30)
        auth.expires_at = now - dt.timedelta(seconds=1)
    db.add(auth)
    await db.commit()
    run = await _sync(db, sessions, sandbox_provider, enterprise.id)
    assert run.families == [] and run.records_added == 0
    assert sandbox.total_calls() == 0
    assert await _count(db, TaxMonthly, enterprise.id) == 0


async def test_a_timeout_and_a_500_are_retried(
    db: AsyncSession,
    world: World,
    sessions: async_sessionmaker[AsyncSession],
    sandbox: RunningSandbox,
    sandbox_provider: HttpDataProvider,
    firm: tuple[Enterprise, User],
) -> None:
    enterprise, user = firm
    await world.authorize(enterprise.id, ["tax"], user.id)
    sandbox.faults.arm("timeout").arm("error_500")
    run = await _sync(db, sessions, sandbox_provider, enterprise.id)
    assert run.status == "done" and run.records_added == 36
    assert sandbox.calls(enterprise.uscc, "tax") == 3


async def test_a_provider_that_stays_down_fails_the_run_and_stores_nothing(
    db: AsyncSession,
    world: World,
    sessions: async_sessionmaker[AsyncSession],
    sandbox: RunningSandbox,
    sandbox_provider: HttpDataProvider,
    firm: tuple[Enterprise, User],
) -> None:
    enterprise, user = firm
    await world.authorize(enterprise.id, ["tax"], user.id)
    sandbox.faults.always("error_503")
    run = await _sync(db, sessions, sandbox_provider, enterprise.id)
    assert run.status == "failed"
    assert run.error is not None
    assert "tax" in run.error
    assert await _count(db, TaxMonthly, enterprise.id) == 0


async def test_garbage_is_rejected_and_never_stored(
    db: AsyncSession,
    world: World,
    sessions: async_sessionmaker[AsyncSession],
    sandbox: RunningSandbox,
    sandbox_provider: HttpDataProvider,
    firm: tuple[Enterprise, User],
) -> None:
    enterprise, user = firm
    await world.authorize(enterprise.id, ["electricity", "tax"], user.id)
    sandbox.faults.arm("not_json")  # the first family asked (electricity) gets an HTML page
    run = await _sync(db, sessions, sandbox_provider, enterprise.id)
    assert run.status == "done"
    assert run.families == ["tax"]
    assert run.error is not None
    assert "electricity" in run.error
    assert await _count(db, ElectricityMonthly, enterprise.id) == 0
    assert await _count(db, TaxMonthly, enterprise.id) == 36


async def test_one_bad_month_is_rejected_and_the_good_ones_kept(
    db: AsyncSession,
    world: World,
    sessions: async_sessionmaker[AsyncSession],
    sandbox: RunningSandbox,
    sandbox_provider: HttpDataProvider,
    firm: tuple[Enterprise, User],
) -> None:
    enterprise, user = firm
    await world.authorize(enterprise.id, ["tax"], user.id)
    sandbox.faults.arm("negative_value")
    run = await _sync(db, sessions, sandbox_provider, enterprise.id)
    assert run.records_added == 35
    assert run.error is not None
    assert "tax" in run.error and "negative" in run.error.lower()


async def test_the_sync_endpoint_runs_a_real_job(
    settings: Settings, world: World, sandbox: RunningSandbox, firm: tuple[Enterprise, User]
) -> None:
    enterprise, _ = firm
    live = dataclasses.replace(
        settings, worker_in_process=True, provider_url=sandbox.url, provider_timeout=2.0
    )
    sandbox.reset()
    async with AsyncTestClient(app=create_app(live), base_url="https://testserver.local") as c:
        await login(c, "owner@example.com")
        granted = await c.post(
            f"/api/v1/enterprises/{enterprise.id}/data-authorizations",
            json={
                "families": ["tax"],
                "purpose": "申请信用贷款",
                "expires_at": (dt.datetime.now(dt.UTC) + dt.timedelta(days=90)).isoformat(),
            },
        )
        assert granted.status_code == 201
        job = f"/api/v1/enterprises/{enterprise.id}/sync/{granted.json()['sync_job_id']}"
        state: dict[str, Any] = {}
        for _ in range(100):
            state = (await c.get(job)).json()
            if state["status"] in ("done", "failed"):
                break
            await asyncio.sleep(0.2)
        assert state["status"] == "done", state
        assert state["records_added"] == 36
        manual = await c.post(f"/api/v1/enterprises/{enterprise.id}/sync")
        assert manual.status_code == 202
        assert manual.json()["status"] == "queued"
    assert DataAuthorization.__tablename__


async def test_an_unverified_enterprise_has_nothing_fetched_whatever_its_authorizations(
    db: AsyncSession,
    world: World,
    sessions: async_sessionmaker[AsyncSession],
    sandbox: RunningSandbox,
    sandbox_provider: HttpDataProvider,
) -> None:
    uscc = find_firm(established)
    enterprise = await world.enterprise(uscc=uscc)
    user = await world.user("claimant@example.com", Role.SME, uscc, verified=False)
    await world.authorize(enterprise.id, ["tax", "water"], user.id)  # as if it could authorize

    run = await _sync(db, sessions, sandbox_provider, enterprise.id)

    assert run.status == "failed"
    assert run.error is not None
    assert "not verified" in run.error
    assert sandbox.total_calls() == 0
    assert await _count(db, TaxMonthly, enterprise.id) == 0
