"""Signed authorization receipts: what the platform shows a data provider with every call.

A receipt is a compact JWS (ES256, ``kid``, ``typ: xyd-receipt+jwt``) signed with the platform's
key (``infra/signing.py``, public set at ``/.well-known/jwks.json``). It states, for one
authorization of one enterprise:

``iss``
    the platform (``PUBLIC_URL``); ``aud`` the provider it is for (``PROVIDER_AUDIENCE``);
``jti``, ``iat``, ``exp``
    a random id; issued at; expires at ``min(authorization expiry, iat + 15 min)``;
``uscc``, ``legal_rep``
    the enterprise whose data it is and its legal representative who stands behind the grant;
``families``, ``purpose``
    what the authorization covers and what for;
``authorization``
    ``{id, reference, granted_at, expires_at}`` of the authorization.

A provider that checks the signature, the audience, the expiry, the USCC and the family before
it releases a series, and keeps the receipt, can later prove that the platform asserted the
enterprise's consent for every record it released. The receipt replaces the bare authorization
reference the connector used to send (the reference is inside it).

:func:`data_subject` is the one place that decides whether an enterprise's data may be fetched
at all, and who is named as its legal representative.
"""

from __future__ import annotations

import datetime as dt
import secrets
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from xinyidai.dates import utc_now

if TYPE_CHECKING:
    from xinyidai.infra.signing import Signer
    from xinyidai.models import DataAuthorization, Enterprise

RECEIPT_TYPE = "xyd-receipt+jwt"
RECEIPT_LIFETIME = dt.timedelta(minutes=15)
RENEW_BEFORE = dt.timedelta(seconds=60)  # a held receipt this close to expiry is issued anew


class FetchRefused(Exception):
    """The enterprise's data may not be fetched (the reason is safe to record on a sync run)."""


@dataclass(frozen=True, slots=True)
class DataSubject:
    """Whose data a receipt is about, and who stands behind the enterprise's authorizations."""

    uscc: str
    legal_rep: str


def data_subject(enterprise: Enterprise) -> DataSubject:
    """The enterprise as receipts name it, if its data may be fetched from providers at all.

    The one gate for provider calls: the sync asks it before issuing any receipt. Raises
    :class:`FetchRefused` when the enterprise may not have its data fetched.
    """
    if enterprise.verified_at is None:
        raise FetchRefused(
            "the enterprise is not verified: no one has proved to be its legal representative, "
            "so no authorization of its data can hold"
        )
    # Verification set the legal representative to the one the licence names.
    return DataSubject(uscc=enterprise.uscc, legal_rep=enterprise.legal_rep_name)


def _instant(value: dt.datetime) -> dt.datetime:
    if value.tzinfo is None:
        raise ValueError("receipt times must be timezone-aware")
    return value.astimezone(dt.UTC)


def _iso(value: dt.datetime) -> str:
    return _instant(value).isoformat().replace("+00:00", "Z")


def receipt_claims(
    *,
    issuer: str,
    subject: DataSubject,
    authorization: DataAuthorization,
    audience: str,
    now: dt.datetime,
) -> dict[str, Any]:
    """The claims of a receipt issued at ``now``; ``ValueError`` if the authorization has
    ended by then (a receipt never outlives what it proves)."""
    now = _instant(now)
    if authorization.revoked_at is not None and _instant(authorization.revoked_at) <= now:
        raise ValueError("the authorization is revoked")
    issued = int(now.timestamp())
    expires = min(
        int(_instant(authorization.expires_at).timestamp()),
        issued + int(RECEIPT_LIFETIME.total_seconds()),
    )
    if expires <= issued:
        raise ValueError("the authorization has expired")
    if not audience:
        raise ValueError("a receipt needs an audience")
    return {
        "iss": issuer,
        "aud": audience,
        "jti": secrets.token_urlsafe(16),
        "iat": issued,
        "exp": expires,
        "uscc": subject.uscc,
        "legal_rep": subject.legal_rep,
        "families": sorted(authorization.families),
        "purpose": authorization.purpose,
        "authorization": {
            "id": str(authorization.id),
            "reference": authorization.reference,
            "granted_at": _iso(authorization.created_at),
            "expires_at": _iso(authorization.expires_at),
        },
    }


def issue_receipt(
    signer: Signer,
    *,
    uscc: str,
    legal_rep: str,
    authorization: DataAuthorization,
    audience: str,
    now: dt.datetime,
) -> str:
    """A signed receipt for calls under ``authorization`` to the provider ``audience``."""
    claims = receipt_claims(
        issuer=signer.issuer,
        subject=DataSubject(uscc=uscc, legal_rep=legal_rep),
        authorization=authorization,
        audience=audience,
        now=now,
    )
    return signer.sign(claims, typ=RECEIPT_TYPE)


@dataclass
class ReceiptBook:
    """The receipts of one sync run: one per authorization, issued when first needed and issued
    again when the one held is about to expire (a run slowed by retries outlasts 15 minutes)."""

    signer: Signer
    subject: DataSubject
    audience: str
    _held: dict[Any, tuple[str, dt.datetime]] = field(default_factory=dict)

    def receipt(self, authorization: DataAuthorization, now: dt.datetime | None = None) -> str:
        """The receipt for ``authorization``; ``ValueError`` if it has ended.

        ``now`` is the wall clock (a receipt's times are checked against the provider's)."""
        now = _instant(now or utc_now())
        held = self._held.get(authorization.id)
        if held is not None and held[1] - now > RENEW_BEFORE:
            return held[0]
        token = issue_receipt(
            self.signer,
            uscc=self.subject.uscc,
            legal_rep=self.subject.legal_rep,
            authorization=authorization,
            audience=self.audience,
            now=now,
        )
        expires = min(_instant(authorization.expires_at), now + RECEIPT_LIFETIME)
        self._held[authorization.id] = (token, expires)
        return token
