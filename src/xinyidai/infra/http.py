"""HTTP plumbing shared by every capability.

* ``problem_handler`` turns every exception into an RFC 9457 problem-details response.
* ``RequestContext`` is the outermost ASGI layer: it gives every request an id (taken from a
  well-formed ``X-Request-ID`` or made fresh), binds it to every log line, returns it on every
  response (404s for unknown routes included), writes the access log and counts Prometheus
  metrics by route template.
* ``problem_responses`` documents the problem bodies an operation can answer in OpenAPI.
"""

from __future__ import annotations

import re
import time
import uuid
from typing import TYPE_CHECKING, Any

import msgspec
import structlog
from litestar import Request, Response
from litestar.exceptions import HTTPException, ValidationException
from litestar.openapi.datastructures import ResponseSpec
from litestar.status_codes import HTTP_500_INTERNAL_SERVER_ERROR
from prometheus_client import CollectorRegistry, Counter, Histogram

from xinyidai.infra.errors import DomainError, FieldError, Problem

if TYPE_CHECKING:
    from litestar.types import ASGIApp, Message, Receive, Scope, Send

log = structlog.get_logger("xinyidai.http")

PROBLEM_MEDIA_TYPE = "application/problem+json"
_REQUEST_ID_RE = re.compile(r"^[A-Za-z0-9._:-]{8,128}$")

_TITLES = {
    400: "Bad request",
    401: "Not authenticated",
    403: "Forbidden",
    404: "Not found",
    405: "Method not allowed",
    409: "Conflict",
    413: "Content too large",
    415: "Unsupported media type",
    422: "Invalid input",
    429: "Too many requests",
    500: "Internal server error",
    503: "Service unavailable",
}


def _unavailable(exc: BaseException) -> str | None:
    """Name the backing service an exception says is down, if it is that kind of exception."""
    import redis.exceptions as redis_exc
    from sqlalchemy.exc import InterfaceError, OperationalError
    from sqlalchemy.exc import TimeoutError as PoolTimeout

    if isinstance(
        exc, (redis_exc.ConnectionError, redis_exc.TimeoutError, redis_exc.BusyLoadingError)
    ):
        return "redis"
    if isinstance(exc, (OperationalError, InterfaceError, PoolTimeout)):
        return "database"
    if isinstance(exc, (ConnectionRefusedError, ConnectionResetError)):
        return "database"
    try:
        import asyncpg

        if isinstance(exc, (asyncpg.CannotConnectNowError, asyncpg.ConnectionDoesNotExistError)):
            return "database"
    except ImportError:  # pragma: no cover - asyncpg is a dependency
        pass
    return None


def _unstorable(exc: BaseException) -> bool:
    """Text the database cannot hold (NUL, invalid UTF-8): the client's input, so a 422."""
    if isinstance(exc, UnicodeEncodeError):
        return True
    cause = getattr(exc, "orig", None) or exc.__cause__
    name = type(cause).__name__ if cause is not None else ""
    return name in {"CharacterNotInRepertoireError", "UntranslatableCharacterError"} or (
        cause is not None and "invalid byte sequence" in str(cause)
    )


def _field_errors(exc: ValidationException) -> list[FieldError] | None:
    extra = exc.extra
    if not isinstance(extra, list):
        return None
    errors = []
    for item in extra:
        if isinstance(item, dict):
            errors.append(
                FieldError(
                    field=str(item.get("key") or item.get("source") or "body"),
                    message=str(item.get("message", "invalid")),
                )
            )
    return errors or None


