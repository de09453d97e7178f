"""The column-at-a-time batch validator (``Validator.check_batch``) against the row validator.

``check_batch`` promises exactly what ``Validator.check`` gives row by row (plus the rejection of
``document_no`` values repeated within the batch), only faster. These tests hold it to that on
generated batches full of odd text, and check the character class its fast path relies on.
"""

from __future__ import annotations

import datetime as dt
import random
import re
import unicodedata
from collections.abc import Callable

from hypothesis import HealthCheck, given, note, settings
from hypothesis import strategies as st

from xinyidai.domain.credit_data import imports
from xinyidai.domain.credit_data.imports import (
    FIELDS,
    ParsedRow,
    Rejection,
    Validator,
    readers,
    validation,
    vocabulary,
)
from xinyidai.domain.enterprises.codes import USCC_ALPHABET
from xinyidai.simulation.exports import COLUMNS, synthetic_rows

TODAY = dt.date(2026, 11, 21)

# Synthetic rows are keyed by the import's column names, which are ``FIELDS`` (the subject's
# name is the "name" column); a raw row lists them in ``FIELDS`` order.
assert tuple(COLUMNS) == FIELDS
F = {name: i for i, name in enumerate(FIELDS)}
USCC, NAME, TYPE, DOC, DECIDED, AUTHORITY, SEVERITY, DESCRIPTION, UNTIL, GRADE, STATUS = range(
    len(FIELDS)
)

Raw = tuple[str, ...]
Perturbation = Callable[[list[str]], None]


def raw_of(row: dict[str, str]) -> Raw:
    return tuple(row[name] for name in FIELDS)


POOL: list[Raw] = [raw_of(r) for r in synthetic_rows(300, seed=20261121)]


# --- the two sides ------------------------------------------------------------------------------
def by_rows(rows: list[int], raws: list[Raw]) -> tuple[list[ParsedRow], list[Rejection]]:
    """``check`` row by row, then the batch's duplicate rule: a ``document_no`` already taken
    by an earlier accepted row rejects the later row, naming the first."""
    validator = Validator(TODAY, new_id=lambda: None)
    accepted: list[ParsedRow] = []
    rejected: list[Rejection] = []
    first: dict[str, int] = {}
    for number, raw in zip(rows, raws, strict=True):
        result = validator.check(number, raw)
        if isinstance(result, str):
            rejected.append(Rejection(number, result))
            continue
        earlier = first.setdefault(result.document_no, number)
        if earlier != number:
            reason = vocabulary._duplicate_reason(result.document_no, earlier)
            rejected.append(Rejection(number, reason))
        else:
            accepted.append(result)
    return accepted, rejected


def by_batch(rows: list[int], raws: list[Raw]) -> tuple[list[ParsedRow], list[Rejection]]:
    records, rejected = Validator(TODAY).check_batch(rows, raws)
    return list(records.parsed(lambda: None)), rejected


def assert_same(rows: list[int], raws: list[Raw]) -> tuple[list[ParsedRow], list[Rejection]]:
    expected_rows, expected_rejections = by_rows(rows, raws)
    actual_rows, actual_rejections = by_batch(rows, raws)
    # Row lists first (the accepted rows, then the rejected ones) so a failure shows which
    # rows differ before the long field-by-field comparison.
    assert [r.row for r in actual_rows] == [r.row for r in expected_rows]
    assert actual_rejections == expected_rejections
    assert actual_rows == expected_rows  # every field, the id being None on both sides
    return expected_rows, expected_rejections


def _short(value: str) -> str:
    if len(value) <= 60:
        return repr(value)
    return f"{value[:20]!r} + ... + {value[-20:]!r} ({len(value)} characters)"


def describe(rows: list[int], raws: list[Raw]) -> str:
    return "\n".join(
        f"row {number}: ({', '.join(map(_short, raw))})"
        for number, raw in zip(rows, raws, strict=True)
    )


# --- perturbations ------------------------------------------------------------------------------
def _insert(value: str, position: int, text: str) -> str:
    at = position % (len(value) + 1)
    return value[:at] + text + value[at:]


