"""Banks' OAuth clients: registration by an admin, and the plain view Authlib works with.

Every client is confidential and authenticates with ``private_key_jwt`` (RFC 7523 client
assertions signed with ES256, PS256 or EdDSA by a key in the JWKS registered here).
``client_secret_basic`` exists only where ``OAUTH_ALLOW_SECRETS`` allows it (development,
never production). Redirect URIs are compared exactly, character for character.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any
from uuid import UUID

from joserfc.errors import JoseError
from joserfc.jwk import JWKRegistry
from sqlalchemy import select

from xinyidai.domain.accounts.guards import require_bank_or_admin
from xinyidai.domain.oauth.schemas import ClientCreate, ClientOut
from xinyidai.infra.errors import Forbidden, InvalidInput, NotFound
from xinyidai.infra.urls import check_url
from xinyidai.models import Bank, ClientAuthMethod, OAuthClient, Role

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncSession

    from xinyidai.domain.accounts.guards import Principal

SCOPES = ("profiles", "consents", "applications")
"""``profiles``: pull consented profiles; ``consents``: list the consents the bank holds."""
GRANT_TYPES = ("client_credentials", "authorization_code", "refresh_token")
ASSERTION_ALGORITHMS = {"EC": "ES256", "RSA": "PS256", "OKP": "EdDSA"}
_PRIVATE_MEMBERS = ("d", "p", "q", "dp", "dq", "qi", "k", "oth")


@dataclass(frozen=True)
class BankClient:
    """A registered client as Authlib's ``ClientMixin`` wants it: plain data, no session."""

    client_id: str
    bank_id: UUID
    name: str
    auth_method: str
    jwks: dict[str, Any]
    secret_hash: str | None
    redirect_uris: tuple[str, ...]
    grant_types: tuple[str, ...]
    scopes: tuple[str, ...]

    # --- authlib.oauth2.rfc6749.ClientMixin ---------------------------------------------------
    def get_client_id(self) -> str:
        return self.client_id

    def get_default_redirect_uri(self) -> str | None:
        return None  # the request must always name one (and it must match exactly)

    def get_allowed_scope(self, scope: str | None) -> str:
        asked = (scope or "").split()
        return " ".join(s for s in dict.fromkeys(asked) if s in self.scopes)

    def check_redirect_uri(self, redirect_uri: str) -> bool:
        return redirect_uri in self.redirect_uris

    def check_client_secret(self, client_secret: str) -> bool:
        if self.secret_hash is None:
            return False
        digest = hashlib.sha256(client_secret.encode()).hexdigest()
        return hmac.compare_digest(digest, self.secret_hash)

    def check_endpoint_auth_method(self, method: str, endpoint: str) -> bool:
        return method == self.auth_method

    def check_response_type(self, response_type: str) -> bool:
        return response_type == "code" and "authorization_code" in self.grant_types

    def check_grant_type(self, grant_type: str) -> bool:
        return grant_type in self.grant_types


def to_client(row: OAuthClient) -> BankClient:
    return BankClient(
        client_id=row.client_id,
        bank_id=row.bank_id,
        name=row.name,
        auth_method=row.auth_method,
        jwks=dict(row.jwks),
        secret_hash=row.secret_hash,
        redirect_uris=tuple(row.redirect_uris),
        grant_types=tuple(row.grant_types),
        scopes=tuple(row.scopes),
    )


def _rsa_bits(jwk: dict[str, Any]) -> int:
    modulus = str(jwk.get("n", ""))
    return len(base64.urlsafe_b64decode(modulus + "=" * (-len(modulus) % 4)).lstrip(b"\0")) * 8


def check_jwks(document: Any) -> dict[str, Any]:
    """A client's JWKS: public signing keys only (EC P-256, RSA of 2048 bits or more, Ed25519),
    each with a ``kid`` (its thumbprint when it has none)."""
    if not isinstance(document, dict) or not isinstance(document.get("keys"), list):
        raise InvalidInput.field("jwks", 'jwks: a JWK Set ({"keys": [...]}) is needed', "jwks")
    keys = []
    for n, jwk in enumerate(document["keys"]):
        where = f"jwks.keys[{n}]"
        if not isinstance(jwk, dict):
            raise InvalidInput.field(where, f"{where}: a JWK is an object", "jwks")
        if any(member in jwk for member in _PRIVATE_MEMBERS):
            raise InvalidInput.field(where, f"{where}: only public keys are registered", "jwks")
        kty = jwk.get("kty")
        if kty not in ASSERTION_ALGORITHMS:
            raise InvalidInput.field(where, f"{where}: kty must be EC, RSA or OKP", "jwks")
        try:
            key = JWKRegistry.import_key(jwk)
        except (JoseError, ValueError, TypeError) as exc:
            raise InvalidInput.field(where, f"{where}: not a valid key", "jwks") from exc
        if kty == "EC" and jwk.get("crv") != "P-256":
            raise InvalidInput.field(where, f"{where}: EC keys must be on P-256 (ES256)", "jwks")
        if kty == "OKP" and jwk.get("crv") != "Ed25519":
            raise InvalidInput.field(where, f"{where}: OKP keys must be Ed25519 (EdDSA)", "jwks")
        if kty == "RSA" and _rsa_bits(jwk) < 2048:
            raise InvalidInput.field(where, f"{where}: RSA keys need 2048 bits or more", "jwks")
        public = key.as_dict(private=False)
        public["kid"] = str(jwk.get("kid") or key.thumbprint())
        public["alg"] = ASSERTION_ALGORITHMS[kty]
        public["use"] = "sig"
        keys.append(public)
    if not keys:
        raise InvalidInput.field("jwks", "jwks: at least one key is needed", "jwks")
    kids = [k["kid"] for k in keys]
    if len(set(kids)) != len(kids):
        raise InvalidInput.field("jwks", "jwks: each key needs its own kid", "jwks")
    return {"keys": keys}