def problem_for(exc: BaseException) -> tuple[Problem, dict[str, str]]:
    """Map any exception to the problem it should be reported as, with response headers."""
    request_id = structlog.contextvars.get_contextvars().get("request_id")
    if isinstance(exc, DomainError):
        return exc.to_problem(request_id=request_id), exc.headers
    if isinstance(exc, ValidationException):
        detail = exc.detail or "the request is not valid"
        malformed = "decode" in detail.lower() or "malformed" in detail.lower()
        status = 400 if malformed else 422
        return (
            Problem(
                type="urn:xinyidai:problem:"
                + ("malformed-request" if malformed else "invalid-input"),
                title=_TITLES[status],
                status=status,
                detail=detail,
                errors=_field_errors(exc),
                request_id=request_id,
            ),
            dict(exc.headers or {}),
        )
    if isinstance(exc, HTTPException):
        status = exc.status_code
        if status >= 500:
            log.error("http_error", status=status, detail=exc.detail, exc_info=exc)
        return (
            Problem(
                title=_TITLES.get(status, "Error"),
                status=status,
                detail=exc.detail if status < 500 else None,
                request_id=request_id,
            ),
            dict(exc.headers or {}),
        )
    if _unstorable(exc):
        return (
            Problem(
                type="urn:xinyidai:problem:invalid-input",
                title=_TITLES[422],
                status=422,
                detail="the input contains characters that cannot be stored",
                request_id=request_id,
            ),
            {},
        )
    service = _unavailable(exc)
    if service is not None:
        log.warning("dependency_unavailable", service=service, error=type(exc).__name__)
        return (
            Problem(
                type="urn:xinyidai:problem:dependency-unavailable",
                title=_TITLES[503],
                status=503,
                detail=f"the {service} is unavailable; try again shortly",
                request_id=request_id,
                retry_after=5,
            ),
            {"Retry-After": "5"},
        )
    log.error("unhandled_exception", exc_info=exc)
    return (
        Problem(
            title=_TITLES[500],
            status=HTTP_500_INTERNAL_SERVER_ERROR,
            detail="an unexpected error occurred; it has been logged with this request id",
            request_id=request_id,
        ),
        {},
    )


def problem_handler(request: Request[Any, Any, Any], exc: Exception) -> Response[bytes]:
    problem, headers = problem_for(exc)
    problem.instance = request.url.path
    return Response(
        content=msgspec.json.encode(problem),
        status_code=problem.status,
        media_type=PROBLEM_MEDIA_TYPE,
        headers=headers,
    )


def problem_responses(*statuses: int) -> dict[int, ResponseSpec]:
    """OpenAPI documentation of the problem bodies an operation may answer."""
    return {
        status: ResponseSpec(
            data_container=Problem,
            description=_TITLES.get(status, "Error"),
            media_type=PROBLEM_MEDIA_TYPE,
            generate_examples=False,
        )
        for status in statuses
    }


SESSION_SECURITY: list[dict[str, list[str]]] = [{"session": []}]
"""OpenAPI security requirement of operations that need a logged-in session."""


class Metrics:
    """The Prometheus metrics the HTTP layer keeps, in a registry of their own per app."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry(auto_describe=True)
        self.requests = Counter(
            "xinyidai_http_requests",
            "HTTP requests answered",
            ("method", "route", "status"),
            registry=self.registry,
        )
        self.duration = Histogram(
            "xinyidai_http_request_duration_seconds",
            "Time to answer an HTTP request",
            ("method", "route"),
            buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0),
            registry=self.registry,
        )
        self._children: dict[tuple[str, str, int], tuple[Any, Any]] = {}

    def observe(self, method: str, route: str, status: int, seconds: float) -> None:
        key = (method, route, status)
        children = self._children.get(key)
        if children is None:
            children = (
                self.requests.labels(method, route, str(status)),
                self.duration.labels(method, route),
            )
            self._children[key] = children
        children[0].inc()
        children[1].observe(seconds)


QUIET_PATHS = frozenset({"/health/live", "/health/ready", "/metrics"})


class RequestContext:
    """Outermost ASGI layer: request id, log context, access log, metrics."""

    def __init__(self, app: ASGIApp, metrics: Metrics) -> None:
        self.app = app
        self.metrics = metrics

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        request_id = None
        for name, value in scope["headers"]:
            if name == b"x-request-id":
                candidate = value.decode("latin-1")
                if _REQUEST_ID_RE.match(candidate):
                    request_id = candidate
                break
        if request_id is None:
            request_id = uuid.uuid4().hex
        scope["state"]["request_id"] = request_id
        structlog.contextvars.clear_contextvars()
        structlog.contextvars.bind_contextvars(request_id=request_id)
        started = time.perf_counter()
        status = 500
        header = (b"x-request-id", request_id.encode())

        async def send_with_id(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                message["headers"] = [*message.get("headers", ()), header]
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        finally:
            elapsed = time.perf_counter() - started
            route = scope.get("path_template") or "<unmatched>"
            method: str = scope["method"]  # type: ignore[typeddict-item]
            self.metrics.observe(method, route, status, elapsed)
            if scope["path"] not in QUIET_PATHS:
                log.info(
                    "request",
                    method=method,
                    path=scope["path"],
                    route=route,
                    status=status,
                    duration_ms=round(elapsed * 1000, 2),
                )
