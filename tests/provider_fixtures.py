"""Fixtures that start the sandbox data provider: a real HTTP server on a loopback port.

``sandbox`` (session): the sandbox app under uvicorn in a background thread with its own event
loop. It knows the test platform's public keys (``PLATFORM_SIGNER``: the key development and
tests derive from the default ``SECRET_KEY``, which the ``settings`` fixture keeps), so it
accepts the receipts the platform's sync signs. Tests arm faults on ``sandbox.faults`` (the
app's ``FaultPlan``), read ``sandbox.calls(uscc, family)`` and ``sandbox.released()`` (the
releases it kept with their receipts), sign receipts with ``sandbox.receipt(uscc, …)`` and
``sandbox.reset()`` it (faults, counts, kept receipts and issued tokens).

``sandbox_provider`` (function): the platform's HTTP connector pointed at it, with a short
timeout and quick retries, after a reset of the sandbox; closed after the test.
"""

from __future__ import annotations

import random
from collections.abc import AsyncIterator, Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any
from uuid import uuid4

import pytest
from litestar import Litestar

from tests.serving import serve_in_thread
from xinyidai.domain.consents.receipts import issue_receipt
from xinyidai.domain.providers.http import HttpDataProvider
from xinyidai.enums import Family
from xinyidai.infra.signing import Signer
from xinyidai.models import DataAuthorization
from xinyidai.sandbox.provider import FaultPlan, create_app, reset
from xinyidai.settings import Env, Settings
from xinyidai.simulation.registry import make_uscc
from xinyidai.simulation.traits import FirmTraits, firm_traits

SANDBOX_SEED = 2026
SANDBOX_CLIENT_ID = "xinyidai-platform"
SANDBOX_CLIENT_SECRET = "sandbox-client-secret"
# The platform under test signs with the key derived from the default SECRET_KEY, as every
# ``Settings(env=Env.TEST)`` does (the ``settings`` fixture too).
PLATFORM_SIGNER = Signer.from_settings(Settings(env=Env.TEST))


def authorization(
    families: Iterable[str] = tuple(Family), *, days: int = 180, purpose: str = "申请信用贷款"
) -> DataAuthorization:
    """An authorization as the platform holds one (not stored: only for signing receipts)."""
    now = datetime.now(UTC)
    return DataAuthorization(
        id=uuid4(),
        enterprise_id=uuid4(),
        reference=f"AUTH-{uuid4().hex[:12].upper()}",
        families=[str(f) for f in families],
        purpose=purpose,
        created_at=now - timedelta(minutes=5),
        expires_at=now + timedelta(days=days),
    )


def platform_receipt(
    uscc: str,
    families: Iterable[str] = tuple(Family),
    *,
    audience: str,
    signer: Signer = PLATFORM_SIGNER,
    legal_rep: str = "张伟",
    now: datetime | None = None,
    **authorization_args: Any,
) -> str:
    """A receipt the platform (``signer``) issues for ``uscc`` and ``families``."""
    return issue_receipt(
        signer,
        uscc=uscc,
        legal_rep=legal_rep,
        authorization=authorization(families, **authorization_args),
        audience=audience,
        now=now or datetime.now(UTC),
    )


@dataclass
class RunningSandbox:
    url: str
    app: Litestar
    seed: int = SANDBOX_SEED

    @property
    def faults(self) -> FaultPlan:
        faults: FaultPlan = self.app.state.faults
        return faults

    def calls(self, uscc: str, family: str) -> int:
        """Series calls the sandbox received for (uscc, family) since the last reset."""
        count: int = self.app.state.calls[(uscc, str(family))]
        return count

    def total_calls(self) -> int:
        return sum(self.app.state.calls.values())

    def reset(self) -> None:
        reset(self.app)

    def released(self) -> list[dict[str, Any]]:
        """What the sandbox released since the last reset, each with the receipt it was under."""
        return list(self.app.state.receipts)

    def receipt(self, uscc: str, families: Iterable[str] = tuple(Family), **kwargs: Any) -> str:
        """A receipt of the test platform for calls to this sandbox."""
        return platform_receipt(uscc, families, audience=self.url, **kwargs)


@pytest.fixture(scope="session")
def sandbox() -> Iterator[RunningSandbox]:
    def make(url: str) -> Litestar:
        return create_app(
            seed=SANDBOX_SEED,
            client_id=SANDBOX_CLIENT_ID,
            client_secret=SANDBOX_CLIENT_SECRET,
            platform_jwks=PLATFORM_SIGNER.jwks(),  # as a provider is given them at onboarding
            audience=url,  # what the connector's audience defaults to (its base URL)
        )

    with serve_in_thread(make, name="sandbox-provider", ready_path="/_sandbox/calls") as (
        url,
        app,
    ):
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
