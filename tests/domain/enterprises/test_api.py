"""The SME registry over HTTP: who may read and change an enterprise."""

from __future__ import annotations

import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from tests.conftest import World, login
from xinyidai.models import Enterprise, Role


@pytest.fixture
async def two_smes(world: World) -> tuple[Enterprise, Enterprise]:
    a = await world.enterprise()
    b = await world.enterprise()
    await world.user("a@example.com", Role.SME, a.uscc)
    await world.user("b@example.com", Role.SME, b.uscc)
    return a, b


async def test_an_sme_reads_its_own_enterprise_with_the_id_number_masked(
    client: AsyncTestClient[Litestar], two_smes: tuple[Enterprise, Enterprise]
) -> None:
    a, _ = two_smes
    await login(client, "a@example.com")
    response = await client.get(f"/api/v1/enterprises/{a.id}")
    assert response.status_code == 200
    body = response.json()
    assert body["uscc"] == a.uscc
    assert body["legal_rep_id_masked"].count("*") == 11
    assert "legal_rep_id_number" not in body
    assert body["industry"] == {
        "section": "C",
        "division": "39",
        "section_name_zh": "制造业",
        "section_name_en": "Manufacturing",
    }


async def test_sme_a_cannot_see_or_change_sme_b(
    client: AsyncTestClient[Litestar], two_smes: tuple[Enterprise, Enterprise]
) -> None:
    _, b = two_smes
    await login(client, "a@example.com")
    read = await client.get(f"/api/v1/enterprises/{b.id}")
    assert read.status_code == 404
    missing = await client.get("/api/v1/enterprises/01900000-0000-7000-8000-000000000000")
    assert read.json()["detail"] == missing.json()["detail"]  # no existence leak
    write = await client.patch(f"/api/v1/enterprises/{b.id}", json={"name": "被篡改的名字有限公司"})
    assert write.status_code == 404


async def test_a_bank_user_cannot_read_an_enterprise(
    client: AsyncTestClient[Litestar], world: World, two_smes: tuple[Enterprise, Enterprise]
) -> None:
    a, _ = two_smes
    await world.bank("BANK_A")
    await world.user("banker@example.com", Role.BANK, "BANK_A")
    await login(client, "banker@example.com")
    assert (await client.get(f"/api/v1/enterprises/{a.id}")).status_code == 404
    assert (await client.get("/api/v1/enterprises")).status_code == 403  # the office's registry


async def test_an_admin_is_not_the_office_and_cannot_read_either(
    client: AsyncTestClient[Litestar], world: World, two_smes: tuple[Enterprise, Enterprise]
) -> None:
    a, _ = two_smes
    await world.user("root@example.com", Role.ADMIN)
    await login(client, "root@example.com")
    assert (await client.get(f"/api/v1/enterprises/{a.id}")).status_code == 404


async def test_the_office_reads_but_cannot_change(
    client: AsyncTestClient[Litestar], world: World, two_smes: tuple[Enterprise, Enterprise]
) -> None:
    a, _ = two_smes
    await world.user("office@example.com", Role.OFFICE)
    await login(client, "office@example.com")
    assert (await client.get(f"/api/v1/enterprises/{a.id}")).status_code == 200
    write = await client.patch(f"/api/v1/enterprises/{a.id}", json={"name": "信用办改名有限公司"})
    assert write.status_code == 404
    listing = await client.get("/api/v1/enterprises", params={"q": a.uscc[:10]})
    assert listing.status_code == 200
    assert [e["id"] for e in listing.json()["items"]] == [str(a.id)]
    assert listing.json()["items"][0]["verified_at"] is not None  # its owner verified it


async def test_an_sme_corrects_its_own_registration(
    client: AsyncTestClient[Litestar], two_smes: tuple[Enterprise, Enterprise]
) -> None:
    a, _ = two_smes
    await login(client, "a@example.com")
    response = await client.patch(
        f"/api/v1/enterprises/{a.id}",
        json={
            "registered_capital": "2500000.5",
            "industry_division": "52",
            "district_code": "440113",
        },
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["registered_capital"] == "2500000.50"
    assert body["industry"]["section"] == "F"
    assert body["district_code"] == "440113"
    again = await client.get(f"/api/v1/enterprises/{a.id}")
    assert again.json()["registered_capital"] == "2500000.50"


@pytest.mark.parametrize(
    "field",
    ["status", "uscc", "id", "owner_id", "enterprise_id", "legal_rep_id_masked", "created_at"],
)
async def test_mass_assignment_through_patch_is_refused(
    client: AsyncTestClient[Litestar], two_smes: tuple[Enterprise, Enterprise], field: str
) -> None:
    a, _ = two_smes
    await login(client, "a@example.com")
    value = "revoked" if field == "status" else "91440300708461136T"
    response = await client.patch(f"/api/v1/enterprises/{a.id}", json={field: value})
    assert response.status_code == 422
    assert field in response.text
    after = (await client.get(f"/api/v1/enterprises/{a.id}")).json()
    assert after["status"] == "active"
    assert after["uscc"] == a.uscc


async def test_invalid_corrections_are_refused_and_change_nothing(
    client: AsyncTestClient[Litestar], two_smes: tuple[Enterprise, Enterprise]
) -> None:
    a, _ = two_smes
    await login(client, "a@example.com")
    for payload, code in [
        ({"registered_capital": "-5", "name": "改了名字有限公司"}, "money_range"),
        ({"industry_division": "98"}, "industry_division_unknown"),
        ({"district_code": "999999"}, "district_format"),
        ({"legal_rep_id_number": "110105194912310021"}, "id_check_character"),
    ]:
        response = await client.patch(f"/api/v1/enterprises/{a.id}", json=payload)
        assert response.status_code == 422, payload
        assert response.json()["errors"][0]["code"] == code
    after = (await client.get(f"/api/v1/enterprises/{a.id}")).json()
    assert after["name"] == a.name
    assert after["registered_capital"] == "1000000.00"


async def test_the_id_number_is_encrypted_at_rest_in_the_claim(
    client: AsyncTestClient[Litestar], db: AsyncSession
) -> None:
    from tests.domain.accounts.test_auth import register_payload

    payload = register_payload()
    assert (await client.post("/api/v1/auth/register", json=payload)).status_code == 201
    id_number = payload["enterprise"]["legal_rep_id_number"]
    row = (
        await db.execute(
            text(
                "SELECT legal_rep_id_cipher, legal_rep_id_masked, "
                "row_to_json(enterprise_claims)::text AS everything FROM enterprise_claims"
            )
        )
    ).one()
    assert id_number.encode() not in bytes(row.legal_rep_id_cipher)
    assert id_number not in row.everything
    assert row.legal_rep_id_masked == id_number[:3] + "*" * 11 + id_number[-4:]


async def test_office_search_refuses_unstorable_text(
    client: AsyncTestClient[Litestar], world: World
) -> None:
    await world.user("office@example.com", Role.OFFICE)
    await login(client, "office@example.com")
    response = await client.get("/api/v1/enterprises", params={"q": "a\u0000b"})
    assert response.status_code == 422
