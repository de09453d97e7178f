"""The relay, attempt by attempt (the job bodies called directly, the bank a real HTTP server):
the document and headers the bank receives, the application's move to delivered, one token per
bank refetched after a 401, backoff to a dead letter the office lists and requeues, polling
banks, and the sweeper."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from litestar import Litestar
from litestar.testing import AsyncTestClient
from sqlalchemy import select, text

from tests.conftest import World, login
from tests.domain.applications.conftest import Queued
from tests.domain.applications.intake_server import running_bank
from tests.domain.applications.rows import apply, give_intake, shop
from xinyidai.dates import utc_now
from xinyidai.domain.applications.relay import ApplicationRelay, job_key, sweep_deliveries
from xinyidai.domain.applications.vocabulary import Actor, ApplicationStatus, OutboxStatus
from xinyidai.infra.db import unit_of_work
from xinyidai.models import ApplicationDelivery, ApplicationEvent, AuditEntry, Role
from xinyidai.settings import Settings


async def test_the_bank_receives_the_document_and_the_application_moves_to_delivered(
    world: World, queued: Queued, relay: ApplicationRelay, relay_settings: Settings
) -> None:
    a = await shop(world)
    with running_bank({"xyd-a": "secret-of-a"}) as bank:
        await give_intake(world, a.bank.id, bank.url, client_id="xyd-a", secret="secret-of-a")
        async with unit_of_work(queued.sessions) as session:
            application, delivery = await apply(session, a, amount="480000.5")
        assert queued.jobs == [
            {
                "function": "deliver_application",
                "delivery_id": str(delivery.id),
                "key": job_key(delivery.id, 0),
                "timeout": 300,
            }
        ]

        assert await relay.deliver(queued.sessions, delivery.id) is OutboxStatus.DELIVERED
        assert await relay.deliver(queued.sessions, delivery.id) is None  # settled: no attempt

    [request] = bank.requests
    headers = request["headers"]
    assert headers["idempotency-key"] == str(delivery.id)
    assert headers["x-xinyidai-delivery"] == str(delivery.id)
    assert headers["content-type"] == "application/json"
    document = bank.processed[str(delivery.id)]
    base = relay_settings.issuer
    assert document == {
        "id": str(application.id),
        "status": "submitted",
        "submitted_at": document["submitted_at"],
        "enterprise": {"uscc": a.enterprise.uscc, "name": a.enterprise.name},
        "product": {
            "id": str(a.product.id),
            "version": 1,
            "name": "信用快贷" + document["product"]["name"].removeprefix("信用快贷"),
            "type": "credit",
            "need_claim_id": None,
        },
        "amount": "480000.50",
        "term_months": 12,
        "purpose": "working_capital",
        "note": None,
        "eligibility": {"eligible": True, "unmet": [], "profile_version": None},
        "grade": "B",
        "consent": {
            "id": str(application.consent_id),
            "families": ["tax", "score"],
            "expires_at": document["consent"]["expires_at"],
        },
        "links": {
            "profile": f"{base}/openapi/v1/profiles/{a.enterprise.uscc}",
            "decision": f"{base}/openapi/v1/applications/{application.id}/decision",
        },
        "loan_id": None,
    }
    assert document["submitted_at"].endswith("Z")
    assert Decimal(document["amount"]) == Decimal("480000.50")
    assert bank.scopes == ["applications.write"]

    stored = await queued.delivery(delivery.id)
    assert (stored.status, stored.attempts, stored.last_status_code) == ("delivered", 1, 200)
    assert stored.delivered_at is not None
    assert [entry["status_code"] for entry in stored.attempt_log] == [200]
    moved = await queued.application(application.id)
    assert moved.status == ApplicationStatus.DELIVERED
    async with unit_of_work(queued.sessions) as session:
        [event] = await session.scalars(
            select(ApplicationEvent).where(ApplicationEvent.application_id == application.id)
        )
    assert (event.from_status, event.to_status, event.actor) == (
        "submitted",
        "delivered",
        Actor.PLATFORM,
    )
    assert event.detail == {"delivery_id": str(delivery.id)}


async def test_one_token_per_bank_is_cached_and_fetched_again_after_a_401(
    world: World, queued: Queued, relay: ApplicationRelay
) -> None:
    a = await shop(world, code="BANK_A")
    b = await shop(world, code="BANK_B")
    with running_bank({"xyd-a": "secret-of-a", "xyd-b": "secret-of-b"}) as bank:
        await give_intake(world, a.bank.id, bank.url, client_id="xyd-a", secret="secret-of-a")
        await give_intake(world, b.bank.id, bank.url, client_id="xyd-b", secret="secret-of-b")
        deliveries = []
        async with unit_of_work(queued.sessions) as session:
            for owner in (a, a, a, b, b):
                deliveries.append((await apply(session, owner))[1].id)
        for delivery_id in deliveries:
            assert await relay.deliver(queued.sessions, delivery_id) is OutboxStatus.DELIVERED
        assert dict(bank.token_requests) == {"xyd-a": 1, "xyd-b": 1}

        bank.revoke_tokens()  # the bank forgets the tokens it issued
        async with unit_of_work(queued.sessions) as session:
            _, late = await apply(session, a)
        assert await relay.deliver(queued.sessions, late.id) is OutboxStatus.DELIVERED

    assert dict(bank.token_requests) == {"xyd-a": 2, "xyd-b": 1}
    assert bank.outcomes() == ["accepted"] * 5 + ["unauthorised", "accepted"]
    stored = await queued.delivery(late.id)
    assert (stored.status, stored.attempts) == ("delivered", 1)  # one attempt, two requests


async def test_a_bank_that_keeps_failing_becomes_a_dead_letter_the_office_requeues(
    world: World,
    queued: Queued,
    relay: ApplicationRelay,
    client: AsyncTestClient[Litestar],
) -> None:
    a = await shop(world)
    await world.user("office@example.gov.cn", Role.OFFICE)
    await world.user("a@bank.example.com", Role.BANK, "BANK_A")
    with running_bank({"xyd-a": "secret-of-a"}, down=True) as bank:
        await give_intake(world, a.bank.id, bank.url, client_id="xyd-a", secret="secret-of-a")
        async with unit_of_work(queued.sessions) as session:
            application, delivery = await apply(session, a)
        queued.jobs.clear()
        outcomes = []
        later = utc_now()
        for _ in range(3):
            later += dt.timedelta(minutes=5)  # past any backoff (at most 40 s here)
            outcomes.append(await relay.deliver(queued.sessions, delivery.id, now=later))
        assert outcomes == [OutboxStatus.FAILED, OutboxStatus.FAILED, OutboxStatus.DEAD]
        # Each failure queued the next attempt at its backoff; the last one queued nothing.
        assert [job["key"] for job in queued.jobs] == [
            job_key(delivery.id, 1),
            job_key(delivery.id, 2),
        ]
        assert (
            await relay.deliver(queued.sessions, delivery.id, now=later + dt.timedelta(1)) is None
        )

        # Banks and SMEs have no business here; the office sees the dead letter.
        await login(client, "a@bank.example.com")
        assert (await client.get("/api/v1/office/deliveries")).status_code == 403
        assert (
            await client.post(f"/api/v1/office/deliveries/{delivery.id}/requeue")
        ).status_code == 403
        await login(client, a.user.email)
        assert (await client.get("/api/v1/office/deliveries")).status_code == 403
        await login(client, "office@example.gov.cn")
        listed = await client.get("/api/v1/office/deliveries", params={"status": "dead"})
        assert listed.status_code == 200, listed.text
        [item] = listed.json()["items"]
        assert item["id"] == str(delivery.id)
        assert item["bank"] == {"id": str(a.bank.id), "name": a.bank.name, "short_code": "BANK_A"}
        assert item["application"]["id"] == str(application.id)
        assert item["application"]["uscc"] == a.enterprise.uscc
        assert (item["attempts"], item["last_status_code"], item["last_error"]) == (
            3,
            503,
            "HTTP 503",
        )
        assert [entry["status_code"] for entry in item["attempt_log"]] == [503, 503, 503]
        assert item["next_attempt_at"] is None
        failed = await client.get("/api/v1/office/deliveries", params={"status": "failed"})
        assert failed.json()["items"] == []
        bad = await client.get("/api/v1/office/deliveries", params={"status": "lost"})
        assert bad.status_code == 422

        requeued = await client.post(f"/api/v1/office/deliveries/{delivery.id}/requeue")
        assert requeued.status_code == 200, requeued.text
        assert (requeued.json()["status"], requeued.json()["attempts"]) == ("pending", 0)
        again = await client.post(f"/api/v1/office/deliveries/{delivery.id}/requeue")
        assert again.status_code == 409
        missing = await client.post(f"/api/v1/office/deliveries/{application.id}/requeue")
        assert missing.status_code == 404

        bank.set(down=False)
        assert await relay.deliver(queued.sessions, delivery.id) is OutboxStatus.DELIVERED

    stored = await queued.delivery(delivery.id)
    assert (stored.status, stored.attempts) == ("delivered", 1)
    assert [entry["status_code"] for entry in stored.attempt_log] == [503, 503, 503, 200]
    assert stored.requeued_by is not None
    assert bank.outcomes() == ["fault", "fault", "fault", "accepted"]
    assert (await queued.application(application.id)).status == ApplicationStatus.DELIVERED
    async with unit_of_work(queued.sessions) as session:
        [audit] = await session.scalars(
            select(AuditEntry).where(AuditEntry.action == "office.application_delivery.requeue")
        )
    assert audit.actor_id == str(stored.requeued_by)
    assert audit.bank_id == a.bank.id
    assert audit.detail["delivery_id"] == str(delivery.id)
    assert audit.detail["previous_status"] == "dead"


async def test_a_bank_without_an_intake_polls(
    world: World, queued: Queued, relay: ApplicationRelay
) -> None:
    a = await shop(world)
    async with unit_of_work(queued.sessions) as session:
        application, delivery = await apply(session, a)
    assert await relay.deliver(queued.sessions, delivery.id) is OutboxStatus.POLL
    stored = await queued.delivery(delivery.id)
    assert (stored.status, stored.attempts, stored.attempt_log) == ("poll", 0, [])
    assert (await queued.application(application.id)).status == ApplicationStatus.SUBMITTED
    assert await relay.deliver(queued.sessions, delivery.id) is None


async def test_an_unreachable_token_endpoint_is_a_failed_attempt(
    world: World, queued: Queued, relay: ApplicationRelay
) -> None:
    a = await shop(world)
    with running_bank({"xyd-a": "another-secret"}) as bank:  # it does not know our secret
        await give_intake(world, a.bank.id, bank.url, client_id="xyd-a", secret="secret-of-a")
        async with unit_of_work(queued.sessions) as session:
            _, delivery = await apply(session, a)
        assert await relay.deliver(queued.sessions, delivery.id) is OutboxStatus.FAILED
    stored = await queued.delivery(delivery.id)
    assert stored.last_error is not None and "token endpoint" in stored.last_error
    assert stored.last_status_code is None
    assert bank.requests == []  # nothing was posted without a token


async def test_the_sweeper_queues_lost_deliveries_skips_locked_ones_and_ends_used_up_ones(
    world: World, queued: Queued, relay_settings: Settings
) -> None:
    a = await shop(world)
    async with unit_of_work(queued.sessions) as session:
        _, lost = await apply(session, a, queue=False)
        _, locked = await apply(session, a, queue=False)
        _, used_up = await apply(session, a, queue=False)
        _, fresh = await apply(session, a, queue=False)
        used_up.attempts = relay_settings.relay_max_attempts
        fresh.next_attempt_at = utc_now() + dt.timedelta(hours=1)
    later = utc_now() + dt.timedelta(minutes=2)
    async with queued.sessions() as other, other.begin():
        # Another sweeper holds this row: this one skips it rather than wait.
        await other.execute(
            text("SELECT id FROM application_deliveries WHERE id = :id FOR UPDATE"),
            {"id": locked.id},
        )
        swept = await sweep_deliveries(queued.sessions, relay_settings, now=later)
    assert swept == {"queued": 1, "dead": 1}
    assert [job["delivery_id"] for job in queued.jobs] == [str(lost.id)]
    assert (await queued.delivery(used_up.id)).status == OutboxStatus.DEAD
    assert (await queued.delivery(fresh.id)).status == OutboxStatus.PENDING
    again = await sweep_deliveries(queued.sessions, relay_settings, now=later)
    assert again == {"queued": 2, "dead": 0}  # the lost one (its job is still queued) and locked
    async with unit_of_work(queued.sessions) as session:
        count = len(list(await session.scalars(select(ApplicationDelivery.id))))
    assert count == 4
