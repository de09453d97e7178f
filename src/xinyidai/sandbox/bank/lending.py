"""The sandbox bank's loans on a demo clock: what it reports after approving.

:class:`DemoClock` runs ``months_per_minute`` months of demo time per real minute from
``origin`` (today in China, at start): 2 in ``make run``, thousands in tests.
:func:`plan_loan` is a pure function of the loan: the events to post
(``POST /openapi/v1/loans/{loan_id}/events``, CONTRACT §2), each dated on the demo calendar,
each with its own stable ``Idempotency-Key`` (``<loan_id>-<seq>``, so a retry replays safely),
in order:

* ``disbursed`` the approved amount on the day of approval (month 0);
* a ``repayment`` on the same day of each following month: equal principal
  (amount ÷ term, the last one taking the rounding), interest = the principal still out ×
  annual rate ÷ 12, rounded to the cent;
* then ``settled`` on the day of the last repayment.

A loan's fate is fixed by its application id (:func:`fate_of`, SHA-256, so every run tells the
same story): :data:`DEFAULT_SHARE` (3 %) default, :data:`OVERDUE_SHARE` (8 %) fall overdue once
and recover, the rest perform. The trouble starts at the month ``max(1, term // 2)``:

* ``overdue``: that month's instalment is missed: ``overdue`` 15 days after its day
  (``amount`` = the instalment's principal + interest, ``days_overdue`` 15); it is paid with
  the next month's repayment (or alone a month later when it was the last), then ``settled``;
* ``default``: ``overdue`` at 15 days, again at 45 days (the arrears grown by the next
  instalment), then ``default`` at 90 days with ``amount`` = the principal still out. Nothing
  follows.

:func:`run_loan` posts the plan on the clock: it sleeps until each event's day, posts it
(``occurred_on`` = that day), and stops at a 409 (the loan is not in a state for it) or any
other refusal.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import hashlib
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import ROUND_DOWN, Decimal
from typing import Any

from xinyidai.dates import add_months_to_day, china_today
from xinyidai.domain.applications.vocabulary import LoanEventKind
from xinyidai.sandbox.bank.platform import PlatformClient

DAYS_PER_MONTH = 365.25 / 12
DEFAULT_SHARE = 0.03
OVERDUE_SHARE = 0.08
CENT = Decimal("0.01")


@dataclass
class DemoClock:
    """Demo time: ``months_per_minute`` months per real minute since ``started``."""

    months_per_minute: float
    # The platform dates loans in China time (its approval day): so does the bank's clock.
    origin: dt.date = field(default_factory=china_today)
    started: float = field(default_factory=time.monotonic)
    now: Callable[[], float] = time.monotonic

    def __post_init__(self) -> None:
        if self.months_per_minute <= 0:
            raise ValueError("months_per_minute must be positive")

    def _days_elapsed(self) -> float:
        return (self.now() - self.started) / 60 * self.months_per_minute * DAYS_PER_MONTH

    def today(self) -> dt.date:
        return self.origin + dt.timedelta(days=int(self._days_elapsed()))

    def seconds_until(self, day: dt.date) -> float:
        days = (day - self.origin).days - self._days_elapsed()
        return max(0.0, days / (self.months_per_minute * DAYS_PER_MONTH) * 60)

    async def sleep_until(self, day: dt.date) -> None:
        wait = self.seconds_until(day)
        if wait > 0:
            await asyncio.sleep(wait + 0.001)  # a hair past the day, whatever the rounding


@dataclass(frozen=True)
class PlannedEvent:
    seq: int
    key: str
    """The event's ``Idempotency-Key``: ``<loan_id>-<seq>``."""
    occurred_on: dt.date
    body: dict[str, Any]


def fate_of(application_id: str) -> str:
    """``default``, ``overdue`` or ``performing``, fixed by the application id."""
    digest = hashlib.sha256(application_id.encode()).digest()
    draw = int.from_bytes(digest[:8], "big") / 2**64
    if draw < DEFAULT_SHARE:
        return "default"
    if draw < DEFAULT_SHARE + OVERDUE_SHARE:
        return "overdue"
    return "performing"


