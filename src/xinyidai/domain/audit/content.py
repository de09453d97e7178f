"""What a link's hash covers: the canonical serialisation of an audit row (format 1).

``hash = SHA-256(prev_hash ‖ content)``, hex, where ``prev_hash`` is the previous link's hash
as its 64 lowercase hex characters (ASCII) and ``content`` is the row as one JSON object:

- keys: every column but ``prev_hash`` and ``hash`` themselves, namely ``seq``, ``id``,
  ``occurred_at``, ``actor_kind``, ``actor_id``, ``bank_id``, ``client_id``, ``action``,
  ``enterprise_id``, ``consent_id``, ``request_id``, ``detail``, ``status`` and ``linked_at``;
  sorted by code point, at every depth (``detail`` too);
- values: ``seq`` a JSON integer; UUIDs lowercase and hyphenated; instants in UTC as
  ``YYYY-MM-DDTHH:MM:SS.ffffffZ`` (always six fractional digits); absent values ``null``;
  ``detail`` the JSON object stored (integers, strings, booleans, null, arrays, objects: the
  audit log refuses floats, whose text form is not canonical);
- text: no insignificant white space (separators ``,`` and ``:``), UTF-8, non-ASCII characters
  as themselves (no ``\\u`` escapes), which is ``json.dumps(…, sort_keys=True,
  separators=(",", ":"), ensure_ascii=False)`` in Python.

The first link's ``prev_hash`` is :data:`GENESIS_HASH`, 64 zeros. The content is computed from
what the database holds (``detail`` read as text and parsed), both when linking and when
verifying, so it never depends on what a caller passed or on a JSON library's options.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Mapping
from typing import Any
from uuid import UUID

from sqlalchemy import Select, Text, cast, select

from xinyidai.models import AuditEntry

FORMAT = 1
"""The version of the serialisation above; a change of format is a new number, documented."""

GENESIS_HASH = "0" * 64
"""The ``prev_hash`` of the chain's first link."""

CONTENT_KEYS = (
    "seq",
    "id",
    "occurred_at",
    "actor_kind",
    "actor_id",
    "bank_id",
    "client_id",
    "action",
    "enterprise_id",
    "consent_id",
    "request_id",
    "detail",
    "status",
    "linked_at",
)
_UUIDS = frozenset({"id", "bank_id", "consent_id", "enterprise_id"})
_INSTANTS = frozenset({"occurred_at", "linked_at"})


def instant(value: dt.datetime) -> str:
    """An instant in the canonical form: UTC, microseconds, ``Z``."""
    if value.tzinfo is None:
        raise ValueError("audit instants are timezone-aware")
    return value.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def _value(key: str, value: Any) -> Any:
    if value is None:
        return None
    if key in _UUIDS:
        return str(value if isinstance(value, UUID) else UUID(str(value)))
    if key in _INSTANTS:
        return instant(value)
    if key == "detail":
        return json.loads(value) if isinstance(value, str) else value
    if key == "seq":
        return int(value)
    return str(value)


def canonical_content(row: Mapping[str, Any]) -> bytes:
    """The row's content as the bytes its link hashes (``row`` has every key of
    :data:`CONTENT_KEYS`; ``detail`` as stored JSON text or as the parsed object)."""
    document = {key: _value(key, row[key]) for key in CONTENT_KEYS}
    return json.dumps(
        document, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False
    ).encode("utf-8")


def link_hash(prev_hash: str, content: bytes) -> str:
    """``SHA-256(prev_hash ‖ content)`` as 64 lowercase hex characters."""
    return hashlib.sha256(prev_hash.encode("ascii") + content).hexdigest()


def content_query() -> Select[Any]:
    """Every column a link covers, plus the link itself, ``detail`` as the stored JSON text."""
    columns = [getattr(AuditEntry, key) for key in CONTENT_KEYS if key != "detail"]
    return select(
        *columns,
        cast(AuditEntry.detail, Text).label("detail"),
        AuditEntry.prev_hash,
        AuditEntry.hash,
    )