def _set(**values: str) -> Perturbation:
    def apply(fields: list[str]) -> None:
        for name, value in values.items():
            fields[F[name]] = value

    return apply


def _change(index: int, transform: Callable[[str], str]) -> Perturbation:
    def apply(fields: list[str]) -> None:
        fields[index] = transform(fields[index])

    return apply


def _wrong_check_character(uscc: str) -> str:
    position = USCC_ALPHABET.find(uscc[17:].upper())
    if len(uscc) != 18 or position < 0:
        return uscc + "0"
    return uscc[:17] + USCC_ALPHABET[(position + 1) % len(USCC_ALPHABET)]


# Whitespace the importer collapses or strips, and text it rejects or must leave alone.
SPACES = [" ", "  ", "\t", "\n", "\r\n", " \t ", "\u3000", "\u00a0", "\u2003", "\u202f"]
ODD_TEXT = [
    *SPACES,
    "\x00",
    "\x07",
    "\x0b",
    "\x1f",
    "\x7f",
    "\x85",
    "\udcff",
    "\ud800",
    "\ue000",  # a private-use character
    " \ue000 ",
    validation._SEP,  # the character the batch validator joins fields with
    f"{validation._SEP} ",
    "e\u0301",  # NFD é
    "\u1112\u1161\u11ab",  # NFD 한
    "\u0301",  # a lone combining mark
    "\u200b",  # zero width space: not whitespace for str.split
    "\ufeff",
]

# Dates: a few days around TODAY (so that one row's future decision date can be another
# row's publication end) and in every accepted format.
DAYS = [
    TODAY,
    TODAY - dt.timedelta(days=1),
    TODAY + dt.timedelta(days=1),
    dt.date(2024, 2, 29),
    dt.date(2023, 1, 5),
    dt.date(2000, 1, 1),
    dt.date(2030, 12, 31),
]
DATE_FORMATS: list[Callable[[dt.date], str]] = [
    dt.date.isoformat,
    lambda d: d.strftime("%Y/%m/%d"),
    lambda d: d.strftime("%Y.%m.%d"),
    lambda d: f"{d.year}/{d.month}/{d.day}",
    lambda d: d.strftime("%Y%m%d"),
    lambda d: f"{d.year}年{d.month}月{d.day}日",
    lambda d: f"{d.year}年{d.month:02d}月{d.day:02d}日",
]
INVALID_DATES = [
    "2023-02-30",
    "2023-13-01",
    "20230230",
    "2023年2月30日",
    "2023/02-03",
    "23-02-03",
    "0000-01-01",
    "2023-1-1x",
    "yesterday",
]
date_text = st.builds(
    lambda day, fmt: fmt(day), st.sampled_from(DAYS), st.sampled_from(DATE_FORMATS)
)
any_date_text = st.one_of(date_text, st.sampled_from(INVALID_DATES))


def _publish_before_decision(fields: list[str]) -> None:
    fields[DECIDED] = "2024-03-01"
    fields[UNTIL] = "2024/2/29"


