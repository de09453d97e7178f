"""The bank side of OAuth for the tests (a pytest plugin, loaded by tests/conftest.py).

Builders: a bank's keys, client assertions and DPoP proofs (``dpop_proof`` has knobs for each
kind of broken proof). Fixtures: ``oauth_app`` (the platform with a public https issuer),
``bank_a`` (a bank with a registered ``private_key_jwt`` client) and ``bank_scene`` (SME A
verified, tax and electricity authorised, profile built; SME B; banks A and B with clients).
Helpers: ``authlib_client`` (Authlib's own async client, ``PrivateKeyJWT``), ``consent``,
``token`` and ``call`` (a GET to the bank API with the token and a fresh proof).
"""

from __future__ import annotations

import base64
import dataclasses
import hashlib
import secrets
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from authlib.integrations.httpx_client import AsyncOAuth2Client
from authlib.oauth2.rfc7523 import PrivateKeyJWT
from joserfc import jwt
from joserfc.jwk import ECKey
from litestar import Litestar
from litestar.testing import AsyncTestClient
from sqlalchemy.ext.asyncio import AsyncSession

from tests.conftest import World, login
from xinyidai.app import create_app
from xinyidai.domain.oauth.clients import ClientService
from xinyidai.domain.profiles import snapshots
from xinyidai.models import Enterprise, Role
from xinyidai.settings import Settings

ISSUER = "https://testserver.local"
TOKEN_URL = f"{ISSUER}/oauth/token"


def new_key() -> ECKey:
    key = ECKey.generate_key("P-256", private=True)
    key.ensure_kid()
    return key


def public_jwks(*keys: ECKey) -> dict[str, Any]:
    return {"keys": [k.as_dict(private=False) for k in keys]}


def dpop_proof(
    key: ECKey,
    method: str,
    url: str,
    *,
    access_token: str | None = None,
    iat: float | None = None,
    jti: str | None = None,
    typ: str = "dpop+jwt",
    extra: dict[str, Any] | None = None,
) -> str:
    """A DPoP proof by ``key`` for one request (a fresh ``jti`` unless given)."""
    claims: dict[str, Any] = {
        "jti": jti or secrets.token_urlsafe(16),
        "htm": method,
        "htu": url,
        "iat": int(time.time() if iat is None else iat),
    }
    if access_token is not None:
        digest = hashlib.sha256(access_token.encode()).digest()
        claims["ath"] = base64.urlsafe_b64encode(digest).rstrip(b"=").decode()
    claims.update(extra or {})
    header = {"typ": typ, "alg": "ES256", "jwk": key.as_dict(private=False)}
    return jwt.encode(header, claims, key, algorithms=["ES256"])


def client_assertion(
    key: ECKey,
    client_id: str,
    audience: str,
    *,
    jti: str | None = None,
    alg: str = "ES256",
    lifetime: int = 60,
) -> str:
    """A ``private_key_jwt`` assertion made by hand (for the broken ones Authlib won't make)."""
    now = int(time.time())
    claims = {
        "iss": client_id,
        "sub": client_id,
        "aud": audience,
        "iat": now,
        "exp": now + lifetime,
        "jti": jti or secrets.token_urlsafe(16),
    }
    return jwt.encode({"alg": alg, "kid": key.kid}, claims, key, algorithms=[alg])


@dataclass(frozen=True)
class BankKeys:
    client_id: str
    bank_code: str
    key: ECKey
    """The client's private key (its public part is registered)."""
    dpop: ECKey
    """The key its tokens are bound to."""


@pytest.fixture
def oauth_settings(settings: Settings) -> Settings:
    return dataclasses.replace(settings, public_url=ISSUER)


@pytest.fixture
async def oauth_app(oauth_settings: Settings) -> AsyncIterator[AsyncTestClient[Litestar]]:
    async with AsyncTestClient(app=create_app(oauth_settings), base_url=ISSUER) as c:
        yield c


