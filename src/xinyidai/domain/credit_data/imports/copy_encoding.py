"""PostgreSQL binary COPY data for a batch of valid rows, exactly as ``public_records`` stores
them (ids, provenance, content hash)."""

from __future__ import annotations

import datetime as dt
import io
import os
import struct
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any
from uuid import UUID

import msgspec
import numpy as np

from xinyidai.domain.credit_data.imports.readers import Batch
from xinyidai.domain.credit_data.imports.validation import (
    _CACHE_LIMIT,
    Records,
    _pieces,
    _utf8_column,
)
from xinyidai.domain.credit_data.imports.vocabulary import SOURCE, Rejection

# The loader sends PostgreSQL binary COPY data, built by the parser (so PostgreSQL converts
# nothing and the process that talks to it only forwards bytes). Columns in this order: the
# row's own values, then values that repeat from row to row (each distinct one encoded once),
# then the run's constants.

_COPY_HEADER = b"PGCOPY\n\xff\r\n\x00" + bytes(8)  # signature, flags, header extension length
_COPY_TRAILER = b"\xff\xff"
_NULL = b"\xff\xff\xff\xff"
_PG_EPOCH = dt.datetime(2000, 1, 1, tzinfo=dt.UTC)
_PG_EPOCH_DAYS = _PG_EPOCH.date().toordinal()
_int32 = struct.Struct(">i").pack


def _text_field(value: str | None) -> bytes:
    if value is None:
        return _NULL
    data = value.encode()
    return _int32(len(data)) + data


def _date_field(value: dt.date | None) -> bytes:
    if value is None:
        return _NULL
    return struct.pack(">ii", 4, value.toordinal() - _PG_EPOCH_DAYS)


def _timestamp_field(value: dt.datetime) -> bytes:
    delta = value - _PG_EPOCH
    return struct.pack(">iq", 8, (delta.days * 86_400 + delta.seconds) * 10**6 + delta.microseconds)


