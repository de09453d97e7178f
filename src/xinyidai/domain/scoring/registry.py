"""The model registry: bundles stored in the database, activations with an audit trail, and the
active bundle, loaded once per process.

A bundle's two files are stored as they are (``model_versions.model_text`` and ``manifest``),
so every API and worker process scores with the same bytes, whatever is on its disk. A
version, once registered, never changes: registering it again with the same bytes does
nothing, with other bytes is a conflict. The active model is the latest activation's version;
switching writes an audit row (who, why, from which version).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import anyio.to_thread
import msgspec
import structlog
from sqlalchemy import func, select, text

from xinyidai.dates import utc_now
from xinyidai.domain.accounts.guards import require_office
from xinyidai.domain.scoring import features as fx
from xinyidai.domain.scoring.bundle import BundleError, ModelBundle, sha256_text
from xinyidai.domain.scoring.schemas import ActivationOut, ModelsOut, ModelVersionOut
from xinyidai.infra.errors import Conflict, InvalidInput, NotFound
from xinyidai.models import ModelActivation, ModelVersion

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncSession

    from xinyidai.domain.accounts.guards import Principal

log = structlog.get_logger(__name__)
_ACTIVATION_LOCK = 0x58594453434F5245  # pg_advisory_xact_lock key: activations one at a time
_CACHE_SIZE = 3


class NoActiveModel(Conflict):
    """Scoring needs a model and none is active."""

    def __init__(self) -> None:
        super().__init__(
            "no scoring model is active; register and activate one "
            "(`xinyidai model register DIR`, `xinyidai model activate VERSION`)"
        )


def manifest_sha256(manifest: dict[str, Any]) -> str:
    """SHA-256 of the manifest's canonical JSON (sorted keys): stable across the JSONB trip."""
    return hashlib.sha256(msgspec.json.encode(manifest, order="sorted")).hexdigest()


@dataclass(frozen=True, slots=True)
class Registered:
    version: str
    created: bool  # False: the same bytes were already registered


async def register(session: AsyncSession, directory: Path, actor: str) -> Registered:
    """Store the bundle in ``directory``; refused when its feature hash differs from the code."""
    try:
        bundle = await anyio.to_thread.run_sync(ModelBundle.load, directory)
    except BundleError as exc:
        raise InvalidInput.field("bundle", str(exc), "bundle_refused") from None
    model_hash = sha256_text(bundle.model_text)
    manifest_hash = manifest_sha256(bundle.manifest)
    # Serialise registrations of one version: the second waits and then sees the first.
    await session.execute(
        text("SELECT pg_advisory_xact_lock(hashtext(:key))"), {"key": f"model:{bundle.version}"}
    )
    existing = await session.get(ModelVersion, bundle.version)
    if existing is not None:
        if (existing.model_sha256, existing.manifest_sha256) == (model_hash, manifest_hash):
            return Registered(bundle.version, created=False)
        raise Conflict(
            f"model version {bundle.version} is already registered with other bytes; "
            "a version never changes: train a new one"
        )
    session.add(
        ModelVersion(
            version=bundle.version,
            manifest=bundle.manifest,
            model_text=bundle.model_text,
            model_sha256=model_hash,
            manifest_sha256=manifest_hash,
            feature_hash=str(bundle.manifest["feature_hash"]),
            created_at=utc_now(),
            registered_by=actor,
        )
    )
    await session.flush()
    log.info("model_registered", version=bundle.version, actor=actor)
    return Registered(bundle.version, created=True)


ACTIVE_VERSION = (
    select(ModelActivation.version)
    .order_by(ModelActivation.at.desc(), ModelActivation.id.desc())
    .limit(1)
)
"""The active model's version: the latest activation's."""


async def active_version(session: AsyncSession) -> str | None:
    return await session.scalar(ACTIVE_VERSION)


