"""The platform as a client of the enterprise identity service (electronic business licence).

An OpenID Connect-style authorization-code flow with PKCE (S256): the platform sends the legal
representative to the service's authorization endpoint, gets a code back at its redirect URI,
redeems it (client_secret_basic) and receives an ID token signed by the service. The token is
verified against the service's JWKS (ES256 only, a known ``kid``), for issuer, audience, expiry,
issue time and nonce; its claims state the USCC and the legal representative the licence names.

The service's discovery document and JWKS are fetched lazily and cached; an unknown ``kid``
refetches the JWKS (at most once a minute), which is how a key rotation is picked up. Plain
httpx for the two calls and ``joserfc`` for the token: Authlib's client would add nothing here.
"""

from __future__ import annotations

import base64
import hashlib
import secrets
import time
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote, urlencode

import httpx
import msgspec
import structlog
from joserfc import jwt
from joserfc.errors import JoseError
from joserfc.jwk import KeySet

from xinyidai.infra.errors import DomainError, FieldError, ServiceUnavailable
from xinyidai.settings import Settings

log = structlog.get_logger(__name__)

SCOPE = "openid licence"
ALGORITHMS = ("ES256",)
LEEWAY = 60  # seconds of clock skew allowed on iat and exp
JWKS_REFRESH = 60.0  # seconds between refetches caused by an unknown kid
MAX_DOCUMENT = 256 * 1024


class IdentityRejected(DomainError):
    """The identity service's answer does not prove the claim (403, with the rule it broke)."""

    status = 403
    title = "Identity not verified"
    slug = "identity-not-verified"

    def __init__(self, detail: str, code: str) -> None:
        super().__init__(detail, errors=[FieldError(field="id_token", message=detail, code=code)])
        self.code = code


@dataclass(frozen=True, slots=True)
class VerifiedIdentity:
    """What a verified ID token says: which enterprise's licence, held by whom."""

    issuer: str
    subject: str
    uscc: str
    enterprise_name: str
    legal_rep_name: str
    legal_rep_id_masked: str
    token_id: str
    expires_at: int


@dataclass(frozen=True, slots=True)
class PendingLogin:
    """What the platform keeps between sending the user to the service and the callback."""

    state: str
    nonce: str
    code_verifier: str

    @classmethod
    def new(cls) -> PendingLogin:
        return cls(
            state=secrets.token_urlsafe(32),
            nonce=secrets.token_urlsafe(32),
            code_verifier=secrets.token_urlsafe(48),
        )

    @property
    def code_challenge(self) -> str:
        digest = hashlib.sha256(self.code_verifier.encode("ascii")).digest()
        return base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")


class _Discovery(msgspec.Struct):
    issuer: str
    authorization_endpoint: str
    token_endpoint: str
    jwks_uri: str


class _TokenResponse(msgspec.Struct):
    id_token: str
    token_type: str = "Bearer"  # noqa: S105 - the scheme, not a secret


def _unavailable(what: str) -> ServiceUnavailable:
    return ServiceUnavailable(
        f"the identity service could not be reached ({what}); try again shortly", retry_after=10
    )


