"""End to end: the platform served over a real socket with its job worker, a bank user setting
its webhook URL through the API, an event emitted, the real queue and worker delivering it to
the sandbox bank, which verifies it with the keys it fetches from the platform's JWKS URL; two
failures first, retried after their backoff; the bank reads the outcome in its delivery log."""

from __future__ import annotations

import asyncio
import dataclasses
from typing import Any

import httpx
import pytest

from tests.bank_fixtures import RunningBank
from tests.conftest import PASSWORD, World
from tests.serving import serve
from xinyidai.app import create_app
from xinyidai.domain.accounts.sessions import CSRF_COOKIE, CSRF_HEADER
from xinyidai.domain.webhooks import PROFILE_UPDATED, Webhooks
from xinyidai.infra.db import create_engine, session_factory, unit_of_work
from xinyidai.infra.queue import create_queue
from xinyidai.models import Role
from xinyidai.settings import Settings

pytestmark = pytest.mark.slow  # a served platform with its worker


async def _login(client: httpx.AsyncClient, email: str) -> None:
    response = await client.post("/api/v1/auth/login", json={"email": email, "password": PASSWORD})
    assert response.status_code == 200, response.text
    client.headers[CSRF_HEADER] = response.cookies.get(CSRF_COOKIE) or response.json()["csrf_token"]


async def _emit(settings: Settings, bank_id: Any) -> None:
    """Emit as another capability would, in a transaction whose sessions have the queue."""
    assert settings.database_url and settings.redis_url
    queue = create_queue(settings.redis_url)
    engine = create_engine(settings, settings.database_url)
    try:
        async with unit_of_work(session_factory(engine, enqueue=queue.enqueue)) as session:
            await Webhooks(session).emit(
                bank_id, PROFILE_UPDATED, {"uscc": "91440106MA5CXXXX0X", "version": 2}
            )
    finally:
        await engine.dispose()
        await queue.disconnect()


async def test_the_worker_delivers_retries_and_the_bank_verifies_with_the_published_jwks(
    webhook_settings: Settings, world: World, sandbox_bank: RunningBank
) -> None:
    live = dataclasses.replace(
        webhook_settings,
        worker_in_process=True,
        cookie_secure=False,  # served over http here
        webhook_backoff_base=0.2,
        webhook_backoff_cap=0.5,
        webhook_max_attempts=5,
    )
    bank = await world.bank("BANK_A")
    await world.user("a@bank.example.com", Role.BANK, "BANK_A")
    with serve(create_app(live)) as server:
        sandbox_bank.trust_uri(f"{server.url}/.well-known/jwks.json")  # no key given otherwise
        sandbox_bank.faults.apply({"fail_next": 2})
        async with httpx.AsyncClient(base_url=server.url, timeout=10) as client:
            await _login(client, "a@bank.example.com")
            put = await client.put(
                f"/api/v1/banks/{bank.id}/webhook", json={"url": sandbox_bank.webhook_url}
            )
            assert put.status_code == 200, put.text

            await _emit(live, bank.id)

            log: dict[str, Any] = {}
            for _ in range(300):  # a bound, not a timing assertion: ~60 s before failing
                log = (await client.get(f"/api/v1/banks/{bank.id}/webhook-deliveries")).json()
                if log["items"] and log["items"][0]["status"] in ("delivered", "dead"):
                    break
                await asyncio.sleep(0.2)

    [delivery] = log["items"]
    assert delivery["status"] == "delivered", delivery
    assert delivery["event_type"] == "profile.updated"
    assert delivery["attempts"] == 3
    assert [a["status_code"] for a in delivery["attempt_log"]] == [500, 500, 200]
    assert delivery["last_status_code"] == 200
    assert delivery["delivered_at"] is not None
    received = sandbox_bank.received()
    assert [e["outcome"] for e in received] == ["fault", "fault", "accepted"]
    assert received[-1]["event"]["data"] == {"uscc": "91440106MA5CXXXX0X", "version": 2}
    assert received[-1]["delivery_id"] == delivery["id"]
