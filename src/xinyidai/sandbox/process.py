"""Run the sandbox provider as its own HTTP server process, as `xinyidai run` does."""

from __future__ import annotations

import contextlib
import json
import subprocess
import sys
import time
from collections.abc import Iterator, Mapping
from typing import Any

import httpx
import structlog

log = structlog.get_logger(__name__)


@contextlib.contextmanager
def sandbox_provider(
    port: int,
    *,
    seed: int,
    client_id: str,
    client_secret: str,
    host: str = "127.0.0.1",
    timeout: float = 30.0,
    platform_jwks: Mapping[str, Any] | None = None,
) -> Iterator[str]:
    """Start the sandbox provider on ``host:port``; yield its base URL; stop it on exit.

    ``platform_jwks``: the platform's public JWK Set, which the receipts it sends must verify
    against (without it the sandbox refuses every series call)."""
    process = subprocess.Popen(  # noqa: S603
        [
            sys.executable,
            "-m",
            "xinyidai.sandbox",
            "--host",
            host,
            "--port",
            str(port),
            "--seed",
            str(seed),
            "--client-id",
            client_id,
            "--audience",  # the id receipts name it by: PROVIDER_AUDIENCE defaults to this URL
            f"http://{host}:{port}",
        ],
        stdin=subprocess.PIPE,
        start_new_session=True,
    )
    assert process.stdin is not None
    process.stdin.write(client_secret.encode() + b"\n")  # not on the command line
    if platform_jwks is not None:
        process.stdin.write(json.dumps(platform_jwks).encode() + b"\n")
    process.stdin.close()
    url = f"http://{host}:{port}"
    try:
        deadline = time.monotonic() + timeout
        while True:
            if process.poll() is not None:
                raise RuntimeError(
                    f"the sandbox provider exited ({process.returncode}); "
                    f"is port {port} free? (SANDBOX_PORT)"
                )
            try:
                if httpx.get(f"{url}/_sandbox/calls", timeout=1).status_code < 500:
                    break
            except httpx.TransportError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError("the sandbox provider did not start in time")
            time.sleep(0.1)
        log.info("sandbox_provider", url=url)
        yield url
    finally:
        process.terminate()
        try:
            process.wait(10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
