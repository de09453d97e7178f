"""A disbursed loan is registered in the pool when eligible, with the share the rules in force on
its disbursement date give it (band by principal, bonuses, the ceiling); otherwise the reasons
are recorded. A replayed disbursement registers nothing twice."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from tests.domain.monitoring.pool.scene import Scene
from xinyidai.models import EnterpriseStatus, PoolRegistration


@pytest.mark.parametrize(
    ("principal", "share"),
    [
        ("100000.00", "0.4000"),
        ("5000000.00", "0.4000"),
        ("5000000.01", "0.3000"),
        ("15000000.00", "0.3000"),
        ("15000000.01", "0.2000"),
        ("30000000.00", "0.2000"),
    ],
)
async def test_each_band_gives_its_share_of_the_principal(
    scene: Scene, principal: str, share: str
) -> None:
    loan = await scene.loan(principal)
    await scene.disburse(loan)
    registration = await scene.registered(loan)
    assert registration["eligible"] is True and registration["reasons"] == []
    assert registration["band_share"] == share and registration["share"] == share
    assert registration["year"] == 2025 and registration["principal"] == principal


async def test_a_loan_above_the_largest_band_is_not_registered(scene: Scene) -> None:
    loan = await scene.loan("30000000.01")
    await scene.disburse(loan)
    registration = await scene.registered(loan)
    assert registration["eligible"] is False and registration["share"] is None
    assert registration["reasons"] == ["above_bands"]


async def test_the_registered_share_is_of_the_amount_disbursed(scene: Scene) -> None:
    loan = await scene.loan("6000000.00")
    await scene.disburse(loan, amount="5000000.00")
    assert (await scene.registered(loan))["share"] == "0.4000"


@pytest.mark.parametrize(
    ("product_type", "guarantee", "priority", "pboc", "bonus", "share"),
    [
        ("credit", "none", True, False, "0.1500", "0.3500"),
        ("ip_pledge", "collateral", False, False, "0.1500", "0.3500"),
        ("ip_pledge", "collateral", True, False, "0.1500", "0.3500"),  # one bonus for either
        ("credit", "none", False, True, "0.0500", "0.2500"),
        ("credit", "none", True, True, "0.2000", "0.4000"),
    ],
)
async def test_bonuses_add_to_the_band(
    scene: Scene,
    product_type: str,
    guarantee: str,
    priority: bool,
    pboc: bool,
    bonus: str,
    share: str,
) -> None:
    enterprise = await scene.world.enterprise()
    if priority:
        await scene.ok(
            await scene.office_post(
                "/priority-firms",
                {"uscc": enterprise.uscc, "name": enterprise.name, "valid_from": "2025-01-01"},
            ),
            201,
        )
    loan = await scene.loan(
        "20000000.00", product_type=product_type, guarantee=guarantee, enterprise=enterprise
    )
    await scene.disburse(loan, pboc_funded=pboc)
    registration = await scene.registered(loan)
    assert registration["eligible"] is True
    assert (registration["priority_firm"], registration["pboc_funded"]) == (priority, pboc)
    assert registration["ip_pledge"] is (product_type == "ip_pledge")
    assert registration["band_share"] == "0.2000"
    assert (registration["bonus"], registration["share"]) == (bonus, share)


async def test_the_share_is_at_most_the_ceiling(scene: Scene) -> None:
    enterprise = await scene.world.enterprise()
    await scene.ok(
        await scene.office_post(
            "/priority-firms",
            {"uscc": enterprise.uscc, "name": enterprise.name, "valid_from": "2024-12-01"},
        ),
        201,
    )
    loan = await scene.loan("1000000.00", enterprise=enterprise)
    await scene.disburse(loan, pboc_funded=True)
    registration = await scene.registered(loan)
    # 40% + 15% + 5% = 60%, held to the 50% ceiling
    assert registration["band_share"] == "0.4000" and registration["bonus"] == "0.2000"
    assert registration["share"] == "0.5000"


async def test_a_priority_listing_counts_only_within_its_dates(scene: Scene) -> None:
    enterprise = await scene.world.enterprise()
    listed = await scene.ok(
        await scene.office_post(
            "/priority-firms",
            {
                "uscc": enterprise.uscc,
                "name": enterprise.name,
                "valid_from": "2025-01-01",
                "valid_to": "2025-02-28",
            },
        ),
        201,
    )
    assert listed["valid_to"] == "2025-02-28"
    loan = await scene.loan("1000000.00", enterprise=enterprise)
    await scene.disburse(loan, on="2025-03-03")
    registration = await scene.registered(loan)
    assert registration["priority_firm"] is False and registration["share"] == "0.4000"


@pytest.mark.parametrize(
    ("arrange", "reason"),
    [
        ({"guarantee": "collateral"}, "secured"),
        ({"guarantee": "guarantor"}, "secured"),
        ({"district_code": "440305"}, "outside_city"),  # Shenzhen Nanshan
    ],
)
async def test_only_credit_loans_to_the_citys_smes_are_registered(
    scene: Scene, arrange: dict[str, str], reason: str
) -> None:
    loan = await scene.loan(
        "1000000.00",
        guarantee=arrange.get("guarantee", "none"),
        district_code=arrange.get("district_code", "440106"),
    )
    await scene.disburse(loan)
    registration = await scene.registered(loan)
    assert registration["eligible"] is False and registration["share"] is None
    assert registration["reasons"] == [reason]


async def test_an_inactive_enterprise_is_not_registered(scene: Scene) -> None:
    enterprise = await scene.world.enterprise()
    enterprise.status = EnterpriseStatus.REVOKED
    await scene.world.session.commit()
    loan = await scene.loan("1000000.00", enterprise=enterprise)
    await scene.disburse(loan)
    assert (await scene.registered(loan))["reasons"] == ["enterprise_inactive"]


async def test_a_replayed_disbursement_registers_nothing_twice(scene: Scene) -> None:
    loan = await scene.loan("1000000.00")
    body = {"kind": "disbursed", "occurred_on": "2025-03-03", "amount": "1000000.00"}
    first = await scene.event(loan, body, key="disburse-1")
    again = await scene.event(loan, body, key="disburse-1")
    assert first.status_code == again.status_code == 200, again.text
    assert again.headers["Idempotent-Replayed"] == "true"
    registrations = await scene.world.session.scalar(
        select(func.count())
        .select_from(PoolRegistration)
        .where(PoolRegistration.loan_id == loan.id)
    )
    assert registrations == 1
    year = await scene.year()
    assert year["registered_loans"] == 1 and year["cap"] == "1500000000.00"


async def test_pboc_funding_is_declared_with_the_disbursement_only(scene: Scene) -> None:
    loan = await scene.loan("1000000.00")
    await scene.disburse(loan)
    late = await scene.event(
        loan,
        {
            "kind": "repayment",
            "occurred_on": "2025-04-03",
            "amount": "1000.00",
            "pboc_funded": True,
        },
    )
    assert late.status_code == 422 and late.json()["errors"][0]["field"] == "pboc_funded"


async def test_rules_apply_by_the_disbursement_date(scene: Scene) -> None:
    before = await scene.loan("1000000.00")
    await scene.disburse(before, on="2025-06-30")
    new_rules = {
        "name": "2026 rules",
        "valid_from": "2025-07-01",
        "bands": [{"up_to": "10000000.00", "share": "0.3500"}],
        "priority_bonus": "0.1000",
        "pboc_bonus": "0.0500",
        "ceiling": "0.4500",
        "pause_loss_rate": "0.0300",
        "annual_cap": "2000000000.00",
    }
    # Not before a loan already registered under the rules in force then.
    early = await scene.office_post("/rule-sets", new_rules | {"valid_from": "2025-06-30"})
    assert early.status_code == 409, early.text
    added = await scene.ok(await scene.office_post("/rule-sets", new_rules), 201)
    assert added["valid_from"] == "2025-07-01" and added["valid_to"] is None
    after = await scene.loan("1000000.00")
    await scene.disburse(after, on="2025-07-01")
    assert (await scene.registered(before))["share"] == "0.4000"
    assert (await scene.registered(after))["share"] == "0.3500"
    big = await scene.loan("12000000.00")
    await scene.disburse(big, on="2025-07-02")
    assert (await scene.registered(big))["reasons"] == ["above_bands"]
    sets = await scene.office_get("/rule-sets")
    assert [(s["valid_from"], s["valid_to"]) for s in sets] == [
        ("2025-07-01", None),
        ("2025-01-01", "2025-06-30"),
    ]
    # Overlapping a closed period is refused.
    overlap = await scene.office_post(
        "/rule-sets", new_rules | {"valid_from": "2025-03-01", "valid_to": "2025-03-31"}
    )
    assert overlap.status_code == 409, overlap.text
