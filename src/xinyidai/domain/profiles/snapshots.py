"""Credit profile snapshots: immutable, versioned documents built from stored data.

Format ``xinyidai.profile/1`` (documented in docs/profile-snapshot.md). ``build_content`` is a
pure function of the stored data and the as-of date, so any snapshot can be rebuilt and checked
against its content hash. A new version is written only when the content (everything but
``as_of``) differs from the latest version's.
"""

from __future__ import annotations

import datetime as dt
import functools
import hashlib
from collections.abc import Iterable, Mapping, Sequence
from decimal import Decimal
from typing import TYPE_CHECKING, Any, Protocol
from uuid import UUID

import msgspec
from sqlalchemy import bindparam, func, select

from xinyidai.dates import add_months, month_start, utc_now
from xinyidai.domain.enterprises.codes import SECTION_BY_CODE
from xinyidai.enums import NEGATIVE_TYPES, VISIBLE_STATUSES, Family, RecordStatus
from xinyidai.infra.db import enqueue_after_commit
from xinyidai.models import (
    SERIES_MODELS,
    DataAuthorization,
    Enterprise,
    ProfileSnapshot,
    PublicRecord,
)

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncSession

FORMAT = "xinyidai.profile/1"
WINDOW_MONTHS = 36
_PROVENANCE = {
    "enterprise_id",
    "period",
    "source",
    "provider_ref",
    "fetched_at",
    "authorization_id",
}
# The measure whose growth each family's summary reports.
_HEADLINE = {
    Family.TAX: "vat_sales",
    Family.ELECTRICITY: "kwh",
    Family.WATER: "cubic_metres",
    Family.GAS: "cubic_metres",
    Family.SOCIAL_INSURANCE: "insured_headcount",
    Family.HOUSING_FUND: "headcount",
}


def window(as_of: dt.date, months: int = WINDOW_MONTHS) -> tuple[dt.date, dt.date]:
    """The last ``months`` complete months before ``as_of``: (first, last) period."""
    last = add_months(month_start(as_of), -1)
    return add_months(last, -(months - 1)), last


def value_columns(family: Family) -> list[str]:
    model = SERIES_MODELS[family]
    return [c.name for c in model.__table__.columns if c.name not in _PROVENANCE]


@functools.cache
def _columns(family: Family) -> tuple[str, ...]:
    return tuple(value_columns(family))


def _num(value: Any) -> Any:
    return str(value) if isinstance(value, Decimal) else value


def _period_text(period: dt.date) -> str:
    return period.isoformat()[:7]  # strftime("%Y-%m") for years 1000-9999, 5x faster


def _month_item(row: Mapping[str, Any], columns: tuple[str, ...]) -> dict[str, Any]:
    item: dict[str, Any] = {"period": _period_text(row["period"])}
    for column in columns:
        value = row[column]
        item[column] = str(value) if isinstance(value, Decimal) else value
    return item


def _summary(family: Family, rows: Sequence[Mapping[str, Any]], last: dt.date) -> dict[str, Any]:
    columns = _columns(family)
    by_period = {r["period"]: r for r in rows}
    recent = [by_period[p] for p in (add_months(last, -i) for i in range(12)) if p in by_period]
    before = [
        by_period[p] for p in (add_months(last, -12 - i) for i in range(12)) if p in by_period
    ]
    summary: dict[str, Any] = {"months_present": len(rows), "months_last_12": len(recent)}
    for column in columns:
        if column == "days_late":
            summary["late_months_last_12"] = sum(1 for r in recent if r[column] > 0)
            summary["max_days_late_last_12"] = max((r[column] for r in recent), default=0)
        elif column in {"arrears"}:
            summary["arrears_latest"] = _num(rows[-1][column]) if rows else "0.00"
            summary["months_in_arrears_last_12"] = sum(1 for r in recent if r[column] > 0)
        elif "headcount" in column:
            summary[f"{column}_latest"] = rows[-1][column] if rows else 0
        else:
            summary[f"{column}_last_12"] = _num(sum((r[column] for r in recent), Decimal(0)))
    headline = _HEADLINE[family]
    if len(recent) == 12 and len(before) == 12:
        now_total = sum((Decimal(r[headline]) for r in recent), Decimal(0))
        then_total = sum((Decimal(r[headline]) for r in before), Decimal(0))
        if then_total > 0:
            growth = (now_total / then_total - 1).quantize(Decimal("0.0001"))
            summary[f"{headline}_growth_yoy"] = str(growth)
    return summary


def _record(r: RecordData) -> dict[str, Any]:
    return {
        "id": str(r.id),
        "type": r.record_type,
        "severity": r.severity,
        "grade": r.grade,
        "document_no": r.document_no,
        "decision_date": r.decision_date.isoformat(),
        "publish_until": r.publish_until.isoformat() if r.publish_until else None,
        "authority": r.authority,
        "description": r.description,
        "negative": r.record_type in NEGATIVE_TYPES,
        "disputed": r.status == RecordStatus.DISPUTED,
    }


