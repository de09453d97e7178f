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
