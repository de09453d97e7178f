"""Banks: a catalogue for logged-in users; each bank edits only its own details."""

from __future__ import annotations

import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient
from sqlalchemy.ext.asyncio import AsyncSession
from uuid_utils.compat import uuid7

from tests.conftest import World, login
from xinyidai.domain.accounts.services import AccountService
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
    bad_email = await client.patch(f"/api/v1/banks/{a.id}", json={"contact_email": "not-mail"})
    assert bad_email.status_code == 422
    assert bad_email.json()["errors"] == [
        {
            "field": "contact_email",
            "message": "this is not a valid e-mail address",
            "code": "email_format",
        }
    ]


async def test_users_belong_to_the_organisation_their_role_names(
    world: World, db: AsyncSession
) -> None:
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


# --- a bank's users -------------------------------------------------------------------------------
async def test_a_bank_lists_its_own_users_newest_first(
    client: AsyncTestClient[Litestar], world: World
) -> None:
    a = await world.bank("BANK_A")
    await world.bank("BANK_B")
    await world.user("first@bank-a.example.com", Role.BANK, "BANK_A")
    await world.user("second@bank-a.example.com", Role.BANK, "BANK_A")
    await world.user("other@bank-b.example.com", Role.BANK, "BANK_B")
    await login(client, "second@bank-a.example.com")
    response = await client.get(f"/api/v1/banks/{a.id}/users")
    assert response.status_code == 200, response.text
    users = response.json()
    assert [u["email"] for u in users] == ["second@bank-a.example.com", "first@bank-a.example.com"]
    second, first = users
    assert second["role"] == "bank"
    assert second["is_active"] is True
    assert second["display_name"] == "second@bank-a.example.com"
    assert second["last_login_at"] is not None  # this login
    assert first["last_login_at"] is None
    assert set(second) == {
        "id",
        "display_name",
        "email",
        "role",
        "is_active",
        "created_at",
        "last_login_at",
    }


async def test_bank_b_cannot_list_bank_a_users(
    client: AsyncTestClient[Litestar], world: World
) -> None:
    a = await world.bank("BANK_A")
    await world.bank("BANK_B")
    await world.user("a@bank-a.example.com", Role.BANK, "BANK_A")
    await world.user("b@bank-b.example.com", Role.BANK, "BANK_B")
    await login(client, "b@bank-b.example.com")
    response = await client.get(f"/api/v1/banks/{a.id}/users")
    assert response.status_code == 403
    assert "a@bank-a.example.com" not in response.text


async def test_a_deactivated_user_is_listed_as_inactive(
    client: AsyncTestClient[Litestar], world: World
) -> None:
    a = await world.bank("BANK_A")
    await world.user("me@bank-a.example.com", Role.BANK, "BANK_A")
    await world.user("gone@bank-a.example.com", Role.BANK, "BANK_A")
    accounts = AccountService(world.session, world.redis, world.settings, world.cipher)
    await accounts.set_active("gone@bank-a.example.com", active=False)
    await world.session.commit()
    await login(client, "me@bank-a.example.com")
    users = (await client.get(f"/api/v1/banks/{a.id}/users")).json()
    assert {u["email"]: u["is_active"] for u in users} == {
        "me@bank-a.example.com": True,
        "gone@bank-a.example.com": False,
    }


@pytest.mark.parametrize(("role", "status"), [(Role.SME, 403), (Role.OFFICE, 403)])
async def test_smes_and_the_office_cannot_list_a_bank_users(
    client: AsyncTestClient[Litestar], world: World, role: Role, status: int
) -> None:
    a = await world.bank("BANK_A")
    await world.user("staff@bank-a.example.com", Role.BANK, "BANK_A")
    org = (await world.enterprise()).uscc if role is Role.SME else None
    await world.user("caller@example.com", role, org)
    await login(client, "caller@example.com")
    response = await client.get(f"/api/v1/banks/{a.id}/users")
    assert response.status_code == status
    assert "staff@bank-a.example.com" not in response.text


async def test_an_admin_lists_any_bank_users(
    client: AsyncTestClient[Litestar], world: World
) -> None:
    a = await world.bank("BANK_A")
    await world.user("staff@bank-a.example.com", Role.BANK, "BANK_A")
    await world.user("admin@example.com", Role.ADMIN)
    await login(client, "admin@example.com")
    response = await client.get(f"/api/v1/banks/{a.id}/users")
    assert response.status_code == 200
    assert [u["email"] for u in response.json()] == ["staff@bank-a.example.com"]
    missing = await client.get(f"/api/v1/banks/{uuid7()}/users")
    assert missing.status_code == 404


async def test_listing_users_needs_a_login(client: AsyncTestClient[Litestar], world: World) -> None:
    a = await world.bank("BANK_A")
    assert (await client.get(f"/api/v1/banks/{a.id}/users")).status_code == 401
