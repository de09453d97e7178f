"""End to end: the platform served with its job worker; a new negative record about a borrower
lands and its profile is rebuilt, the real queue runs ``score_snapshot``, which queues
``check_loan_warnings``, which writes the warning and its webhook; the worker delivers it to
the sandbox bank, which verifies it with the platform's published keys; the bank's user then
finds the warning in its list."""

from __future__ import annotations

import asyncio
import dataclasses
from typing import Any

import httpx
import pytest

from tests.bank_fixtures import RunningBank
from tests.conftest import PASSWORD, World
from tests.domain.applications.warning_rows import WarningRows
from tests.serving import serve
from xinyidai.app import create_app
from xinyidai.domain.accounts.sessions import CSRF_COOKIE, CSRF_HEADER
from xinyidai.domain.profiles import snapshots
from xinyidai.infra.db import create_engine, session_factory, unit_of_work
from xinyidai.infra.queue import create_queue
from xinyidai.models import WebhookEndpoint
from xinyidai.settings import Settings

pytestmark = pytest.mark.slow  # a served platform with its worker


async def _rebuild(settings: Settings, enterprise_id: Any) -> None:
    """Rebuild the profile as a sync or an import would, in sessions that have the queue."""
    assert settings.database_url and settings.redis_url
    queue = create_queue(settings.redis_url)
    engine = create_engine(settings, settings.database_url)
    try:
        async with unit_of_work(session_factory(engine, enqueue=queue.enqueue)) as session:
            assert await snapshots.rebuild(session, enterprise_id, "test") is not None
    finally:
        await engine.dispose()
        await queue.disconnect()


async def test_a_new_record_reaches_the_lending_bank_as_a_verified_webhook(
    settings: Settings, world: World, sandbox_bank: RunningBank
) -> None:
    live = dataclasses.replace(
        settings,
        worker_in_process=True,
        cookie_secure=False,  # served over http here
        webhook_allow_http=True,
        webhook_allow_private=True,
        webhook_timeout=5.0,
    )
    rows = WarningRows(world)
    lender = await rows.lender("WARN_W", webhook=False)
    world.session.add(WebhookEndpoint(bank_id=lender.bank.id, url=sandbox_bank.webhook_url))
    await world.session.commit()
    borrower = await rows.borrower("sme@warn-w.example.com")
    lending = await rows.lend(lender, borrower)  # its consent also hears profile.updated
    record = await world.record(borrower.enterprise.uscc, record_type="serious_dishonesty")

    with serve(create_app(live)) as server:
        sandbox_bank.trust_uri(f"{server.url}/.well-known/jwks.json")
        await _rebuild(live, borrower.enterprise.id)

        warned: list[dict[str, Any]] = []
        for _ in range(300):  # a bound, not a timing assertion: ~60 s before failing
            accepted = sandbox_bank.received("accepted")
            warned = [e for e in accepted if e["event"]["type"] == "loan.warning"]
            if warned:
                break
            await asyncio.sleep(0.2)
        assert len(warned) == 1, sandbox_bank.received()
        assert sandbox_bank.received("refused") == []
        data = warned[0]["event"]["data"]
        assert data["loan_id"] == str(lending.loan.id)
        assert data["application_id"] == str(lending.application.id)
        assert data["uscc"] == borrower.enterprise.uscc
        assert data["kind"] == "public_record"
        assert data["change"]["record_id"] == str(record.id)

        async with httpx.AsyncClient(base_url=server.url, timeout=10) as client:
            login = await client.post(
                "/api/v1/auth/login", json={"email": lender.user.email, "password": PASSWORD}
            )
            assert login.status_code == 200, login.text
            client.headers[CSRF_HEADER] = (
                login.cookies.get(CSRF_COOKIE) or login.json()["csrf_token"]
            )
            listed = await client.get(f"/api/v1/banks/{lender.bank.id}/warnings")
            assert listed.status_code == 200, listed.text
            (item,) = listed.json()["items"]
            assert item["id"] == data["warning_id"]
            assert item["read_at"] is None
