"""An SME applies for a product: the application, the bank's consent and the outbox row are
written together, once per idempotency key, and only within the product's terms."""

from __future__ import annotations

from sqlalchemy import func, select, text
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from tests.domain.applications.arrange import Apps
from xinyidai.models import Application, ApplicationDelivery, BankConsent


async def _count(db: AsyncSession, model: type) -> int:
    return int(await db.scalar(select(func.count()).select_from(model)) or 0)


async def test_applying_writes_the_application_its_consent_and_its_delivery(
    apps: Apps, db: AsyncSession
) -> None:
    made = await apps.apply(key="first-try")
    assert made.status_code == 201, made.text
    assert made.headers["idempotent-replayed"] == "false"
    body = made.json()
    assert body["status"] == "submitted" and body["bank_id"] == str(apps.a.id)
    assert body["product_name_en"] == "Credit Easy Loan" and body["product_version"] == 1
    assert body["amount"] == "500000.00" and body["term_months"] == 12
    assert body["eligibility"]["eligible"] is True and body["eligibility"]["unmet"] == []
    assert [(t["from_status"], t["to_status"], t["actor"]) for t in body["timeline"]] == [
        (None, "submitted", "sme")
    ]
    consent = await db.get(BankConsent, body["consent_id"])
    assert consent is not None and consent.bank_id == apps.a.id
    assert consent.purpose == "application" and consent.channel == "application"
    assert consent.reference == f"application {body['id']}"
    assert sorted(consent.families) == ["score", "tax"]
    delivery = await db.scalar(
        select(ApplicationDelivery).where(ApplicationDelivery.application_id == body["id"])
    )
    assert delivery is not None and delivery.status == "pending"
    assert delivery.bank_id == apps.a.id


async def test_the_same_key_and_body_return_the_first_application(
    apps: Apps, db: AsyncSession
) -> None:
    first = await apps.applied(key="k-1")
    again = await apps.apply(key="k-1")
    assert again.status_code == 201 and again.json()["id"] == first["id"]
    assert again.headers["idempotent-replayed"] == "true"
    # The same body spelled differently (key order, number spelling) is the same request.
    respelled = await apps.apply(key="k-1", amount="500000")
    assert respelled.status_code == 201 and respelled.json()["id"] == first["id"]
    assert await _count(db, Application) == 1 and await _count(db, BankConsent) == 1


async def test_the_same_key_with_another_body_is_refused_and_writes_nothing(
    apps: Apps, db: AsyncSession
) -> None:
    await apps.applied(key="k-2")
    other = await apps.apply(key="k-2", amount="600000.00")
    assert other.status_code == 422
    (error,) = other.json()["errors"]
    assert error["field"] == "Idempotency-Key" and error["code"] == "idempotency_key_reused"
    assert await _count(db, Application) == 1 and await _count(db, BankConsent) == 1


async def test_a_key_whose_first_request_is_still_in_flight_gets_409(
    apps: Apps, sessions: async_sessionmaker[AsyncSession]
) -> None:
    enterprise_id = apps.scene.sme.id
    async with sessions() as holder, holder.begin():
        # Another request with this key is inside its transaction: it holds the key's lock.
        await holder.execute(
            text("SELECT pg_advisory_xact_lock(hashtextextended(:k, 0))"),
            {"k": f"application:{enterprise_id}\x1fbusy-key"},
        )
        busy = await apps.apply(key="busy-key")
        assert busy.status_code == 409, busy.text
        assert "still being processed" in busy.json()["detail"]
    after = await apps.apply(key="busy-key")  # the first is gone: the key is free
    assert after.status_code == 201


async def test_a_missing_or_malformed_key_is_refused(apps: Apps) -> None:
    await apps.act_as(apps.owner)
    from tests.domain.applications.arrange import application_payload

    payload = application_payload(apps.a.product_id)
    missing = await apps.app.post("/api/v1/applications", json=payload)
    assert missing.status_code == 422 and "idempotency-key" in missing.text.lower()
    spaced = await apps.apply(key="has a space")
    assert spaced.status_code == 422


