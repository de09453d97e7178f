"""The HTTP connector against the real sandbox provider: records, retries, rejections, tokens."""

from __future__ import annotations

import asyncio
import socket
import time
from datetime import UTC, date, datetime

import pytest
from structlog.testing import capture_logs

from tests.provider_fixtures import (
    SANDBOX_CLIENT_ID,
    SANDBOX_CLIENT_SECRET,
    RunningSandbox,
    established,
    find_firm,
    platform_receipt,
)
from xinyidai.dates import months_back
from xinyidai.domain.providers import DataProvider, FetchResult, MonthlyRecord, ProviderError
from xinyidai.domain.providers.http import HttpDataProvider
from xinyidai.enums import Family
from xinyidai.simulation import monthly_values

MONTHS = months_back(months_back(datetime.now(UTC).date(), 2)[0], 12)
FIRST, LAST = MONTHS[0], MONTHS[-1]


@pytest.fixture(scope="module")
def uscc() -> str:
    return find_firm(lambda t: established(t) and t.has_gas and t.has_housing_fund)


@pytest.fixture
def receipt(sandbox: RunningSandbox, uscc: str) -> str:
    """The test platform's receipt for ``uscc`` and every family, for the sandbox."""
    return sandbox.receipt(uscc)


def expected_records(uscc: str, family: Family, months: list[date]) -> list[MonthlyRecord]:
    return [
        MonthlyRecord(
            family=family,
            period=m,
            values=monthly_values(uscc, m, RunningSandbox.seed)[family],
            provider_ref=f"sandbox:{family.value}:{uscc}:{m:%Y-%m}",
        )
        for m in months
    ]


async def test_fetch_returns_the_generators_figures_as_records(
    sandbox_provider: HttpDataProvider, uscc: str, receipt: str
) -> None:
    assert isinstance(sandbox_provider, DataProvider)
    assert sandbox_provider.name == "sandbox"
    for family in Family:
        result = await sandbox_provider.fetch(uscc, family, FIRST, LAST, receipt)
        assert isinstance(result, FetchResult)
        assert result.rejected == []
        assert result.records == expected_records(uscc, family, MONTHS)


async def test_a_family_the_firm_does_not_have_is_an_empty_result(
    sandbox_provider: HttpDataProvider, sandbox: RunningSandbox
) -> None:
    no_gas = find_firm(lambda t: established(t) and not t.has_gas)
    result = await sandbox_provider.fetch(no_gas, Family.GAS, FIRST, LAST, sandbox.receipt(no_gas))
    assert result == FetchResult(records=[], rejected=[])


# --- retries ------------------------------------------------------------------------------------
async def test_a_timeout_is_retried(
    sandbox_provider: HttpDataProvider, sandbox: RunningSandbox, uscc: str, receipt: str
) -> None:
    sandbox.faults.delay = 1.0  # the connector waits 0.5 s
    sandbox.faults.arm("timeout")
    result = await sandbox_provider.fetch(uscc, Family.TAX, FIRST, LAST, receipt)
    assert result.records == expected_records(uscc, Family.TAX, MONTHS)
    assert sandbox.calls(uscc, "tax") == 2


async def test_a_server_error_is_retried(
    sandbox_provider: HttpDataProvider, sandbox: RunningSandbox, uscc: str, receipt: str
) -> None:
    sandbox.faults.arm("error_500")
    result = await sandbox_provider.fetch(uscc, Family.ELECTRICITY, FIRST, LAST, receipt)
    assert len(result.records) == 12 and result.rejected == []
    assert sandbox.calls(uscc, "electricity") == 2


async def test_a_persistent_outage_is_a_retryable_error_after_every_retry(
    sandbox_provider: HttpDataProvider, sandbox: RunningSandbox, uscc: str, receipt: str
) -> None:
    sandbox.faults.always("error_503")
    with pytest.raises(ProviderError) as caught:
        await sandbox_provider.fetch(uscc, Family.WATER, FIRST, LAST, receipt)
    assert caught.value.retryable is True
    assert sandbox.calls(uscc, "water") == sandbox_provider.retries + 1 == 3


