"""The platform's clock and month arithmetic, in one place.

Business days are China's: a "today" that the code means as a business date (a document's
date, a record's publication, the month a figure belongs to) is :func:`china_today`, never the
server's local date. Instants are timezone-aware UTC (:func:`utc_now`).

A *period* is a month, written as the date of its first day. A *month index* counts months
since year 0 (``year · 12 + month - 1``), so integer arithmetic moves periods.
"""

from __future__ import annotations

import datetime as dt

CHINA_TZ = dt.timezone(dt.timedelta(hours=8), "CST")


def utc_now() -> dt.datetime:
    """The current instant, timezone-aware, in UTC."""
    return dt.datetime.now(dt.UTC)


def china_today() -> dt.date:
    """Today's date in China Standard Time (the date on the SMEs' documents)."""
    return dt.datetime.now(CHINA_TZ).date()


def china_month() -> dt.date:
    """The current period in China Standard Time."""
    return china_today().replace(day=1)


def month_start(day: dt.date) -> dt.date:
    """The first day of ``day``'s month (a period)."""
    return day.replace(day=1)


def month_index(day: dt.date) -> int:
    """Months since year 0: a month's position that any integer arithmetic may move."""
    return day.year * 12 + day.month - 1


def period_of(index: int) -> dt.date:
    """The period (first of the month) of a month index."""
    return dt.date(index // 12, index % 12 + 1, 1)


def add_months(period: dt.date, months: int) -> dt.date:
    """The period ``months`` after ``period``'s month (before it, if negative)."""
    return period_of(month_index(period) + months)


def months_between(first: dt.date, last: dt.date) -> int:
    """Whole months from ``first``'s month to ``last``'s month (negative if ``last`` is earlier)."""
    return month_index(last) - month_index(first)


def months_back(end: dt.date, n: int) -> list[dt.date]:
    """The ``n`` periods ending with ``end``'s month, oldest first."""
    if n < 0:
        raise ValueError("n must not be negative")
    last = month_index(end)
    return [period_of(last - k) for k in range(n - 1, -1, -1)]


def month_range(first: dt.date, last: dt.date) -> list[dt.date]:
    """Every period from ``first``'s month to ``last``'s month, inclusive."""
    start = month_index(first)
    return [period_of(start + k) for k in range(months_between(first, last) + 1)]


def add_months_to_day(day: dt.date, months: int) -> dt.date:
    """The same day of the month ``months`` later, clamped to the month's last day
    (31 January + 1 month is 28 or 29 February)."""
    period = add_months(day, months)
    following = add_months(period, 1)
    return period.replace(day=min(day.day, (following - dt.timedelta(days=1)).day))


def add_working_days(day: dt.date, days: int) -> dt.date:
    """The ``days``-th working day (Monday to Friday) after ``day``: Friday + 1 is Monday, and
    Saturday + 1 is Monday too. Public holidays are not known to the platform, so they count."""
    if days < 0:
        raise ValueError("days must not be negative")
    weeks, rest = divmod(days, 5)
    current = day + dt.timedelta(weeks=weeks)
    if weeks and current.weekday() >= 5:  # a weekend start: move to Friday, same count
        current -= dt.timedelta(days=current.weekday() - 4)
    while rest:
        current += dt.timedelta(days=1)
        if current.weekday() < 5:
            rest -= 1
    return current


def working_deadline(start: dt.datetime, days: int) -> dt.datetime:
    """The instant ``days`` working days after ``start``: that many working days after its
    China date (:func:`add_working_days`), at the same China clock time."""
    local = start.astimezone(CHINA_TZ)
    return dt.datetime.combine(add_working_days(local.date(), days), local.timetz())


_MONDAY = dt.datetime(2000, 1, 3, tzinfo=CHINA_TZ)  # a Monday, China time


def _working_seconds(at: dt.datetime) -> float:
    """Working seconds (Monday to Friday, China time) from a fixed Monday to ``at``."""
    elapsed = at.astimezone(CHINA_TZ) - _MONDAY
    weeks, rest = divmod(elapsed, dt.timedelta(weeks=1))
    day, into_day = divmod(rest, dt.timedelta(days=1))
    partial = day * 86_400 + into_day.total_seconds() if day < 5 else 5 * 86_400
    return weeks * 5 * 86_400 + partial


def working_days_between(start: dt.datetime, end: dt.datetime) -> float:
    """Working time from ``start`` to ``end``, in working days, to the hundredth.

    The clock runs Monday to Friday in China Standard Time and stops over the weekend (a
    Saturday or Sunday adds nothing), so an answer on the next working day at the same hour is
    1.00, and Friday 17:00 to Monday 09:00 is 0.67. Public holidays are not known to the
    platform, so they count, as in :func:`add_working_days`. An ``end`` before ``start`` is 0.
    Rounded half up to 0.01 day: the unit in which the platform states response times and the
    resolution its percentile rollups hold (see ``domain/monitoring``).
    """
    seconds = max(0.0, _working_seconds(end) - _working_seconds(start))
    hundredths, rest = divmod(round(seconds), 864)
    return (hundredths + (1 if rest * 2 >= 864 else 0)) / 100
