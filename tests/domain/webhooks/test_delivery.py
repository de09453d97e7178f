"""Delivering a webhook to the sandbox bank (a real HTTP server): signed and verified there,
retried with a growing, jittered backoff, given up after the last attempt, checked against the
destination policy again at each attempt, and swept up when its job was lost.

The job bodies run by hand here, with the clock moved to each attempt's due time (``now``);
``test_worker.py`` runs the same through the real queue and worker."""

from __future__ import annotations

import dataclasses
import datetime as dt
import math
from collections.abc import AsyncIterator
from uuid import UUID

import pytest
from sqlalchemy import delete

from tests.bank_fixtures import RunningBank
from tests.conftest import World
from tests.domain.webhooks.conftest import Queued, bank_with_webhook
from tests.infra.test_destinations import names
from tests.provider_fixtures import PLATFORM_SIGNER
from xinyidai.dates import utc_now
from xinyidai.domain.webhooks import CONSENT_REVOKED, DeliveryStatus, Webhooks
from xinyidai.domain.webhooks.delivery import STALE_AFTER, WebhookSender, sweep_deliveries
from xinyidai.infra.db import unit_of_work
from xinyidai.models import Bank, WebhookEndpoint
from xinyidai.settings import Settings


@pytest.fixture
async def sender(webhook_settings: Settings) -> AsyncIterator[WebhookSender]:
    sender = WebhookSender(webhook_settings, PLATFORM_SIGNER)
    yield sender
    await sender.aclose()


async def emit(queued: Queued, bank: Bank, consent: str = "c-1") -> UUID:
    async with unit_of_work(queued.sessions) as session:
        delivery = await Webhooks(session).emit(
            bank.id, CONSENT_REVOKED, {"consent_id": consent}, event_id=f"consent.revoked:{consent}"
        )
    assert delivery is not None
    return delivery


async def test_a_delivery_is_signed_and_verified_by_the_bank_against_the_jwks(
    world: World, queued: Queued, sandbox_bank: RunningBank, sender: WebhookSender
) -> None:
    bank = await bank_with_webhook(world, "BANK_A", sandbox_bank.webhook_url)
    delivery_id = await emit(queued, bank)

    assert await sender.deliver(queued.sessions, delivery_id) is DeliveryStatus.DELIVERED

    [got] = sandbox_bank.received()
    assert got["outcome"] == "accepted", got
    assert got["delivery_id"] == str(delivery_id)
    assert got["event_type"] == "consent.revoked"
    header = got["header"]
    assert header["kid"] == PLATFORM_SIGNER.kid
    assert (header["alg"], header["typ"]) == ("ES256", "xyd-webhook+jws")
    assert header["jti"] == "consent.revoked:c-1"
    assert header["aud"] == str(bank.id)
    assert header["xyd_delivery"] == str(delivery_id)
    assert got["event"]["data"] == {"consent_id": "c-1"}
    assert got["signature"].split(".")[1] == ""  # the payload is detached
    row = await queued.delivery(delivery_id)
    assert (row.status, row.attempts, row.last_status_code) == ("delivered", 1, 200)
    assert row.delivered_at is not None
    assert [a["status_code"] for a in row.attempt_log] == [200]
    assert len(queued.jobs) == 1  # the emit's job; nothing more to queue
    # A second job for the same delivery finds nothing to do.
    assert await sender.deliver(queued.sessions, delivery_id) is None
    assert len(sandbox_bank.received()) == 1


