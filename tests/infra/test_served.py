"""Against the app served by uvicorn over a real socket: requests are refused before their bodies
are read (no session: 401; too large: 413), and /metrics opens only to loopback scrapers."""

from __future__ import annotations

import asyncio
import dataclasses
from collections.abc import AsyncIterator

import httpx
import pytest

from tests.conftest import PASSWORD, World
from tests.serving import RawResponse, read_response, serve
from xinyidai.app import create_app
from xinyidai.domain.credit_data.office_imports import MAX_UPLOAD
from xinyidai.models import Role
from xinyidai.settings import Settings

IMPORTS = "/api/v1/office/imports"
DECLARED = 150 * 1024 * 1024  # what the client says it will send
SENT = 64 * 1024  # what it sends before it waits for an answer


@pytest.fixture
def served_settings(settings: Settings) -> Settings:
    return dataclasses.replace(settings, cookie_secure=False)


async def _upload_start(
    port: int, declared: int, headers: dict[str, str] | None = None
) -> RawResponse:
    """Announce a multipart upload of ``declared`` bytes, send only its first ``SENT`` bytes,
    and read the answer: it arrives only if the server answers without waiting for the rest."""
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    try:
        head = {
            "host": "127.0.0.1",
            "content-type": "multipart/form-data; boundary=xyd",
            "content-length": str(declared),
            **(headers or {}),
        }
        lines = [f"POST {IMPORTS} HTTP/1.1", *(f"{k}: {v}" for k, v in head.items()), "", ""]
        writer.write("\r\n".join(lines).encode())
        part = b'--xyd\r\ncontent-disposition: form-data; name="file"; filename="r.csv"\r\n\r\n'
        writer.write(part + b"x" * (SENT - len(part)))
        await writer.drain()
        # Not a timed assertion: a generous bound so that a server that waits for the body
        # fails the test instead of hanging it.
        return await asyncio.wait_for(read_response(reader), timeout=60)
    finally:
        writer.close()


async def test_an_upload_without_a_session_is_refused_before_its_body_is_read(
    served_settings: Settings,
) -> None:
    with serve(create_app(served_settings)) as server:
        response = await _upload_start(server.port, DECLARED)
        assert response.status == 401
        assert response.headers["content-type"].startswith("application/problem+json")
        assert b"not-authenticated" in response.body
        assert server.counter.received.get(IMPORTS, 0) == 0  # the app read none of the body


async def test_an_upload_without_the_csrf_token_is_refused_before_its_body_is_read(
    served_settings: Settings, world: World
) -> None:
    await world.user("office-csrf@example.com", Role.OFFICE)
    with serve(create_app(served_settings)) as server:
        async with httpx.AsyncClient(base_url=server.url) as client:
            login = await client.post(
                "/api/v1/auth/login",
                json={"email": "office-csrf@example.com", "password": PASSWORD},
            )
            assert login.status_code == 200
        cookie = f"xyd_session={login.cookies['xyd_session']}"
        response = await _upload_start(server.port, DECLARED, {"cookie": cookie})
        assert response.status == 403
        assert server.counter.received.get(IMPORTS, 0) == 0


async def test_an_upload_over_the_limit_is_a_413_before_its_body_is_read(
    served_settings: Settings, world: World
) -> None:
    await world.user("office-big@example.com", Role.OFFICE)
    with serve(create_app(served_settings)) as server:
        async with httpx.AsyncClient(base_url=server.url) as client:
            login = await client.post(
                "/api/v1/auth/login",
                json={"email": "office-big@example.com", "password": PASSWORD},
            )
        headers = {
            "cookie": f"xyd_session={login.cookies['xyd_session']}",
            "x-csrf-token": login.json()["csrf_token"],
        }
        response = await _upload_start(server.port, MAX_UPLOAD + 1, headers)
        assert response.status == 413
        assert response.headers["content-type"].startswith("application/problem+json")
        assert server.counter.received.get(IMPORTS, 0) == 0


async def test_a_streamed_body_stops_being_read_at_the_limit(served_settings: Settings) -> None:
    """Without a Content-Length (chunked), the app reads up to the limit and answers 413."""
    sent = 0

    async def endless() -> AsyncIterator[bytes]:
        nonlocal sent
        yield b'{"email": "'
        while sent < 50 * 1024 * 1024:
            sent += 64 * 1024
            yield b"a" * (64 * 1024)

    with serve(create_app(served_settings)) as server:
        async with httpx.AsyncClient(base_url=server.url, timeout=60) as client:
            response = await client.post(
                "/api/v1/auth/login",
                content=endless(),
                headers={"content-type": "application/json"},
            )
        assert response.status_code == 413
        assert response.headers["content-type"].startswith("application/problem+json")
        read = server.counter.received["/api/v1/auth/login"]
        assert 2 * 1024 * 1024 < read <= 3 * 1024 * 1024


async def test_metrics_are_served_to_a_loopback_scraper_only(served_settings: Settings) -> None:
    with serve(create_app(served_settings)) as server:
        async with httpx.AsyncClient(base_url=server.url) as client:
            scraped = await client.get("/metrics")
            assert scraped.status_code == 200
            assert "xinyidai_http_requests_total" in scraped.text
            # A remote client behind a reverse proxy on this host also connects from loopback.
            proxied = await client.get("/metrics", headers={"x-forwarded-for": "203.0.113.9"})
            assert proxied.status_code == 404
            assert proxied.headers["content-type"].startswith("application/problem+json")


async def test_trusted_proxies_do_not_make_a_remote_client_loopback(
    served_settings: Settings,
) -> None:
    trusting = dataclasses.replace(served_settings, trusted_proxies=True)
    with serve(create_app(trusting)) as server:
        async with httpx.AsyncClient(base_url=server.url) as client:
            for forwarded in ("127.0.0.1", "::1", "203.0.113.9"):
                response = await client.get("/metrics", headers={"x-forwarded-for": forwarded})
                assert response.status_code == 404, forwarded


async def test_a_client_that_leaves_mid_body_is_not_a_server_error(
    served_settings: Settings,
) -> None:
    with serve(create_app(served_settings)) as server:
        _, writer = await asyncio.open_connection("127.0.0.1", server.port)
        head = (
            "POST /api/v1/auth/login HTTP/1.1\r\nhost: 127.0.0.1\r\n"
            "content-type: application/json\r\ncontent-length: 1000000\r\n\r\n"
        )
        writer.write(head.encode() + b'{"email": "' + b"a" * 1024)
        await writer.drain()
        writer.close()
        await writer.wait_closed()
        route = 'route="/api/v1/auth/login"'
        async with httpx.AsyncClient(base_url=server.url) as client:

            async def answered() -> str:
                while True:
                    text = (await client.get("/metrics")).text
                    if route in text:
                        return text
                    await asyncio.sleep(0.05)

            text = await asyncio.wait_for(answered(), timeout=60)
        counted = [line for line in text.splitlines() if route in line and "_total" in line]
        assert counted and all('status="400"' in line for line in counted), counted
