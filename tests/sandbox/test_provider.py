"""The sandbox data provider: OAuth client credentials, guarded series, the generator's values.

(Its checks of the platform's authorization receipts: ``test_receipts.py``.)"""

from __future__ import annotations

import base64
from collections.abc import AsyncIterator
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

import httpx
import pytest
from litestar.testing import AsyncTestClient

from tests.provider_fixtures import (
    PLATFORM_SIGNER,
    SANDBOX_CLIENT_ID,
    SANDBOX_CLIENT_SECRET,
    RunningSandbox,
    established,
    find_firm,
    platform_receipt,
)
from xinyidai.dates import months_back
from xinyidai.enums import Family
from xinyidai.sandbox.provider import FaultPlan, create_app
from xinyidai.simulation import FAMILY_COLUMNS, firm_traits, monthly_values

LAST_MONTH = months_back(datetime.now(UTC).date(), 2)[0]


def basic(client_id: str = SANDBOX_CLIENT_ID, secret: str = SANDBOX_CLIENT_SECRET) -> str:
    return "Basic " + base64.b64encode(f"{client_id}:{secret}".encode()).decode()


@pytest.fixture
async def http(sandbox: RunningSandbox) -> AsyncIterator[httpx.AsyncClient]:
    sandbox.reset()
    async with httpx.AsyncClient(base_url=sandbox.url, timeout=5) as client:
        yield client
    sandbox.reset()


async def token(http: httpx.AsyncClient) -> str:
    response = await http.post(
        "/oauth/token",
        data={"grant_type": "client_credentials"},
        headers={"Authorization": basic()},
    )
    assert response.status_code == 200, response.text
    token: str = response.json()["access_token"]
    return token


def receipt_for(http: httpx.AsyncClient, uscc: str, family: str) -> str:
    return platform_receipt(uscc, [family], audience=str(http.base_url).rstrip("/"))


async def series(
    http: httpx.AsyncClient,
    uscc: str,
    family: str,
    first: date,
    last: date,
    *,
    bearer: str | None,
) -> httpx.Response:
    """A series call with the test platform's receipt for ``uscc`` and ``family``."""
    headers = {"X-Authorization-Receipt": receipt_for(http, uscc, family)}
    if bearer is not None:
        headers["Authorization"] = f"Bearer {bearer}"
    return await http.get(
        f"/v1/enterprises/{uscc}/series/{family}",
        params={"from": f"{first:%Y-%m}", "to": f"{last:%Y-%m}"},
        headers=headers,
    )


# --- the token endpoint -------------------------------------------------------------------------
async def test_a_known_client_gets_a_bearer_token(http: httpx.AsyncClient) -> None:
    response = await http.post(
        "/oauth/token",
        data={"grant_type": "client_credentials", "scope": "series:read"},
        headers={"Authorization": basic()},
    )
    assert response.status_code == 200
    assert response.headers["cache-control"] == "no-store"
    body = response.json()
    assert body["token_type"] == "Bearer" and body["expires_in"] == 3600
    assert body["scope"] == "series:read" and len(body["access_token"]) >= 32
    again = await token(http)
    assert again != body["access_token"]


async def test_the_client_may_also_authenticate_with_form_fields(http: httpx.AsyncClient) -> None:
    response = await http.post(
        "/oauth/token",
        data={
            "grant_type": "client_credentials",
            "client_id": SANDBOX_CLIENT_ID,
            "client_secret": SANDBOX_CLIENT_SECRET,
        },
    )
    assert response.status_code == 200 and response.json()["token_type"] == "Bearer"


