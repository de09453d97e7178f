"""structlog configuration: JSON lines in production, readable lines in development.

Every line carries the request id bound by ``RequestContext``. Values under keys that name
secrets or personal identifiers are redacted before rendering, so they never reach a log in clear.
Lines are bounded: a value longer than ``MAX_VALUE_CHARS`` (a traceback: ``MAX_TRACEBACK_CHARS``)
is cut, and so is a rendered line longer than ``MAX_LINE_CHARS``, each with a marker saying how
many characters were cut, so no input can make the platform write a log line of megabytes.
"""

from __future__ import annotations

import logging
import sys
from contextvars import ContextVar
from typing import Any

import structlog

REQUEST_ID: ContextVar[str | None] = ContextVar("xinyidai_request_id", default=None)
"""The current request's id, set by the HTTP layer; every log line carries it."""

_SENSITIVE = ("password", "secret", "token", "id_number", "id_no", "cookie", "authorization")


def _add_request_id(_: Any, __: str, event: dict[str, Any]) -> dict[str, Any]:
    request_id = REQUEST_ID.get()
    if request_id is not None:
        event.setdefault("request_id", request_id)
    return event


def _redact(_: Any, __: str, event: dict[str, Any]) -> dict[str, Any]:
    for key in list(event):
        lowered = key.lower()
        if any(word in lowered for word in _SENSITIVE):
            event[key] = "[redacted]"
    return event


MAX_VALUE_CHARS = 2_000
MAX_TRACEBACK_CHARS = 16_000
MAX_LINE_CHARS = 32_000
_TRACEBACK_KEYS = frozenset({"exception", "stack"})
_SCALARS = (bool, int, float, type(None))


def _cut(text: str, limit: int) -> str:
    if len(text) <= limit:
        return text
    return f"{text[:limit]}…[truncated {len(text) - limit} chars]"


def truncate_values(_: Any, __: str, event: dict[str, Any]) -> dict[str, Any]:
    """Cut long values: strings and bytes at ``MAX_VALUE_CHARS`` (tracebacks at
    ``MAX_TRACEBACK_CHARS``); other values whose text is that long become their cut text."""
    for key, value in event.items():
        if isinstance(value, _SCALARS):
            continue
        limit = MAX_TRACEBACK_CHARS if key in _TRACEBACK_KEYS else MAX_VALUE_CHARS
        if isinstance(value, str):
            if len(value) > limit:
                event[key] = _cut(value, limit)
        elif isinstance(value, (bytes, bytearray)):
            if len(value) > limit:
                event[key] = _cut(repr(bytes(value[: limit + 1])), limit) + (
                    f" (of {len(value)} bytes)"
                )
        elif isinstance(value, (list, tuple, set, frozenset, dict)):
            text = repr(value)
            if len(text) > limit:
                event[key] = _cut(text, limit)
    return event


class _BoundedRenderer:
    """Wraps the final renderer: a rendered line longer than ``MAX_LINE_CHARS`` is cut with a
    marker (a JSON line becomes a smaller JSON object holding the cut text, so it stays JSON)."""

    def __init__(self, renderer: Any, *, json: bool) -> None:
        self.renderer = renderer
        self.json = json

    def __call__(self, logger: Any, method: str, event: dict[str, Any]) -> str:
        # The console renderer pops keys from the event; the JSON renderer leaves it whole.
        line = str(self.renderer(logger, method, event))
        if len(line) <= MAX_LINE_CHARS:
            return line
        if not self.json:
            return _cut(line, MAX_LINE_CHARS)
        keep = {k: event.get(k) for k in ("event", "level", "timestamp", "request_id")}
        head = MAX_LINE_CHARS // 2
        while True:  # escaping the cut text can lengthen it; halve until it fits
            small = str(self.renderer(logger, method, {**keep, "line": _cut(line, head)}))
            if len(small) <= MAX_LINE_CHARS or head < 100:
                return small
            head //= 2


class _StderrLogger:
    """Writes each rendered line to whatever ``sys.stderr`` is at that moment."""

    def msg(self, message: str) -> None:
        stream = sys.stderr
        stream.write(message + "\n")
        stream.flush()

    log = debug = info = warn = warning = error = critical = exception = fatal = msg


def _stderr_factory(*_: Any) -> _StderrLogger:
    return _StderrLogger()


def configure_logging(level: str = "INFO", *, json: bool = False) -> None:
    numeric = logging.getLevelName(level.upper())
    if not isinstance(numeric, int):
        numeric = logging.INFO
    processors: list[Any] = [
        structlog.contextvars.merge_contextvars,
        _add_request_id,
        structlog.processors.add_log_level,
        structlog.processors.TimeStamper(fmt="iso", utc=True),
        _redact,
        structlog.processors.StackInfoRenderer(),
    ]
    if json:
        processors += [
            structlog.processors.format_exc_info,
            truncate_values,
            _BoundedRenderer(structlog.processors.JSONRenderer(), json=True),
        ]
    else:
        processors += [
            truncate_values,
            _BoundedRenderer(
                structlog.dev.ConsoleRenderer(
                    colors=sys.stderr.isatty(), exception_formatter=structlog.dev.plain_traceback
                ),
                json=False,
            ),
        ]
    structlog.configure(
        processors=processors,
        wrapper_class=structlog.make_filtering_bound_logger(numeric),
        logger_factory=_stderr_factory,
        # Not cached: tests capture log events with structlog.testing.capture_logs, which
        # cannot reach loggers that cached the processors of an earlier configuration.
        cache_logger_on_first_use=False,
    )
    logging.basicConfig(level=max(numeric, logging.WARNING), stream=sys.stderr, force=True)
    for noisy in ("saq", "pgserver", "httpx", "alembic"):
        logging.getLogger(noisy).setLevel(max(numeric, logging.WARNING))
