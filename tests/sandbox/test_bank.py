"""The sandbox bank accepts only webhooks the platform signed over the exact body for this bank,
recent and unreplayed; fails on command; and runs as its own process with the keys it is
given."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient

from tests.provider_fixtures import PLATFORM_SIGNER
from tests.serving import free_port
from xinyidai.infra.signing import Signer, derive_key
from xinyidai.sandbox.bank import create_bank_app
from xinyidai.sandbox.process import sandbox_bank

BANK_ID = "01939a4e-0000-7000-8000-00000000000a"
EVENT: dict[str, Any] = {
    "id": "consent.revoked:c-1",
    "type": "consent.revoked",
    "created_at": "2026-12-10T10:00:00Z",
    "bank_id": BANK_ID,
    "data": {"consent_id": "c-1"},
}


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def signed(
    event: dict[str, Any] | None = None, *, signer: Signer = PLATFORM_SIGNER, **header: Any
) -> tuple[bytes, dict[str, str]]:
    """A webhook as the platform sends it: body and headers; ``header`` overrides the
    protected header's members."""
    event = event or EVENT
    body = json.dumps(event).encode()
    protected = {
        "iat": int(time.time()),
        "jti": event["id"],
        "aud": event["bank_id"],
        "xyd_event": event["type"],
        "xyd_delivery": "d-1",
        **header,
    }
    signature = signer.sign_detached(body, typ="xyd-webhook+jws", header=protected)
    return body, _headers(signature, event["type"])


def _headers(signature: str, event_type: str = "consent.revoked") -> dict[str, str]:
    return {
        "Content-Type": "application/json",
        "X-Xinyidai-Event": event_type,
        "X-Xinyidai-Delivery": "d-1",
        "X-Xinyidai-Signature": signature,
    }


@pytest.fixture
async def bank() -> AsyncIterator[AsyncTestClient[Litestar]]:
    app = create_bank_app(platform_jwks=PLATFORM_SIGNER.jwks(), bank_id=BANK_ID)
    async with AsyncTestClient(app=app) as client:
        yield client


async def _refusal(client: AsyncTestClient[Litestar], body: bytes, headers: dict[str, str]) -> str:
    response = await client.post("/webhooks", content=body, headers=headers)
    assert response.status_code == 401, response.text
    code: str = response.json()["error"]
    return code


async def test_a_signed_webhook_is_accepted_once_and_then_acknowledged_as_a_duplicate(
    bank: AsyncTestClient[Litestar],
) -> None:
    body, headers = signed()
    first = await bank.post("/webhooks", content=body, headers=headers)
    assert first.status_code == 200
    assert first.json() == {"status": "accepted"}
    retry_body, retry_headers = signed()  # a retry: signed again, same event id
    again = await bank.post("/webhooks", content=retry_body, headers=retry_headers)
    assert again.json() == {"status": "duplicate"}
    received = (await bank.get("/_sandbox/webhooks")).json()["received"]
    assert [r["outcome"] for r in received] == ["accepted", "duplicate"]
    assert received[0]["header"]["kid"] == PLATFORM_SIGNER.kid
    assert received[0]["event"] == EVENT


async def test_what_the_platform_did_not_sign_for_this_bank_is_refused(
    bank: AsyncTestClient[Litestar],
) -> None:
    body, headers = signed()
    tampered = body.replace(b"c-1", b"c-2")
    assert await _refusal(bank, tampered, headers) == "signature_invalid"
    assert await _refusal(bank, body, {**headers, "X-Xinyidai-Signature": ""}) == (
        "signature_missing"
    )
    attached = headers["X-Xinyidai-Signature"].replace("..", f".{_b64(body)}.")
    assert await _refusal(bank, body, {**headers, "X-Xinyidai-Signature": attached}) == (
        "signature_malformed"
    )
    stranger = Signer(derive_key("another platform"), issuer="https://elsewhere.example")
    assert await _refusal(bank, *signed(signer=stranger)) == "signature_unknown_key"
    assert await _refusal(bank, *signed(iat=int(time.time()) - 3600)) == "signature_stale"
    assert await _refusal(bank, *signed(jti="consent.revoked:other")) == "signature_event"
    assert await _refusal(bank, *signed(xyd_event="profile.updated")) == "signature_event"
    other_bank = {**EVENT, "bank_id": "01939a4e-0000-7000-8000-00000000000b"}
    assert await _refusal(bank, *signed(other_bank)) == "signature_audience"
    # Header and body agree, but the X-Xinyidai-Event header says otherwise.
    body, headers = signed()
    assert await _refusal(bank, body, {**headers, "X-Xinyidai-Event": "profile.updated"}) == (
        "signature_event"
    )


async def test_unsigned_and_symmetric_algorithms_are_refused(
    bank: AsyncTestClient[Litestar],
) -> None:
    body = json.dumps(EVENT).encode()
    for alg in ("none", "HS256"):
        header = {"alg": alg, "kid": PLATFORM_SIGNER.kid, "typ": "xyd-webhook+jws"}
        head = _b64(json.dumps(header).encode())
        # An HS256 "signature" keyed with the public JWK, the classic confusion attack.
        key = json.dumps(PLATFORM_SIGNER.jwks()["keys"][0]).encode()
        mac = hmac.new(key, f"{head}.{_b64(body)}".encode(), hashlib.sha256).digest()
        signature = f"{head}..{_b64(mac) if alg == 'HS256' else ''}"
        assert await _refusal(bank, body, _headers(signature)) == "signature_algorithm"


async def test_it_fails_the_next_deliveries_when_told(bank: AsyncTestClient[Litestar]) -> None:
    armed = await bank.post("/_sandbox/faults", json={"fail_next": 2})
    assert armed.json()["pending"] == ["error_500", "error_500"]
    await bank.post("/_sandbox/faults", json={"kind": "error_503"})
    statuses = []
    for _ in range(4):
        body, headers = signed()
        statuses.append((await bank.post("/webhooks", content=body, headers=headers)).status_code)
    assert statuses == [500, 500, 503, 200]
    accepted = (await bank.get("/_sandbox/webhooks", params={"outcome": "accepted"})).json()
    assert len(accepted["received"]) == 1
    assert (await bank.post("/_sandbox/faults", json={"kind": "melt"})).status_code == 400
    await bank.post("/_sandbox/reset")
    assert (await bank.get("/_sandbox/webhooks")).json() == {"received": []}


@pytest.mark.slow
def test_the_started_sandbox_bank_verifies_with_the_keys_it_was_given(tmp_path: Path) -> None:
    jwks = tmp_path / "platform-jwks.json"
    jwks.write_text(json.dumps(PLATFORM_SIGNER.jwks()), encoding="utf-8")
    with sandbox_bank(free_port(), platform_jwks_file=str(jwks), bank_id=BANK_ID) as url:
        body, headers = signed()
        assert httpx.post(f"{url}/webhooks", content=body, headers=headers).status_code == 200
        stranger = Signer(derive_key("another platform"), issuer="https://elsewhere.example")
        refused = httpx.post(f"{url}/webhooks", content=body, headers=signed(signer=stranger)[1])
        assert refused.status_code == 401
        outcomes = [r["outcome"] for r in httpx.get(f"{url}/_sandbox/webhooks").json()["received"]]
        assert outcomes == ["accepted", "refused"]
