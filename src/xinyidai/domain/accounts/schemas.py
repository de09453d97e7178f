"""API contracts of accounts and sessions."""

from __future__ import annotations

from typing import Annotated
from uuid import UUID

import msgspec
from msgspec import Meta

from xinyidai.domain.enterprises.schemas import EnterpriseCreate
from xinyidai.models.accounts import Role
from xinyidai.models.enterprises import ClaimStatus

Email = Annotated[str, Meta(min_length=3, max_length=254, examples=["owner@example.com"])]
Password = Annotated[str, Meta(min_length=1, max_length=128)]
NewPassword = Annotated[
    str,
    Meta(
        min_length=10,
        max_length=128,
        description=(
            "10 to 128 characters, hard to guess (zxcvbn score 3 or more; not a common, "
            "breached or published password, nor made of the e-mail or name)"
        ),
    ),
]


class RegisterRequest(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    email: Email
    password: NewPassword
    display_name: Annotated[str, Meta(min_length=1, max_length=100)]
    enterprise: EnterpriseCreate


class LoginRequest(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    email: Email
    password: Password


class Organisation(msgspec.Struct, frozen=True, kw_only=True):
    kind: Annotated[
        str,
        Meta(
            description="enterprise (verified), claim (an SME account not yet verified), bank "
            "or platform"
        ),
    ]
    id: UUID | None = None
    name: str
    verified: Annotated[
        bool | None, Meta(description="SME accounts: whether the enterprise is verified")
    ] = None
    claim_status: ClaimStatus | None = None


class Me(msgspec.Struct, kw_only=True):
    id: UUID
    email: str
    display_name: str
    role: Role
    organisation: Organisation


class LoginResponse(msgspec.Struct, kw_only=True):
    user: Me
    csrf_token: Annotated[str, Meta(description="Send back in X-CSRF-Token on unsafe requests")]
    expires_in: int