FIELD_VALUES: list[Perturbation] = [
    # USCC
    _set(uscc=""),
    _change(USCC, str.lower),
    _change(USCC, _wrong_check_character),
    _change(USCC, lambda v: v[:17]),
    _change(USCC, lambda v: v[1:]),
    _change(USCC, lambda v: v + "9"),
    _change(USCC, lambda v: v[:8] + " " + v[8:]),
    # required text, lengths (at the limit, over it, over it only before whitespace collapses)
    _set(name=""),
    _set(name=" \t "),
    _set(name="测" * 200),
    _set(name="测" * 201),
    _set(name="测" * 199 + " \t\n " + "试"),
    _set(name="测" * 200 + "   "),
    _set(name="Cafe\u0301 \u1112\u1161\u11ab\u1100\u116e\u11a8 有限公司"),
    _change(NAME, lambda v: unicodedata.normalize("NFD", "Café Ångström " + v)),
    _set(document_no=""),
    _set(document_no="号" * 128),
    _set(document_no="号" * 129),
    _set(authority=""),
    _set(authority="局" * 201),
    _set(description=""),
    _set(description="述" * 20_000),
    _set(description="述" * 20_001),
    _set(description="述" * 19_999 + "  \u3000 x"),
    _change(DESCRIPTION, lambda v: v + "\ue000" + v),
    _change(DESCRIPTION, lambda v: "e\u0301 " + v),
    # record types, severities, statuses (canonical, Chinese aliases, case, unknown)
    _set(record_type=""),
    _set(record_type="unknown_type"),
    _set(record_type="行政处罚"),
    _set(record_type="ADMIN_PENALTY"),
    _set(record_type=" 失信被执行人 "),
    _set(record_type="红名单"),
    _set(record_type="纳税信用等级"),
    _set(severity="严重"),
    _set(severity="一般失信"),
    _set(severity="轻微"),
    _set(severity="SERIOUS"),
    _set(severity="catastrophic"),
    _set(record_type="admin_penalty", severity=""),
    _set(record_type="行政处罚", severity="\u3000"),
    _set(record_type="credit_commitment", severity="严重"),
    _set(status="已修复"),
    _set(status="修复"),
    _set(status="有效"),
    _set(status="REPAIRED"),
    _set(status="withdrawn"),
    # grades
    _set(record_type="tax_grade", grade="", description="纳税信用等级A级"),
    _set(record_type="tax_grade", grade="", description="2023年度纳税信用等级评定为 M 级"),
    _set(record_type="tax_grade", grade="", description="无等级"),
    _set(record_type="tax_grade", grade="Z"),
    _set(record_type="tax_grade", grade="b级"),
    _set(record_type="customs_grade", grade="高级认证企业"),
    _set(record_type="customs_grade", grade="AEO - AA"),
    _set(record_type="environmental_grade", grade="", description="评价结果：环保警示"),
    _set(record_type="environmental_grade", grade="GREEN"),
    _set(record_type="environmental_grade", grade="紫牌"),
    _set(record_type="admin_licence", grade="ABCDEFGH"),
    _set(record_type="admin_licence", grade="ABCDEFGHI"),
    _set(record_type="red_list", grade="  A   B  "),
    # dates
    _set(decision_date=""),
    _set(publish_until=""),
    _publish_before_decision,
]

perturbation = st.one_of(
    st.sampled_from(FIELD_VALUES),
    # odd text inserted anywhere in any field
    st.builds(
        lambda index, position, text: _change(index, lambda v: _insert(v, position, text)),
        st.integers(0, len(FIELDS) - 1),
        st.integers(0, 1_000),
        st.sampled_from(ODD_TEXT),
    ),
    # whitespace before or after any field
    st.builds(
        lambda index, space, before: _change(index, lambda v: space + v if before else v + space),
        st.integers(0, len(FIELDS) - 1),
        st.sampled_from(SPACES),
        st.booleans(),
    ),
    # USCCs a character or two short or long (the batch checks codes a column at a time)
    st.builds(
        lambda cut, extra: _change(USCC, lambda v: v[: len(v) - cut] + extra),
        st.integers(0, 2),
        st.sampled_from(["", "0", "9", "X", "00"]),
    ),
    # NFD of any field
    st.builds(
        lambda index: _change(index, lambda v: unicodedata.normalize("NFD", v)),
        st.integers(0, len(FIELDS) - 1),
    ),
    # dates in every format, valid or not, in the future or not
    st.builds(lambda text: _set(decision_date=text), any_date_text),
    st.builds(lambda text: _set(publish_until=text), any_date_text),
)


