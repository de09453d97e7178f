"""structlog configuration: JSON lines in production, readable lines in development.

Every line carries the request id bound by ``RequestContext``. Values under keys that name
secrets or personal identifiers are redacted before rendering, so they never reach a log in clear.
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
        processors += [structlog.processors.format_exc_info, structlog.processors.JSONRenderer()]
    else:
        processors += [
            structlog.dev.ConsoleRenderer(
                colors=sys.stderr.isatty(), exception_formatter=structlog.dev.plain_traceback
            )
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
