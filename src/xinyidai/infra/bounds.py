"""Bounds for dates and times taken from outside.

Python's dates reach from year 1 to 9999, and arithmetic near either end (adding a month, moving
an offset of +14:00 to UTC) raises ``OverflowError`` or ``ValueError``. Every date, time or month
that a request carries goes through one of these checks before any arithmetic: a value outside
the platform's calendar (``EARLIEST`` to ``LATEST``) or outside the field's own range is refused
with a 422 problem naming the field, code ``date_range``.
"""

from __future__ import annotations

import datetime as dt
import re

from xinyidai.dates import month_index
from xinyidai.infra.errors import InvalidInput

EARLIEST = dt.date(1900, 1, 1)
LATEST = dt.date(2199, 12, 31)
_MONTH = re.compile(r"([0-9]{4})-([0-9]{2})")


def _refuse(field: str, earliest: object, latest: object) -> InvalidInput:
    return InvalidInput.field(
        field, f"{field} must lie between {earliest} and {latest}", "date_range"
    )


def check_date(
    field: str, value: dt.date, *, earliest: dt.date = EARLIEST, latest: dt.date = LATEST
) -> dt.date:
    """``value`` if ``earliest <= value <= latest``; else a 422 naming ``field``."""
    if isinstance(value, dt.datetime):  # a datetime is a date too: compare its calendar date
        value = value.date()
    if not earliest <= value <= latest:
        raise _refuse(field, earliest, latest)
    return value


def check_datetime(
    field: str,
    value: dt.datetime,
    *,
    earliest: dt.datetime | None = None,
    latest: dt.datetime | None = None,
) -> dt.datetime:
    """``value`` in UTC, if it has an offset and lies in the platform's calendar (and between
    ``earliest`` and ``latest``, aware datetimes, when given); else a 422 naming ``field``.

    The calendar check comes first, on the local date and time as written, so that the move to
    UTC cannot overflow (year 1 at +14:00, year 9999 at -12:00)."""
    if value.tzinfo is None or value.utcoffset() is None:
        raise InvalidInput.field(
            field, f"{field} needs a UTC offset (ISO 8601, e.g. +08:00)", "datetime_naive"
        )
    local = value.replace(tzinfo=None)
    if (
        not dt.datetime.combine(EARLIEST, dt.time())
        <= local
        <= dt.datetime.combine(LATEST, dt.time.max)
    ):
        raise _refuse(field, EARLIEST, LATEST)
    utc = value.astimezone(dt.UTC)
    if (earliest is not None and utc < earliest) or (latest is not None and utc > latest):
        raise _refuse(
            field,
            earliest.isoformat() if earliest else EARLIEST,
            latest.isoformat() if latest else LATEST,
        )
    return utc


def parse_month(
    field: str, text: str, *, earliest: dt.date = EARLIEST, latest: dt.date = LATEST
) -> dt.date:
    """The first day of the month ``YYYY-MM`` in ``text``, if between ``earliest``'s month and
    ``latest``'s; else a 422 naming ``field`` (``month_format`` or ``date_range``)."""
    match = _MONTH.fullmatch(text.strip())
    if match is None or not 1 <= int(match.group(2)) <= 12:
        raise InvalidInput.field(field, f"{field}: a month is written YYYY-MM", "month_format")
    year, month = int(match.group(1)), int(match.group(2))
    if not month_index(earliest) <= year * 12 + month - 1 <= month_index(latest):
        raise _refuse(field, f"{earliest:%Y-%m}", f"{latest:%Y-%m}")
    return dt.date(year, month, 1)
