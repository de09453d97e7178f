"""Emitting an event: one delivery per bank and event id, queued (by id only) after the commit,
and nothing for a bank without a webhook URL."""

from __future__ import annotations

import datetime as dt

import pytest
from uuid_utils.compat import uuid7

from tests.conftest import World
from tests.domain.webhooks.conftest import Queued, bank_with_webhook
from xinyidai.domain.webhooks import CONSENT_REVOKED, PROFILE_UPDATED, WebhookEvent, Webhooks
from xinyidai.infra.db import unit_of_work


def test_the_event_types_are_the_issues() -> None:
    assert [e.value for e in WebhookEvent] == [
        "consent.revoked",
        "consent.expired",
        "profile.updated",
        "loan.warning",
    ]


async def test_a_bank_without_a_webhook_url_gets_no_delivery(world: World, queued: Queued) -> None:
    bank = await world.bank("BANK_A")
    async with unit_of_work(queued.sessions) as session:
        assert await Webhooks(session).emit(bank.id, CONSENT_REVOKED, {"consent_id": "c1"}) is None
    assert await queued.deliveries() == []
    assert queued.jobs == []


async def test_an_event_is_emitted_once_per_bank_and_event_id(world: World, queued: Queued) -> None:
    a = await bank_with_webhook(world, "BANK_A", "https://hooks.bank-a.example.com/xyd")
    b = await bank_with_webhook(world, "BANK_B", "https://hooks.bank-b.example.com/xyd")
    consent = uuid7()
    event_id = f"consent.revoked:{consent}"
    async with unit_of_work(queued.sessions) as session:
        first = await Webhooks(session).emit(
            a.id, "consent.revoked", {"consent_id": consent}, event_id=event_id
        )
        assert queued.jobs == []  # not before the commit
    async with unit_of_work(queued.sessions) as session:
        again = await Webhooks(session).emit(
            a.id, CONSENT_REVOKED, {"consent_id": consent}, event_id=event_id
        )
        other_bank = await Webhooks(session).emit(
            b.id, CONSENT_REVOKED, {"consent_id": consent}, event_id=event_id
        )
    assert first is not None
    assert again == first
    assert other_bank not in (None, first)
    assert queued.jobs == [
        {
            "function": "deliver_webhook",
            "delivery_id": str(delivery),
            "key": f"webhook:{delivery}:0",
            "timeout": 120,
        }
        for delivery in (first, other_bank)
    ]
    delivery = await queued.delivery(first)
    assert delivery.status == "pending"
    assert delivery.attempts == 0
    assert delivery.event_id == event_id
    assert delivery.payload == {"consent_id": str(consent)}  # as JSON has it


async def test_nothing_is_queued_or_kept_when_the_transaction_rolls_back(
    world: World, queued: Queued
) -> None:
    a = await bank_with_webhook(world, "BANK_A", "https://hooks.bank-a.example.com/xyd")

    async def failing_work() -> None:
        async with unit_of_work(queued.sessions) as session:
            await Webhooks(session).emit(a.id, PROFILE_UPDATED, {"snapshot": 3})
            raise RuntimeError("the caller's work failed")

    with pytest.raises(RuntimeError):
        await failing_work()
    assert queued.jobs == []
    assert await queued.deliveries() == []


async def test_emit_refuses_what_it_cannot_send(world: World, queued: Queued) -> None:
    a = await bank_with_webhook(world, "BANK_A", "https://hooks.bank-a.example.com/xyd")
    async with unit_of_work(queued.sessions) as session:
        webhooks = Webhooks(session)
        with pytest.raises(ValueError, match=r"consent\.granted"):
            await webhooks.emit(a.id, "consent.granted", {})
        with pytest.raises(ValueError, match="event id"):
            await webhooks.emit(a.id, CONSENT_REVOKED, {}, event_id="x" * 101)
        with pytest.raises(ValueError, match="at most"):
            await webhooks.emit(a.id, CONSENT_REVOKED, {"blob": "x" * 70_000})
        stamped = await webhooks.emit(
            a.id, PROFILE_UPDATED, {"at": dt.datetime(2026, 12, 1, tzinfo=dt.UTC)}
        )
    assert stamped is not None
    assert (await queued.delivery(stamped)).payload == {"at": "2026-12-01T00:00:00Z"}