def instalments(amount: Decimal, term_months: int) -> list[Decimal]:
    """Equal principal per month; the last one takes what rounding left."""
    each = (amount / term_months).quantize(CENT, rounding=ROUND_DOWN)
    return [each] * (term_months - 1) + [amount - each * (term_months - 1)]


def plan_loan(
    loan_id: str,
    application_id: str,
    amount: Decimal,
    annual_rate: Decimal,
    term_months: int,
    start: dt.date,
    fate: str | None = None,
) -> list[PlannedEvent]:
    """Every event of the loan, in order (see the module's docstring)."""
    fate = fate or fate_of(application_id)
    trouble = max(1, term_months // 2) if fate != "performing" else None
    events: list[tuple[dt.date, dict[str, Any]]] = [
        (start, {"kind": LoanEventKind.DISBURSED.value, "amount": str(amount)})
    ]
    outstanding = amount
    missed_principal = missed_interest = Decimal(0)
    last_day = start
    schedule = instalments(amount, term_months)
    for month, principal in enumerate(schedule, start=1):
        day = add_months_to_day(start, month)
        interest = (outstanding * annual_rate / 12).quantize(CENT)
        if month == trouble:
            # Arrears as the platform takes them: at most the principal still out.
            due = min(principal + interest, outstanding)
            late = day + dt.timedelta(days=15)
            events.append((late, _overdue(due, 15)))
            if fate == "default":
                # Nothing was paid: the next instalment falls due with the same interest.
                grown = due + (schedule[month] + interest if month < term_months else 0)
                grown = min(grown, outstanding)
                events.append((day + dt.timedelta(days=45), _overdue(grown, 45)))
                lost = {"kind": LoanEventKind.DEFAULT.value, "amount": str(outstanding)}
                events.append((day + dt.timedelta(days=90), lost))
                return _keyed(loan_id, events)
            missed_principal, missed_interest = principal, interest
            continue
        paid = principal + missed_principal
        events.append((day, _repayment(paid, interest + missed_interest)))
        outstanding -= paid
        missed_principal = missed_interest = Decimal(0)
        last_day = day
    if missed_principal:  # the last instalment was the one missed: paid a month late
        last_day = add_months_to_day(start, term_months + 1)
        events.append((last_day, _repayment(missed_principal, missed_interest)))
    events.append((last_day, {"kind": LoanEventKind.SETTLED.value}))
    return _keyed(loan_id, events)


def _overdue(amount: Decimal, days: int) -> dict[str, Any]:
    return {"kind": LoanEventKind.OVERDUE.value, "amount": str(amount), "days_overdue": days}


def _repayment(principal: Decimal, interest: Decimal) -> dict[str, Any]:
    return {
        "kind": LoanEventKind.REPAYMENT.value,
        "amount": str(principal),
        "interest": str(interest.quantize(CENT)),
    }


def _keyed(loan_id: str, events: list[tuple[dt.date, dict[str, Any]]]) -> list[PlannedEvent]:
    return [
        PlannedEvent(seq, f"{loan_id}-{seq}", day, {**body, "occurred_on": day.isoformat()})
        for seq, (day, body) in enumerate(events, start=1)
    ]


async def run_loan(
    client: PlatformClient,
    loan_id: str,
    plan: list[PlannedEvent],
    clock: DemoClock,
    record: dict[str, Any],
) -> None:
    """Post ``plan`` on ``clock``; each posted key is appended to ``record["events"]``; a
    refusal stops the loan (``record["stopped"]``)."""
    for event in plan:
        await clock.sleep_until(event.occurred_on)
        response = await client.call(
            "POST",
            f"/openapi/v1/loans/{loan_id}/events",
            json_body=event.body,
            headers={"Idempotency-Key": event.key},
        )
        if response.status_code != 200:
            record["stopped"] = {
                "key": event.key,
                "status": response.status_code,
                "detail": response.text[:500],  # the platform's problem, for whoever looks
            }
            return
        record["events"].append(event.key)
