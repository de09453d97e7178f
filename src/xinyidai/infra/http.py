"""HTTP plumbing shared by every capability.

* ``problem_handler`` turns every exception into an RFC 9457 problem-details response; database
  and Redis outages and timeouts become 503 with ``Retry-After``.
* ``CheckedRequest`` (the app's request class) refuses bodies in a media type the endpoint does
  not take (415), and JSON that is not UTF-8, is malformed or nests deeper than
  ``MAX_JSON_DEPTH`` (400), when the body is read: after authentication.
* ``RequestContext`` is the outermost ASGI layer: it gives every request an id (taken from a
  well-formed ``X-Request-ID`` or made fresh), binds it to every log line, returns it on every
  response (404s for unknown routes included), adds the security headers, writes the access log
  and counts Prometheus metrics by route template.
* ``SwaggerPage`` renders the API documentation page with a per-request script nonce, so the page
  works under the strict Content-Security-Policy.
* ``problem_responses`` documents the problem bodies an operation can answer in OpenAPI.
"""

from __future__ import annotations

import itertools
import re
import secrets
import time
from bisect import bisect_left
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

import msgspec
import structlog
from litestar import Request, Response
from litestar.enums import RequestEncodingType, ScopeType
from litestar.exceptions import (
    HTTPException,
    InternalServerException,
    SerializationException,
    ValidationException,
)
from litestar.openapi.datastructures import ResponseSpec
from litestar.openapi.plugins import SwaggerRenderPlugin
from litestar.params import BodyKwarg
from litestar.status_codes import HTTP_500_INTERNAL_SERVER_ERROR
from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.core import CounterMetricFamily, HistogramMetricFamily, Metric
from redis.exceptions import RedisError

from xinyidai.infra.db import is_database_unavailable
from xinyidai.infra.errors import (
    DomainError,
    FieldError,
    MalformedBody,
    Problem,
    UnsupportedMediaType,
)
from xinyidai.infra.logging import REQUEST_ID
from xinyidai.infra.metrics_share import MetricsShare
from xinyidai.infra.redis import is_redis_unavailable

if TYPE_CHECKING:
    from collections.abc import AsyncGenerator

    from litestar.handlers import BaseRouteHandler
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
    """Name the backing service an exception says is down or too slow, if it is that kind."""
    if is_redis_unavailable(exc):
        return "redis"
    if is_database_unavailable(exc):
        return "database"
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


# msgspec's words for an absent field, where Litestar's key names only the whole body ("data").
_MISSING_FIELD = re.compile(r"^Object missing required field `([^`]+)`(?: - at `\$\.?([^`]*)`)?$")


def _field_of(key: str, message: str) -> str:
    missing = _MISSING_FIELD.match(message)
    if key == "data" and missing:
        name, at = missing.groups()
        return f"{at}.{name}" if at else name
    return key


def _field_errors(exc: ValidationException) -> list[FieldError] | None:
    extra = exc.extra
    if not isinstance(extra, list):
        return None
    errors = []
    for item in extra:
        if isinstance(item, dict):
            message = str(item.get("message", "invalid"))
            key = str(item.get("key") or item.get("source") or "body")
            errors.append(FieldError(field=_field_of(key, message), message=message))
    return errors or None


def problem_for(exc: BaseException) -> tuple[Problem, dict[str, str]]:
    """Map any exception to the problem it should be reported as, with response headers."""
    request_id = REQUEST_ID.get()
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


MAX_JSON_DEPTH = 32
"""Deepest nesting of arrays and objects a JSON body may have (our bodies nest 2 or 3 deep)."""

# A JSON string (unrolled: no backtracking per character), or one bracket.
_JSON_TOKENS = re.compile(rb'"[^"\\]*(?:\\.[^"\\]*)*"|[\[\]{}]', re.DOTALL)
_OPENERS = frozenset(b"[{")


def json_nests_deeper_than(body: bytes, limit: int = MAX_JSON_DEPTH) -> bool:
    """Whether the arrays and objects of ``body`` nest deeper than ``limit``. Brackets inside
    strings do not count. Bodies with at most ``limit`` opening brackets are answered at once."""
    if body.count(b"[") + body.count(b"{") <= limit:
        return False
    depth = 0
    for match in _JSON_TOKENS.finditer(body):
        first = body[match.start()]
        if first in _OPENERS:
            depth += 1
            if depth > limit:
                return True
        elif first != 0x22:  # a closing bracket (0x22 is the quote of a string)
            depth -= 1
    return False


def is_json_media_type(media_type: str) -> bool:
    """``application/json`` or a structured ``application/*+json`` type."""
    media_type = media_type.lower()
    return media_type == "application/json" or (
        media_type.startswith("application/") and media_type.endswith("+json")
    )


_BODY_MEDIA_KEY = "xinyidai.body_media_type"


