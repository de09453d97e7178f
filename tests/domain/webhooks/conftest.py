"""Webhook test helpers: sessions whose queued jobs are collected, a bank with a webhook URL,
and settings that let the platform reach the sandbox bank on loopback over http."""

from __future__ import annotations

import dataclasses
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any
from uuid import UUID

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from tests.conftest import World
from xinyidai.infra.db import create_engine, session_factory, unit_of_work
from xinyidai.models import Bank, WebhookDelivery, WebhookEndpoint
from xinyidai.settings import Settings


@dataclass
class Queued:
    """Sessions made with a queue that only records what it is asked to queue."""

    sessions: async_sessionmaker[AsyncSession]
    jobs: list[dict[str, Any]] = field(default_factory=list)

    async def enqueue(self, function: str, **kwargs: Any) -> None:
        self.jobs.append({"function": function, **kwargs})

    async def delivery(self, delivery_id: UUID) -> WebhookDelivery:
        async with unit_of_work(self.sessions) as session:
            found = await session.get(WebhookDelivery, delivery_id)
        assert found is not None
        return found

    async def deliveries(self) -> list[WebhookDelivery]:
        async with unit_of_work(self.sessions) as session:
            return list(await session.scalars(select(WebhookDelivery)))


@pytest.fixture
async def queued(settings: Settings) -> AsyncIterator[Queued]:
    assert settings.database_url
    engine = create_engine(settings, settings.database_url)
    queued = Queued(sessions=session_factory(engine))
    queued.sessions = session_factory(engine, enqueue=queued.enqueue)
    yield queued
    await engine.dispose()


@pytest.fixture
def webhook_settings(settings: Settings) -> Settings:
    """The test settings with http and loopback destinations allowed (the sandbox bank), a
    backoff of 10 s doubling up to 40 s, and four attempts."""
    return dataclasses.replace(
        settings,
        webhook_allow_http=True,
        webhook_allow_private=True,
        webhook_timeout=5.0,
        webhook_backoff_base=10.0,
        webhook_backoff_cap=40.0,
        webhook_max_attempts=4,
    )


async def bank_with_webhook(world: World, code: str, url: str) -> Bank:
    """A bank whose webhook URL is ``url`` (stored as it is: the policy is tested elsewhere)."""
    bank = await world.bank(code)
    world.session.add(WebhookEndpoint(bank_id=bank.id, url=url))
    await world.session.commit()
    return bank
