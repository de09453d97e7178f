"""Fixtures that start the sandbox identity service: a real HTTP server on a loopback port.

``identity_service`` (session): the identity app under uvicorn in a background thread; its
issuer is its own URL. Tests arm faults on ``identity_service.faults``, ``enrol`` licences and
``reset()`` it (faults, pending requests, codes, tokens and enrolled licences).

``identity`` (function): the same service, reset before and after the test.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from litestar import Litestar

from tests.serving import serve_in_thread
from xinyidai.sandbox.identity import (
    IdentityFaultPlan,
    Licence,
    create_identity_app,
    enrol,
    reset,
)

IDENTITY_CLIENT_ID = "xinyidai-platform"
IDENTITY_CLIENT_SECRET = "sandbox-identity-secret"
IDENTITY_REDIRECT_URI = "https://testserver.local/sme/claim/callback"
IDENTITY_SEED = 2026


@dataclass
class RunningIdentity:
    url: str
    app: Litestar

    @property
    def issuer(self) -> str:
        issuer: str = self.app.state.issuer
        return issuer

    @property
    def faults(self) -> IdentityFaultPlan:
        faults: IdentityFaultPlan = self.app.state.faults
        return faults

    def enrol(self, uscc: str, name: str, legal_rep_name: str, id_number: str) -> Licence:
        """Put a licence in the registry (replacing the one of ``uscc``, if any)."""
        return enrol(self.app, Licence(uscc, name, legal_rep_name, id_number))

    def reset(self) -> None:
        reset(self.app)


@pytest.fixture(scope="session")
def identity_service() -> Iterator[RunningIdentity]:
    def make(url: str) -> Litestar:
        return create_identity_app(
            issuer=url,
            client_id=IDENTITY_CLIENT_ID,
            client_secret=IDENTITY_CLIENT_SECRET,
            redirect_uris=[IDENTITY_REDIRECT_URI],
            seed=IDENTITY_SEED,
        )

    with serve_in_thread(
        make, name="sandbox-identity", ready_path="/.well-known/openid-configuration"
    ) as (url, app):
        yield RunningIdentity(url=url, app=app)


@pytest.fixture
def identity(identity_service: RunningIdentity) -> Iterator[RunningIdentity]:
    identity_service.reset()
    yield identity_service
    identity_service.reset()
