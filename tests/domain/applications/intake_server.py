"""A bank's side of the relay, for tests only: an OAuth token endpoint (client credentials,
client_secret_basic) and an intake that honours ``Idempotency-Key`` (a key seen before is a
duplicate: 2xx, no new effect), counting everything. Served over a real socket with
``tests.serving.serve_in_thread``; the test's thread reads the counts while it runs.

Faults: ``down`` (503 to every intake request), ``fail_next`` (503 to the next n), ``hold``
(process the request, then keep the connection open without answering until ``release``),
``revoke_tokens`` (forget every issued token: the next intake request gets 401)."""

from __future__ import annotations

import asyncio
import base64
import secrets
import threading
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import msgspec
from litestar import Litestar, Request, get, post
from litestar.response import Response

from tests.serving import serve_in_thread


@dataclass
class IntakeBank:
    clients: dict[str, str]  # client id -> secret
    token_seconds: int = 3600
    lock: threading.Lock = field(default_factory=threading.Lock)
    token_requests: Counter[str] = field(default_factory=Counter)
    scopes: list[str | None] = field(default_factory=list)
    tokens: dict[str, str] = field(default_factory=dict)  # live token -> client id
    requests: list[dict[str, Any]] = field(default_factory=list)  # every intake request
    processed: dict[str, dict[str, Any]] = field(default_factory=dict)  # key -> first body
    down: bool = False
    fail_next: int = 0
    hold: bool = False
    released: threading.Event = field(default_factory=threading.Event)
    url: str = ""

    # --- what the test reads --------------------------------------------------------------------
    def outcomes(self) -> list[str]:
        with self.lock:
            return [r["outcome"] for r in self.requests]

    def processed_keys(self) -> set[str]:
        with self.lock:
            return set(self.processed)

    def processed_applications(self) -> Counter[str]:
        """How many times each application was processed (its first key only counts)."""
        with self.lock:
            return Counter(body["id"] for body in self.processed.values())

    def held(self) -> int:
        with self.lock:
            return sum(1 for r in self.requests if r["outcome"] == "held")

    def revoke_tokens(self) -> None:
        with self.lock:
            self.tokens.clear()

    def set(self, **values: Any) -> None:
        with self.lock:
            for name, value in values.items():
                setattr(self, name, value)

    # --- serving --------------------------------------------------------------------------------
    def _client(self, request: Request[Any, Any, Any]) -> str | None:
        header = request.headers.get("authorization", "")
        if not header.startswith("Basic "):
            return None
        try:
            client_id, _, secret = base64.b64decode(header[6:]).decode().partition(":")
        except ValueError:
            return None
        return client_id if self.clients.get(client_id) == secret else None

    def app(self) -> Litestar:
        bank = self

        @post("/token", status_code=200)
        async def token(request: Request[Any, Any, Any]) -> Response[Any]:
            form = await request.form()
            client_id = bank._client(request)
            if client_id is None:
                return Response({"error": "invalid_client"}, status_code=401)
            if form.get("grant_type") != "client_credentials":
                return Response({"error": "unsupported_grant_type"}, status_code=400)
            issued = secrets.token_urlsafe(24)
            with bank.lock:
                bank.token_requests[client_id] += 1
                bank.scopes.append(form.get("scope"))
                bank.tokens[issued] = client_id
            return Response(
                {"access_token": issued, "token_type": "Bearer", "expires_in": bank.token_seconds}
            )

        @post("/intake", status_code=200)
        async def intake(request: Request[Any, Any, Any]) -> Response[Any]:
            key = request.headers.get("idempotency-key", "")
            auth = request.headers.get("authorization", "")
            body = msgspec.json.decode(await request.body())
            entry = {"key": key, "application": body.get("id"), "headers": dict(request.headers)}
            with bank.lock:
                bank.requests.append(entry)
                if not auth.startswith("Bearer ") or auth[7:] not in bank.tokens:
                    entry["outcome"] = "unauthorised"
                    return Response({"error": "invalid_token"}, status_code=401)
                if bank.down or bank.fail_next > 0:
                    bank.fail_next = max(0, bank.fail_next - 1)
                    entry["outcome"] = "fault"
                    return Response({"error": "unavailable"}, status_code=503)
                if key in bank.processed:
                    entry["outcome"] = "duplicate"
                    return Response({"status": "duplicate"})
                bank.processed[key] = body
                entry["outcome"] = "held" if bank.hold else "accepted"
                holding = bank.hold
            if holding:  # until the test lets go (the relay's worker may be dead by then)
                await asyncio.to_thread(bank.released.wait)
            return Response({"status": "accepted"})

        @get("/ready", sync_to_thread=False)
        def ready() -> str:
            return "ok"

        return Litestar([token, intake, ready])


@contextmanager
def running_bank(clients: dict[str, str], **options: Any) -> Iterator[IntakeBank]:
    bank = IntakeBank(clients=clients, **options)
    try:
        with serve_in_thread(bank.app(), name="intake-bank", ready_path="/ready") as (url, _):
            bank.url = url
            yield bank
    finally:
        bank.released.set()
