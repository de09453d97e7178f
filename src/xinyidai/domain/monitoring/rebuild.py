"""The rollups recomputed from the base tables: after a bulk load (the demo history's COPY),
after a migration, or as a repair. It produces exactly what the incremental path
(``rollups.py``) produces: the same figures on the same days (the tests compare both), from
``applications``, ``loans`` and ``loan_events``.

The statements are plain SQL (the migration that created the tables runs them too). The rebuild
holds the rollups exclusively while it runs, so an event committed meanwhile waits and then adds
to the rebuilt figures.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from sqlalchemy import text

from xinyidai.domain.monitoring.dimensions import BITS, COLUMNS, KEY_DIMENSIONS, NIL, PROJECTIONS

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncSession

_CHINA_DAY = "((%s AT TIME ZONE INTERVAL '+08:00')::date)"
_KEYS = ", ".join(COLUMNS[d] for d in KEY_DIMENSIONS)
_GRADE = "coalesce(grade, 'ungraded') AS grade"
_DIMS = " | ".join(
    f"(CASE WHEN GROUPING({COLUMNS[d]}) = 0 THEN {BITS[d]} ELSE 0 END)" for d in KEY_DIMENSIONS
)


def _grouping_sets() -> str:
    sets = []
    for mask in PROJECTIONS:
        kept = [COLUMNS[d] for d in KEY_DIMENSIONS if mask & BITS[d]]
        sets.append("(" + ", ".join(kept) + ")")
    return ", ".join(sets)


def _placeheld() -> str:
    parts = []
    for d in KEY_DIMENSIONS:
        column = COLUMNS[d]
        placeholder = f"CAST('{NIL}' AS uuid)" if column == "bank_id" else "''"
        parts.append(f"coalesce({column}, {placeholder})")
    return ", ".join(parts)


_MEASURES = (
    "applications, decisions, approvals, approved_amount, loans, disbursed_amount, "
    "unsecured_loans, unsecured_amount, first_time_loans, first_time_amount, rate_amount, "
    "overdue_loans, overdue_amount, defaulted_loans, defaulted_amount"
)

_DAILY = f"""
INSERT INTO stat_daily (dims, day, {_KEYS}, {_MEASURES})
WITH base AS (
    SELECT {_KEYS.replace("grade", _GRADE)}, {_CHINA_DAY % "created_at"} AS day,
        1 AS applications, 0 AS decisions, 0 AS approvals, 0 AS approved_amount,
        0 AS loans, 0 AS disbursed_amount, 0 AS unsecured_loans, 0 AS unsecured_amount,
        0 AS first_time_loans, 0 AS first_time_amount, 0 AS rate_amount,
        0 AS overdue_loans, 0 AS overdue_amount, 0 AS defaulted_loans, 0 AS defaulted_amount
    FROM applications
    UNION ALL
    SELECT {_KEYS.replace("grade", _GRADE)}, {_CHINA_DAY % "decided_at"},
        0, 1, (approved_amount IS NOT NULL)::int, coalesce(approved_amount, 0),
        0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0
    FROM applications WHERE decided_at IS NOT NULL
    UNION ALL
    SELECT {_KEYS.replace("grade", _GRADE)}, disbursed_on,
        0, 0, 0, 0,
        1, disbursed_amount,
        unsecured::int, CASE WHEN unsecured THEN disbursed_amount ELSE 0 END,
        first_time::int, CASE WHEN first_time THEN disbursed_amount ELSE 0 END,
        annual_rate * disbursed_amount,
        overdue::int, CASE WHEN overdue THEN disbursed_amount ELSE 0 END,
        (defaulted_on IS NOT NULL)::int, coalesce(loss_amount, 0)
    FROM (
        SELECT l.*, EXISTS (
            SELECT 1 FROM loan_events e WHERE e.loan_id = l.id AND e.kind = 'overdue'
        ) AS overdue
        FROM loans l WHERE l.disbursed_on IS NOT NULL
    ) AS paid
)
SELECT {_DIMS}, day, {_placeheld()},
    sum(applications), sum(decisions), sum(approvals), sum(approved_amount),
    sum(loans), sum(disbursed_amount), sum(unsecured_loans), sum(unsecured_amount),
    sum(first_time_loans), sum(first_time_amount), sum(rate_amount),
    sum(overdue_loans), sum(overdue_amount), sum(defaulted_loans), sum(defaulted_amount)
FROM base
GROUP BY day, GROUPING SETS ({_grouping_sets()})
"""  # noqa: S608 - constants

_RESPONSE = f"""
INSERT INTO stat_response (dims, day, {_KEYS}, bucket, decisions)
WITH base AS (
    SELECT {_KEYS.replace("grade", _GRADE)}, {_CHINA_DAY % "decided_at"} AS day,
        (response_working_days * 100)::int AS bucket
    FROM applications WHERE decided_at IS NOT NULL
)
SELECT {_DIMS}, day, {_placeheld()}, bucket, count(*)
FROM base
GROUP BY day, bucket, GROUPING SETS ({_grouping_sets()})
"""  # noqa: S608 - constants

REBUILD_STATEMENTS: tuple[str, ...] = (
    "TRUNCATE stat_daily, stat_response",
    _DAILY,
    _RESPONSE,
)
"""What the rebuild runs, in order (the migration that made the tables runs them too)."""


@dataclass(frozen=True, slots=True)
class Rebuilt:
    daily_rows: int
    response_rows: int


async def rebuild(session: AsyncSession) -> Rebuilt:
    """Recompute every rollup from the base tables, in the caller's transaction (not
    committed)."""
    await session.execute(text("LOCK TABLE stat_daily, stat_response IN EXCLUSIVE MODE"))
    for statement in REBUILD_STATEMENTS:
        await session.execute(text(statement))
    daily = await session.scalar(text("SELECT count(*) FROM stat_daily"))
    response = await session.scalar(text("SELECT count(*) FROM stat_response"))
    return Rebuilt(daily_rows=int(daily or 0), response_rows=int(response or 0))
