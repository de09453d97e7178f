"""The sandbox provider releases a series only under a valid receipt of the platform, and keeps
every receipt it released data under."""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import hmac
import json
from collections.abc import AsyncIterator, Callable
from typing import Any

import httpx
import pytest
from joserfc.jwk import ECKey
from litestar.testing import AsyncTestClient

from tests.provider_fixtures import (
    PLATFORM_SIGNER,
    RunningSandbox,
    established,
    find_firm,
    platform_receipt,
)
from xinyidai.app import create_app as create_platform
from xinyidai.dates import months_back
from xinyidai.infra.signing import Signer, derive_key
from xinyidai.sandbox.provider import PlatformKeys, create_app
from xinyidai.settings import Settings

LAST_MONTH = months_back(dt.datetime.now(dt.UTC).date(), 2)[0]
FIRST_MONTH = months_back(LAST_MONTH, 6)[0]


def b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def b64json(value: Any) -> str:
    return b64(json.dumps(value).encode())


def unb64json(part: str) -> Any:
    return json.loads(base64.urlsafe_b64decode(part + "=" * (-len(part) % 4)))


def stranger() -> Signer:
    """Someone with a P-256 key of their own, calling themselves the platform."""
    return Signer(ECKey.generate_key("P-256"), issuer=PLATFORM_SIGNER.issuer)


@pytest.fixture
async def http(sandbox: RunningSandbox) -> AsyncIterator[httpx.AsyncClient]:
    sandbox.reset()
    async with httpx.AsyncClient(base_url=sandbox.url, timeout=5) as client:
        token = await client.post(
            "/oauth/token",
            data={"grant_type": "client_credentials"},
            auth=("xinyidai-platform", "sandbox-client-secret"),
        )
        client.headers["Authorization"] = f"Bearer {token.json()['access_token']}"
        yield client
    sandbox.reset()


async def call(
    http: httpx.AsyncClient, uscc: str, family: str, receipt: str | None
) -> httpx.Response:
    headers = {} if receipt is None else {"X-Authorization-Receipt": receipt}
    return await http.get(
        f"/v1/enterprises/{uscc}/series/{family}",
        params={"from": f"{FIRST_MONTH:%Y-%m}", "to": f"{LAST_MONTH:%Y-%m}"},
        headers=headers,
    )


async def test_a_valid_receipt_releases_the_series_and_the_provider_keeps_it(
    http: httpx.AsyncClient, sandbox: RunningSandbox
) -> None:
    uscc = find_firm(established)
    receipt = sandbox.receipt(uscc, ["tax", "water"], legal_rep="李娜", purpose="申请信用贷款")
    released = [await call(http, uscc, family, receipt) for family in ("tax", "water")]
    assert [r.status_code for r in released] == [200, 200]

    kept = (await http.get("/_sandbox/receipts")).json()
    assert kept["total"] == 2
    for entry, response, family in zip(kept["receipts"], released, ("tax", "water"), strict=True):
        items = response.json()["items"]
        assert entry["receipt"] == receipt
        assert entry["kid"] == PLATFORM_SIGNER.kid
        assert entry["jti"] == entry["claims"]["jti"]
        assert entry["claims"]["uscc"] == uscc and entry["claims"]["legal_rep"] == "李娜"
        assert entry["claims"]["families"] == ["tax", "water"]
        assert entry["claims"]["purpose"] == "申请信用贷款"
        assert entry["released"] == {
            "uscc": uscc,
            "family": family,
            "from": f"{FIRST_MONTH:%Y-%m}",
            "to": f"{LAST_MONTH:%Y-%m}",
            "count": len(items),
            "periods": [item["period"] for item in items],
            "refs": [item["ref"] for item in items],
        }
        assert entry["released"]["count"] == 6  # an established firm: every month
    await http.post("/_sandbox/reset")
    assert (await http.get("/_sandbox/receipts")).json() == {"receipts": [], "total": 0}