async def test_retry_after_is_honoured_up_to_a_cap(
    sandbox: RunningSandbox, uscc: str, sandbox_provider: HttpDataProvider, receipt: str
) -> None:
    sandbox.faults.retry_after = 3600
    sandbox.faults.arm("error_429")
    async with HttpDataProvider(
        sandbox.url, SANDBOX_CLIENT_ID, SANDBOX_CLIENT_SECRET, backoff=0.001, max_retry_after=0.3
    ) as provider:
        started = time.monotonic()
        result = await provider.fetch(uscc, Family.TAX, FIRST, LAST, receipt)
        waited = time.monotonic() - started
    assert len(result.records) == 12
    assert 0.3 <= waited < 2.0


async def test_an_unreachable_provider_is_a_retryable_error() -> None:
    with socket.socket() as s:  # a port nobody listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    async with HttpDataProvider(
        f"http://127.0.0.1:{port}", "id", "secret", timeout=0.5, retries=1, backoff=0.01
    ) as provider:
        firm = find_firm(established)
        receipt = platform_receipt(firm, audience=provider.audience)
        with pytest.raises(ProviderError) as caught:
            await provider.fetch(firm, Family.TAX, FIRST, LAST, receipt)
    assert caught.value.retryable is True


# --- refusals and garbage -----------------------------------------------------------------------
async def test_an_unknown_enterprise_is_not_retried(
    sandbox_provider: HttpDataProvider, sandbox: RunningSandbox, uscc: str
) -> None:
    wrong = uscc[:17] + ("0" if uscc[17] != "0" else "1")
    with pytest.raises(ProviderError) as caught:
        await sandbox_provider.fetch(wrong, Family.TAX, FIRST, LAST, sandbox.receipt(wrong))
    assert caught.value.retryable is False and caught.value.status == 404
    assert sandbox.calls(wrong, "tax") == 1


async def test_the_receipt_goes_with_every_call_and_the_provider_keeps_it(
    sandbox_provider: HttpDataProvider, sandbox: RunningSandbox, uscc: str, receipt: str
) -> None:
    sandbox.faults.arm("error_500")  # the retry carries the receipt too
    result = await sandbox_provider.fetch(uscc, Family.WATER, FIRST, LAST, receipt)
    assert sandbox.calls(uscc, "water") == 2
    [kept] = sandbox.released()
    assert kept["receipt"] == receipt
    assert kept["released"]["refs"] == [r.provider_ref for r in result.records]


async def test_a_refused_receipt_is_not_retried_and_names_the_reason(
    sandbox_provider: HttpDataProvider, sandbox: RunningSandbox, uscc: str
) -> None:
    tax_only = sandbox.receipt(uscc, ["tax"])
    with pytest.raises(ProviderError) as caught:
        await sandbox_provider.fetch(uscc, Family.WATER, FIRST, LAST, tax_only)
    assert caught.value.retryable is False and caught.value.status == 403
    assert "receipt_family_not_covered" in str(caught.value)
    assert sandbox.calls(uscc, "water") == 1
    assert sandbox.released() == []


async def test_wrong_client_credentials_never_reach_the_series(
    sandbox: RunningSandbox, uscc: str, sandbox_provider: HttpDataProvider, receipt: str
) -> None:
    async with HttpDataProvider(
        sandbox.url, SANDBOX_CLIENT_ID, "not-the-secret", timeout=0.5, retries=2, backoff=0.01
    ) as provider:
        with pytest.raises(ProviderError) as caught:
            await provider.fetch(uscc, Family.TAX, FIRST, LAST, receipt)
    assert caught.value.retryable is False
    assert "invalid_client" in str(caught.value)
    assert sandbox.total_calls() == 0


@pytest.mark.parametrize("garbage", ["not_json", "wrong_shape", "wrong_subject"])
async def test_a_malformed_response_is_rejected_whole(
    sandbox_provider: HttpDataProvider,
    sandbox: RunningSandbox,
    uscc: str,
    garbage: str,
    receipt: str,
) -> None:
    sandbox.faults.arm(garbage)
    with capture_logs() as logs, pytest.raises(ProviderError) as caught:
        await sandbox_provider.fetch(uscc, Family.TAX, FIRST, LAST, receipt)
    assert caught.value.retryable is False
    assert sandbox.calls(uscc, "tax") == 1, "garbage is not retried"
    assert [e["event"] for e in logs if e["log_level"] == "warning"] == [
        "provider_response_rejected"
    ]