def _declared_body_media_type(handler: BaseRouteHandler) -> str | None:
    """The media type of the handler's ``data`` parameter (JSON unless its ``Body`` says
    otherwise), or None when it declares no body. Worked out once per handler."""
    opt = handler.opt
    if _BODY_MEDIA_KEY not in opt:
        field = handler.parsed_fn_signature.parameters.get("data")
        media: str | None = None
        if field is not None:
            kwarg = field.kwarg_definition
            declared = kwarg.media_type if isinstance(kwarg, BodyKwarg) else None
            media = str(getattr(declared, "value", declared or RequestEncodingType.JSON.value))
        opt[_BODY_MEDIA_KEY] = media
    cached: str | None = opt[_BODY_MEDIA_KEY]
    return cached


class CheckedRequest(Request[Any, Any, Any]):
    """The app's request class: every body goes through ``stream`` (``body()``, forms and
    uploads included), and every JSON body through ``json``; both check what they read.

    Litestar reads a body only while it builds the handler's arguments, after guards and the
    session check (``accounts.guards.authenticate_early``), so none of this runs for a request
    that is refused before.
    """

    __slots__ = ()

    def _check_media_type(self) -> None:
        expected = _declared_body_media_type(self.route_handler)
        if expected is None:
            return
        sent = self.content_type[0]
        if expected == RequestEncodingType.JSON.value:
            if is_json_media_type(sent):
                return
        elif sent.lower() == expected:
            return
        raise UnsupportedMediaType(
            f"this endpoint takes {expected}, not {sent or 'a body without a content type'}"
        )

    async def stream(self) -> AsyncGenerator[bytes, None]:
        checked = False
        try:
            async for chunk in super().stream():
                if chunk and not checked:
                    self._check_media_type()
                    checked = True
                yield chunk
        except InternalServerException as exc:
            # Litestar's word for a client that went away in the middle of its body: the
            # client's doing (nobody reads the answer), not a server error to alert on.
            if exc.detail == "client disconnected prematurely":
                raise MalformedBody("the client disconnected before its body ended") from None
            raise

    async def json(self) -> Any:
        body = await self.body()
        if not body:
            return await super().json()
        if not is_json_media_type(self.content_type[0]):
            raise UnsupportedMediaType("send JSON as application/json")
        if json_nests_deeper_than(body):
            raise MalformedBody(f"the JSON body nests deeper than {MAX_JSON_DEPTH} levels")
        try:
            return await super().json()
        except UnicodeDecodeError:
            raise MalformedBody("the body is not valid UTF-8") from None
        except RecursionError:  # pragma: no cover - the depth check comes first
            raise MalformedBody("the JSON body nests too deep") from None
        except SerializationException as exc:
            raise MalformedBody(f"the body is not valid JSON: {exc}") from None


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


_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0)


class Series:
    __slots__ = ("buckets", "count", "total")

    def __init__(self) -> None:
        self.buckets = [0] * (len(_BUCKETS) + 1)  # the last one is +Inf
        self.count = 0
        self.total = 0.0


class Metrics:
    """Request counts and latency histograms by method, route template and status.

    Observing is a dict lookup and three increments: one event loop updates these, so they need
    none of prometheus_client's per-sample locks. The numbers become Prometheus metric families
    only when ``/metrics`` is scraped (``exposition``). With several worker processes each
    shares its series through Redis (``share``, ``infra/metrics_share.py``), and a scrape
    answers for all the processes of the host.
    """

    def __init__(self) -> None:
        self._series: dict[tuple[str, str, int], Series] = {}
        self.registry = CollectorRegistry(auto_describe=False)
        self.registry.register(self)
        self.share: MetricsShare | None = None

    @property
    def series(self) -> dict[tuple[str, str, int], Series]:
        return self._series

    def observe(self, method: str, route: str, status: int, seconds: float) -> None:
        key = (method, route, status)
        series = self._series.get(key)
        if series is None:
            series = self._series[key] = Series()
        series.count += 1
        series.total += seconds
        series.buckets[bisect_left(_BUCKETS, seconds)] += 1
        if self.share is not None and not self.share.pending:
            self.share.changed()

    def describe(self) -> list[Metric]:
        return []

    def collect(self) -> Iterator[Metric]:
        return _families(self._series)

    async def exposition(self) -> bytes:
        """The Prometheus text of every worker process of this host (of this process alone,
        logged, when Redis does not answer)."""
        if self.share is None:
            return generate_latest(self.registry)
        try:
            merged = await self.share.gather()
        except RedisError as exc:
            log.warning("metrics_of_this_process_only", error=str(exc))
            return generate_latest(self.registry)
        return generate_latest(_Snapshot(merged))


