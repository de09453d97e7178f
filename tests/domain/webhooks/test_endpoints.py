"""A bank's webhook URL and delivery log through /api/v1/banks/{id}: its own users and admins
only, URLs checked against the destination policy, the log newest first in pages."""

from __future__ import annotations

from uuid import UUID

from litestar import Litestar
from litestar.testing import AsyncTestClient
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from uuid_utils.compat import uuid7

from tests.conftest import World, login
from tests.infra.test_destinations import names
from xinyidai.dates import utc_now
from xinyidai.models import DeliveryStatus, Role, WebhookDelivery, WebhookEndpoint, WebhookEvent


def public_dns(app: Litestar) -> None:
    """The app's webhook policy, strict, with a DNS that knows the banks' hosts."""
    app.state.webhook_policy = names(
        {
            "hooks.bank-a.example.com": ["93.184.216.34"],
            "internal.bank-a.example.com": ["93.184.216.34", "10.20.30.40"],
        }
    )


async def test_a_bank_user_sets_reads_and_removes_its_webhook_url(
    app: Litestar, client: AsyncTestClient[Litestar], world: World
) -> None:
    public_dns(app)
    a = await world.bank("BANK_A")
    await world.user("a@bank.example.com", Role.BANK, "BANK_A")
    await login(client, "a@bank.example.com")
    path = f"/api/v1/banks/{a.id}/webhook"
    none_yet = await client.get(path)
    assert (none_yet.status_code, none_yet.json()) == (200, None)

    put = await client.put(path, json={"url": "https://Hooks.Bank-A.example.com/xyd/events"})
    assert put.status_code == 200, put.text
    assert put.json()["url"] == "https://hooks.bank-a.example.com/xyd/events"
    assert put.json()["bank_id"] == str(a.id)
    again = await client.put(path, json={"url": "https://hooks.bank-a.example.com/v2"})
    assert again.status_code == 200
    shown = (await client.get(path)).json()
    assert shown["url"] == "https://hooks.bank-a.example.com/v2"
    assert shown["created_at"] == put.json()["created_at"]

    assert (await client.delete(path)).status_code == 204
    assert (await client.get(path)).json() is None
    assert (await client.delete(path)).status_code == 404  # nothing left to remove


async def test_a_webhook_url_must_pass_the_destination_policy(
    app: Litestar, client: AsyncTestClient[Litestar], world: World
) -> None:
    public_dns(app)
    a = await world.bank("BANK_A")
    await world.user("a@bank.example.com", Role.BANK, "BANK_A")
    await login(client, "a@bank.example.com")
    path = f"/api/v1/banks/{a.id}/webhook"
    cases = {
        "http://hooks.bank-a.example.com/xyd": "url_invalid",
        "https://internal.bank-a.example.com/xyd": "destination_refused",
        "https://169.254.169.254/latest/meta-data": "destination_refused",
        "https://127.0.0.1:8443/xyd": "destination_refused",
        "https://gone.bank-a.example.com/xyd": "destination_unresolvable",
    }
    for url, code in cases.items():
        response = await client.put(path, json={"url": url})
        assert response.status_code == 422, (url, response.text)
        error = response.json()["errors"][0]
        assert (error["field"], error["code"]) == ("url", code), url
    assert (await client.get(path)).json() is None  # nothing was stored


