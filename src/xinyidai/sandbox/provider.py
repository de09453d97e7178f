"""The sandbox data provider: a stand-in for the tax, utility and social-insurance data services.

A Litestar app of its own (not part of the platform's app) that serves the simulated city of
``xinyidai.simulation`` over the API the platform's HTTP connector speaks:

``POST /oauth/token``
    OAuth 2.0 client-credentials grant (RFC 6749 §4.4). The client authenticates with HTTP
    Basic (``client_secret_basic``) or with ``client_id``/``client_secret`` form fields
    (``client_secret_post``), not both. Errors are RFC 6749 §5.2 JSON documents. Tokens are
    random, held in memory, and live ``token_ttl`` seconds.
``GET /v1/enterprises/{uscc}/series/{family}?from=YYYY-MM&to=YYYY-MM``
    Needs ``Authorization: Bearer <token>`` (else 401) and ``X-Authorization-Receipt``, the
    platform's signed receipt of the SME's authorization, verified against the platform's JWKS
    (``sandbox/receipts.py``): else 403 with ``{"error": "receipt_…"}`` naming the broken rule.
    Every answer that releases items is kept with its receipt (``GET /_sandbox/receipts``), so
    the provider can show the consent behind each record it released. Unknown USCC (bad check
    character) or family: 404. At most 60 months, ``from`` ≤ ``to``, not after the current
    month (China time): else 400. Decimal values are JSON strings, counts JSON numbers; months
    before the firm's founding are left out; a family the firm does not have gives no items.

Test controls (a sandbox has no secrets to protect; never expose it beyond loopback):

* ``app.state.faults`` (:class:`FaultPlan`) or ``POST /_sandbox/faults`` arm faults for the
  next series calls: a late answer (longer than the client waits), 429/500/503, or garbage
  (not JSON, a wrong shape, another enterprise, or one bad item among good ones).
* ``app.state.calls`` (``GET /_sandbox/calls``) counts series calls per (USCC, family).
* ``app.state.concurrency`` (:class:`ConcurrencyProbe`, shown by ``GET /_sandbox/calls``)
  counts the series calls being answered at once and the peak; ``gather(n)`` makes the next
  ``n`` calls wait for each other, so calls sent together are seen together.
* ``app.state.receipts`` (``GET /_sandbox/receipts``): every release with the receipt it was
  made under (in memory: a sandbox's log lives as long as its process).
* :func:`reset` (``POST /_sandbox/reset``) clears faults, counts (the concurrency peak too),
  kept receipts and tokens.

Run it alone with ``python -m xinyidai.sandbox --port 8100 [--seed N] [--client-id ID]
[--platform-jwks FILE | --platform-jwks-uri URL] [--audience ID]``; the client secret is read
from standard input, so it never shows in a process listing.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import hmac
import re
import secrets
import time
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Annotated, Any, ClassVar
from urllib.parse import parse_qsl, unquote_plus

from litestar import Litestar, Request, Response, get, post
from litestar.datastructures import State
from litestar.params import FromPath, QueryParameter

from xinyidai.dates import china_month, months_between, utc_now
from xinyidai.domain.enterprises.codes import CodeError, validate_uscc
from xinyidai.enums import Family
from xinyidai.sandbox.concurrency import ConcurrencyProbe
from xinyidai.sandbox.faults import FaultQueue, arm_faults, show_faults
from xinyidai.sandbox.receipts import PlatformKeys, ReceiptRefused, verify_receipt
from xinyidai.simulation.generator import family_series

DEFAULT_SEED = 2026
DEFAULT_CLIENT_ID = "xinyidai-platform"
DEFAULT_CLIENT_SECRET = "sandbox-client-secret"  # noqa: S105 - the sandbox's published credential
SCOPE = "series:read"
MAX_MONTHS = 60
PROVIDER_NAME = "sandbox"
_MONTH_RE = re.compile(r"^(\d{4})-(0[1-9]|1[0-2])$")

FAULT_KINDS = frozenset(
    {
        "timeout",  # answer only after FaultPlan.delay seconds
        "error_429",
        "error_500",
        "error_503",
        "not_json",  # 200 with an HTML page
        "wrong_shape",  # 200 with a JSON list instead of the document
        "wrong_subject",  # 200 with the document of another enterprise
        "negative_value",  # one item with a negative value
        "missing_field",  # one item without one of its value columns
        "non_numeric",  # one item with "N/A" for a value
        "duplicate_period",  # one period twice, with different values
        "outside_range",  # one extra item before the requested range
    }
)


@dataclass
class FaultPlan(FaultQueue):
    """Faults the next series calls suffer (after authentication and authorization checks).

    ``delay`` is how long a ``timeout`` call waits before answering; ``retry_after`` (seconds)
    is sent with 429 and 503 answers when set.
    """

    KINDS: ClassVar[frozenset[str]] = FAULT_KINDS

    delay: float = 2.0
    retry_after: int | None = None

    def clear(self) -> None:
        super().clear()
        self.delay = 2.0
        self.retry_after = None

    def apply(self, body: Any) -> None:
        super().apply(body)
        if "delay" in body:
            self.delay = float(body["delay"])
        if "retry_after" in body:
            self.retry_after = None if body["retry_after"] is None else int(body["retry_after"])


def reset(app: Litestar) -> None:
    """Forget faults, call counts, kept receipts and issued tokens (clients must fetch a new
    token)."""
    app.state.faults.clear()
    app.state.calls.clear()
    app.state.concurrency.clear()
    app.state.receipts.clear()
    app.state.tokens.clear()


# --- helpers ------------------------------------------------------------------------------------
def _json(status: int, body: Any, headers: dict[str, str] | None = None) -> Response[Any]:
    return Response(
        content=body, status_code=status, headers=headers, media_type="application/json"
    )


def _oauth_error(status: int, error: str, description: str) -> Response[Any]:
    headers = {"Cache-Control": "no-store", "Pragma": "no-cache"}
    if status == 401:
        headers["WWW-Authenticate"] = 'Basic realm="sandbox"'
    return _json(status, {"error": error, "error_description": description}, headers)


def _month(text: str | None) -> date | None:
    match = _MONTH_RE.match(text or "")
    return date(int(match[1]), int(match[2]), 1) if match else None


def _current_month() -> date:
    return china_month()


def _client_from_basic(header: str) -> tuple[str, str] | None:
    scheme, _, credentials = header.strip().partition(" ")
    if scheme.lower() != "basic":
        return None
    try:
        decoded = base64.b64decode(credentials.strip(), validate=True).decode()
    except (binascii.Error, UnicodeDecodeError):
        return None
    client_id, sep, secret = decoded.partition(":")
    return (client_id, secret) if sep else None


def _matches(given: str, expected: str) -> bool:
    """Constant-time comparison, accepting the RFC 6749 §2.3.1 form-encoding or the raw value."""
    return hmac.compare_digest(given.encode(), expected.encode()) or hmac.compare_digest(
        unquote_plus(given).encode(), expected.encode()
    )


def _item(
    family: Family, uscc: str, period: date, values: dict[str, Decimal | int]
) -> dict[str, Any]:
    month = f"{period:%Y-%m}"
    item: dict[str, Any] = {"period": month, "ref": f"sandbox:{family.value}:{uscc}:{month}"}
    for key, value in values.items():
        item[key] = str(value) if isinstance(value, Decimal) else value
    return item


def _spoil(kind: str, items: list[dict[str, Any]], family: Family, first: date) -> None:
    """Make one item of ``items`` bad in the way ``kind`` names."""
    if not items:
        return
    victim = items[len(items) // 2]
    money = next(k for k, v in victim.items() if k not in ("period", "ref") and isinstance(v, str))
    if kind == "negative_value":
        victim[money] = "-" + victim[money]
    elif kind == "missing_field":
        del victim[money]
    elif kind == "non_numeric":
        victim[money] = "N/A"
    elif kind == "duplicate_period":
        twin = dict(victim)
        twin[money] = str(Decimal(twin[money]) + 1)
        items.append(twin)
    elif kind == "outside_range":
        before = date(first.year - (first.month == 1), (first.month - 2) % 12 + 1, 1)
        stray = dict(victim)
        stray["period"] = f"{before:%Y-%m}"
        stray["ref"] = f"sandbox:{family.value}:stray:{before:%Y-%m}"
        items.insert(0, stray)


# --- handlers -----------------------------------------------------------------------------------
class _Refused(Exception):
    """A request refused with an error document: HTTP status, error code and description."""

    def __init__(self, status: int, error: str, description: str) -> None:
        super().__init__(description)
        self.status, self.error, self.description = status, error, description


@post("/oauth/token", status_code=200)
async def issue_token(request: Request[Any, Any, Any], state: State) -> Response[Any]:
    try:
        form = await _token_form(request)
        _authenticate_client(request.headers.get("authorization"), form, state)
        _check_grant(form)
    except _Refused as refused:
        return _oauth_error(refused.status, refused.error, refused.description)

    now = time.time()
    for token, expires in list(state.tokens.items()):
        if expires <= now:
            state.tokens.pop(token, None)
    token = secrets.token_urlsafe(32)
    state.tokens[token] = now + state.token_ttl
    return _json(
        200,
        {
            "access_token": token,
            "token_type": "Bearer",
            "expires_in": state.token_ttl,
            "scope": SCOPE,
        },
        {"Cache-Control": "no-store", "Pragma": "no-cache"},
    )


async def _token_form(request: Request[Any, Any, Any]) -> dict[str, str]:
    """The token request's form, each parameter once."""
    content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if content_type != "application/x-www-form-urlencoded":
        raise _Refused(400, "invalid_request", "the body must be application/x-www-form-urlencoded")
    try:
        pairs = parse_qsl((await request.body()).decode(), keep_blank_values=True)
    except (UnicodeDecodeError, ValueError):
        raise _Refused(400, "invalid_request", "the body is not a valid form") from None
    names = [name for name, _ in pairs]
    if len(names) != len(set(names)):
        raise _Refused(400, "invalid_request", "a parameter is repeated")
    return dict(pairs)


