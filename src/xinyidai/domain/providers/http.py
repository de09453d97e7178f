"""The HTTP connector: a data provider's series API behind OAuth 2.0 client credentials.

The API (the sandbox in ``xinyidai.sandbox.provider`` serves it)::

    POST {base}/oauth/token                       client_credentials, client_secret_basic
    GET  {base}/v1/enterprises/{uscc}/series/{family}?from=YYYY-MM&to=YYYY-MM
         Authorization: Bearer …   X-Authorization-Receipt: <the platform's signed receipt>
    →    {"uscc", "family", "items": [{"period": "YYYY-MM", "ref": "…", <value columns>}]}

The OAuth client is Authlib's ``AsyncOAuth2Client`` (an ``httpx.AsyncClient``). It is created
with ``grant_type="client_credentials"`` and the token endpoint in its metadata, which is what
makes Authlib fetch a new token by itself when the current one is about to expire (Authlib's
``ensure_active_token``, 60 s leeway). This connector fetches the first token lazily and a fresh
one when the provider answers 401 (it forgot or revoked the token), once per call.

Retries: timeouts, connection errors, 5xx and 429 are retried ``retries`` times with
exponential backoff and jitter (honouring ``Retry-After`` up to ``max_retry_after`` seconds);
then ``ProviderError(retryable=True)``. A ``Retry-After`` holds back the whole connector, not
only the call that got it: no call of this instance is sent before it has passed. Other 4xx
are not retried: 403 (the provider does not accept the receipt; its error code is kept in the
message) and 404 (unknown enterprise) raise ``ProviderError(retryable=False)``. A body that is
not the expected document rejects the whole response (``ProviderError(retryable=False)``); bad
items are rejected one by one (``FetchResult.rejected``).

The receipt (``domain/consents/receipts.py``) is the only authorization sent: it names the
authorization's reference itself, so the bare ``X-Authorization-Reference`` header the
connector sent before receipts is gone (two statements of one fact could disagree). It is
issued for ``audience`` (``PROVIDER_AUDIENCE``, by default the provider's base URL).

Concurrency: calls may run at once (an SME's families are fetched together); at most
``max_concurrent`` of them (``PROVIDER_CONCURRENCY``) are at the provider at any moment, the
others wait for a slot. A call holds its slot only while its request is out, not while it
sleeps before a retry. Requests leave in the order the calls were made: a call's first request
is written only once the previous call's first request has been (or that call has ended), so
the provider sees the calls in the order the platform made them.

One instance holds a connection pool, a token and the concurrency bound: create it once per
process (or per worker) and share it between calls; close it with ``aclose()``. It must be used
from one event loop.
"""

from __future__ import annotations

import asyncio
import random
import re
import warnings
from datetime import UTC, date
from decimal import Decimal
from email.utils import parsedate_to_datetime
from typing import Any, NoReturn
from urllib.parse import quote

import authlib.deprecate  # noqa: F401 - its filter must be installed before ours below
import httpx
import msgspec
import structlog
from authlib.common.errors import AuthlibBaseError

from xinyidai.dates import utc_now
from xinyidai.domain.providers.base import (
    RECEIPT_MAX,
    RECEIPT_RE,
    FetchResult,
    ProviderError,
    validate_items,
)
from xinyidai.enums import Family
from xinyidai.settings import Settings

with warnings.catch_warnings():
    # Authlib 1.9 prefers the httpx2 package and warns when it falls back to httpx.
    warnings.filterwarnings("ignore", message="The httpx module is deprecated")
    from authlib.integrations.httpx_client import AsyncOAuth2Client

log = structlog.get_logger(__name__)

MAX_BODY = 8 * 1024 * 1024  # bytes; a series of 60 months is a few kilobytes
_RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})
_ERROR_CODE_RE = re.compile(r"^[a-z][a-z0-9_]{0,63}$")


