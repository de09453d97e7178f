"""The portal's side of the code flow: the consent screen's request and answer."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any
from uuid import UUID

import msgspec
from msgspec import Meta

from xinyidai.domain.consents.schemas import SharedData
from xinyidai.models.consents import ConsentPurpose


class ConsentRequestOut(msgspec.Struct, kw_only=True):
    bank_name: str
    client_name: str
    families: list[SharedData]
    purpose: ConsentPurpose
    reference: str | None
    consent_days: int
    redirect_host: str
    """Where the browser goes back to (the bank's site), shown to the SME."""
    scope: list[str]
    unavailable: list[SharedData]
    """Asked for, but the platform holds no live authorization for it: the SME must authorise
    the platform first (agreeing is refused until then)."""


class ConsentDecision(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    approve: bool


class ConsentAnswer(msgspec.Struct, kw_only=True):
    redirect_to: str
    """The bank's redirect URI with a code (approved) or error=access_denied, state and iss."""
    consent_id: str | None


class ClientCreate(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    jwks: Annotated[
        dict[str, Any], Meta(description="The client's public keys (JWK Set) for private_key_jwt")
    ]
    redirect_uris: Annotated[list[str], Meta(max_length=10)] = []
    name: Annotated[str, Meta(min_length=2, max_length=200)] | None = None


class ClientOut(msgspec.Struct, kw_only=True):
    client_id: str
    bank_id: UUID
    name: str
    token_endpoint_auth_method: str
    grant_types: list[str]
    redirect_uris: list[str]
    scope: str
    jwks: dict[str, Any]
    created_at: dt.datetime | None = None
