"""Serving: a new snapshot is scored by a job, scoring is idempotent per (snapshot, model), the
batch scores every enterprise's latest snapshot, and nothing is scored without a model."""

from __future__ import annotations

import asyncio
import dataclasses
import datetime as dt
from pathlib import Path
from typing import Any

import pytest
from litestar.testing import AsyncTestClient
from sqlalchemy import func, select, text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncSession

from tests.conftest import World, login
from tests.domain.scoring.conftest import manifest_of, variant
from xinyidai.app import create_app
from xinyidai.domain.profiles import snapshots
from xinyidai.domain.scoring import features as fx
from xinyidai.domain.scoring import registry
from xinyidai.domain.scoring.services import score_all, score_snapshot
from xinyidai.infra.db import create_engine, session_factory
from xinyidai.models import CreditScore, Enterprise
from xinyidai.settings import Settings


async def _count(db: AsyncSession, **where: object) -> int:
    stmt = select(func.count()).select_from(CreditScore)
    for column, value in where.items():
        stmt = stmt.where(getattr(CreditScore, column) == value)
    return int(await db.scalar(stmt) or 0)


async def test_a_snapshot_is_scored_once_per_model(
    db: AsyncSession, scene: Enterprise, model: str
) -> None:
    snapshot = await snapshots.latest(db, scene.id)
    assert snapshot is not None
    stored = await score_snapshot(db, snapshot.id)
    await db.commit()
    assert stored is not None
    assert stored.model_version == model
    assert (stored.enterprise_id, stored.snapshot_version) == (scene.id, snapshot.version)
    assert 300 <= stored.score <= 900 and 0 < stored.pd < 1
    bundle = await registry.active_bundle(db)
    assert bundle is not None
    grades = [g["grade"] for g in bundle.manifest["grades"]]
    assert stored.grade in grades
    assert len(stored.features) == len(fx.FEATURE_NAMES)
    # The stored features are what the feature contract computes from the snapshot.
    expected = [None if v != v else v for v in fx.vector(snapshot.content).tolist()]
    assert stored.features == pytest.approx(expected, nan_ok=True)
    if stored.grade != grades[0]:
        assert stored.reasons and all(r["text_zh"] and r["text_en"] for r in stored.reasons)
    again = await score_snapshot(db, snapshot.id)
    await db.commit()
    assert again is not None and again.id == stored.id
    assert await _count(db, snapshot_id=snapshot.id) == 1


async def test_stored_scores_are_immutable(db: AsyncSession, scene: Enterprise, model: str) -> None:
    snapshot = await snapshots.latest(db, scene.id)
    assert snapshot is not None
    await score_snapshot(db, snapshot.id)
    await db.commit()
    with pytest.raises(DBAPIError, match="immutable"):
        await db.execute(text("UPDATE credit_scores SET score = 900"))
    await db.rollback()


async def test_without_an_active_model_nothing_is_scored(
    db: AsyncSession, scene: Enterprise
) -> None:
    snapshot = await snapshots.latest(db, scene.id)
    assert snapshot is not None
    assert await score_snapshot(db, snapshot.id) is None
    assert await _count(db) == 0


async def test_a_new_snapshot_is_scored_by_a_job(
    settings: Settings, world: World, db: AsyncSession, model: str
) -> None:
    """The SME authorizes a family: the profile is rebuilt in the request, and once it is
    committed a job scores the new version (the worker runs in process)."""
    from xinyidai.models import Role

    sme = await world.enterprise()
    await world.user("owner@example.com", Role.SME, sme.uscc)
    live = dataclasses.replace(settings, worker_in_process=True)
    async with AsyncTestClient(app=create_app(live), base_url="https://testserver.local") as c:
        await login(c, "owner@example.com")
        granted = await c.post(
            f"/api/v1/enterprises/{sme.id}/data-authorizations",
            json={
                "families": ["water"],
                "purpose": "申请信用贷款",
                "expires_at": (dt.datetime.now(dt.UTC) + dt.timedelta(days=90)).isoformat(),
            },
        )
        assert granted.status_code == 201, granted.text
        profile = (await c.get(f"/api/v1/enterprises/{sme.id}/profile")).json()
        body: dict[str, Any] | None = None
        for _ in range(100):
            response = await c.get(f"/api/v1/enterprises/{sme.id}/score")
            assert response.status_code == 200, response.text  # null until the job has run
            body = response.json()
            if body is not None and body["snapshot_version"] == profile["version"]:
                break
            await asyncio.sleep(0.1)
        assert body is not None and body["snapshot_version"] == profile["version"], body
        assert body["model_version"] == model
        assert body["current"] is True


