from __future__ import annotations

import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient

from tests.conftest import World
from tests.domain.needs.arrange import PoolWorld


@pytest.fixture
def pool(world: World, client: AsyncTestClient[Litestar]) -> PoolWorld:
    return PoolWorld(world, client)
