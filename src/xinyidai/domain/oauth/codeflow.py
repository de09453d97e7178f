"""The authorisation-code flow for banks whose own site sends the SME to the platform.

1. **PAR** (RFC 9126, ours): the bank's server pushes the request to ``POST /oauth/par``,
   authenticated by ``private_key_jwt``: ``response_type=code``, its exact ``redirect_uri``,
   ``scope``, ``state``, a PKCE ``code_challenge`` with ``code_challenge_method=S256`` (``plain``
   or none is refused), what the SME is asked to share (``families``, ``purpose``,
   ``reference``, ``consent_days``) and optionally ``dpop_jkt`` (RFC 9449 §10) binding the code
   to its DPoP key. It gets a ``request_uri`` that lives :data:`REQUEST_URI_SECONDS` seconds.
2. **Authorise**: the SME's browser opens ``/oauth/authorize?client_id=…&request_uri=…``; only
   a fresh ``request_uri`` of that client is accepted, once. The request becomes a consent
   request and the browser goes to the portal's consent screen (``/sme/oauth-consent/<id>``),
   through the login page when needed.
3. **Consent**: the SME (a verified user) sees the bank, the data, the purpose and the expiry,
   and approves (a :class:`~xinyidai.models.BankConsent` is written, channel ``oauth``) or
   declines. Either way the browser is sent back to the bank's ``redirect_uri`` with ``iss``
   (RFC 9207) and ``state``, and a ``code`` (≤ :data:`CODE_SECONDS` s, single use) or
   ``error=access_denied``.
4. **Token** (Authlib's ``AuthorizationCodeGrant`` with ``CodeChallenge``, S256 only): the code
   is taken from Redis with ``GETDEL``, so of two concurrent redemptions exactly one finds it;
   the other gets ``invalid_grant``. The access token carries the consent's id and reads
   under that consent only.
"""

from __future__ import annotations

import json
import re
import secrets
from dataclasses import asdict, dataclass
from typing import TYPE_CHECKING, Any
from urllib.parse import urlencode
from uuid import UUID

from authlib.oauth2.rfc6749 import AuthorizationCodeGrant, InvalidGrantError
from authlib.oauth2.rfc7636 import CodeChallenge

from xinyidai.dates import utc_now
from xinyidai.domain.consents.schemas import SharedData
from xinyidai.domain.oauth.clients import SCOPES, BankClient
from xinyidai.infra.errors import NotFound
from xinyidai.models import BankConsent

if TYPE_CHECKING:
    from redis.asyncio import Redis
    from sqlalchemy.ext.asyncio import AsyncSession

REQUEST_URI_SECONDS = 60
CONSENT_REQUEST_SECONDS = 600  # the SME has ten minutes to log in and decide
CODE_SECONDS = 60
REQUEST_URI_PREFIX = "urn:ietf:params:oauth:request_uri:"
_CHALLENGE = re.compile(r"^[A-Za-z0-9\-._~]{43,128}$")
_STATE_MAX = 512
_KEY_PAR = "oauth:par:"
_KEY_CONSENT = "oauth:consent-request:"
_KEY_CODE = "oauth:code:"


class ParError(Exception):
    """A pushed request the server refuses (RFC 6749 error code and description)."""

    def __init__(self, error: str, description: str) -> None:
        super().__init__(description)
        self.error, self.description = error, description


@dataclass(frozen=True)
class PushedRequest:
    client_id: str
    redirect_uri: str
    scope: str
    state: str | None
    code_challenge: str
    families: list[str]
    purpose: str
    reference: str | None
    consent_days: int
    dpop_jkt: str | None


@dataclass(frozen=True)
class IssuedCode:
    """What a code stands for (Authlib's ``AuthorizationCodeMixin``)."""

    client_id: str
    redirect_uri: str
    scope: str
    code_challenge: str
    code_challenge_method: str
    consent_id: str
    user_id: str
    dpop_jkt: str | None

    def get_redirect_uri(self) -> str:
        return self.redirect_uri

    def get_scope(self) -> str:
        return self.scope

    def get_nonce(self) -> None:
        return None

    def get_auth_time(self) -> None:
        return None