async def activate(
    session: AsyncSession, version: str, actor: str, reason: str = ""
) -> ModelActivation:
    """Make ``version`` the active model, with an audit row. Refuses unknown versions and
    bundles that the running feature code cannot serve."""
    await session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _ACTIVATION_LOCK})
    row = await session.get(ModelVersion, version)
    if row is None:
        raise NotFound(f"no registered model version {version!r}")
    if row.feature_hash != fx.FEATURE_HASH:
        raise Conflict(
            f"model {version} was trained with feature code {row.feature_hash[:12]}…; this "
            f"service runs {fx.FEATURE_HASH[:12]}…: retrain it before activating"
        )
    try:  # the stored bytes must load, not only carry the right hash
        await _load(row)
    except BundleError as exc:
        raise Conflict(f"model {version} cannot be served: {exc}") from None
    previous = await active_version(session)
    if previous == version:
        raise Conflict(f"model {version} is already the active model")
    activation = ModelActivation(
        version=version,
        previous_version=previous,
        actor=actor,
        reason=reason,
        at=utc_now(),
    )
    session.add(activation)
    await session.flush()
    log.info("model_activated", version=version, previous=previous, actor=actor)
    return activation


# --- the active bundle, once per process ------------------------------------------------------
_bundles: dict[str, ModelBundle] = {}


async def _load(row: ModelVersion) -> ModelBundle:
    bundle = _bundles.get(row.version)
    if bundle is None:
        bundle = await anyio.to_thread.run_sync(
            ModelBundle.from_files, row.model_text, row.manifest
        )
        while len(_bundles) >= _CACHE_SIZE:
            _bundles.pop(next(iter(_bundles)))
        _bundles[row.version] = bundle
    return bundle


async def active_bundle(session: AsyncSession) -> ModelBundle | None:
    """The active model, or None when no model is active or the active one cannot be served
    by this code (logged: scoring then stops until a compatible model is activated)."""
    version = await active_version(session)
    if version is None:
        return None
    cached = _bundles.get(version)
    if cached is not None:
        return cached
    row = await session.get(ModelVersion, version)
    if row is None:  # pragma: no cover - the foreign key keeps it
        return None
    try:
        return await _load(row)
    except BundleError as exc:
        log.error("active_model_unusable", version=version, error=str(exc))
        return None


async def require_active_bundle(session: AsyncSession) -> ModelBundle:
    bundle = await active_bundle(session)
    if bundle is None:
        raise NoActiveModel()
    return bundle


# --- listing ------------------------------------------------------------------------------------
async def overview(session: AsyncSession) -> ModelsOut:
    active = await active_version(session)
    rows = (
        await session.execute(
            select(
                ModelVersion.version,
                ModelVersion.created_at,
                ModelVersion.registered_by,
                ModelVersion.feature_hash,
                ModelVersion.model_sha256,
                ModelVersion.manifest_sha256,
                ModelVersion.manifest["created_at"].astext,
                ModelVersion.manifest["lightgbm_version"].astext,
                ModelVersion.manifest["training_window"],
                func.coalesce(ModelVersion.manifest["metrics"], text("'{}'::jsonb")),
            ).order_by(ModelVersion.created_at.desc())
        )
    ).all()
    activations = await session.scalars(
        select(ModelActivation).order_by(ModelActivation.at.desc(), ModelActivation.id.desc())
    )
    return ModelsOut(
        active=active,
        versions=[
            ModelVersionOut(
                version=r[0],
                active=r[0] == active,
                compatible=r[3] == fx.FEATURE_HASH,
                registered_at=r[1],
                registered_by=r[2],
                trained_at=r[6],
                feature_hash=r[3],
                model_sha256=r[4],
                manifest_sha256=r[5],
                lightgbm_version=r[7],
                training_window=r[8] if isinstance(r[8], dict) else None,
                metrics=r[9] if isinstance(r[9], dict) else {},
            )
            for r in rows
        ],
        activations=[
            ActivationOut(
                version=a.version,
                previous_version=a.previous_version,
                actor=a.actor,
                reason=a.reason,
                at=a.at,
            )
            for a in activations
        ],
    )


async def overview_for(session: AsyncSession, principal: Principal) -> ModelsOut:
    require_office(principal)
    return await overview(session)
