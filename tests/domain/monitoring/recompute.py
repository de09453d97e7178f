"""Every statistic recomputed from the base tables in plain Python, independently of the
rollups: the figures each metric's columns should hold, per group and in total."""

from __future__ import annotations

import datetime as dt
import math
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

CHINA = dt.timezone(dt.timedelta(hours=8))
FAMILIES = ("tax", "electricity", "water", "gas", "social_insurance", "housing_fund")
LOAN_METRICS = (
    "applications",
    "approvals",
    "approval_rate",
    "loans",
    "disbursed_amount",
    "credit_loan_share",
    "first_time_borrowers",
    "average_rate",
    "response_time",
    "overdue_rate",
    "default_rate",
)
SME_METRICS = ("registered_smes", "coverage", "needs_published", "needs_claimed_share")


@dataclass
class Base:
    """The base tables' rows that statistics count."""

    applications: list[dict[str, Any]] = field(default_factory=list)
    loans: list[dict[str, Any]] = field(default_factory=list)
    enterprises: list[dict[str, Any]] = field(default_factory=list)
    authorizations: list[dict[str, Any]] = field(default_factory=list)
    needs: list[dict[str, Any]] = field(default_factory=list)


async def load(session: AsyncSession) -> Base:
    async def rows(sql: str) -> list[dict[str, Any]]:
        return [dict(r._mapping) for r in await session.execute(text(sql))]

    dims = "bank_id, product_type, industry_section, district_code, grade"
    return Base(
        applications=await rows(
            f"SELECT {dims}, created_at, decided_at, approved_amount, response_working_days "  # noqa: S608
            "FROM applications"
        ),
        loans=await rows(
            f"SELECT {dims}, disbursed_on, disbursed_amount, unsecured, first_time, annual_rate, "  # noqa: S608
            "loss_amount, defaulted_on, recovered_amount, "
            "(SELECT count(*) FROM loan_events e WHERE e.loan_id = l.id AND e.kind = 'overdue') "
            "AS overdue_reports FROM loans l"
        ),
        enterprises=await rows(
            "SELECT id, industry_section, district_code, verified_at FROM enterprises"
        ),
        authorizations=await rows(
            "SELECT enterprise_id, families, created_at, expires_at, revoked_at "
            "FROM data_authorizations"
        ),
        needs=await rows(
            "SELECT e.industry_section, e.district_code, n.created_at, "
            "(SELECT count(*) FROM need_claims c WHERE c.need_id = n.id) AS claims "
            "FROM needs n JOIN enterprises e ON e.id = n.enterprise_id"
        ),
    )


def china_day(moment: dt.datetime) -> dt.date:
    return moment.astimezone(CHINA).date()


def _ratio(a: Any, b: Any) -> str | None:
    if not b:
        return None
    return str((Decimal(a) / Decimal(b)).quantize(Decimal("0.000001"), rounding=ROUND_HALF_UP))


def _yuan(a: Any) -> str:
    return str(Decimal(a).quantize(Decimal("0.01")))


def _nearest_rank(values: list[Decimal], percent: int) -> str | None:
    if not values:
        return None
    ordered = sorted(values)
    return str(ordered[math.ceil(percent * len(ordered) / 100) - 1])


def _key(row: dict[str, Any], day: dt.date, group: list[str]) -> tuple[str, ...]:
    names: dict[str, Callable[[], str]] = {
        "bank": lambda: str(row["bank_id"]),
        "product_type": lambda: row["product_type"],
        "industry": lambda: row["industry_section"],
        "district": lambda: row["district_code"],
        "grade": lambda: row.get("grade") or "ungraded",
        "month": lambda: f"{day:%Y-%m}",
    }
    return tuple(names[g]() for g in group)


def _keep(row: dict[str, Any], filters: dict[str, str]) -> bool:
    values = {
        "bank": str(row.get("bank_id")),
        "product_type": row.get("product_type"),
        "industry": row.get("industry_section"),
        "district": row.get("district_code"),
        "grade": row.get("grade") or "ungraded",
    }
    return all(values[k] == v for k, v in filters.items())


