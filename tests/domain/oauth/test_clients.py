"""Banks' OAuth clients in the portal: platform admins register them with public keys only;
a bank's own users see its clients; nobody else does."""

from __future__ import annotations

from joserfc.jwk import ECKey
from litestar import Litestar
from litestar.testing import AsyncTestClient

from tests.conftest import World, login
from tests.oauth_fixtures import new_key, public_jwks
from xinyidai.models import Role


async def test_an_admin_registers_and_only_that_banks_users_see_the_client(
    client: AsyncTestClient[Litestar], world: World
) -> None:
    bank_a = await world.bank("BANK_A")
    bank_b = await world.bank("BANK_B")
    await world.user("root@example.com", Role.ADMIN)
    await world.user("a@bank.example", Role.BANK, "BANK_A")
    await world.user("b@bank.example", Role.BANK, "BANK_B")
    await login(client, "root@example.com")
    created = await client.post(
        f"/api/v1/banks/{bank_a.id}/clients",
        json={"jwks": public_jwks(new_key()), "redirect_uris": ["https://bank-a.example/cb"]},
    )
    assert created.status_code == 201, created.text
    body = created.json()
    assert body["token_endpoint_auth_method"] == "private_key_jwt"
    assert body["grant_types"] == ["client_credentials", "authorization_code", "refresh_token"]

    await login(client, "a@bank.example")
    listed = (await client.get(f"/api/v1/banks/{bank_a.id}/clients")).json()
    assert [c["client_id"] for c in listed] == [body["client_id"]]
    refused = await client.post(
        f"/api/v1/banks/{bank_a.id}/clients", json={"jwks": public_jwks(new_key())}
    )
    assert refused.status_code == 403  # banks do not register their own clients
    await login(client, "b@bank.example")
    assert (await client.get(f"/api/v1/banks/{bank_a.id}/clients")).status_code == 403
    assert (await client.get(f"/api/v1/banks/{bank_b.id}/clients")).json() == []


async def test_private_keys_weak_curves_and_plain_http_redirects_are_refused(
    client: AsyncTestClient[Litestar], world: World
) -> None:
    bank = await world.bank("BANK_A")
    await world.user("root@example.com", Role.ADMIN)
    await login(client, "root@example.com")
    url = f"/api/v1/banks/{bank.id}/clients"
    private = {"keys": [new_key().as_dict(private=True)]}
    p384 = {"keys": [ECKey.generate_key("P-384").as_dict(private=False)]}
    cases = {
        "private key": {"jwks": private},
        "P-384": {"jwks": p384},
        "no keys": {"jwks": {"keys": []}},
        "http redirect": {
            "jwks": public_jwks(new_key()),
            "redirect_uris": ["http://bank.example/cb"],
        },
    }
    for case, body in cases.items():
        refused = await client.post(url, json=body)
        assert refused.status_code == 422, (case, refused.text)