async def _many(world: World, db: AsyncSession, n: int) -> list[Enterprise]:
    firms = []
    for _ in range(n):
        firm = await world.enterprise()
        await snapshots.rebuild(db, firm.id, "test")
        firms.append(firm)
    await db.commit()
    return firms


async def test_the_batch_scores_every_latest_snapshot_once(
    settings: Settings, world: World, db: AsyncSession, bundle_dir: Path, tmp_path: Path, model: str
) -> None:
    firms = await _many(world, db, 23)
    # One firm gets a second version: only that one is scored.
    await world.record(firms[0].uscc)
    await snapshots.rebuild(db, firms[0].id, "record_added")
    await db.commit()
    assert settings.database_url
    engine = create_engine(settings, settings.database_url)
    sessions = session_factory(engine)
    try:
        report = await score_all(sessions, batch_size=5)
        assert (report.model_version, report.enterprises, report.scored) == (model, 23, 23)
        assert await _count(db) == 23
        assert await _count(db, enterprise_id=firms[0].id, snapshot_version=2) == 1
        again = await score_all(sessions, batch_size=5)
        assert (again.enterprises, again.scored, again.unchanged) == (23, 0, 23)
        recomputed = await score_all(sessions, batch_size=100, recompute=True)
        assert (recomputed.scored, recomputed.unchanged) == (0, 23)
        # A new model: every latest snapshot is scored again, with it.
        newer = variant(
            bundle_dir, tmp_path / "newer", version=manifest_of(bundle_dir)["version"] + "-n"
        )
        registered = await registry.register(db, newer, "test")
        await registry.activate(db, registered.version, "test", "newer")
        await db.commit()
        # In worker processes (each loads the bundle from the stored bytes): the same scores.
        fresh = await score_all(sessions, batch_size=7, processes=2)
        assert (fresh.model_version, fresh.scored) == (registered.version, 23)
        pairs = {
            (s.snapshot_id, s.model_version): (s.score, s.grade, s.features)
            for s in (await db.scalars(select(CreditScore))).all()
        }
        for (snapshot_id, version), value in pairs.items():
            if version == registered.version:
                assert value[:2] == pairs[(snapshot_id, model)][:2]
                assert value[2] == pytest.approx(pairs[(snapshot_id, model)][2], nan_ok=True)
        assert await _count(db, model_version=registered.version) == 23
    finally:
        await engine.dispose()
    # The batch and the single path agree.
    snapshot = await snapshots.latest(db, firms[3].id)
    assert snapshot is not None
    batch = await db.scalar(
        select(CreditScore).where(
            CreditScore.snapshot_id == snapshot.id, CreditScore.model_version == model
        )
    )
    active = await registry.active_bundle(db)
    assert active is not None
    single = active.score(snapshot.content)
    assert batch is not None
    assert (batch.score, batch.grade) == (single.score, single.grade)
    assert float(batch.pd) == pytest.approx(single.pd, abs=1e-8)


async def test_the_batch_without_a_model_does_nothing(
    settings: Settings, world: World, db: AsyncSession
) -> None:
    await _many(world, db, 2)
    assert settings.database_url
    engine = create_engine(settings, settings.database_url)
    try:
        report = await score_all(session_factory(engine))
    finally:
        await engine.dispose()
    assert report.model_version is None and report.scored == 0
    assert await _count(db) == 0
