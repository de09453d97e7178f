"""An SME's credit data as the API shows it: public records, disputes, monthly series, sync
runs and the credit office's imports."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any, Literal
from uuid import UUID

import msgspec
from msgspec import UNSET, Meta, UnsetType

from xinyidai.enums import Family, RecordStatus, RecordType, Severity
from xinyidai.models import (
    DisputeStatus,
    ImportStatus,
    SyncStatus,
)

Statement = Annotated[str, Meta(min_length=5, max_length=2000)]


# --- public records and disputes ----------------------------------------------------------------
class RecordOut(msgspec.Struct, kw_only=True):
    id: UUID
    record_type: RecordType
    severity: Severity | None
    grade: str | None
    document_no: str
    decision_date: dt.date
    publish_until: dt.date | None
    authority: str
    description: str
    status: RecordStatus
    negative: bool
    source: str
    provider_ref: str
    fetched_at: dt.datetime


class DisputeCreate(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    record_id: UUID
    reason: Statement


class Correction(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    description: Annotated[str, Meta(min_length=1, max_length=4000)] | UnsetType = UNSET
    severity: Severity | UnsetType = UNSET
    decision_date: dt.date | UnsetType = UNSET
    publish_until: dt.date | UnsetType = UNSET
    authority: Annotated[str, Meta(min_length=1, max_length=200)] | UnsetType = UNSET


class DisputeResolve(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    outcome: Literal["corrected", "withdrawn", "upheld"]
    resolution: Statement
    correction: Correction | None = None


class RepairRequest(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    note: Statement


class DisputeOut(msgspec.Struct, kw_only=True):
    id: UUID
    record_id: UUID
    enterprise_id: UUID
    reason: str
    raised_at: dt.datetime
    due_on: dt.date
    overdue: bool
    status: DisputeStatus
    resolution: str | None
    resolved_at: dt.datetime | None
    enterprise_name: Annotated[
        str | None, Meta(description="The office's queue: whose dispute it is")
    ] = None
    enterprise_uscc: str | None = None


# --- monthly series -----------------------------------------------------------------------------
class SeriesMonth(msgspec.Struct, kw_only=True):
    period: str
    values: dict[str, Any]
    source: str
    provider_ref: str
    fetched_at: dt.datetime
    authorization_id: UUID


class SeriesOut(msgspec.Struct, kw_only=True):
    family: Family
    first: str
    last: str
    months: list[SeriesMonth]


# --- sync runs ----------------------------------------------------------------------------------
class SyncRunOut(msgspec.Struct, kw_only=True):
    job_id: UUID
    status: SyncStatus
    trigger: str
    families: list[str]
    records_added: int
    error: str | None
    requested_at: dt.datetime
    finished_at: dt.datetime | None


# --- the credit office's imports ----------------------------------------------------------------
class RejectedRow(msgspec.Struct):
    row: int
    reason: str


class ImportOut(msgspec.Struct, kw_only=True):
    id: UUID
    filename: str
    status: ImportStatus
    accepted: int
    updated: int
    unchanged: int
    rejected_count: int
    rejected: list[RejectedRow]
    error: str | None
    submitted_at: dt.datetime
    finished_at: dt.datetime | None
