"""Every response carries a request id; errors are RFC 9457 problems; metrics are counted."""

from __future__ import annotations


async def test_a_fresh_request_id_is_made_and_a_good_one_is_kept(client) -> None:
    fresh = await client.get("/health/live")
    assert len(fresh.headers["x-request-id"]) == 32
    kept = await client.get("/health/live", headers={"x-request-id": "trace-1234-abcd"})
    assert kept.headers["x-request-id"] == "trace-1234-abcd"
    hostile = await client.get("/health/live", headers={"x-request-id": "bad id\nInjected: 1"})
    assert hostile.headers["x-request-id"] != "bad id\nInjected: 1"


async def test_unknown_routes_are_problem_details_with_the_request_id(client) -> None:
    response = await client.get("/no/such/thing", headers={"x-request-id": "req-404-check"})
    assert response.status_code == 404
    assert response.headers["content-type"].startswith("application/problem+json")
    body = response.json()
    assert body["status"] == 404 and body["title"] == "Not found"
    assert body["request_id"] == "req-404-check"
    assert body["instance"] == "/no/such/thing"


async def test_malformed_json_is_a_400_problem(client) -> None:
    response = await client.post(
        "/api/v1/auth/login", content=b'{"email": ', headers={"content-type": "application/json"}
    )
    assert response.status_code == 400
    assert response.headers["content-type"].startswith("application/problem+json")


async def test_schema_violations_are_422_naming_the_field(client) -> None:
    response = await client.post("/api/v1/auth/login", json={"email": "a@b.cn"})
    assert response.status_code == 422
    assert "password" in response.text


async def test_metrics_count_requests_by_route_template(client) -> None:
    await client.get("/api/v1/enterprises/01900000-0000-7000-8000-000000000000")
    text = (await client.get("/metrics")).text
    route = "/api/v1/enterprises/{enterprise_id}"
    assert f'xinyidai_http_requests_total{{method="GET",route="{route}",status="401"}} 1.0' in text
    assert "xinyidai_http_request_duration_seconds_bucket" in text


async def test_the_openapi_document_and_its_page_are_served_offline(client) -> None:
    spec = await client.get("/schema/openapi.json")
    assert spec.status_code == 200
    assert "/api/v1/auth/login" in spec.json()["paths"]
    page = await client.get("/schema")
    assert page.status_code == 200
    assert "/schema-assets/swagger-ui-bundle.js" in page.text
    asset = await client.get("/schema-assets/swagger-ui-bundle.js")
    assert asset.status_code == 200


async def test_every_request_returns_its_database_connection(app, client, world) -> None:
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
