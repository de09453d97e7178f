"""Every bank API call, served or refused, is an entry of the hash-chained audit log, and the
chain over them verifies."""

from __future__ import annotations

from litestar import Litestar
from litestar.testing import AsyncTestClient
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from tests.oauth_fixtures import Scene, call, consent, token
from xinyidai.domain.audit.chainer import chain_pending
from xinyidai.domain.audit.verify import verify_chain
from xinyidai.infra.db import create_engine
from xinyidai.models import AuditEntry
from xinyidai.settings import Settings


async def test_pulls_and_refusals_are_audited_in_a_chain_that_verifies(
    oauth_app: AsyncTestClient[Litestar], bank_scene: Scene, db: AsyncSession, settings: Settings
) -> None:
    access = await token(oauth_app, bank_scene.bank_a, "profiles consents")
    path = f"/profiles/{bank_scene.sme.uscc}"
    assert (await call(oauth_app, bank_scene.bank_a, access, path)).status_code == 403
    granted = await consent(oauth_app, bank_scene.sme, bank_scene.bank_a, ["tax"])
    access = await token(oauth_app, bank_scene.bank_a, "profiles consents")
    assert (await call(oauth_app, bank_scene.bank_a, access, path)).status_code == 200
    assert (await call(oauth_app, bank_scene.bank_a, access, "/consents")).status_code == 200

    entries = (await db.scalars(select(AuditEntry).order_by(AuditEntry.seq))).all()
    assert [(e.action, e.status) for e in entries] == [
        ("openapi.profile.read", "403"),
        ("openapi.profile.read", "200"),
        ("openapi.consents.list", "200"),
    ]
    served = entries[1]
    assert served.client_id == bank_scene.bank_a.client_id
    assert served.enterprise_id == bank_scene.sme.id and str(served.consent_id) == granted["id"]
    assert served.detail["families"] == ["tax"]

    assert settings.database_url
    engine = create_engine(settings, settings.database_url)
    try:
        await chain_pending(engine)
    finally:
        await engine.dispose()
    report = await verify_chain(db, stale_after=300)
    assert report.ok, report
