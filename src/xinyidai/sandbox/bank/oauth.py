"""The sandbox bank's own OAuth 2.0 token endpoint, which guards its intake.

``POST /oauth/token`` (RFC 6749 §4.4, client credentials): the bank knows one client, the
platform's relay, by the id and secret it was given at start. The client authenticates with
``client_secret_basic`` (``Authorization: Basic base64(urlencode(id):urlencode(secret))``) or
``client_secret_post`` (``client_id`` and ``client_secret`` in the form), never both. The answer
is an opaque bearer token (``token_type: Bearer``) with ``expires_in`` seconds of life; a
requested ``scope`` must be within :data:`SCOPES` and is echoed. Errors are RFC 6749 §5.2's:
``invalid_client`` (401, with ``WWW-Authenticate: Basic`` when Basic was tried),
``invalid_request``, ``unsupported_grant_type``, ``invalid_scope`` (400).

Test controls: ``POST /_sandbox/tokens/expire`` forgets every issued token (the relay must
then meet a 401 and fetch a new one); the ``token`` fault plan (see :mod:`.controls`).
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import hmac
import secrets
import time
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl, unquote

from litestar import Request, Response, post
from litestar.datastructures import State

from xinyidai.sandbox.bank.controls import fault_answer

SCOPES = frozenset({"intake", "applications"})
DEFAULT_TOKEN_LIFETIME = 600
MAX_FORM = 8192


@dataclass
class TokenIssuer:
    """The one client the bank knows and the tokens it issued (token → expiry, epoch s)."""

    client_id: str
    client_secret: str
    lifetime: int = DEFAULT_TOKEN_LIFETIME
    tokens: dict[str, float] = field(default_factory=dict)
    issued: int = 0
    refused: int = 0

    def authenticate(self, client_id: str, client_secret: str) -> bool:
        same_id = hmac.compare_digest(client_id.encode(), self.client_id.encode())
        same_secret = hmac.compare_digest(client_secret.encode(), self.client_secret.encode())
        return same_id and same_secret

    def issue(self, now: float | None = None) -> str:
        now = time.time() if now is None else now
        self.tokens = {t: exp for t, exp in self.tokens.items() if exp > now}
        token = secrets.token_urlsafe(32)
        self.tokens[token] = now + self.lifetime
        self.issued += 1
        return token

    def valid(self, authorization: str | None, now: float | None = None) -> bool:
        """Whether an ``Authorization`` header carries a live token of ours."""
        scheme, _, token = (authorization or "").partition(" ")
        if scheme.lower() != "bearer" or not token:
            return False
        expires = self.tokens.get(token.strip())
        return expires is not None and expires > (time.time() if now is None else now)

    def expire_all(self) -> None:
        self.tokens.clear()

    def reset(self) -> None:
        self.tokens.clear()
        self.issued = 0
        self.refused = 0


def _oauth_error(
    status: int, error: str, description: str, headers: dict[str, str] | None = None
) -> Response[Any]:
    return Response(
        {"error": error, "error_description": description},
        status_code=status,
        headers={"Cache-Control": "no-store", **(headers or {})},
        media_type="application/json",
    )


def _basic(authorization: str) -> tuple[str, str] | None:
    scheme, _, encoded = authorization.partition(" ")
    if scheme.lower() != "basic":
        return None
    try:
        decoded = base64.b64decode(encoded.strip(), validate=True).decode()
    except (binascii.Error, UnicodeError):
        return None
    client_id, colon, client_secret = decoded.partition(":")
    if not colon:
        return None
    return unquote(client_id), unquote(client_secret)


def _form(body: bytes) -> dict[str, str] | None:
    try:
        pairs = parse_qsl(body.decode(), keep_blank_values=True, strict_parsing=bool(body))
    except (UnicodeError, ValueError):
        return None
    form: dict[str, str] = {}
    for name, value in pairs:
        if name in form:
            return None  # RFC 6749 §3.2: parameters must not repeat
        form[name] = value
    return form


async def _read_form(request: Request[Any, Any, Any]) -> dict[str, str] | None:
    content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    body = await request.body()
    if content_type != "application/x-www-form-urlencoded" or len(body) > MAX_FORM:
        return None
    return _form(body)


def _credentials(
    form: dict[str, str], authorization: str | None
) -> tuple[str, str, bool] | Response[Any]:
    """(client id, secret, whether Basic was used), or the error answer."""
    basic = _basic(authorization) if authorization else None
    posted = form.get("client_secret")
    if authorization and basic is None:
        return _oauth_error(401, "invalid_client", "malformed Basic credentials", _challenge())
    if basic is not None and posted is not None:
        return _oauth_error(400, "invalid_request", "use one client authentication method")
    if basic is not None:
        if form.get("client_id") not in (None, basic[0]):
            return _oauth_error(400, "invalid_request", "client_id differs from Basic's")
        return basic[0], basic[1], True
    if posted is not None and form.get("client_id"):
        return form["client_id"], posted, False
    return _oauth_error(401, "invalid_client", "client authentication is required", _challenge())


@post("/oauth/token", status_code=200)
async def token_endpoint(request: Request[Any, Any, Any], state: State) -> Response[Any]:
    """Client credentials for the platform's relay: an opaque bearer token for the intake."""
    issuer: TokenIssuer = state.auth
    fault = state.endpoint_faults["token"].take()
    if fault == "slow":
        await asyncio.sleep(state.endpoint_faults["token"].delay)
    elif fault is not None:
        return fault_answer(fault)
    form = await _read_form(request)
    if form is None:
        return _oauth_error(400, "invalid_request", "send a form (x-www-form-urlencoded)")
    credentials = _credentials(form, request.headers.get("authorization"))
    if isinstance(credentials, Response):
        issuer.refused += credentials.status_code == 401
        return credentials
    client_id, client_secret, basic = credentials
    if not issuer.authenticate(client_id, client_secret):
        issuer.refused += 1
        headers = _challenge() if basic else None
        return _oauth_error(401, "invalid_client", "unknown client or wrong secret", headers)
    if form.get("grant_type") != "client_credentials":
        return _oauth_error(400, "unsupported_grant_type", "only client_credentials is served")
    scope = form.get("scope")
    if scope is not None and not set(scope.split()) <= SCOPES:
        return _oauth_error(400, "invalid_scope", f"scopes served: {' '.join(sorted(SCOPES))}")
    answer: dict[str, Any] = {
        "access_token": issuer.issue(),
        "token_type": "Bearer",
        "expires_in": issuer.lifetime,
    }
    if scope:
        answer["scope"] = scope
    return Response(
        answer,
        headers={"Cache-Control": "no-store", "Pragma": "no-cache"},
        media_type="application/json",
    )


def _challenge() -> dict[str, str]:
    return {"WWW-Authenticate": 'Basic realm="sandbox-bank"'}


@post("/_sandbox/tokens/expire", status_code=200)
async def expire_tokens(state: State) -> dict[str, bool]:
    """Forget every issued token: the next intake call with one gets 401."""
    state.auth.expire_all()
    return {"expired": True}