class _Turn:
    """A call's place in the order requests leave: it waits for ``previous`` (the call made
    just before it) to have written its first request, and sets ``sent`` once its own has."""

    __slots__ = ("previous", "sent")

    def __init__(self, previous: asyncio.Event | None) -> None:
        self.previous = previous
        self.sent = asyncio.Event()

    async def wait(self) -> None:
        if self.previous is not None:
            await self.previous.wait()
            self.previous = None

    async def trace(self, event: str, _info: object) -> None:
        """httpcore's ``trace`` extension: the request is written once its body is sent."""
        if event.endswith("send_request_body.complete"):
            self.sent.set()


class _Retry(Exception):
    """One attempt failed in a way worth trying again."""

    def __init__(
        self, cause: str, retry_after: float | None = None, status: int | None = None
    ) -> None:
        super().__init__(cause)
        self.cause = cause
        self.retry_after = retry_after
        self.status = status


def _retry_after(response: httpx.Response) -> float | None:
    value = response.headers.get("retry-after")
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - utc_now()).total_seconds())


def _error_code(response: httpx.Response) -> str:
    """The ``error`` code of a refusal's JSON body (a short token), else ``"no reason given"``."""
    try:
        body = msgspec.json.decode(response.content[:4096])
    except msgspec.DecodeError:
        return "no reason given"
    code = body.get("error") if isinstance(body, dict) else None
    if isinstance(code, str) and _ERROR_CODE_RE.match(code):
        return code
    return "no reason given"


