"""Bulk import of public credit information (公共信用信息) from CSV or JSON Lines exports.

Two halves:

* **Parsing and validation** (pure, no database): :func:`parse_rows` turns a file into
  :class:`ParsedRow` (normalised, ready to store, with its content hash) or :class:`Rejection`
  (row number and reason), one per data row. :meth:`Validator.check` is the rule, row by row;
  :meth:`Validator.check_batch` gives exactly the same results for a batch of rows a column at a
  time (C-level builtins over whole columns, Python code per *distinct* value), and sends only
  the rows that need it through ``check``: rows with odd text are normalised one by one, and
  every failing row gets its reason from ``check`` itself.
* **Loading** (:func:`import_public_credit`): the parser encodes each batch of ``BATCH_SIZE``
  valid rows as PostgreSQL *binary* COPY data, exactly as ``public_records`` stores them (ids,
  provenance, content hash), so PostgreSQL converts nothing and the process that talks to it
  only forwards bytes.

  - Into a table that was empty when the import began (the first bulk load) the import holds
    ``public_records`` exclusively (another import waits, then merges), drops its indexes and
    the constraints on them (primary key included, with the foreign keys that reference it),
    COPies every row straight in and builds them once at the end: a sorted build per index
    costs a fraction of a million index inserts. When the unique index fails to build, the
    file repeats document numbers across batches: the later rows are rejected and deleted, and
    the indexes built again.
  - Otherwise rows are COPied into a temporary staging table and merged by one set-based
    ``INSERT … SELECT … ON CONFLICT (document_no) DO UPDATE … WHERE content_hash differs``,
    counting inserted and updated rows with ``xmax = 0``.
* **Parsing in separate processes**: files of at least ``PARSER_PROCESS_BYTES`` are parsed by
  child Python processes (``sys.executable``, importing this module without the ORM) that write
  the batches' COPY data to pipes, so that parsing overlaps PostgreSQL's work. Into an empty
  table there are ``PARSER_PROCESSES`` of them, each taking a *part* of the file: a byte range
  of plain CSV (cut at line starts; each process reads only its range), or every n-th block of
  rows of other files. Repeats of a document number across parts are found by the loader, as
  are repeats across batches. A merge into a filled table keeps one process (it needs the rows
  in file order). Smaller files and in-memory sources are parsed in a worker
  thread. All run the same code; the loader reads at most about one batch ahead per process.

Conventions:

* **Row numbers** are 1-based data-row numbers. In CSV the header is row 0, so row *n* is the
  *n*-th record after the header; it is physical line *n + 1* unless a quoted field spans lines.
  Blank lines are skipped but keep their number. In JSON Lines, row *n* is line *n*.
* **Encoding**: UTF-8 (with or without BOM), or GB18030 when the first MiB of the file is mostly
  not UTF-8. Bytes that do not decode reject their row, not the file.
* **Text**: NFC-normalised, runs of whitespace (including TAB, CR, LF) collapsed to one space;
  any other control character (Unicode category Cc) rejects the row.
* **Dates**: ``YYYY-MM-DD``, ``YYYY/MM/DD``, ``YYYY.MM.DD``, ``YYYYMMDD``, ``YYYY年MM月DD日``
  (month and day may have one digit except in ``YYYYMMDD``). ``decision_date`` may not be after
  today (China Standard Time); ``publish_until`` may not be before ``decision_date``.
* **Grades** are stored in canonical form (``GRADES``): tax ``A B M C D`` (纳税信用等级);
  customs ``AA`` 高级认证企业 (AEO advanced), ``A`` 一般认证企业 (general AEO, abolished in 2021,
  still in older data), ``B`` 一般信用企业, ``C`` 失信企业; environment ``green blue yellow red
  black`` (绿牌 环保诚信, 蓝牌 环保良好, 黄牌 环保警示, 红牌 环保不良, 黑牌 环保严重失信). When the
  ``grade`` column is missing or empty, the grade is read from the description ("A级", "绿牌", …).
* **Status**: a row may say ``active`` (default) or ``repaired``. An import never moves a record
  back to ``active`` and never touches a ``disputed`` or ``withdrawn`` record's status; a
  ``repaired`` row marks an ``active`` or ``expired`` record ``repaired``.
* **Unchanged detection**: ``content_hash`` is the SHA-256 of the normalised content (every stored
  field from the file, including the row's status; not the provenance). A known ``document_no``
  whose hash equals the stored one is ``unchanged`` and not written at all.
* **Duplicates**: a ``document_no`` repeated within the file rejects the later rows, naming the
  first. Within a batch the parser finds them; across batches (and parser processes) the
  database does, so client memory stays bounded: into an empty table the unique index that is
  built at the end finds them (see above); into a filled table, a temporary table of the file's
  document numbers does it.

Transactions: :func:`import_public_credit` runs inside the caller's transaction and never
commits: the whole file is one transaction, so a failure (or a crash, of either process) leaves
nothing behind, dropped indexes included, and the caller decides. PostgreSQL handles a
million-row transaction comfortably, and the client only ever holds a batch or two. The first
bulk load keeps readers of ``public_records`` waiting until the caller commits (it holds the
table exclusively); later imports take only row locks.
"""

from __future__ import annotations

import asyncio
import codecs
import contextlib
import csv
import datetime as dt
import hashlib
import io
import operator
import os
import re
import struct
import sys
import time
import unicodedata
from collections.abc import AsyncGenerator, AsyncIterator, Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from itertools import repeat
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any, NamedTuple
from uuid import UUID

import msgspec
import numpy as np

from xinyidai.domain.enterprises.codes import (
    USCC_ALPHABET,
    USCC_WEIGHTS,
    CodeError,
    validate_uscc,
)

try:  # UUIDv7 like the ORM's primary keys (Advanced Alchemy uses uuid-utils when installed)
    from uuid_utils import uuid7 as _uuid7

    _new_id: Callable[[], Any] = _uuid7
except ImportError:  # pragma: no cover
    from uuid import uuid4 as _new_id

if TYPE_CHECKING:
    import asyncpg
    from sqlalchemy.ext.asyncio import AsyncSession

SOURCE = "public_credit_import"
BATCH_SIZE = 50_000
SNIFF_BYTES = 1 << 20
DESCRIPTION_MAX = 20_000
PROVIDER_REF_MAX = 200
CHINA_TZ = dt.timezone(dt.timedelta(hours=8), "CST")

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

# Record types, severities and statuses are the values of ``xinyidai.models.credit_data``'s
# RecordType, Severity and RecordStatus, as plain strings (a StrEnum member hashes and compares
# as its value, so callers may pass either): the parser process must not import the ORM models,
# whose import takes seconds (tests check that these tables agree with the models).
RECORD_TYPE_VALUES = (
    "admin_licence",
    "admin_penalty",
    "serious_dishonesty",
    "dishonest_debtor",
    "abnormal_operation",
    "red_list",
    "tax_grade",
    "customs_grade",
    "environmental_grade",
    "credit_commitment",
)
# Types that need a severity (models.credit_data.NEGATIVE_TYPES).
NEGATIVE_RECORD_TYPES = frozenset(
    {"admin_penalty", "serious_dishonesty", "dishonest_debtor", "abnormal_operation"}
)
RECORD_TYPES: dict[str, str] = {
    **{t: t for t in RECORD_TYPE_VALUES},
    "行政许可": "admin_licence",
    "行政处罚": "admin_penalty",
    "严重失信主体名单": "serious_dishonesty",
    "严重失信主体": "serious_dishonesty",
    "严重失信": "serious_dishonesty",
    "失信被执行人": "dishonest_debtor",
    "经营异常名录": "abnormal_operation",
    "经营异常": "abnormal_operation",
    "红名单": "red_list",
    "守信红名单": "red_list",
    "荣誉": "red_list",
    "纳税信用等级": "tax_grade",
    "海关信用等级": "customs_grade",
    "海关企业信用等级": "customs_grade",
    "环境信用等级": "environmental_grade",
    "企业环境信用等级": "environmental_grade",
    "环保信用等级": "environmental_grade",
    "信用承诺": "credit_commitment",
}
SEVERITIES: dict[str, str] = {
    **{s: s for s in ("minor", "general", "serious")},
    "轻微": "minor",
    "轻微失信": "minor",
    "一般": "general",
    "一般失信": "general",
    "严重": "serious",
    "严重失信": "serious",
}
STATUSES: dict[str, str] = {
    "": "active",
    "active": "active",
    "有效": "active",
    "正常": "active",
    "repaired": "repaired",
    "已修复": "repaired",
    "修复": "repaired",
    "信用修复": "repaired",
}

