"""Fixtures that start the sandbox bank: a real HTTP server on a loopback port.

``sandbox_bank_service`` (session): the sandbox bank under uvicorn in a background thread. It
trusts the test platform's public keys (``PLATFORM_SIGNER``, the key every
``Settings(env=Env.TEST)`` derives from the default ``SECRET_KEY``), given as a JWK Set; a test
may point it at a running platform's JWKS URL instead (``trust_uri``).

``sandbox_bank`` (function): the same service, reset (faults, what it received, the keys it
trusts, its intake's counts and tokens) before and after the test. Its intake accepts and counts
applications (no automation: it is not told a platform client).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from litestar import Litestar

from tests.provider_fixtures import PLATFORM_SIGNER
from tests.serving import serve_in_thread
from xinyidai.sandbox.bank import BankFaultPlan, PlatformKeys, create_bank_app, reset


@dataclass
class RunningBank:
    url: str
    app: Litestar

    @property
    def webhook_url(self) -> str:
        return f"{self.url}/webhooks"

    @property
    def intake_url(self) -> str:
        """Where the relay delivers applications (guarded by :attr:`token_url`'s tokens, for
        the client ``DEFAULT_INTAKE_CLIENT_ID`` / ``DEFAULT_INTAKE_CLIENT_SECRET``)."""
        return f"{self.url}/intake/applications"

    @property
    def token_url(self) -> str:
        return f"{self.url}/oauth/token"

    def intake(self) -> dict[str, Any]:
        """The intake's counters (received, accepted, duplicates, by key, by application,
        violations)."""
        summary: dict[str, Any] = self.app.state.intake.summary()
        return summary

    @property
    def faults(self) -> BankFaultPlan:
        faults: BankFaultPlan = self.app.state.faults
        return faults

    def received(self, outcome: str | None = None) -> list[dict[str, Any]]:
        """What ``/webhooks`` received since the last reset, oldest first."""
        return [
            e for e in self.app.state.received if outcome is None or e.get("outcome") == outcome
        ]

    def trust_uri(self, jwks_uri: str) -> None:
        """Verify with the keys published at ``jwks_uri`` only (fetched on first use)."""
        self.app.state.platform_keys = PlatformKeys(jwks_uri=jwks_uri)

    def reset(self) -> None:
        reset(self.app)
        self.app.state.platform_keys = PlatformKeys(static=PLATFORM_SIGNER.jwks())


@pytest.fixture(scope="session")
def sandbox_bank_service() -> Iterator[RunningBank]:
    app = create_bank_app(platform_jwks=PLATFORM_SIGNER.jwks())
    with serve_in_thread(app, name="sandbox-bank", ready_path="/_sandbox/webhooks") as (url, _):
        yield RunningBank(url=url, app=app)


@pytest.fixture
def sandbox_bank(sandbox_bank_service: RunningBank) -> Iterator[RunningBank]:
    sandbox_bank_service.reset()
    yield sandbox_bank_service
    sandbox_bank_service.reset()
