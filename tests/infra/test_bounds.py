"""The shared input checks: dates and times, URLs, user text, spreadsheet cells, failure text."""

from __future__ import annotations

import csv
import datetime as dt
import io

import pytest

from xinyidai.dates import month_index
from xinyidai.infra.bounds import check_date, check_datetime, parse_month
from xinyidai.infra.errors import InvalidInput
from xinyidai.infra.export import safe_cell, write_csv
from xinyidai.infra.text import clean_text, storable, storable_text
from xinyidai.infra.urls import check_url


def _refusal(exc: pytest.ExceptionInfo[InvalidInput]) -> tuple[str, str | None]:
    (error,) = exc.value.errors or []
    return error.field, error.code


# --- dates and times --------------------------------------------------------------------------
@pytest.mark.parametrize(
    "text",
    [
        "0001-01-01T00:00:00+14:00",
        "0001-01-01T00:00:00-12:00",
        "9999-12-31T23:59:59-12:00",
        "9999-12-31T23:59:59+14:00",
        "1899-12-31T23:59:59+00:00",
        "2200-01-01T00:00:00+08:00",
    ],
)
def test_datetimes_outside_the_calendar_are_refused_before_any_arithmetic(text: str) -> None:
    with pytest.raises(InvalidInput) as exc:
        check_datetime("expires_at", dt.datetime.fromisoformat(text))
    assert _refusal(exc) == ("expires_at", "date_range")


def test_a_datetime_in_range_comes_back_in_utc() -> None:
    value = dt.datetime.fromisoformat("2027-01-01T08:00:00+08:00")
    assert check_datetime("at", value) == dt.datetime(2027, 1, 1, tzinfo=dt.UTC)
    with pytest.raises(InvalidInput) as exc:
        check_datetime("at", dt.datetime(2027, 1, 1))
    assert _refusal(exc) == ("at", "datetime_naive")
    with pytest.raises(InvalidInput):
        check_datetime("at", value, latest=dt.datetime(2026, 12, 31, tzinfo=dt.UTC))


def test_dates_are_bounded_to_the_field_range() -> None:
    assert check_date("d", dt.date(2020, 5, 1)) == dt.date(2020, 5, 1)
    for day in (dt.date.min, dt.date.max, dt.date(1899, 12, 31), dt.date(2200, 1, 1)):
        with pytest.raises(InvalidInput) as exc:
            check_date("d", day)
        assert _refusal(exc) == ("d", "date_range")
    with pytest.raises(InvalidInput):
        check_date("d", dt.date(2030, 1, 1), latest=dt.date(2029, 12, 31))


def test_months_are_parsed_and_bounded_without_overflow() -> None:
    assert parse_month("from", "2024-02") == dt.date(2024, 2, 1)
    assert month_index(dt.date(2024, 2, 1)) - month_index(dt.date(2023, 12, 1)) == 2
    for text, code in [
        ("9999-12", "date_range"),
        ("0000-01", "date_range"),
        ("2024-13", "month_format"),
        ("2024-1", "month_format"),
        ("２０２４-01", "month_format"),
    ]:
        with pytest.raises(InvalidInput) as exc:
            parse_month("from", text)
        assert _refusal(exc) == ("from", code)


# --- URLs ---------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("https://api.bank.example.com/v1/", "https://api.bank.example.com/v1"),
        ("HTTPS://API.Bank.Example.com:8443/Path", "https://api.bank.example.com:8443/Path"),
        ("http://127.0.0.1:8080", "http://127.0.0.1:8080"),
        ("http://localhost:9000/api", "http://localhost:9000/api"),
        ("http://[::1]:9000", "http://[::1]:9000"),
        ("https://xn--fiqs8s.example.com", "https://xn--fiqs8s.example.com"),
    ],
)
def test_good_base_urls_come_back_normalised(url: str, expected: str) -> None:
    assert check_url("api_base_url", url) == expected


