"""Banks: a catalogue for logged-in users; each bank edits only its own details."""

from __future__ import annotations

from litestar import Litestar
from litestar.testing import AsyncTestClient
from sqlalchemy.ext.asyncio import AsyncSession

from tests.conftest import World, login
from xinyidai.models import Role


async def test_banks_are_listed_to_logged_in_users_only(
    client: AsyncTestClient[Litestar], world: World
) -> None:
    await world.bank("BANK_A", "甲银行")
    await world.bank("BANK_B", "乙银行")
    assert (await client.get("/api/v1/banks")).status_code == 401
    ent = await world.enterprise()
    await world.user("sme@example.com", Role.SME, ent.uscc)
    await login(client, "sme@example.com")
    listing = await client.get("/api/v1/banks")
    assert [b["short_code"] for b in listing.json()] == ["BANK_A", "BANK_B"]


async def test_bank_a_cannot_change_bank_b(client: AsyncTestClient[Litestar], world: World) -> None:
    await world.bank("BANK_A")
    b = await world.bank("BANK_B")
    await world.user("a@bank.example.com", Role.BANK, "BANK_A")
    await login(client, "a@bank.example.com")
    response = await client.patch(f"/api/v1/banks/{b.id}", json={"contact_name": "冒名者"})
    assert response.status_code == 403
    assert (await client.get(f"/api/v1/banks/{b.id}")).json()["contact_name"] is None


async def test_a_bank_updates_its_own_contact_and_api_url(
    client: AsyncTestClient[Litestar], world: World
) -> None:
    a = await world.bank("BANK_A")
    await world.user("a@bank.example.com", Role.BANK, "BANK_A")
    await login(client, "a@bank.example.com")
    response = await client.patch(
        f"/api/v1/banks/{a.id}",
        json={
            "api_base_url": "https://api.bank-a.example.com/v1/",
            "contact_phone": "020-1234-5678",
        },
    )
    assert response.status_code == 200, response.text
    assert response.json()["api_base_url"] == "https://api.bank-a.example.com/v1"
    plain = await client.patch(
        f"/api/v1/banks/{a.id}", json={"api_base_url": "http://api.bank-a.example.com"}
    )
    assert plain.status_code == 422
    assert plain.json()["errors"][0]["code"] == "url_invalid"


async def test_users_belong_to_the_organisation_their_role_names(
    world: World, db: AsyncSession
) -> None:
    import pytest
    from sqlalchemy.exc import IntegrityError

    from xinyidai.models import User

    bank = await world.bank("BANK_A")
    db.add(
        User(
            email="x@example.com",
            display_name="x",
            password_hash="x",
            role=Role.SME,
            bank_id=bank.id,
        )
    )
    with pytest.raises(IntegrityError):
        await db.flush()
