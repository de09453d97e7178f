"""Bulk import of public credit information (公共信用信息) from CSV or JSON Lines exports.

Two halves:

* **Parsing and validation** (pure, no database): :func:`parse_rows` turns a file into
  :class:`ParsedRow` (normalised, ready to store, with its content hash) or :class:`Rejection`
  (row number and reason), one per data row.
* **Loading** (:func:`import_public_credit`): the valid rows of each batch of ``BATCH_SIZE`` are
  COPied (asyncpg ``copy_records_to_table``) into a temporary staging table and merged into
  ``public_records`` by one set-based ``INSERT … SELECT … ON CONFLICT (document_no) DO UPDATE …
  WHERE content_hash differs``, counting inserted and updated rows with ``xmax = 0``. Into a
  table that was empty when the import began (the first bulk load) a plain ``INSERT … SELECT``
  does, which spares PostgreSQL the speculative insertion.

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
  first. Within a batch the parser finds them; across batches the database does (the first
  row's record, or a temporary table of document numbers), so client memory stays bounded.

Transactions: :func:`import_public_credit` runs inside the caller's transaction and never
commits: the whole file is one transaction, so a failure (or a crash) leaves nothing behind and
the caller decides. PostgreSQL handles a million-row transaction comfortably, and the client
only ever holds a batch or two. The next batch is parsed in a worker thread while PostgreSQL
merges the current one. If another import adds one of the file's document numbers while the
file is loaded into a table that was empty, the import fails with ``Conflict`` (run it again).
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
import re
import unicodedata
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any, NamedTuple
from uuid import UUID

import asyncpg
import msgspec
from sqlalchemy import text

from xinyidai.domain.enterprises.codes import USCC_ALPHABET, CodeError, validate_uscc
from xinyidai.infra.errors import Conflict
from xinyidai.models.credit_data import (
    NEGATIVE_TYPES,
    CreditImport,
    ImportStatus,
    RecordStatus,
    RecordType,
    Severity,
)

try:  # UUIDv7 like the ORM's primary keys (Advanced Alchemy uses uuid-utils when installed)
    from uuid_utils import uuid7 as _uuid7

    _new_id: Callable[[], Any] = _uuid7
except ImportError:  # pragma: no cover
    from uuid import uuid4 as _new_id

if TYPE_CHECKING:
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
GRADE_TYPES = (RecordType.TAX_GRADE, RecordType.CUSTOMS_GRADE, RecordType.ENVIRONMENTAL_GRADE)
GRADES: dict[RecordType, tuple[str, ...]] = {
    RecordType.TAX_GRADE: ("A", "B", "M", "C", "D"),
    RecordType.CUSTOMS_GRADE: ("AA", "A", "B", "C"),
    RecordType.ENVIRONMENTAL_GRADE: ("green", "blue", "yellow", "red", "black"),
}
_GRADE_ALIASES: dict[RecordType, dict[str, str]] = {
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
_GRADE_PATTERNS: dict[RecordType, tuple[tuple[re.Pattern[str], str | None], ...]] = {
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


def canonical_grade(record_type: RecordType, raw: str) -> str | None:
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
_NEGATIVE = frozenset(str(t) for t in NEGATIVE_TYPES)
_GRADED = {str(t): t for t in GRADES}


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

    def __init__(self, today: dt.date) -> None:
        self.today = today
        self._usccs: dict[str, None] = {}
        self._dates: dict[str, tuple[dt.date, str] | tuple[None, str]] = {}

    def _date(self, raw: str) -> tuple[dt.date, str] | tuple[None, str]:
        """(date, ISO text), or (None, why not); cached."""
        result: tuple[dt.date, str] | tuple[None, str]
        try:
            value = parse_date(raw)
            result = (value, value.isoformat())
        except ValueError as exc:
            result = (None, str(exc))
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
                _new_id(),
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
    # A missing optional column reads the empty cell appended to every row.
    getter = operator.itemgetter(*(positions.get(name, width) for name in FIELDS))
    return _csv_body(reader, getter, width)


def _csv_body(
    reader: Iterator[list[str]], getter: Callable[[list[str]], Any], width: int
) -> Iterator[RawRow]:
    row = 0
    while True:
        row += 1
        try:
            cells = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            yield row, f"not valid CSV: {exc}"
            continue
        if not any(cells):
            yield row, None  # blank line, or only empty cells (spreadsheet exports)
            continue
        count = len(cells)
        if count != width:
            if count < width or any(c.strip() for c in cells[width:]):
                yield row, f"has {count} fields, the header has {width}"
                continue
            del cells[width:]
        cells.append("")
        yield row, getter(cells)


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
    """An open import file: format, encoding and its raw rows (header already read)."""

    stream: IO[bytes]
    encoding: str
    jsonl: bool
    rows: Iterator[RawRow]

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
        rows = _jsonl_rows(stream, encoding) if jsonl else _csv_rows(stream, encoding)
    except BaseException:
        stream.close()
        raise
    return ImportFile(stream, encoding, jsonl, rows)


def _duplicate_reason(document_no: str, first_row: int) -> str:
    return f"document_no: {document_no!r} repeats row {first_row}"


def parse_rows(
    source: Source, filename: str, *, today: dt.date | None = None
) -> Iterator[ParsedRow | Rejection]:
    """Every data row of the file, validated: a :class:`ParsedRow` or a :class:`Rejection`
    (blank rows are skipped). Pure: no database. Duplicate ``document_no`` values are detected
    over the whole file here (memory grows with the number of rows; the loader does this in
    the database instead)."""
    reader = open_import(source, filename)
    validator = Validator(today or china_today())
    seen: dict[str, int] = {}
    try:
        for row, raw in reader.rows:
            if raw is None:
                continue
            result = raw if isinstance(raw, str) else validator.check(row, raw)
            if isinstance(result, str):
                yield Rejection(row, result)
                continue
            first = seen.setdefault(result.document_no, row)
            if first != row:
                yield Rejection(row, _duplicate_reason(result.document_no, first))
                continue
            yield result
    finally:
        reader.close()


def china_today() -> dt.date:
    return dt.datetime.now(CHINA_TZ).date()


@dataclass
class Batch:
    records: list[ParsedRow]
    rejected: list[Rejection]
    rows_read: int  # data rows read so far in the file (including rejected and blank ones)
    last: bool  # no batch follows


def iter_batches(
    rows: Iterable[RawRow], validator: Validator, batch_size: int = BATCH_SIZE
) -> Iterator[Batch]:
    """Group validated rows into batches; duplicates of a ``document_no`` within one batch are
    rejected here, duplicates across batches by the loader."""
    check = validator.check
    records: list[ParsedRow] = []
    rejected: list[Rejection] = []
    seen: dict[str, int] = {}
    row = 0
    for row, raw in rows:
        if raw is None:
            continue
        result = raw if isinstance(raw, str) else check(row, raw)
        if isinstance(result, str):
            rejected.append(Rejection(row, result))
            continue
        first = seen.setdefault(result.document_no, row)
        if first != row:
            rejected.append(Rejection(row, _duplicate_reason(result.document_no, first)))
            continue
        records.append(result)
        if len(records) >= batch_size:
            yield Batch(records, rejected, row, last=False)
            records, rejected, seen = [], [], {}
    yield Batch(records, rejected, row, last=True)


# --- loading ------------------------------------------------------------------------------------
STAGE = "credit_import_stage"  # temporary tables, dropped at the end (and on commit)
SEEN = "credit_import_seen"
STAGE_COLUMNS = ParsedRow._fields

_DROP_TEMP = "DROP TABLE IF EXISTS pg_temp.credit_import_stage, pg_temp.credit_import_seen"
_CREATE_STAGE = """
CREATE TEMPORARY TABLE credit_import_stage (
    id uuid NOT NULL,
    row integer NOT NULL,
    uscc text NOT NULL,
    subject_name text NOT NULL,
    record_type text NOT NULL,
    severity text,
    grade text,
    document_no text NOT NULL,
    decision_date date NOT NULL,
    publish_until date,
    authority text NOT NULL,
    description text NOT NULL,
    status text NOT NULL,
    content_hash text NOT NULL
) ON COMMIT DROP
"""
_CREATE_SEEN = """
CREATE TEMPORARY TABLE IF NOT EXISTS credit_import_seen (
    document_no text COLLATE "C" PRIMARY KEY,
    row integer NOT NULL
) ON COMMIT DROP
"""
_TRUNCATE_STAGE = "TRUNCATE credit_import_stage"
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
# Rows of this batch already in public_records (when it was empty before the import: written by
# an earlier batch of the file, whose row number ends provider_ref). LATERAL … LIMIT 1 keeps the
# plan to one index probe per staged row: a hash join would scan all of public_records per batch.
_FIND_WRITTEN = """
SELECT s.row, s.document_no, p.import_id, p.provider_ref
FROM credit_import_stage s
CROSS JOIN LATERAL (
    SELECT p.import_id, p.provider_ref FROM public_records p
    WHERE p.document_no = s.document_no LIMIT 1
) p
"""
_DROP_ROWS = "DELETE FROM credit_import_stage WHERE row = ANY($1::integer[])"
# The merge. Parameters: $1 import time, $2 import id, $3 provider_ref prefix, $4 repair note.
# Ids are UUIDv7 made by the parser (as the ORM makes them), so PostgreSQL spends no time on
# them.
_INSERT_STAGED = """
INSERT INTO public_records AS p (
    id, uscc, subject_name, record_type, severity, grade, document_no, decision_date,
    publish_until, authority, description, status, status_changed_at, status_note,
    source, provider_ref, fetched_at, import_id, content_hash, created_at, updated_at
)
SELECT
    s.id, s.uscc, s.subject_name, s.record_type, s.severity, s.grade, s.document_no,
    s.decision_date, s.publish_until, s.authority, s.description, s.status,
    CASE WHEN s.status = 'repaired' THEN $1::timestamptz END,
    CASE WHEN s.status = 'repaired' THEN $4::text END,
    'public_credit_import', $3::text || s.row::text, $1::timestamptz, $2::uuid, s.content_hash,
    $1::timestamptz, $1::timestamptz
