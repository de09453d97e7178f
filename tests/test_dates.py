"""Working time between two instants, as response times are measured."""

from __future__ import annotations

import datetime as dt

from xinyidai.dates import CHINA_TZ, working_days_between, working_deadline


def at(day: int, hour: int, minute: int = 0) -> dt.datetime:
    """An instant in December 2026 (the 7th is a Monday), China time."""
    return dt.datetime(2026, 12, day, hour, minute, tzinfo=CHINA_TZ)


def test_the_next_working_day_at_the_same_hour_is_one_day() -> None:
    assert working_days_between(at(7, 10), at(8, 10)) == 1.0


def test_the_weekend_does_not_count() -> None:
    assert working_days_between(at(11, 17), at(14, 9)) == 0.67  # Friday 17:00 to Monday 09:00
    assert working_days_between(at(11, 10), at(18, 10)) == 5.0  # a calendar week


def test_a_start_on_the_weekend_counts_from_monday() -> None:
    assert working_days_between(at(12, 15), at(14, 12)) == 0.5  # Saturday to Monday noon


def test_instants_in_any_zone_are_read_in_china_time() -> None:
    start = at(7, 9).astimezone(dt.UTC)
    assert working_days_between(start, at(9, 21)) == 2.5


def test_an_end_before_the_start_is_zero() -> None:
    assert working_days_between(at(9, 10), at(8, 10)) == 0.0


def test_hundredths_are_rounded_half_up() -> None:
    # 864 seconds is 0.01 day: 432 s rounds up, 431 s down
    base = at(8, 0)
    assert working_days_between(base, base + dt.timedelta(seconds=432)) == 0.01
    assert working_days_between(base, base + dt.timedelta(seconds=431)) == 0.0


def test_a_deadline_in_working_days_keeps_the_clock_time() -> None:
    assert working_deadline(at(11, 16, 30), 1) == at(14, 16, 30)  # Friday + 1 is Monday
    assert working_deadline(at(7, 9), 3) == at(10, 9)
