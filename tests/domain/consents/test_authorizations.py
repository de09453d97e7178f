"""An SME authorizes the platform to fetch its data families, sees its authorizations, and
revokes them; nobody else can."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient

from tests.conftest import World, login
from xinyidai.models import Enterprise, Role


def _in(days: float) -> str:
    return (dt.datetime.now(dt.UTC) + dt.timedelta(days=days)).isoformat()


@pytest.fixture
async def sme(world: World) -> Enterprise:
    ent = await world.enterprise()
    await world.user("owner@example.com", Role.SME, ent.uscc)
    return ent


async def test_an_sme_grants_an_authorization_and_a_sync_is_queued(
    client: AsyncTestClient[Litestar], sme: Enterprise
) -> None:
    await login(client, "owner@example.com")
    response = await client.post(
        f"/api/v1/enterprises/{sme.id}/data-authorizations",
        json={
            "families": ["tax", "electricity"],
            "purpose": "申请信用贷款",
            "expires_at": _in(180),
        },
    )
    assert response.status_code == 201, response.text
    body = response.json()
    assert body["live"] is True
    assert body["families"] == ["electricity", "tax"]
    assert body["reference"].startswith("AUTH-")
    assert body["sync_job_id"]
    job = await client.get(f"/api/v1/enterprises/{sme.id}/sync/{body['sync_job_id']}")
    assert job.status_code == 200
    assert job.json()["trigger"] == "authorisation"
    profile = (await client.get(f"/api/v1/enterprises/{sme.id}/profile")).json()["content"]
    assert profile["families"]["tax"]["authorised"] is True
    assert profile["families"]["water"] == {"authorised": False}


@pytest.mark.parametrize(
    ("payload", "code"),
    [
        ({"families": ["tax"], "purpose": "贷款申请", "expires_at": _in(400)}, "expiry_too_far"),
        ({"families": ["tax"], "purpose": "贷款申请", "expires_at": _in(-1)}, "expiry_past"),
        (
            {"families": ["tax", "tax"], "purpose": "贷款申请", "expires_at": _in(30)},
            "families_duplicate",
        ),
    ],
)
async def test_authorizations_are_at_most_twelve_months_and_well_formed(
    client: AsyncTestClient[Litestar], sme: Enterprise, payload: dict[str, Any], code: str
) -> None:
    await login(client, "owner@example.com")
    response = await client.post(f"/api/v1/enterprises/{sme.id}/data-authorizations", json=payload)
    assert response.status_code == 422
    assert response.json()["errors"][0]["code"] == code


async def test_unknown_families_and_fields_are_refused(
    client: AsyncTestClient[Litestar], sme: Enterprise
) -> None:
    await login(client, "owner@example.com")
    base = f"/api/v1/enterprises/{sme.id}/data-authorizations"
    bad_family = await client.post(
        base, json={"families": ["bank_statements"], "purpose": "贷款申请", "expires_at": _in(30)}
    )
    assert bad_family.status_code == 422
    naive = await client.post(
        base, json={"families": ["tax"], "purpose": "贷款申请", "expires_at": "2027-01-01T00:00:00"}
    )
    assert naive.status_code == 422


async def test_revoking_keeps_history_and_ends_the_authorization(
    client: AsyncTestClient[Litestar], sme: Enterprise
) -> None:
    await login(client, "owner@example.com")
    base = f"/api/v1/enterprises/{sme.id}/data-authorizations"
    granted = (
        await client.post(
            base, json={"families": ["tax"], "purpose": "贷款申请", "expires_at": _in(60)}
        )
    ).json()
    revoked = await client.delete(f"{base}/{granted['id']}")
    assert revoked.status_code == 200
    assert revoked.json()["live"] is False
    assert revoked.json()["revoked_at"]
    again = await client.delete(f"{base}/{granted['id']}")
    assert again.status_code == 409
    listing = (await client.get(base)).json()
    assert [a["id"] for a in listing] == [granted["id"]]
    assert listing[0]["live"] is False
    profile = (await client.get(f"/api/v1/enterprises/{sme.id}/profile")).json()
    assert profile["content"]["families"]["tax"] == {"authorised": False}


async def test_nobody_else_sees_or_manages_an_smes_authorizations(
    client: AsyncTestClient[Litestar], world: World, sme: Enterprise
) -> None:
    other = await world.enterprise()
    await world.user("other@example.com", Role.SME, other.uscc)
    await world.user("office@example.com", Role.OFFICE)
    await world.bank("BANK_A")
    await world.user("banker@example.com", Role.BANK, "BANK_A")
    await login(client, "owner@example.com")
    base = f"/api/v1/enterprises/{sme.id}/data-authorizations"
    granted = (
        await client.post(
            base, json={"families": ["tax"], "purpose": "贷款申请", "expires_at": _in(60)}
        )
    ).json()
    for email in ("other@example.com", "office@example.com", "banker@example.com"):
        client.cookies.clear()
        await login(client, email)
        assert (await client.get(base)).status_code == 404
        assert (
            await client.post(
                base, json={"families": ["tax"], "purpose": "冒名授权", "expires_at": _in(60)}
            )
        ).status_code == 404
        assert (await client.delete(f"{base}/{granted['id']}")).status_code == 404
        assert (await client.post(f"/api/v1/enterprises/{sme.id}/sync")).status_code == 404
    # SME B cannot reach SME A's authorization through its own path either
    client.cookies.clear()
    await login(client, "other@example.com")
    assert (
        await client.delete(f"/api/v1/enterprises/{other.id}/data-authorizations/{granted['id']}")
    ).status_code == 404