def _uuid7_base() -> tuple[int, int]:
    """A new UUIDv7 (RFC 9562: Unix time in ms, version 7, variant, random bits) as its high
    and low 64 bits, the low 32 bits zero: ``low + i`` (``i < 2**32``) are UUIDv7s as well, in
    increasing order (RFC 9562's fixed-length counter), like the ORM's primary keys."""
    rand = int.from_bytes(os.urandom(6), "big")  # 12 bits of rand_a, 30 of rand_b
    high = (time.time_ns() // 1_000_000) << 16 | 0x7000 | rand >> 36
    low = 0b10 << 62 | (rand & 0x3FFFFFFF) << 32
    return high, low


def _no_id() -> None:
    return None


class _Encoder:
    """Encodes a batch's :class:`Records` as binary COPY data for ``public_records``
    (``RECORD_COLUMNS``) or a staging table (``STAGE_COLUMNS``), with the run's provenance,
    numbering the ids from a fresh UUIDv7 per batch.

    A column at a time, with no Python code per field: the texts arrive as UTF-8 (see
    ``Records``), fixed-size parts (field count, id, row number) come from one numpy array, values
    that repeat (date pairs; type, severity, grade and status with the run's provenance) are
    encoded once per distinct value, and the rows are laid out in one list and joined once.
    """

    def __init__(
        self, *, now: dt.datetime, import_id: UUID, ref_prefix: str, note: str, stage: bool
    ) -> None:
        stamp = _timestamp_field(now)
        run = _text_field(SOURCE) + stamp + _int32(16) + import_id.bytes + stamp + stamp
        self._tails = {"repaired": stamp + _text_field(note) + run, "active": _NULL + _NULL + run}
        self._ref_prefix = ref_prefix
        self.stage = stage  # every row goes through the staging table (the merge)
        self._dates: dict[tuple[dt.date, dt.date | None], bytes] = {}
        self._kinds: dict[tuple[str, str, str, str], bytes] = {}

    def encode(self, records: Records, *, stage: bool = False) -> bytes:
        """COPY data for ``public_records``, or with ``stage`` for a table of ``STAGE_COLUMNS``
        (the data row number first)."""
        n = records.size
        high, low = _uuid7_base()
        head = np.empty(n, dtype=_STAGE_HEAD_TYPE if stage else _RECORD_HEAD_TYPE)
        head["fields"] = len(STAGE_COLUMNS) if stage else len(RECORD_COLUMNS)
        head["id_length"] = 16
        head["id_high"] = high
        head["id_low"] = np.arange(low, low + n, dtype=np.uint64)
        if stage:
            head["row_length"] = 4
            head["row"] = records.row
        refs = _utf8_column(list(map(self._ref_prefix.__add__, map(str, records.row))))
        dates = self._cached(
            self._dates, list(zip(records.decision_date, records.publish_until, strict=True)),
            _date_pair,
        )  # fmt: skip
        kinds = self._cached(
            self._kinds,
            list(zip(records.record_type, records.severity, records.grade, records.status,
                     strict=True)),
            self._kind,
        )  # fmt: skip
        length = _LENGTHS.__getitem__
        columns: list[list[bytes]] = [
            _pieces(head.tobytes(), head.itemsize),
            dates,
            list(map(length, map(len, records.document_no_utf8))),
            records.document_no_utf8,
            list(map(length, map(len, records.description_utf8))),
            records.description_utf8,
            list(map(length, map(len, refs))),
            refs,
            [_HASH_LENGTH] * n,
            records.content_hash_utf8,
            [_USCC_LENGTH] * n,
            records.uscc_utf8,
            list(map(length, map(len, records.subject_name_utf8))),
            records.subject_name_utf8,
            list(map(length, map(len, records.authority_utf8))),
            records.authority_utf8,
            kinds,
        ]
        width = len(columns)
        flat: list[bytes] = [b""] * (width * n)
        for i, column in enumerate(columns):
            flat[i::width] = column
        out = io.BytesIO()  # writelines is several times faster than b"".join on many pieces
        out.write(_COPY_HEADER)
        out.writelines(flat)
        out.write(_COPY_TRAILER)
        return out.getvalue()

    @staticmethod
    def _cached(
        cache: dict[Any, bytes], keys: list[Any], encode: Callable[[Any], bytes]
    ) -> list[bytes]:
        """The encoding of each of ``keys``, encoding each distinct one once (``cache`` is
        cleared first when it would grow past ``_CACHE_LIMIT``)."""
        wanted = set(keys)
        new = wanted.difference(cache)
        if new:
            if len(cache) + len(new) > _CACHE_LIMIT:
                cache.clear()
                new = wanted
            for key in new:
                cache[key] = encode(key)
        return list(map(cache.__getitem__, keys))

    def _kind(self, key: tuple[str, str, str, str]) -> bytes:
        rtype, severity, grade, status = key
        return (
            _text_field(rtype) + _text_field(severity or None) + _text_field(grade or None)
            + _text_field(status) + self._tails[status]
        )  # fmt: skip


# COPY columns in the order _Encoder.encode writes them: fixed-size head, the date pair, texts,
# then the record's kind and the run's provenance.
RECORD_COLUMNS = (
    "id",
    "decision_date",
    "publish_until",
    "document_no",
    "description",
    "provider_ref",
    "content_hash",
    "uscc",
    "subject_name",
    "authority",
    "record_type",
    "severity",
    "grade",
    "status",
    "status_changed_at",
    "status_note",
    "source",
    "fetched_at",
    "import_id",
    "created_at",
    "updated_at",
)
STAGE_COLUMNS = ("row", *RECORD_COLUMNS)  # the staging table's: the data row number first
_RECORD_HEAD_TYPE = [("fields", ">i2"), ("id_length", ">i4"), ("id_high", ">u8"), ("id_low", ">u8")]
_STAGE_HEAD_TYPE = [
    ("fields", ">i2"), ("row_length", ">i4"), ("row", ">i4"), ("id_length", ">i4"),
    ("id_high", ">u8"), ("id_low", ">u8"),
]  # fmt: skip


class _LengthCache(dict[int, bytes]):
    """A COPY field's length word (4 bytes, big-endian), made on first use."""

    def __missing__(self, length: int) -> bytes:
        data = self[length] = _int32(length)
        return data


_LENGTHS = _LengthCache()
_HASH_LENGTH = _LENGTHS[64]
_USCC_LENGTH = _LENGTHS[18]


def _date_pair(pair: tuple[dt.date, dt.date | None]) -> bytes:
    return _date_field(pair[0]) + _date_field(pair[1])


class _BatchInfo(msgspec.Struct, array_like=True):
    """What the loader needs of a batch besides its COPY data."""

    rows_read: int  # data rows read so far in the file or its part (see iter_batches)
    last: bool  # no batch follows
    rejected: list[Rejection]
    rows: int  # rows in the COPY data
    usccs: list[str]  # their distinct USCCs


@dataclass
class _Loadable:
    info: _BatchInfo
    data: bytes  # COPY data for public_records, or for the staging table (the merge)


def _encode_batches(batches: Iterator[Batch], encoder: _Encoder) -> Iterator[_Loadable]:
    for batch in batches:
        records = batch.records
        data = encoder.encode(records, stage=encoder.stage) if records.size else b""
        info = _BatchInfo(
            batch.rows_read, batch.last, batch.rejected, records.size, list(set(records.uscc))
        )
        yield _Loadable(info, data)