async def test_another_bank_or_an_sme_may_not_read_or_set_a_banks_webhooks(
    app: Litestar, client: AsyncTestClient[Litestar], world: World, db: AsyncSession
) -> None:
    public_dns(app)
    a = await world.bank("BANK_A")
    await world.bank("BANK_B")
    db.add(WebhookEndpoint(bank_id=a.id, url="https://hooks.bank-a.example.com/xyd"))
    await db.commit()
    await _deliveries(db, a.id, 1)
    await world.user("b@bank.example.com", Role.BANK, "BANK_B")
    ent = await world.enterprise()
    await world.user("owner@example.com", Role.SME, ent.uscc)
    await world.user("office@example.com", Role.OFFICE)

    for email in ("b@bank.example.com", "owner@example.com", "office@example.com"):
        client.cookies.clear()
        await login(client, email)
        base = f"/api/v1/banks/{a.id}"
        assert (await client.get(f"{base}/webhook")).status_code == 403, email
        assert (await client.get(f"{base}/webhook-deliveries")).status_code == 403, email
        hijack = await client.put(f"{base}/webhook", json={"url": "https://evil.example.com/"})
        assert hijack.status_code == 403, email
        assert (await client.delete(f"{base}/webhook")).status_code == 403, email
    assert await _url(db, a.id) == "https://hooks.bank-a.example.com/xyd"  # unchanged

    client.cookies.clear()
    await world.user("admin@example.com", Role.ADMIN)
    await login(client, "admin@example.com")
    assert (await client.get(f"/api/v1/banks/{a.id}/webhook")).status_code == 200
    log = await client.get(f"/api/v1/banks/{a.id}/webhook-deliveries")
    assert log.status_code == 200
    assert len(log.json()["items"]) == 1
    missing = await client.get(f"/api/v1/banks/{uuid7()}/webhook-deliveries")
    assert missing.status_code == 404


async def test_the_delivery_log_is_newest_first_in_pages(
    client: AsyncTestClient[Litestar], world: World, db: AsyncSession
) -> None:
    a = await world.bank("BANK_A")
    b = await world.bank("BANK_B")
    made = await _deliveries(db, a.id, 5)
    await _deliveries(db, b.id, 2)  # never shown to bank A
    dead = await db.get(WebhookDelivery, made[1])
    assert dead is not None
    dead.status = DeliveryStatus.DEAD
    dead.attempts = 15
    dead.last_error = "HTTP 500"
    await db.commit()
    await world.user("a@bank.example.com", Role.BANK, "BANK_A")
    await login(client, "a@bank.example.com")
    path = f"/api/v1/banks/{a.id}/webhook-deliveries"

    first = (await client.get(path, params={"limit": 2})).json()
    assert [i["id"] for i in first["items"]] == [str(made[4]), str(made[3])]
    assert first["items"][0]["status"] == "pending"
    assert first["items"][0]["event_type"] == "consent.revoked"
    assert first["items"][0]["attempts"] == 0
    assert first["items"][0]["next_attempt_at"] is not None
    second = (await client.get(path, params={"limit": 2, "cursor": first["next_cursor"]})).json()
    third = (await client.get(path, params={"limit": 2, "cursor": second["next_cursor"]})).json()
    assert [i["id"] for i in second["items"]] == [str(made[2]), str(made[1])]
    assert [i["id"] for i in third["items"]] == [str(made[0])]
    assert third["next_cursor"] is None

    only_dead = (await client.get(path, params={"status": "dead"})).json()["items"]
    assert [(i["id"], i["attempts"], i["last_error"]) for i in only_dead] == [
        (str(made[1]), 15, "HTTP 500")
    ]
    assert only_dead[0]["next_attempt_at"] is None  # settled
    bad = await client.get(path, params={"cursor": "not-a-cursor"})
    assert bad.status_code == 422
    assert (await client.get(path, params={"status": "lost"})).status_code == 422


async def _deliveries(db: AsyncSession, bank_id: UUID, n: int) -> list[UUID]:
    ids = []
    for i in range(n):
        delivery = WebhookDelivery(
            id=uuid7(),
            bank_id=bank_id,
            event_type=WebhookEvent.CONSENT_REVOKED,
            event_id=f"consent.revoked:{uuid7()}",
            payload={"n": i},
            next_attempt_at=utc_now(),
        )
        db.add(delivery)
        await db.flush()
        ids.append(delivery.id)
    await db.commit()
    return ids


async def _url(db: AsyncSession, bank_id: UUID) -> str | None:
    url: str | None = await db.scalar(
        select(WebhookEndpoint.url).where(WebhookEndpoint.bank_id == bank_id)
    )
    return url
