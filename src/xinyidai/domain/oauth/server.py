"""The token endpoint's engine: Authlib's ``AuthorizationServer`` with our pieces plugged in.

What is Authlib's: request parsing into ``OAuth2Request``, the grant classes (client
credentials here), client authentication dispatch, the RFC 7523 client-assertion checks
(signature, ``iss`` = ``sub``, ``exp``), the RFC 9068 JWT access-token layout and the RFC 6749
error responses. What is ours: ``private_key_jwt`` under that name with the algorithms limited
to ES256/PS256/EdDSA and the audience limited to the issuer, the assertion ``jti`` replay
guard in Redis, DPoP binding (``cnf.jkt``, ``token_type`` DPoP; ``dpop.py``), the keys
(``keys.py``) and the clients (``clients.py``).

Authlib's server core is synchronous. A request builds one :class:`TokenServer` with what it
already loaded (the client, the key ring, the DPoP thumbprint) and runs it in a worker thread
(``anyio.to_thread``); the one thing the core asks for on the way, the ``jti`` check, hops back
to the event loop (``anyio.from_thread``) to ask Redis. The loop never waits on the core.
"""

from __future__ import annotations

import hashlib
import secrets
import time
from dataclasses import dataclass
from typing import Any
from uuid import UUID

import anyio.from_thread
from authlib.oauth2.rfc6749 import (
    AuthorizationServer,
    ClientCredentialsGrant,
    InvalidClientError,
    InvalidGrantError,
    OAuth2Request,
    RefreshTokenGrant,
)
from authlib.oauth2.rfc6749.requests import BasicOAuth2Payload
from authlib.oauth2.rfc7523 import JWTBearerClientAssertion
from authlib.oauth2.rfc9068 import JWTBearerTokenGenerator
from joserfc import jwt
from joserfc.errors import JoseError
from joserfc.jwk import KeySet
from redis.asyncio import Redis
from sqlalchemy.ext.asyncio import AsyncSession

from xinyidai.domain.oauth import refresh
from xinyidai.domain.oauth.clients import SCOPES, BankClient
from xinyidai.domain.oauth.codeflow import (
    AuthorizationCode,
    ConsentUser,
    IssuedCode,
    S256Only,
    consent_is_live,
    redeem_code,
)
from xinyidai.domain.oauth.keys import ALGORITHM, KeyRing
from xinyidai.domain.oauth.refresh import RefreshCredential

ASSERTION_ALGORITHMS = ["ES256", "PS256", "EdDSA"]
MAX_ASSERTION_SECONDS = 3600  # an assertion lives at most an hour (bounds the jti memory)
PRIVATE_KEY_JWT = "private_key_jwt"
CLIENT_SECRET_BASIC = "client_secret_basic"  # noqa: S105 (a method name)


def bank_api_audience(issuer: str) -> str:
    """The ``aud`` of access tokens: the bank API."""
    return f"{issuer}/openapi/v1"


@dataclass(frozen=True)
class TokenContext:
    """What one token request brings to the core, loaded before it runs."""

    issuer: str
    client: BankClient | None
    keys: KeyRing
    jkt: str
    token_seconds: int
    redis: Redis
    allow_secrets: bool
    session: AsyncSession | None = None
    """The request's session, for what the core stores (refresh tokens), used on the loop."""


