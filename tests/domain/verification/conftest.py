"""The platform pointed at the sandbox identity service (a real HTTP server)."""

from __future__ import annotations

import dataclasses
import random
from typing import Any

import httpx
import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient

from tests.conftest import enterprise_payload
from tests.identity_fixtures import IDENTITY_CLIENT_ID, IDENTITY_CLIENT_SECRET, RunningIdentity
from xinyidai.domain.accounts.sessions import CSRF_COOKIE, CSRF_HEADER
from xinyidai.sandbox.legal_rep import confirm
from xinyidai.settings import Settings
from xinyidai.simulation.registry import make_resident_id, make_uscc

PUBLIC_URL = "https://testserver.local"


@pytest.fixture
def settings(settings: Settings, identity: RunningIdentity) -> Settings:
    return dataclasses.replace(
        settings,
        identity_url=identity.issuer,
        identity_client_id=IDENTITY_CLIENT_ID,
        identity_client_secret=IDENTITY_CLIENT_SECRET,
        public_url=PUBLIC_URL,
    )


_rng = random.Random(4242)


def licensed_enterprise(identity: RunningIdentity, **overrides: Any) -> dict[str, Any]:
    """An enterprise payload whose licence the identity service holds."""
    district = "440104"
    values = {
        "uscc": make_uscc(_rng, district),
        "legal_rep_id_number": make_resident_id(_rng, district),
        "district_code": district,
    }
    payload = enterprise_payload(**{**values, **overrides})
    identity.enrol(
        payload["uscc"], payload["name"], payload["legal_rep_name"], payload["legal_rep_id_number"]
    )
    return payload


async def register(
    client: AsyncTestClient[Litestar], email: str, enterprise: dict[str, Any]
) -> httpx.Response:
    """Register an SME account (its claim); the client keeps its session and CSRF header."""
    from tests.domain.accounts.test_auth import register_payload

    client.cookies.clear()
    response = await client.post(
        "/api/v1/auth/register", json=register_payload(email=email, enterprise=enterprise)
    )
    if response.status_code == 201:
        client.headers[CSRF_HEADER] = (
            response.cookies.get(CSRF_COOKIE) or response.json()["csrf_token"]
        )
    return response


CALLBACK_PAGE = PUBLIC_URL + "/sme/claim/callback?"


def api_callback(back: str) -> str:
    """The callback endpoint the portal's page calls with the query the identity service sent
    the browser back with (``Settings.identity_redirect_uri``)."""
    assert back.startswith(CALLBACK_PAGE), back
    return "/api/v1/verification/callback?" + back[len(CALLBACK_PAGE) :]


async def verify(
    client: AsyncTestClient[Litestar], *, uscc: str, id_number: str
) -> tuple[httpx.Response, str]:
    """Start verification, confirm at the identity service as the licence holder, and come back
    to the portal's callback page, which calls the callback endpoint with the query it got.
    Returns the endpoint's response and its URL (for replays)."""
    started = await client.post("/api/v1/claim/verification")
    assert started.status_code == 201, started.text
    async with httpx.AsyncClient() as browser:
        back = await confirm(
            browser, started.json()["authorization_url"], uscc=uscc, id_number=id_number
        )
    callback = api_callback(back)
    return await client.get(callback), callback
