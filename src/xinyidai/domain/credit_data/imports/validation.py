"""Validation and normalisation of raw rows: :meth:`Validator.check` is the rule, row by row;
:meth:`Validator.check_batch` and :meth:`Validator.check_columns` give exactly the same results
for a batch of rows a column at a time."""

from __future__ import annotations

import datetime as dt
import hashlib
import operator
import re
import unicodedata
from collections.abc import Callable, Iterator, Sequence
from typing import Any, NamedTuple

import numpy as np

from xinyidai.domain.credit_data.imports.vocabulary import (
    DESCRIPTION_MAX,
    FIELDS,
    GRADES,
    RECORD_TYPES,
    SEVERITIES,
    STATUSES,
    ParsedRow,
    Rejection,
    _duplicate_reason,
    canonical_grade,
)
from xinyidai.domain.enterprises.codes import (
    USCC_ALPHABET,
    USCC_WEIGHTS,
    CodeError,
    validate_uscc,
)
from xinyidai.enums import NEGATIVE_TYPES

try:  # UUIDv7 like the ORM's primary keys (Advanced Alchemy uses uuid-utils when installed)
    from uuid_utils import uuid7 as _uuid7

    _new_id: Callable[[], Any] = _uuid7
except ImportError:  # pragma: no cover
    from uuid import uuid4 as _new_id

# --- text, codes and dates ----------------------------------------------------------------------
# Cc characters other than TAB, LF and CR (which are whitespace, collapsed), and surrogates
# (bytes that did not decode arrive as U+DC80..U+DCFF through ``surrogateescape``).
_BAD_CHARS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff]")
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
_NEGATIVE = frozenset(map(str, NEGATIVE_TYPES))  # plain strings, like the tables above
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
        try:
            return self._parsed(row, _readable(raw))
        except _Rejected as rejected:
            return rejected.reason

    def _parsed(self, row: int, raw: tuple[str, ...]) -> ParsedRow:
        """The row, checked rule by rule in a fixed order: the first rule that fails raises
        :class:`_Rejected` with the reason."""
        (uscc, name, record_type, document_no, decision_date, authority, severity, description,
         publish_until, grade, status) = raw  # fmt: skip
        uscc = self._uscc(uscc)
        name = _text("name", name, 200)
        document_no = _text("document_no", document_no, 128)
        authority = _text("authority", authority, 200)
        description = _text("description", description, DESCRIPTION_MAX, required=False)
        # Enums (plain-string tables: StrEnum.value is a slow descriptor)
        rtype = _record_type(record_type)
        sev = _severity(rtype, severity)
        stat = _status(status)
        grade_value = _grade(rtype, grade, description)
        decided, decided_iso = self._decision_date(decision_date)
        until, until_iso = self._publish_until(publish_until, decided, decided_iso)
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

    def _uscc(self, raw: str) -> str:
        """The USCC in upper case, checked (GB 32100-2015) unless it was seen before."""
        uscc = raw.strip().upper()
        if uscc not in self._usccs:
            if len(uscc) != 18 or not _uscc_valid(uscc):
                raise _Rejected(_uscc_reason(uscc))
            if len(self._usccs) >= _CACHE_LIMIT:
                self._usccs.clear()
            self._usccs[uscc] = None
        return uscc

    def _decision_date(self, raw: str) -> tuple[dt.date, str]:
        """(decision date, its ISO text): required, a date, not in the future."""
        key = raw.strip()
        if not key:
            raise _Rejected("decision_date: required")
        decided, decided_iso = self._dates.get(key) or self._date(key)
        if decided is None:
            raise _Rejected(f"decision_date: {decided_iso}")
        if decided > self.today:
            raise _Rejected(f"decision_date: {decided_iso} is in the future")
        return decided, decided_iso

    def _publish_until(
        self, raw: str, decided: dt.date, decided_iso: str
    ) -> tuple[dt.date | None, str]:
        """(end of publication, its ISO text), or (None, "") when there is none; not before
        the decision date."""
        key = raw.strip()
        if not key:
            return None, ""
        until, until_iso = self._dates.get(key) or self._date(key)
        if until is None:
            raise _Rejected(f"publish_until: {until_iso}")
        if until < decided:
            raise _Rejected(f"publish_until: {until_iso} is before decision_date {decided_iso}")
        return until, until_iso

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