def _tampered(uscc: str, audience: str) -> str:
    """A valid receipt for another firm whose payload is rewritten to name ``uscc``."""
    other = find_firm(lambda t: established(t) and not t.has_gas)
    header, payload, signature = platform_receipt(other, audience=audience).split(".")
    claims = unb64json(payload)
    claims["uscc"] = uscc
    return f"{header}.{b64json(claims)}.{signature}"


def _unsigned(uscc: str, audience: str) -> str:
    """``alg: none`` with the platform's kid and a valid payload."""
    _, payload, _ = platform_receipt(uscc, audience=audience).split(".")
    header = {"alg": "none", "kid": PLATFORM_SIGNER.kid, "typ": "xyd-receipt+jwt"}
    return f"{b64json(header)}.{payload}."


def _hmac_with_the_public_key(uscc: str, audience: str) -> str:
    """HS256 keyed with the platform's public key: the classic algorithm confusion."""
    _, payload, _ = platform_receipt(uscc, audience=audience).split(".")
    header = b64json({"alg": "HS256", "kid": PLATFORM_SIGNER.kid, "typ": "xyd-receipt+jwt"})
    secret = json.dumps(PLATFORM_SIGNER.jwks()["keys"][0]).encode()
    mac = hmac.new(secret, f"{header}.{payload}".encode(), hashlib.sha256).digest()
    return f"{header}.{payload}.{b64(mac)}"


def _impostor_with_the_platforms_kid(uscc: str, audience: str) -> str:
    """Signed with another key, its header claiming the platform's key id."""
    _, payload, _ = platform_receipt(uscc, audience=audience).split(".")
    impostor = stranger()
    impostor.kid = PLATFORM_SIGNER.kid
    return impostor.sign(unb64json(payload), typ="xyd-receipt+jwt")


def _wrong_type(uscc: str, audience: str) -> str:
    _, payload, _ = platform_receipt(uscc, audience=audience).split(".")
    return PLATFORM_SIGNER.sign(unb64json(payload), typ="JWT")


def _now() -> dt.datetime:
    # At the call, not at collection: a run can reach this test many minutes after collecting.
    return dt.datetime.now(dt.UTC)


# Case: (receipt for (uscc, audience), the error the provider answers with).
REFUSALS: dict[str, tuple[Callable[[str, str], str | None], str]] = {
    "missing": (lambda u, a: None, "receipt_missing"),
    "not a JWS": (lambda u, a: "not-a-receipt", "receipt_malformed"),
    "another key": (
        lambda u, a: platform_receipt(u, audience=a, signer=stranger()),
        "receipt_unknown_key",
    ),
    "another key, the platform's kid": (
        _impostor_with_the_platforms_kid,
        "receipt_invalid_signature",
    ),
    "tampered payload": (_tampered, "receipt_invalid_signature"),
    "alg none": (_unsigned, "receipt_unsupported_algorithm"),
    "HS256": (_hmac_with_the_public_key, "receipt_unsupported_algorithm"),
    "not a receipt's typ": (_wrong_type, "receipt_wrong_type"),
    "expired": (
        lambda u, a: platform_receipt(u, audience=a, now=_now() - dt.timedelta(minutes=20)),
        "receipt_expired",
    ),
    "issued in the future": (
        lambda u, a: platform_receipt(u, audience=a, now=_now() + dt.timedelta(minutes=10)),
        "receipt_not_yet_valid",
    ),
    "another enterprise": (
        lambda u, a: platform_receipt(find_firm(lambda t: not established(t)), audience=a),
        "receipt_wrong_subject",
    ),
    "another family": (
        lambda u, a: platform_receipt(u, ["electricity", "water"], audience=a),
        "receipt_family_not_covered",
    ),
    "another provider": (
        lambda u, a: platform_receipt(u, audience="https://other-provider.example"),
        "receipt_wrong_audience",
    ),
}


