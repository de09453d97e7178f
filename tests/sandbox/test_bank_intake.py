"""The sandbox bank's own token endpoint and the intake it guards: client credentials by Basic
or by form, bearer tokens, deliveries counted by key and by application, duplicates answered
without a new effect, and the faults the intake and the token endpoint suffer on command."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from typing import Any

import httpx
import pytest
from authlib.integrations.httpx_client import AsyncOAuth2Client
from litestar import Litestar
from litestar.testing import AsyncTestClient

from tests.serving import serve_in_thread
from xinyidai.sandbox.bank import create_bank_app

CLIENT_ID = "xinyidai-platform"
SECRET = "relay-secret:with/odd chars"
BASE = "http://bank.test"


def document(app_id: str = "app-1") -> dict[str, Any]:
    return {
        "id": app_id,
        "status": "submitted",
        "enterprise": {"uscc": "91440101MA5XXXXXX1", "name": "测试"},
        "amount": "500000.00",
        "term_months": 12,
        "grade": "B",
        "links": {"profile": "https://p/openapi/v1/profiles/x", "decision": "https://p/d"},
    }


@pytest.fixture
async def bank() -> AsyncIterator[AsyncTestClient[Litestar]]:
    app = create_bank_app(intake_client_id=CLIENT_ID, intake_client_secret=SECRET)
    async with AsyncTestClient(app=app, base_url=BASE) as client:
        yield client


class _Through(httpx.AsyncBaseTransport):
    """Authlib's requests go to the app through the test client's own transport."""

    def __init__(self, client: AsyncTestClient[Litestar]) -> None:
        self._client = client

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        return await self._client._transport.handle_async_request(request)


async def bearer(bank: AsyncTestClient[Litestar]) -> dict[str, str]:
    response = await bank.post(
        "/oauth/token", data={"grant_type": "client_credentials"}, auth=(CLIENT_ID, SECRET)
    )
    assert response.status_code == 200, response.text
    return {"Authorization": f"Bearer {response.json()['access_token']}"}


async def counts(bank: AsyncTestClient[Litestar]) -> dict[str, Any]:
    body: dict[str, Any] = (await bank.get("/_sandbox/intake")).json()
    return body


async def test_authlib_gets_a_token_by_basic_and_by_form(bank: AsyncTestClient[Litestar]) -> None:
    transport = _Through(bank)
    for method in ("client_secret_basic", "client_secret_post"):
        async with AsyncOAuth2Client(
            CLIENT_ID,
            SECRET,
            token_endpoint_auth_method=method,
            scope="intake",
            transport=transport,
        ) as client:
            token = await client.fetch_token(f"{BASE}/oauth/token", grant_type="client_credentials")
        assert token["token_type"] == "Bearer"
        assert token["expires_in"] == 600
        assert token["scope"] == "intake"
        assert token["expires_at"] > 0


async def test_wrong_or_missing_credentials_get_no_token(bank: AsyncTestClient[Litestar]) -> None:
    form = {"grant_type": "client_credentials"}
    wrong = await bank.post("/oauth/token", data=form, auth=(CLIENT_ID, "guess"))
    assert (wrong.status_code, wrong.json()["error"]) == (401, "invalid_client")
    assert wrong.headers["www-authenticate"].startswith("Basic")
    stranger = await bank.post("/oauth/token", data=form, auth=("other", SECRET))
    assert stranger.status_code == 401
    posted = {**form, "client_id": CLIENT_ID, "client_secret": "guess"}
    assert (await bank.post("/oauth/token", data=posted)).status_code == 401
    assert (await bank.post("/oauth/token", data=form)).status_code == 401
    both = {**form, "client_secret": SECRET}
    twice = await bank.post("/oauth/token", data=both, auth=(CLIENT_ID, SECRET))
    assert (twice.status_code, twice.json()["error"]) == (400, "invalid_request")
    grant = await bank.post(
        "/oauth/token", data={"grant_type": "password"}, auth=(CLIENT_ID, SECRET)
    )
    assert (grant.status_code, grant.json()["error"]) == (400, "unsupported_grant_type")
    scope = await bank.post(
        "/oauth/token", data={**form, "scope": "admin"}, auth=(CLIENT_ID, SECRET)
    )
    assert (scope.status_code, scope.json()["error"]) == (400, "invalid_scope")
    as_json = await bank.post("/oauth/token", json=form, auth=(CLIENT_ID, SECRET))
    assert as_json.status_code == 400


async def test_the_intake_wants_a_live_token_of_its_own(bank: AsyncTestClient[Litestar]) -> None:
    headers = {"Idempotency-Key": "d-1"}
    missing = await bank.post("/intake/applications", json=document(), headers=headers)
    assert missing.status_code == 401
    assert missing.headers["content-type"].startswith("application/problem+json")
    forged = {**headers, "Authorization": "Bearer not-ours"}
    assert (
        await bank.post("/intake/applications", json=document(), headers=forged)
    ).status_code == 401
    good = {**headers, **await bearer(bank)}
    assert (
        await bank.post("/intake/applications", json=document(), headers=good)
    ).status_code == 200
    await bank.post("/_sandbox/tokens/expire")
    again = {**good, "Idempotency-Key": "d-2"}
    assert (
        await bank.post("/intake/applications", json=document(), headers=again)
    ).status_code == 401
    seen = await counts(bank)
    assert (seen["received"], seen["accepted"], seen["unauthorized"]) == (4, 1, 3)


async def test_deliveries_are_counted_and_a_seen_key_is_a_duplicate(
    bank: AsyncTestClient[Litestar],
) -> None:
    auth = await bearer(bank)
    first = await bank.post(
        "/intake/applications", json=document(), headers={**auth, "Idempotency-Key": "d-1"}
    )
    assert first.json() == {"accepted": True, "application_id": "app-1"}
    retry = await bank.post(
        "/intake/applications", json=document(), headers={**auth, "Idempotency-Key": "d-1"}
    )
    assert (retry.status_code, retry.json()) == (
        200,
        {"duplicate": True, "application_id": "app-1"},
    )
    # The same application under a new key (a second delivery row) is a new delivery.
    await bank.post(
        "/intake/applications", json=document(), headers={**auth, "Idempotency-Key": "d-9"}
    )
    seen = await counts(bank)
    assert (seen["received"], seen["accepted"], seen["duplicates"]) == (3, 2, 1)
    assert seen["by_key"] == {"d-1": 2, "d-9": 1}
    assert seen["by_application"] == {"app-1": 2}
    assert seen["violations"] == []  # not duplicate-sensitive: a naive bank processes it again


async def test_what_is_not_an_application_is_refused_with_a_problem(
    bank: AsyncTestClient[Litestar],
) -> None:
    auth = await bearer(bank)
    no_key = await bank.post("/intake/applications", json=document(), headers=auth)
    assert no_key.status_code == 400
    for broken in (
        {**document(), "amount": 500000},
        {**document(), "amount": "-1"},
        {**document(), "term_months": "12"},
        {**document(), "links": {}},
        {k: v for k, v in document().items() if k != "id"},
        ["not", "an", "object"],
    ):
        response = await bank.post(
            "/intake/applications", json=broken, headers={**auth, "Idempotency-Key": "d-x"}
        )
        assert response.status_code == 422, broken
        assert response.json()["status"] == 422
    fixed = await bank.post(
        "/intake/applications", json=document(), headers={**auth, "Idempotency-Key": "d-x"}
    )
    assert fixed.json()["accepted"] is True  # a refused body did not use up its key


async def test_faults_fail_the_intake_and_the_token_endpoint_on_command(
    bank: AsyncTestClient[Litestar],
) -> None:
    auth = await bearer(bank)
    armed = await bank.post(
        "/_sandbox/faults", json={"endpoint": "intake", "kind": "error_500", "times": 2}
    )
    assert armed.json()["intake"]["pending"] == ["error_500", "error_500"]
    statuses = []
    for _ in range(3):
        response = await bank.post(
            "/intake/applications", json=document(), headers={**auth, "Idempotency-Key": "d-1"}
        )
        statuses.append(response.status_code)
    assert statuses == [500, 500, 200]
    assert (await counts(bank))["faulted"] == 2
    await bank.post("/_sandbox/faults", json={"endpoint": "token", "kind": "error_503"})
    refused = await bank.post(
        "/oauth/token", data={"grant_type": "client_credentials"}, auth=(CLIENT_ID, SECRET)
    )
    assert refused.status_code == 503
    await bank.post("/_sandbox/faults", json={"endpoint": "intake", "kind": "slow", "delay": 0.05})
    slow = await bank.post(
        "/intake/applications", json=document("app-2"), headers={**auth, "Idempotency-Key": "d-2"}
    )
    assert slow.json()["accepted"] is True  # late, but done
    unknown = await bank.post("/_sandbox/faults", json={"endpoint": "vault", "kind": "down"})
    assert unknown.status_code == 400
    assert (
        await bank.post("/_sandbox/faults", json={"endpoint": "intake", "kind": "melt"})
    ).status_code == 400
    await bank.post("/_sandbox/reset")
    assert (await counts(bank))["received"] == 0


async def test_a_duplicate_sensitive_bank_records_an_application_processed_twice(
    bank: AsyncTestClient[Litestar],
) -> None:
    auth = await bearer(bank)
    await bank.post("/_sandbox/faults", json={"endpoint": "intake", "duplicate_sensitive": True})
    for key in ("d-1", "d-1", "d-2"):
        await bank.post(
            "/intake/applications", json=document(), headers={**auth, "Idempotency-Key": key}
        )
    violations = (await counts(bank))["violations"]
    assert violations == [
        {"kind": "processed_twice", "application_id": "app-1", "idempotency_key": "d-2"}
    ]


@pytest.fixture
def served_bank() -> Iterator[str]:
    app = create_bank_app(intake_client_id=CLIENT_ID, intake_client_secret=SECRET)
    with serve_in_thread(app, name="bank-down", ready_path="/_sandbox/intake") as (url, _):
        yield url


def test_a_down_intake_or_token_endpoint_answers_nothing(served_bank: str) -> None:
    url = served_bank
    token = httpx.post(
        f"{url}/oauth/token", data={"grant_type": "client_credentials"}, auth=(CLIENT_ID, SECRET)
    ).json()["access_token"]
    headers = {"Authorization": f"Bearer {token}", "Idempotency-Key": "d-1"}
    httpx.post(f"{url}/_sandbox/faults", json={"endpoint": "intake", "kind": "down"})
    with pytest.raises(httpx.TransportError):
        httpx.post(f"{url}/intake/applications", json=document(), headers=headers)
    delivered = httpx.post(f"{url}/intake/applications", json=document(), headers=headers)
    assert delivered.json()["accepted"] is True
    httpx.post(f"{url}/_sandbox/faults", json={"endpoint": "token", "persistent": "down"})
    for _ in range(2):
        with pytest.raises(httpx.TransportError):
            httpx.post(
                f"{url}/oauth/token",
                data={"grant_type": "client_credentials"},
                auth=(CLIENT_ID, SECRET),
            )
    seen = httpx.get(f"{url}/_sandbox/intake").json()
    assert (seen["received"], seen["dropped"], seen["accepted"]) == (2, 1, 1)