# --- grades -------------------------------------------------------------------------------------
GRADE_TYPES = ("tax_grade", "customs_grade", "environmental_grade")
GRADES: dict[str, tuple[str, ...]] = {
    "tax_grade": ("A", "B", "M", "C", "D"),
    "customs_grade": ("AA", "A", "B", "C"),
    "environmental_grade": ("green", "blue", "yellow", "red", "black"),
}
_GRADE_ALIASES: dict[str, dict[str, str]] = {
    "tax_grade": {g: g for g in ("A", "B", "M", "C", "D")},
    "customs_grade": {
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
    "environmental_grade": {
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
    "tax_grade": ((re.compile(r"(?<![A-Za-z])([ABMCD])\s*级"), None),),
    "customs_grade": (
        (re.compile(r"高级认证|AEO\s*-?\s*AA"), "AA"),
        (re.compile(r"一般认证"), "A"),
        (re.compile(r"失信"), "C"),
        (re.compile(r"一般信用"), "B"),
    ),
    "environmental_grade": (
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


# --- text, codes and dates ----------------------------------------------------------------------
# Cc characters other than TAB, LF and CR (which are whitespace, collapsed), and surrogates
# (bytes that did not decode arrive as U+DC80..U+DCFF through ``surrogateescape``).
_BAD_CHARS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff]")
_UNDECODABLE = re.compile(r"[\udc80-\udcff]")
_USCC_VALUE = {ch: i for i, ch in enumerate(USCC_ALPHABET)}
_DATE_RE = re.compile(
    r"(\d{4})(?:([-/.])(\d{1,2})\2(\d{1,2})|年(\d{1,2})月(\d{1,2})日?|(\d{2})(\d{2}))"
)
_CACHE_LIMIT = 100_000
_new_tuple = tuple.__new__
_sha256 = hashlib.sha256


def _lookup(table: dict[str, Any]) -> dict[str, str]:
    """``table`` with plain-string values and lower-cased keys added."""
    plain = {key: str(value) for key, value in table.items()}
    return {**{key.lower(): value for key, value in plain.items()}, **plain}


_TYPE_OF = _lookup(RECORD_TYPES)
_SEVERITY_OF = _lookup(SEVERITIES)
_STATUS_OF = _lookup(STATUSES)
_NEGATIVE = NEGATIVE_RECORD_TYPES
_GRADED = {str(t): t for t in GRADES}


def _uscc_tables() -> tuple[Any, Any]:
    """(value of each byte in the USCC alphabet or -1, the check weights), for numpy."""
    values = np.full(256, -1, dtype=np.int8)
    for i, ch in enumerate(USCC_ALPHABET):
        values[ord(ch)] = i
    return values, np.array(USCC_WEIGHTS, dtype=np.int64)


def _uscc_valid(code: str) -> bool:
    """GB 32100-2015 check for an upper-case 18-character code (fast path, no messages)."""
    v = _USCC_VALUE
    try:
        total = (
            v[code[0]]
            + 3 * v[code[1]]
            + 9 * v[code[2]]
            + 27 * v[code[3]]
            + 19 * v[code[4]]
            + 26 * v[code[5]]
            + 16 * v[code[6]]
            + 17 * v[code[7]]
            + 20 * v[code[8]]
            + 29 * v[code[9]]
            + 25 * v[code[10]]
            + 13 * v[code[11]]
            + 8 * v[code[12]]
            + 24 * v[code[13]]
            + 10 * v[code[14]]
            + 30 * v[code[15]]
            + 28 * v[code[16]]
        )
    except KeyError:
        return False
    return USCC_ALPHABET[(31 - total % 31) % 31] == code[17]


_USCC_VALUES, _USCC_WEIGHTS = _uscc_tables()


def parse_date(raw: str) -> dt.date:
    """A date in one of the accepted formats; raises ValueError otherwise."""
    match = _DATE_RE.fullmatch(raw.strip())
    if match is None:
        raise ValueError(
            f"{raw!r} is not a date (YYYY-MM-DD, YYYY/MM/DD, YYYYMMDD or YYYY年MM月DD日)"
        )
    year, _, m1, d1, m2, d2, m3, d3 = match.groups()
    month, day = (m1, d1) if m1 else (m2, d2) if m2 else (m3, d3)
    try:
        return dt.date(int(year), int(month), int(day))
    except ValueError:
        raise ValueError(f"{raw!r} is not a calendar date") from None


def _describe_bad_char(value: str) -> str:
    match = _BAD_CHARS.search(value)
    assert match is not None
    ch = match.group()
    if "\udc80" <= ch <= "\udcff":
        return "contains bytes that are not valid text in the file's encoding"
    return f"contains a control character (U+{ord(ch):04X})"


class Validator:
    """Validates and normalises raw rows. Holds small bounded caches (USCCs and dates repeat a
    lot in real exports), so use one instance per file."""

    def __init__(self, today: dt.date, *, new_id: Callable[[], Any] = _new_id) -> None:
        self.today = today
        self.new_id = new_id  # the loader numbers its ids per batch: it passes ``_no_id``
        self._usccs: dict[str, None] = {}
        self._dates: dict[str, tuple[dt.date, str] | tuple[None, str]] = {}

    @staticmethod
    def _date_entry(raw: str) -> tuple[dt.date, str] | tuple[None, str]:
        """(date, ISO text), or (None, why not)."""
        try:
            value = parse_date(raw)
        except ValueError as exc:
            return (None, str(exc))
        return (value, value.isoformat())

    def _date(self, raw: str) -> tuple[dt.date, str] | tuple[None, str]:
        """:meth:`_date_entry`, cached."""
        result = self._date_entry(raw)
        if len(self._dates) >= _CACHE_LIMIT:
            self._dates.clear()
        self._dates[raw] = result
        return result

    def check(self, row: int, raw: tuple[str, ...]) -> ParsedRow | str:
        """A :class:`ParsedRow` for the raw fields (in ``FIELDS`` order), or why the row is
        rejected."""
        joined = "".join(raw)
        if _BAD_CHARS.search(joined) is not None:
            for label, value in zip(FIELDS, raw, strict=True):
                if _BAD_CHARS.search(value):
                    return f"{label}: {_describe_bad_char(value)}"
        if not joined.isascii() and not unicodedata.is_normalized("NFC", joined):
            raw = tuple(unicodedata.normalize("NFC", value) for value in raw)
        (
            uscc,
            name,
            record_type,
            document_no,
            decision_date,
            authority,
            severity,
            description,
            publish_until,
            grade,
            status,
        ) = raw

        # USCC
        uscc = uscc.strip().upper()
        if uscc not in self._usccs:
            if len(uscc) != 18 or not _uscc_valid(uscc):
                if not uscc:
                    return "uscc: required"
                try:
                    validate_uscc(uscc)
                except CodeError as exc:
                    return f"uscc: {exc.message}"
                return "uscc: invalid"  # pragma: no cover - the fast path agrees with the rule
            if len(self._usccs) >= _CACHE_LIMIT:
                self._usccs.clear()
            self._usccs[uscc] = None

        # Required text
        name = " ".join(name.split())
        if not name:
            return "name: required"
        if len(name) > 200:
            return f"name: {len(name)} characters, at most 200"
        document_no = " ".join(document_no.split())
        if not document_no:
            return "document_no: required"
        if len(document_no) > 128:
            return f"document_no: {len(document_no)} characters, at most 128"
        authority = " ".join(authority.split())
        if not authority:
            return "authority: required"
        if len(authority) > 200:
            return f"authority: {len(authority)} characters, at most 200"
        description = " ".join(description.split())
        if len(description) > DESCRIPTION_MAX:
            return f"description: {len(description)} characters, at most {DESCRIPTION_MAX}"

        # Enums (plain-string tables: StrEnum.value is a slow descriptor)
        key = record_type.strip()
        rtype = _TYPE_OF.get(key) or _TYPE_OF.get(key.lower())
        if rtype is None:
            if not key:
                return "record_type: required"
            return f"record_type: unknown type {key!r}"
        key = severity.strip()
        sev: str | None = None
        if key:
            sev = _SEVERITY_OF.get(key) or _SEVERITY_OF.get(key.lower())
            if sev is None:
                return f"severity: unknown severity {key!r} (minor/general/serious, 轻微/一般/严重)"
        elif rtype in _NEGATIVE:
            return f"severity: required for {rtype}"
        key = status.strip()
        stat = _STATUS_OF.get(key) or _STATUS_OF.get(key.lower())
        if stat is None:
            return f"status: unknown status {key!r} (active/repaired, 有效/已修复)"

        # Grade
        grade_value: str | None = " ".join(grade.split()) or None
        graded = _GRADED.get(rtype)
        if graded is not None:
            if grade_value is not None:
                canonical = canonical_grade(graded, grade_value)
                if canonical is None:
                    allowed = "/".join(GRADES[graded])
                    return f"grade: unknown {rtype} grade {grade_value!r} ({allowed})"
            else:
                canonical = canonical_grade(graded, description) if description else None
                if canonical is None:
                    return f"grade: required for {rtype} (none in the description either)"
            grade_value = canonical
        elif grade_value is not None and len(grade_value) > 8:
            return f"grade: {len(grade_value)} characters, at most 8"

        # Dates
        dates = self._dates
        key = decision_date.strip()
        if not key:
            return "decision_date: required"
        decided, decided_iso = dates.get(key) or self._date(key)
        if decided is None:
            return f"decision_date: {decided_iso}"
        if decided > self.today:
            return f"decision_date: {decided_iso} is in the future"
        key = publish_until.strip()
        until: dt.date | None = None
        until_iso = ""
        if key:
            until, until_iso = dates.get(key) or self._date(key)
            if until is None:
                return f"publish_until: {until_iso}"
            if until < decided:
                return f"publish_until: {until_iso} is before decision_date {decided_iso}"

        digest = _sha256(
            "\x1f".join(
                (
                    uscc,
                    name,
                    rtype,
                    sev or "",
                    grade_value or "",
                    document_no,
                    decided_iso,
                    until_iso,
                    authority,
                    description,
                    stat,
                )
            ).encode()
        ).hexdigest()
        return _new_tuple(
            ParsedRow,
            (
                self.new_id(),
                row,
                uscc,
                name,
                rtype,
                sev,
                grade_value,
                document_no,
                decided,
                until,
                authority,
                description,
                stat,
                digest,
            ),
        )

    # --- whole batches ----------------------------------------------------------------------
    # ``check_batch`` gives exactly what ``check`` gives row by row, an order of magnitude
    # faster: it works a column at a time with C-level builtins (map, zip, set, dict, str
    # methods), runs Python code per *distinct* value (types, dates, USCCs repeat a lot) and
    # only sends rows that fail a test back through ``check``, which then words the reason.
    # Tests compare the two on generated rows.

    def check_batch(
        self, rows: list[int], raws: list[tuple[str, ...]]
    ) -> tuple[Records, list[Rejection]]:
        """:meth:`check_columns` for rows given as tuples."""
        return self.check_columns(rows, _columns(raws))

    def check_columns(
        self,
        rows: Sequence[int],
        fields: list[Sequence[str]],
        utf8: list[Sequence[bytes]] | None = None,
    ) -> tuple[Records, list[Rejection]]:
        """The valid rows of a batch as :class:`Records` (in row order, duplicates of a
        ``document_no`` within the batch rejected) and the rejected rows (in row order).
        ``fields`` holds a column per ``FIELDS`` entry; ``utf8``, when given, their UTF-8, from
        a reader that found no odd text in them (see ``_irregular``)."""
        rejected: list[Rejection] = []
        if not rows:
            return Records.empty(), rejected
        originals = _row_reader(fields)  # the row as the file gave it, for ``check``
        if utf8 is None:
            joined = [_SEP.join(column) for column in fields]
            if any(map(_irregular, joined)):
                raws = list(zip(*fields, strict=True))
                rows, raws, kept = self._regularise(list(rows), raws, rejected)
                if not raws:
                    return Records.empty(), rejected
                fields = _columns(raws)
                joined = [_SEP.join(column) for column in fields]
                originals = kept.__getitem__
            uscc_text = joined[0].upper()
            usccs = _split_joined(uscc_text, fields[0], str.upper)
            # The UTF-8 of the texts, for the content hash and the COPY data alike.
            texts = [
                _utf8_joined(text, column)
                for text, column in (
                    (uscc_text, usccs), (joined[1], fields[1]), (joined[3], fields[3]),
                    (joined[5], fields[5]), (joined[7], fields[7]),
                )
            ]  # fmt: skip
        else:
            usccs = list(fields[0])
            uscc_utf8: list[bytes] = list(utf8[0])
            if not "".join(usccs).isupper():  # lower-case letters (or none at all)
                usccs = list(map(str.upper, usccs))
                uscc_utf8 = _utf8_column(usccs)
            texts = [uscc_utf8, *(list(utf8[i]) for i in (1, 3, 5, 7))]
        (_, name_c, type_c, doc_c, decided_c, authority_c, severity_c, description_c,
         until_c, grade_c, status_c) = fields  # fmt: skip
        bad: set[int] = set()

        self._check_usccs(usccs, bad)
        for column, low, high in (
            (name_c, 1, 200),
            (doc_c, 1, 128),
            (authority_c, 1, 200),
            (description_c, 0, DESCRIPTION_MAX),
        ):
            _check_lengths(column, low, high, bad)
        rtypes = _mapped(type_c, _type_of, bad)
        severities = _mapped(list(zip(rtypes, severity_c, strict=True)), _severity_of, bad)
        statuses = _mapped(status_c, _status_of, bad)
        grades = self._grades(rtypes, grade_c, description_c, bad)
        decided, decided_iso, until, until_iso = self._dates_of(decided_c, until_c, bad)

        # One list per field, in Records order; then the ISO dates (for the hash) and the texts'
        # UTF-8.
        columns: list[list[Any]] = [
            list(rows), usccs, list(name_c), rtypes, severities, grades, list(doc_c), decided,
            until, list(authority_c), list(description_c), statuses, decided_iso, until_iso,
            *texts,
        ]  # fmt: skip
        if bad:
            for i in sorted(bad):
                reason = self.check(rows[i], originals(i))
                if not isinstance(reason, str):  # pragma: no cover - tests show they agree
                    raise RuntimeError(f"row {rows[i]}: the batch and row validators disagree")
                rejected.append(Rejection(rows[i], reason))
            columns = _take(columns, [i for i in range(len(rows)) if i not in bad])
        documents = columns[6]
        if len(set(documents)) != len(documents):
            columns = _take(columns, _first_occurrences(columns[0], documents, rejected))
        if rejected:
            rejected.sort(key=_by_row)
        (rows, usccs, _, rtypes, severities, grades, documents, decided, until, _,
         _, statuses, decided_iso, until_iso, *texts) = columns  # fmt: skip
        uscc_b, name_b, document_b, authority_b, description_b = texts
        short = _UTF8.__getitem__  # short values that repeat: types, grades, ISO dates, ...
        contents = zip(
            uscc_b, name_b, map(short, rtypes), map(short, severities), map(short, grades),
            document_b, map(short, decided_iso), map(short, until_iso), authority_b,
            description_b, map(short, statuses), strict=True,
        )  # fmt: skip
        hexes = b"".join(map(_digest, map(_sha256, map(b"\x1f".join, contents)))).hex()
        digests = _pieces(hexes, 64)
        records = Records._make([*columns[:12], digests, *texts, _utf8_column(digests)])
        return records, rejected

    def _regularise(
        self, rows: list[int], raws: list[tuple[str, ...]], rejected: list[Rejection]
    ) -> tuple[list[int], list[tuple[str, ...]], list[tuple[str, ...]]]:
        """Rows of a batch that has odd text somewhere: rows with control characters are
        rejected here; rows with odd whitespace or text not in NFC are normalised as ``check``
        normalises them. Returns (rows, normalised, originals) of the rest."""
        kept_rows: list[int] = []
        normalised: list[tuple[str, ...]] = []
        originals: list[tuple[str, ...]] = []
        for row, raw in zip(rows, raws, strict=True):
            text = _SEP.join(raw)
            if _irregular(text):
                if _BAD_CHARS.search(text) is not None:
                    reason = self.check(row, raw)
                    assert isinstance(reason, str)
                    rejected.append(Rejection(row, reason))
                    continue
                kept_rows.append(row)
                normalised.append(_normalised(raw))
            else:
                kept_rows.append(row)
                normalised.append(raw)
            originals.append(raw)
        return kept_rows, normalised, originals

    def _check_usccs(self, usccs: list[str], bad: set[int]) -> None:
        """Mark rows whose USCC fails GB 32100-2015 (length, characters, check character)."""
        text = "".join(usccs)
        n = len(usccs)
        if text.isascii() and set(map(len, usccs)) == {18}:  # the usual case: all at once
            values = _USCC_VALUES[np.frombuffer(text.encode(), dtype=np.uint8).reshape(n, 18)]
            body = values[:, :17].astype(np.int64)
            check = (31 - (body * _USCC_WEIGHTS).sum(axis=1) % 31) % 31
            valid = (body >= 0).all(axis=1) & (values[:, 17] == check)
            if not valid.all():
                bad.update(np.flatnonzero(~valid).tolist())
            return
        known = self._usccs
        new = set(usccs).difference(known)
        if not new:
            return
        invalid = {code for code in new if len(code) != 18 or not _uscc_valid(code)}
        if len(known) + len(new) >= _CACHE_LIMIT:
            known.clear()
        known.update(dict.fromkeys(new - invalid))
        if invalid:
            bad.update(i for i, code in enumerate(usccs) if code in invalid)

    def _grades(
        self,
        rtypes: list[str | None],
        grade_c: Sequence[str],
        description_c: Sequence[str],
        bad: set[int],
    ) -> list[str]:
        """The canonical grade of each row ("" for none)."""
        grades = list(grade_c)
        graded = [i for i, rtype in enumerate(rtypes) if rtype in _GRADED]
        if len(graded) < len(rtypes) and max(map(len, grade_c)) > 8:
            bad.update(i for i, g in enumerate(grade_c) if len(g) > 8 and rtypes[i] not in _GRADED)
        for i in graded:
            rtype = _GRADED[rtypes[i]]  # type: ignore[index]
            raw = grade_c[i] or description_c[i]
            canonical = canonical_grade(rtype, raw) if raw else None
            if canonical is None:
                bad.add(i)
            else:
                grades[i] = canonical
        return grades

    def _dates_of(
        self, decided_c: Sequence[str], until_c: Sequence[str], bad: set[int]
    ) -> tuple[list[Any], list[str], list[Any], list[str]]:
        """(decision dates, their ISO text, publication ends or None, their ISO text or "")."""
        dates = self._dates
        wanted = set(decided_c) | set(until_c)
        new = wanted.difference(dates)
        if len(dates) + len(new) >= _CACHE_LIMIT:
            dates.clear()
            new = wanted
        for raw in new:
            dates[raw] = self._date_entry(raw)
        dates[""] = (None, "")
        day = {raw: dates[raw][0] for raw in wanted}
        iso = {raw: dates[raw][1] for raw in wanted}
        decided = list(map(day.__getitem__, decided_c))
        decided_iso = list(map(iso.__getitem__, decided_c))
        until = list(map(day.__getitem__, until_c))
        until_iso = list(map(iso.__getitem__, until_c))
        today = self.today
        wrong = {raw for raw in set(decided_c) if (d := day[raw]) is None or d > today}
        if wrong:
            bad.update(i for i, raw in enumerate(decided_c) if raw in wrong)
        wrong = {raw for raw in set(until_c) if raw and day[raw] is None}
        if wrong:
            bad.update(i for i, raw in enumerate(until_c) if raw in wrong)
        # ISO dates compare as text; a missing end ("") compares after every date.
        ends = {raw: iso[raw] if raw else "~" for raw in set(until_c)}
        if any(map(operator.lt, map(ends.__getitem__, until_c), decided_iso)):
            bad.update(
                i
                for i, (d, u) in enumerate(zip(decided_iso, until_iso, strict=True))
                if u and u < d
            )
        return decided, decided_iso, until, until_iso


class Records(NamedTuple):
    """A batch's valid rows, a list per field (``ParsedRow``'s fields but the id; severity and
    grade are "" where ``ParsedRow`` has None)."""

    row: list[int]
    uscc: list[str]
    subject_name: list[str]
    record_type: list[str]
    severity: list[str]
    grade: list[str]
    document_no: list[str]
    decision_date: list[dt.date]
    publish_until: list[dt.date | None]
    authority: list[str]
    description: list[str]
    status: list[str]
    content_hash: list[str]
    # The UTF-8 of the longer texts (what the COPY data holds).
    uscc_utf8: list[bytes]
    subject_name_utf8: list[bytes]
    document_no_utf8: list[bytes]
    authority_utf8: list[bytes]
    description_utf8: list[bytes]
    content_hash_utf8: list[bytes]

    @classmethod
    def empty(cls) -> Records:
        return cls(*([] for _ in cls._fields))

    @property
    def size(self) -> int:
        return len(self.row)

    def parsed(self, new_id: Callable[[], Any]) -> Iterator[ParsedRow]:
        for (row, uscc, name, rtype, sev, grade, doc, decided, until, authority, description,
             status, digest) in zip(*self[:13], strict=True):  # fmt: skip
            yield ParsedRow(
                new_id(), row, uscc, name, rtype, sev or None, grade or None, doc, decided,
                until, authority, description, status, digest,
            )  # fmt: skip


# Batch helpers. ``_SEP`` joins a batch's fields into one text that a few C-level scans test at
# once: a printable character, rare in this data, that composes with nothing; a field holding
# it can only cause a false alarm (the row is then looked at on its own), never hide odd text.
_SEP = "\u00a6"  # BROKEN BAR


def _irregular(text: str, sep: str = _SEP, *, spaced: bool = True) -> bool:
    """Whether ``text`` (fields joined with ``sep``) may hold a control character, whitespace
    other than single inner spaces, or text not in NFC (NFC of the whole is NFC of each field:
    ``_SEP`` is a starter that composes with nothing). ``str.isprintable`` is false for every
    control character, surrogate and whitespace character but the space (and for a few more,
    such as format characters: those rows are then looked at on their own)."""
    return (
        not text.isprintable()
        or (
            spaced  # False: the caller knows there are no such spaces
            and (
                "  " in text
                or sep + " " in text
                or " " + sep in text
                or text.startswith(" ")
                or text.endswith(" ")
            )
        )
        or not (text.isascii() or unicodedata.is_normalized("NFC", text))
    )


def _normalised(raw: tuple[str, ...]) -> tuple[str, ...]:
    """``raw`` normalised as :meth:`Validator.check` normalises it."""
    joined = "".join(raw)
    if not joined.isascii() and not unicodedata.is_normalized("NFC", joined):
        raw = tuple(unicodedata.normalize("NFC", value) for value in raw)
    (uscc, name, rtype, doc, decided, authority, severity, description, until, grade,
     status) = raw  # fmt: skip
    return (
        uscc.strip(), " ".join(name.split()), rtype.strip(), " ".join(doc.split()),
        decided.strip(), " ".join(authority.split()), severity.strip(),
        " ".join(description.split()), until.strip(), " ".join(grade.split()), status.strip(),
    )  # fmt: skip


def _check_lengths(column: Sequence[str], low: int, high: int, bad: set[int]) -> None:
    lengths = list(map(len, column))
    if min(lengths) < low or max(lengths) > high:
        bad.update(i for i, n in enumerate(lengths) if n < low or n > high)


def _type_of(key: str) -> str | None:
    return _TYPE_OF.get(key) or _TYPE_OF.get(key.lower())


def _status_of(key: str) -> str | None:
    return _STATUS_OF.get(key) or _STATUS_OF.get(key.lower())


def _severity_of(pair: tuple[str | None, str]) -> str | None:
    """The canonical severity ("" for none), or None when the row's severity is wrong."""
    rtype, key = pair
    if key:
        return _SEVERITY_OF.get(key) or _SEVERITY_OF.get(key.lower())
    return None if rtype in _NEGATIVE else ""


def _mapped(column: Any, convert: Callable[[Any], str | None], bad: set[int]) -> list[Any]:
    """``convert`` applied to each value of ``column`` (once per distinct value); rows whose
    value converts to None are bad."""
    table = {value: convert(value) for value in set(column)}
    values = list(map(table.__getitem__, column))
    if None in table.values():
        bad.update(i for i, value in enumerate(values) if value is None)
    return values


class _Utf8Cache(dict[str, bytes]):
    """Short texts that repeat, as UTF-8 (made on first use; cleared when it grows large)."""

    def __missing__(self, text: str) -> bytes:
        if len(self) >= _CACHE_LIMIT:
            self.clear()
        data = self[text] = text.encode()
        return data


_UTF8 = _Utf8Cache()
_digest = operator.methodcaller("digest")


_SEP_UTF8 = _SEP.encode()


def _split_joined(text: str, values: Any, convert: Callable[[str], str]) -> list[str]:
    """``text`` (``values`` joined with ``_SEP``, then converted) split again; if a value held
    ``_SEP`` itself, each value converted instead."""
    parts = text.split(_SEP)
    return parts if len(parts) == len(values) else list(map(convert, values))


def _utf8_joined(text: str, values: Any) -> list[bytes]:
    """The UTF-8 of each of ``values``, from ``text`` (them joined with ``_SEP``)."""
    parts = text.encode().split(_SEP_UTF8)
    return parts if len(parts) == len(values) else [value.encode() for value in values]


def _utf8_column(values: list[str]) -> list[bytes]:
    """The UTF-8 of each value (valid rows hold no NUL characters), encoded at once."""
    if not values:
        return []
    return "\x00".join(values).encode().split(b"\x00")


def _take(columns: list[list[Any]], indices: list[int]) -> list[list[Any]]:
    return [[column[i] for i in indices] for column in columns]


def _first_occurrences(
    rows: list[int], documents: list[str], rejected: list[Rejection]
) -> list[int]:
    """Indices of the first row of each document number; the later ones are rejected."""
    first: dict[str, int] = {}
    keep: list[int] = []
    for i, (row, document_no) in enumerate(zip(rows, documents, strict=True)):
        earlier = first.setdefault(document_no, row)
        if earlier == row:
            keep.append(i)
        else:
            rejected.append(Rejection(row, _duplicate_reason(document_no, earlier)))
    return keep


_by_row = operator.attrgetter("row")

# --- reading files ------------------------------------------------------------------------------
Source = Path | str | bytes


def _open_binary(source: Source) -> IO[bytes]:
    if isinstance(source, bytes):
        return io.BytesIO(source)
    try:
        return Path(source).open("rb")
    except OSError as exc:
        raise ImportFileError(f"cannot open {source}: {exc.strerror or exc}") from exc


def detect_encoding(sample: bytes) -> str:
    """``utf-8-sig`` or ``gb18030``, decided from ``sample`` (the start of a file).

    UTF-8 unless the sample is mostly not UTF-8: a UTF-8 file with a few broken bytes stays
    UTF-8 (those rows are rejected) rather than being misread as GB18030, where most byte pairs
    decode to something.
    """
    text = codecs.getincrementaldecoder("utf-8-sig")("surrogateescape").decode(sample)
    undecodable = len(_UNDECODABLE.findall(text))
    if undecodable == 0:
        return "utf-8-sig"
    non_ascii = len(sample) - len(sample.decode("ascii", "ignore"))
    if undecodable * 10 < non_ascii:  # fewer than 10% of the non-ASCII bytes are broken
        return "utf-8-sig"
    try:
        codecs.getincrementaldecoder("gb18030")().decode(sample)
    except UnicodeDecodeError:
        raise ImportFileError("the file is neither UTF-8 nor GB18030 text") from None
    return "gb18030"


def _is_jsonl(filename: str, sample: bytes) -> bool:
    suffix = Path(filename).suffix.lower()
    if suffix in (".jsonl", ".ndjson", ".json"):
        return True
    if suffix in (".csv", ".txt", ".tsv"):
        return False
    return sample.lstrip(b"\xef\xbb\xbf \t\r\n").startswith(b"{")


def _header_key(raw: str) -> str:
    return "".join(raw.replace("\ufeff", "").split()).lower()


RawRow = tuple[int, tuple[str, ...] | str | None]  # row number, fields | reason | None (blank)


def _csv_rows(stream: IO[bytes], encoding: str) -> Iterator[RawRow]:
    """Reads the header at once (ImportFileError if unusable); returns the data rows."""
    textio = io.TextIOWrapper(stream, encoding=encoding, errors="surrogateescape", newline="")
    reader = csv.reader(textio)
    try:
        header = next(reader)
    except StopIteration:
        raise ImportFileError("the file is empty: no header row") from None
    except csv.Error as exc:
        raise ImportFileError(f"the header row is not CSV: {exc}") from exc
    width, indices = _header(header)
    return _csv_body(reader, operator.itemgetter(*indices), width)


def _header(header: list[str]) -> tuple[int, list[int]]:
    """(number of columns, the column of each of ``FIELDS``); a missing optional column is
    ``width``, the empty cell appended to every row."""
    positions: dict[str, int] = {}
    for index, cell in enumerate(header):
        canonical = ALIASES.get(_header_key(cell))
        if canonical is None:
            continue  # extra columns are ignored
        if canonical in positions:
            raise ImportFileError(f"the header names the {canonical} column twice")
        positions[canonical] = index
    missing = [c for c in REQUIRED_COLUMNS if c not in positions]
    if missing:
        found = ", ".join(h.strip() for h in header)
        raise ImportFileError(
            f"the header lacks required column(s) {', '.join(missing)} (found: {found})"
        )
    width = len(header)
    return width, [positions.get(name, width) for name in FIELDS]


def _csv_body(
    reader: Iterator[list[str]], getter: Callable[[list[str]], Any], width: int, row: int = 0
) -> Iterator[RawRow]:
    """The rows of ``reader``, numbered from ``row`` + 1."""
    while True:
        row += 1
        try:
            cells = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            yield row, f"not valid CSV: {exc}"
            continue
        yield row, _shaped(cells, getter, width)


def _shaped(
    cells: list[str], getter: Callable[[list[str]], Any], width: int
) -> tuple[str, ...] | str | None:
    """A CSV record's fields in ``FIELDS`` order, or why it is rejected, or None (blank)."""
    if not any(cells):
        return None  # blank line, or only empty cells (spreadsheet exports)
    count = len(cells)
    if count != width:
        if count < width or any(c.strip() for c in cells[width:]):
            return f"has {count} fields, the header has {width}"
        del cells[width:]
    cells.append("")
    result: tuple[str, ...] = getter(cells)
    return result


class Block(NamedTuple):
    """Data rows read from a file: the readable ones as columns (one per ``FIELDS`` entry)."""

    rows: list[int]  # row numbers of the readable rows
    fields: list[Sequence[str]]
    unreadable: list[Rejection]
    rows_read: int  # data rows read so far in the file or its part (with rejected and blank ones)
    utf8: list[Sequence[bytes]] | None = None  # the fields' UTF-8, when no text in them is odd


def _blocks_of(rows: Iterable[RawRow], size: int) -> Iterator[Block]:
    numbers: list[int] = []
    raws: list[tuple[str, ...]] = []
    unreadable: list[Rejection] = []
    row = 0
    for row, raw in rows:
        if raw is None:
            continue
        if isinstance(raw, str):
            unreadable.append(Rejection(row, raw))
            continue
        numbers.append(row)
        raws.append(raw)
        if len(raws) >= size:
            yield Block(numbers, _columns(raws), unreadable, row)
            numbers, raws, unreadable = [], [], []
    if numbers or unreadable:
        yield Block(numbers, _columns(raws), unreadable, row)


def _row_reader(fields: list[Sequence[str]]) -> Callable[[int], tuple[str, ...]]:
    def row(i: int) -> tuple[str, ...]:
        return tuple(column[i] for column in fields)

    return row


def _columns(raws: list[tuple[str, ...]]) -> list[Sequence[str]]:
    return list(zip(*raws, strict=True)) if raws else [() for _ in FIELDS]


# Plain CSV (no quote characters, NUL bytes or lone carriage returns) is read in bulk: lines
# split at once, cells split at commas, exactly what the csv module gives for such text. The
# first stretch that is not plain, and the rest of the file after it, go through the csv module.
_READ_BYTES = 8 << 20
# Bytes that make a space next to them odd: before it (a doubled space, or a field or line that
# starts with one) and after it (a field or line that ends with one).
_SPACE_BEFORE = np.array([32, 44, 10], dtype=np.uint8)
_SPACE_AFTER = np.array([32, 44, 13, 10], dtype=np.uint8)


def _returns(chunk: bytes) -> tuple[int, bool]:
    """(carriage returns in ``chunk``, whether one of them is not followed by a line feed)."""
    if b"\r" not in chunk:  # memchr
        return 0, False
    data = np.frombuffer(chunk, dtype=np.uint8)
    at = np.flatnonzero(data == 13)
    if at[-1] == len(data) - 1:
        return len(at), True
    return len(at), bool((data[at + 1] != 10).any())


def _odd_spaces(chunk: bytes) -> bool:
    """Whether a chunk of whole CSV lines has a space that normalising would remove: doubled,
    or at the start or end of a field or line (the chunk's own start and end included)."""
    if b" " not in chunk:  # memchr: most Chinese exports have no spaces at all
        return False
    data = np.frombuffer(chunk, dtype=np.uint8)
    at = np.flatnonzero(data == 32)
    if at[0] == 0 or at[-1] == len(data) - 1:
        return True
    return bool(
        np.isin(data[at - 1], _SPACE_BEFORE).any() or np.isin(data[at + 1], _SPACE_AFTER).any()
    )


@dataclass
class _PlainCsv:
    start: int  # byte offset of the first data row
    encoding: str
    width: int
    indices: list[int]

    def blocks(
        self, stream: IO[bytes], size: int, part: int = 0, parts: int = 1
    ) -> Iterator[Block]:
        """Blocks of about ``size`` rows; with ``parts`` > 1 only the rows of byte range
        ``part`` of ``parts``, cut at line starts (only for data :meth:`splittable` found plain
        throughout)."""
        getter = operator.itemgetter(*self.indices)
        text_encoding = "utf-8" if self.encoding.startswith("utf-8") else self.encoding
        begin, end = self._range(stream, part, parts)
        before = self._lines_before(stream, begin)  # rows of the earlier ranges
        row = before
        stream.seek(begin)
        pending = b""
        while True:
            read = stream.read(min(_READ_BYTES, end - stream.tell()))
            data = pending + read if pending else read
            offset = stream.tell() - len(data)  # where ``data`` starts in the file
            cut = data.rfind(b"\n") + 1 if read else len(data)
            if read and cut == 0:
                pending = data  # a line longer than a read: read on
                continue
            chunk, pending = data[:cut], data[cut:]
            if chunk:
                returns, lone = _returns(chunk)
                if b'"' in chunk or b"\x00" in chunk or lone:
                    if parts > 1:
                        raise ImportFileError("the file changed while it was being read")
                    stream.seek(offset)
                    textio = io.TextIOWrapper(
                        stream, encoding=text_encoding, errors="surrogateescape", newline=""
                    )
                    rows = _csv_body(csv.reader(textio), getter, self.width, row)
                    yield from _blocks_of(rows, size)
                    return
                text = chunk.decode(text_encoding, "surrogateescape")
                if returns and returns != chunk.count(b"\n"):
                    text = text.replace("\r\n", "\n")  # line ends of both kinds
                    returns = 0
                lines = text.split("\r\n" if returns else "\n")
                if not lines[-1]:
                    lines.pop()  # the chunk ends with a line break
                spaced = _odd_spaces(chunk)
                for first in range(0, len(lines), size):
                    some = lines[first : first + size]
                    numbers = range(row + first + 1, row + first + len(some) + 1)
                    yield self._block(some, numbers, getter, numbers[-1] - before, spaced)
                row += len(lines)
            if not read:
                return

    def splittable(self, stream: IO[bytes]) -> bool:
        """Whether the data is plain throughout (no quote character, NUL or lone carriage
        return anywhere), so that every line start is a row start and the file can be read in
        byte ranges by several processes."""
        stream.seek(self.start)
        while chunk := stream.read(_READ_BYTES):
            if chunk.endswith(b"\r"):
                chunk += stream.read(1)  # the line feed that may follow
            if b'"' in chunk or b"\x00" in chunk or _returns(chunk)[1]:
                return False
        return True

    def _range(self, stream: IO[bytes], part: int, parts: int) -> tuple[int, int]:
        """Byte range ``part`` of ``parts`` of the data, both ends moved to line starts."""
        size = stream.seek(0, io.SEEK_END)
        data = size - self.start
        return (
            self._line_start(stream, self.start + data * part // parts, size),
            self._line_start(stream, self.start + data * (part + 1) // parts, size),
        )

    def _line_start(self, stream: IO[bytes], position: int, size: int) -> int:
        """The first line start at or after ``position`` (``size`` when there is none)."""
        if position <= self.start or position >= size:
            return min(max(position, self.start), size)
        stream.seek(position - 1)  # a line starts at ``position`` if a line feed precedes it
        while data := stream.read(1 << 16):
            found = data.find(b"\n")
            if found >= 0:
                return stream.tell() - len(data) + found + 1
        return size

    def _lines_before(self, stream: IO[bytes], position: int) -> int:
        """Line feeds in the data before ``position``: the rows of the earlier ranges."""
        stream.seek(self.start)
        count, left = 0, position - self.start
        while left > 0 and (data := stream.read(min(_READ_BYTES, left))):
            count += data.count(b"\n")
            left -= len(data)
        return count

    def _block(
        self,
        lines: list[str],
        numbers: range,
        getter: Callable[[list[str]], Any],
        rows_read: int,
        spaced: bool = True,
    ) -> Block:
        width = self.width
        n = len(lines)
        # Lines with ``width`` - 1 commas and at least ``width`` characters are rows of the
        # right width that are not blank: the usual case, split into columns all at once.
        if (
            n
            and min(map(len, lines)) >= width
            and set(map(str.count, lines, repeat(","))) == {width - 1}
        ):
            text = ",".join(lines)
            cells = text.split(",")
            empty = ("",) * n
            fields: list[Sequence[str]] = [
                cells[i::width] if i < width else empty for i in self.indices
            ]
            utf8: list[Sequence[bytes]] | None = None
            if not _irregular(text, ",", spaced=spaced):  # usually: the validator needs no joins
                data = text.encode().split(b",")
                utf8 = [data[i::width] if i < width else (b"",) * n for i in self.indices]
            return Block(list(numbers), fields, [], rows_read, utf8)
        shaped = (
            (number, _shaped(line.split(","), getter, width))
            for number, line in zip(numbers, lines, strict=True)
        )
        found = list(_blocks_of(shaped, max(n, 1)))
        block = found[0] if found else Block([], _columns([]), [], 0)
        return block._replace(rows_read=rows_read)


def _jsonl_rows(stream: IO[bytes], encoding: str) -> Iterator[RawRow]:
    decoder = msgspec.json.Decoder()
    utf8 = encoding.startswith("utf-8")
    for row, line in enumerate(stream, start=1):
        if row == 1 and line.startswith(codecs.BOM_UTF8):
            line = line[len(codecs.BOM_UTF8) :]
        if not line.strip():
            yield row, None
            continue
        try:
            obj = decoder.decode(line if utf8 else line.decode(encoding))
        except UnicodeDecodeError:
            yield row, "contains bytes that are not valid text in the file's encoding"
            continue
        except msgspec.DecodeError as exc:
            yield row, f"not valid JSON: {exc}"
            continue
        if not isinstance(obj, dict):
            yield row, "not a JSON object"
            continue
        values: dict[str, str] = {}
        reason = None
        for key, value in obj.items():
            canonical = ALIASES.get(_header_key(str(key)))
            if canonical is None:
                continue
            if value is None:
                value = ""
            elif isinstance(value, bool) or not isinstance(value, str | int | float):
                reason = f"{canonical}: must be a string"
                break
            values[canonical] = value if isinstance(value, str) else str(value)
        if reason is not None:
            yield row, reason
            continue
        missing = [c for c in REQUIRED_COLUMNS if c not in values]
        if missing:
            yield row, f"{missing[0]}: required"
            continue
        yield row, tuple(values.get(name, "") for name in FIELDS)


@dataclass
class ImportFile:
    """An open import file: format, encoding and its data rows (header already read)."""

    stream: IO[bytes]
    encoding: str
    jsonl: bool
    rows: Iterator[RawRow] | None  # read row by row (JSON Lines, and CSV that is not plain)
    plain: _PlainCsv | None = None  # plain CSV, read in bulk

    def blocks(self, size: int, part: int = 0, parts: int = 1) -> Iterator[Block]:
        """The data rows, about ``size`` at a time (of part ``part`` of ``parts``, see
        :func:`iter_batches`)."""
        if parts > 1:
            if self.plain is not None and self.plain.splittable(self.stream):
                return self.plain.blocks(self.stream, size, part, parts)
            return _every(self.blocks(size), part, parts)
        if self.plain is not None:
            return self.plain.blocks(self.stream, size)
        assert self.rows is not None
        return _blocks_of(self.rows, size)

    def close(self) -> None:
        self.stream.close()


def open_import(source: Source, filename: str) -> ImportFile:
    """Open ``source``, decide format and encoding and read the CSV header; raises
    :class:`ImportFileError` when the file cannot be read at all."""
    stream = _open_binary(source)
    try:
        sample = stream.read(SNIFF_BYTES)
        stream.seek(0)
        if not sample.strip():
            raise ImportFileError("the file is empty")
        encoding = detect_encoding(sample)
        jsonl = _is_jsonl(filename, sample)
        if jsonl:
            return ImportFile(stream, encoding, jsonl, _jsonl_rows(stream, encoding))
        end = sample.find(b"\n") + 1
        head = sample[:end]
        if end and b'"' not in head and b"\x00" not in head and b"\r" not in head[:-2]:
            header = next(csv.reader([head.decode(encoding, "surrogateescape")]), [])
            width, indices = _header(header)
            return ImportFile(
                stream, encoding, jsonl, None, _PlainCsv(end, encoding, width, indices)
            )
        return ImportFile(stream, encoding, jsonl, _csv_rows(stream, encoding))
    except BaseException:
        stream.close()
        raise


def _duplicate_reason(document_no: str, first_row: int) -> str:
    return f"document_no: {document_no!r} repeats row {first_row}"


def parse_rows(
    source: Source, filename: str, *, today: dt.date | None = None
) -> Iterator[ParsedRow | Rejection]:
    """Every data row of the file, validated, in row order: a :class:`ParsedRow` or a
    :class:`Rejection` (blank rows are skipped). Pure: no database. Duplicate ``document_no``
    values are detected over the whole file here (memory grows with the number of rows; the
    loader does this in the database instead)."""
    reader = open_import(source, filename)
    validator = Validator(today or china_today())
    seen: dict[str, int] = {}
    try:
        for batch in iter_batches(reader, validator):
            items: list[ParsedRow | Rejection] = list(batch.rejected)
            for record in batch.records.parsed(validator.new_id):
                first = seen.setdefault(record.document_no, record.row)
                if first != record.row:
                    items.append(
                        Rejection(record.row, _duplicate_reason(record.document_no, first))
                    )
                else:
                    items.append(record)
            items.sort(key=_by_row)
            yield from items
    finally:
        reader.close()


def china_today() -> dt.date:
    return dt.datetime.now(CHINA_TZ).date()


@dataclass
class Batch:
    records: Records
    rejected: list[Rejection]  # in row order
    rows_read: int  # data rows read so far in the file (including rejected and blank ones)
    last: bool  # no batch follows


def iter_batches(
    reader: ImportFile,
    validator: Validator,
    batch_size: int = BATCH_SIZE,
    *,
    part: int = 0,
    parts: int = 1,
) -> Iterator[Batch]:
    """Validate the file's rows about ``batch_size`` at a time; duplicates of a
    ``document_no`` within one batch are rejected here, duplicates across batches by the
    loader.

    With ``parts`` > 1, only part ``part`` of the rows: in plain CSV (no quote character, NUL
    or lone carriage return anywhere, so every line start is a row start) the rows of byte range
    ``part`` of ``parts``; in other files every ``parts``-th block of rows (each part then reads
    the whole file). Parser processes
    each take a part; repeats of a document number across parts are the loader's to find.
    A batch's ``rows_read`` counts the rows of its part only, so the parts' add up."""
    held: Block | None = None
    for block in reader.blocks(batch_size, part, parts):
        if held is not None:
            yield _batch(held, validator, last=False)
        held = block
    yield _batch(held or Block([], _columns([]), [], 0), validator, last=True)


def _every(blocks: Iterator[Block], part: int, parts: int) -> Iterator[Block]:
    """Blocks ``part``, ``part + parts``, ``part + 2 parts``, … of ``blocks``, with
    ``rows_read`` counting the rows of these blocks only."""
    done = before = 0
    for i, block in enumerate(blocks):
        span, before = block.rows_read - before, block.rows_read
        if i % parts == part:
            done += span
            yield block._replace(rows_read=done)


def _batch(block: Block, validator: Validator, *, last: bool) -> Batch:
    records, rejected = validator.check_columns(block.rows, block.fields, block.utf8)
    return Batch(records, _in_row_order(block.unreadable, rejected), block.rows_read, last)


def _in_row_order(first: list[Rejection], second: list[Rejection]) -> list[Rejection]:
    if not first:
        return second
    return sorted(first + second, key=_by_row)


# --- COPY data ----------------------------------------------------------------------------------
# The loader sends PostgreSQL binary COPY data, built by the parser (so PostgreSQL converts
# nothing and the process that talks to it only forwards bytes). Columns in this order: the
# row's own values, then values that repeat from row to row (each distinct one encoded once),
# then the run's constants.

_COPY_HEADER = b"PGCOPY\n\xff\r\n\x00" + bytes(8)  # signature, flags, header extension length
_COPY_TRAILER = b"\xff\xff"
_NULL = b"\xff\xff\xff\xff"
_PG_EPOCH = dt.datetime(2000, 1, 1, tzinfo=dt.UTC)
_PG_EPOCH_DAYS = _PG_EPOCH.date().toordinal()
_int32 = struct.Struct(">i").pack


def _text_field(value: str | None) -> bytes:
    if value is None:
        return _NULL
    data = value.encode()
    return _int32(len(data)) + data


def _date_field(value: dt.date | None) -> bytes:
    if value is None:
        return _NULL
    return struct.pack(">ii", 4, value.toordinal() - _PG_EPOCH_DAYS)


def _timestamp_field(value: dt.datetime) -> bytes:
    delta = value - _PG_EPOCH
    return struct.pack(">iq", 8, (delta.days * 86_400 + delta.seconds) * 10**6 + delta.microseconds)


def _uuid7_base() -> tuple[int, int]:
    """A new UUIDv7 (RFC 9562: Unix time in ms, version 7, variant, random bits) as its high
    and low 64 bits, the low 32 bits zero: ``low + i`` (``i < 2**32``) are UUIDv7s as well, in
    increasing order (RFC 9562's fixed-length counter), like the ORM's primary keys."""
    rand = int.from_bytes(os.urandom(6), "big")  # 12 bits of rand_a, 30 of rand_b
    high = (time.time_ns() // 1_000_000) << 16 | 0x7000 | rand >> 36
    low = 0b10 << 62 | (rand & 0x3FFFFFFF) << 32
    return high, low


def _no_id() -> None:
    return None


class _Encoder:
    """Encodes a batch's :class:`Records` as binary COPY data for ``public_records``
    (``RECORD_COLUMNS``) or a staging table (``STAGE_COLUMNS``), with the run's provenance,
    numbering the ids from a fresh UUIDv7 per batch.

    A column at a time, with no Python code per field: the texts arrive as UTF-8 (see
    ``Records``), fixed-size parts (field count, id, row number) come from one numpy array, values
    that repeat (date pairs; type, severity, grade and status with the run's provenance) are
    encoded once per distinct value, and the rows are laid out in one list and joined once.
    """

    def __init__(
        self, *, now: dt.datetime, import_id: UUID, ref_prefix: str, note: str, stage: bool
    ) -> None:
        stamp = _timestamp_field(now)
        run = _text_field(SOURCE) + stamp + _int32(16) + import_id.bytes + stamp + stamp
        self._tails = {"repaired": stamp + _text_field(note) + run, "active": _NULL + _NULL + run}
        self._ref_prefix = ref_prefix
        self.stage = stage  # every row goes through the staging table (the merge)
        self._dates: dict[tuple[dt.date, dt.date | None], bytes] = {}
        self._kinds: dict[tuple[str, str, str, str], bytes] = {}

    def encode(self, records: Records, *, stage: bool = False) -> bytes:
        """COPY data for ``public_records``, or with ``stage`` for a table of ``STAGE_COLUMNS``
        (the data row number first)."""
        n = records.size
        high, low = _uuid7_base()
        head = np.empty(n, dtype=_STAGE_HEAD_TYPE if stage else _RECORD_HEAD_TYPE)
        head["fields"] = len(STAGE_COLUMNS) if stage else len(RECORD_COLUMNS)
        head["id_length"] = 16
        head["id_high"] = high
        head["id_low"] = np.arange(low, low + n, dtype=np.uint64)
        if stage:
            head["row_length"] = 4
            head["row"] = records.row
        refs = _utf8_column(list(map(self._ref_prefix.__add__, map(str, records.row))))
        dates = self._cached(
            self._dates, list(zip(records.decision_date, records.publish_until, strict=True)),
            _date_pair,
        )  # fmt: skip
        kinds = self._cached(
            self._kinds,
            list(zip(records.record_type, records.severity, records.grade, records.status,
                     strict=True)),
            self._kind,
        )  # fmt: skip
        length = _LENGTHS.__getitem__
        columns: list[list[bytes]] = [
            _pieces(head.tobytes(), head.itemsize),
            dates,
            list(map(length, map(len, records.document_no_utf8))),
            records.document_no_utf8,
            list(map(length, map(len, records.description_utf8))),
            records.description_utf8,
            list(map(length, map(len, refs))),
            refs,
            [_HASH_LENGTH] * n,
            records.content_hash_utf8,
            [_USCC_LENGTH] * n,
            records.uscc_utf8,
            list(map(length, map(len, records.subject_name_utf8))),
            records.subject_name_utf8,
            list(map(length, map(len, records.authority_utf8))),
            records.authority_utf8,
            kinds,
        ]
        width = len(columns)
        flat: list[bytes] = [b""] * (width * n)
        for i, column in enumerate(columns):
            flat[i::width] = column
        out = io.BytesIO()  # writelines is several times faster than b"".join on many pieces
        out.write(_COPY_HEADER)
        out.writelines(flat)
        out.write(_COPY_TRAILER)
        return out.getvalue()

    @staticmethod
    def _cached(
        cache: dict[Any, bytes], keys: list[Any], encode: Callable[[Any], bytes]
    ) -> list[bytes]:
        """The encoding of each of ``keys``, encoding each distinct one once (``cache`` is
        cleared first when it would grow past ``_CACHE_LIMIT``)."""
        wanted = set(keys)
        new = wanted.difference(cache)
        if new:
            if len(cache) + len(new) > _CACHE_LIMIT:
                cache.clear()
                new = wanted
            for key in new:
                cache[key] = encode(key)
        return list(map(cache.__getitem__, keys))

    def _kind(self, key: tuple[str, str, str, str]) -> bytes:
        rtype, severity, grade, status = key
        return (
            _text_field(rtype) + _text_field(severity or None) + _text_field(grade or None)
            + _text_field(status) + self._tails[status]
        )  # fmt: skip


# COPY columns in the order _Encoder.encode writes them: fixed-size head, the date pair, texts,
# then the record's kind and the run's provenance.
RECORD_COLUMNS = (
    "id",
    "decision_date",
    "publish_until",
    "document_no",
    "description",
    "provider_ref",
    "content_hash",
    "uscc",
    "subject_name",
    "authority",
    "record_type",
    "severity",
    "grade",
    "status",
    "status_changed_at",
    "status_note",
    "source",
    "fetched_at",
    "import_id",
    "created_at",
    "updated_at",
)
STAGE_COLUMNS = ("row", *RECORD_COLUMNS)  # the staging table's: the data row number first
_RECORD_HEAD_TYPE = [("fields", ">i2"), ("id_length", ">i4"), ("id_high", ">u8"), ("id_low", ">u8")]
_STAGE_HEAD_TYPE = [
    ("fields", ">i2"), ("row_length", ">i4"), ("row", ">i4"), ("id_length", ">i4"),
    ("id_high", ">u8"), ("id_low", ">u8"),
]  # fmt: skip


def _pieces(data: Any, size: int) -> list[Any]:
    """``data`` (bytes or text) cut into pieces of ``size``."""
    return [data[i : i + size] for i in range(0, len(data), size)]


class _LengthCache(dict[int, bytes]):
    """A COPY field's length word (4 bytes, big-endian), made on first use."""

    def __missing__(self, length: int) -> bytes:
        data = self[length] = _int32(length)
        return data


_LENGTHS = _LengthCache()
_HASH_LENGTH = _LENGTHS[64]
_USCC_LENGTH = _LENGTHS[18]


def _date_pair(pair: tuple[dt.date, dt.date | None]) -> bytes:
    return _date_field(pair[0]) + _date_field(pair[1])


class _BatchInfo(msgspec.Struct, array_like=True):
    """What the loader needs of a batch besides its COPY data."""

    rows_read: int  # data rows read so far in the file or its part (see iter_batches)
    last: bool  # no batch follows
    rejected: list[Rejection]
    rows: int  # rows in the COPY data
    usccs: list[str]  # their distinct USCCs


@dataclass
class _Loadable:
    info: _BatchInfo
    data: bytes  # COPY data for public_records, or for the staging table (the merge)


def _encode_batches(batches: Iterator[Batch], encoder: _Encoder) -> Iterator[_Loadable]:
    for batch in batches:
        records = batch.records
        data = encoder.encode(records, stage=encoder.stage) if records.size else b""
        info = _BatchInfo(
            batch.rows_read, batch.last, batch.rejected, records.size, list(set(records.uscc))
        )
        yield _Loadable(info, data)


# --- the parser processes -----------------------------------------------------------------------
# Files of at least PARSER_PROCESS_BYTES are parsed in separate Python processes, so that parsing
# runs in parallel with PostgreSQL's work and the process that talks to PostgreSQL only forwards
# bytes. Smaller files and in-memory sources are parsed in a worker thread (a process costs
# about 0.2 s to start).
PARSER_PROCESS_BYTES = 8 << 20
# Parser processes for a file loaded into an empty table, each validating a part of the rows
# (see iter_batches).
PARSER_PROCESSES = max(1, min(4, os.cpu_count() or 1))
_PARSER_BOOT = "from xinyidai.domain.credit_data.imports.loader import _parser_main; _parser_main()"
_FRAME = struct.Struct(">ii")  # frame header: info length, data length (-1: an error)
_PARSER_READ_LIMIT = 16 << 20  # buffered ahead of the loader: about one batch


class _ParserJob(msgspec.Struct):
    path: str
    filename: str
    today: dt.date
    batch_size: int
    now: dt.datetime
    import_id: UUID
    ref_prefix: str
    note: str
    stage: bool
    part: int = 0
    parts: int = 1


def _parser_main() -> None:
    """The parser process: reads a :class:`_ParserJob` (msgpack) on stdin and writes frames on
    stdout: a header (``_FRAME``), the :class:`_BatchInfo` (msgpack) and the COPY data. Rows
    are parsed exactly as in process (same code); a failure ends with an error frame."""
    import gc

    out = os.fdopen(os.dup(1), "wb")
    os.dup2(2, 1)  # anything printed goes to stderr, not into the frames
    gc.disable()  # rows are acyclic; the collector would scan every batch again and again
    job = msgspec.msgpack.decode(sys.stdin.buffer.read(), type=_ParserJob)
    encode_info = msgspec.msgpack.Encoder().encode
    try:
        reader = open_import(Path(job.path), job.filename)
        try:
            encoder = _Encoder(
                now=job.now,
                import_id=job.import_id,
                ref_prefix=job.ref_prefix,
                note=job.note,
                stage=job.stage,
            )
            validator = Validator(job.today, new_id=_no_id)
            batches = iter_batches(
                reader, validator, job.batch_size, part=job.part, parts=job.parts
            )
            for item in _encode_batches(batches, encoder):
                info = encode_info(item.info)
                out.write(_FRAME.pack(len(info), len(item.data)))
                out.write(info)
                out.write(item.data)
                out.flush()
        finally:
            reader.close()
    except Exception as exc:  # reported to the loader, which raises it
        error = encode_info((type(exc).__name__, str(exc)))
        out.write(_FRAME.pack(len(error), -1))
        out.write(error)
    out.close()


async def _process_batches(job: _ParserJob) -> AsyncGenerator[_Loadable, None]:
    """The batches of ``job``'s file, parsed in a separate process (see :func:`_parser_main`).
    The process's output is read while the loader works, up to ``_PARSER_READ_LIMIT`` bytes
    ahead; it is killed if the import stops early."""
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-c",
        _PARSER_BOOT,
        stdin=asyncio.subprocess.PIPE,
        stdout=asyncio.subprocess.PIPE,
        limit=_PARSER_READ_LIMIT,
    )
    assert proc.stdin is not None and proc.stdout is not None
    decode_info = msgspec.msgpack.Decoder(_BatchInfo).decode
    finished = False
    try:
        # A process that died at once is reported below, from its exit status.
        with contextlib.suppress(ConnectionResetError, BrokenPipeError):
            proc.stdin.write(msgspec.msgpack.encode(job))
            await proc.stdin.drain()
            proc.stdin.close()
        while True:
            try:
                info_length, data_length = _FRAME.unpack(await proc.stdout.readexactly(8))
                info = await proc.stdout.readexactly(info_length)
                if data_length < 0:
                    kind, message = msgspec.msgpack.decode(info)
                    if kind == ImportFileError.__name__:
                        raise ImportFileError(message)
                    raise RuntimeError(f"the import's parser process failed: {kind}: {message}")
                data = await proc.stdout.readexactly(data_length)
            except asyncio.IncompleteReadError:
                code = await proc.wait()
                raise RuntimeError(
                    f"the import's parser process stopped unexpectedly (exit status {code})"
                ) from None
            item = _Loadable(decode_info(info), data)
            finished = item.info.last
            yield item
            if finished:
                break
    finally:
        if not finished and proc.returncode is None:
            with contextlib.suppress(ProcessLookupError):
                proc.kill()
        await proc.wait()


async def _thread_batches(batches: Iterator[_Loadable]) -> AsyncGenerator[_Loadable, None]:
    """``batches``, each next one made in a worker thread while the loader loads the last."""
    pending = asyncio.ensure_future(asyncio.to_thread(next, batches, None))
    try:
        while (item := await asyncio.shield(pending)) is not None:
            pending = asyncio.ensure_future(asyncio.to_thread(next, batches, None))
            yield item
    finally:
        # A thread cannot be interrupted: let it finish its batch (before the file is closed
        # under it) even when loading failed.
        if not pending.done():
            with contextlib.suppress(BaseException):
                await asyncio.shield(pending)


async def _interleaved(
    sources: list[AsyncGenerator[_Loadable, None]],
) -> AsyncGenerator[tuple[int, _Loadable], None]:
    """(source index, batch) from every source, whichever is ready first; all sources are
    closed at the end, or when one fails."""
    pending: dict[asyncio.Future[_Loadable], int] = {
        asyncio.ensure_future(anext(source)): i for i, source in enumerate(sources)
    }
    try:
        while pending:
            done, _ = await asyncio.wait(pending, return_when=asyncio.FIRST_COMPLETED)
            for future in done:
                i = pending.pop(future)
                try:
                    item = future.result()
                except StopAsyncIteration:
                    continue
                pending[asyncio.ensure_future(anext(sources[i]))] = i
                yield i, item
    finally:
        for future in pending:
            future.cancel()
        await asyncio.gather(*pending, return_exceptions=True)
        for source in sources:
            await source.aclose()


# --- loading ------------------------------------------------------------------------------------
STAGE = "credit_import_stage"  # temporary tables, dropped at the end (and on commit)
SEEN = "credit_import_seen"

_DROP_TEMP = "DROP TABLE IF EXISTS pg_temp.credit_import_stage, pg_temp.credit_import_seen"
_RECORD_COLUMN_LIST = ", ".join(RECORD_COLUMNS)
# A temporary table with public_records' column types, without indexes or constraints.
_CREATE_STAGE = (
    "CREATE TEMPORARY TABLE credit_import_stage ON COMMIT DROP AS "  # noqa: S608 - constants
    f"SELECT 0 AS row, {_RECORD_COLUMN_LIST} FROM public_records WITH NO DATA"
)
_ANY_RECORD = "SELECT EXISTS (SELECT 1 FROM public_records)"
# The first bulk load (into an empty public_records) holds the table exclusively and drops its
# indexes and the constraints built on them (primary key, unique constraints), with the foreign
# keys that reference them (they reference nothing: the table is empty), then builds them
# again at the end: one sorted build per index instead of a million index inserts, each with
# its own WAL record (PostgreSQL's own advice for populating a database). Rows are (create,
# drop) pairs of statements, in the order to drop them; they are built in the reverse order.
_LOAD_INDEXES = """
SELECT create_statement, drop_statement FROM (
    SELECT 1 AS step,
           format('ALTER TABLE %s ADD CONSTRAINT %I %s', c.conrelid::regclass, c.conname,
                  pg_get_constraintdef(c.oid)) AS create_statement,
           format('ALTER TABLE %s DROP CONSTRAINT %I', c.conrelid::regclass, c.conname)
               AS drop_statement
    FROM pg_constraint c
    WHERE c.confrelid = 'public_records'::regclass AND c.contype = 'f'
    UNION ALL
    SELECT 2, format('ALTER TABLE public_records ADD CONSTRAINT %I %s', c.conname,
                     pg_get_constraintdef(c.oid)),
           format('ALTER TABLE public_records DROP CONSTRAINT %I', c.conname)
    FROM pg_constraint c
    WHERE c.conrelid = 'public_records'::regclass AND c.contype IN ('p', 'u')
    UNION ALL
    SELECT 3, pg_get_indexdef(i.indexrelid), format('DROP INDEX %s', i.indexrelid::regclass)
    FROM pg_index i
    WHERE i.indrelid = 'public_records'::regclass
      AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = i.indexrelid)
) s ORDER BY step
"""
INDEX_BUILD_MEMORY = "256MB"  # maintenance_work_mem while the indexes are built again
_CREATE_SEEN = """
CREATE TEMPORARY TABLE IF NOT EXISTS credit_import_seen (
    document_no text COLLATE "C" PRIMARY KEY,
    row integer NOT NULL
) ON COMMIT DROP
"""
# Remember this batch's document numbers; returns how many were new to the file.
_REMEMBER = """
WITH fresh AS (
    INSERT INTO credit_import_seen (document_no, row)
    SELECT document_no, row FROM credit_import_stage
    ON CONFLICT (document_no) DO NOTHING
    RETURNING 1
)
SELECT count(*) FROM fresh
"""
# Rows of this batch whose document number an earlier batch of the file already had.
_DROP_REPEATS = """
DELETE FROM credit_import_stage s USING credit_import_seen x
WHERE x.document_no = s.document_no COLLATE "C" AND x.row <> s.row
RETURNING s.row, s.document_no, x.row AS first_row
"""
# The first bulk load writes every row; when the unique index cannot be built, the file repeats
# document numbers (within a parser process's batch they are rejected at once; across its
# batches, or across processes, only here): each repeated number with its rows' ids, row
# numbers (provider_ref ends with the row number) and USCCs.
_LOADED_REPEATS = """
SELECT document_no, array_agg(id), array_agg(provider_ref), array_agg(uscc)
FROM public_records GROUP BY document_no HAVING count(*) > 1
"""
_DROP_LOADED = "DELETE FROM public_records WHERE id = ANY($1::uuid[])"
# Of the given USCCs, those no record has (any more).
_GONE_USCCS = """
SELECT u.uscc FROM unnest($1::text[]) AS u(uscc)
WHERE NOT EXISTS (SELECT 1 FROM public_records p WHERE p.uscc = u.uscc)
"""
# The merge, into a table that had records before the import. Ids are UUIDv7s made by the
# parser (as the ORM makes them), so PostgreSQL spends no time on them.
# * a known document_no is updated only when its content hash differs;
# * an import only ever marks records repaired ('active' or 'expired' ones): disputed and
#   withdrawn records keep their status, and nothing goes back to 'active';
# * xmax = 0 tells an inserted row from an updated one;
# * an update may move a record to another subject: the old USCC is returned too (both
#   profiles change). Every CTE sees the table as before the batch; LATERAL … LIMIT 1 probes
#   the document_no index instead of scanning the table.
_MERGE = f"""
WITH moved AS (
    SELECT p.uscc FROM credit_import_stage s
    CROSS JOIN LATERAL (
        SELECT p.uscc FROM public_records p
        WHERE p.document_no = s.document_no AND p.uscc <> s.uscc LIMIT 1
    ) p
), up AS (
    INSERT INTO public_records AS p ({_RECORD_COLUMN_LIST})
    SELECT {_RECORD_COLUMN_LIST} FROM credit_import_stage
    ON CONFLICT (document_no) DO UPDATE SET
        uscc = EXCLUDED.uscc,
        subject_name = EXCLUDED.subject_name,
        record_type = EXCLUDED.record_type,
        severity = EXCLUDED.severity,
        grade = EXCLUDED.grade,
        decision_date = EXCLUDED.decision_date,
        publish_until = EXCLUDED.publish_until,
        authority = EXCLUDED.authority,
        description = EXCLUDED.description,
        status = CASE WHEN EXCLUDED.status = 'repaired' AND p.status IN ('active', 'expired')
            THEN 'repaired' ELSE p.status END,
        status_changed_at = CASE WHEN EXCLUDED.status = 'repaired'
            AND p.status IN ('active', 'expired') THEN EXCLUDED.status_changed_at
            ELSE p.status_changed_at END,
        status_note = CASE WHEN EXCLUDED.status = 'repaired' AND p.status IN ('active', 'expired')
            THEN EXCLUDED.status_note ELSE p.status_note END,
        source = EXCLUDED.source,
        provider_ref = EXCLUDED.provider_ref,
        fetched_at = EXCLUDED.fetched_at,
        import_id = EXCLUDED.import_id,
        content_hash = EXCLUDED.content_hash,
        updated_at = EXCLUDED.updated_at
    WHERE p.content_hash IS DISTINCT FROM EXCLUDED.content_hash
    RETURNING p.uscc, p.xmax = 0 AS inserted
)
SELECT
    (SELECT count(*) FROM up WHERE inserted) AS inserted,
    (SELECT count(*) FROM up WHERE NOT inserted) AS updated,
    ARRAY(SELECT uscc FROM up UNION SELECT uscc FROM moved) AS touched
"""  # noqa: S608 - constants


def provider_ref_prefix(filename: str) -> str:
    """``{filename}#row``, keeping the end of a long file name so refs fit their column."""
    room = PROVIDER_REF_MAX - len("#row") - 10  # up to 10 digits of row number
    return (filename if len(filename) <= room else filename[-room:]) + "#row"


def _ref_row(provider_ref: str) -> int:
    return int(provider_ref.rpartition("#row")[2])


async def import_public_credit(
    session: AsyncSession,
    source: Path | bytes,
    *,
    filename: str,
    import_id: UUID | None = None,
    on_progress: Callable[[int], None] | None = None,
    batch_size: int = BATCH_SIZE,
    today: dt.date | None = None,
    parser_process: bool | None = None,
) -> ImportReport:
    """Import one public-credit file into ``public_records`` inside the session's transaction.

    Never commits: the caller commits (or rolls back) the whole file. ``import_id`` names an
    existing ``credit_imports`` row; without one, a row is created for this run and filled in
    (status ``done``, counts, the first 1000 rejections) when the import finishes. Raises
    :class:`ImportFileError` when the file cannot be read at all (nothing is written then).
    ``on_progress`` receives the number of data rows processed so far after every batch.
    ``parser_process`` parses the file in a separate process (True), in a worker thread
    (False), or in a process for files of at least ``PARSER_PROCESS_BYTES`` (None).
    """
    from xinyidai.models.credit_data import CreditImport, ImportStatus

    reader = open_import(source, filename)  # ImportFileError before anything is written
    path = None if isinstance(source, bytes) else Path(source)
    if parser_process is None:
        parser_process = path is not None and path.stat().st_size >= PARSER_PROCESS_BYTES
    try:
        own_run: CreditImport | None = None
        if import_id is None:
            own_run = CreditImport(
                filename=filename[:255], status=ImportStatus.RUNNING, rejected=[]
            )
            session.add(own_run)
            await session.flush()
            import_id = own_run.id
        report = ImportReport()
        report.__dict__["import_id"] = import_id
        from xinyidai.infra.db import driver_connection

        loader = _Loader(await driver_connection(session), report, import_id)
        await loader.prepare()
        now = dt.datetime.now(dt.UTC)
        ref_prefix = provider_ref_prefix(filename)
        note = f"repaired by import {filename}"
        today = today or china_today()
        sources: list[AsyncGenerator[_Loadable, None]]
        if parser_process and path is not None:
            reader.close()
            # Into an empty table, several processes each validate a part of the file (the
            # loader finds repeats across parts); a merge keeps one process, as it needs the
            # file's rows in order.
            parts = PARSER_PROCESSES if loader.direct else 1
            jobs = [
                _ParserJob(
                    str(path),
                    filename,
                    today,
                    batch_size,
                    now,
                    import_id,
                    ref_prefix,
                    note,
                    stage=not loader.direct,
                    part=part,
                    parts=parts,
                )
                for part in range(parts)
            ]
            sources = [_process_batches(job) for job in jobs]
        else:
            encoder = _Encoder(
                now=now, import_id=import_id, ref_prefix=ref_prefix, note=note,
                stage=not loader.direct,
            )  # fmt: skip
            validator = Validator(today, new_id=_no_id)
            sources = [
                _thread_batches(
                    _encode_batches(iter_batches(reader, validator, batch_size), encoder)
                )
            ]
        positions = [0] * len(sources)  # rows read by each source (its part of the file)
        async with contextlib.aclosing(_interleaved(sources)) as batches:
            async for i, batch in batches:
                await loader.load(batch)
                positions[i] = batch.info.rows_read
                if on_progress is not None:
                    on_progress(sum(positions))
        await loader.finish()
    finally:
        reader.close()
    report.rejected.sort(key=operator.attrgetter("row"))
    if own_run is not None:
        own_run.status = ImportStatus.DONE
        own_run.accepted = report.accepted
        own_run.updated = report.updated
        own_run.unchanged = report.unchanged
        own_run.rejected_count = len(report.rejected)
        own_run.rejected = [{"row": r.row, "reason": r.reason} for r in report.rejected[:1000]]
        own_run.finished_at = dt.datetime.now(dt.UTC)
        await session.flush()
    return report


async def _copy(
    conn: asyncpg.Connection, table: str, columns: tuple[str, ...], data: memoryview
) -> None:
    """COPY binary ``data`` into ``table``."""

    async def chunks() -> AsyncIterator[memoryview]:
        for start in range(0, len(data), _COPY_CHUNK):
            yield data[start : start + _COPY_CHUNK]

    await conn.copy_to_table(table, source=chunks(), columns=columns, format="binary")


_COPY_CHUNK = 1 << 20


@dataclass
class _Loader:
    conn: asyncpg.Connection
    report: ImportReport
    import_id: UUID
    loaded: int = 0  # batches with records loaded so far
    direct: bool = False  # public_records was empty when the import began
    rebuild: list[str] = field(default_factory=list)  # statements building dropped indexes

    async def prepare(self) -> None:
        conn = self.conn
        await conn.execute(_DROP_TEMP)
        if not await conn.fetchval(_ANY_RECORD):
            # Another import may be loading the empty table: wait for it, then look again.
            await conn.execute("LOCK TABLE public_records IN ACCESS EXCLUSIVE MODE")
            self.direct = not await conn.fetchval(_ANY_RECORD)
        if self.direct:
            for create, drop in await conn.fetch(_LOAD_INDEXES):
                await conn.execute(drop)
                self.rebuild.insert(0, create)
        else:
            await conn.execute(_CREATE_STAGE)

    async def load(self, batch: _Loadable) -> None:
        info = batch.info
        self.report.rejected.extend(info.rejected)
        if not info.rows:
            return
        data = memoryview(batch.data)
        if self.direct:
            # Every row goes in; repeats of a document number are found at the end.
            await _copy(self.conn, "public_records", RECORD_COLUMNS, data)
            self.report.accepted += info.rows
            self.report.touched_usccs.update(info.usccs)
        else:
            await self._merge(info, data)
        self.loaded += 1

    async def _build_indexes(self) -> None:
        """Build the dropped indexes. When the unique one fails, the load holds repeated
        document numbers: they are dropped (the first row wins) and the indexes built again."""
        import asyncpg

        conn = self.conn
        memory = await conn.fetchval("SELECT current_setting('maintenance_work_mem')")
        await conn.execute(f"SET LOCAL maintenance_work_mem = '{INDEX_BUILD_MEMORY}'")
        await conn.execute("SAVEPOINT credit_import_indexes")
        try:
            for statement in self.rebuild:
                await conn.execute(statement)
        except asyncpg.UniqueViolationError:
            await conn.execute("ROLLBACK TO SAVEPOINT credit_import_indexes")
            gone = await self._drop_repeats_of_load()
            for statement in self.rebuild:
                await conn.execute(statement)
            if gone:  # USCCs only repeated rows had are not touched after all
                self.report.touched_usccs.difference_update(
                    r[0] for r in await conn.fetch(_GONE_USCCS, list(gone))
                )
        await conn.execute("RELEASE SAVEPOINT credit_import_indexes")
        await conn.execute("SELECT set_config('maintenance_work_mem', $1, true)", memory)

    async def _drop_repeats_of_load(self) -> set[str]:
        """Reject and delete the loaded rows that repeat the document number of an earlier row
        of the file; returns their USCCs."""
        report, ids, usccs = self.report, [], set()
        for document_no, row_ids, refs, row_usccs in await self.conn.fetch(_LOADED_REPEATS):
            rows = sorted(zip(map(_ref_row, refs), row_ids, row_usccs, strict=True))
            first = rows[0][0]
            for row, row_id, uscc in rows[1:]:
                report.rejected.append(Rejection(row, _duplicate_reason(document_no, first)))
                ids.append(row_id)
                usccs.add(uscc)
        await self.conn.execute(_DROP_LOADED, ids)
        report.accepted -= len(ids)
        return usccs

    async def _merge(self, info: _BatchInfo, data: memoryview) -> None:
        """Drop repeats of earlier batches, then insert new records and update changed ones."""
        conn, report = self.conn, self.report
        if self.loaded:
            await conn.execute("TRUNCATE credit_import_stage")
        await _copy(conn, STAGE, STAGE_COLUMNS, data)
        staged = info.rows
        repeats = await self._drop_repeats(info, staged)
        result = await conn.fetchrow(_MERGE)
        assert result is not None
        inserted, updated, touched = result
        report.accepted += inserted
        report.updated += updated
        report.unchanged += staged - repeats - inserted - updated
        report.touched_usccs.update(touched)

    async def _drop_repeats(self, info: _BatchInfo, staged: int) -> int:
        """Reject rows repeating a document_no of an earlier batch of the file; returns how
        many. Unchanged rows are not written, so the document numbers of every batch but the
        last are kept in a temporary table (client memory stays bounded for any file size)."""
        conn = self.conn
        if self.loaded == 0:
            if info.last:
                return 0  # a one-batch file: nothing to compare with, nothing to keep
            await conn.execute(_CREATE_SEEN)
        if not info.last and await conn.fetchval(_REMEMBER) == staged:
            return 0
        repeats = 0
        for row, document_no, first_row in await conn.fetch(_DROP_REPEATS):
            self.report.rejected.append(Rejection(row, _duplicate_reason(document_no, first_row)))
            repeats += 1
        return repeats

    async def finish(self) -> None:
        if self.direct:
            await self._build_indexes()
        await self.conn.execute(_DROP_TEMP)


__all__ = [
    "BATCH_SIZE",
    "GRADES",
    "SOURCE",
    "Batch",
    "ImportFileError",
    "ImportReport",
    "ParsedRow",
    "RejectedRow",
    "Rejection",
    "Validator",
    "canonical_grade",
    "china_today",
    "import_public_credit",
    "iter_batches",
    "open_import",
    "parse_date",
    "parse_rows",
]
