"""Revocation (RFC 7009) and introspection (RFC 7662): a client revokes and inspects its own
tokens only; a revoked access token is refused by the bank API at once."""

from __future__ import annotations

from typing import Any

from litestar import Litestar
from litestar.testing import AsyncTestClient

from tests.oauth_fixtures import ISSUER, BankKeys, Scene, call, client_assertion, consent, token

ASSERTION_TYPE = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"


async def _post(app: AsyncTestClient[Litestar], bank: BankKeys, endpoint: str, value: str) -> Any:
    form = {
        "token": value,
        "client_id": bank.client_id,
        "client_assertion_type": ASSERTION_TYPE,
        "client_assertion": client_assertion(bank.key, bank.client_id, ISSUER),
    }
    return await app.post(f"/oauth/{endpoint}", data=form)


async def test_a_revoked_access_token_is_refused_and_inactive(
    oauth_app: AsyncTestClient[Litestar], bank_scene: Scene
) -> None:
    await consent(oauth_app, bank_scene.sme, bank_scene.bank_a, ["tax"])
    access = await token(oauth_app, bank_scene.bank_a)
    path = f"/profiles/{bank_scene.sme.uscc}"
    active = (await _post(oauth_app, bank_scene.bank_a, "introspect", access)).json()
    assert active["active"] is True and active["client_id"] == bank_scene.bank_a.client_id
    assert active["cnf"]["jkt"] and active["token_type"] == "DPoP"
    assert (await call(oauth_app, bank_scene.bank_a, access, path)).status_code == 200

    assert (await _post(oauth_app, bank_scene.bank_a, "revoke", access)).status_code == 200
    refused = await call(oauth_app, bank_scene.bank_a, access, path)
    assert refused.status_code == 401 and "revoked" in refused.json()["detail"]
    inactive = (await _post(oauth_app, bank_scene.bank_a, "introspect", access)).json()
    assert inactive == {"active": False}


async def test_a_client_learns_nothing_about_another_clients_token(
    oauth_app: AsyncTestClient[Litestar], bank_scene: Scene
) -> None:
    await consent(oauth_app, bank_scene.sme, bank_scene.bank_a, ["tax"])
    access = await token(oauth_app, bank_scene.bank_a)
    seen = (await _post(oauth_app, bank_scene.bank_b, "introspect", access)).json()
    assert seen == {"active": False}
    assert (await _post(oauth_app, bank_scene.bank_b, "revoke", access)).status_code == 200
    path = f"/profiles/{bank_scene.sme.uscc}"
    assert (await call(oauth_app, bank_scene.bank_a, access, path)).status_code == 200
    nonsense = (await _post(oauth_app, bank_scene.bank_a, "introspect", "not-a-token")).json()
    assert nonsense == {"active": False}


async def test_both_endpoints_want_the_client_authenticated(
    oauth_app: AsyncTestClient[Litestar], bank_scene: Scene
) -> None:
    for endpoint in ("revoke", "introspect"):
        refused = await oauth_app.post(f"/oauth/{endpoint}", data={"token": "x"})
        assert refused.status_code in (400, 401) and refused.json()["error"] == "invalid_client"