FROM credit_import_stage s
"""
# * a known document_no is updated only when its content hash differs;
# * an import only ever marks records repaired ('active' or 'expired' ones): disputed and
#   withdrawn records keep their status, and nothing goes back to 'active';
# * xmax = 0 tells an inserted row from an updated one.
_ON_CONFLICT = """
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
        AND p.status IN ('active', 'expired') THEN EXCLUDED.fetched_at
        ELSE p.status_changed_at END,
    status_note = CASE WHEN EXCLUDED.status = 'repaired' AND p.status IN ('active', 'expired')
        THEN $4::text ELSE p.status_note END,
    source = EXCLUDED.source,
    provider_ref = EXCLUDED.provider_ref,
    fetched_at = EXCLUDED.fetched_at,
    import_id = EXCLUDED.import_id,
    content_hash = EXCLUDED.content_hash,
    updated_at = EXCLUDED.updated_at
WHERE p.content_hash IS DISTINCT FROM EXCLUDED.content_hash
RETURNING p.uscc, p.xmax = 0 AS inserted
"""
_COUNTS = """
SELECT
    (SELECT count(*) FROM up WHERE inserted) AS inserted,
    (SELECT count(*) FROM up WHERE NOT inserted) AS updated,
"""
# With records in the table before the import, an update may move a record to another subject:
# return the old USCC too (both profiles change). Every CTE sees the table as before the batch;
# LATERAL … LIMIT 1 probes the document_no index instead of scanning the table.
_MERGE = "".join(
    (
        """