class _Snapshot:
    """A collector of fixed series (the host's, added up), for one exposition."""

    def __init__(self, series: dict[tuple[str, str, int], Series]) -> None:
        self.series = series

    def collect(self) -> Iterator[Metric]:
        return _families(self.series)


def _families(all_series: dict[tuple[str, str, int], Series]) -> Iterator[Metric]:
    requests = CounterMetricFamily(
        "xinyidai_http_requests", "HTTP requests answered", labels=("method", "route", "status")
    )
    duration = HistogramMetricFamily(
        "xinyidai_http_request_duration_seconds",
        "Time to answer an HTTP request",
        labels=("method", "route"),
    )
    merged: dict[tuple[str, str], Series] = {}
    for (method, route, status), series in list(all_series.items()):
        requests.add_metric((method, route, str(status)), series.count)
        into = merged.setdefault((method, route), Series())
        into.count += series.count
        into.total += series.total
        into.buckets = [a + b for a, b in zip(into.buckets, series.buckets, strict=True)]
    for (method, route), series in merged.items():
        running, cumulative = 0, []
        for bound, n in zip((*map(str, _BUCKETS), "+Inf"), series.buckets, strict=True):
            running += n
            cumulative.append((bound, running))
        duration.add_metric((method, route), cumulative, series.total)
    yield requests
    yield duration


QUIET_PATHS = frozenset({"/health/live", "/health/ready", "/metrics"})

CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data:; connect-src 'self'; frame-ancestors 'none'; base-uri 'self'; "
    "form-action 'self'; object-src 'none'"
)
"""The policy of every response: ready for the portals (a single-page app served from ``/``,
whose component library sets inline styles); pages get scripts only from this origin."""

_CSP_NONCE_STATE = "xinyidai.csp_script_nonce"
_SECURITY_HEADERS = (
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"no-referrer"),
    (b"x-frame-options", b"DENY"),
    (b"content-security-policy", CONTENT_SECURITY_POLICY.encode()),
)
_NO_STORE = (b"cache-control", b"no-store")


def _security_headers(scope: Scope, headers: list[tuple[bytes, bytes]]) -> None:
    """Add the security headers a response does not set itself. Every response gets
    ``nosniff``, no referrer, no framing and the policy; every ``/api/`` response also
    ``Cache-Control: no-store`` (its data is someone's), unless its handler chose a policy."""
    present = {name.lower() for name, _ in headers}
    for name, value in _SECURITY_HEADERS:
        if name not in present:
            if name == b"content-security-policy":
                nonce = scope["state"].get(_CSP_NONCE_STATE)
                if nonce is not None:
                    value = value.replace(
                        b"script-src 'self'", b"script-src 'self' 'nonce-" + nonce + b"'"
                    )
            headers.append((name, value))
    if b"cache-control" not in present and scope["path"].startswith("/api/"):
        headers.append(_NO_STORE)


class SwaggerPage(SwaggerRenderPlugin):
    """Swagger UI whose one inline script carries a fresh nonce, which ``RequestContext`` puts
    into that response's policy (``script-src 'self' 'nonce-…'``): the page works without
    allowing inline scripts anywhere. Its favicon is an empty data URI, not a CDN image."""

    _INLINE = b"<script type='text/javascript'>"

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("favicon", "<link rel='icon' href='data:,'>")
        super().__init__(**kwargs)

    def render(self, request: Request[Any, Any, Any], openapi_schema: dict[str, Any]) -> bytes:
        page = super().render(request, openapi_schema)
        nonce = secrets.token_urlsafe(18).encode()
        request.scope["state"][_CSP_NONCE_STATE] = nonce
        return page.replace(self._INLINE, b"<script nonce='" + nonce + b"'>")


class RequestContext:
    """Outermost ASGI layer: request id, log context, security headers, access log, metrics."""

    def __init__(self, app: ASGIApp, metrics: Metrics) -> None:
        self.app = app
        self.metrics = metrics
        # Ids are a random per-process prefix and a counter: unique, 32 hex characters, and
        # cheaper than a uuid4 (a syscall) on every request.
        self._prefix = secrets.token_hex(10)
        self._counter = itertools.count(1)

    def _next_id(self) -> str:
        return f"{self._prefix}{next(self._counter):012x}"

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != ScopeType.HTTP:
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
            request_id = self._next_id()
        scope["state"]["request_id"] = request_id
        token = REQUEST_ID.set(request_id)
        started = time.perf_counter()
        status = 500
        header = (b"x-request-id", request_id.encode())

        async def send_with_id(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                headers = message.get("headers")
                if not isinstance(headers, list):
                    headers = message["headers"] = list(headers or ())
                headers.append(header)
                _security_headers(scope, headers)
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        finally:
            elapsed = time.perf_counter() - started
            route = scope.get("path_template") or "<unmatched>"
            method: str = scope["method"]
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
            REQUEST_ID.reset(token)