class EnterpriseData(Protocol):
    """What ``build_content`` reads of an enterprise (an ``Enterprise`` row, or plain data)."""

    @property
    def id(self) -> Any: ...
    @property
    def uscc(self) -> str: ...
    @property
    def name(self) -> str: ...
    @property
    def status(self) -> str: ...
    @property
    def founded_on(self) -> dt.date: ...
    @property
    def registered_capital(self) -> Decimal: ...
    @property
    def industry_section(self) -> str: ...
    @property
    def industry_division(self) -> str: ...
    @property
    def district_code(self) -> str: ...


class RecordData(Protocol):
    """What ``build_content`` reads of a public record (a ``PublicRecord`` row, or plain data)."""

    @property
    def id(self) -> Any: ...
    @property
    def record_type(self) -> str: ...
    @property
    def severity(self) -> str | None: ...
    @property
    def grade(self) -> str | None: ...
    @property
    def document_no(self) -> str: ...
    @property
    def decision_date(self) -> dt.date: ...
    @property
    def publish_until(self) -> dt.date | None: ...
    @property
    def authority(self) -> str: ...
    @property
    def description(self) -> str: ...
    @property
    def status(self) -> str: ...


class AuthorizationData(Protocol):
    """What ``build_content`` reads of an authorization (a ``DataAuthorization`` row, or plain
    data)."""

    @property
    def id(self) -> Any: ...
    @property
    def expires_at(self) -> dt.datetime: ...


def build_content(
    enterprise: EnterpriseData,
    records: Iterable[RecordData],
    series: Mapping[Family, Sequence[Mapping[str, Any]]],
    authorized: Mapping[Family, AuthorizationData],
    as_of: dt.date,
) -> dict[str, Any]:
    """The snapshot document. Only families with a live authorization appear with data;
    only active and disputed records appear; nothing after ``as_of`` is used.

    A pure function of plain data: the arguments may be ORM rows (the data hub) or any objects
    with the same attributes (the credit simulator, ``xinyidai_ml.simulator``), and ``series``
    rows any mappings with ``period``, ``source`` and the family's value columns."""
    first, last = window(as_of)
    section = SECTION_BY_CODE[enterprise.industry_section]
    visible = sorted(
        (r for r in records if r.status in VISIBLE_STATUSES and r.decision_date <= as_of),
        key=lambda r: (r.decision_date, r.document_no),
    )
    families: dict[str, Any] = {}
    for family in Family:
        auth = authorized.get(family)
        if auth is None:
            families[family.value] = {"authorised": False}
            continue
        rows = [r for r in series.get(family, []) if first <= r["period"] <= last]
        rows.sort(key=lambda r: r["period"])
        columns = _columns(family)
        families[family.value] = {
            "authorised": True,
            "authorization_id": str(auth.id),
            "authorised_until": auth.expires_at.date().isoformat(),
            "window": {"first": _period_text(first), "last": _period_text(last)},
            "months": [_month_item(r, columns) for r in rows],
            "summary": _summary(family, rows, last),
            "sources": sorted({r["source"] for r in rows}),
        }
    grades: dict[str, str] = {}
    for r in visible:
        if r.grade and r.record_type in {"tax_grade", "customs_grade", "environmental_grade"}:
            grades[r.record_type] = r.grade  # records are sorted by date: the latest wins
    return {
        "format": FORMAT,
        "as_of": as_of.isoformat(),
        "enterprise": {
            "id": str(enterprise.id),
            "uscc": enterprise.uscc,
            "name": enterprise.name,
            "status": enterprise.status,
            "founded_on": enterprise.founded_on.isoformat(),
            "age_years": round((as_of - enterprise.founded_on).days / 365.25, 2),
            "registered_capital": str(enterprise.registered_capital),
            "industry": {
                "section": section.code,
                "division": enterprise.industry_division,
                "name_zh": section.zh,
                "name_en": section.en,
            },
            "district_code": enterprise.district_code,
        },
        "public_records": {
            "items": [_record(r) for r in visible],
            "counts": _record_counts(visible),
            "latest_grades": grades,
        },
        "families": families,
    }


def _record_counts(visible: Sequence[RecordData]) -> dict[str, int]:
    counts: dict[str, int] = {}
    for r in visible:
        counts[r.record_type] = counts.get(r.record_type, 0) + 1
    return dict(sorted(counts.items()))


def content_hash(content: dict[str, Any]) -> str:
    """SHA-256 of the canonical JSON of everything but ``as_of``."""
    stable = {k: v for k, v in content.items() if k != "as_of"}
    return hashlib.sha256(msgspec.json.encode(stable, order="sorted")).hexdigest()