@pytest.mark.parametrize(
    ("data", "headers", "status", "error"),
    [
        ({"grant_type": "client_credentials"}, {"Authorization": basic(secret="wrong")}, 401,
         "invalid_client"),
        ({"grant_type": "client_credentials"}, {"Authorization": basic("someone-else")}, 401,
         "invalid_client"),
        ({"grant_type": "client_credentials"}, {}, 401, "invalid_client"),
        ({"grant_type": "client_credentials", "client_id": SANDBOX_CLIENT_ID,
          "client_secret": "wrong"}, {}, 401, "invalid_client"),
        ({"grant_type": "password", "username": "u", "password": "p"},
         {"Authorization": basic()}, 400, "unsupported_grant_type"),
        ({}, {"Authorization": basic()}, 400, "invalid_request"),
        ({"grant_type": "client_credentials", "client_secret": SANDBOX_CLIENT_SECRET},
         {"Authorization": basic()}, 400, "invalid_request"),
        ({"grant_type": "client_credentials", "scope": "everything"},
         {"Authorization": basic()}, 400, "invalid_scope"),
    ],
)  # fmt: skip
async def test_the_token_endpoint_answers_rfc_6749_errors(
    http: httpx.AsyncClient, data: dict[str, str], headers: dict[str, str], status: int, error: str
) -> None:
    response = await http.post("/oauth/token", data=data, headers=headers)
    assert response.status_code == status
    assert response.json()["error"] == error
    if status == 401:
        assert response.headers["www-authenticate"].startswith("Basic")


async def test_the_token_request_must_be_a_form(http: httpx.AsyncClient) -> None:
    response = await http.post(
        "/oauth/token",
        json={"grant_type": "client_credentials"},
        headers={"Authorization": basic()},
    )
    assert response.status_code == 400 and response.json()["error"] == "invalid_request"


# --- guarding the series ------------------------------------------------------------------------
async def test_series_need_a_valid_bearer_token(http: httpx.AsyncClient) -> None:
    uscc = find_firm(established)
    first, last = months_back(LAST_MONTH, 3)[0], LAST_MONTH
    missing = await series(http, uscc, "tax", first, last, bearer=None)
    assert missing.status_code == 401
    assert missing.headers["www-authenticate"].startswith("Bearer")
    forged = await series(http, uscc, "tax", first, last, bearer="not-a-token-we-issued")
    assert forged.status_code == 401
    assert "items" not in forged.text


async def test_an_invalid_uscc_or_family_is_not_found(http: httpx.AsyncClient) -> None:
    bearer = await token(http)
    good = find_firm(established)
    wrong_check = good[:17] + ("0" if good[17] != "0" else "1")
    for uscc, family in ((wrong_check, "tax"), ("NOT-A-USCC", "tax"), (good, "weather")):
        response = await series(http, uscc, family, LAST_MONTH, LAST_MONTH, bearer=bearer)
        assert response.status_code == 404, (uscc, family)


async def test_ranges_are_at_most_60_past_months_in_order(http: httpx.AsyncClient) -> None:
    bearer = await token(http)
    uscc = find_firm(established)
    sixty = months_back(LAST_MONTH, 61)
    # Two months ahead: the sandbox's "now" is China time, a few hours ahead of UTC.
    future = (datetime.now(UTC).date().replace(day=1) + timedelta(days=62)).replace(day=1)
    ok = await series(http, uscc, "tax", sixty[1], LAST_MONTH, bearer=bearer)
    assert ok.status_code == 200 and len(ok.json()["items"]) == 60
    for first, last in (
        (sixty[0], LAST_MONTH),  # 61 months
        (LAST_MONTH, sixty[30]),  # backwards
        (LAST_MONTH, future),  # the future
    ):
        response = await series(http, uscc, "tax", first, last, bearer=bearer)
        assert response.status_code == 400, (first, last)
        assert response.json()["error"] == "invalid_range"
    garbled = await http.get(
        f"/v1/enterprises/{uscc}/series/tax",
        params={"from": "2024-13", "to": "2024-12"},
        headers={
            "Authorization": f"Bearer {bearer}",
            "X-Authorization-Receipt": receipt_for(http, uscc, "tax"),
        },
    )
    assert garbled.status_code == 400


# --- what it serves -----------------------------------------------------------------------------
def as_json(values: dict[str, Decimal | int]) -> dict[str, Any]:
    return {k: str(v) if isinstance(v, Decimal) else v for k, v in values.items()}


async def test_served_values_are_the_generators(http: httpx.AsyncClient) -> None:
    uscc = find_firm(lambda t: established(t) and t.has_gas and t.has_housing_fund)
    bearer = await token(http)
    months = months_back(LAST_MONTH, 24)
    for family in Family:
        response = await series(http, uscc, family.value, months[0], months[-1], bearer=bearer)
        assert response.status_code == 200
        body = response.json()
        assert body["uscc"] == uscc and body["family"] == family.value
        assert body["provider"] == "sandbox"
        assert [item["period"] for item in body["items"]] == [f"{m:%Y-%m}" for m in months]
        for item, month in zip(body["items"], months, strict=True):
            expected = monthly_values(uscc, month, RunningSandbox.seed)[family]
            assert item["ref"] == f"sandbox:{family.value}:{uscc}:{month:%Y-%m}"
            assert {k: v for k, v in item.items() if k not in ("period", "ref")} == as_json(
                expected
            )
            assert list(expected) == list(FAMILY_COLUMNS[family])


