""" "You now qualify": after a scoring batch, a snapshot rebuild or a product change, the job
``find_new_qualifiers`` checks every SME's latest snapshot and score against every product on
offer with the one eligibility engine (``domain/matching``), in blocks, and compares with the
pairs that qualified at the last check (``qualifications``):

* qualifies now, no row: a ``qualified`` notification (at most one per SME and product
  version: a unique constraint) and a row;
* qualifies now, a row: the row follows the product's current version, nothing is sent (the SME
  already qualified, even if the bank edited the product since);
* no longer qualifies: the row goes, so qualifying again later is news again.

A product's first check notifies every SME it suits (a new product for them); an SME's first
check notifies each product it meets. Paused and retired products take part in no check.
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Any
from uuid import UUID

import numpy as np
import structlog
from sqlalchemy import delete, select, tuple_
from sqlalchemy.dialects.postgresql import distinct_on, insert

from xinyidai.dates import utc_now
from xinyidai.domain.matching.engine import Catalogue, CatalogueItem, evaluate_blocks
from xinyidai.domain.matching.facts import Facts, FactTable, SnapshotFormatError, facts_of
from xinyidai.domain.products.catalogue import load_active
from xinyidai.domain.products.schemas import ProductOut
from xinyidai.infra.db import enqueue_after_commit
from xinyidai.models import (
    CreditScore,
    Notification,
    NotificationKind,
    ProfileSnapshot,
    Qualification,
)

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncSession

log = structlog.get_logger(__name__)

JOB = "find_new_qualifiers"
BLOCK = 5_000  # SMEs per evaluation block


def queue_check(session: AsyncSession) -> None:
    """Check for new qualifiers once this transaction commits (one queued run at a time)."""
    enqueue_after_commit(session, JOB, key=JOB, timeout=1800)


class _Score:
    __slots__ = ("grade", "pd")

    def __init__(self, grade: str, pd: Any) -> None:
        self.grade = grade
        self.pd = float(pd)


async def _population(session: AsyncSession) -> tuple[list[UUID], list[Facts]]:
    """Every SME's latest snapshot and latest score, as facts."""
    latest = (
        select(ProfileSnapshot.enterprise_id, ProfileSnapshot.content)
        .ext(distinct_on(ProfileSnapshot.enterprise_id))
        .order_by(ProfileSnapshot.enterprise_id, ProfileSnapshot.version.desc())
    )
    scores = {
        row.enterprise_id: _Score(row.grade, row.pd)
        for row in await session.execute(
            select(CreditScore.enterprise_id, CreditScore.grade, CreditScore.pd)
            .ext(distinct_on(CreditScore.enterprise_id))
            .order_by(CreditScore.enterprise_id, CreditScore.created_at.desc())
        )
    }
    ids: list[UUID] = []
    facts: list[Facts] = []
    for enterprise_id, content in await session.execute(latest):
        try:
            facts.append(facts_of(content, scores.get(enterprise_id)))
        except SnapshotFormatError:
            continue
        ids.append(enterprise_id)
    return ids, facts


def _notice(product: ProductOut) -> dict[str, str]:
    return {
        "title_zh": f"您现在符合“{product.name_zh}”的申请条件",
        "title_en": f"You now qualify for {product.name_en}",
        "body_zh": f"{product.bank_name}的“{product.name_zh}”：平台按您最新的信用档案核对，"
        "各项准入条件均已满足。可在“产品匹配”中查看预估额度和利率。",
        "body_en": f"{product.bank_name}, {product.name_en}: your latest credit profile meets "
        "every condition. See the estimated limit and rate under Product matches.",
    }


async def find_new_qualifiers(session: AsyncSession, *, now: dt.datetime | None = None) -> int:
    """One check of every SME against every product on offer; returns how many were told."""
    now = now or utc_now()
    products = await load_active(session)
    ids, facts = await _population(session)
    if not products or not ids:
        return 0
    catalogue = Catalogue([CatalogueItem(p.id, p.version_id, p) for p in products])
    product_ids = [p.id for p in products]
    told = 0
    table = FactTable.from_facts(facts)
    for start, results in evaluate_blocks(table, catalogue, rows=BLOCK):
        block = ids[start : start + len(results.eligible)]
        held = {
            (row.enterprise_id, row.product_id)
            for row in await session.execute(
                select(Qualification.enterprise_id, Qualification.product_id).where(
                    Qualification.enterprise_id.in_(block)
                )
            )
        }
        rows, gone, notices = [], [], []
        for i, j in zip(*np.nonzero(results.eligible), strict=True):
            enterprise_id, product = block[int(i)], products[int(j)]
            rows.append(
                {
                    "enterprise_id": enterprise_id,
                    "product_id": product.id,
                    "product_version_id": product.version_id,
                    "since": now,
                }
            )
            if (enterprise_id, product.id) not in held:
                notices.append(
                    {
                        "enterprise_id": enterprise_id,
                        "kind": NotificationKind.QUALIFIED.value,
                        "product_id": product.id,
                        "product_version_id": product.version_id,
                        **_notice(product),
                    }
                )
        for i, j in zip(*np.nonzero(~results.eligible), strict=True):
            pair = (block[int(i)], product_ids[int(j)])
            if pair in held:
                gone.append(pair)
        told += await _apply(session, rows, gone, notices)
    # Pairs of products no longer on offer are left as they are: a product put back on offer
    # does not tell again those who qualified before it was paused.
    log.info("qualifiers_checked", smes=len(ids), products=len(products), told=told)
    return told


async def _apply(
    session: AsyncSession,
    rows: list[dict[str, Any]],
    gone: list[tuple[UUID, UUID]],
    notices: list[dict[str, Any]],
) -> int:
    if gone:
        await session.execute(
            delete(Qualification).where(
                tuple_(Qualification.enterprise_id, Qualification.product_id).in_(gone)
            )
        )
    for chunk in range(0, len(rows), 5_000):
        statement = insert(Qualification).values(rows[chunk : chunk + 5_000])
        await session.execute(
            statement.on_conflict_do_update(
                index_elements=["enterprise_id", "product_id"],
                set_={"product_version_id": statement.excluded.product_version_id},
            )
        )
    told = 0
    for chunk in range(0, len(notices), 2_000):
        now = utc_now()
        values = [
            {**n, "created_at": now, "updated_at": now} for n in notices[chunk : chunk + 2_000]
        ]
        result = await session.execute(
            insert(Notification)
            .values(values)
            .on_conflict_do_nothing(constraint="uq_notifications_once")
            .returning(Notification.id)
        )
        told += len(result.all())
    return told
