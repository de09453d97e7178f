"""An SME's credit data: sync jobs, public records, disputes, monthly series."""

from __future__ import annotations

from typing import Annotated, Any
from uuid import UUID

from litestar import Controller, Request, get, post
from litestar.di import NamedDependency, Provide
from litestar.params import FromPath, JSONBody, QueryParameter
from sqlalchemy.ext.asyncio import AsyncSession

from xinyidai.domain.accounts.guards import Principal
from xinyidai.domain.credit_data.schemas import (
    DisputeCreate,
    DisputeOut,
    RecordOut,
    SeriesOut,
    SyncRunOut,
)
from xinyidai.domain.credit_data.services import RecordService, SeriesService, SyncService
from xinyidai.enums import Family
from xinyidai.infra.http import SESSION_SECURITY, problem_responses


def provide_records(db: NamedDependency[AsyncSession]) -> RecordService:
    return RecordService(db)


def provide_series(db: NamedDependency[AsyncSession]) -> SeriesService:
    return SeriesService(db)


def provide_syncs(
    request: Request[Any, Any, Any], db: NamedDependency[AsyncSession]
) -> SyncService:
    return SyncService(db, request.app.state.queue.enqueue)


class CreditDataController(Controller):
    path = "/api/v1/enterprises/{enterprise_id:uuid}"
    tags = ["credit data"]
    security = SESSION_SECURITY
    dependencies = {
        "records": Provide(provide_records, sync_to_thread=False),
        "series_service": Provide(provide_series, sync_to_thread=False),
        "syncs": Provide(provide_syncs, sync_to_thread=False),
    }

    @post(
        "/sync",
        status_code=202,
        summary="Fetch the authorized families now (a job)",
        responses=problem_responses(400, 401, 403, 404, 503),
    )
    async def sync(
        self,
        enterprise_id: FromPath[UUID],
        principal: NamedDependency[Principal],
        syncs: NamedDependency[SyncService],
    ) -> SyncRunOut:
        return await syncs.request(enterprise_id, principal)

    @get(
        "/sync/{job_id:uuid}",
        summary="State of a sync job",
        responses=problem_responses(400, 401, 404, 503),
    )
    async def sync_status(
        self,
        enterprise_id: FromPath[UUID],
        job_id: FromPath[UUID],
        principal: NamedDependency[Principal],
        syncs: NamedDependency[SyncService],
    ) -> SyncRunOut:
        return await syncs.status(enterprise_id, job_id, principal)

    @get(
        "/records",
        summary="Public credit records about the enterprise",
        responses=problem_responses(400, 401, 404, 422, 503),
    )
    async def records(
        self,
        enterprise_id: FromPath[UUID],
        principal: NamedDependency[Principal],
        records: NamedDependency[RecordService],
        history: Annotated[
            bool, QueryParameter(description="Include repaired, expired and withdrawn records")
        ] = False,
    ) -> list[RecordOut]:
        return await records.list_for(enterprise_id, principal, include_history=history)

    @post(
        "/disputes",
        status_code=201,
        summary="Dispute (异议) a public record",
        responses=problem_responses(400, 401, 403, 404, 409, 422, 503),
    )
    async def dispute(
        self,
        enterprise_id: FromPath[UUID],
        data: JSONBody[DisputeCreate],
        principal: NamedDependency[Principal],
        records: NamedDependency[RecordService],
    ) -> DisputeOut:
        return await records.dispute(enterprise_id, data, principal)

    @get(
        "/disputes",
        summary="The enterprise's disputes",
        responses=problem_responses(400, 401, 404, 503),
    )
    async def disputes(
        self,
        enterprise_id: FromPath[UUID],
        principal: NamedDependency[Principal],
        records: NamedDependency[RecordService],
    ) -> list[DisputeOut]:
        return await records.disputes_of(enterprise_id, principal)

    @get(
        "/series/{family:str}",
        summary="Monthly figures of one authorized family",
        responses=problem_responses(400, 401, 404, 422, 503),
    )
    async def series(
        self,
        enterprise_id: FromPath[UUID],
        family: FromPath[Family],
        principal: NamedDependency[Principal],
        series_service: NamedDependency[SeriesService],
        first: Annotated[
            str | None,
            QueryParameter(
                name="from", pattern=r"^\d{4}-(0[1-9]|1[0-2])$", description="First month, YYYY-MM"
            ),
        ] = None,
        last: Annotated[
            str | None,
            QueryParameter(
                name="to", pattern=r"^\d{4}-(0[1-9]|1[0-2])$", description="Last month, YYYY-MM"
            ),
        ] = None,
    ) -> SeriesOut:
        return await series_service.read(enterprise_id, family, principal, first, last)
