"""Serve an app with uvicorn on a free loopback port, in a thread with its own event loop, so
tests can talk to it over real sockets: as a browser or a scraper would, byte by byte if they
like. ``serve`` runs the platform (its lifespan included); ``serve_in_thread`` runs a sandbox
service (no lifespan) and waits for one of its paths to answer."""

from __future__ import annotations

import asyncio
import socket
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import httpx
import uvicorn
from litestar import Litestar


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class BodyCounter:
    """ASGI wrapper that counts the request-body bytes the app asked for (by path)."""

    app: Any
    received: dict[str, int] = field(default_factory=dict)

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path = scope["path"]

        async def counting_receive() -> Any:
            message = await receive()
            if message["type"] == "http.request":
                self.received[path] = self.received.get(path, 0) + len(message.get("body", b""))
            return message

        await self.app(scope, counting_receive, send)


@dataclass
class Served:
    host: str
    port: int
    counter: BodyCounter

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"


@contextmanager
def serve(app: Any, *, start_timeout: float = 60.0) -> Iterator[Served]:
    """Run ``app`` (its lifespan included) under uvicorn until the block ends."""
    counter = BodyCounter(app)
    port = free_port()
    config = uvicorn.Config(
        counter,
        host="127.0.0.1",
        port=port,
        lifespan="on",
        log_level="warning",
        access_log=False,
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, name=f"uvicorn-{port}", daemon=True)
    thread.start()
    deadline = time.monotonic() + start_timeout
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            raise RuntimeError("the test server did not start")
        time.sleep(0.02)
    try:
        yield Served("127.0.0.1", port, counter)
    finally:
        server.should_exit = True
        thread.join(timeout=30)


@dataclass
class RawResponse:
    status: int
    headers: dict[str, str]
    body: bytes


async def read_response(reader: asyncio.StreamReader) -> RawResponse:
    """Read one HTTP/1.1 response with a Content-Length (what our app sends)."""
    status_line = await reader.readline()
    status = int(status_line.split()[1])
    headers: dict[str, str] = {}
    while True:
        line = await reader.readline()
        if line in (b"\r\n", b"\n", b""):
            break
        name, _, value = line.decode("latin-1").partition(":")
        headers[name.strip().lower()] = value.strip()
    body = await reader.readexactly(int(headers.get("content-length", "0")))
    return RawResponse(status, headers, body)


@contextmanager
def serve_in_thread(
    app: Litestar | Callable[[str], Litestar], *, name: str, ready_path: str
) -> Iterator[tuple[str, Litestar]]:
    """Run ``app`` until the block ends; yield its base URL and the app once ``ready_path``
    answers 200. ``app`` may be a function of the base URL (for an app that must know it)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(("127.0.0.1", 0))
        sock.listen(128)
        url = f"http://127.0.0.1:{sock.getsockname()[1]}"
        served = app if isinstance(app, Litestar) else app(url)
        config = uvicorn.Config(
            served,
            log_level="warning",
            access_log=False,
            lifespan="off",
            timeout_graceful_shutdown=1,
        )
        server = uvicorn.Server(config)
        # Off the main thread uvicorn installs no signal handlers; server.run makes its own loop.
        thread = threading.Thread(
            target=server.run, kwargs={"sockets": [sock]}, name=name, daemon=True
        )
        thread.start()
        try:
            deadline = time.monotonic() + 15
            while True:
                if not thread.is_alive():
                    raise RuntimeError(f"{name} did not start")
                if server.started:
                    try:
                        if httpx.get(f"{url}{ready_path}", timeout=1).status_code == 200:
                            break
                    except httpx.HTTPError:
                        pass
                if time.monotonic() > deadline:
                    raise RuntimeError(f"{name} did not answer within 15 s")
                time.sleep(0.02)
            yield url, served
        finally:
            server.should_exit = True
            thread.join(timeout=10)
