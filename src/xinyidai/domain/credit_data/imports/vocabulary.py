"""The import's vocabulary: its columns and their aliases, record types, severities, statuses
and grades with the names Chinese exports give them, and the types of its results."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any, NamedTuple
from uuid import UUID

import msgspec

from xinyidai.enums import RecordStatus, RecordType, Severity

SOURCE = "public_credit_import"
BATCH_SIZE = 50_000
SNIFF_BYTES = 1 << 20
DESCRIPTION_MAX = 20_000
PROVIDER_REF_MAX = 200

# --- columns ------------------------------------------------------------------------------------
# Canonical field order of a raw row (what the readers hand to the validator).
FIELDS = (
    "uscc",
    "name",
    "record_type",
    "document_no",
    "decision_date",
    "authority",
    "severity",
    "description",
    "publish_until",
    "grade",
    "status",
)
REQUIRED_COLUMNS = ("uscc", "name", "record_type", "document_no", "decision_date", "authority")
ALIASES: dict[str, str] = {
    alias: canonical
    for canonical, aliases in {
        "uscc": ("uscc", "统一社会信用代码", "社会信用代码", "信用代码"),
        "name": ("name", "subject_name", "主体名称", "企业名称", "名称"),
        "record_type": ("record_type", "type", "信息类别", "类别", "信息类型"),
        "document_no": ("document_no", "决定文书号", "文书号", "决定书文号"),
        "decision_date": ("decision_date", "决定日期"),
        "authority": ("authority", "决定机关", "决定机关名称"),
        "severity": ("severity", "失信程度"),
        "description": ("description", "内容", "主要内容"),
        "publish_until": ("publish_until", "公示截止期", "公示截止日期", "公示期限"),
        "grade": ("grade", "信用等级", "等级"),
        "status": ("status", "状态"),
    }.items()
    for alias in aliases
}

# What each spelling of a record type, severity and status in a file stands for. The canonical
# values are the enums' own (``xinyidai.enums``); the validator looks them up as plain strings.
RECORD_TYPES: dict[str, RecordType] = {
    **{t.value: t for t in RecordType},
    "行政许可": RecordType.ADMIN_LICENCE,
    "行政处罚": RecordType.ADMIN_PENALTY,
    "严重失信主体名单": RecordType.SERIOUS_DISHONESTY,
    "严重失信主体": RecordType.SERIOUS_DISHONESTY,
    "严重失信": RecordType.SERIOUS_DISHONESTY,
    "失信被执行人": RecordType.DISHONEST_DEBTOR,
    "经营异常名录": RecordType.ABNORMAL_OPERATION,
    "经营异常": RecordType.ABNORMAL_OPERATION,
    "红名单": RecordType.RED_LIST,
    "守信红名单": RecordType.RED_LIST,
    "荣誉": RecordType.RED_LIST,
    "纳税信用等级": RecordType.TAX_GRADE,
    "海关信用等级": RecordType.CUSTOMS_GRADE,
    "海关企业信用等级": RecordType.CUSTOMS_GRADE,
    "环境信用等级": RecordType.ENVIRONMENTAL_GRADE,
    "企业环境信用等级": RecordType.ENVIRONMENTAL_GRADE,
    "环保信用等级": RecordType.ENVIRONMENTAL_GRADE,
    "信用承诺": RecordType.CREDIT_COMMITMENT,
}
SEVERITIES: dict[str, Severity] = {
    **{s.value: s for s in Severity},
    "轻微": Severity.MINOR,
    "轻微失信": Severity.MINOR,
    "一般": Severity.GENERAL,
    "一般失信": Severity.GENERAL,
    "严重": Severity.SERIOUS,
    "严重失信": Severity.SERIOUS,
}
# A file may only say that a record is active (the default) or repaired.
STATUSES: dict[str, RecordStatus] = {
    "": RecordStatus.ACTIVE,
    "active": RecordStatus.ACTIVE,
    "有效": RecordStatus.ACTIVE,
    "正常": RecordStatus.ACTIVE,
    "repaired": RecordStatus.REPAIRED,
    "已修复": RecordStatus.REPAIRED,
    "修复": RecordStatus.REPAIRED,
    "信用修复": RecordStatus.REPAIRED,
}

# --- grades -------------------------------------------------------------------------------------
GRADES: dict[RecordType, tuple[str, ...]] = {
    RecordType.TAX_GRADE: ("A", "B", "M", "C", "D"),
    RecordType.CUSTOMS_GRADE: ("AA", "A", "B", "C"),
    RecordType.ENVIRONMENTAL_GRADE: ("green", "blue", "yellow", "red", "black"),
}
GRADE_TYPES = tuple(GRADES)  # the record types that carry a grade
_GRADE_ALIASES: dict[str, dict[str, str]] = {
    RecordType.TAX_GRADE: {g: g for g in ("A", "B", "M", "C", "D")},
    RecordType.CUSTOMS_GRADE: {
        "AA": "AA",
        "高级认证": "AA",
        "高级认证企业": "AA",
        "AEO高级认证": "AA",
        "AEO高级认证企业": "AA",
        "AEO-AA": "AA",
        "AEOAA": "AA",
        "A": "A",
        "一般认证": "A",
        "一般认证企业": "A",
        "AEO一般认证": "A",
        "AEO一般认证企业": "A",
        "AEO-A": "A",
        "AEOA": "A",
        "B": "B",
        "一般信用": "B",
        "一般信用企业": "B",
        "C": "C",
        "失信": "C",
        "失信企业": "C",
    },
    RecordType.ENVIRONMENTAL_GRADE: {
        **{g.upper(): g for g in ("green", "blue", "yellow", "red", "black")},
        **{
            alias: grade
            for grade, aliases in {
                "green": ("绿", "绿牌", "绿色", "环保诚信", "环保诚信企业", "诚信"),
                "blue": ("蓝", "蓝牌", "蓝色", "环保良好", "环保良好企业", "良好"),
                "yellow": ("黄", "黄牌", "黄色", "环保警示", "环保警示企业", "警示"),
                "red": ("红", "红牌", "红色", "环保不良", "环保不良企业", "不良"),
                "black": ("黑", "黑牌", "黑色", "环保严重失信", "环保严重失信企业", "严重失信"),
            }.items()
            for alias in aliases
        },
    },
}
# Reading a grade out of free text (a description, or a wordy grade cell); first match wins.
_GRADE_PATTERNS: dict[str, tuple[tuple[re.Pattern[str], str | None], ...]] = {
    RecordType.TAX_GRADE: ((re.compile(r"(?<![A-Za-z])([ABMCD])\s*级"), None),),
    RecordType.CUSTOMS_GRADE: (
        (re.compile(r"高级认证|AEO\s*-?\s*AA"), "AA"),
        (re.compile(r"一般认证"), "A"),
        (re.compile(r"失信"), "C"),
        (re.compile(r"一般信用"), "B"),
    ),
    RecordType.ENVIRONMENTAL_GRADE: (
        (re.compile(r"黑牌|严重失信"), "black"),
        (re.compile(r"红牌|环保不良"), "red"),
        (re.compile(r"黄牌|环保警示"), "yellow"),
        (re.compile(r"蓝牌|环保良好"), "blue"),
        (re.compile(r"绿牌|环保诚信"), "green"),
    ),
}


def canonical_grade(record_type: str, raw: str) -> str | None:
    """The canonical grade for ``raw`` (a grade cell or a description), or None."""
    aliases = _GRADE_ALIASES[record_type]
    key = raw.strip().upper().replace(" ", "").removesuffix("级")
    found = aliases.get(key)
    if found is not None:
        return found
    for pattern, grade in _GRADE_PATTERNS[record_type]:
        match = pattern.search(raw)
        if match:
            return grade if grade is not None else match.group(1)
    return None


# --- results ------------------------------------------------------------------------------------
class ParsedRow(NamedTuple):
    """A valid row, normalised; its fields are the staging table's columns, so it is COPied
    as it is."""

    id: Any  # the UUIDv7 the record gets if it is new
    row: int
    uscc: str
    subject_name: str
    record_type: str
    severity: str | None
    grade: str | None
    document_no: str
    decision_date: dt.date
    publish_until: dt.date | None
    authority: str
    description: str
    status: str  # "active" or "repaired", as the file says
    content_hash: str


class Rejection(msgspec.Struct, frozen=True):
    """A row that was not imported, and why."""

    row: int
    reason: str


RejectedRow = Rejection


class ImportReport(msgspec.Struct, dict=True):
    """What an import did. Encodes (msgspec) to exactly ``{accepted, updated, unchanged,
    rejected}``; ``touched_usccs`` and ``import_id`` are attributes outside the encoded form."""

    accepted: int = 0  # new records
    updated: int = 0  # known document_no, content changed
    unchanged: int = 0  # known document_no, same content
    rejected: list[Rejection] = msgspec.field(default_factory=list)

    @property
    def touched_usccs(self) -> set[str]:
        """USCCs with a record inserted, updated or re-statused (old and new USCC when an update
        moved a record to another subject): the profiles to rebuild."""
        touched: set[str] | None = self.__dict__.get("touched_usccs")
        if touched is None:
            touched = self.__dict__["touched_usccs"] = set()
        return touched

    @property
    def import_id(self) -> UUID | None:
        """The ``credit_imports`` row the records point to."""
        return self.__dict__.get("import_id")


class ImportFileError(Exception):
    """The file cannot be read at all (missing, not text, no usable header)."""


def _duplicate_reason(document_no: str, first_row: int) -> str:
    return f"document_no: {document_no!r} repeats row {first_row}"
