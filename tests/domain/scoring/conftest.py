"""Scoring fixtures: a real bundle (trained once per session in ``tests/conftest.py``),
registered and activated in the test's database, and a small world of SMEs, a bank and the
office."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy.ext.asyncio import AsyncSession

from tests.conftest import World
from xinyidai.domain.profiles import snapshots
from xinyidai.domain.scoring import registry
from xinyidai.models import Enterprise, Role


def variant(source: Path, target: Path, **changes: Any) -> Path:
    """A copy of the bundle in ``source`` with manifest keys changed."""
    target.mkdir(parents=True, exist_ok=True)
    shutil.copy(source / "model.txt", target / "model.txt")
    manifest = json.loads((source / "manifest.json").read_text(encoding="utf-8"))
    manifest.update(changes)
    (target / "manifest.json").write_text(json.dumps(manifest, ensure_ascii=False), "utf-8")
    return target


def manifest_of(directory: Path) -> dict[str, Any]:
    manifest: dict[str, Any] = json.loads((directory / "manifest.json").read_text(encoding="utf-8"))
    return manifest


@pytest.fixture
async def model(db: AsyncSession, bundle_dir: Path) -> str:
    """The quick bundle, registered and active."""
    registered = await registry.register(db, bundle_dir, "test")
    await registry.activate(db, registered.version, "test", "tests need a model")
    await db.commit()
    return registered.version


@pytest.fixture
async def scene(world: World, db: AsyncSession) -> Enterprise:
    """SME A (with a record and an authorization, its profile built), SME B, a bank, the
    office; returns A."""
    sme = await world.enterprise()
    other = await world.enterprise()
    owner = await world.user("owner@example.com", Role.SME, sme.uscc)
    await world.user("other@example.com", Role.SME, other.uscc)
    await world.bank("BANK_A")
    await world.user("banker@example.com", Role.BANK, "BANK_A")
    await world.user("office@example.com", Role.OFFICE)
    await world.record(sme.uscc)
    await world.authorize(sme.id, ["tax", "electricity"], owner.id)
    await snapshots.rebuild(db, sme.id, "test")
    await snapshots.rebuild(db, other.id, "test")
    await db.commit()
    return sme
