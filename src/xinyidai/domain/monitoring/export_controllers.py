"""The credit office's exports: ``/api/v1/office/exports``."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Any
from urllib.parse import quote
from uuid import UUID

from litestar import Controller, Request, get, post
from litestar.di import NamedDependency, Provide
from litestar.openapi.spec import (
    OpenAPIFormat,
    OpenAPIMediaType,
    OpenAPIResponse,
    OpenAPIType,
    Operation,
    Schema,
)
from litestar.params import FromPath, JSONBody, QueryParameter
from litestar.response import Stream
from sqlalchemy.ext.asyncio import AsyncSession

from xinyidai.domain.accounts.guards import Principal
from xinyidai.domain.monitoring.export_schemas import ExportIn, ExportOut, ExportPage
from xinyidai.domain.monitoring.exports import MEDIA_TYPES, ExportService, file_chunks
from xinyidai.infra.http import SESSION_SECURITY, problem_responses
from xinyidai.models import ExportStatus


def provide_exports(
    request: Request[Any, Any, Any], db: NamedDependency[AsyncSession]
) -> ExportService:
    return ExportService(db, request.app.state.settings.export_retention_days)


@dataclass
class FileOperation(Operation):
    """The download's 200 in the document: a CSV or an XLSX file, as the export's format."""

    def __post_init__(self) -> None:
        binary = Schema(type=OpenAPIType.STRING, format=OpenAPIFormat.BINARY)
        assert self.responses is not None
        self.responses["200"] = OpenAPIResponse(
            description="The file: CSV (UTF-8 with a BOM) or XLSX, as the export's format",
            content={media: OpenAPIMediaType(schema=binary) for media in MEDIA_TYPES.values()},
        )


class OfficeExportController(Controller):
    path = "/api/v1/office/exports"
    tags = ["credit office"]
    security = SESSION_SECURITY
    dependencies = {"exports": Provide(provide_exports, sync_to_thread=False)}

    @post(
        "/",
        status_code=202,
        summary="Ask for an export (a statistics table or the loan ledger, CSV or XLSX); a job "
        "writes it (the credit office only; audit-logged)",
        responses=problem_responses(400, 401, 403, 422, 503),
    )
    async def request_export(
        self,
        data: JSONBody[ExportIn],
        principal: NamedDependency[Principal],
        exports: NamedDependency[ExportService],
    ) -> ExportOut:
        return await exports.request(data, principal)

    @get(
        "/",
        summary="The office's exports, newest first",
        responses=problem_responses(400, 401, 403, 422, 503),
    )
    async def list_exports(
        self,
        principal: NamedDependency[Principal],
        exports: NamedDependency[ExportService],
        status: Annotated[ExportStatus | None, QueryParameter()] = None,
        limit: Annotated[int, QueryParameter(ge=1, le=100)] = 20,
        cursor: Annotated[
            UUID | None, QueryParameter(description="`next_cursor` of the previous page")
        ] = None,
    ) -> ExportPage:
        return await exports.page(principal, status=status, limit=limit, cursor=cursor)

    @get(
        "/{export_id:uuid}",
        summary="One export and its job's progress",
        responses=problem_responses(400, 401, 403, 404, 503),
    )
    async def export_status(
        self,
        export_id: FromPath[UUID],
        principal: NamedDependency[Principal],
        exports: NamedDependency[ExportService],
    ) -> ExportOut:
        return await exports.get(export_id, principal)

    @get(
        "/{export_id:uuid}/file",
        summary="Download a finished export's file (audit-logged)",
        responses=problem_responses(400, 401, 403, 404, 409, 503),
        operation_class=FileOperation,
    )
    async def export_file(
        self,
        request: Request[Any, Any, Any],
        export_id: FromPath[UUID],
        principal: NamedDependency[Principal],
        exports: NamedDependency[ExportService],
    ) -> Stream:
        download = await exports.download(export_id, principal)
        sessions = request.app.state.db_sessions.read
        name = download.filename
        return Stream(
            file_chunks(sessions, download.export_id),
            media_type=download.media_type,
            headers={
                "Content-Disposition": f'attachment; filename="{name}"; '
                f"filename*=UTF-8''{quote(name)}",
                "Content-Length": str(download.size),
                "Cache-Control": "private, no-store",
            },
        )
