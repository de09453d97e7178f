"""Log lines are bounded: no value, and no line, can make the platform write megabytes."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator

import pytest
import structlog

from xinyidai.infra.logging import (
    MAX_LINE_CHARS,
    MAX_TRACEBACK_CHARS,
    MAX_VALUE_CHARS,
    configure_logging,
)

MEGABYTE = 1024 * 1024


@pytest.fixture
def json_logs() -> Iterator[None]:
    configure_logging("INFO", json=True)
    yield
    configure_logging("INFO", json=False)


def _lines(capsys: pytest.CaptureFixture[str]) -> list[str]:
    return [line for line in capsys.readouterr().err.splitlines() if line]


def test_a_megabyte_value_is_cut_with_a_marker_saying_how_much(
    json_logs: None, capsys: pytest.CaptureFixture[str]
) -> None:
    structlog.get_logger("test").warning("import_rejected", reason="é" * MEGABYTE, rows=3)
    (line,) = _lines(capsys)
    assert len(line) < 7 * MAX_VALUE_CHARS  # an escaped é is 6 characters
    event = json.loads(line)
    assert event["event"] == "import_rejected" and event["rows"] == 3
    assert event["reason"].startswith("é" * MAX_VALUE_CHARS)
    assert event["reason"].endswith(f"…[truncated {MEGABYTE - MAX_VALUE_CHARS} chars]")


def test_bytes_and_containers_are_cut_too(
    json_logs: None, capsys: pytest.CaptureFixture[str]
) -> None:
    errors = [{"row": n, "error": "bad"} for n in range(10**5)]
    structlog.get_logger("test").info("received", body=b"\x00" * MEGABYTE, errors=errors)
    (line,) = _lines(capsys)
    event = json.loads(line)
    assert "truncated" in event["body"] and f"of {MEGABYTE} bytes" in event["body"]
    assert isinstance(event["errors"], str) and "truncated" in event["errors"]
    assert len(line) < 10 * MAX_VALUE_CHARS


def test_a_line_of_many_long_values_is_cut_as_a_whole_and_stays_json(
    json_logs: None, capsys: pytest.CaptureFixture[str]
) -> None:
    values = {f"field_{n}": "x" * MEGABYTE for n in range(40)}
    structlog.get_logger("test").info("wide", **values)
    (line,) = _lines(capsys)
    assert len(line) <= MAX_LINE_CHARS
    event = json.loads(line)
    assert event["event"] == "wide" and event["level"] == "info"
    cut = re.search(r"…\[truncated (\d+) chars\]$", event["line"])
    assert cut and int(cut.group(1)) > 0


def test_a_long_traceback_keeps_more_than_a_value_but_is_bounded(
    json_logs: None, capsys: pytest.CaptureFixture[str]
) -> None:
    try:
        raise ValueError("v" * MEGABYTE)
    except ValueError:
        structlog.get_logger("test").exception("failed")
    (line,) = _lines(capsys)
    event = json.loads(line)
    assert MAX_VALUE_CHARS < len(event["exception"]) <= MAX_TRACEBACK_CHARS + 40
    assert "truncated" in event["exception"]


def test_console_lines_are_bounded_too(capsys: pytest.CaptureFixture[str]) -> None:
    configure_logging("INFO", json=False)
    structlog.get_logger("test").info("console", reason="y" * MEGABYTE)
    (line,) = _lines(capsys)
    assert len(line) < 2 * MAX_VALUE_CHARS
    assert f"truncated {MEGABYTE - MAX_VALUE_CHARS} chars" in line
