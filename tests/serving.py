"""Serve an app with uvicorn on a free loopback port, in a thread with its own event loop, so
tests can talk to it over real sockets: as a browser or a scraper would, byte by byte if they
like."""

from __future__ import annotations

import asyncio
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import uvicorn


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