@dataclass(frozen=True)
class ConsentUser:
    """The resource owner of a code: the SME user who approved, under one consent."""

    user_id: str
    consent_id: str

    def get_user_id(self) -> str:
        return self.user_id


def _check_protocol(form: dict[str, str], client: BankClient) -> tuple[str, str, str, str | None]:
    """(redirect URI, code challenge, scope, state) of the request: OAuth's own rules."""
    if "request_uri" in form or "request" in form:
        raise ParError("invalid_request", "request_uri and request objects are not accepted")
    if form.get("response_type") != "code":
        raise ParError("unsupported_response_type", "response_type must be code")
    if not client.check_grant_type("authorization_code"):
        raise ParError("unauthorized_client", "this client is not registered for the code flow")
    redirect_uri = form.get("redirect_uri", "")
    if not client.check_redirect_uri(redirect_uri):
        raise ParError("invalid_request", "redirect_uri is not one registered for this client")
    if form.get("code_challenge_method") != "S256":
        raise ParError("invalid_request", "PKCE with code_challenge_method=S256 is required")
    challenge = form.get("code_challenge", "")
    if not _CHALLENGE.match(challenge):
        raise ParError("invalid_request", "code_challenge must be a base64url S256 value")
    scopes = (form.get("scope") or "profiles").split()
    if not scopes or any(s not in SCOPES for s in scopes):
        raise ParError("invalid_scope", f"scope must be among {' '.join(SCOPES)}")
    state = form.get("state")
    if state is not None and len(state) > _STATE_MAX:
        raise ParError("invalid_request", f"state is at most {_STATE_MAX} characters")
    return redirect_uri, challenge, " ".join(dict.fromkeys(scopes)), state


def _check_sharing(form: dict[str, str]) -> tuple[list[str], str, str | None, int]:
    """(families, purpose, reference, days) the SME is asked to consent to."""
    families = sorted(set((form.get("families") or "").split()))
    known = {s.value for s in SharedData}
    if not families or any(f not in known for f in families):
        raise ParError("invalid_request", f"families must be among {' '.join(sorted(known))}")
    purpose = form.get("purpose", "")
    if purpose not in ("application", "need", "general"):
        raise ParError("invalid_request", "purpose must be application, need or general")
    reference = form.get("reference") or None
    if reference is not None and not 2 <= len(reference) <= 200:
        raise ParError("invalid_request", "reference has 2 to 200 characters")
    if purpose == "general" and reference is None:
        raise ParError("invalid_request", "a general purpose needs a reference")
    try:
        days = int(form.get("consent_days") or 90)
    except ValueError:
        raise ParError("invalid_request", "consent_days is a number of days") from None
    if not 1 <= days <= 365:
        raise ParError("invalid_request", "consent_days is 1 to 365")
    return families, purpose, reference, days


def check_pushed(form: dict[str, str], client: BankClient) -> PushedRequest:
    """Validate a pushed authorisation request, or raise :class:`ParError`."""
    redirect_uri, challenge, scope, state = _check_protocol(form, client)
    families, purpose, reference, days = _check_sharing(form)
    return PushedRequest(
        client_id=client.client_id,
        redirect_uri=redirect_uri,
        scope=scope,
        state=state,
        code_challenge=challenge,
        families=families,
        purpose=purpose,
        reference=reference,
        consent_days=days,
        dpop_jkt=form.get("dpop_jkt") or None,
    )


async def push(redis: Redis, request: PushedRequest) -> str:
    handle = secrets.token_urlsafe(32)
    await redis.set(_KEY_PAR + handle, json.dumps(asdict(request)), ex=REQUEST_URI_SECONDS)
    return REQUEST_URI_PREFIX + handle


async def take_pushed(redis: Redis, client_id: str, request_uri: str) -> str:
    """Turn a fresh ``request_uri`` of this client into a consent request (single use); its id."""
    if not request_uri.startswith(REQUEST_URI_PREFIX):
        raise NotFound("this authorisation request is unknown or expired")
    raw = await redis.getdel(_KEY_PAR + request_uri.removeprefix(REQUEST_URI_PREFIX))
    if raw is None:
        raise NotFound("this authorisation request is unknown, expired or already used")
    data = json.loads(raw)
    if data["client_id"] != client_id:
        raise NotFound("this authorisation request is unknown, expired or already used")
    consent_request = secrets.token_urlsafe(24)
    await redis.set(_KEY_CONSENT + consent_request, raw, ex=CONSENT_REQUEST_SECONDS)
    return consent_request