async def live_authorizations(
    session: AsyncSession, enterprise_id: UUID, now: dt.datetime
) -> dict[Family, DataAuthorization]:
    """For each family, the live authorization that lasts longest."""
    rows = await session.scalars(
        select(DataAuthorization)
        .where(
            DataAuthorization.enterprise_id == enterprise_id,
            DataAuthorization.revoked_at.is_(None),
            DataAuthorization.expires_at > now,
        )
        .order_by(DataAuthorization.expires_at)
    )
    best: dict[Family, DataAuthorization] = {}
    for auth in rows:
        for family in auth.families:
            best[Family(family)] = auth
    return best


async def load_series(
    session: AsyncSession,
    enterprise_id: UUID,
    families: Iterable[Family],
    first: dt.date,
    last: dt.date,
) -> dict[Family, list[dict[str, Any]]]:
    result: dict[Family, list[dict[str, Any]]] = {}
    for family in families:
        model = SERIES_MODELS[family]
        table = model.__table__
        rows = await session.execute(
            select(table)
            .where(table.c.enterprise_id == enterprise_id, table.c.period.between(first, last))
            .order_by(table.c.period)
        )
        result[family] = [dict(r._mapping) for r in rows]
    return result


async def gather(
    session: AsyncSession, enterprise: Enterprise, as_of: dt.date, now: dt.datetime
) -> dict[str, Any]:
    records = (
        await session.scalars(select(PublicRecord).where(PublicRecord.uscc == enterprise.uscc))
    ).all()
    authorized = await live_authorizations(session, enterprise.id, now)
    first, last = window(as_of)
    series = await load_series(session, enterprise.id, authorized, first, last)
    return build_content(enterprise, records, series, authorized, as_of)


async def rebuild(
    session: AsyncSession, enterprise_id: UUID, reason: str, now: dt.datetime | None = None
) -> ProfileSnapshot | None:
    """Write a new snapshot version if the enterprise's profile changed; return it (or None).

    Serialised per enterprise by a row lock, so concurrent rebuilds cannot both take the same
    version number."""
    now = now or utc_now()
    enterprise = await session.scalar(
        select(Enterprise).where(Enterprise.id == enterprise_id).with_for_update()
    )
    if enterprise is None:
        return None
    content = await gather(session, enterprise, now.date(), now)
    digest = content_hash(content)
    latest = await session.scalar(
        select(ProfileSnapshot)
        .where(ProfileSnapshot.enterprise_id == enterprise_id)
        .order_by(ProfileSnapshot.version.desc())
        .limit(1)
    )
    if latest is not None and latest.content_hash == digest:
        return None
    version = (latest.version + 1) if latest else 1
    snapshot = ProfileSnapshot(
        enterprise_id=enterprise_id,
        version=version,
        format=FORMAT,
        content_hash=digest,
        as_of=now.date(),
        reason=reason,
        content=content,
    )
    session.add(snapshot)
    await session.flush()
    # Every new version is scored by a job once it is committed (the nightly batch catches the
    # versions written where no queue is at hand, e.g. by the CLI).
    enqueue_after_commit(
        session,
        "score_snapshot",
        snapshot_id=str(snapshot.id),
        key=f"score:{snapshot.id}",
        timeout=120,
    )
    # Banks holding a live consent hear of the new version (profile.updated webhooks).
    from xinyidai.domain.consents.bank_consents import BankConsentService

    await BankConsentService(session).notify_profile(enterprise_id, snapshot.version, snapshot.id)
    return snapshot


async def rebuild_for_usccs(session: AsyncSession, usccs: Iterable[str], reason: str) -> int:
    """Rebuild the snapshots of the registered enterprises among ``usccs``."""
    usccs = list(set(usccs))
    built = 0
    for start in range(0, len(usccs), 1000):
        ids = (
            await session.scalars(
                select(Enterprise.id).where(Enterprise.uscc.in_(usccs[start : start + 1000]))
            )
        ).all()
        for enterprise_id in ids:
            if await rebuild(session, enterprise_id, reason):
                built += 1
    return built


_LATEST = (
    select(ProfileSnapshot)
    .where(ProfileSnapshot.enterprise_id == bindparam("enterprise_id"))
    .order_by(ProfileSnapshot.version.desc())
    .limit(1)
)


async def latest(session: AsyncSession, enterprise_id: UUID) -> ProfileSnapshot | None:
    return await session.scalar(_LATEST, {"enterprise_id": enterprise_id})


async def count_versions(session: AsyncSession, enterprise_id: UUID) -> int:
    return int(
        await session.scalar(
            select(func.count()).where(ProfileSnapshot.enterprise_id == enterprise_id)
        )
        or 0
    )
