"""Every response carries a request id; errors are RFC 9457 problems; metrics are counted."""

from __future__ import annotations

import dataclasses
import re
from collections.abc import AsyncIterator

import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient

from tests.conftest import World
from xinyidai.app import create_app
from xinyidai.infra.http import CONTENT_SECURITY_POLICY
from xinyidai.settings import Settings


async def test_a_fresh_request_id_is_made_and_a_good_one_is_kept(
    client: AsyncTestClient[Litestar],
) -> None:
    fresh = await client.get("/health/live")
    assert len(fresh.headers["x-request-id"]) == 32
    kept = await client.get("/health/live", headers={"x-request-id": "trace-1234-abcd"})
    assert kept.headers["x-request-id"] == "trace-1234-abcd"
    hostile = await client.get("/health/live", headers={"x-request-id": "bad id\nInjected: 1"})
    assert hostile.headers["x-request-id"] != "bad id\nInjected: 1"


async def test_unknown_routes_are_problem_details_with_the_request_id(
    client: AsyncTestClient[Litestar],
) -> None:
    response = await client.get("/api/v1/no/such/thing", headers={"x-request-id": "req-404-check"})
    assert response.status_code == 404
    assert response.headers["content-type"].startswith("application/problem+json")
    body = response.json()
    assert body["status"] == 404 and body["title"] == "Not found"
    assert body["request_id"] == "req-404-check"
    assert body["instance"] == "/api/v1/no/such/thing"


async def test_malformed_json_is_a_400_problem(client: AsyncTestClient[Litestar]) -> None:
    response = await client.post(
        "/api/v1/auth/login", content=b'{"email": ', headers={"content-type": "application/json"}
    )
    assert response.status_code == 400
    assert response.headers["content-type"].startswith("application/problem+json")


async def test_schema_violations_are_422_naming_the_field(
    client: AsyncTestClient[Litestar],
) -> None:
    response = await client.post("/api/v1/auth/login", json={"email": "a@b.cn"})
    assert response.status_code == 422
    assert "password" in response.text


@pytest.fixture
async def scraper(settings: Settings) -> AsyncIterator[AsyncTestClient[Litestar]]:
    app = create_app(dataclasses.replace(settings, metrics_token="scrape-me-0123456789"))
    async with AsyncTestClient(app=app, base_url="https://testserver.local") as c:
        yield c


async def test_metrics_count_requests_by_route_template(
    scraper: AsyncTestClient[Litestar],
) -> None:
    await scraper.get("/api/v1/enterprises/01900000-0000-7000-8000-000000000000")
    text = (
        await scraper.get("/metrics", headers={"authorization": "Bearer scrape-me-0123456789"})
    ).text
    route = "/api/v1/enterprises/{enterprise_id}"
    assert f'xinyidai_http_requests_total{{method="GET",route="{route}",status="401"}} 1.0' in text
    assert "xinyidai_http_request_duration_seconds_bucket" in text


async def test_the_openapi_document_and_its_page_are_served_offline(
    client: AsyncTestClient[Litestar],
) -> None:
    spec = await client.get("/schema/openapi.json")
    assert spec.status_code == 200
    assert "/api/v1/auth/login" in spec.json()["paths"]
    page = await client.get("/schema")
    assert page.status_code == 200
    assert "/schema-assets/swagger-ui-bundle.js" in page.text
    assert "cdn" not in page.text  # nothing, not even the favicon, comes from elsewhere
    asset = await client.get("/schema-assets/swagger-ui-bundle.js")
    assert asset.status_code == 200


async def test_every_request_returns_its_database_connection(
    app: Litestar, client: AsyncTestClient[Litestar], world: World
) -> None:
    from tests.conftest import login
    from xinyidai.models import Role

    await world.user("pool@example.com", Role.OFFICE)
    await login(client, "pool@example.com")
    for _ in range(25):
        assert (await client.get("/api/v1/me")).status_code == 200
        assert (await client.get("/api/v1/enterprises/not-a-uuid")).status_code in (400, 404)
        assert (
            await client.patch(
                "/api/v1/banks/01900000-0000-7000-8000-000000000000", json={"contact_name": "x"}
            )
        ).status_code == 404
    assert app.state.alchemy.get_engine().pool.checkedout() == 0


async def test_metrics_need_the_token_when_one_is_set(
    scraper: AsyncTestClient[Litestar],
) -> None:
    for headers in (
        {},
        {"authorization": "Bearer wrong-token"},
        {"authorization": "Basic scrape-me-0123456789"},
        {"authorization": "Bearer scrape-me-0123456789x"},
    ):
        refused = await scraper.get("/metrics", headers=headers)
        assert refused.status_code == 404, headers
        assert refused.headers["content-type"].startswith("application/problem+json")
    scraped = await scraper.get(
        "/metrics", headers={"authorization": "bearer scrape-me-0123456789"}
    )
    assert scraped.status_code == 200


async def test_metrics_are_not_for_remote_clients_without_a_token(
    client: AsyncTestClient[Litestar],
) -> None:
    # The test client's address is "testclient", not loopback.
    assert (await client.get("/metrics")).status_code == 404


async def test_every_response_carries_the_security_headers(
    client: AsyncTestClient[Litestar],
) -> None:
    for path in (
        "/",
        "/health/live",
        "/api/v1/no/such/thing",
        "/api/v1/me",
        "/schema/openapi.json",
    ):
        response = await client.get(path)
        assert response.headers["x-content-type-options"] == "nosniff", path
        assert response.headers["referrer-policy"] == "no-referrer", path
        assert response.headers["x-frame-options"] == "DENY", path
        assert response.headers["content-security-policy"] == CONTENT_SECURITY_POLICY, path
    policy = CONTENT_SECURITY_POLICY
    assert "frame-ancestors 'none'" in policy and "object-src 'none'" in policy
    assert "script-src 'self';" in policy  # no inline scripts, no eval


async def test_api_responses_are_not_stored_by_caches(
    client: AsyncTestClient[Litestar], world: World
) -> None:
    from tests.conftest import login
    from xinyidai.models import Role

    assert (await client.get("/api/v1/me")).headers["cache-control"] == "no-store"
    await world.user("cache@example.com", Role.OFFICE)
    await login(client, "cache@example.com")
    me = await client.get("/api/v1/me")
    assert me.status_code == 200
    assert me.headers["cache-control"] == "no-store"
    assert me.headers["x-content-type-options"] == "nosniff"
    assert "no-store" not in (await client.get("/health/live")).headers.get("cache-control", "")


async def test_the_api_documentation_runs_its_inline_script_by_nonce(
    client: AsyncTestClient[Litestar],
) -> None:
    first = await client.get("/schema")
    second = await client.get("/schema")
    nonces = []
    for page in (first, second):
        policy = page.headers["content-security-policy"]
        match = re.search(r"script-src 'self' 'nonce-([A-Za-z0-9_-]+)'", policy)
        assert match, policy
        nonce = match.group(1)
        # Every inline script carries it; the others are loaded from this origin.
        inline = re.findall(r"<script(?![^>]*\bsrc=)([^>]*)>", page.text)
        assert inline and all(f"nonce='{nonce}'" in attrs for attrs in inline)
        assert "'unsafe-inline'" not in policy.split("script-src")[1].split(";")[0]
        nonces.append(nonce)
    assert nonces[0] != nonces[1]