def _authenticate_client(header: str | None, form: dict[str, str], state: State) -> None:
    """Refuse unless the known client authenticated, by HTTP Basic or by form fields."""
    if header:
        basic = _client_from_basic(header)
        if basic is None:
            raise _Refused(401, "invalid_client", "malformed Basic client authentication")
        if "client_secret" in form:
            raise _Refused(400, "invalid_request", "use one client authentication method, not two")
        client_id, secret = basic
        if "client_id" in form and form["client_id"] != unquote_plus(client_id):
            raise _Refused(400, "invalid_request", "client_id differs from the Basic one")
    elif "client_id" in form and "client_secret" in form:
        client_id, secret = form["client_id"], form["client_secret"]
    else:
        raise _Refused(401, "invalid_client", "client authentication is required")
    known_id = _matches(client_id, state.client_id)
    known_secret = _matches(secret, state.client_secret)
    if not (known_id and known_secret):
        raise _Refused(401, "invalid_client", "unknown client or wrong secret")


def _check_grant(form: dict[str, str]) -> None:
    """Refuse anything but a client_credentials grant for the one scope."""
    grant_type = form.get("grant_type")
    if not grant_type:
        raise _Refused(400, "invalid_request", "grant_type is required")
    if grant_type != "client_credentials":
        raise _Refused(400, "unsupported_grant_type", "only client_credentials is supported")
    requested = form.get("scope", SCOPE).split()
    if any(scope != SCOPE for scope in requested):
        raise _Refused(400, "invalid_scope", f"the only scope is {SCOPE!r}")


