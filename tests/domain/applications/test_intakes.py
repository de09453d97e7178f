"""A bank's intake through /api/v1/banks/{id}/intake: its own users only (another bank, an
SME, the office and admins are refused), both URLs checked against the destination policy, the
secret write-only and stored encrypted, bound to the bank's row."""

from __future__ import annotations

from litestar import Litestar
from litestar.testing import AsyncTestClient
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from tests.conftest import World, login
from tests.infra.test_destinations import names
from xinyidai.domain.applications.intakes import secret_binding
from xinyidai.models import BankIntake, Role

INTAKE = {
    "intake_url": "https://api.bank-a.example.com/xyd/applications",
    "token_url": "https://auth.bank-a.example.com/oauth/token",
    "client_id": "xinyidai-platform",
    "client_secret": "s3cret-of-bank-a",
    "scope": "applications.write",
}


def public_dns(app: Litestar) -> None:
    app.state.webhook_policy = names(
        {
            "api.bank-a.example.com": ["93.184.216.34"],
            "auth.bank-a.example.com": ["93.184.216.35"],
            "internal.bank-a.example.com": ["10.20.30.40"],
        }
    )


async def test_a_bank_user_sets_reads_and_removes_its_intake_and_never_sees_the_secret(
    app: Litestar, client: AsyncTestClient[Litestar], world: World, db: AsyncSession
) -> None:
    public_dns(app)
    a = await world.bank("BANK_A")
    await world.user("a@bank.example.com", Role.BANK, "BANK_A")
    await login(client, "a@bank.example.com")
    path = f"/api/v1/banks/{a.id}/intake"
    assert (await client.get(path)).json() is None

    put = await client.put(path, json=INTAKE)
    assert put.status_code == 200, put.text
    shown = (await client.get(path)).json()
    assert shown == put.json()
    assert {k: shown[k] for k in ("intake_url", "token_url", "client_id", "scope")} == {
        k: INTAKE[k] for k in ("intake_url", "token_url", "client_id", "scope")
    }
    assert "client_secret" not in shown and "s3cret" not in put.text
    stored = await db.scalar(
        select(BankIntake)
        .where(BankIntake.bank_id == a.id)
        .execution_options(populate_existing=True)
    )
    assert stored is not None and b"s3cret" not in stored.client_secret
    assert world.cipher.decrypt(stored.client_secret, secret_binding(a.id)) == "s3cret-of-bank-a"

    # The secret may be left out to keep it; the other fields change.
    kept = {**INTAKE, "client_id": "xinyidai-2", "client_secret": None, "scope": None}
    assert (await client.put(path, json=kept)).status_code == 200
    stored = await db.scalar(
        select(BankIntake)
        .where(BankIntake.bank_id == a.id)
        .execution_options(populate_existing=True)
    )
    assert stored is not None and (stored.client_id, stored.scope) == ("xinyidai-2", None)
    assert world.cipher.decrypt(stored.client_secret, secret_binding(a.id)) == "s3cret-of-bank-a"

    assert (await client.delete(path)).status_code == 204
    assert (await client.get(path)).json() is None
    assert (await client.delete(path)).status_code == 404


async def test_both_urls_pass_the_destination_policy_and_a_new_intake_needs_a_secret(
    app: Litestar, client: AsyncTestClient[Litestar], world: World
) -> None:
    public_dns(app)
    a = await world.bank("BANK_A")
    await world.user("a@bank.example.com", Role.BANK, "BANK_A")
    await login(client, "a@bank.example.com")
    path = f"/api/v1/banks/{a.id}/intake"
    cases = [
        ("intake_url", "http://api.bank-a.example.com/xyd", "url_invalid"),
        ("intake_url", "https://internal.bank-a.example.com/xyd", "destination_refused"),
        ("token_url", "https://169.254.169.254/token", "destination_refused"),
        ("token_url", "https://gone.bank-a.example.com/token", "destination_unresolvable"),
    ]
    for field, url, code in cases:
        response = await client.put(path, json={**INTAKE, field: url})
        assert response.status_code == 422, (url, response.text)
        error = response.json()["errors"][0]
        assert (error["field"], error["code"]) == (field, code), url
    no_secret = await client.put(path, json={**INTAKE, "client_secret": None})
    assert no_secret.status_code == 422
    assert no_secret.json()["errors"][0]["code"] == "client_secret_required"
    unknown = await client.put(path, json={**INTAKE, "extra": 1})
    assert unknown.status_code == 422
    assert (await client.get(path)).json() is None  # nothing was stored


async def test_another_bank_an_sme_the_office_and_admins_may_not_touch_a_banks_intake(
    app: Litestar, client: AsyncTestClient[Litestar], world: World, db: AsyncSession
) -> None:
    public_dns(app)
    a = await world.bank("BANK_A")
    await world.bank("BANK_B")
    await world.user("a@bank.example.com", Role.BANK, "BANK_A")
    await world.user("b@bank.example.com", Role.BANK, "BANK_B")
    await world.user("office@example.gov.cn", Role.OFFICE)
    await world.user("admin@example.com", Role.ADMIN)
    await world.user("owner@example.com", Role.SME, (await world.enterprise()).uscc)
    path = f"/api/v1/banks/{a.id}/intake"
    await login(client, "a@bank.example.com")
    assert (await client.put(path, json=INTAKE)).status_code == 200

    for email in (
        "b@bank.example.com",
        "owner@example.com",
        "office@example.gov.cn",
        "admin@example.com",
    ):
        await login(client, email)
        assert (await client.get(path)).status_code == 403, email
        changed = {**INTAKE, "intake_url": "https://api.bank-a.example.com/stolen"}
        assert (await client.put(path, json=changed)).status_code == 403, email
        assert (await client.delete(path)).status_code == 403, email
    stored = await db.scalar(
        select(BankIntake)
        .where(BankIntake.bank_id == a.id)
        .execution_options(populate_existing=True)
    )
    assert stored is not None and stored.intake_url == INTAKE["intake_url"]


async def test_a_secret_copied_to_another_banks_row_does_not_decrypt(world: World) -> None:
    a = await world.bank("BANK_A")
    b = await world.bank("BANK_B")
    blob = world.cipher.encrypt("s3cret-of-bank-a", secret_binding(a.id))
    try:
        world.cipher.decrypt(blob, secret_binding(b.id))
    except ValueError:
        pass
    else:
        raise AssertionError("a ciphertext bound to bank A decrypted for bank B")
