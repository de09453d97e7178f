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
_NAMES = (
    "applications",
    "decisions",
    "approvals",
    "approved_amount",
    "loans",
    "disbursed_amount",
    "unsecured_loans",
    "unsecured_amount",
    "first_time_loans",
    "first_time_amount",
    "rate_amount",
    "overdue_loans",
    "overdue_amount",
    "defaulted_loans",
    "defaulted_amount",
)
_MEASURES = ", ".join(_NAMES)
_SUMS = ", ".join(f"sum({m}) AS {m}" for m in _NAMES)

# 1. The figures of each full key and day, from the base tables (one pass each).
_FULL = f"""
CREATE TEMPORARY TABLE stat_rebuild_daily ON COMMIT DROP AS
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
        SELECT l.*, l.id IN (SELECT loan_id FROM loan_events WHERE kind = 'overdue') AS overdue
        FROM loans l WHERE l.disbursed_on IS NOT NULL
    ) AS paid
)
SELECT {_KEYS}, day, {_SUMS} FROM base GROUP BY {_KEYS}, day
"""  # noqa: S608 - constants

_FULL_RESPONSE = f"""
CREATE TEMPORARY TABLE stat_rebuild_response ON COMMIT DROP AS
SELECT {_KEYS.replace("grade", _GRADE)}, {_CHINA_DAY % "decided_at"} AS day,
    (response_working_days * 100)::int AS bucket, count(*) AS decisions
FROM applications WHERE decided_at IS NOT NULL
GROUP BY {_KEYS.replace(", grade", "")}, 5, day, bucket
"""  # noqa: S608 - constants


def _kept(mask: int) -> tuple[str, str]:
    """The key columns of projection ``mask`` (placeholders for the others), and those kept."""
    values, kept = [], []
    for d in KEY_DIMENSIONS:
        column = COLUMNS[d]
        if mask & BITS[d]:
            values.append(column)
            kept.append(column)
        else:
            values.append(f"CAST('{NIL}' AS uuid)" if column == "bank_id" else "''")
    return ", ".join(values), "".join(f", {c}" for c in kept)


def _projection(mask: int) -> str:
    """2. One projection's rows, from the full rows."""
    values, kept = _kept(mask)
    return (
        f"INSERT INTO stat_daily (dims, day, {_KEYS}, {_MEASURES}) "  # noqa: S608 - constants
        f"SELECT {mask}, day, {values}, {_SUMS} FROM stat_rebuild_daily GROUP BY day{kept}"
    )


def _response_projection(mask: int) -> str:
    values, kept = _kept(mask)
    return (
        f"INSERT INTO stat_response (dims, day, {_KEYS}, bucket, decisions) "  # noqa: S608
        f"SELECT {mask}, day, {values}, bucket, sum(decisions) FROM stat_rebuild_response "
        f"GROUP BY day, bucket{kept}"
    )


REBUILD_STATEMENTS: tuple[str, ...] = (
    "TRUNCATE stat_daily, stat_response",
    "DROP TABLE IF EXISTS stat_rebuild_daily, stat_rebuild_response",
    _FULL,
    _FULL_RESPONSE,
    *(_projection(mask) for mask in PROJECTIONS),
    *(_response_projection(mask) for mask in PROJECTIONS),
    "DROP TABLE stat_rebuild_daily, stat_rebuild_response",
)
"""What the rebuild runs, in order (the migration that made the tables runs them too): the full
rows of each key and day from the base tables into a temporary table, then every projection
from those (a small grouping each)."""


@dataclass(frozen=True, slots=True)
class Rebuilt:
    daily_rows: int
    response_rows: int


async def rebuild(session: AsyncSession) -> Rebuilt:
    """Recompute every rollup from the base tables, in the caller's transaction (not
    committed)."""
    await session.execute(text("LOCK TABLE stat_daily, stat_response IN EXCLUSIVE MODE"))
    await session.execute(text("SET LOCAL work_mem = '256MB'"))  # grouping sets hash in memory
    for statement in REBUILD_STATEMENTS:
        await session.execute(text(statement))
    daily = await session.scalar(text("SELECT count(*) FROM stat_daily"))
    response = await session.scalar(text("SELECT count(*) FROM stat_response"))
    return Rebuilt(daily_rows=int(daily or 0), response_rows=int(response or 0))