def _bearer_ok(request: Request[Any, Any, Any], state: State) -> bool:
    scheme, _, token = request.headers.get("authorization", "").strip().partition(" ")
    if scheme.lower() != "bearer" or not token:
        return False
    expires = state.tokens.get(token.strip())
    return expires is not None and expires > time.time()


@get("/v1/enterprises/{uscc:str}/series/{family:str}")
async def series(
    request: Request[Any, Any, Any],
    state: State,
    uscc: FromPath[str],
    family: FromPath[str],
    from_: Annotated[str | None, QueryParameter(name="from")] = None,
    to: Annotated[str | None, QueryParameter(name="to")] = None,
) -> Response[Any]:
    state.calls[(uscc.strip().upper(), family)] += 1
    async with state.concurrency.call():
        return await _series(request, state, uscc, family, from_, to)


async def _series(
    request: Request[Any, Any, Any],
    state: State,
    uscc: str,
    family: str,
    from_: str | None,
    to: str | None,
) -> Response[Any]:
    if not _bearer_ok(request, state):
        return _json(
            401,
            {"error": "invalid_token", "error_description": "a valid bearer token is required"},
            {"WWW-Authenticate": 'Bearer realm="sandbox", error="invalid_token"'},
        )
    receipt = request.headers.get("x-authorization-receipt")
    try:
        header, claims = await verify_receipt(
            receipt,
            state.platform_keys,
            audience=state.audience or str(request.base_url).rstrip("/"),
            uscc=uscc,
            family=family,
        )
    except ReceiptRefused as refused:
        return _json(403, {"error": refused.code, "error_description": refused.description})

    fault = state.faults.take()
    faulty = await _fault_answer(fault, state.faults)
    if faulty is not None:
        return faulty
    try:
        subject, kind, first, last = _series_query(uscc, family, from_, to)
    except _Refused as refused:
        return _json(
            refused.status, {"error": refused.error, "error_description": refused.description}
        )

    items = [
        _item(kind, subject, period, values)
        for period, values in family_series(subject, kind, first, last, state.seed)
    ]
    if fault in FAULT_KINDS and fault not in ("timeout", "wrong_shape", "wrong_subject"):
        _spoil(fault, items, kind, first)
    shown = subject
    if fault == "wrong_subject":
        shown = "91440101000000000X"
    state.receipts.append(
        {
            "jti": claims["jti"],
            "kid": header["kid"],
            "received_at": utc_now().isoformat(),
            "claims": claims,
            "receipt": receipt,
            "released": _released(subject, kind, first, last, items),
        }
    )
    if fault == "wrong_shape":
        return _json(200, items)
    return _json(
        200, {"uscc": shown, "family": kind.value, "provider": PROVIDER_NAME, "items": items}
    )


