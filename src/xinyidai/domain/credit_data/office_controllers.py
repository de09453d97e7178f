"""The credit office's desk: public-credit imports, the dispute queue, repairs."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any
from uuid import UUID

from litestar import Controller, Request, get, post
from litestar.datastructures import UploadFile
from litestar.di import NamedDependency, Provide
from litestar.enums import RequestEncodingType
from litestar.params import Body, FromPath, JSONBody, QueryParameter
from sqlalchemy.ext.asyncio import AsyncSession

from xinyidai.domain.accounts.guards import Principal
from xinyidai.domain.credit_data.controllers import provide_records
from xinyidai.domain.credit_data.office_imports import MAX_UPLOAD
from xinyidai.domain.credit_data.schemas import (
    DisputeOut,
    DisputeResolve,
    ImportOut,
    RecordOut,
    RepairRequest,
)
from xinyidai.domain.credit_data.services import OfficeImportService, RecordService
from xinyidai.infra.http import SESSION_SECURITY, problem_responses
from xinyidai.models import DisputeStatus


def provide_imports(
    request: Request[Any, Any, Any], db: NamedDependency[AsyncSession]
) -> OfficeImportService:
    state = request.app.state
    return OfficeImportService(db, state.queue.enqueue, Path(state.settings.data_dir))


@dataclass
class ImportUpload:
    """The multipart body of an import: one part, ``file`` (CSV or JSON Lines)."""

    file: UploadFile


class OfficeController(Controller):
    path = "/api/v1/office"
    tags = ["credit office"]
    security = SESSION_SECURITY
    dependencies = {
        "imports": Provide(provide_imports, sync_to_thread=False),
        "records": Provide(provide_records, sync_to_thread=False),
    }

    @post(
        "/imports",
        status_code=202,
        summary="Upload public credit records (CSV or JSON Lines)",
        request_max_body_size=MAX_UPLOAD,
        responses=problem_responses(400, 401, 403, 404, 413, 422, 503),
    )
    async def upload(
        self,
        data: Annotated[ImportUpload, Body(media_type=RequestEncodingType.MULTI_PART)],
        principal: NamedDependency[Principal],
        imports: NamedDependency[OfficeImportService],
    ) -> ImportOut:
        content = await data.file.read()
        return await imports.submit(data.file.filename, content, principal)

    @get(
        "/imports/{import_id:uuid}",
        summary="State and report of an import",
        responses=problem_responses(400, 401, 403, 404, 503),
    )
    async def import_status(
        self,
        import_id: FromPath[UUID],
        principal: NamedDependency[Principal],
        imports: NamedDependency[OfficeImportService],
    ) -> ImportOut:
        return await imports.status(import_id, principal)

    @get(
        "/disputes",
        summary="Dispute queue, soonest due first",
        responses=problem_responses(400, 401, 403, 404, 422, 503),
    )
    async def disputes(
        self,
        principal: NamedDependency[Principal],
        records: NamedDependency[RecordService],
        status: Annotated[DisputeStatus | None, QueryParameter()] = None,
        overdue: Annotated[bool, QueryParameter(description="Only open disputes past due")] = False,
    ) -> list[DisputeOut]:
        return await records.dispute_queue(principal, status=status, overdue_only=overdue)

    @post(
        "/disputes/{dispute_id:uuid}/resolve",
        status_code=200,
        summary="Resolve a dispute: corrected, withdrawn or upheld",
        responses=problem_responses(400, 401, 403, 404, 409, 422, 503),
    )
    async def resolve(
        self,
        dispute_id: FromPath[UUID],
        data: JSONBody[DisputeResolve],
        principal: NamedDependency[Principal],
        records: NamedDependency[RecordService],
    ) -> DisputeOut:
        return await records.resolve(dispute_id, data, principal)

    @post(
        "/records/{record_id:uuid}/repair",
        status_code=200,
        summary="Mark a record repaired (信用修复)",
        responses=problem_responses(400, 401, 403, 404, 409, 422, 503),
    )
    async def repair(
        self,
        record_id: FromPath[UUID],
        data: JSONBody[RepairRequest],
        principal: NamedDependency[Principal],
        records: NamedDependency[RecordService],
    ) -> RecordOut:
        return await records.repair(record_id, data, principal)