class PrivateKeyJwt(JWTBearerClientAssertion):  # type: ignore[misc]
    """RFC 7523 client assertions, as FAPI 2.0 names them (``private_key_jwt``)."""

    CLIENT_AUTH_METHOD = PRIVATE_KEY_JWT

    def __init__(self, context: TokenContext) -> None:
        super().__init__(validate_jti=True, leeway=10)
        self.context = context

    def get_audiences(self) -> list[str]:
        return [self.context.issuer]

    def resolve_client_public_key(self, client: BankClient) -> KeySet:
        return KeySet.import_key_set(client.jwks)  # type: ignore[arg-type]

    def process_assertion_claims(self, assertion: str, resolve_key: Any) -> dict[str, Any]:
        try:
            token = jwt.decode(assertion, resolve_key, algorithms=ASSERTION_ALGORITHMS)
        except (JoseError, ValueError) as exc:
            raise InvalidClientError(description="the client assertion does not verify") from exc
        claims = dict(token.claims)
        exp, iat = claims.get("exp"), claims.get("iat", time.time())
        if (
            isinstance(exp, int | float)
            and exp - min(float(iat), time.time()) > MAX_ASSERTION_SECONDS
        ):
            raise InvalidClientError(
                description=f"a client assertion may live at most {MAX_ASSERTION_SECONDS} s"
            )
        self.verify_claims(claims)
        return claims

    def validate_jti(self, claims: dict[str, Any], jti: str) -> bool:
        ttl = max(int(float(claims["exp"]) - time.time()) + self.leeway, 1)
        key = f"oauth:assertion-jti:{claims['sub']}:{hashlib.sha256(str(jti).encode()).hexdigest()}"
        redis = self.context.redis

        async def remember() -> bool:
            return bool(await redis.set(key, b"1", nx=True, ex=ttl))

        return anyio.from_thread.run(remember)


class TokenGenerator(JWTBearerTokenGenerator):  # type: ignore[misc]
    """RFC 9068 access tokens signed ES256 by the platform's current key, bound to the DPoP key."""

    def __init__(self, context: TokenContext) -> None:
        super().__init__(issuer=context.issuer, alg=ALGORITHM)
        self.refresh_token_generator = _refresh_value
        self.context = context

    def get_jwks(self) -> KeySet:
        return KeySet([self.context.keys.signing])

    def get_audiences(self, client: BankClient, user: Any, scope: str) -> str:
        return bank_api_audience(self.context.issuer)

    def get_extra_claims(
        self, client: BankClient, grant_type: str, user: Any, scope: str
    ) -> dict[str, Any]:
        claims = {"cnf": {"jkt": self.context.jkt}, "bank_id": str(client.bank_id)}
        if isinstance(user, ConsentUser):  # the code flow: the token reads under one consent
            claims["consent_id"] = user.consent_id
        return claims

    def _get_expires_in(self, client: BankClient, grant_type: str) -> int:
        return self.context.token_seconds

    def generate(self, *args: Any, **kwargs: Any) -> dict[str, Any]:
        token: dict[str, Any] = super().generate(*args, **kwargs)
        token["token_type"] = "DPoP"  # noqa: S105 (a token type)
        return token


def _refresh_value(client: BankClient, grant_type: str, user: Any, scope: str) -> str:
    return secrets.token_urlsafe(48)


class RefreshGrant(RefreshTokenGrant):  # type: ignore[misc]
    """Rotation: each refresh gives a new refresh token; the scope may shrink, never grow
    (Authlib refuses a wider one); the DPoP key must be the one the token was bound to."""

    TOKEN_ENDPOINT_AUTH_METHODS = [PRIVATE_KEY_JWT]
    INCLUDE_NEW_REFRESH_TOKEN = True
    find: Any = None  # (value) -> RefreshCredential | None, on the event loop
    use_up: Any = None  # (credential) -> bool, on the event loop
    jkt: str = ""

    def authenticate_refresh_token(self, refresh_token: str) -> RefreshCredential | None:
        credential: RefreshCredential | None = self.find(refresh_token)
        if credential is not None and credential.dpop_jkt != self.jkt:
            raise InvalidGrantError(description="the refresh token is bound to another DPoP key")
        return credential

    def authenticate_user(self, credential: RefreshCredential) -> ConsentUser:
        return ConsentUser(str(credential.user_id), str(credential.consent_id))

    def revoke_old_credential(self, credential: RefreshCredential) -> None:
        if not self.use_up(credential):
            raise InvalidGrantError(description="this refresh token was used at the same time")


class ClientCredentials(ClientCredentialsGrant):  # type: ignore[misc]
    TOKEN_ENDPOINT_AUTH_METHODS = [PRIVATE_KEY_JWT, CLIENT_SECRET_BASIC]