async def test_missing_families_and_months_before_founding_are_not_served(
    http: httpx.AsyncClient,
) -> None:
    bearer = await token(http)
    no_gas = find_firm(lambda t: established(t) and not t.has_gas)
    response = await series(http, no_gas, "gas", LAST_MONTH, LAST_MONTH, bearer=bearer)
    assert response.status_code == 200 and response.json()["items"] == []

    young = find_firm(lambda t: months_back(LAST_MONTH, 40)[0] < t.founded < LAST_MONTH)
    founded = firm_traits(young, RunningSandbox.seed).founded
    months = months_back(LAST_MONTH, 60)
    response = await series(http, young, "tax", months[0], months[-1], bearer=bearer)
    periods = [item["period"] for item in response.json()["items"]]
    assert periods == [f"{m:%Y-%m}" for m in months if m >= founded]


async def test_a_lowercase_uscc_is_the_same_enterprise(http: httpx.AsyncClient) -> None:
    bearer = await token(http)
    uscc = find_firm(established)
    lower = await series(http, uscc.lower(), "tax", LAST_MONTH, LAST_MONTH, bearer=bearer)
    upper = await series(http, uscc, "tax", LAST_MONTH, LAST_MONTH, bearer=bearer)
    assert lower.json() == upper.json()


# --- test controls ------------------------------------------------------------------------------
async def test_faults_can_be_armed_over_http_and_calls_are_counted(
    http: httpx.AsyncClient, sandbox: RunningSandbox
) -> None:
    uscc = find_firm(established)
    bearer = await token(http)
    armed = await http.post("/_sandbox/faults", json={"kind": "error_503", "retry_after": 7})
    assert armed.status_code == 200 and armed.json()["pending"] == ["error_503"]
    failed = await series(http, uscc, "water", LAST_MONTH, LAST_MONTH, bearer=bearer)
    assert failed.status_code == 503 and failed.headers["retry-after"] == "7"
    served = await series(http, uscc, "water", LAST_MONTH, LAST_MONTH, bearer=bearer)
    assert served.status_code == 200

    await http.post("/_sandbox/faults", json={"kind": "not_json"})
    garbage = await series(http, uscc, "water", LAST_MONTH, LAST_MONTH, bearer=bearer)
    assert garbage.status_code == 200 and not garbage.text.startswith("{")

    calls = (await http.get("/_sandbox/calls")).json()
    assert calls["calls"] == [{"uscc": uscc, "family": "water", "count": 3}]
    assert sandbox.calls(uscc, "water") == 3

    assert (await http.post("/_sandbox/faults", json={"kind": "nonsense"})).status_code == 400
    await http.post("/_sandbox/reset")
    assert (await http.get("/_sandbox/calls")).json()["total"] == 0
    forgotten = await series(http, uscc, "water", LAST_MONTH, LAST_MONTH, bearer=bearer)
    assert forgotten.status_code == 401, "a reset forgets issued tokens"


async def test_tokens_expire() -> None:
    app = create_app(token_ttl=0, faults=FaultPlan(), platform_jwks=PLATFORM_SIGNER.jwks())
    async with AsyncTestClient(app=app) as client:
        uscc = find_firm(established)
        issued = await client.post(
            "/oauth/token",
            data={"grant_type": "client_credentials"},
            headers={"Authorization": basic()},
        )
        assert issued.json()["expires_in"] == 0
        response = await client.get(
            f"/v1/enterprises/{uscc}/series/tax",
            params={"from": f"{LAST_MONTH:%Y-%m}", "to": f"{LAST_MONTH:%Y-%m}"},
            headers={
                "Authorization": f"Bearer {issued.json()['access_token']}",
                "X-Authorization-Receipt": platform_receipt(uscc, audience=str(client.base_url)),
            },
        )
        assert response.status_code == 401