async def test_failed_attempts_are_retried_with_backoff_until_delivered(
    world: World, queued: Queued, sandbox_bank: RunningBank, sender: WebhookSender
) -> None:
    bank = await bank_with_webhook(world, "BANK_A", sandbox_bank.webhook_url)
    delivery_id = await emit(queued, bank)
    sandbox_bank.faults.apply({"fail_next": 1})
    sandbox_bank.faults.arm("error_503")

    assert await sender.deliver(queued.sessions, delivery_id) is DeliveryStatus.FAILED
    first = await queued.delivery(delivery_id)
    # Not due yet: a job that comes early (or twice) does nothing.
    assert await sender.deliver(queued.sessions, delivery_id, now=utc_now()) is None
    assert await sender.deliver(queued.sessions, delivery_id, now=first.next_attempt_at) is (
        DeliveryStatus.FAILED
    )
    second = await queued.delivery(delivery_id)
    assert await sender.deliver(queued.sessions, delivery_id, now=second.next_attempt_at) is (
        DeliveryStatus.DELIVERED
    )

    row = await queued.delivery(delivery_id)
    assert row.attempts == 3
    assert [a["status_code"] for a in row.attempt_log] == [500, 503, 200]
    assert [a["error"] for a in row.attempt_log] == ["HTTP 500", "HTTP 503", None]
    assert [e["outcome"] for e in sandbox_bank.received()] == ["fault", "fault", "accepted"]
    # Waits: 10 s then 20 s (WEBHOOK_BACKOFF_BASE doubled), each between half and all of it.
    for attempt, row_after, ceiling in ((0, first, 10), (1, second, 20)):
        at = dt.datetime.fromisoformat(row.attempt_log[attempt]["at"])
        wait = (row_after.next_attempt_at - at).total_seconds()
        assert ceiling / 2 <= wait <= ceiling
    # Each retry was queued, by id only, for its due time, under the attempt's own key.
    retries = queued.jobs[1:]
    assert [(j["key"], j["delivery_id"]) for j in retries] == [
        (f"webhook:{delivery_id}:1", str(delivery_id)),
        (f"webhook:{delivery_id}:2", str(delivery_id)),
    ]
    assert [j["scheduled"] for j in retries] == [
        math.ceil(first.next_attempt_at.timestamp()),
        math.ceil(second.next_attempt_at.timestamp()),
    ]


async def test_a_delivery_dies_after_the_last_attempt(
    world: World, queued: Queued, sandbox_bank: RunningBank, sender: WebhookSender
) -> None:
    bank = await bank_with_webhook(world, "BANK_A", sandbox_bank.webhook_url)
    delivery_id = await emit(queued, bank)
    sandbox_bank.faults.always("error_500")
    now = utc_now()
    statuses = []
    for _ in range(4):  # WEBHOOK_MAX_ATTEMPTS
        statuses.append(await sender.deliver(queued.sessions, delivery_id, now=now))
        now = (await queued.delivery(delivery_id)).next_attempt_at
    assert statuses == ["failed", "failed", "failed", "dead"]
    row = await queued.delivery(delivery_id)
    assert (row.status, row.attempts, row.last_error) == ("dead", 4, "HTTP 500")
    assert len(row.attempt_log) == 4
    assert len(queued.jobs) == 1 + 3  # the emit's, then one per retry; none after death
    waits = [
        dt.datetime.fromisoformat(b["at"]) - dt.datetime.fromisoformat(a["at"])
        for a, b in zip(row.attempt_log, row.attempt_log[1:], strict=False)
    ]
    assert len(waits) == 3
    assert await sender.deliver(queued.sessions, delivery_id, now=now + STALE_AFTER) is None
    assert len(sandbox_bank.received()) == 4


async def test_the_address_is_checked_again_at_each_delivery(
    world: World, queued: Queued, sandbox_bank: RunningBank, webhook_settings: Settings
) -> None:
    """Registered while its name pointed at a public address; at delivery it resolves to a
    loopback one (DNS changed): the attempt is refused without a connection, and retried."""
    port = sandbox_bank.url.rsplit(":", 1)[1]
    bank = await bank_with_webhook(
        world, "BANK_A", f"http://hooks.bank-a.example.com:{port}/webhooks"
    )
    delivery_id = await emit(queued, bank)
    rebound = dataclasses.replace(
        names({"hooks.bank-a.example.com": ["127.0.0.1"]}), allow_http=True
    )
    sender = WebhookSender(webhook_settings, PLATFORM_SIGNER, policy=rebound)
    try:
        assert await sender.deliver(queued.sessions, delivery_id) is DeliveryStatus.FAILED
    finally:
        await sender.aclose()
    row = await queued.delivery(delivery_id)
    assert row.last_status_code is None
    assert row.last_error is not None
    assert row.last_error.startswith("destination refused:")
    assert "127.0.0.1" in row.last_error
    assert "loopback" in row.last_error
    assert sandbox_bank.received() == []

    # Later the name does not resolve at all: a failed attempt too, said as such, retried.
    gone = dataclasses.replace(names({}), allow_http=True)
    sender = WebhookSender(webhook_settings, PLATFORM_SIGNER, policy=gone)
    try:
        assert await sender.deliver(queued.sessions, delivery_id, now=row.next_attempt_at) is (
            DeliveryStatus.FAILED
        )
    finally:
        await sender.aclose()
    row = await queued.delivery(delivery_id)
    assert row.last_error is not None
    assert row.last_error.startswith("name resolution failed:")
    assert row.attempts == 2


