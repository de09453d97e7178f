"""Bodies the platform cannot take are refused with a problem body, never a 500: not UTF-8,
nested too deep, too large, or in a media type the endpoint does not take; and endpoints that
need a session refuse requests without one before they look at the body."""

from __future__ import annotations

import json
from typing import Any

import pytest
from httpx import Response
from litestar import Litestar
from litestar.testing import AsyncTestClient

from tests.conftest import World, login
from xinyidai.infra.http import MAX_JSON_DEPTH, json_nests_deeper_than
from xinyidai.models import Role

PROBLEM = "application/problem+json"


def _nested(depth: int) -> bytes:
    return b"[" * depth + b"]" * depth


def assert_problem(response: Response, status: int, kind: str | None = None) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith(PROBLEM)
    body: dict[str, Any] = response.json()
    assert body["status"] == status and body["request_id"]
    if kind is not None:
        assert body["type"] == f"urn:xinyidai:problem:{kind}"
    return body


async def test_a_body_that_is_not_utf8_is_a_400_problem(client: AsyncTestClient[Litestar]) -> None:
    response = await client.post(
        "/api/v1/auth/login",
        content=b'{"email": "a\xff\xfe@b.cn", "password": "x"}',
        headers={"content-type": "application/json"},
    )
    body = assert_problem(response, 400, "malformed-request")
    assert "UTF-8" in body["detail"]


@pytest.mark.parametrize("depth", [MAX_JSON_DEPTH + 1, 100_000])
async def test_json_nested_deeper_than_the_limit_is_a_400_problem(
    client: AsyncTestClient[Litestar], depth: int
) -> None:
    response = await client.post(
        "/api/v1/auth/login",
        content=b'{"email": ' + _nested(depth) + b"}",
        headers={"content-type": "application/json"},
    )
    body = assert_problem(response, 400, "malformed-request")
    assert str(MAX_JSON_DEPTH) in body["detail"]


async def test_json_within_the_depth_limit_is_decoded_and_validated(
    client: AsyncTestClient[Litestar],
) -> None:
    response = await client.post(
        "/api/v1/auth/login",
        content=b'{"email": ' + _nested(MAX_JSON_DEPTH - 1) + b', "password": "x"}',
        headers={"content-type": "application/json"},
    )
    assert_problem(response, 422)  # decoded; the e-mail is no list


def test_brackets_inside_strings_do_not_count_as_nesting() -> None:
    deep_text = json.dumps({"note": "[" * 500 + '\\"{' * 100}).encode()
    assert not json_nests_deeper_than(deep_text)
    assert json_nests_deeper_than(b'{"a": "]]]", "b": ' + _nested(MAX_JSON_DEPTH + 1) + b"}")
    assert not json_nests_deeper_than(b"[" + b"[1]," * 1000 + b"1]")


@pytest.mark.parametrize(
    "content_type",
    ["text/plain", "text/plain;charset=UTF-8", "application/x-www-form-urlencoded", None],
)
async def test_json_endpoints_refuse_other_media_types_with_415(
    client: AsyncTestClient[Litestar], world: World, content_type: str | None
) -> None:
    # text/plain is what a cross-site form can send without a CORS preflight.
    await world.user("plain@example.com", Role.OFFICE)
    credentials = json.dumps({"email": "plain@example.com", "password": "Correct-Horse-42"})
    headers = {"content-type": content_type} if content_type else {}
    response = await client.post("/api/v1/auth/login", content=credentials, headers=headers)
    assert_problem(response, 415, "unsupported-media-type")
    assert "xyd_session" not in response.cookies


async def test_structured_json_media_types_are_taken(
    client: AsyncTestClient[Litestar], world: World
) -> None:
    await world.user("vnd@example.com", Role.OFFICE)
    credentials = json.dumps({"email": "vnd@example.com", "password": "Correct-Horse-42"})
    response = await client.post(
        "/api/v1/auth/login",
        content=credentials,
        headers={"content-type": "application/vnd.xinyidai+json; charset=utf-8"},
    )
    assert response.status_code == 200, response.text


async def test_the_upload_endpoint_refuses_json_with_415(
    client: AsyncTestClient[Litestar], world: World
) -> None:
    await world.user("office-json@example.com", Role.OFFICE)
    await login(client, "office-json@example.com")
    response = await client.post("/api/v1/office/imports", json={"file": "records.csv"})
    assert_problem(response, 415, "unsupported-media-type")


async def test_bodies_over_the_size_limit_are_a_413_problem(
    client: AsyncTestClient[Litestar],
) -> None:
    response = await client.post(
        "/api/v1/auth/login",
        content=b'{"email": "' + b"a" * (3 * 1024 * 1024) + b'"}',
        headers={"content-type": "application/json"},
    )
    assert_problem(response, 413)


async def test_without_a_session_the_body_is_never_judged(
    client: AsyncTestClient[Litestar],
) -> None:
    """401 for a protected endpoint whatever the body: it is not read, let alone decoded."""
    url = "/api/v1/enterprises/01900000-0000-7000-8000-000000000000"
    for content, content_type in [
        (b"\xff\xfe not json", "application/json"),
        (b'{"name": ' + _nested(100_000) + b"}", "application/json"),
        (b'{"name": "x"}', "text/plain"),
    ]:
        response = await client.patch(url, content=content, headers={"content-type": content_type})
        assert_problem(response, 401, "not-authenticated")


async def test_logged_in_bodies_are_checked_too(
    client: AsyncTestClient[Litestar], world: World
) -> None:
    enterprise = await world.enterprise()
    await world.user("owner@example.com", Role.SME, org=enterprise.uscc)
    await login(client, "owner@example.com")
    url = f"/api/v1/enterprises/{enterprise.id}"
    bad_utf8 = await client.patch(
        url, content=b'{"name": "\xc3\x28"}', headers={"content-type": "application/json"}
    )
    assert_problem(bad_utf8, 400, "malformed-request")
    deep = await client.patch(
        url, content=b'{"name": ' + _nested(64) + b"}", headers={"content-type": "application/json"}
    )
    assert_problem(deep, 400, "malformed-request")
    plain = await client.patch(
        url, content=b'{"name": "x"}', headers={"content-type": "text/plain"}
    )
    assert_problem(plain, 415, "unsupported-media-type")


async def test_a_missing_field_is_named_in_the_problem(client: AsyncTestClient[Litestar]) -> None:
    response = await client.post("/api/v1/auth/login", json={"email": "a@example.com"})
    body = assert_problem(response, 422, "invalid-input")
    assert [e["field"] for e in body["errors"]] == ["password"], body
