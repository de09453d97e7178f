"""The authorisation server under test: the app with a public https issuer, a bank with a
registered ``private_key_jwt`` client, and Authlib's async client speaking to the app."""

from __future__ import annotations

import dataclasses
from collections.abc import AsyncIterator
from dataclasses import dataclass

import httpx
import pytest
from authlib.integrations.httpx_client import AsyncOAuth2Client
from authlib.oauth2.rfc7523 import PrivateKeyJWT
from joserfc.jwk import ECKey
from litestar import Litestar
from litestar.testing import AsyncTestClient
from sqlalchemy.ext.asyncio import AsyncSession

from tests.conftest import World
from tests.oauth_fixtures import new_key, public_jwks
from xinyidai.app import create_app
from xinyidai.domain.oauth.clients import ClientService
from xinyidai.settings import Settings

ISSUER = "https://testserver.local"
TOKEN_URL = f"{ISSUER}/oauth/token"


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


async def register(db: AsyncSession, world: World, code: str) -> BankKeys:
    await world.bank(code)
    key = new_key()
    registered = await ClientService(db).create(code, jwks=public_jwks(key), redirect_uris=[])
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
