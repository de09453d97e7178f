"""The sandbox provider as its own process (as `xinyidai run` starts it) knows the platform's
keys it was given, and only them."""

from __future__ import annotations

import datetime as dt
import socket

import httpx
import pytest

from tests.provider_fixtures import PLATFORM_SIGNER, established, find_firm, platform_receipt
from xinyidai.dates import months_back
from xinyidai.sandbox.process import sandbox_provider

pytestmark = pytest.mark.slow  # starts the sandbox provider as a process

LAST_MONTH = months_back(dt.datetime.now(dt.UTC).date(), 2)[0]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def test_the_started_sandbox_verifies_receipts_with_the_platforms_keys() -> None:
    uscc = find_firm(established)
    with sandbox_provider(
        _free_port(),
        seed=2026,
        client_id="platform",
        client_secret="a-secret-on-stdin",
        platform_jwks=PLATFORM_SIGNER.jwks(),
    ) as url:
        token = httpx.post(
            f"{url}/oauth/token",
            data={"grant_type": "client_credentials"},
            auth=("platform", "a-secret-on-stdin"),
        ).json()["access_token"]

        def call(receipt: str) -> httpx.Response:
            return httpx.get(
                f"{url}/v1/enterprises/{uscc}/series/tax",
                params={"from": f"{LAST_MONTH:%Y-%m}", "to": f"{LAST_MONTH:%Y-%m}"},
                headers={"Authorization": f"Bearer {token}", "X-Authorization-Receipt": receipt},
            )

        # Its audience is the URL it serves: what the platform's PROVIDER_AUDIENCE defaults to.
        assert call(platform_receipt(uscc, audience=url)).status_code == 200
        refused = call(platform_receipt(uscc, audience="http://elsewhere.example"))
        assert refused.status_code == 403
        assert refused.json()["error"] == "receipt_wrong_audience"
        kept = httpx.get(f"{url}/_sandbox/receipts").json()
        assert kept["total"] == 1 and kept["receipts"][0]["kid"] == PLATFORM_SIGNER.kid