@pytest.mark.parametrize(
    "url",
    [
        "https://[::1",  # urllib raises ValueError here
        "https://[not-ipv6]/",
        "https://bank.example.com:99999",
        "https://bank.example.com:0",
        "https://bank.example.com:http",
        "https://bank.example.com:",
        "https://user:secret@bank.example.com",
        "https://@bank.example.com",
        "http://bank.example.com",  # plain http only on loopback
        "ftp://bank.example.com",
        "javascript:alert(1)",
        "//bank.example.com",
        "https://",
        "https:///path",
        "https://bank example.com",
        "https://bank.example.com/a\tb",
        "https://bank.example.com/\x00",
        "https://银行.中国",
        "https://-bank.example.com",
        "https://1.2.3",
        "https://bank.example.com/?q=1",
        "https://bank.example.com/#frag",
        "https://" + "a" * 500 + ".com",
    ],
)
def test_bad_urls_are_one_422_naming_the_field(url: str) -> None:
    with pytest.raises(InvalidInput) as exc:
        check_url("api_base_url", url)
    assert _refusal(exc) == ("api_base_url", "url_invalid")


# --- text ---------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "value",
    ["\u200b\u200b\u200b", "\ufeff\u200c\u200d", "\u00ad\u2060", " \u3000\u200b ", "\u3164\u3164"],
)
def test_names_of_only_invisible_characters_are_blank(value: str) -> None:
    with pytest.raises(InvalidInput) as exc:
        clean_text("name", value)
    assert _refusal(exc) == ("name", "text_blank")


@pytest.mark.parametrize("control", ["\u202e", "\u202a", "\u2066", "\u2069", "\u200f", "\u061c"])
def test_bidi_controls_are_refused_with_their_own_code(control: str) -> None:
    with pytest.raises(InvalidInput) as exc:
        clean_text("name", f"广州{control}科技有限公司")
    assert _refusal(exc) == ("name", "text_bidi")


def test_invisible_characters_are_removed_and_emoji_sequences_kept_in_free_text() -> None:
    assert clean_text("name", "广州\u200b科技\u00ad有限公司\ufeff") == "广州科技有限公司"
    family = "\U0001f468\u200d\U0001f469\u200d\U0001f467"  # one emoji: a family
    coder = "\U0001f469\U0001f3fd\u200d\U0001f4bb"  # woman technologist, skin tone
    assert clean_text("reason", f"谢谢 {family}{coder}", kind="text") == f"谢谢 {family}{coder}"
    assert clean_text("name", f"甲{family}") == "甲\U0001f468\U0001f469\U0001f467"
    assert clean_text("reason", "a\u200db", kind="text") == "ab"  # not between emoji
    with pytest.raises(InvalidInput) as exc:
        clean_text("reason", "\u200d\u200d\u200d", kind="text")
    assert _refusal(exc) == ("reason", "text_blank")


def test_control_characters_and_lone_surrogates_are_refused() -> None:
    for value in ("a\x00b", "a\x07b", "a\udc80b"):
        assert not storable(value)
        with pytest.raises(InvalidInput) as exc:
            clean_text("name", value)
        assert _refusal(exc) == ("name", "text_invalid")


def test_failure_text_is_made_storable_and_bounded() -> None:
    assert storable_text("found: a\x00b") == "found: a\ufffdb"
    assert storable_text("bad \udc80 byte") == "bad \\udc80 byte"
    assert storable_text("line\nnext\tcol") == "line\nnext\tcol"
    long = storable_text("x" * 10_000, limit=100)
    assert len(long) == 100 and long.endswith("…")
    assert storable(storable_text("\x00\x01\udcff" * 5000))
    assert storable_text(ValueError("boom")) == "boom"


# --- spreadsheet cells --------------------------------------------------------------------------
@pytest.mark.parametrize(
    "value",
    [
        '=HYPERLINK("http://evil.example","点击")',
        "+1+2",
        "-2+3",
        "@SUM(A1:A2)",
        "\t=1",
        "\r=1",
        "＝1+1",
        "  =1+1",
        "\n=1+1",
    ],
)
def test_cells_that_would_start_a_formula_are_neutralised(value: str) -> None:
    assert safe_cell(value) == "'" + value


def test_other_cells_are_left_alone() -> None:
    for value in ("广州测试科技有限公司", "a=b", "2024-01-01", "", "O'Brien"):
        assert safe_cell(value) == value
    for number in (-5, 3.5, None, dt.date(2024, 1, 1)):
        assert safe_cell(number) == number


def test_write_csv_neutralises_every_cell_including_the_header() -> None:
    out = io.StringIO(newline="")
    assert write_csv(out, ["name", "=bad"], [["=1+1", -3], ["ok", "@x"]]) == 2
    rows = list(csv.reader(io.StringIO(out.getvalue())))
    assert rows == [["name", "'=bad"], ["'=1+1", "-3"], ["ok", "'@x"]]