class TokenServer(AuthorizationServer):  # type: ignore[misc]
    """One request's authorisation server (cheap to build; holds that request's context)."""

    def __init__(self, context: TokenContext) -> None:
        super().__init__(scopes_supported=list(SCOPES))
        self.context = context
        self.register_client_auth_method(PRIVATE_KEY_JWT, PrivateKeyJwt(context))
        methods = [PRIVATE_KEY_JWT] + ([CLIENT_SECRET_BASIC] if context.allow_secrets else [])
        grant = type("Grant", (ClientCredentials,), {"TOKEN_ENDPOINT_AUTH_METHODS": methods})
        self.register_grant(grant)
        redis = context.redis

        def redeem(code: str) -> IssuedCode | None:
            async def take() -> IssuedCode | None:
                return await redeem_code(redis, code)

            return anyio.from_thread.run(take)

        code_grant = type(
            "CodeGrant",
            (AuthorizationCode,),
            {
                "redeem": staticmethod(redeem),
                "consent_live": staticmethod(self._on_loop(consent_is_live)),
                "jkt": context.jkt,
            },
        )
        self.register_grant(code_grant, [S256Only(required=True)])
        refresh_grant = type(
            "Refresh",
            (RefreshGrant,),
            {
                "find": staticmethod(self._on_loop(refresh.find)),
                "use_up": staticmethod(self._on_loop(refresh.use_up)),
                "jkt": context.jkt,
            },
        )
        self.register_grant(refresh_grant)
        self.register_token_generator("default", TokenGenerator(context))

    def _on_loop(self, function: Any) -> Any:
        """``function(session, value)`` run on the event loop with the request's session."""
        session = self.context.session

        def call(value: Any) -> Any:
            async def run() -> Any:
                return await function(session, value)

            return anyio.from_thread.run(run)

        return call

    def query_client(self, client_id: str) -> BankClient | None:
        client = self.context.client
        return client if client is not None and client.client_id == client_id else None

    def create_oauth2_request(self, request: OAuth2Request) -> OAuth2Request:
        return request  # built by the controller from the parsed form (``oauth_request``)

    def save_token(self, token: dict[str, Any], request: OAuth2Request) -> None:
        """Access tokens are self-contained JWTs; only a refresh token (code flow) is stored."""
        value, user = token.get("refresh_token"), request.user
        if not value or not isinstance(user, ConsentUser) or self.context.session is None:
            return
        session, client_id, jkt = self.context.session, request.client.client_id, self.context.jkt

        async def keep() -> None:
            await refresh.store(
                session,
                value,
                client_id=client_id,
                consent_id=UUID(user.consent_id),
                scope=str(token.get("scope") or ""),
                jkt=jkt,
            )

        anyio.from_thread.run(keep)

    def handle_response(
        self, status: int, body: Any, headers: list[tuple[str, str]]
    ) -> tuple[int, Any, list[tuple[str, str]]]:
        return status, body, headers

    def send_signal(self, name: str, *args: Any, **kwargs: Any) -> None:
        """No signals."""


class FormRequest(OAuth2Request):  # type: ignore[misc]
    """A request the controller has already parsed: its form, and no query parameters."""

    def __init__(self, method: str, url: str, form: dict[str, str], headers: dict[str, str]):
        super().__init__(method, url, headers=headers)
        self._form = form
        self.payload = BasicOAuth2Payload(form)

    @property
    def form(self) -> dict[str, str]:
        return self._form

    @property
    def args(self) -> dict[str, str]:
        return {}


def oauth_request(
    method: str, url: str, form: dict[str, str], headers: dict[str, str]
) -> OAuth2Request:
    return FormRequest(method, url, form, headers)


def authenticate(
    context: TokenContext, form: dict[str, str], headers: dict[str, str], url: str
) -> BankClient:
    """Client authentication alone (``private_key_jwt``), for the PAR endpoint; run it in a
    worker thread. Raises Authlib's ``InvalidClientError``."""
    server = TokenServer(context)
    client: BankClient = server.authenticate_client(
        oauth_request("POST", url, form, headers), [PRIVATE_KEY_JWT], endpoint="par"
    )
    return client


def token_response(
    context: TokenContext, form: dict[str, str], headers: dict[str, str], url: str
) -> tuple[int, Any, list[tuple[str, str]]]:
    """Run the core (call it in a worker thread)."""
    server = TokenServer(context)
    result: tuple[int, Any, list[tuple[str, str]]] = server.create_token_response(
        oauth_request("POST", url, form, headers)
    )
    return result