class IdentityClient:
    """One per process: holds a connection pool and the service's cached metadata."""

    def __init__(
        self,
        issuer: str,
        client_id: str,
        client_secret: str,
        redirect_uri: str,
        *,
        timeout: float = 10.0,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        self.issuer = issuer.rstrip("/")
        self.client_id = client_id
        self.redirect_uri = redirect_uri
        # RFC 6749 §2.3.1: the id and secret are form-encoded before the Basic scheme.
        self._auth = httpx.BasicAuth(quote(client_id, safe=""), quote(client_secret, safe=""))
        self._http = httpx.AsyncClient(timeout=timeout, transport=transport)
        self._discovery: _Discovery | None = None
        self._keys: KeySet | None = None
        self._keys_fetched = 0.0

    @classmethod
    def from_settings(cls, settings: Settings) -> IdentityClient | None:
        if not settings.identity_url:
            return None
        return cls(
            settings.identity_url,
            settings.identity_client_id,
            settings.identity_client_secret,
            settings.identity_redirect_uri,
        )

    async def aclose(self) -> None:
        await self._http.aclose()

    # --- metadata -----------------------------------------------------------------------------
    async def _get_json(self, url: str, what: str) -> bytes:
        try:
            response = await self._http.get(url, headers={"accept": "application/json"})
        except httpx.HTTPError as exc:
            log.warning("identity_unreachable", what=what, error=type(exc).__name__)
            raise _unavailable(what) from exc
        if response.status_code != 200 or len(response.content) > MAX_DOCUMENT:
            log.warning("identity_bad_answer", what=what, status=response.status_code)
            raise _unavailable(what)
        return response.content

    async def discovery(self) -> _Discovery:
        if self._discovery is None:
            raw = await self._get_json(
                self.issuer + "/.well-known/openid-configuration", "discovery"
            )
            try:
                document = msgspec.json.decode(raw, type=_Discovery)
            except msgspec.DecodeError as exc:
                raise _unavailable("discovery document") from exc
            if document.issuer.rstrip("/") != self.issuer:
                log.error("identity_issuer_mismatch", configured=self.issuer)
                raise _unavailable("its discovery document names another issuer")
            self._discovery = document
        return self._discovery

    async def _key_set(self, kid: str) -> KeySet:
        known = self._keys is not None and any(k.kid == kid for k in self._keys.keys)
        stale = time.monotonic() - self._keys_fetched > JWKS_REFRESH
        if self._keys is None or (not known and stale):
            raw = await self._get_json((await self.discovery()).jwks_uri, "key set")
            try:
                document = msgspec.json.decode(raw)
                keys = KeySet.import_key_set(document)
            except (msgspec.DecodeError, JoseError, ValueError, TypeError, KeyError) as exc:
                raise _unavailable("key set") from exc
            self._keys = KeySet([k for k in keys.keys if k.kid and k.key_type == "EC"])
            self._keys_fetched = time.monotonic()
        return self._keys

    # --- the flow -----------------------------------------------------------------------------
    async def authorization_url(self, pending: PendingLogin, login_hint: str) -> str:
        query = urlencode(
            {
                "response_type": "code",
                "client_id": self.client_id,
                "redirect_uri": self.redirect_uri,
                "scope": SCOPE,
                "state": pending.state,
                "nonce": pending.nonce,
                "code_challenge": pending.code_challenge,
                "code_challenge_method": "S256",
                "login_hint": login_hint,
            }
        )
        return f"{(await self.discovery()).authorization_endpoint}?{query}"

    async def redeem(self, code: str, pending: PendingLogin) -> VerifiedIdentity:
        """Exchange the code for an ID token and verify it (raises ``IdentityRejected``)."""
        endpoint = (await self.discovery()).token_endpoint
        try:
            response = await self._http.post(
                endpoint,
                data={
                    "grant_type": "authorization_code",
                    "code": code,
                    "redirect_uri": self.redirect_uri,
                    "code_verifier": pending.code_verifier,
                },
                auth=self._auth,
                headers={"accept": "application/json"},
            )
        except httpx.HTTPError as exc:
            log.warning("identity_unreachable", what="token", error=type(exc).__name__)
            raise _unavailable("token endpoint") from exc
        if response.status_code in (400, 401):
            error = _oauth_error(response)
            log.info("identity_code_refused", error=error)
            raise IdentityRejected(
                f"the identity service refused the code ({error}); start the verification again",
                "code_refused",
            )
        if response.status_code != 200:
            raise _unavailable("token endpoint")
        try:
            token = msgspec.json.decode(response.content, type=_TokenResponse)
        except msgspec.DecodeError as exc:
            raise _unavailable("token response") from exc
        return await self.verify_id_token(token.id_token, pending.nonce)

    async def verify_id_token(
        self, id_token: str, nonce: str, *, now: int | None = None
    ) -> VerifiedIdentity:
        try:
            header = _header(id_token)
        except (ValueError, msgspec.DecodeError) as exc:
            raise IdentityRejected("the ID token is malformed", "token_malformed") from exc
        kid = header.get("kid")
        if header.get("alg") not in ALGORITHMS or not isinstance(kid, str) or not kid:
            raise IdentityRejected(
                "the ID token must be signed with ES256 and name its key", "token_algorithm"
            )
        keys = await self._key_set(kid)
        if not any(k.kid == kid for k in keys.keys):
            raise IdentityRejected("the ID token is signed with an unknown key", "token_key")
        try:
            token = jwt.decode(id_token, keys, algorithms=list(ALGORITHMS))
        except JoseError as exc:
            raise IdentityRejected(
                "the ID token's signature is not valid", "token_signature"
            ) from exc
        claims: dict[str, Any] = token.claims
        at = int(time.time()) if now is None else now
        registry = jwt.JWTClaimsRegistry(
            now=at,
            leeway=LEEWAY,
            iss={"essential": True, "value": self.issuer},
            aud={"essential": True, "value": self.client_id},
            sub={"essential": True},
            exp={"essential": True},
            iat={"essential": True},
            jti={"essential": True},
            nonce={"essential": True, "value": nonce},
        )
        try:
            registry.validate(claims)
        except JoseError as exc:
            raise IdentityRejected(
                f"the ID token is not valid here ({exc.error}: {exc.description or ''})".strip(),
                "token_claims",
            ) from exc
        if not isinstance(claims["iat"], int) or claims["iat"] > at + LEEWAY:
            raise IdentityRejected("the ID token is issued in the future", "token_claims")
        try:
            return VerifiedIdentity(
                issuer=claims["iss"],
                subject=_text(claims, "sub"),
                uscc=_text(claims, "uscc"),
                enterprise_name=_text(claims, "enterprise_name"),
                legal_rep_name=_text(claims, "legal_rep_name"),
                legal_rep_id_masked=_text(claims, "legal_rep_id_masked"),
                token_id=_text(claims, "jti"),
                expires_at=int(claims["exp"]),
            )
        except (KeyError, TypeError, ValueError) as exc:
            raise IdentityRejected(
                "the ID token lacks the licence's claims", "token_claims"
            ) from exc


def _text(claims: dict[str, Any], name: str) -> str:
    value = claims[name]
    if not isinstance(value, str) or not value or len(value) > 255:
        raise ValueError(name)
    return value


def _header(token: str) -> dict[str, Any]:
    first = token.split(".", 1)[0]
    if not first or len(first) > 2048:
        raise ValueError("no header")
    padded = first + "=" * (-len(first) % 4)
    header = msgspec.json.decode(base64.urlsafe_b64decode(padded))
    if not isinstance(header, dict):
        raise ValueError("header is not an object")
    return header


def _oauth_error(response: httpx.Response) -> str:
    try:
        body = msgspec.json.decode(response.content)
    except msgspec.DecodeError:
        return "unknown_error"
    error = body.get("error") if isinstance(body, dict) else None
    return error if isinstance(error, str) and error.isascii() and len(error) < 64 else "error"