@pytest.mark.parametrize(
    ("fault", "kept", "reason"),
    [
        ("negative_value", 11, "negative"),
        ("missing_field", 11, "missing"),
        ("non_numeric", 11, "not a number"),
        ("duplicate_period", 11, "more than once"),
        ("outside_range", 12, "outside the requested range"),
    ],
)
async def test_a_bad_item_is_rejected_and_the_good_ones_kept(
    sandbox_provider: HttpDataProvider,
    sandbox: RunningSandbox,
    uscc: str,
    fault: str,
    kept: int,
    reason: str,
    receipt: str,
) -> None:
    sandbox.faults.arm(fault)
    with capture_logs() as logs:
        result = await sandbox_provider.fetch(uscc, Family.TAX, FIRST, LAST, receipt)
    good = expected_records(uscc, Family.TAX, MONTHS)
    assert len(result.records) == kept
    assert all(record in good for record in result.records)
    assert result.rejected and all(reason in r.reason for r in result.rejected)
    rejected_periods = {r.period for r in result.rejected}
    assert not rejected_periods & {f"{r.period:%Y-%m}" for r in result.records}

    events = [e for e in logs if e["event"] == "provider_item_rejected"]
    assert len(events) == len(result.rejected)
    figures = {str(v) for record in good for v in record.values.values() if int(v) > 31}
    for event in events:
        assert set(event) == {"event", "log_level", "provider", "family", "period", "reason"}
        logged = " ".join(str(v) for v in event.values())
        assert not any(figure in logged for figure in figures), "figures are never logged"


# --- the token ----------------------------------------------------------------------------------
async def test_the_token_is_reused_and_fetched_again_when_the_provider_forgets_it(
    sandbox_provider: HttpDataProvider, sandbox: RunningSandbox, uscc: str, receipt: str
) -> None:
    await sandbox_provider.fetch(uscc, Family.TAX, FIRST, LAST, receipt)
    await sandbox_provider.fetch(uscc, Family.WATER, FIRST, LAST, receipt)
    issued = set(sandbox.app.state.tokens)
    assert len(issued) == 1, "one token for both calls"

    sandbox.reset()  # the provider forgets every token
    result = await sandbox_provider.fetch(uscc, Family.TAX, FIRST, LAST, receipt)
    assert len(result.records) == 12
    assert sandbox.calls(uscc, "tax") == 2, "a 401, then the call with a new token"
    assert len(sandbox.app.state.tokens) == 1 and set(sandbox.app.state.tokens) != issued


async def test_a_token_about_to_expire_is_renewed_before_the_call(
    sandbox_provider: HttpDataProvider, sandbox: RunningSandbox, uscc: str, receipt: str
) -> None:
    sandbox.app.state.token_ttl = 30  # under Authlib's 60 s leeway: "about to expire" at once
    try:
        await sandbox_provider.fetch(uscc, Family.TAX, FIRST, LAST, receipt)
        await sandbox_provider.fetch(uscc, Family.TAX, FIRST, LAST, receipt)
    finally:
        sandbox.app.state.token_ttl = 3600
    # Ours, then Authlib's before each call (the first one was already within the leeway).
    assert len(sandbox.app.state.tokens) == 3
    assert sandbox.calls(uscc, "tax") == 2, "no call was refused"


async def test_concurrent_calls_share_one_token(
    sandbox_provider: HttpDataProvider, sandbox: RunningSandbox, uscc: str, receipt: str
) -> None:
    results = await asyncio.gather(
        *(sandbox_provider.fetch(uscc, f, FIRST, LAST, receipt) for f in Family)
    )
    assert all(len(r.records) == 12 for r in results)
    assert len(sandbox.app.state.tokens) == 1


async def test_arguments_that_could_never_be_served_are_a_callers_bug(
    sandbox_provider: HttpDataProvider, sandbox: RunningSandbox, uscc: str, receipt: str
) -> None:
    for bad in ("", "bad receipt", "a.b", "a.b.c.d", "a.b." + "c" * 9000, "a.b=.c"):
        with pytest.raises(ValueError, match="receipt"):
            await sandbox_provider.fetch(uscc, Family.TAX, FIRST, LAST, bad)
    with pytest.raises(ValueError, match="after"):
        await sandbox_provider.fetch(uscc, Family.TAX, LAST, FIRST, receipt)
    assert sandbox.total_calls() == 0