def _loan_facts(base: Base, metric: str) -> list[tuple[dict[str, Any], dt.date, Any]]:
    """(row, the day it counts on, what it adds) for a loan-side metric."""
    if metric == "applications":
        return [(a, china_day(a["created_at"]), 1) for a in base.applications]
    if metric in {"approvals", "approval_rate", "response_time"}:
        return [
            (a, china_day(a["decided_at"]), a)
            for a in base.applications
            if a["decided_at"] is not None
        ]
    return [(loan, loan["disbursed_on"], loan) for loan in base.loans if loan["disbursed_on"]]


def _loan_values(metric: str, facts: list[Any]) -> dict[str, Any]:
    if metric == "applications":
        return {"applications": len(facts)}
    if metric in {"approvals", "approval_rate"}:
        approved = [a for a in facts if a["approved_amount"] is not None]
        values = {"approvals": len(approved)}
        if metric == "approvals":
            return values | {"approved_amount": _yuan(sum(a["approved_amount"] for a in approved))}
        return values | {
            "decisions": len(facts),
            "approval_rate": _ratio(len(approved), len(facts)),
        }
    if metric == "response_time":
        worked = [a["response_working_days"] for a in facts]
        return {
            "decisions": len(facts),
            "median": _nearest_rank(worked, 50),
            "p90": _nearest_rank(worked, 90),
        }
    n = len(facts)
    paid = sum((loan["disbursed_amount"] for loan in facts), Decimal(0))
    if metric in {"loans", "disbursed_amount"}:
        return {"loans": n, "disbursed_amount": _yuan(paid)}
    if metric == "credit_loan_share":
        credit = [loan for loan in facts if loan["unsecured"]]
        amount = sum((loan["disbursed_amount"] for loan in credit), Decimal(0))
        return {
            "loans": n,
            "unsecured_loans": len(credit),
            "unsecured_share": _ratio(len(credit), n),
            "disbursed_amount": _yuan(paid),
            "unsecured_amount": _yuan(amount),
            "unsecured_amount_share": _ratio(amount, paid),
        }
    if metric == "first_time_borrowers":
        first = [loan for loan in facts if loan["first_time"]]
        return {
            "first_time_borrowers": len(first),
            "first_time_amount": _yuan(
                sum((loan["disbursed_amount"] for loan in first), Decimal(0))
            ),
            "loans": n,
            "first_time_share": _ratio(len(first), n),
        }
    if metric == "average_rate":
        weighted = sum(
            (loan["annual_rate"] * loan["disbursed_amount"] for loan in facts), Decimal(0)
        )
        return {"average_rate": _ratio(weighted, paid), "disbursed_amount": _yuan(paid), "loans": n}
    if metric == "overdue_rate":
        bad = [loan for loan in facts if loan["overdue_reports"] > 0]
        amount = sum((loan["disbursed_amount"] for loan in bad), Decimal(0))
        return {
            "loans": n,
            "overdue_loans": len(bad),
            "overdue_rate": _ratio(len(bad), n),
            "disbursed_amount": _yuan(paid),
            "overdue_amount": _yuan(amount),
            "overdue_amount_rate": _ratio(amount, paid),
        }
    assert metric == "default_rate"
    bad = [loan for loan in facts if loan["defaulted_on"] is not None]
    lost = sum((loan["loss_amount"] for loan in bad), Decimal(0))
    return {
        "loans": n,
        "defaulted_loans": len(bad),
        "default_rate": _ratio(len(bad), n),
        "disbursed_amount": _yuan(paid),
        "defaulted_amount": _yuan(lost),
        "default_amount_rate": _ratio(lost, paid),
    }


Answer = tuple[dict[tuple[str, ...], dict[str, Any]], dict[str, Any]]


def expected(
    base: Base,
    metric: str,
    group: list[str],
    filters: dict[str, str],
    start: dt.date,
    end: dt.date,
) -> Answer:
    """The rows (by group key) and the total ``metric`` should answer with."""
    if metric in SME_METRICS:
        return _sme(base, metric, group, filters, start, end)
    facts = [
        (row, day, fact)
        for row, day, fact in _loan_facts(base, metric)
        if start <= day <= end and _keep(row, filters)
    ]
    grouped: dict[tuple[str, ...], list[Any]] = defaultdict(list)
    for row, day, fact in facts:
        grouped[_key(row, day, group)].append(fact)
    rows = {key: _loan_values(metric, listed) for key, listed in grouped.items()}
    total = _loan_values(metric, [fact for _, _, fact in facts])
    if not group:
        rows = {(): total}
    return rows, total