async def _fault_answer(fault: str | None, faults: FaultPlan) -> Response[Any] | None:
    """The answer a fault gives instead of the series (after waiting, for a timeout), if any."""
    if fault == "timeout":
        await asyncio.sleep(faults.delay)
    elif fault in ("error_429", "error_500", "error_503"):
        status = int(fault.removeprefix("error_"))
        headers = {}
        if status in (429, 503) and faults.retry_after is not None:
            headers["Retry-After"] = str(faults.retry_after)
        return _json(status, {"error": "sandbox_fault", "status": status}, headers)
    elif fault == "not_json":
        return Response(
            content=b"<html><body>502 Bad Gateway</body></html>",
            status_code=200,
            media_type="text/html",
        )
    return None


def _series_query(
    uscc: str, family: str, from_: str | None, to: str | None
) -> tuple[str, Family, date, date]:
    """(USCC, family, first month, last month) of a series request, refused when invalid."""
    try:
        subject = validate_uscc(uscc)
    except CodeError as exc:
        raise _Refused(404, "enterprise_not_found", exc.message) from None
    try:
        kind = Family(family)
    except ValueError:
        raise _Refused(404, "unknown_family", family) from None
    first, last = _month(from_), _month(to)
    if first is None or last is None:
        raise _Refused(400, "invalid_range", "from/to: YYYY-MM")
    if first > last:
        raise _Refused(400, "invalid_range", "from is after to")
    if months_between(first, last) + 1 > MAX_MONTHS:
        raise _Refused(400, "invalid_range", f"at most {MAX_MONTHS} months")
    if last > _current_month():
        raise _Refused(400, "invalid_range", "to is in the future")
    return subject, kind, first, last


