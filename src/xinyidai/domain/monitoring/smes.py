"""The SMEs' side of the statistics: registrations, data coverage and financing needs, counted
from their base tables at the time of the request (they are small beside the loans: one row per
SME or need, read through indexes), grouped by the enterprise's industry section and district
as they are now, and by month (China time).

* Registered: an SME whose legal representative verified it (``verified_at``); the day of
  verification is the day it registered.
* Coverage: registered SMEs at the end of the period, and those of them holding a live
  authorization (granted by then, not revoked or expired then) of each data family.
* Needs: published on the day they were written; claimed when any bank claimed them.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from typing import TYPE_CHECKING, Any

from sqlalchemy import text

from xinyidai.dates import CHINA_TZ
from xinyidai.domain.monitoring.dimensions import Dimension
from xinyidai.domain.monitoring.metrics import FAMILY_NAMES, Metric, Sums

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncSession

D = Dimension
GroupKey = tuple[str, ...]
_DAY = "((%s AT TIME ZONE INTERVAL '+08:00')::date)"


def instant(day: dt.date) -> dt.datetime:
    """The start of ``day`` in China time."""
    return dt.datetime.combine(day, dt.time(), CHINA_TZ)


def _columns(group: list[Dimension], moment: str) -> list[str]:
    exprs = {
        D.INDUSTRY: "e.industry_section",
        D.DISTRICT: "e.district_code",
        D.MONTH: f"to_char({_DAY % moment}, 'YYYY-MM')",
    }
    return [f"{exprs[d]} AS dim_{i}" for i, d in enumerate(group)]


def _filters(filters: dict[Dimension, Any]) -> tuple[str, dict[str, Any]]:
    clauses, params = [], {}
    if D.INDUSTRY in filters:
        clauses.append("e.industry_section = :industry")
        params["industry"] = filters[D.INDUSTRY]
    if D.DISTRICT in filters:
        clauses.append("e.district_code = :district")
        params["district"] = filters[D.DISTRICT]
    return "".join(f" AND {c}" for c in clauses), params


async def _grouped(
    session: AsyncSession,
    group: list[Dimension],
    select_from: str,
    measures: str,
    params: dict[str, Any],
    moment: str,
) -> dict[GroupKey, dict[str, int]]:
    keys = _columns(group, moment)
    by = f" GROUP BY {', '.join(f'dim_{i}' for i in range(len(group)))}" if group else ""
    statement = f"SELECT {', '.join([*keys, measures])} {select_from}{by}"
    result: dict[GroupKey, dict[str, int]] = {}
    for row in await session.execute(text(statement), params):
        mapping = row._mapping
        key = tuple(str(mapping[f"dim_{i}"]) for i in range(len(group)))
        figures = {k: int(v or 0) for k, v in mapping.items() if not k.startswith("dim_")}
        if group or any(figures.values()):
            result[key] = figures
    return result


def _total(groups: dict[GroupKey, Any], names: list[str]) -> Sums:
    return {n: sum(g[n] for g in groups.values()) for n in names}


async def figures(
    session: AsyncSession,
    metric: Metric,
    group: list[Dimension],
    filters: dict[Dimension, Any],
    start: dt.date,
    end: dt.date,
) -> tuple[dict[GroupKey, Sums], Sums]:
    """The groups' figures and the total, for an SME-side metric."""
    where, params = _filters(filters)
    params |= {"start": instant(start), "end": instant(end + dt.timedelta(days=1))}
    if metric is Metric.REGISTERED_SMES:
        return await _registered(session, group, where, params)
    if metric is Metric.COVERAGE:
        counts = ", ".join(
            f"count(*) FILTER (WHERE '{family}' = ANY(f.families)) AS {family}"
            for family in FAMILY_NAMES
        )
        groups = await _grouped(
            session,
            group,
            "FROM enterprises e LEFT JOIN LATERAL ("  # noqa: S608 - constants
            "SELECT array_agg(x) AS families FROM data_authorizations a, unnest(a.families) x "
            "WHERE a.enterprise_id = e.id AND a.created_at < :end "
            "AND (a.revoked_at IS NULL OR a.revoked_at > :end) AND a.expires_at > :end"
            ") f ON true "
            f"WHERE e.verified_at IS NOT NULL AND e.verified_at < :end{where}",
            f"count(*) AS registered_total, {counts}",
            params,
            "e.verified_at",
        )
        names = ["registered_total", *(str(f) for f in FAMILY_NAMES)]
        return dict(groups), _total(groups, names)  # type: ignore[arg-type]
    groups = await _grouped(
        session,
        group,
        "FROM needs n JOIN enterprises e ON e.id = n.enterprise_id "
        f"WHERE n.created_at >= :start AND n.created_at < :end{where}",
        "count(*) AS needs_published, count(*) FILTER (WHERE EXISTS ("
        "SELECT 1 FROM need_claims c WHERE c.need_id = n.id)) AS needs_claimed",
        params,
        "n.created_at",
    )
    return dict(groups), _total(groups, ["needs_published", "needs_claimed"])  # type: ignore[arg-type]


async def _registered(
    session: AsyncSession, group: list[Dimension], where: str, params: dict[str, Any]
) -> tuple[dict[GroupKey, Sums], Sums]:
    """New registrations in the period, and the total registered at its end (at the end of
    each month, when grouped by month)."""
    new = await _grouped(
        session,
        group,
        "FROM enterprises e WHERE e.verified_at >= :start AND e.verified_at < :end" + where,
        "count(*) AS registered_smes",
        params,
        "e.verified_at",
    )
    lasting: list[Dimension] = [d for d in group if d is not D.MONTH]
    before = await _grouped(
        session,
        lasting,
        "FROM enterprises e WHERE e.verified_at < :start" + where,
        "count(*) AS registered_smes",
        params,
        "e.verified_at",
    )
    positions = [i for i, d in enumerate(group) if d is not D.MONTH]
    at_month = group.index(D.MONTH) if D.MONTH in group else None
    running: dict[GroupKey, int] = defaultdict(int)
    groups: dict[GroupKey, Sums] = {}
    order = sorted(new, key=lambda k: (k[at_month] if at_month is not None else "", k))
    for key in order:
        lasting_key = tuple(key[i] for i in positions)
        running[lasting_key] += new[key]["registered_smes"]
        opening = before.get(lasting_key, {}).get("registered_smes", 0)
        groups[key] = {
            "registered_smes": new[key]["registered_smes"],
            "registered_total": opening + running[lasting_key],
        }
    if at_month is None:  # groups with no registration in the period still have a total
        for key, figures in before.items():
            groups.setdefault(
                key, {"registered_smes": 0, "registered_total": figures["registered_smes"]}
            )
    registered = sum(g["registered_smes"] for g in new.values())
    opening_total = sum(g["registered_smes"] for g in before.values())
    return groups, {"registered_smes": registered, "registered_total": opening_total + registered}
