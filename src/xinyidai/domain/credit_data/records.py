"""Public records' lifecycle: the daily job that expires records past their publication period
and purges negative records past retention. What the SME and the office see of records, and
disputes and repair, is ``services.RecordService``."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING

import structlog
from sqlalchemy import delete, update

from xinyidai.dates import china_today, utc_now
from xinyidai.domain.profiles import snapshots
from xinyidai.enums import NEGATIVE_TYPES, VISIBLE_STATUSES, RecordStatus
from xinyidai.models import PublicRecord

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncSession

log = structlog.get_logger(__name__)
RETENTION_YEARS = 5  # negative records are kept no longer than this after the conduct


async def expire_and_purge(session: AsyncSession, today: dt.date | None = None) -> dict[str, int]:
    """The daily job: expire records past their publication period, purge negative records
    more than five years past their decision, and rebuild the profiles they touched."""
    today = today or china_today()
    expired = (
        (
            await session.execute(
                update(PublicRecord)
                .where(
                    PublicRecord.status.in_([s.value for s in VISIBLE_STATUSES]),
                    PublicRecord.publish_until < today,
                )
                .values(
                    status=RecordStatus.EXPIRED,
                    status_changed_at=utc_now(),
                    status_note="publication period ended",
                )
                .returning(PublicRecord.uscc)
            )
        )
        .scalars()
        .all()
    )
    cutoff = (
        today.replace(year=today.year - RETENTION_YEARS)
        if not (today.month == 2 and today.day == 29)
        else dt.date(today.year - RETENTION_YEARS, 2, 28)
    )
    purged = (
        (
            await session.execute(
                delete(PublicRecord)
                .where(
                    PublicRecord.record_type.in_([t.value for t in NEGATIVE_TYPES]),
                    PublicRecord.decision_date < cutoff,
                )
                .returning(PublicRecord.uscc)
            )
        )
        .scalars()
        .all()
    )
    rebuilt = await snapshots.rebuild_for_usccs(session, [*expired, *purged], "records_expired")
    log.info("records_expired", expired=len(expired), purged=len(purged), rebuilt=rebuilt)
    return {"expired": len(expired), "purged": len(purged), "rebuilt": rebuilt}
