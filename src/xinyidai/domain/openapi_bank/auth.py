"""Who is calling the bank API: a DPoP-bound access token and a fresh proof, checked on every
request (RFC 9449 §7, RFC 9068 §4).

The token: ``Authorization: DPoP <jwt>`` only (a ``Bearer`` scheme, or a token in the query
string, is refused); signed ES256 by one of the platform's published keys (``alg`` ``none``,
an HMAC or a key the platform never published fail); ``typ`` ``at+jwt``; ``iss`` this
platform; ``aud`` the bank API; not expired; bound to a key (``cnf.jkt``); its client still
registered and enabled; not revoked. The proof: made by that same key, for this method and URL,
fresh, carrying the token's hash, never seen before.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from uuid import UUID

from joserfc import jws, jwt
from joserfc.errors import JoseError
from litestar import Request
from litestar.di import NamedDependency
from sqlalchemy.ext.asyncio import AsyncSession

from xinyidai.domain.oauth import dpop
from xinyidai.domain.oauth.clients import ClientService
from xinyidai.domain.oauth.keys import ALGORITHM, KeyStore
from xinyidai.domain.oauth.server import bank_api_audience
from xinyidai.domain.oauth.tokens import REVOKED_PREFIX
from xinyidai.domain.openapi_bank import limits
from xinyidai.infra.errors import Forbidden, NotAuthenticated
from xinyidai.settings import Settings

MOUNT = "/openapi/v1"

_ALGS = " ".join(dpop.ALGORITHMS)


@dataclass(frozen=True)
class BankCaller:
    client_id: str
    bank_id: UUID
    scopes: frozenset[str]
    jti: str
    jkt: str
    consent_id: UUID | None
    """Set for tokens of the code flow, which are bound to one consent."""

    def require_scope(self, scope: str) -> None:
        if scope not in self.scopes:
            raise Forbidden(
                f"this token lacks the scope {scope!r}",
                headers={"WWW-Authenticate": f'DPoP error="insufficient_scope", scope="{scope}"'},
            )


def _header_safe(text: str) -> str:
    """An ``error_description`` as RFC 6750 §3 allows it in a challenge: printable ASCII
    without ``"`` or ``\\`` (the problem body keeps the full sentence)."""
    return "".join(c if " " <= c <= "~" and c not in '"\\' else "?" for c in text)


def _refuse(error: str, description: str) -> NotAuthenticated:
    challenge = (
        f'DPoP error="{error}", error_description="{_header_safe(description)}", algs="{_ALGS}"'
    )
    return NotAuthenticated(description, headers={"WWW-Authenticate": challenge})


def external_url(settings: Settings, request: Request[Any, Any, Any]) -> str:
    """The URL the bank called, as its DPoP proof names it (the issuer's scheme and host)."""
    path = request.scope.get("root_path", "") + request.scope["path"]
    if not path.startswith(MOUNT):
        path = MOUNT + request.scope["path"]
    return settings.issuer + path


def _claims(token: str, ring_keys: Any, settings: Settings) -> dict[str, Any]:
    try:
        decoded = jwt.decode(token, ring_keys, algorithms=[ALGORITHM])
    except (JoseError, ValueError, TypeError) as exc:
        raise _refuse("invalid_token", "the access token does not verify") from exc
    if decoded.header.get("typ") != "at+jwt":
        raise _refuse("invalid_token", "this is not an access token (typ at+jwt)")
    registry = jwt.JWTClaimsRegistry(
        leeway=5,
        iss={"essential": True, "value": settings.issuer},
        aud={"essential": True, "value": bank_api_audience(settings.issuer)},
        exp={"essential": True},
        client_id={"essential": True},
        jti={"essential": True},
    )
    try:
        registry.validate(decoded.claims)
    except JoseError as exc:
        raise _refuse("invalid_token", f"the access token is not valid here ({exc.error})") from exc
    return dict(decoded.claims)


async def provide_caller(
    request: Request[Any, Any, Any], db: NamedDependency[AsyncSession]
) -> BankCaller:
    settings: Settings = request.app.state.settings
    if "access_token" in request.query_params:
        raise _refuse(
            "invalid_request", "send the token in the Authorization header, never the URL"
        )
    scheme, _, token = (request.headers.get("authorization") or "").partition(" ")
    token = token.strip()
    if scheme.lower() == "bearer":
        raise _refuse("invalid_token", "tokens are DPoP-bound: use the DPoP scheme with a proof")
    if scheme.lower() != "dpop" or not token:
        raise _refuse("invalid_token", "an access token is required (Authorization: DPoP <token>)")
    try:
        header = jws.extract_compact(token.encode()).headers()
    except (JoseError, ValueError) as exc:
        raise _refuse("invalid_token", "the access token is not a JWT") from exc
    store: KeyStore = request.app.state.oauth_keys
    ring = await store.ring(unknown_kid=str(header.get("kid") or ""))
    claims = _claims(token, ring.verification_set(), settings)
    jkt = (claims.get("cnf") or {}).get("jkt") if isinstance(claims.get("cnf"), dict) else None
    if not isinstance(jkt, str):
        raise _refuse("invalid_token", "the access token is not bound to a key (cnf.jkt)")
    try:
        proof = await dpop.verify(
            request.app.state.redis,
            request.headers.get("dpop"),
            method=request.method,
            url=external_url(settings, request),
            access_token=token,
        )
    except dpop.DPoPError as exc:
        raise _refuse("invalid_dpop_proof", exc.description) from exc
    if proof.jkt != jkt:
        raise _refuse("invalid_dpop_proof", "the DPoP proof is by another key than the token's")
    if await request.app.state.redis.exists(REVOKED_PREFIX + str(claims["jti"])):
        raise _refuse("invalid_token", "the access token was revoked")
    client = await ClientService(db).find(str(claims["client_id"]))
    if client is None:
        raise _refuse("invalid_token", "the token's client is no longer registered")
    await limits.count(
        request.app.state.redis, request, client.client_id, settings.bank_api_rate_limit
    )
    consent = claims.get("consent_id")
    return BankCaller(
        client_id=client.client_id,
        bank_id=client.bank_id,
        scopes=frozenset(str(claims.get("scope") or "").split()),
        jti=str(claims["jti"]),
        jkt=jkt,
        consent_id=UUID(consent) if isinstance(consent, str) else None,
    )
