"""Writing to the audit log: :class:`AuditLog` appends one unlinked row per audited call."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Mapping
from typing import Any
from uuid import UUID

from sqlalchemy import insert
from sqlalchemy.ext.asyncio import AsyncSession
from uuid_utils.compat import uuid7

from xinyidai.dates import utc_now
from xinyidai.infra.db import enqueue_after_commit
from xinyidai.infra.text import storable_text
from xinyidai.models import ActorKind, AuditEntry

CHAIN_JOB = "chain_audit"
"""The chainer's job (``xinyidai.jobs.chain_audit``), queued after each append's commit."""
CHAIN_JOB_TIMEOUT = 120
"""Seconds SAQ gives a queued chainer run (it stops itself well before: ``chainer.MAX_SECONDS``)."""
DETAIL_MAX_BYTES = 4096
"""The largest ``detail`` an entry takes, as canonical JSON: the audit log records what
happened, not the data itself."""
_DETAIL_TEXT_LIMIT = 1000  # characters of one string inside ``detail``
# The append as one Core statement on the table, built once: its values go as parameters, so it
# is compiled once per process (an ``insert().values(…)`` built per call is a new statement
# whose cache key SQLAlchemy works out again every time) and skips the ORM's insert path.
_APPEND = insert(AuditEntry.__table__)


def _clean_detail(value: Any, path: str = "detail") -> Any:
    """``value`` as an audit detail takes it: strings made storable, no floats (their text
    form is not canonical: send a string or an integer), string keys only."""
    if value is None or isinstance(value, bool | int):
        return value
    if isinstance(value, str):
        return storable_text(value, limit=_DETAIL_TEXT_LIMIT)
    if isinstance(value, float):
        raise TypeError(
            f"{path}: floats are refused (their text form is not canonical); "
            "send a string or an integer"
        )
    if isinstance(value, UUID):
        return str(value)
    if isinstance(value, Mapping):
        cleaned: dict[str, Any] = {}
        for key, item in value.items():
            if not isinstance(key, str):
                raise TypeError(f"{path}: keys must be strings, not {type(key).__name__}")
            cleaned[storable_text(key, limit=100)] = _clean_detail(item, f"{path}.{key}")
        return cleaned
    if isinstance(value, list | tuple):
        return [_clean_detail(item, f"{path}[{i}]") for i, item in enumerate(value)]
    raise TypeError(
        f"{path}: an audit detail holds strings, integers, booleans, null, lists and objects, "
        f"not {type(value).__name__}"
    )


class AuditLog:
    """The audit log of one session's transaction.

    An append is one INSERT and nothing else: no lock, no read of other rows, so concurrent
    requests never wait on each other. The row commits with the caller's transaction (a GET's
    autocommit statement, or the request's transaction) and is linked into the hash chain
    moments later by the chainer job, queued after the commit when the session has a queue;
    the chainer's cron run (every minute) is the backstop."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def append(
        self,
        *,
        action: str,
        actor_kind: ActorKind,
        actor_id: str,
        status: int | str,
        bank_id: UUID | None = None,
        client_id: str | None = None,
        enterprise_id: UUID | None = None,
        consent_id: UUID | None = None,
        request_id: str | None = None,
        detail: Mapping[str, Any] | None = None,
        occurred_at: dt.datetime | None = None,
    ) -> UUID:
        """Append one entry and return its id.

        ``action`` names the call (``openapi.profile.read``), ``status`` its outcome (an HTTP
        status or a word such as ``refused``), ``detail`` a small JSON object (at most
        :data:`DETAIL_MAX_BYTES`; no floats). Text the platform did not choose (a client id, a
        request id) is stored as given, made storable and cut to its column's length, so that
        recording a call never fails because of what the caller sent. ``occurred_at`` defaults
        to now."""
        cleaned = _clean_detail(dict(detail or {}))
        size = len(json.dumps(cleaned, ensure_ascii=False, separators=(",", ":")).encode())
        if size > DETAIL_MAX_BYTES:
            raise ValueError(f"audit detail is {size} bytes; at most {DETAIL_MAX_BYTES}")
        when = occurred_at or utc_now()
        if when.tzinfo is None:
            raise ValueError("occurred_at must be timezone-aware")
        entry_id: UUID = uuid7()
        await self.session.execute(
            _APPEND,
            {
                "id": entry_id,
                "occurred_at": when,
                "actor_kind": ActorKind(actor_kind),
                "actor_id": storable_text(actor_id, limit=200),
                "bank_id": bank_id,
                "client_id": None if client_id is None else storable_text(client_id, limit=200),
                "action": storable_text(action, limit=100),
                "enterprise_id": enterprise_id,
                "consent_id": consent_id,
                "request_id": (
                    None if request_id is None else storable_text(request_id, limit=100)
                ),
                "detail": cleaned,
                "status": storable_text(status, limit=32),
            },
        )
        # One queued run links every row committed before it starts (SAQ keeps one queued
        # run per key); a row committed while a run is finishing waits for the next append
        # or for the cron run.
        enqueue_after_commit(self.session, CHAIN_JOB, key=CHAIN_JOB, timeout=CHAIN_JOB_TIMEOUT)
        return entry_id