@st.composite
def batches(draw: st.DrawFn) -> tuple[list[int], list[Raw]]:
    """1 to 40 rows numbered in increasing order (with gaps, as blank lines leave), each a
    synthetic row with up to three perturbations, some repeating another row's document
    number (as it is or with extra whitespace)."""
    size = draw(st.integers(1, 40))
    gaps = draw(st.lists(st.sampled_from([1, 1, 1, 2, 5]), min_size=size, max_size=size))
    rows = [sum(gaps[: i + 1]) for i in range(size)]
    raws: list[list[str]] = []
    for _ in range(size):
        fields = list(draw(st.sampled_from(POOL)))
        for change in draw(st.lists(perturbation, max_size=3)):
            change(fields)
        raws.append(fields)
    repeats = draw(
        st.lists(st.tuples(st.integers(0, size - 1), st.integers(0, size - 1)), max_size=4)
    )
    for source, target in repeats:
        padding = draw(st.sampled_from(["", " ", "\t", "\u3000"]))
        raws[target][DOC] = padding + raws[source][DOC]
    return rows, [tuple(fields) for fields in raws]


# --- tests --------------------------------------------------------------------------------------
@settings(
    max_examples=300,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(batches())
def test_check_batch_agrees_with_check_row_by_row(batch: tuple[list[int], list[Raw]]) -> None:
    rows, raws = batch
    try:
        assert_same(rows, raws)
    except BaseException:
        # Hypothesis leaves out arguments whose repr is very long (a 20,001-character
        # description): show the batch with long texts shortened.
        note(describe(rows, raws))
        raise


# Minimal examples of disagreements the property test found in earlier versions. The date
# cases made check_batch raise "the batch and row validators disagree" (commit 3c5fe18); USCCs
# of 19 and 17 characters in one batch were accepted, or shifted a valid code between them
# (commits 4d8cf3f to 081fa06).
def test_future_decision_date_does_not_reject_another_rows_publication_end() -> None:
    """Row 1's decision date (tomorrow) is in the future, which rejects row 1 only; row 2 may
    well be published until tomorrow."""
    tomorrow = (TODAY + dt.timedelta(days=1)).isoformat()
    first = list(POOL[0])
    first[DECIDED] = tomorrow
    second = list(POOL[1])
    second[DECIDED] = "2025-01-01"
    second[UNTIL] = tomorrow
    accepted, rejected = assert_same([1, 2], [tuple(first), tuple(second)])
    assert [r.row for r in accepted] == [2]
    assert rejected == [Rejection(1, f"decision_date: {tomorrow} is in the future")]


def test_missing_decision_date_does_not_reject_another_row_without_publication_end() -> None:
    """Row 1 lacks its decision date; row 2 has none of the (optional) publication end."""
    first = list(POOL[0])
    first[DECIDED] = ""
    second = list(POOL[1])
    second[UNTIL] = ""
    accepted, rejected = assert_same([1, 2], [tuple(first), tuple(second)])
    assert [r.row for r in accepted] == [2]
    assert rejected == [Rejection(1, "decision_date: required")]


def test_uscc_lengths_do_not_make_up_for_each_other() -> None:
    """A 19-character USCC followed by a 17-character one: together 36 characters, the second
    code's first character moved to the end of the first. Both rows are rejected."""
    first = list(POOL[0])
    second = list(POOL[1])
    first[USCC], second[USCC] = first[USCC] + second[USCC][0], second[USCC][1:]
    accepted, rejected = assert_same([1, 2], [tuple(first), tuple(second)])
    assert accepted == []
    assert rejected == [
        Rejection(1, "uscc: a USCC has 18 characters, this one has 19"),
        Rejection(2, "uscc: a USCC has 18 characters, this one has 17"),
    ]


def test_uscc_lengths_do_not_shift_the_codes_between_them() -> None:
    """A 19-character and a 17-character USCC around a valid row: only they are rejected."""
    first, middle, last = list(POOL[0]), list(POOL[1]), list(POOL[2])
    first[USCC] += "0"
    last[USCC] = last[USCC][:17]
    accepted, rejected = assert_same([1, 2, 3], [tuple(first), tuple(middle), tuple(last)])
    assert [r.row for r in accepted] == [2]
    assert [r.row for r in rejected] == [1, 3]


def test_every_odd_character_makes_text_irregular() -> None:
    """A batch whose columns are all regular skips the whitespace normalisation and the
    control-character scan, so text holding a control character (Cc), a surrogate (Cs) or
    whitespace for ``str.split`` other than the space must never pass as regular; nor may any
    character ``check`` rejects. Checked over every code point."""
    everything = "".join(map(chr, range(0x110000)))
    odd = {
        ch
        for ch in everything
        if unicodedata.category(ch) in ("Cc", "Cs") or (ch.isspace() and ch != " ")
    }
    assert set(validation._BAD_CHARS.findall(everything)) <= odd
    missed = [f"U+{ord(ch):04X}" for ch in sorted(odd) if not validation._irregular(f"a{ch}b")]
    assert missed == []


def test_the_bulk_reader_finds_every_space_that_normalising_removes() -> None:
    """The bulk reader skips the whitespace normalisation of a chunk in which it finds no
    space next to a comma or a line end and no doubled space; a single inner space is fine."""
    odd = [
        b" a,b\n", b"a ,b\n", b"a, b\n", b"a,b \n", b"a,b \r\n", b"a\n b\n", b"a  b,c\n",
        b"a,b\nc,d ",
    ]  # fmt: skip
    assert [chunk for chunk in odd if not readers._odd_spaces(chunk)] == []
    for plain in (b"a b,c d\r\ne f,g\n", b"a,b\n", "广州 白云,x\n".encode()):
        assert not readers._odd_spaces(plain), plain


def test_large_synthetic_batch_agrees_with_check() -> None:
    raws = [raw_of(r) for r in synthetic_rows(2_000, seed=31)]
    rows = list(range(1, len(raws) + 1))
    accepted, rejected = assert_same(rows, raws)
    assert rejected == []
    assert len(accepted) == 2_000
    assert len({r.content_hash for r in accepted}) == 2_000


def test_synthetic_batch_with_repeated_document_numbers_agrees_with_check() -> None:
    rng = random.Random(5)
    raws = [list(raw) for raw in POOL]
    for target in rng.sample(range(len(raws)), 40):
        raws[target][DOC] = raws[rng.randrange(len(raws))][DOC]
    rows = list(range(1, len(raws) + 1))
    _, rejected = assert_same(rows, [tuple(raw) for raw in raws])
    assert rejected
    assert all(" repeats row " in r.reason for r in rejected)


def test_empty_batch() -> None:
    records, rejected = Validator(TODAY).check_batch([], [])
    assert records.size == 0
    assert list(records.parsed(lambda: None)) == []
    assert rejected == []


# --- the bulk CSV reader ------------------------------------------------------------------------
_NOT_IN_PLAIN_CSV = re.compile('[,"\r\n\x00\ud800-\udc7f\udd00-\udfff]')


@settings(
    max_examples=150,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(batches())
def test_plain_csv_read_in_bulk_agrees_with_check_row_by_row(
    batch: tuple[list[int], list[Raw]],
) -> None:
    """The same rows written as a plain CSV file (one line each; characters a plain file cannot
    hold are left out) and read through the bulk reader give what ``check`` gives."""
    _, raws = batch
    raws = [tuple(_NOT_IN_PLAIN_CSV.sub("", value) for value in raw) for raw in raws]
    raws = [raw for raw in raws if any(raw)]  # an all-empty line is a blank row
    lines = [",".join(FIELDS), *(",".join(raw) for raw in raws)]
    data = "\r\n".join(lines).encode("utf-8", "surrogateescape") + b"\r\n"
    assert imports.open_import(data, "t.csv").plain is not None
    expected_rows, expected_rejections = by_rows(list(range(1, len(raws) + 1)), raws)
    results = list(imports.parse_rows(data, "t.csv", today=TODAY))
    accepted = [r._replace(id=None) for r in results if isinstance(r, ParsedRow)]
    rejected = [r for r in results if isinstance(r, Rejection)]
    try:
        assert rejected == expected_rejections
        assert accepted == expected_rows
    except BaseException:
        note(describe(list(range(1, len(raws) + 1)), raws))
        raise
