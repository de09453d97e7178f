"""API contracts of the credit office's exports."""

from __future__ import annotations

import datetime as dt
from typing import Annotated
from uuid import UUID

import msgspec
from msgspec import Meta

from xinyidai.domain.monitoring.dimensions import Dimension
from xinyidai.domain.monitoring.metrics import Metric
from xinyidai.models import ExportFormat, ExportKind, ExportStatus


class ExportQuery(msgspec.Struct, forbid_unknown_fields=True, kw_only=True, omit_defaults=True):
    """What to export. ``stat``: a statistics query as ``GET /api/v1/office/stats`` takes it
    (``metric`` required, ``group_by`` at most two dimensions). ``loans``: the loans disbursed
    from ``from`` to ``to`` (China dates, both included), one row each (no ``metric`` or
    ``group_by``). The dimension filters (their values as the statistics take them) narrow
    either."""

    metric: Metric | None = None
    group_by: Annotated[list[Dimension], Meta(max_length=2)] = msgspec.field(default_factory=list)
    from_: dt.date = msgspec.field(name="from")
    to: dt.date
    bank: UUID | None = None
    product_type: Annotated[str, Meta(max_length=32)] | None = None
    industry: Annotated[str, Meta(max_length=1)] | None = None
    district: Annotated[str, Meta(max_length=6)] | None = None
    grade: Annotated[str, Meta(max_length=8)] | None = None


class ExportIn(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    kind: ExportKind
    format: ExportFormat
    query: ExportQuery


class ExportOut(msgspec.Struct, kw_only=True):
    """One export and how far its job has come."""

    id: UUID
    kind: ExportKind
    format: ExportFormat
    query: ExportQuery
    status: ExportStatus
    progress: Annotated[
        int, Meta(ge=0, le=100, description="Percent of the rows written; 100 once done")
    ]
    rows_written: int
    rows_total: Annotated[int | None, Meta(description="Known once the job has counted")]
    as_of: Annotated[dt.datetime | None, Meta(description="The time the data was read at")]
    filename: str | None
    byte_size: int | None
    error: Annotated[str | None, Meta(description="Why a failed export failed")]
    requested_by: UUID
    created_at: dt.datetime
    started_at: dt.datetime | None
    finished_at: dt.datetime | None
    expires_at: Annotated[dt.datetime, Meta(description="When the export and its file go")]


class ExportPage(msgspec.Struct, kw_only=True):
    items: list[ExportOut]
    limit: int
    next_cursor: str | None