async def test_amount_and_term_outside_the_product_are_refused_naming_both(
    apps: Apps, db: AsyncSession
) -> None:
    refused = await apps.apply(amount="99999999.00", term_months=60)
    assert refused.status_code == 422
    fields = {e["field"]: e["code"] for e in refused.json()["errors"]}
    assert fields == {"amount": "amount_out_of_range", "term_months": "term_out_of_range"}
    assert await _count(db, Application) == 0 and await _count(db, BankConsent) == 0


async def test_a_consent_to_a_family_the_platform_does_not_hold_writes_nothing(
    apps: Apps, db: AsyncSession
) -> None:
    refused = await apps.apply(consent={"families": ["water"]})
    assert refused.status_code == 422
    assert refused.json()["errors"][0]["code"] == "family_not_authorised"
    assert await _count(db, Application) == 0 and await _count(db, ApplicationDelivery) == 0


async def test_an_ineligible_sme_may_apply_and_the_bank_sees_why(
    apps: Apps, db: AsyncSession
) -> None:
    from tests.domain.applications.arrange import simple_product

    await apps.act_as(apps.a.user)
    strict = simple_product(name_en="Big Firms Loan", eligibility={"revenue": {"min": "90000000"}})
    published = await apps.app.post(f"/api/v1/banks/{apps.a.id}/products", json=strict)
    assert published.status_code == 201, published.text
    made = await apps.apply(product_id=published.json()["id"])
    assert made.status_code == 201, made.text
    verdict = made.json()["eligibility"]
    assert verdict["eligible"] is False and verdict["unmet"]
    assert all(u["zh"] and u["en"] for u in verdict["unmet"])
    await apps.act_as(apps.a.user)
    seen = await apps.app.get(f"/api/v1/banks/{apps.a.id}/applications/{made.json()['id']}")
    assert seen.json()["eligibility"] == verdict


async def test_applying_to_a_version_the_bank_has_since_changed_gets_409(apps: Apps) -> None:
    from tests.domain.applications.arrange import simple_product

    await apps.act_as(apps.a.user)
    before = (await apps.app.get(f"/api/v1/products/{apps.a.product_id}")).json()
    edited = await apps.app.put(
        f"/api/v1/banks/{apps.a.id}/products/{apps.a.product_id}",
        json=simple_product(amount_max="5000000"),
    )
    assert edited.status_code == 200, edited.text
    stale = await apps.apply(product_version_id=before["version_id"])
    assert stale.status_code == 409 and "changed" in stale.json()["detail"]
    current = await apps.apply(product_version_id=edited.json()["version_id"])
    assert current.status_code == 201 and current.json()["product_version"] == 2


async def test_a_paused_product_takes_no_applications(apps: Apps) -> None:
    await apps.act_as(apps.a.user)
    paused = await apps.app.post(f"/api/v1/banks/{apps.a.id}/products/{apps.a.product_id}/pause")
    assert paused.status_code in (200, 201), paused.text
    refused = await apps.apply()
    assert refused.status_code == 422
    assert refused.json()["errors"][0]["code"] == "product_unavailable"


async def test_the_sme_withdraws_before_a_decision_but_not_after(apps: Apps) -> None:
    first = await apps.applied()
    withdrawn = await apps.app.post(f"/api/v1/applications/{first['id']}/withdraw")
    assert withdrawn.status_code == 200 and withdrawn.json()["status"] == "withdrawn"
    again = await apps.app.post(f"/api/v1/applications/{first['id']}/withdraw")
    assert again.status_code == 409

    second = await apps.applied()
    assert (await apps.approve(second["id"])).status_code == 200
    await apps.act_as(apps.owner)
    late = await apps.app.post(f"/api/v1/applications/{second['id']}/withdraw")
    assert late.status_code == 409 and "approved" in late.json()["detail"]


