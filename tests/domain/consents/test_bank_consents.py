"""An SME's consents to banks, through the portal API: only its own verified users grant, list
and revoke them; families must be ones the platform holds; at most 12 months."""

from __future__ import annotations

import datetime as dt

from litestar import Litestar
from litestar.testing import AsyncTestClient

from tests.conftest import World, login
from tests.oauth_fixtures import Scene, bank_id, consent
from xinyidai.models import Role


async def test_consents_are_listed_newest_first_with_who_and_until_when(
    oauth_app: AsyncTestClient[Litestar], bank_scene: Scene
) -> None:
    first = await consent(oauth_app, bank_scene.sme, bank_scene.bank_a, ["tax"])
    second = await consent(oauth_app, bank_scene.sme, bank_scene.bank_b, ["score", "electricity"])
    await login(oauth_app, "owner@example.com")
    listed = (await oauth_app.get(f"/api/v1/enterprises/{bank_scene.sme.id}/bank-consents")).json()
    assert [c["id"] for c in listed] == [second["id"], first["id"]]
    assert listed[0]["families"] == ["electricity", "score"]
    assert listed[0]["bank_name"] == "BANK_B bank" and listed[0]["channel"] == "portal"
    granted = dt.datetime.fromisoformat(first["granted_at"])
    expires = dt.datetime.fromisoformat(first["expires_at"])
    assert dt.timedelta(days=89) < expires - granted <= dt.timedelta(days=90)  # the default


async def test_another_sme_can_neither_see_nor_revoke_them(
    oauth_app: AsyncTestClient[Litestar], bank_scene: Scene
) -> None:
    granted = await consent(oauth_app, bank_scene.sme, bank_scene.bank_a, ["tax"])
    await login(oauth_app, "other@example.com")
    base = f"/api/v1/enterprises/{bank_scene.sme.id}/bank-consents"
    assert (await oauth_app.get(base)).status_code == 404
    assert (await oauth_app.delete(f"{base}/{granted['id']}")).status_code == 404
    mine = f"/api/v1/enterprises/{bank_scene.other.id}/bank-consents"
    assert (await oauth_app.delete(f"{mine}/{granted['id']}")).status_code == 404
    await login(oauth_app, "owner@example.com")
    assert (await oauth_app.get(base)).json()[0]["live"] is True


async def test_what_cannot_be_consented_is_refused_with_the_reason(
    oauth_app: AsyncTestClient[Litestar], bank_scene: Scene
) -> None:
    await login(oauth_app, "owner@example.com")
    base = f"/api/v1/enterprises/{bank_scene.sme.id}/bank-consents"
    bank = await bank_id(oauth_app, "BANK_A")
    too_far = (dt.datetime.now(dt.UTC) + dt.timedelta(days=400)).isoformat()
    cases = {
        "family_not_authorised": {"families": ["water"], "purpose": "application"},
        "reference_missing": {"families": ["tax"], "purpose": "general"},
        "expiry_too_far": {"families": ["tax"], "purpose": "need", "expires_at": too_far},
        "bank_unknown": {
            "families": ["tax"],
            "purpose": "need",
            "bank_id": "00000000-0000-7000-8000-000000000000",
        },
    }
    for code, body in cases.items():
        refused = await oauth_app.post(base, json={"bank_id": bank, **body})
        assert refused.status_code == 422, (code, refused.text)
        assert [e["code"] for e in refused.json()["errors"]] == [code]
    again = await oauth_app.post(
        base, json={"bank_id": bank, "families": ["tax"], "purpose": "need"}
    )
    assert again.status_code == 201
    revoke = f"{base}/{again.json()['id']}"
    assert (await oauth_app.delete(revoke)).status_code == 200
    assert (await oauth_app.delete(revoke)).status_code == 409


async def test_a_bank_sees_the_consents_it_holds_and_no_other_banks(
    oauth_app: AsyncTestClient[Litestar], bank_scene: Scene, world: World
) -> None:
    granted = await consent(oauth_app, bank_scene.sme, bank_scene.bank_a, ["tax"])
    await world.user("a@bank.example", Role.BANK, "BANK_A")
    await world.user("b@bank.example", Role.BANK, "BANK_B")
    await login(oauth_app, "a@bank.example")
    bank_a = await bank_id(oauth_app, "BANK_A")
    held = (await oauth_app.get(f"/api/v1/banks/{bank_a}/consents")).json()
    assert [c["id"] for c in held] == [granted["id"]]
    await login(oauth_app, "b@bank.example")
    assert (await oauth_app.get(f"/api/v1/banks/{bank_a}/consents")).status_code == 403
    await login(oauth_app, "owner@example.com")
    assert (await oauth_app.get(f"/api/v1/banks/{bank_a}/consents")).status_code == 403