async def register(
    db: AsyncSession, world: World, code: str, redirect_uris: list[str] | None = None
) -> BankKeys:
    await world.bank(code)
    key = new_key()
    registered = await ClientService(db).create(
        code, jwks=public_jwks(key), redirect_uris=redirect_uris or []
    )
    await db.commit()
    return BankKeys(registered.client.client_id, code, key, new_key())


@pytest.fixture
async def bank_a(db: AsyncSession, world: World) -> BankKeys:
    return await register(db, world, "BANK_A")


class _Through(httpx.AsyncBaseTransport):
    """Requests go through the test client's own transport (the app, in its event loop)."""

    def __init__(self, app: AsyncTestClient[Litestar]) -> None:
        self._app = app

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        return await self._app._transport.handle_async_request(request)


def authlib_client(app: AsyncTestClient[Litestar], bank: BankKeys) -> AsyncOAuth2Client:
    """Authlib's own async client, signing ``private_key_jwt`` assertions (``aud`` = issuer)."""
    client = AsyncOAuth2Client(
        client_id=bank.client_id,
        client_secret=bank.key,
        token_endpoint_auth_method="private_key_jwt",
        transport=_Through(app),
        base_url=ISSUER,
    )
    client.register_client_auth_method(PrivateKeyJWT(ISSUER, alg="ES256"))
    return client


API = f"{ISSUER}/openapi/v1"


@dataclass(frozen=True)
class Scene:
    sme: Enterprise
    other: Enterprise
    bank_a: BankKeys
    bank_b: BankKeys


@pytest.fixture
async def bank_scene(world: World, db: AsyncSession) -> Scene:
    sme = await world.enterprise()
    other = await world.enterprise()
    owner = await world.user("owner@example.com", Role.SME, sme.uscc)
    await world.user("other@example.com", Role.SME, other.uscc)
    await world.authorize(sme.id, ["tax", "electricity"], owner.id)
    await snapshots.rebuild(db, sme.id, "test")
    await snapshots.rebuild(db, other.id, "test")
    await db.commit()
    bank_a = await register(db, world, "BANK_A")
    bank_b = await register(db, world, "BANK_B")
    return Scene(sme, other, bank_a, bank_b)


async def bank_id(app: AsyncTestClient[Litestar], code: str) -> str:
    banks = (await app.get("/api/v1/banks")).json()
    items = banks["items"] if isinstance(banks, dict) else banks
    return str(next(b["id"] for b in items if b["short_code"] == code))


async def consent(
    app: AsyncTestClient[Litestar], sme: Enterprise, bank: BankKeys, families: list[str]
) -> dict[str, Any]:
    """SME A's owner consents to ``bank`` reading ``families`` (through the portal API)."""
    await login(app, "owner@example.com")
    response = await app.post(
        f"/api/v1/enterprises/{sme.id}/bank-consents",
        json={
            "bank_id": await bank_id(app, bank.bank_code),
            "families": families,
            "purpose": "general",
            "reference": "流动资金贷款续贷评估",
        },
    )
    assert response.status_code == 201, response.text
    app.cookies.clear()
    body: dict[str, Any] = response.json()
    return body


async def token(app: AsyncTestClient[Litestar], bank: BankKeys, scope: str = "profiles") -> str:
    async with authlib_client(app, bank) as client:
        fetched = await client.fetch_token(
            TOKEN_URL,
            grant_type="client_credentials",
            scope=scope,
            headers={"DPoP": dpop_proof(bank.dpop, "POST", TOKEN_URL)},
        )
    return str(fetched["access_token"])


async def call(
    app: AsyncTestClient[Litestar],
    bank: BankKeys,
    access_token: str,
    path: str,
    *,
    headers: dict[str, str] | None = None,
    proof: str | None = "",
) -> httpx.Response:
    """GET ``/openapi/v1{path}`` as the bank's server does: the token with a fresh proof."""
    sent = {"Authorization": f"DPoP {access_token}", **(headers or {})}
    if proof is not None:
        url = API + path.split("?")[0]
        sent["DPoP"] = proof or dpop_proof(bank.dpop, "GET", url, access_token=access_token)
    return await app.get(f"/openapi/v1{path}", headers=sent)