async def test_the_sme_lists_and_reads_only_its_own_applications(apps: Apps) -> None:
    mine = await apps.applied()
    listed = (await apps.app.get("/api/v1/applications")).json()
    assert [a["id"] for a in listed["items"]] == [mine["id"]] and listed["total"] == 1

    await apps.act_as(apps.other_owner)
    assert (await apps.app.get("/api/v1/applications")).json()["total"] == 0
    assert (await apps.app.get(f"/api/v1/applications/{mine['id']}")).status_code == 404
    assert (await apps.app.post(f"/api/v1/applications/{mine['id']}/withdraw")).status_code == 404


async def test_banks_and_unverified_users_cannot_apply(apps: Apps) -> None:
    from xinyidai.models import Role

    made = await apps.apply(user=apps.a.user)
    assert made.status_code in (403, 404)
    unverified = await apps.world.user(
        "new@example.com", Role.SME, apps.scene.other.uscc, verified=False
    )
    assert (await apps.apply(user=unverified)).status_code in (403, 404)


async def test_a_bank_sees_only_its_own_inbox(apps: Apps) -> None:
    mine = await apps.applied()
    await apps.act_as(apps.a.user)
    inbox = (await apps.app.get(f"/api/v1/banks/{apps.a.id}/applications")).json()
    assert [a["id"] for a in inbox["items"]] == [mine["id"]]
    assert inbox["items"][0]["enterprise_uscc"] == apps.scene.sme.uscc

    await apps.act_as(apps.b.user)
    assert (await apps.app.get(f"/api/v1/banks/{apps.b.id}/applications")).json()["total"] == 0
    other_inbox = await apps.app.get(f"/api/v1/banks/{apps.a.id}/applications")
    assert other_inbox.status_code == 403
    read = await apps.app.get(f"/api/v1/banks/{apps.a.id}/applications/{mine['id']}")
    assert read.status_code == 403
    via_own = await apps.app.get(f"/api/v1/banks/{apps.b.id}/applications/{mine['id']}")
    assert via_own.status_code == 404
    decided = await apps.app.post(
        f"/api/v1/banks/{apps.b.id}/applications/{mine['id']}/decision",
        json={"outcome": "reject", "reason": "credit_grade"},
    )
    assert decided.status_code == 404

    await apps.act_as(apps.owner)
    assert (await apps.app.get(f"/api/v1/banks/{apps.a.id}/applications")).status_code == 403


async def test_the_bank_user_reads_the_consented_profile_and_the_sme_sees_the_read(
    apps: Apps,
) -> None:
    mine = await apps.applied()
    await apps.act_as(apps.a.user)
    profile = await apps.app.get(f"/api/v1/banks/{apps.a.id}/applications/{mine['id']}/profile")
    assert profile.status_code == 200, profile.text
    body = profile.json()
    assert body["uscc"] == apps.scene.sme.uscc and body["shared"] == ["score", "tax"]
    assert body["families"]["electricity"] == {"consented": False}

    # A user's read in the portal is not a call of the bank's servers: not in its API usage.
    usage = (await apps.app.get(f"/api/v1/banks/{apps.a.id}/api-usage")).json()
    assert usage["rows"] == []

    await apps.act_as(apps.b.user)
    other = await apps.app.get(f"/api/v1/banks/{apps.a.id}/applications/{mine['id']}/profile")
    assert other.status_code == 403

    await apps.act_as(apps.owner)
    log = (await apps.app.get(f"/api/v1/enterprises/{apps.scene.sme.id}/access-log")).json()
    (entry,) = [e for e in log["items"] if e["resource"] == "bank_portal_profile"]
    assert entry["actor_role"] == "bank" and entry["purpose"] == f"application {mine['id']}"

    # Revoked: the bank's user reads nothing more.
    revoked = await apps.app.delete(
        f"/api/v1/enterprises/{apps.scene.sme.id}/bank-consents/{mine['consent_id']}"
    )
    assert revoked.status_code == 200
    await apps.act_as(apps.a.user)
    gone = await apps.app.get(f"/api/v1/banks/{apps.a.id}/applications/{mine['id']}/profile")
    assert gone.status_code == 403 and "no live consent" in gone.json()["detail"]