async def read_consent_request(redis: Redis, consent_request: str) -> PushedRequest:
    raw = await redis.get(_KEY_CONSENT + consent_request)
    if raw is None:
        raise NotFound("this consent request has expired or was answered")
    return PushedRequest(**json.loads(raw))


async def end_consent_request(redis: Redis, consent_request: str) -> PushedRequest:
    """The request, taken once (a second answer finds nothing)."""
    raw = await redis.getdel(_KEY_CONSENT + consent_request)
    if raw is None:
        raise NotFound("this consent request has expired or was answered")
    return PushedRequest(**json.loads(raw))


async def issue_code(
    redis: Redis, request: PushedRequest, *, consent_id: UUID, user_id: UUID
) -> str:
    code = secrets.token_urlsafe(32)
    issued = IssuedCode(
        client_id=request.client_id,
        redirect_uri=request.redirect_uri,
        scope=request.scope,
        code_challenge=request.code_challenge,
        code_challenge_method="S256",
        consent_id=str(consent_id),
        user_id=str(user_id),
        dpop_jkt=request.dpop_jkt,
    )
    await redis.set(_KEY_CODE + code, json.dumps(asdict(issued)), ex=CODE_SECONDS)
    return code


async def redeem_code(redis: Redis, code: str) -> IssuedCode | None:
    """The code's grant, removed in the same step (``GETDEL``): it can be redeemed once."""
    raw = await redis.getdel(_KEY_CODE + code)
    return IssuedCode(**json.loads(raw)) if raw is not None else None


def redirect(request: PushedRequest, issuer: str, **params: str) -> str:
    """The bank's redirect URI with the answer, ``state`` and ``iss`` (RFC 9207)."""
    values = {**params, "iss": issuer}
    if request.state is not None:
        values["state"] = request.state
    separator = "&" if "?" in request.redirect_uri else "?"
    return request.redirect_uri + separator + urlencode(values)


class S256Only(CodeChallenge):  # type: ignore[misc]
    SUPPORTED_CODE_CHALLENGE_METHOD = ["S256"]
    DEFAULT_CODE_CHALLENGE_METHOD = "S256"


class AuthorizationCode(AuthorizationCodeGrant):  # type: ignore[misc]
    """The token side of the code flow; codes are made by :func:`issue_code`, not by Authlib's
    authorisation endpoint. ``redeem`` (set by the server) takes a code from Redis."""

    TOKEN_ENDPOINT_AUTH_METHODS = ["private_key_jwt"]
    redeem: Any = None  # (code) -> IssuedCode | None, on the event loop
    consent_live: Any = None  # (consent id) -> bool, on the event loop
    jkt: str = ""

    def query_authorization_code(self, code: str, client: BankClient) -> IssuedCode | None:
        issued: IssuedCode | None = self.redeem(code)
        if issued is None or issued.client_id != client.client_id:
            return None
        if issued.dpop_jkt is not None and issued.dpop_jkt != self.jkt:
            raise InvalidGrantError(description="the code is bound to another DPoP key")
        return issued

    def delete_authorization_code(self, authorization_code: IssuedCode) -> None:
        """Already gone: :func:`redeem_code` took it."""

    def authenticate_user(self, authorization_code: IssuedCode) -> ConsentUser:
        """The consent the SME gave; a code whose consent ended before it was redeemed (the
        SME revoked it in the seconds between) gives no token."""
        if not self.consent_live(UUID(authorization_code.consent_id)):
            raise InvalidGrantError(description="the consent behind this code has ended")
        return ConsentUser(authorization_code.user_id, authorization_code.consent_id)


async def consent_is_live(session: AsyncSession, consent_id: UUID) -> bool:
    consent = await session.get(BankConsent, consent_id)
    return consent is not None and consent.is_live(utc_now())