def check_redirect_uri(uri: str, *, allow_http_loopback: bool) -> str:
    """An absolute https URI without a fragment (http only on loopback, in development)."""
    checked = check_url("redirect_uris", uri, http_only_on_loopback=allow_http_loopback, base=False)
    if checked.startswith("http://") and not allow_http_loopback:
        raise InvalidInput.field("redirect_uris", "redirect_uris: https is required", "url_invalid")
    if "#" in checked:
        raise InvalidInput.field(
            "redirect_uris", "redirect_uris: no fragment is allowed", "url_invalid"
        )
    return uri  # stored as given: the match is exact


@dataclass(frozen=True)
class Registered:
    client: BankClient
    secret: str | None
    """The client secret, shown once (``client_secret_basic`` only)."""


class ClientService:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def create(
        self,
        bank_code: str,
        *,
        jwks: Any,
        redirect_uris: list[str],
        name: str | None = None,
        with_secret: bool = False,
        allow_http_loopback: bool = False,
    ) -> Registered:
        bank = await self.session.scalar(select(Bank).where(Bank.short_code == bank_code))
        if bank is None:
            raise NotFound(f"no bank with the code {bank_code}")
        uris = [
            check_redirect_uri(u, allow_http_loopback=allow_http_loopback) for u in redirect_uris
        ]
        secret = secrets.token_urlsafe(32) if with_secret else None
        method = (
            ClientAuthMethod.CLIENT_SECRET_BASIC if secret else ClientAuthMethod.PRIVATE_KEY_JWT
        )
        grants = ["client_credentials"]
        if uris:
            grants += ["authorization_code", "refresh_token"]
        row = OAuthClient(
            client_id=f"{bank.short_code.lower().replace('_', '-')}-{secrets.token_hex(6)}",
            bank_id=bank.id,
            name=name or bank.name,
            auth_method=method.value,
            jwks=check_jwks(jwks) if not with_secret or jwks else {"keys": []},
            secret_hash=hashlib.sha256(secret.encode()).hexdigest() if secret else None,
            redirect_uris=uris,
            grant_types=grants,
            scopes=list(SCOPES),
        )
        self.session.add(row)
        await self.session.flush()
        return Registered(client=to_client(row), secret=secret)

    async def find(self, client_id: str) -> BankClient | None:
        row = await self.session.scalar(
            select(OAuthClient).where(
                OAuthClient.client_id == client_id, OAuthClient.disabled_at.is_(None)
            )
        )
        return to_client(row) if row is not None else None


def client_out(client: BankClient) -> ClientOut:
    return ClientOut(
        client_id=client.client_id,
        bank_id=client.bank_id,
        name=client.name,
        token_endpoint_auth_method=client.auth_method,
        grant_types=list(client.grant_types),
        redirect_uris=list(client.redirect_uris),
        scope=" ".join(client.scopes),
        jwks=client.jwks,
    )


class ClientAdmin:
    """Clients as the portal shows them: admins register, a bank's users see theirs."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def register(
        self, bank_id: UUID, data: ClientCreate, principal: Principal, *, allow_http_loopback: bool
    ) -> ClientOut:
        if principal.role is not Role.ADMIN:
            raise Forbidden("only platform admins register bank clients")
        bank = await self.session.get(Bank, bank_id)
        if bank is None:
            raise NotFound("no such bank")
        registered = await ClientService(self.session).create(
            bank.short_code,
            jwks=data.jwks,
            redirect_uris=data.redirect_uris,
            name=data.name,
            allow_http_loopback=allow_http_loopback,
        )
        return client_out(registered.client)

    async def of_bank(self, bank_id: UUID, principal: Principal) -> list[ClientOut]:
        require_bank_or_admin(principal, bank_id)
        rows = await self.session.scalars(
            select(OAuthClient)
            .where(OAuthClient.bank_id == bank_id)
            .order_by(OAuthClient.created_at.desc())
        )
        out = []
        for row in rows:
            item = client_out(to_client(row))
            item.created_at = row.created_at
            out.append(item)
        return out
