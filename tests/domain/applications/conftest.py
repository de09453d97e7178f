from __future__ import annotations

import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient

from tests.conftest import World
from tests.domain.applications.arrange import Apps, arrange
from tests.oauth_fixtures import Scene


@pytest.fixture
async def apps(oauth_app: AsyncTestClient[Litestar], world: World, bank_scene: Scene) -> Apps:
    return await arrange(oauth_app, world, bank_scene)
