"""Out-of-range dates, malformed URLs and invisible or bidi text get a 422 problem naming the
field, never a 500, on every endpoint that takes them (the running app, real engines)."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient

from tests.conftest import World, login
from xinyidai.dates import china_today
from xinyidai.infra.errors import InvalidInput
from xinyidai.models import Bank, Enterprise, Role


def _field_error(response: Any) -> tuple[str, str]:
    assert response.status_code == 422, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    (error,) = response.json()["errors"]
    return error["field"], error.get("code")


# The SME and the bank the tests edit.
Scene = tuple[Enterprise, Bank]


@pytest.fixture
async def scene(world: World) -> Scene:
    sme = await world.enterprise()
    await world.user("owner@example.com", Role.SME, sme.uscc)
    await world.user("office@example.com", Role.OFFICE)
    bank = await world.bank("BANK_A")
    await world.user("banker@example.com", Role.BANK, "BANK_A")
    return sme, bank


# --- dates --------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "founded_on",
    ["9999-12-31", "1948-12-31", "0001-01-01", (china_today() + dt.timedelta(days=1)).isoformat()],
)
async def test_a_founding_date_in_the_future_or_before_1949_is_refused(
    client: AsyncTestClient[Litestar], scene: Scene, founded_on: str
) -> None:
    sme, _ = scene
    await login(client, "owner@example.com")
    response = await client.patch(f"/api/v1/enterprises/{sme.id}", json={"founded_on": founded_on})
    assert _field_error(response) == ("founded_on", "date_range")


async def test_registration_refuses_a_founding_date_in_the_year_9999(world: World) -> None:
    with pytest.raises(InvalidInput) as exc:
        await world.enterprise(founded_on="9999-01-01")
    assert exc.value.errors and exc.value.errors[0].field == "founded_on"


async def test_a_founding_date_of_today_is_accepted(
    client: AsyncTestClient[Litestar], scene: Scene
) -> None:
    sme, _ = scene
    await login(client, "owner@example.com")
    today = china_today().isoformat()
    response = await client.patch(f"/api/v1/enterprises/{sme.id}", json={"founded_on": today})
    assert response.status_code == 200, response.text
    assert response.json()["founded_on"] == today


@pytest.mark.parametrize(
    "expires_at",
    [
        "0001-01-01T00:00:00+14:00",
        "0001-01-01T00:00:00-12:00",
        "9999-12-31T23:59:59-12:00",
        "9999-12-31T23:59:59+14:00",
        "9999-12-31T23:59:59.999999-23:59",
    ],
)
async def test_an_authorization_expiry_at_the_ends_of_the_calendar_is_a_422(
    client: AsyncTestClient[Litestar], scene: Scene, expires_at: str
) -> None:
    sme, _ = scene
    await login(client, "owner@example.com")
    response = await client.post(
        f"/api/v1/enterprises/{sme.id}/data-authorizations",
        json={"families": ["tax"], "purpose": "申请信用贷款", "expires_at": expires_at},
    )
    assert _field_error(response) == ("expires_at", "date_range")


@pytest.mark.parametrize(
    ("params", "field", "code"),
    [
        ({"from": "9990-01", "to": "9999-12"}, "from", "date_range"),
        ({"from": "9999-01"}, "from", "date_range"),
        ({"to": "9999-12"}, "to", "date_range"),
        ({"from": "0000-01", "to": "0001-01"}, "from", "date_range"),
        ({"from": "2199-01", "to": "2198-12"}, "from", "range_invalid"),  # reversed
        ({"from": "2000-01", "to": "2199-12"}, "from", "range_invalid"),  # > 10 years
    ],
)
async def test_series_ranges_near_the_ends_of_the_calendar_are_a_422(
    client: AsyncTestClient[Litestar], scene: Scene, params: dict[str, str], field: str, code: str
) -> None:
    sme, _ = scene
    await login(client, "owner@example.com")
    response = await client.get(f"/api/v1/enterprises/{sme.id}/series/tax", params=params)
    assert _field_error(response) == (field, code)


async def test_a_series_range_of_ten_years_is_read(
    client: AsyncTestClient[Litestar], scene: Scene
) -> None:
    sme, _ = scene
    await login(client, "owner@example.com")
    response = await client.get(
        f"/api/v1/enterprises/{sme.id}/series/tax", params={"from": "2015-01", "to": "2024-12"}
    )
    assert response.status_code == 200, response.text
    assert (response.json()["first"], response.json()["last"]) == ("2015-01", "2024-12")


@pytest.mark.parametrize(
    ("correction", "field"),
    [
        ({"decision_date": "9999-12-31"}, "correction.decision_date"),
        ({"decision_date": "0001-01-01"}, "correction.decision_date"),
        ({"publish_until": "9999-12-31"}, "correction.publish_until"),
    ],
)
async def test_a_dispute_correction_with_dates_out_of_range_is_a_422(
    client: AsyncTestClient[Litestar],
    world: World,
    scene: Scene,
    correction: dict[str, str],
    field: str,
) -> None:
    sme, _ = scene
    record = await world.record(sme.uscc)
    await login(client, "owner@example.com")
    dispute = await client.post(
        f"/api/v1/enterprises/{sme.id}/disputes",
        json={"record_id": str(record.id), "reason": "决定日期登记错误"},
    )
    assert dispute.status_code == 201, dispute.text
    client.cookies.clear()
    await login(client, "office@example.com")
    response = await client.post(
        f"/api/v1/office/disputes/{dispute.json()['id']}/resolve",
        json={"outcome": "corrected", "resolution": "更正决定日期", "correction": correction},
    )
    assert _field_error(response) == (field, "date_range")


# --- URLs ---------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "url",
    [
        "https://[::1",
        "https://bank.example.com:99999",
        "https://bank.example.com:abc/",
        "https://user:pw@bank.example.com",
        "http://bank.example.com",
        "file:///etc/passwd",
        "https://bank.example.com/\u0000",
        "https://bank .example.com",
    ],
)
async def test_a_malformed_bank_url_is_a_422(
    client: AsyncTestClient[Litestar], scene: Scene, url: str
) -> None:
    _, bank = scene
    await login(client, "banker@example.com")
    response = await client.patch(f"/api/v1/banks/{bank.id}", json={"api_base_url": url})
    assert _field_error(response) == ("api_base_url", "url_invalid")


# --- names and free text ------------------------------------------------------------------------
async def test_names_made_only_of_zero_width_characters_are_refused(
    client: AsyncTestClient[Litestar], scene: Scene
) -> None:
    sme, bank = scene
    await login(client, "owner@example.com")
    response = await client.patch(
        f"/api/v1/enterprises/{sme.id}", json={"name": "\u200b\u200c\u200d\ufeff\u2060"}
    )
    assert _field_error(response) == ("name", "text_blank")
    response = await client.post(
        f"/api/v1/enterprises/{sme.id}/data-authorizations",
        json={
            "families": ["tax"],
            "purpose": "\u200b\u200b\u200b",
            "expires_at": (dt.datetime.now(dt.UTC) + dt.timedelta(days=30)).isoformat(),
        },
    )
    assert _field_error(response) == ("purpose", "text_blank")
    client.cookies.clear()
    await login(client, "banker@example.com")
    response = await client.patch(f"/api/v1/banks/{bank.id}", json={"contact_name": "\u00ad\u200b"})
    assert _field_error(response) == ("contact_name", "text_blank")


async def test_names_with_bidi_overrides_are_refused(
    client: AsyncTestClient[Litestar], scene: Scene
) -> None:
    sme, _ = scene
    await login(client, "owner@example.com")
    response = await client.patch(
        f"/api/v1/enterprises/{sme.id}", json={"name": "广州\u202e司公限有技科\u202c"}
    )
    assert _field_error(response) == ("name", "text_bidi")
    response = await client.patch(
        f"/api/v1/enterprises/{sme.id}", json={"legal_rep_name": "张\u2066伟\u2069"}
    )
    assert _field_error(response) == ("legal_rep_name", "text_bidi")


async def test_zero_width_characters_are_dropped_from_a_stored_name(
    client: AsyncTestClient[Litestar], scene: Scene
) -> None:
    sme, _ = scene
    await login(client, "owner@example.com")
    response = await client.patch(
        f"/api/v1/enterprises/{sme.id}", json={"name": "广州\u200b新名\u00ad科技有限公司"}
    )
    assert response.status_code == 200, response.text
    assert response.json()["name"] == "广州新名科技有限公司"
