"""The sandbox bank as one ASGI service: webhooks, its token endpoint, its intake, automation."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from joserfc.jwk import ECKey
from litestar import Litestar, Request, post
from litestar.datastructures import State
from litestar.types import LifeSpanReceive, LifeSpanScope, LifeSpanSend, Receive, Scope, Send

from xinyidai.sandbox.bank.controls import (
    ENDPOINTS,
    EndpointFaults,
    arm_bank_faults,
    show_bank_faults,
)
from xinyidai.sandbox.bank.deciding import Automation
from xinyidai.sandbox.bank.intake import INTAKE_PATH, IntakeBook, intake_counts, receive_application
from xinyidai.sandbox.bank.lending import DemoClock
from xinyidai.sandbox.bank.oauth import (
    DEFAULT_TOKEN_LIFETIME,
    TokenIssuer,
    expire_tokens,
    token_endpoint,
)
from xinyidai.sandbox.bank.platform import DEFAULT_SCOPE, PlatformClient
from xinyidai.sandbox.bank.webhooks import (
    DEFAULT_MAX_AGE,
    BankFaultPlan,
    receive_webhook,
    received,
)
from xinyidai.sandbox.receipts import PlatformKeys

DEFAULT_INTAKE_CLIENT_ID = "xinyidai-platform"
DEFAULT_INTAKE_CLIENT_SECRET = "sandbox-bank-intake-secret"  # noqa: S105 (a sandbox's default)
_DOWN_PATHS = {INTAKE_PATH: "intake", "/oauth/token": "token"}
_HUNG_UP = "hung up"


class SandboxBank(Litestar):
    """The bank's app. A ``down`` fault on an endpoint answers nothing: the app returns
    without starting a response and with a value, on which uvicorn (ours, h11 and httptools
    alike) closes the connection at once: the caller sees the connection dropped."""

    async def __call__(
        self,
        scope: Scope | LifeSpanScope,
        receive: Receive | LifeSpanReceive,
        send: Send | LifeSpanSend,
    ) -> None:
        endpoint = _DOWN_PATHS.get(str(scope.get("path", "")))
        if endpoint is not None:
            plan: EndpointFaults = self.state.endpoint_faults[endpoint]
            if plan.peek() == "down":
                plan.take()
                if endpoint == "intake":
                    self.state.intake.received += 1
                    self.state.intake.dropped += 1
                return _HUNG_UP  # type: ignore[return-value]  # the server's cue to hang up
        await super().__call__(scope, receive, send)


def reset(app: Litestar) -> None:
    """Forget faults, what was received, issued tokens, and stop the automation's work."""
    app.state.faults.clear()
    app.state.received.clear()
    app.state.processed.clear()
    for endpoint in ENDPOINTS:
        app.state.endpoint_faults[endpoint].clear()
    app.state.intake.clear()
    app.state.auth.reset()
    if app.state.automation is not None:
        app.state.automation.cancel()


@post("/_sandbox/reset", status_code=200)
async def reset_bank(request: Request[Any, Any, Any]) -> dict[str, bool]:
    reset(request.app)
    return {"reset": True}


def create_bank_app(
    *,
    platform_jwks: Mapping[str, Any] | PlatformKeys | None = None,
    platform_jwks_uri: str | None = None,
    bank_id: str | None = None,
    max_age: int = DEFAULT_MAX_AGE,
    faults: BankFaultPlan | None = None,
    intake_client_id: str = DEFAULT_INTAKE_CLIENT_ID,
    intake_client_secret: str = DEFAULT_INTAKE_CLIENT_SECRET,
    token_lifetime: int = DEFAULT_TOKEN_LIFETIME,
    platform_url: str | None = None,
    client_id: str | None = None,
    key: ECKey | None = None,
    issuer: str | None = None,
    scope: str = DEFAULT_SCOPE,
    months_per_minute: float = 2.0,
    attempts: int = 4,
    backoff: float = 0.5,
) -> Litestar:
    """The sandbox bank.

    Webhooks: ``platform_jwks`` (a JWK Set or :class:`PlatformKeys`) and/or
    ``platform_jwks_uri`` are the platform's public keys; with neither, every webhook is
    refused. ``bank_id``: this bank's id at the platform, which webhooks must be addressed to
    (unset: any bank's are accepted, the sandbox standing in for several).

    Intake: its token endpoint knows one client, ``intake_client_id`` /
    ``intake_client_secret`` (the platform's relay), and issues tokens living
    ``token_lifetime`` seconds.

    Automation: with ``platform_url``, ``client_id`` and ``key`` (the private key of the
    bank's ``private_key_jwt`` client at the platform), each accepted application is reviewed,
    decided and, when approved, lent on a demo clock of ``months_per_minute``; the platform's
    ``issuer`` defaults to ``platform_url``; calls are tried ``attempts`` times, ``backoff``
    seconds apart at first. Without them the intake only accepts and counts."""
    if isinstance(platform_jwks, PlatformKeys):
        keys = platform_jwks
        if platform_jwks_uri is not None:
            keys.jwks_uri = platform_jwks_uri
    else:
        keys = PlatformKeys(static=platform_jwks, jwks_uri=platform_jwks_uri)
    automation = None
    if platform_url and client_id and key is not None:
        client = PlatformClient(
            platform_url,
            client_id,
            key,
            issuer=issuer,
            scope=scope,
            attempts=attempts,
            backoff=backoff,
        )
        automation = Automation(client, DemoClock(months_per_minute))
    state = State(
        {
            "platform_keys": keys,
            "bank_id": bank_id,
            "max_age": max_age,
            "faults": faults if faults is not None else BankFaultPlan(),
            "received": [],
            "processed": set(),
            "endpoint_faults": {endpoint: EndpointFaults() for endpoint in ENDPOINTS},
            "intake": IntakeBook(),
            "auth": TokenIssuer(intake_client_id, intake_client_secret, token_lifetime),
            "automation": automation,
        }
    )
    return SandboxBank(
        route_handlers=[
            receive_webhook,
            received,
            token_endpoint,
            expire_tokens,
            receive_application,
            intake_counts,
            show_bank_faults,
            arm_bank_faults,
            reset_bank,
        ],
        state=state,
        openapi_config=None,
    )