def _sme(
    base: Base, metric: str, group: list[str], filters: dict[str, str], start: dt.date, end: dt.date
) -> Answer:
    end_instant = dt.datetime.combine(end + dt.timedelta(days=1), dt.time(), CHINA)
    if metric in {"needs_published", "needs_claimed_share"}:
        return _needs(base, metric, group, filters, start, end)
    registered = [
        e
        for e in base.enterprises
        if _keep(e, filters) and e["verified_at"] is not None and e["verified_at"] < end_instant
    ]
    if metric == "coverage":
        return _coverage(base, registered, group, end, end_instant)
    return _registered(registered, group, start, end)


def _needs(
    base: Base, metric: str, group: list[str], filters: dict[str, str], start: dt.date, end: dt.date
) -> Answer:
    needs = [
        n for n in base.needs if _keep(n, filters) and start <= china_day(n["created_at"]) <= end
    ]
    grouped: dict[tuple[str, ...], list[Any]] = defaultdict(list)
    for n in needs:
        grouped[_key(n, china_day(n["created_at"]), group)].append(n)

    def values(listed: list[Any]) -> dict[str, Any]:
        published = len(listed)
        if metric == "needs_published":
            return {"needs_published": published}
        claimed = sum(1 for n in listed if n["claims"])
        return {
            "needs_published": published,
            "needs_claimed": claimed,
            "claimed_share": _ratio(claimed, published),
        }

    rows = {k: values(v) for k, v in grouped.items()}
    return (rows if group else {(): values(needs)}), values(needs)


def _coverage(
    base: Base, registered: list[Any], group: list[str], end: dt.date, end_instant: dt.datetime
) -> Answer:
    live: dict[Any, set[str]] = defaultdict(set)
    for a in base.authorizations:
        if (
            a["created_at"] < end_instant
            and (a["revoked_at"] is None or a["revoked_at"] > end_instant)
            and a["expires_at"] > end_instant
        ):
            live[a["enterprise_id"]].update(a["families"])

    def coverage(listed: list[Any]) -> dict[str, Any]:
        values: dict[str, Any] = {"registered_total": len(listed)}
        for family in FAMILIES:
            holding = sum(1 for e in listed if family in live[e["id"]])
            values[family] = holding
            values[f"{family}_share"] = _ratio(holding, len(listed))
        return values

    grouped: dict[tuple[str, ...], list[Any]] = defaultdict(list)
    for e in registered:
        grouped[_key(e, end, group)].append(e)
    rows = {k: coverage(v) for k, v in grouped.items()}
    return (rows if group else {(): coverage(registered)}), coverage(registered)


def _month_end(month: str, end: dt.date) -> dt.date:
    year, number = map(int, month.split("-"))
    following = (dt.date(year, number, 28) + dt.timedelta(days=4)).replace(day=1)
    return min(end, following - dt.timedelta(days=1))


def _registered(registered: list[Any], group: list[str], start: dt.date, end: dt.date) -> Answer:
    """New registrations in the period; the total at the end of the period (or of the row's
    month, when grouped by month)."""
    new = [e for e in registered if china_day(e["verified_at"]) >= start]
    rows: dict[tuple[str, ...], dict[str, Any]] = {}
    if "month" in group:
        at = group.index("month")
        others = [g for g in group if g != "month"]
        for key in {_key(e, china_day(e["verified_at"]), group) for e in new}:
            lasting = tuple(k for g, k in zip(group, key, strict=True) if g != "month")
            until = _month_end(key[at], end)
            rows[key] = {
                "registered_smes": sum(
                    1 for e in new if _key(e, china_day(e["verified_at"]), group) == key
                ),
                "registered_total": sum(
                    1
                    for e in registered
                    if china_day(e["verified_at"]) <= until and _key(e, end, others) == lasting
                ),
            }
    else:
        for e in registered:
            entry = rows.setdefault(
                _key(e, end, group), {"registered_smes": 0, "registered_total": 0}
            )
            entry["registered_total"] += 1
            entry["registered_smes"] += int(china_day(e["verified_at"]) >= start)
    total = {"registered_smes": len(new), "registered_total": len(registered)}
    return (rows if group else {(): total}), total