def _released(
    subject: str, kind: Family, first: date, last: date, items: list[dict[str, Any]]
) -> dict[str, Any]:
    """What one answer released, as kept beside its receipt."""
    return {
        "uscc": subject,
        "family": kind.value,
        "from": f"{first:%Y-%m}",
        "to": f"{last:%Y-%m}",
        "count": len(items),
        "periods": [item.get("period") for item in items],
        "refs": [item.get("ref") for item in items],
    }


@get("/_sandbox/calls")
async def calls(state: State) -> dict[str, Any]:
    rows = [
        {"uscc": uscc, "family": family, "count": count}
        for (uscc, family), count in sorted(state.calls.items())
    ]
    probe: ConcurrencyProbe = state.concurrency
    return {
        "calls": rows,
        "total": sum(state.calls.values()),
        "in_flight": probe.in_flight,
        "peak_in_flight": probe.peak,
    }


@get("/_sandbox/receipts")
async def kept_receipts(state: State) -> dict[str, Any]:
    """Every release since the last reset, oldest first, with the receipt it was made under."""
    return {"receipts": list(state.receipts), "total": len(state.receipts)}


@post("/_sandbox/reset", status_code=200)
async def reset_sandbox(request: Request[Any, Any, Any]) -> dict[str, bool]:
    reset(request.app)
    return {"reset": True}


# --- the app ------------------------------------------------------------------------------------
def create_app(
    seed: int = DEFAULT_SEED,
    client_id: str = DEFAULT_CLIENT_ID,
    client_secret: str = DEFAULT_CLIENT_SECRET,
    faults: FaultPlan | None = None,
    *,
    token_ttl: int = 3600,
    platform_jwks: Mapping[str, Any] | PlatformKeys | None = None,
    platform_jwks_uri: str | None = None,
    audience: str | None = None,
) -> Litestar:
    """The sandbox provider for the city ``seed``, accepting one client.

    ``platform_jwks`` (a JWK Set, or :class:`PlatformKeys`) and/or ``platform_jwks_uri`` are
    the platform's public keys that its receipts must verify against; with neither, every
    series call is refused. ``audience`` is this provider's identifier in the receipts' ``aud``
    (unset: the base URL the request came to, e.g. ``http://127.0.0.1:8100``).
    """
    if isinstance(platform_jwks, PlatformKeys):
        keys = platform_jwks
        if platform_jwks_uri is not None:
            keys.jwks_uri = platform_jwks_uri
    else:
        keys = PlatformKeys(static=platform_jwks, jwks_uri=platform_jwks_uri)
    state = State(
        {
            "seed": seed,
            "client_id": client_id,
            "client_secret": client_secret,
            "token_ttl": token_ttl,
            "faults": faults if faults is not None else FaultPlan(),
            "calls": Counter(),
            "concurrency": ConcurrencyProbe(),
            "tokens": {},
            "platform_keys": keys,
            "audience": audience.rstrip("/") if audience else None,
            "receipts": [],
            "started_at": utc_now(),
        }
    )
    return Litestar(
        route_handlers=[
            issue_token,
            series,
            calls,
            kept_receipts,
            show_faults,
            arm_faults,
            reset_sandbox,
        ],
        state=state,
        openapi_config=None,
    )


__all__ = [
    "FAULT_KINDS",
    "ConcurrencyProbe",
    "FaultPlan",
    "PlatformKeys",
    "create_app",
    "reset",
]