WITH moved AS (
    SELECT p.uscc FROM credit_import_stage s
    CROSS JOIN LATERAL (
        SELECT p.uscc FROM public_records p
        WHERE p.document_no = s.document_no AND p.uscc <> s.uscc LIMIT 1
    ) p
), up AS (""",
        _INSERT_STAGED,
        _ON_CONFLICT,
        ")",
        _COUNTS,
        "    ARRAY(SELECT uscc FROM up UNION SELECT uscc FROM moved) AS touched",
    )
)


def provider_ref_prefix(filename: str) -> str:
    """``{filename}#row``, keeping the end of a long file name so refs fit their column."""
    room = PROVIDER_REF_MAX - len("#row") - 10  # up to 10 digits of row number
    return (filename if len(filename) <= room else filename[-room:]) + "#row"


async def driver_connection(session: AsyncSession) -> asyncpg.Connection:
    """The session's asyncpg connection, with the session's transaction begun on it."""
    connection = await session.connection()
    # SQLAlchemy's asyncpg adapter opens the server-side transaction lazily, on the first
    # statement; run one so that our raw statements are inside it.
    await connection.execute(text("SELECT 1"))
    raw = await connection.get_raw_connection()
    driver: asyncpg.Connection = raw.driver_connection
    if not driver.is_in_transaction():  # pragma: no cover - guards against adapter changes
        raise RuntimeError("import_public_credit needs a session inside a transaction")
    return driver


async def import_public_credit(
    session: AsyncSession,
    source: Path | bytes,
    *,
    filename: str,
    import_id: UUID | None = None,
    on_progress: Callable[[int], None] | None = None,
    batch_size: int = BATCH_SIZE,
    today: dt.date | None = None,
) -> ImportReport:
    """Import one public-credit file into ``public_records`` inside the session's transaction.

    Never commits: the caller commits (or rolls back) the whole file. ``import_id`` names an
    existing ``credit_imports`` row; without one, a row is created for this run and filled in
    (status ``done``, counts, the first 1000 rejections) when the import finishes. Raises
    :class:`ImportFileError` when the file cannot be read at all (nothing is written then).
    ``on_progress`` receives the number of data rows processed so far after every batch.
    """
    reader = open_import(source, filename)
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
        loader = _Loader(
            await driver_connection(session),
            report,
            now=dt.datetime.now(dt.UTC),
            import_id=import_id,
            ref_prefix=provider_ref_prefix(filename),
            note=f"repaired by import {filename}",
        )
        await loader.prepare()
        batches = iter_batches(reader.rows, Validator(today or china_today()), batch_size)
        await _pipeline(batches, loader, on_progress)
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


async def _pipeline(
    batches: Iterator[Batch], loader: _Loader, on_progress: Callable[[int], None] | None
) -> None:
    """Parse batch *n + 1* in a worker thread while PostgreSQL merges batch *n*.

    The parser and PostgreSQL then use different cores: the event loop only waits for the
    server during the merge, releasing the GIL. The COPY itself runs without the parser, whose
    hold on the GIL would stall every write of the COPY stream for a switch interval.
    """
    reported = 0
    batch = await asyncio.to_thread(next, batches, None)
    while batch is not None:
        await loader.stage(batch)
        pending = asyncio.ensure_future(asyncio.to_thread(next, batches, None))
        try:
            await loader.merge(batch)
        finally:
            if not pending.done():
                # A thread cannot be interrupted: let it finish its batch (before the file is
                # closed under it) even when the merge failed.
                with contextlib.suppress(BaseException):
                    await asyncio.shield(pending)
        if on_progress is not None and batch.rows_read > reported:
            reported = batch.rows_read
            on_progress(reported)
        batch = pending.result()


def _raced(document_no: str | None) -> Conflict:
    which = f"record {document_no!r}" if document_no else "a record of this file"
    return Conflict(f"{which} was added by another import while this one ran; run it again")


@dataclass
class _Loader:
    conn: asyncpg.Connection
    report: ImportReport
    now: dt.datetime
    import_id: UUID
    ref_prefix: str
    note: str
    loaded: int = 0  # batches with records loaded so far
    empty_before: bool = False  # public_records held nothing when the import began

    async def prepare(self) -> None:
        await self.conn.execute(_DROP_TEMP)
        await self.conn.execute(_CREATE_STAGE)
        self.empty_before = not await self.conn.fetchval(
            "SELECT EXISTS (SELECT 1 FROM public_records)"
        )

    async def stage(self, batch: Batch) -> None:
        """COPY the batch's rows into the staging table."""
        self.report.rejected.extend(batch.rejected)
        if not batch.records:
            return
        if self.loaded:
            await self.conn.execute(_TRUNCATE_STAGE)
        await self.conn.copy_records_to_table(STAGE, records=batch.records, columns=STAGE_COLUMNS)

    async def merge(self, batch: Batch) -> None:
        """Insert or update from the staging table; reject repeats of earlier batches."""
        if not batch.records:
            return
        if self.empty_before:
            await self._insert_new(batch)
        else:
            await self._merge(batch)
        self.loaded += 1

    async def _insert_new(self, batch: Batch) -> None:
        """Into a table that was empty when the import began, a row is new unless an earlier
        batch of the file had its document_no: such a record's provider_ref names that row.
        The rest is a plain INSERT (cheaper than ON CONFLICT's speculative insertion)."""
        report, conn = self.report, self.conn
        repeats: set[int] = set()
        if self.loaded:
            for row, document_no, import_id, ref in await conn.fetch(_FIND_WRITTEN):
                if import_id != self.import_id:
                    raise _raced(document_no)
                first_row = int(ref.rpartition("#row")[2])
                report.rejected.append(Rejection(row, _duplicate_reason(document_no, first_row)))
                repeats.add(row)
            if repeats:
                await conn.execute(_DROP_ROWS, list(repeats))
        try:
            await conn.execute(_INSERT_STAGED, self.now, self.import_id, self.ref_prefix, self.note)
        except asyncpg.UniqueViolationError as exc:
            raise _raced(None) from exc
        report.accepted += len(batch.records) - len(repeats)
        report.touched_usccs.update(r.uscc for r in batch.records if r.row not in repeats)

    async def _merge(self, batch: Batch) -> None:
        """Drop repeats of earlier batches, then insert new records and update changed ones."""
        report = self.report
        repeats = await self._drop_repeats(batch, len(batch.records))
        result = await self.conn.fetchrow(
            _MERGE, self.now, self.import_id, self.ref_prefix, self.note
        )
        assert result is not None
        inserted, updated, touched = result
        report.accepted += inserted
        report.updated += updated
        report.unchanged += len(batch.records) - len(repeats) - inserted - updated
        report.touched_usccs.update(touched)

    async def _drop_repeats(self, batch: Batch, staged: int) -> set[int]:
        """Reject rows repeating a document_no of an earlier batch of the file; returns their
        rows. Unchanged rows are not written, so the document numbers of every batch but the
        last are kept in a temporary table (client memory stays bounded for any file size)."""
        conn = self.conn
        if self.loaded == 0:
            if batch.last:
                return set()  # a one-batch file: nothing to compare with, nothing to keep
            await conn.execute(_CREATE_SEEN)
        if not batch.last and await conn.fetchval(_REMEMBER) == staged:
            return set()
        repeats: set[int] = set()
        for row, document_no, first_row in await conn.fetch(_DROP_REPEATS):
            self.report.rejected.append(Rejection(row, _duplicate_reason(document_no, first_row)))
            repeats.add(row)
        return repeats

    async def finish(self) -> None:
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
