"""The SME's own matches: the latest snapshot and score against the active catalogue.

It is the SME's view of its own data, so it writes nothing to the access log and no bank
learns of it. Each process keeps the catalogue compiled for the catalogue's current generation
(``domain/products/catalogue.py``): the generation is read from Redis on every call, so a
product change is seen at once in every process.
"""

from __future__ import annotations

from typing import TYPE_CHECKING
from uuid import UUID

from xinyidai.domain.accounts.guards import Principal, require_own_enterprise
from xinyidai.domain.matching.engine import Catalogue, CatalogueItem
from xinyidai.domain.matching.match import Match, match_snapshot
from xinyidai.domain.matching.schemas import EstimateOut, MatchesOut, MatchOut, ReasonOut
from xinyidai.domain.products import catalogue as products
from xinyidai.domain.products.schemas import ProductOut
from xinyidai.domain.profiles import snapshots
from xinyidai.domain.scoring.services import latest_score

if TYPE_CHECKING:
    from redis.asyncio import Redis
    from sqlalchemy.ext.asyncio import AsyncSession

_compiled: tuple[str, Catalogue] | None = None


async def compiled_catalogue(session: AsyncSession, redis: Redis) -> Catalogue:
    """The active catalogue compiled for matching, recompiled when its generation moves."""
    global _compiled
    generation, items = await products.active_with_generation(session, redis)
    if _compiled is None or _compiled[0] != generation:
        _compiled = (
            generation,
            Catalogue([CatalogueItem(p.id, p.version_id, p) for p in items]),
        )
    return _compiled[1]


def _out(match: Match) -> MatchOut:
    product = match.item.product
    assert isinstance(product, ProductOut)
    e = match.estimate
    return MatchOut(
        product=product,
        eligible=match.eligible,
        reasons=[
            ReasonOut(
                criterion=r.criterion,
                zh=r.zh,
                en=r.en,
                hint_zh=r.hint_zh,
                hint_en=r.hint_en,
                action=r.action,
                families=list(r.families),
            )
            for r in match.reasons
        ],
        estimate=EstimateOut(
            offered=e.offered,
            limit=e.limit,
            limit_basis=e.limit_basis,
            rate_low=e.rate_low,
            rate_high=e.rate_high,
            rate_basis=e.rate_basis,
        ),
    )


class MatchService:
    def __init__(self, session: AsyncSession, redis: Redis) -> None:
        self.session = session
        self.redis = redis

    async def for_enterprise(self, enterprise_id: UUID, principal: Principal) -> MatchesOut:
        """Every active product for the SME, ranked; its own verified users only."""
        require_own_enterprise(principal, enterprise_id)
        snapshot = await snapshots.latest(self.session, enterprise_id)
        if snapshot is None:
            return MatchesOut(
                enterprise_id=enterprise_id, snapshot_version=None, grade=None, eligible=0, items=[]
            )
        scored = await latest_score(self.session, enterprise_id)
        summary = scored[0] if scored is not None else None
        catalogue = await compiled_catalogue(self.session, self.redis)
        items = [_out(m) for m in match_snapshot(snapshot.content, summary, catalogue)]
        return MatchesOut(
            enterprise_id=enterprise_id,
            snapshot_version=snapshot.version,
            grade=summary.grade if summary is not None else None,
            eligible=sum(1 for m in items if m.eligible),
            items=items,
        )
