"""Relay test helpers: settings that let the platform reach a bank on loopback over http, the
relay itself, and sessions whose queued jobs are recorded instead of sent."""

from __future__ import annotations

import dataclasses
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any
from uuid import UUID

import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from tests.conftest import World
from tests.domain.applications.arrange import Apps, arrange
from tests.oauth_fixtures import Scene
from xinyidai.domain.applications.relay import ApplicationRelay
from xinyidai.infra.crypto import FieldCipher
from xinyidai.infra.db import create_engine, session_factory, unit_of_work
from xinyidai.models import Application, ApplicationDelivery
from xinyidai.settings import Settings


@dataclass
class Queued:
    """Sessions made with a queue that only records what it is asked to queue."""

    sessions: async_sessionmaker[AsyncSession]
    jobs: list[dict[str, Any]] = field(default_factory=list)

    async def enqueue(self, function: str, **kwargs: Any) -> None:
        self.jobs.append({"function": function, **kwargs})

    async def delivery(self, delivery_id: UUID) -> ApplicationDelivery:
        async with unit_of_work(self.sessions) as session:
            return await session.get_one(ApplicationDelivery, delivery_id)

    async def application(self, application_id: UUID) -> Application:
        async with unit_of_work(self.sessions) as session:
            return await session.get_one(Application, application_id)


@pytest.fixture
async def queued(settings: Settings) -> AsyncIterator[Queued]:
    assert settings.database_url
    engine = create_engine(settings, settings.database_url)
    queued = Queued(sessions=session_factory(engine))
    queued.sessions = session_factory(engine, enqueue=queued.enqueue)
    yield queued
    await engine.dispose()


@pytest.fixture
def relay_settings(settings: Settings) -> Settings:
    """The test settings with http and loopback destinations allowed (the test bank), a
    backoff of 10 s doubling up to 40 s, and three attempts."""
    return dataclasses.replace(
        settings,
        webhook_allow_http=True,
        webhook_allow_private=True,
        relay_timeout=5.0,
        relay_backoff_base=10.0,
        relay_backoff_cap=40.0,
        relay_max_attempts=3,
    )


@pytest.fixture
async def relay(relay_settings: Settings) -> AsyncIterator[ApplicationRelay]:
    sender = ApplicationRelay(relay_settings, FieldCipher(relay_settings.data_key_bytes))
    yield sender
    await sender.aclose()


@pytest.fixture
async def apps(oauth_app: AsyncTestClient[Litestar], world: World, bank_scene: Scene) -> Apps:
    return await arrange(oauth_app, world, bank_scene)
