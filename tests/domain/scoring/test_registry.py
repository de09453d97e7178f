"""The model registry: bundles stored in the database, refused when their feature hash differs
from the code, immutable per version; activations audited; the active bundle cached."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import anyio.to_thread
import pytest
from click.testing import CliRunner, Result
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from tests.domain.scoring.conftest import manifest_of, variant
from xinyidai.cli import main
from xinyidai.domain.scoring import features as fx
from xinyidai.domain.scoring import registry
from xinyidai.domain.scoring.bundle import ModelBundle, sha256_text
from xinyidai.infra.errors import Conflict, InvalidInput, NotFound
from xinyidai.models import Enterprise, ModelActivation, ModelVersion
from xinyidai.settings import Settings


async def test_a_bundle_is_stored_with_its_bytes_and_hashes(
    db: AsyncSession, bundle_dir: Path
) -> None:
    registered = await registry.register(db, bundle_dir, "alice")
    await db.commit()
    assert registered.created
    row = await db.get(ModelVersion, registered.version)
    assert row is not None
    model_text = (bundle_dir / "model.txt").read_text(encoding="utf-8")
    assert row.model_text == model_text
    assert row.model_sha256 == sha256_text(model_text)
    assert row.manifest == manifest_of(bundle_dir)
    assert row.feature_hash == fx.FEATURE_HASH
    assert row.registered_by == "alice"
    # The stored bytes load into the same model.
    loaded = ModelBundle.from_files(row.model_text, row.manifest)
    assert loaded.version == registered.version


async def test_registering_the_same_bytes_again_changes_nothing(
    db: AsyncSession, bundle_dir: Path
) -> None:
    first = await registry.register(db, bundle_dir, "alice")
    await db.commit()
    again = await registry.register(db, bundle_dir, "bob")
    await db.commit()
    assert (first.created, again.created) == (True, False)
    assert await db.scalar(select(func.count()).select_from(ModelVersion)) == 1
    row = await db.get(ModelVersion, first.version)
    assert row is not None and row.registered_by == "alice"


async def test_a_version_never_changes_its_bytes(
    db: AsyncSession, bundle_dir: Path, tmp_path: Path
) -> None:
    await registry.register(db, bundle_dir, "alice")
    await db.commit()
    altered = variant(bundle_dir, tmp_path / "altered", sample={"note": "other training run"})
    with pytest.raises(Conflict, match="already registered with other bytes"):
        await registry.register(db, altered, "mallory")
    await db.rollback()


async def test_a_bundle_with_another_feature_hash_is_refused(
    db: AsyncSession, bundle_dir: Path, tmp_path: Path
) -> None:
    tampered = variant(bundle_dir, tmp_path / "tampered", feature_hash="0" * 64)
    with pytest.raises(InvalidInput) as refused:
        await registry.register(db, tampered, "mallory")
    assert "feature code" in refused.value.detail
    await db.rollback()
    assert await db.scalar(select(func.count()).select_from(ModelVersion)) == 0


async def test_activations_switch_the_model_and_are_audited(
    db: AsyncSession, bundle_dir: Path, tmp_path: Path
) -> None:
    first = await registry.register(db, bundle_dir, "alice")
    second_dir = variant(
        bundle_dir, tmp_path / "second", version=manifest_of(bundle_dir)["version"] + "-b"
    )
    second = await registry.register(db, second_dir, "alice")
    await db.commit()
    assert await registry.active_version(db) is None
    await registry.activate(db, first.version, "alice", "first model")
    await db.commit()
    await registry.activate(db, second.version, "bob", "better OOT AUC")
    await db.commit()
    assert await registry.active_version(db) == second.version
    trail = (await db.scalars(select(ModelActivation).order_by(ModelActivation.id))).all()
    assert [(a.version, a.previous_version, a.actor, a.reason) for a in trail] == [
        (first.version, None, "alice", "first model"),
        (second.version, first.version, "bob", "better OOT AUC"),
    ]
    with pytest.raises(Conflict, match="already the active model"):
        await registry.activate(db, second.version, "bob", "again")
    await db.rollback()
    overview = await registry.overview(db)
    assert overview.active == second.version
    assert {v.version: v.active for v in overview.versions} == {
        first.version: False,
        second.version: True,
    }
    assert [a.version for a in overview.activations] == [second.version, first.version]


async def test_unknown_and_incompatible_versions_are_not_activated(
    db: AsyncSession, bundle_dir: Path
) -> None:
    with pytest.raises(NotFound):
        await registry.activate(db, "no-such-version", "alice")
    await db.rollback()
    # A model registered under older feature code (its stored hash differs from the code's).
    manifest = {**manifest_of(bundle_dir), "version": "old-features", "feature_hash": "1" * 64}
    db.add(
        ModelVersion(
            version="old-features",
            manifest=manifest,
            model_text=(bundle_dir / "model.txt").read_text(encoding="utf-8"),
            model_sha256="0" * 64,
            manifest_sha256="0" * 64,
            feature_hash="1" * 64,
            created_at=dt.datetime.now(dt.UTC),
            registered_by="history",
        )
    )
    await db.commit()
    with pytest.raises(Conflict, match="retrain"):
        await registry.activate(db, "old-features", "alice")
    await db.rollback()
    assert await registry.active_version(db) is None
    assert (await registry.overview(db)).versions[0].compatible is False


async def test_the_active_bundle_is_loaded_from_the_database_once(
    db: AsyncSession, model: str
) -> None:
    registry._bundles.clear()
    first = await registry.active_bundle(db)
    second = await registry.active_bundle(db)
    assert first is not None and first is second
    assert first.version == model


async def test_no_active_model_means_no_bundle(db: AsyncSession) -> None:
    assert await registry.active_bundle(db) is None


@pytest.fixture
def cli_env(monkeypatch: pytest.MonkeyPatch, settings: Settings) -> CliRunner:
    assert settings.database_url and settings.redis_url
    monkeypatch.setenv("DATABASE_URL", settings.database_url)
    monkeypatch.setenv("REDIS_URL", settings.redis_url)
    monkeypatch.setenv("ENV", "test")
    return CliRunner()


async def test_the_model_commands(
    cli_env: CliRunner,
    db: AsyncSession,
    bundle_dir: Path,
    tmp_path: Path,
    scene: Enterprise,
) -> None:
    async def run(*args: str) -> Result:
        return await anyio.to_thread.run_sync(lambda: cli_env.invoke(main, list(args)))

    version = manifest_of(bundle_dir)["version"]
    nothing = await run("score", "all")
    assert nothing.exit_code != 0 and "no scoring model is active" in nothing.output
    registered = await run("model", "register", str(bundle_dir))
    assert registered.exit_code == 0, registered.output
    assert version in registered.output
    tampered = variant(bundle_dir, tmp_path / "tampered", feature_hash="f" * 64)
    refused = await run("model", "register", str(tampered))
    assert refused.exit_code != 0 and "feature code" in refused.output
    activated = await run("model", "activate", version, "--reason", "first", "--actor", "ops")
    assert activated.exit_code == 0, activated.output
    listed = await run("model", "list")
    assert listed.exit_code == 0 and version in listed.output and "ops" in listed.output
    scored = await run("score", "all", "--batch-size", "1")
    assert scored.exit_code == 0, scored.output
    assert "2 new scores" in scored.output
    again = await run("score", "all")
    assert "0 new scores, 2 already scored" in again.output
    assert await db.scalar(select(func.count()).select_from(ModelActivation)) == 1
