"""Serve an ASGI app under uvicorn in a background thread on a free loopback port (tests)."""

from __future__ import annotations

import contextlib
import socket
import threading
import time
from collections.abc import Callable, Iterator

import httpx
import uvicorn
from litestar import Litestar


@contextlib.contextmanager
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
