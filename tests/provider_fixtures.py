"""Fixtures that start the sandbox data provider: a real HTTP server on a loopback port.

``sandbox`` (session): the sandbox app under uvicorn in a background thread with its own event
loop. Tests arm faults on ``sandbox.faults`` (the app's ``FaultPlan``), read
``sandbox.calls(uscc, family)`` and ``sandbox.reset()`` it (faults, counts and issued tokens).

``sandbox_provider`` (function): the platform's HTTP connector pointed at it, with a short
timeout and quick retries, after a reset of the sandbox; closed after the test.
"""

from __future__ import annotations

import random
from collections.abc import AsyncIterator, Callable, Iterator
from dataclasses import dataclass
from datetime import date

import pytest
from litestar import Litestar

from tests.serving import serve_in_thread
from xinyidai.domain.demo.city import make_uscc
from xinyidai.domain.providers.http import HttpDataProvider
from xinyidai.sandbox.provider import FaultPlan, create_app, reset
from xinyidai.simulation.generator import FirmTraits, firm_traits

SANDBOX_SEED = 2026
SANDBOX_CLIENT_ID = "xinyidai-platform"
SANDBOX_CLIENT_SECRET = "sandbox-client-secret"


@dataclass
class RunningSandbox:
    url: str
    app: Litestar
    seed: int = SANDBOX_SEED

    @property
    def faults(self) -> FaultPlan:
        return self.app.state.faults

    def calls(self, uscc: str, family: str) -> int:
        """Series calls the sandbox received for (uscc, family) since the last reset."""
        return self.app.state.calls[(uscc, str(family))]

    def total_calls(self) -> int:
        return sum(self.app.state.calls.values())

    def reset(self) -> None:
        reset(self.app)


@pytest.fixture(scope="session")
def sandbox() -> Iterator[RunningSandbox]:
    app = create_app(
        seed=SANDBOX_SEED, client_id=SANDBOX_CLIENT_ID, client_secret=SANDBOX_CLIENT_SECRET
    )
    with serve_in_thread(app, name="sandbox-provider", ready_path="/_sandbox/calls") as (url, _):
        yield RunningSandbox(url=url, app=app)


@pytest.fixture
async def sandbox_provider(sandbox: RunningSandbox) -> AsyncIterator[HttpDataProvider]:
    sandbox.reset()
    provider = HttpDataProvider(
        sandbox.url,
        SANDBOX_CLIENT_ID,
        SANDBOX_CLIENT_SECRET,
        timeout=0.5,
        retries=2,
        backoff=0.01,
    )
    try:
        yield provider
    finally:
        await provider.aclose()
        sandbox.reset()


def find_firm(predicate: Callable[[FirmTraits], bool], seed: int = SANDBOX_SEED) -> str:
    """The first USCC of a fixed sequence whose simulated firm satisfies ``predicate``."""
    for n in range(10_000):
        uscc = make_uscc(random.Random(f"provider-tests-{n}"), "440106")
        if predicate(firm_traits(uscc, seed)):
            return uscc
    raise LookupError("no simulated firm matches")


def established(traits: FirmTraits) -> bool:
    """Founded long enough ago to have five full years of figures."""
    return traits.founded <= date(2019, 1, 1)
