"""The access-token signing keys: made on first use and stored encrypted; a rotation signs with
a new key and keeps publishing the old one until its tokens have expired."""

from __future__ import annotations

import datetime as dt
import json

import anyio.to_thread
from click.testing import CliRunner
from litestar import Litestar
from litestar.testing import AsyncTestClient
from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from tests.oauth_fixtures import Scene, call, consent, token
from xinyidai.cli.main import main
from xinyidai.domain.oauth import keys
from xinyidai.infra.crypto import FieldCipher
from xinyidai.models import SigningKey
from xinyidai.settings import Settings


async def test_the_first_key_is_made_once_and_its_private_part_is_encrypted(
    db: AsyncSession, settings: Settings
) -> None:
    cipher = FieldCipher(settings.data_key_bytes)
    first = await keys.load(db, cipher)
    again = await keys.load(db, cipher)
    await db.commit()
    assert first.kid == again.kid and len(first.published) == 1
    (row,) = (await db.scalars(select(SigningKey))).all()
    assert b'"d"' not in row.private_cipher and "d" not in row.public_jwk
    assert first.signing.as_dict(private=True)["d"]  # decrypts to the private key


async def test_a_rotation_keeps_old_tokens_valid_until_the_old_key_is_unpublished(
    oauth_app: AsyncTestClient[Litestar],
    bank_scene: Scene,
    oauth_settings: Settings,
    db: AsyncSession,
) -> None:
    await consent(oauth_app, bank_scene.sme, bank_scene.bank_a, ["tax"])
    before = await token(oauth_app, bank_scene.bank_a)
    old_kid = json.loads((await oauth_app.get("/oauth/jwks")).text)["keys"][0]["kid"]

    env = {
        "ENV": "test",
        "DATABASE_URL": oauth_settings.database_url or "",
        "REDIS_URL": oauth_settings.redis_url or "",
    }
    rotated = await anyio.to_thread.run_sync(  # the command runs its own event loop
        lambda: CliRunner().invoke(main, ["oauth", "rotate-key"], env=env)
    )
    assert rotated.exit_code == 0, rotated.output
    assert f"retired {old_kid}" in rotated.output

    store = oauth_app.app.state.oauth_keys
    store.forget()  # as a minute later
    published = [k["kid"] for k in (await oauth_app.get("/oauth/jwks")).json()["keys"]]
    assert len(published) == 2 and published[1] == old_kid
    path = f"/profiles/{bank_scene.sme.uscc}"
    assert (await call(oauth_app, bank_scene.bank_a, before, path)).status_code == 200
    after = await token(oauth_app, bank_scene.bank_a)
    assert after.split(".")[0] != before.split(".")[0]  # another kid in the header

    await db.execute(
        update(SigningKey)
        .where(SigningKey.kid == old_kid)
        .values(publish_until=dt.datetime.now(dt.UTC) - dt.timedelta(seconds=1))
    )
    await db.commit()
    store.forget()
    assert [k["kid"] for k in (await oauth_app.get("/oauth/jwks")).json()["keys"]] != published
    assert (await call(oauth_app, bank_scene.bank_a, before, path)).status_code == 401
