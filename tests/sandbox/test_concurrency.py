"""The sandbox provider counts the series calls it answers at once, and can hold the next few
until they are all there (how the sync's tests see calls sent together)."""

from __future__ import annotations

import asyncio

import httpx
import pytest

from tests.provider_fixtures import RunningSandbox, established, find_firm
from tests.sandbox.test_provider import LAST_MONTH, http, series, token
from xinyidai.sandbox.concurrency import ConcurrencyProbe

__all__ = ["http"]  # the fixture, shared with the provider's tests


def probe(sandbox: RunningSandbox) -> ConcurrencyProbe:
    found: ConcurrencyProbe = sandbox.app.state.concurrency
    return found


async def test_calls_held_together_are_counted_together_and_a_reset_forgets_the_peak(
    sandbox: RunningSandbox, http: httpx.AsyncClient
) -> None:
    uscc = find_firm(established)
    bearer = await token(http)
    probe(sandbox).gather(3)
    answers = await asyncio.gather(
        *(
            series(http, uscc, family, LAST_MONTH, LAST_MONTH, bearer=bearer)
            for family in ("tax", "water", "electricity")
        )
    )
    assert [a.status_code for a in answers] == [200, 200, 200]
    shown = (await http.get("/_sandbox/calls")).json()
    assert shown["peak_in_flight"] == 3 and shown["in_flight"] == 0

    await series(http, uscc, "gas", LAST_MONTH, LAST_MONTH, bearer=bearer)  # nothing held now
    assert probe(sandbox).peak == 3
    await http.post("/_sandbox/reset")
    assert (await http.get("/_sandbox/calls")).json()["peak_in_flight"] == 0


async def test_calls_one_after_another_never_overlap(
    sandbox: RunningSandbox, http: httpx.AsyncClient
) -> None:
    uscc = find_firm(established)
    bearer = await token(http)
    for family in ("tax", "water"):
        answer = await series(http, uscc, family, LAST_MONTH, LAST_MONTH, bearer=bearer)
        assert answer.status_code == 200
    assert probe(sandbox).peak == 1


def test_a_gathering_point_needs_one_call_at_least() -> None:
    with pytest.raises(ValueError, match="parties"):
        ConcurrencyProbe().gather(0)
