"""A bank's users see their bank's use of the bank API, counted per China day, client and
action from the audit log; no other bank, SME or office user sees it."""

from __future__ import annotations

from litestar import Litestar
from litestar.testing import AsyncTestClient

from tests.conftest import World, login
from tests.oauth_fixtures import Scene, bank_id, call, consent, token
from xinyidai.dates import china_today
from xinyidai.models import Role


async def test_a_bank_sees_its_calls_per_day_client_and_action(
    oauth_app: AsyncTestClient[Litestar], bank_scene: Scene, world: World
) -> None:
    a, b = bank_scene.bank_a, bank_scene.bank_b
    await consent(oauth_app, bank_scene.sme, a, ["tax"])
    access = await token(oauth_app, a, "profiles consents")
    sme, other = f"/profiles/{bank_scene.sme.uscc}", f"/profiles/{bank_scene.other.uscc}"
    for path, status in [(sme, 200), (sme, 200), (other, 403), ("/consents", 200)]:
        assert (await call(oauth_app, a, access, path)).status_code == status
    b_access = await token(oauth_app, b, "profiles")
    assert (await call(oauth_app, b, b_access, sme)).status_code == 403  # bank B's, not A's

    await world.user("a@bank.example.com", Role.BANK, "BANK_A")
    await login(oauth_app, "a@bank.example.com")
    usage = await oauth_app.get(f"/api/v1/banks/{await bank_id(oauth_app, 'BANK_A')}/api-usage")
    assert usage.status_code == 200, usage.text
    body = usage.json()
    today = china_today().isoformat()
    assert (body["until"], body["answered"], body["refused"]) == (today, 3, 1)
    assert body["rows"] == [
        {
            "day": today,
            "client_id": a.client_id,
            "action": "openapi.consents.list",
            "answered": 1,
            "refused": 0,
        },
        {
            "day": today,
            "client_id": a.client_id,
            "action": "openapi.profile.read",
            "answered": 2,
            "refused": 1,
        },
    ]


async def test_the_window_is_days_back_from_today_within_bounds(
    oauth_app: AsyncTestClient[Litestar], bank_scene: Scene, world: World
) -> None:
    await world.user("a@bank.example.com", Role.BANK, "BANK_A")
    await login(oauth_app, "a@bank.example.com")
    path = f"/api/v1/banks/{await bank_id(oauth_app, 'BANK_A')}/api-usage"
    week = (await oauth_app.get(path, params={"days": 7})).json()
    assert (week["answered"], week["refused"], week["rows"]) == (0, 0, [])
    span = china_today().toordinal() - 6
    assert week["since"] == china_today().fromordinal(span).isoformat()
    for days in ("0", "91", "many"):
        refused = await oauth_app.get(path, params={"days": days})
        assert refused.status_code == 422, days
        assert refused.headers["content-type"].startswith("application/problem+json")


async def test_only_the_banks_own_users_and_admins_see_its_usage(
    oauth_app: AsyncTestClient[Litestar], bank_scene: Scene, world: World
) -> None:
    await world.user("b@bank.example.com", Role.BANK, "BANK_B")
    await world.user("office@example.com", Role.OFFICE)
    await world.user("admin@example.com", Role.ADMIN)
    await login(oauth_app, "admin@example.com")
    path = f"/api/v1/banks/{await bank_id(oauth_app, 'BANK_A')}/api-usage"
    for email in ("b@bank.example.com", "owner@example.com", "office@example.com"):
        oauth_app.cookies.clear()
        await login(oauth_app, email)
        assert (await oauth_app.get(path)).status_code == 403, email
    oauth_app.cookies.clear()
    await login(oauth_app, "admin@example.com")
    assert (await oauth_app.get(path)).status_code == 200
    missing = "/api/v1/banks/01900000-0000-7000-8000-000000000000/api-usage"
    assert (await oauth_app.get(missing)).status_code == 404