async def test_http_is_refused_at_delivery_where_the_settings_no_longer_allow_it(
    world: World, queued: Queued, sandbox_bank: RunningBank, webhook_settings: Settings
) -> None:
    bank = await bank_with_webhook(world, "BANK_A", sandbox_bank.webhook_url)
    delivery_id = await emit(queued, bank)
    strict = dataclasses.replace(webhook_settings, webhook_allow_http=False)
    sender = WebhookSender(strict, PLATFORM_SIGNER)
    try:
        assert await sender.deliver(queued.sessions, delivery_id) is DeliveryStatus.FAILED
    finally:
        await sender.aclose()
    row = await queued.delivery(delivery_id)
    assert row.last_error is not None
    assert "https://" in row.last_error
    assert sandbox_bank.received() == []


async def test_a_redirect_is_not_followed_and_counts_as_a_failure(
    world: World, queued: Queued, sandbox_bank: RunningBank, sender: WebhookSender
) -> None:
    bank = await bank_with_webhook(world, "BANK_A", sandbox_bank.webhook_url)
    delivery_id = await emit(queued, bank)
    sandbox_bank.faults.arm("redirect")
    assert await sender.deliver(queued.sessions, delivery_id) is DeliveryStatus.FAILED
    row = await queued.delivery(delivery_id)
    assert row.last_status_code == 302
    assert row.last_error == "HTTP 302: redirects are not followed"
    assert len(sandbox_bank.received()) == 1


async def test_a_slow_bank_is_a_timed_out_attempt(
    world: World,
    queued: Queued,
    sandbox_bank: RunningBank,
    webhook_settings: Settings,
) -> None:
    bank = await bank_with_webhook(world, "BANK_A", sandbox_bank.webhook_url)
    delivery_id = await emit(queued, bank)
    sandbox_bank.faults.arm("timeout")
    sandbox_bank.faults.delay = 3.0
    sender = WebhookSender(
        dataclasses.replace(webhook_settings, webhook_timeout=0.5), PLATFORM_SIGNER
    )
    try:
        assert await sender.deliver(queued.sessions, delivery_id) is DeliveryStatus.FAILED
    finally:
        await sender.aclose()
    row = await queued.delivery(delivery_id)
    assert row.last_status_code is None
    assert row.last_error is not None
    assert "0.5 s" in row.last_error or "Timeout" in row.last_error


async def test_a_bank_that_removed_its_url_gets_nothing_more(
    world: World, queued: Queued, sandbox_bank: RunningBank, sender: WebhookSender
) -> None:
    bank = await bank_with_webhook(world, "BANK_A", sandbox_bank.webhook_url)
    delivery_id = await emit(queued, bank)
    await world.session.execute(delete(WebhookEndpoint).where(WebhookEndpoint.bank_id == bank.id))
    await world.session.commit()
    assert await sender.deliver(queued.sessions, delivery_id) is DeliveryStatus.DEAD
    row = await queued.delivery(delivery_id)
    assert row.last_error == "the bank has no webhook URL"
    assert sandbox_bank.received() == []


async def test_the_sweeper_queues_deliveries_whose_job_was_lost(
    world: World, queued: Queued, sandbox_bank: RunningBank, sender: WebhookSender
) -> None:
    bank = await bank_with_webhook(world, "BANK_A", sandbox_bank.webhook_url)
    lost = await emit(queued, bank, "lost")
    exhausted = await emit(queued, bank, "exhausted")
    sandbox_bank.faults.always("error_500")
    now = utc_now()
    for _ in range(3):
        await sender.deliver(queued.sessions, exhausted, now=now)
        now = (await queued.delivery(exhausted)).next_attempt_at
    # The last attempt is claimed, and its worker dies before it records an outcome.
    async with unit_of_work(queued.sessions) as session:
        assert await sender._claim(session, exhausted, now) is not None
    queued.jobs.clear()

    assert await sweep_deliveries(queued.sessions, sender.settings, now=utc_now()) == {
        "requeued": 0,
        "dead": 0,
    }  # nothing is overdue yet
    later = now + sender.lease + STALE_AFTER + dt.timedelta(seconds=1)
    swept = await sweep_deliveries(queued.sessions, sender.settings, now=later)

    assert swept == {"requeued": 1, "dead": 1}
    assert queued.jobs == [
        {
            "function": "deliver_webhook",
            "delivery_id": str(lost),
            "key": f"webhook:{lost}:0",
            "timeout": 120,
        }
    ]
    dead = await queued.delivery(exhausted)
    assert (dead.status, dead.attempts) == ("dead", 4)
    assert dead.last_error == "no outcome was recorded for the last attempt"