class _Rejected(Exception):
    """Why a row is rejected: raised by the steps of :meth:`Validator.check`."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def _readable(raw: tuple[str, ...]) -> tuple[str, ...]:
    """``raw`` in NFC; a field with a control character or bytes that did not decode rejects
    the row."""
    joined = "".join(raw)
    if _BAD_CHARS.search(joined) is not None:
        for label, value in zip(FIELDS, raw, strict=True):
            if _BAD_CHARS.search(value):
                raise _Rejected(f"{label}: {_describe_bad_char(value)}")
    if not joined.isascii() and not unicodedata.is_normalized("NFC", joined):
        return tuple(unicodedata.normalize("NFC", value) for value in raw)
    return raw


def _uscc_reason(uscc: str) -> str:
    """Why ``uscc`` (upper case) is not a valid USCC."""
    if not uscc:
        return "uscc: required"
    try:
        validate_uscc(uscc)
    except CodeError as exc:
        return f"uscc: {exc.message}"
    return "uscc: invalid"  # pragma: no cover - the fast path agrees with the rule


def _text(label: str, value: str, longest: int, *, required: bool = True) -> str:
    """``value`` with runs of whitespace collapsed; not empty (when ``required``), at most
    ``longest`` characters."""
    text = " ".join(value.split())
    if required and not text:
        raise _Rejected(f"{label}: required")
    if len(text) > longest:
        raise _Rejected(f"{label}: {len(text)} characters, at most {longest}")
    return text


def _record_type(raw: str) -> str:
    key = raw.strip()
    rtype = _type_of(key)
    if rtype is None:
        raise _Rejected(f"record_type: unknown type {key!r}" if key else "record_type: required")
    return rtype


def _severity(rtype: str, raw: str) -> str | None:
    """The canonical severity, or None; negative record types need one."""
    key = raw.strip()
    if key:
        sev = _SEVERITY_OF.get(key) or _SEVERITY_OF.get(key.lower())
        if sev is None:
            raise _Rejected(
                f"severity: unknown severity {key!r} (minor/general/serious, 轻微/一般/严重)"
            )
        return sev
    if rtype in _NEGATIVE:
        raise _Rejected(f"severity: required for {rtype}")
    return None


def _status(raw: str) -> str:
    key = raw.strip()
    stat = _status_of(key)
    if stat is None:
        raise _Rejected(f"status: unknown status {key!r} (active/repaired, 有效/已修复)")
    return stat


def _grade(rtype: str, raw: str, description: str) -> str | None:
    """The canonical grade of a graded record type, from the grade cell or else from the
    description; other types keep a short grade cell as it is (None when empty)."""
    value = " ".join(raw.split()) or None
    graded = _GRADED.get(rtype)
    if graded is None:
        if value is not None and len(value) > 8:
            raise _Rejected(f"grade: {len(value)} characters, at most 8")
        return value
    if value is not None:
        canonical = canonical_grade(graded, value)
        if canonical is None:
            allowed = "/".join(GRADES[graded])
            raise _Rejected(f"grade: unknown {rtype} grade {value!r} ({allowed})")
        return canonical
    canonical = canonical_grade(graded, description) if description else None
    if canonical is None:
        raise _Rejected(f"grade: required for {rtype} (none in the description either)")
    return canonical


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


def _row_reader(fields: list[Sequence[str]]) -> Callable[[int], tuple[str, ...]]:
    def row(i: int) -> tuple[str, ...]:
        return tuple(column[i] for column in fields)

    return row


def _columns(raws: list[tuple[str, ...]]) -> list[Sequence[str]]:
    return list(zip(*raws, strict=True)) if raws else [() for _ in FIELDS]


def _pieces(data: Any, size: int) -> list[Any]:
    """``data`` (bytes or text) cut into pieces of ``size``."""
    return [data[i : i + size] for i in range(0, len(data), size)]