class HttpDataProvider:
    """A :class:`~xinyidai.domain.providers.base.DataProvider` over the provider's HTTP API."""

    @classmethod
    def from_settings(cls, settings: Settings) -> HttpDataProvider:
        """The provider the platform is configured to call (``PROVIDER_*`` settings)."""
        if not settings.provider_url:
            raise ValueError("no data provider is configured (PROVIDER_URL)")
        return cls(
            settings.provider_url,
            settings.provider_client_id,
            settings.provider_client_secret,
            timeout=settings.provider_timeout,
            retries=settings.provider_retries,
            audience=settings.provider_audience,
            max_concurrent=settings.provider_concurrency,
        )

    def __init__(
        self,
        base_url: str,
        client_id: str,
        client_secret: str,
        *,
        timeout: float = 10.0,
        retries: int = 3,
        backoff: float = 0.2,
        name: str = "sandbox",
        max_retry_after: float = 30.0,
        audience: str | None = None,
        max_concurrent: int = 8,
    ) -> None:
        if retries < 0 or timeout <= 0 or backoff < 0:
            raise ValueError("retries and backoff must not be negative, timeout must be positive")
        if max_concurrent < 1:
            raise ValueError("max_concurrent must be at least 1")
        self.name = name
        self.base_url = base_url.rstrip("/")
        self.audience = audience or self.base_url
        self.token_endpoint = f"{self.base_url}/oauth/token"
        self.timeout = timeout
        self.retries = retries
        self.backoff = backoff
        self.max_retry_after = max_retry_after
        self.max_concurrent = max_concurrent
        self._slots = asyncio.Semaphore(max_concurrent)
        self._not_before = 0.0  # loop time before which no call is sent (a Retry-After)
        self._last_turn: asyncio.Event | None = None  # set when the latest call's request left
        self._client = AsyncOAuth2Client(
            client_id=client_id,
            client_secret=client_secret,
            token_endpoint_auth_method="client_secret_basic",  # noqa: S106 - a method name
            # Metadata Authlib reads to renew an expiring client-credentials token by itself.
            token_endpoint=self.token_endpoint,
            grant_type="client_credentials",
            timeout=httpx.Timeout(timeout),
            follow_redirects=False,
            headers={"Accept": "application/json", "User-Agent": "xinyidai-connector/1"},
        )
        self._token_lock = asyncio.Lock()
        self._decoder = msgspec.json.Decoder(float_hook=Decimal)

    @property
    def _log(self) -> Any:
        return log.bind(provider=self.name)

    async def __aenter__(self) -> HttpDataProvider:
        return self

    async def __aexit__(self, *_: object) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        await self._client.aclose()

    # --- the call -------------------------------------------------------------------------------
    async def fetch(
        self,
        uscc: str,
        family: Family,
        first: date,
        last: date,
        receipt: str,
    ) -> FetchResult:
        """Fetch ``family`` of ``uscc`` for the months ``first``..``last`` (inclusive), under
        the signed authorization ``receipt``.

        Raises ``ValueError`` for arguments that could never be served (a caller's bug) and
        :class:`ProviderError` for everything that goes wrong with the provider.
        """
        family = Family(family)
        first, last = first.replace(day=1), last.replace(day=1)
        if first > last:
            raise ValueError("first must not be after last")
        if len(receipt) > RECEIPT_MAX or not RECEIPT_RE.match(receipt):
            raise ValueError("the receipt is not a compact JWS")
        subject = uscc.strip().upper()
        url = f"{self.base_url}/v1/enterprises/{quote(subject, safe='')}/series/{family.value}"
        params = {"from": f"{first:%Y-%m}", "to": f"{last:%Y-%m}"}
        headers = {"X-Authorization-Receipt": receipt}
        turn = _Turn(self._last_turn)  # taken before any await: in the order calls are made
        self._last_turn = turn.sent
        try:
            response = await self._get_with_retries(url, params, headers, family, turn)
        finally:
            turn.sent.set()
        items = self._items(response, subject, family)
        return validate_items(family, items, first, last, provider=self.name)

    async def _get_with_retries(
        self,
        url: str,
        params: dict[str, str],
        headers: dict[str, str],
        family: Family,
        turn: _Turn,
    ) -> httpx.Response:
        attempt = 0
        refused: str | None = None  # the Authorization the provider answered 401 to
        while True:
            try:
                response = await self._attempt(url, params, headers, family, refused, turn)
            except _Retry as failure:
                if attempt >= self.retries:
                    self._log.warning(
                        "provider_call_failed",
                        family=family.value,
                        attempts=attempt + 1,
                        cause=failure.cause,
                    )
                    raise ProviderError(
                        f"{self.name}: {failure.cause} (gave up after {attempt + 1} attempts)",
                        retryable=True,
                        status=failure.status,
                    ) from None
                delay = self.backoff * 2**attempt * (0.5 + random.random())
                if failure.retry_after is not None:
                    delay = max(delay, min(failure.retry_after, self.max_retry_after))
                    self._hold_back(delay)
                self._log.info(
                    "provider_call_retry",
                    family=family.value,
                    attempt=attempt + 1,
                    cause=failure.cause,
                    delay=round(delay, 3),
                )
                attempt += 1
                await asyncio.sleep(delay)
                continue
            if response.status_code == 401:
                if refused is None:
                    # The provider forgot or revoked our token: renew it, once per call.
                    refused = response.request.headers.get("authorization", "")
                    continue
                self._fail("the provider refuses a freshly issued token", status=401, family=family)
            return response

    async def _attempt(
        self,
        url: str,
        params: dict[str, str],
        headers: dict[str, str],
        family: Family,
        refused: str | None,
        turn: _Turn,
    ) -> httpx.Response:
        """One try, after the previous call's first request has left, in one of the
        connector's slots, once any ``Retry-After`` has passed: a token if needed, then the
        GET. 2xx and 401 return; others raise."""
        await turn.wait()  # outside the slot: waiting for an earlier call never holds one
        try:
            async with self._slots:
                await self._wait_retry_after()
                return await self._attempt_in_slot(url, params, headers, family, refused, turn)
        finally:
            turn.sent.set()  # the first try has ended: the next call need not wait for more

    def _hold_back(self, delay: float) -> None:
        """No call of this connector goes out for ``delay`` seconds (the provider asked)."""
        loop = asyncio.get_running_loop()
        self._not_before = max(self._not_before, loop.time() + delay)

    async def _wait_retry_after(self) -> None:
        wait = self._not_before - asyncio.get_running_loop().time()
        if wait > 0:
            await asyncio.sleep(wait)

    async def _attempt_in_slot(
        self,
        url: str,
        params: dict[str, str],
        headers: dict[str, str],
        family: Family,
        refused: str | None,
        turn: _Turn,
    ) -> httpx.Response:
        try:
            async with asyncio.timeout(self.timeout * 3):  # a bound on the whole try
                await self._ensure_token(refused, family)
                response: httpx.Response = await self._client.get(
                    url, params=params, headers=headers, extensions={"trace": turn.trace}
                )
        except (httpx.TimeoutException, TimeoutError):
            raise _Retry("timeout") from None
        except httpx.TransportError as exc:
            raise _Retry(f"connection failed ({type(exc).__name__})") from None
        except httpx.HTTPStatusError as exc:  # from the token endpoint, via Authlib
            status = exc.response.status_code
            if status in _RETRY_STATUSES or status >= 500:
                raise _Retry(
                    f"token endpoint answered {status}", _retry_after(exc.response), status
                ) from None
            self._fail(f"token endpoint answered {status}", status=status, family=family)
        except AuthlibBaseError as exc:  # an OAuth error document from the token endpoint
            error = getattr(exc, "error", None) or type(exc).__name__
            self._fail(f"token endpoint refused the client: {error}", family=family)
        except (httpx.HTTPError, httpx.InvalidURL, ValueError) as exc:
            self._fail(f"unusable exchange ({type(exc).__name__})", family=family)
        status = response.status_code
        if 200 <= status < 300 or status == 401:
            return response
        if status in _RETRY_STATUSES or status >= 500:
            raise _Retry(f"answered {status}", _retry_after(response), status)
        if status == 403:
            self._fail(
                f"the provider refuses the authorization receipt ({_error_code(response)})",
                status=403,
                family=family,
            )
        if status == 404:
            self._fail("the provider does not know this enterprise", status=404, family=family)
        self._fail(f"answered {status}", status=status, family=family)

    async def _ensure_token(self, refused: str | None, family: Family) -> None:
        """Have a token that is not ``refused``; Authlib itself renews one about to expire."""
        if self._client.token and refused is None:
            return
        async with self._token_lock:
            current = self._client.token
            if current and f"Bearer {current.get('access_token')}" != refused:
                return  # there is one, and it is not the refused one (maybe renewed meanwhile)
            token = await self._client.fetch_token(
                self.token_endpoint, grant_type="client_credentials"
            )
            if not isinstance(token.get("access_token"), str) or (
                str(token.get("token_type", "bearer")).lower() != "bearer"
            ):
                self._client.token = None
                self._fail("the token endpoint did not issue a bearer token", family=family)

    def _fail(self, reason: str, *, family: Family, status: int | None = None) -> NoReturn:
        self._log.warning("provider_call_refused", family=family.value, status=status, why=reason)
        raise ProviderError(f"{self.name}: {reason}", retryable=False, status=status)

    # --- the document ---------------------------------------------------------------------------
    def _items(self, response: httpx.Response, subject: str, family: Family) -> list[Any]:
        """The ``items`` of a well-formed response; anything else rejects the whole response."""

        def reject(reason: str) -> NoReturn:
            self._log.warning("provider_response_rejected", family=family.value, reason=reason)
            raise ProviderError(
                f"{self.name}: {reason}", retryable=False, status=response.status_code
            )

        content = response.content
        if len(content) > MAX_BODY:
            reject("the response is too large")
        try:
            body = self._decoder.decode(content)
        except msgspec.DecodeError:
            reject("the response is not JSON")
        if not isinstance(body, dict):
            reject("the response is not a JSON object")
        items = body.get("items")
        if not isinstance(items, list):
            reject("the response has no list of items")
        uscc = body.get("uscc")
        if not isinstance(uscc, str) or uscc.strip().upper() != subject:
            reject("the response is about another enterprise")
        if body.get("family") != family.value:
            reject("the response is about another data family")
        return items
