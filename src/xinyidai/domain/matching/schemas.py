"""The matches an SME sees: every active product, whether it qualifies, why not, what would
change it, and what it could borrow at what price."""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated
from uuid import UUID

import msgspec
from msgspec import Meta

from xinyidai.domain.matching.engine import Criterion
from xinyidai.domain.matching.explain import Action
from xinyidai.domain.matching.pricing import LimitBasis, RateBasis
from xinyidai.domain.products.schemas import ProductOut
from xinyidai.enums import Family


class ReasonOut(msgspec.Struct, kw_only=True):
    criterion: Criterion
    zh: str
    en: str
    hint_zh: str | None
    hint_en: str | None
    action: Annotated[Action | None, Meta(description="What the SME can do, if anything")]
    families: Annotated[list[Family], Meta(description="For `authorise`: what to authorise")]


class EstimateOut(msgspec.Struct, kw_only=True):
    offered: Annotated[bool, Meta(description="False: the estimate is under the minimum")]
    limit: Annotated[Decimal | None, Meta(description="Estimated limit in yuan")]
    limit_basis: LimitBasis
    rate_low: Annotated[Decimal, Meta(description="Annual rate range for the SME's grade")]
    rate_high: Decimal
    rate_basis: RateBasis


class MatchOut(msgspec.Struct, kw_only=True):
    product: ProductOut
    eligible: bool
    reasons: Annotated[list[ReasonOut], Meta(description="Each unmet criterion; empty if none")]
    estimate: EstimateOut


class MatchesOut(msgspec.Struct, kw_only=True):
    enterprise_id: UUID
    snapshot_version: Annotated[
        int | None, Meta(description="The profile matched; null while none is built yet")
    ]
    grade: str | None
    eligible: Annotated[int, Meta(description="How many products the SME qualifies for")]
    items: Annotated[list[MatchOut], Meta(description="Ranked: eligible first (README)")]