@pytest.mark.parametrize("case", list(REFUSALS))
async def test_the_provider_refuses_a_call_without_a_valid_receipt(
    http: httpx.AsyncClient, sandbox: RunningSandbox, case: str
) -> None:
    make, error = REFUSALS[case]
    uscc = find_firm(established)
    response = await call(http, uscc, "tax", make(uscc, sandbox.url))
    assert response.status_code == 403
    assert response.json()["error"] == error
    assert "items" not in response.text
    assert sandbox.released() == []
    assert sandbox.calls(uscc, "tax") == 1


async def test_without_the_platforms_keys_the_provider_releases_nothing() -> None:
    async with AsyncTestClient(app=create_app()) as client:
        uscc = find_firm(established)
        token = await client.post(
            "/oauth/token",
            data={"grant_type": "client_credentials"},
            auth=("xinyidai-platform", "sandbox-client-secret"),
        )
        response = await client.get(
            f"/v1/enterprises/{uscc}/series/tax",
            params={"from": f"{LAST_MONTH:%Y-%m}", "to": f"{LAST_MONTH:%Y-%m}"},
            headers={
                "Authorization": f"Bearer {token.json()['access_token']}",
                "X-Authorization-Receipt": platform_receipt(uscc, audience=str(client.base_url)),
            },
        )
    assert response.status_code == 403
    assert response.json()["error"] == "receipt_unknown_key"


class CountingTransport(httpx.ASGITransport):
    """The platform app over ASGI, counting the requests the provider makes to it."""

    requests = 0

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        self.requests += 1
        return await super().handle_async_request(request)


async def test_keys_from_the_platforms_jwks_uri_are_fetched_when_needed_and_after_a_rotation(
    settings: Settings,
) -> None:
    platform = create_platform(settings)
    # Litestar types the ASGI scope and messages more narrowly than httpx's generic ASGI app.
    transport = CountingTransport(app=platform)  # type: ignore[arg-type]
    keys = PlatformKeys(
        jwks_uri="http://platform.test/.well-known/jwks.json", transport=transport, min_refresh=0
    )
    provider = create_app(platform_jwks=keys)
    uscc = find_firm(established)
    async with AsyncTestClient(app=provider) as client:
        token = await client.post(
            "/oauth/token",
            data={"grant_type": "client_credentials"},
            auth=("xinyidai-platform", "sandbox-client-secret"),
        )

        async def under(signer: Signer) -> httpx.Response:
            return await client.get(
                f"/v1/enterprises/{uscc}/series/tax",
                params={"from": f"{LAST_MONTH:%Y-%m}", "to": f"{LAST_MONTH:%Y-%m}"},
                headers={
                    "Authorization": f"Bearer {token.json()['access_token']}",
                    "X-Authorization-Receipt": platform_receipt(
                        uscc, audience=str(client.base_url), signer=signer
                    ),
                },
            )

        old: Signer = platform.state.signer
        assert keys.kids == [] and transport.requests == 0, "nothing is fetched before it is needed"
        assert (await under(old)).status_code == 200
        assert (await under(old)).status_code == 200
        assert transport.requests == 1 and keys.kids == [old.kid]

        # The platform rotates: a new SIGNING_KEY, the old one in SIGNING_KEYS_RETIRED.
        retired = derive_key(settings.secret_key)  # the key the test platform signed with
        new = Signer(ECKey.generate_key("P-256"), issuer=old.issuer, retired=[retired])
        platform.state.signer = new
        assert (await under(new)).status_code == 200, "an unknown kid fetches the set again"
        assert (await under(old)).status_code == 200, "receipts of the retired key still verify"
        assert transport.requests == 2

        refused = await under(stranger())
        assert refused.status_code == 403 and refused.json()["error"] == "receipt_unknown_key"

        keys.min_refresh = 3600  # a flood of unknown kids does not become a flood of fetches
        for _ in range(3):
            assert (await under(stranger())).status_code == 403
        assert transport.requests == 3
