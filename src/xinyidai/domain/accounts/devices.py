"""Device cookies (OWASP, "Slow Down Online Guessing Attacks with Device Cookies").

A browser that logged in to an account with the right password gets a device cookie naming that
account and a random nonce, signed with an HMAC keyed from ``SECRET_KEY``. Later login attempts
that carry a valid cookie for the same account are counted against that device's own allowance,
so failures from elsewhere (which may lock out untrusted clients) never lock out a browser that
has logged in before. Nothing is stored per device: only the failure counter and lockout of a
nonce live in Redis, with TTLs.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
from dataclasses import dataclass
from uuid import UUID

DEVICE_COOKIE = "xyd_device"
DEVICE_COOKIE_PATH = "/api/v1/auth"
_VERSION = "d1"
_MAX_COOKIE = 200


@dataclass(frozen=True, slots=True)
class Device:
    user_id: UUID
    nonce: str


def _key(secret_key: str) -> bytes:
    return hashlib.sha256(b"xinyidai-device-cookie:" + secret_key.encode()).digest()


def _sign(secret_key: str, user_id: UUID, nonce: str) -> str:
    mac = hmac.new(_key(secret_key), f"{_VERSION}:{user_id}:{nonce}".encode(), hashlib.sha256)
    return base64.urlsafe_b64encode(mac.digest()).rstrip(b"=").decode()


def issue(secret_key: str, user_id: UUID) -> str:
    """A new device cookie value for ``user_id`` (a fresh nonce at every successful login)."""
    nonce = secrets.token_urlsafe(16)
    return f"{_VERSION}.{user_id}.{nonce}.{_sign(secret_key, user_id, nonce)}"


def read(secret_key: str, value: str | None) -> Device | None:
    """The device a cookie names if its signature is valid; None for anything else."""
    if not value or len(value) > _MAX_COOKIE:
        return None
    parts = value.split(".")
    if len(parts) != 4 or parts[0] != _VERSION:
        return None
    _, raw_user, nonce, signature = parts
    try:
        user_id = UUID(raw_user)
    except ValueError:
        return None
    if not nonce or not hmac.compare_digest(
        signature.encode(), _sign(secret_key, user_id, nonce).encode()
    ):
        return None
    return Device(user_id=user_id, nonce=nonce)
