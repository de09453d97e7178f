"""Run the sandbox services as their own HTTP server processes, as `xinyidai run` does."""

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
def _serve(
    arguments: list[str],
    *,
    stdin: list[str],
    url: str,
    ready_path: str,
    name: str,
    port_hint: str,
    timeout: float,
) -> Iterator[str]:
    """Start ``python -m xinyidai.sandbox <arguments>`` with the ``stdin`` lines (the secret
    first: never on the command line) on its standard input; yield ``url`` once ``ready_path``
    answers; stop the process on exit."""
    process = subprocess.Popen(  # noqa: S603
        [sys.executable, "-m", "xinyidai.sandbox", *arguments],
        stdin=subprocess.PIPE,
        start_new_session=True,
    )
    assert process.stdin is not None
    for line in stdin:
        process.stdin.write(line.encode() + b"\n")
    process.stdin.close()
    try:
        deadline = time.monotonic() + timeout
        while True:
            if process.poll() is not None:
                raise RuntimeError(
                    f"the {name} exited ({process.returncode}); is its port free? ({port_hint})"
                )
            try:
                if httpx.get(f"{url}{ready_path}", timeout=1).status_code < 500:
                    break
            except httpx.TransportError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError(f"the {name} did not start in time")
            time.sleep(0.1)
        log.info(name.replace(" ", "_"), url=url)
        yield url
    finally:
        process.terminate()
        try:
            process.wait(10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


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
    with _serve(
        [
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
        stdin=[client_secret] + ([json.dumps(platform_jwks)] if platform_jwks is not None else []),
        url=f"http://{host}:{port}",
        ready_path="/_sandbox/calls",
        name="sandbox provider",
        port_hint=f"port {port}, SANDBOX_PORT",
        timeout=timeout,
    ) as url:
        yield url


@contextlib.contextmanager
def sandbox_identity(
    port: int,
    *,
    issuer: str,
    client_id: str,
    client_secret: str,
    redirect_uris: list[str],
    seed: int,
    host: str = "127.0.0.1",
    timeout: float = 30.0,
) -> Iterator[str]:
    """Start the sandbox identity service on ``host:port`` under ``issuer``; yield its base URL
    (``http://host:port``) once its discovery document answers; stop it on exit."""
    arguments = ["identity", "--host", host, "--port", str(port), "--issuer", issuer]
    arguments += ["--client-id", client_id, "--seed", str(seed)]
    for uri in redirect_uris:
        arguments += ["--redirect-uri", uri]
    with _serve(
        arguments,
        stdin=[client_secret],
        url=f"http://{host}:{port}",
        ready_path="/.well-known/openid-configuration",
        name="sandbox identity service",
        port_hint=f"port {port}",
        timeout=timeout,
    ) as url:
        yield url


@contextlib.contextmanager
def sandbox_bank(
    port: int,
    *,
    platform_jwks_uri: str | None = None,
    platform_jwks_file: str | None = None,
    bank_id: str | None = None,
    host: str = "127.0.0.1",
    timeout: float = 30.0,
    platform_url: str | None = None,
    client_id: str | None = None,
    key_file: str | None = None,
    intake_client_id: str | None = None,
    intake_client_secret: str | None = None,
    months_per_minute: float | None = None,
    issuer: str | None = None,
) -> Iterator[str]:
    """Start the sandbox bank on ``host:port``, verifying webhooks with the platform's keys
    at ``platform_jwks_uri`` (or in ``platform_jwks_file``); yield its base URL (webhooks go
    to ``<url>/webhooks``, applications to ``<url>/intake/applications``, the relay's token
    requests to ``<url>/oauth/token``); stop it on exit.

    With ``platform_url``, ``client_id`` and ``key_file`` (the bank's ``private_key_jwt``
    client at the platform and its private JWK), it reviews, decides and lends by itself on a
    demo clock of ``months_per_minute``; ``issuer``: the platform's issuer when it is not
    ``platform_url`` (its ``PUBLIC_URL``). ``intake_client_secret`` goes on standard input."""
    arguments = ["bank", "--host", host, "--port", str(port)]
    options = {
        "--platform-jwks-uri": platform_jwks_uri,
        "--platform-jwks": platform_jwks_file,
        "--bank-id": bank_id,
        "--platform-url": platform_url,
        "--issuer": issuer,
        "--client-id": client_id,
        "--key-file": key_file,
        "--intake-client-id": intake_client_id,
        "--months-per-minute": None if months_per_minute is None else str(months_per_minute),
    }
    for option, value in options.items():
        if value:
            arguments += [option, value]
    with _serve(
        arguments,
        stdin=[intake_client_secret or ""],
        url=f"http://{host}:{port}",
        ready_path="/_sandbox/webhooks",
        name="sandbox bank",
        port_hint=f"port {port}",
        timeout=timeout,
    ) as url:
        yield url
