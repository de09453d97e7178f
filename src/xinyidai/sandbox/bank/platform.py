"""The sandbox bank's client of the platform's bank API (``/openapi/v1``), as a bank writes it.

It authenticates at the platform's ``/oauth/token`` with OAuth 2.0 client credentials and a
``private_key_jwt`` client assertion (RFC 7523: ``iss`` = ``sub`` = the client id, ``aud`` the
platform's issuer, a fresh ``jti``, ES256 signed with the key whose public part the platform
holds), and binds the token to a DPoP key of its own (RFC 9449: a proof in the ``DPoP`` header
of the token request and of every API call, the latter with ``ath``, the token's hash). Proofs
name the URL as the platform's issuer sees it (``htu`` = issuer + path), whichever address the
platform is reached at.

:meth:`PlatformClient.call` retries a network error, 429 and 5xx :attr:`attempts` times with
a doubling pause; on 401 it fetches a new token once. Any other answer is the caller's.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import json
import secrets
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx
from joserfc import jwt
from joserfc.jwk import ECKey

ASSERTION_TYPE = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"
DEFAULT_SCOPE = "applications profiles"


class PlatformUnavailable(Exception):
    """The platform could not be reached (or kept failing) after the attempts allowed."""


def load_key(path: str | Path) -> ECKey:
    """A private EC key from a JWK file (one key, or a JWK Set whose first key is used)."""
    data = json.loads(Path(path).read_text(encoding="utf-8"))
    if isinstance(data, dict) and isinstance(data.get("keys"), list):
        data = data["keys"][0]
    key = ECKey.import_key(data)
    if not key.is_private:
        raise ValueError("the key file holds no private key")
    key.ensure_kid()
    return key


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def dpop_proof(key: ECKey, method: str, htu: str, access_token: str | None = None) -> str:
    """A DPoP proof by ``key`` for one request to ``htu``."""
    claims: dict[str, Any] = {
        "jti": secrets.token_urlsafe(16),
        "htm": method,
        "htu": htu,
        "iat": int(time.time()),
    }
    if access_token is not None:
        claims["ath"] = _b64(hashlib.sha256(access_token.encode()).digest())
    header = {"typ": "dpop+jwt", "alg": "ES256", "jwk": key.as_dict(private=False)}
    return jwt.encode(header, claims, key, algorithms=["ES256"])


def client_assertion(key: ECKey, client_id: str, audience: str, lifetime: int = 60) -> str:
    """A ``private_key_jwt`` client assertion."""
    now = int(time.time())
    claims = {
        "iss": client_id,
        "sub": client_id,
        "aud": audience,
        "iat": now,
        "exp": now + lifetime,
        "jti": secrets.token_urlsafe(16),
    }
    return jwt.encode({"alg": "ES256", "kid": key.kid}, claims, key, algorithms=["ES256"])


@dataclass
class PlatformClient:
    """Calls to the platform at ``platform_url`` as the bank client ``client_id``."""

    platform_url: str
    client_id: str
    key: ECKey
    issuer: str | None = None
    """The platform's issuer (``aud`` of assertions, base of ``htu``); default ``platform_url``."""
    scope: str = DEFAULT_SCOPE
    attempts: int = 4
    backoff: float = 0.5
    timeout: float = 10.0
    dpop_key: ECKey = field(default_factory=lambda: ECKey.generate_key("P-256", private=True))
    _token: tuple[str, float] | None = None
    _http: httpx.AsyncClient | None = None
    _lock: asyncio.Lock = field(default_factory=asyncio.Lock)
    tokens_fetched: int = 0

    def __post_init__(self) -> None:
        self.platform_url = self.platform_url.rstrip("/")
        self.issuer = (self.issuer or self.platform_url).rstrip("/")

    @property
    def http(self) -> httpx.AsyncClient:
        if self._http is None:
            self._http = httpx.AsyncClient(timeout=self.timeout, follow_redirects=False)
        return self._http

    async def aclose(self) -> None:
        if self._http is not None:
            await self._http.aclose()
            self._http = None

    def _htu(self, path: str) -> str:
        return f"{self.issuer}{path}"

    def _url(self, path_or_link: str) -> tuple[str, str]:
        """(URL to call, path): a link the platform gave (any host) is called at
        ``platform_url`` with its path and query."""
        parts = urlsplit(path_or_link)
        query = f"?{parts.query}" if parts.query else ""
        return f"{self.platform_url}{parts.path}{query}", parts.path

    async def _fetch_token(self) -> str:
        path = "/oauth/token"
        response = await self.http.post(
            f"{self.platform_url}{path}",
            data={
                "grant_type": "client_credentials",
                "scope": self.scope,
                "client_id": self.client_id,
                "client_assertion_type": ASSERTION_TYPE,
                "client_assertion": client_assertion(self.key, self.client_id, str(self.issuer)),
            },
            headers={"DPoP": dpop_proof(self.dpop_key, "POST", self._htu(path))},
        )
        if response.status_code != 200:
            raise PlatformUnavailable(
                f"the platform refused a token: {response.status_code} {response.text[:300]}"
            )
        body = response.json()
        self.tokens_fetched += 1
        lifetime = float(body.get("expires_in", 300))
        self._token = (str(body["access_token"]), time.monotonic() + lifetime - 10)
        return self._token[0]

    async def token(self) -> str:
        async with self._lock:
            if self._token is not None and self._token[1] > time.monotonic():
                return self._token[0]
            return await self._fetch_token()

    async def _once(
        self, method: str, url: str, path: str, json_body: Any, headers: dict[str, str]
    ) -> httpx.Response:
        token = await self.token()
        sent = {
            "Authorization": f"DPoP {token}",
            "DPoP": dpop_proof(self.dpop_key, method, self._htu(path), token),
            **headers,
        }
        return await self.http.request(method, url, json=json_body, headers=sent)

    async def call(
        self,
        method: str,
        path_or_link: str,
        *,
        json_body: Any = None,
        headers: dict[str, str] | None = None,
    ) -> httpx.Response:
        """One API call, retried on network errors, 429 and 5xx; a new token on 401."""
        url, path = self._url(path_or_link)
        renewed = False
        last = "no attempt"
        for attempt in range(self.attempts):
            if attempt:
                await asyncio.sleep(self.backoff * 2 ** (attempt - 1))
            try:
                response = await self._once(method, url, path, json_body, headers or {})
                if response.status_code == 401 and not renewed:
                    renewed = True
                    self._token = None
                    response = await self._once(method, url, path, json_body, headers or {})
            except (httpx.TransportError, PlatformUnavailable) as exc:
                last = f"{type(exc).__name__}: {exc}"
                continue
            if response.status_code == 429 or response.status_code >= 500:
                last = f"HTTP {response.status_code}"
                continue
            return response
        raise PlatformUnavailable(f"{method} {path} failed {self.attempts} times ({last})")
