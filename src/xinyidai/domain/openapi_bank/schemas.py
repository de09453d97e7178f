"""The bank API's contracts."""

from __future__ import annotations

import datetime as dt
from typing import Any
from uuid import UUID

import msgspec

from xinyidai.domain.consents.schemas import BankConsentOut, SharedData
from xinyidai.domain.scoring.schemas import ScoreReason


class BankScore(msgspec.Struct, kw_only=True):
    score: int
    grade: str
    pd_band: str
    """The probability of default as a band (e.g. ``1%-2%``), not the model's raw figure."""
    model_version: str
    scored_at: dt.datetime
    reasons: list[ScoreReason]


class BankProfile(msgspec.Struct, kw_only=True):
    """The SME's latest profile snapshot cut down to what the bank's live consents cover."""

    uscc: str
    snapshot_version: int
    as_of: dt.date
    consent_ids: list[UUID]
    shared: list[SharedData]
    enterprise: dict[str, Any]
    public_records: dict[str, Any]
    families: dict[str, Any]
    """Each consented family as in the snapshot; any other is ``{"consented": false}``."""
    score: BankScore | None


class HeldConsents(msgspec.Struct, kw_only=True):
    items: list[BankConsentOut]
