"""The credit office's statistics and KPI summary (the office only: 403 for anyone else)."""

from __future__ import annotations

import datetime as dt
from typing import Annotated
from uuid import UUID

from litestar import Controller, get
from litestar.di import NamedDependency, Provide
from litestar.params import QueryParameter
from sqlalchemy.ext.asyncio import AsyncSession

from xinyidai.domain.accounts.guards import Principal, require_role
from xinyidai.domain.monitoring.kpis import KpiService
from xinyidai.domain.monitoring.metrics import Metric
from xinyidai.domain.monitoring.schemas import Kpis, StatQuery, StatTable
from xinyidai.domain.monitoring.stats import StatsService, parse_group_by
from xinyidai.infra.http import SESSION_SECURITY, problem_responses
from xinyidai.models import Role


def provide_stats(db: NamedDependency[AsyncSession]) -> StatsService:
    return StatsService(db)


def provide_kpis(db: NamedDependency[AsyncSession]) -> KpiService:
    return KpiService(db)


class OfficeStatsController(Controller):
    path = "/api/v1/office"
    tags = ["credit office"]
    security = SESSION_SECURITY
    dependencies = {
        "stats": Provide(provide_stats, sync_to_thread=False),
        "kpis": Provide(provide_kpis, sync_to_thread=False),
    }

    @get(
        "/stats",
        summary="A statistic of applications, loans, SMEs or needs over a period, grouped by "
        "up to two dimensions (bank, product_type, industry, district, grade, month), from "
        "the daily rollups (the credit office only)",
        responses=problem_responses(400, 401, 403, 422, 503),
    )
    async def stats_table(
        self,
        principal: NamedDependency[Principal],
        stats: NamedDependency[StatsService],
        metric: Annotated[Metric, QueryParameter()],
        group_by: Annotated[
            str | None,
            QueryParameter(
                max_length=64,
                description="Up to two dimensions, comma-separated (bank, product_type, "
                "industry, district, grade, month); none for the total",
            ),
        ] = None,
        from_: Annotated[
            dt.date | None,
            QueryParameter(
                name="from",
                description="First day (China calendar); default: the first day of the "
                "month eleven months before `to`",
            ),
        ] = None,
        to: Annotated[
            dt.date | None,
            QueryParameter(
                description="Last day, included (default: today); at most 10 years after `from`"
            ),
        ] = None,
        bank: Annotated[UUID | None, QueryParameter()] = None,
        product_type: Annotated[str | None, QueryParameter(max_length=32)] = None,
        industry: Annotated[
            str | None, QueryParameter(max_length=1, description="GB/T 4754 section A–T")
        ] = None,
        district: Annotated[
            str | None, QueryParameter(max_length=6, description="6-digit division code")
        ] = None,
        grade: Annotated[
            str | None, QueryParameter(max_length=8, description="AAA … C, or `ungraded`")
        ] = None,
    ) -> StatTable:
        require_role(principal, Role.OFFICE)
        return await stats.table(
            StatQuery(
                metric=metric,
                group_by=parse_group_by(group_by),
                from_=from_,
                to=to,
                bank=bank,
                product_type=product_type,
                industry=industry,
                district=district,
                grade=grade,
            )
        )

    @get(
        "/kpis",
        summary="The month's key figures against the month before and the same month last "
        "year (the credit office only)",
        responses=problem_responses(400, 401, 403, 422, 503),
    )
    async def kpi_summary(
        self,
        principal: NamedDependency[Principal],
        kpis: NamedDependency[KpiService],
        month: Annotated[
            str | None,
            QueryParameter(max_length=16, description="YYYY-MM (default: this China month)"),
        ] = None,
    ) -> Kpis:
        require_role(principal, Role.OFFICE)
        return await kpis.summary(month)
