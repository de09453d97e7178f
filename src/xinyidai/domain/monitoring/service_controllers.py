"""Banks' service levels and the office's alerts in the portal: the credit office's
``/api/v1/office/service-levels`` (every bank, and what waits past its commitment) and
``/api/v1/office/alerts``; a bank's own ``/api/v1/banks/{bank_id}/service-levels``."""

from __future__ import annotations

from typing import Annotated, Any
from uuid import UUID

from litestar import Controller, Request, get
from litestar.di import NamedDependency, Provide
from litestar.openapi.spec import OpenAPIFormat
from litestar.params import FromPath, QueryParameter
from sqlalchemy.ext.asyncio import AsyncSession

from xinyidai.domain.accounts.guards import Principal
from xinyidai.domain.monitoring.alerts import AlertList, OfficeAlerts, sources
from xinyidai.domain.monitoring.service_levels import ServiceLevelService
from xinyidai.domain.monitoring.service_schemas import OverduePage, OverdueSort, ServiceLevels
from xinyidai.infra.http import SESSION_SECURITY, problem_responses

# Dates are read as text and parsed by the service, so that a bad one is a 422 naming the
# query parameter (``from`` is not a Python name).
From = Annotated[
    str | None,
    QueryParameter(
        name="from",
        format=OpenAPIFormat.DATE,
        max_length=10,
        description="First day of the period, YYYY-MM-DD (China date; default: 89 days before "
        "`to`)",
    ),
]
To = Annotated[
    str | None,
    QueryParameter(
        name="to",
        format=OpenAPIFormat.DATE,
        max_length=10,
        description="Last day of the period, YYYY-MM-DD (China date; default today)",
    ),
]
Sort = Annotated[
    OverdueSort,
    QueryParameter(
        description="`-overdue`: longest past its commitment first; `overdue`: the reverse; "
        "`-submitted`: newest first"
    ),
]
Limit = Annotated[int, QueryParameter(ge=1, le=200)]
Offset = Annotated[int, QueryParameter(ge=0, le=100_000)]


def provide_service_levels(db: NamedDependency[AsyncSession]) -> ServiceLevelService:
    return ServiceLevelService(db)


def provide_alerts(
    db: NamedDependency[AsyncSession], request: Request[Any, Any, Any]
) -> OfficeAlerts:
    return OfficeAlerts(db, sources(request.app.state.settings.pool_alert_share))


class OfficeServiceLevelController(Controller):
    path = "/api/v1/office"
    tags = ["credit office"]
    security = SESSION_SECURITY
    dependencies = {"service_levels": Provide(provide_service_levels, sync_to_thread=False)}

    @get(
        "/service-levels",
        summary="Every bank's committed response time against its actual, decisions past "
        "commitment, applications waiting past it now and needs-pool claims released "
        "unanswered (the credit office only)",
        responses=problem_responses(400, 401, 403, 422, 503),
    )
    async def service_levels(
        self,
        principal: NamedDependency[Principal],
        service_levels: NamedDependency[ServiceLevelService],
        start: From = None,
        end: To = None,
    ) -> ServiceLevels:
        return await service_levels.office(principal, start, end)

    @get(
        "/service-levels/overdue",
        summary="Applications waiting past their bank's committed response time now, every "
        "bank's or one's (the credit office only)",
        responses=problem_responses(400, 401, 403, 422, 503),
    )
    async def overdue(
        self,
        principal: NamedDependency[Principal],
        service_levels: NamedDependency[ServiceLevelService],
        bank_id: Annotated[UUID | None, QueryParameter()] = None,
        sort: Sort = OverdueSort.MOST_OVERDUE,
        limit: Limit = 50,
        offset: Offset = 0,
    ) -> OverduePage:
        return await service_levels.office_overdue(
            principal, bank_id=bank_id, sort=sort, limit=limit, offset=offset
        )


class BankServiceLevelController(Controller):
    path = "/api/v1/banks/{bank_id:uuid}/service-levels"
    tags = ["applications"]
    security = SESSION_SECURITY
    dependencies = {"service_levels": Provide(provide_service_levels, sync_to_thread=False)}

    @get(
        "/",
        summary="The bank's own service levels: committed response time against actual, "
        "decisions past commitment, applications waiting past it (its own users only)",
        responses=problem_responses(400, 401, 403, 404, 422, 503),
    )
    async def service_levels(
        self,
        bank_id: FromPath[UUID],
        principal: NamedDependency[Principal],
        service_levels: NamedDependency[ServiceLevelService],
        start: From = None,
        end: To = None,
    ) -> ServiceLevels:
        return await service_levels.of_bank(bank_id, principal, start, end)

    @get(
        "/overdue",
        summary="The bank's own applications waiting past its committed response time now",
        responses=problem_responses(400, 401, 403, 404, 422, 503),
    )
    async def overdue(
        self,
        bank_id: FromPath[UUID],
        principal: NamedDependency[Principal],
        service_levels: NamedDependency[ServiceLevelService],
        sort: Sort = OverdueSort.MOST_OVERDUE,
        limit: Limit = 50,
        offset: Offset = 0,
    ) -> OverduePage:
        return await service_levels.bank_overdue(
            bank_id, principal, sort=sort, limit=limit, offset=offset
        )


class OfficeAlertController(Controller):
    path = "/api/v1/office/alerts"
    tags = ["credit office"]
    security = SESSION_SECURITY
    dependencies = {"office_alerts": Provide(provide_alerts, sync_to_thread=False)}

    @get(
        "/",
        summary="What waits for the credit office: each alert with its count, severity, labels "
        "and the page to act on it (the credit office only)",
        responses=problem_responses(401, 403, 503),
    )
    async def alerts(
        self,
        principal: NamedDependency[Principal],
        office_alerts: NamedDependency[OfficeAlerts],
    ) -> AlertList:
        return await office_alerts.alerts(principal)
