from __future__ import annotations

import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient

from tests.conftest import World
from tests.domain.monitoring.pool.scene import Scene, build


@pytest.fixture
async def scene(client: AsyncTestClient[Litestar], world: World) -> Scene:
    return await build(client, world)
