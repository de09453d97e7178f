"""The portal's side of the code flow: the consent screen's request and answer."""

from __future__ import annotations

import msgspec

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


class ConsentDecision(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    approve: bool


class ConsentAnswer(msgspec.Struct, kw_only=True):
    redirect_to: str
    """The bank's redirect URI with a code (approved) or error=access_denied, state and iss."""
    consent_id: str | None
