"""Idempotency keys: a request repeated with the same key gets the first result.

A key is scoped (an enterprise's submissions, a bank's loan events). While the first request
with a key is in flight, a second one gets 409: the first holds a transaction-scoped advisory
lock on the key (``pg_try_advisory_xact_lock``), released when its transaction ends, so a crash
leaves nothing locked and a later retry finds either the committed result or a free key. The
stored result remembers the hash of the request that made it: the same key with another body
is a client bug and gets 422.
"""

from __future__ import annotations

import hashlib
import re
from decimal import Decimal
from typing import TYPE_CHECKING, Annotated, Any

import msgspec
from litestar.params import HeaderParameter
from sqlalchemy import func, select

from xinyidai.infra.errors import Conflict, InvalidInput

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncSession

HEADER = "Idempotency-Key"
_KEY = re.compile(r"^[\x21-\x7e]{1,100}$")

IdempotencyKey = Annotated[
    str,
    HeaderParameter(
        name=HEADER,
        min_length=1,
        max_length=100,
        description="Your unique key for this request (1–100 printable ASCII characters, e.g. "
        "a UUID). The same key with the same body returns the first result; with another body, "
        "422; while the first is still being processed, 409.",
    ),
]


def check_key(key: str) -> str:
    if not _KEY.match(key):
        raise InvalidInput.field(
            HEADER, "1–100 printable ASCII characters, no spaces", "idempotency_key_invalid"
        )
    return key


def request_hash(body: Any) -> str:
    """A stable hash of a request body (its decoded, normalised form: key order, number
    spelling and whitespace do not matter)."""
    plain = _normal(msgspec.to_builtins(body, builtin_types=(Decimal,)))
    canonical = msgspec.json.encode(plain, order="sorted")
    return hashlib.sha256(canonical).hexdigest()


def _normal(value: Any) -> Any:
    """Numbers by value (``500000`` is ``500000.00``); containers walked."""
    if isinstance(value, Decimal):
        return format(value.normalize(), "f")
    if isinstance(value, dict):
        return {k: _normal(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_normal(v) for v in value]
    return value


async def hold(session: AsyncSession, scope: str, key: str) -> None:
    """Take the key for this transaction, or 409 if another request holds it now."""
    taken = await session.scalar(
        select(func.pg_try_advisory_xact_lock(func.hashtextextended(f"{scope}\x1f{key}", 0)))
    )
    if not taken:
        raise Conflict(f"a request with this {HEADER} is still being processed: retry in a moment")


def replay_or_refuse(stored_hash: str, body_hash: str) -> None:
    """The key was used before: fine if for the same request, 422 if not."""
    if stored_hash != body_hash:
        raise InvalidInput.field(
            HEADER,
            "this key was used for a different request: use a new key for a new request",
            "idempotency_key_reused",
        )
