"""Claims on defaulted registered loans: compensation is the share of the net principal loss to
the cent (half up); the office approves within the year's cap or rejects with a reason; a bank
whose loss rate for the year exceeds 3% waits (paused); recoveries after compensation pay the
pool back pro rata. Every movement is a balanced ledger entry."""

from __future__ import annotations

from decimal import Decimal

from sqlalchemy import select

from tests.domain.monitoring.pool.scene import Scene
from xinyidai.domain.monitoring.pool.alerts import pool_alerts
from xinyidai.models import AuditEntry


async def test_a_bank_claims_a_defaulted_loan_and_the_office_approves_it(scene: Scene) -> None:
    _loan, approved = await scene.compensated("1000000.00", "800000.00")
    assert approved["status"] == "approved" and approved["share"] == "0.4000"
    assert approved["compensation"] == "320000.00" and approved["loss_amount"] == "800000.00"
    year = await scene.year()
    assert year["approved"] == "320000.00" and year["pending"] == "0.00"
    assert year["remaining"] == "1499680000.00"
    ledger = await scene.office_get("/ledger", year=2025)
    compensation = ledger["items"][0]
    assert compensation["kind"] == "compensation" and compensation["claim_id"] == approved["id"]
    assert compensation["lines"] == [
        {"account": f"pool:2025:bank:{scene.a.id}", "debit": "320000.00", "credit": None},
        {"account": "pool:2025:fund", "debit": None, "credit": "320000.00"},
    ]
    balances = await scene.office_get("/balances")
    by_account = {b["account"]: b["balance"] for b in balances["accounts"]}
    assert by_account == {
        "city:2025:allocation": "-1500000000.00",
        "pool:2025:fund": "1499680000.00",
        f"pool:2025:bank:{scene.a.id}": "320000.00",
    }
    assert balances["total"] == "0.00"
    # The bank sees its claim; the office's decisions are audit-logged.
    await scene.act_as(scene.bank_a)
    mine = await scene.ok(await scene.client.get(f"/api/v1/banks/{scene.a.id}/pool/claims"))
    assert [c["id"] for c in mine["items"]] == [approved["id"]]
    actions = set(await scene.world.session.scalars(select(AuditEntry.action)))
    assert {"office.pool.claim.approve", "bank.pool.claim.file"} <= actions


async def test_compensation_is_rounded_to_the_cent_half_up(scene: Scene) -> None:
    await scene.volume()
    loan = await scene.loan("1000.00")
    await scene.disburse(loan, pboc_funded=True)  # 40% + 5%
    await scene.default(loan, "0.10")  # 0.45 × 0.10 = 0.045 → 0.05 (half up, not half even)
    claim = await scene.ok(await scene.file(loan), 201)
    assert claim["share"] == "0.4500" and claim["compensation"] == "0.05"


async def test_only_a_defaulted_loan_is_claimed_once(scene: Scene) -> None:
    await scene.volume()
    loan = await scene.loan("1000000.00")
    await scene.disburse(loan)
    early = await scene.file(loan)
    assert early.status_code == 409, early.text
    await scene.default(loan, "500000.00")
    await scene.ok(await scene.file(loan), 201)
    twice = await scene.file(loan)
    assert twice.status_code == 409, twice.text


async def test_an_unregistered_loan_cannot_be_claimed(scene: Scene) -> None:
    loan = await scene.loan("1000000.00", guarantee="collateral")
    await scene.disburse(loan)
    await scene.default(loan, "500000.00")
    refused = await scene.file(loan)
    assert refused.status_code == 409 and "secured" in refused.json()["detail"]


async def test_a_rejected_claim_records_the_reason_and_may_be_filed_again(scene: Scene) -> None:
    await scene.volume()
    loan = await scene.loan("1000000.00")
    await scene.disburse(loan)
    await scene.default(loan, "500000.00")
    claim = await scene.ok(await scene.file(loan), 201)
    blank = await scene.office_post(f"/claims/{claim['id']}/reject", {"reason": "   "})
    assert blank.status_code == 422
    rejected = await scene.ok(
        await scene.office_post(f"/claims/{claim['id']}/reject", {"reason": "材料不全"})
    )
    assert rejected["status"] == "rejected" and rejected["reason"] == "材料不全"
    again = await scene.office_post(f"/claims/{claim['id']}/approve")
    assert again.status_code == 409
    await scene.ok(await scene.file(loan), 201)
    assert (await scene.year())["approved"] == "0.00"


async def test_an_approval_past_the_years_cap_is_refused(scene: Scene) -> None:
    await scene.volume()
    loan = await scene.loan("1000000.00")
    await scene.disburse(loan)
    await scene.default(loan, "800000.00")
    claim = await scene.ok(await scene.file(loan), 201)
    await scene.act_as(scene.office)
    lowered = await scene.client.put("/api/v1/office/pool/years/2025", json={"cap": "300000.00"})
    assert (await scene.ok(lowered))["cap"] == "300000.00"
    refused = await scene.office_post(f"/claims/{claim['id']}/approve")
    assert refused.status_code == 409 and "cap" in refused.json()["detail"]
    year = await scene.year()
    assert year["approved"] == "0.00" and year["pending"] == "320000.00"
    assert year["near_cap"] is True
    alerts = await pool_alerts(scene.world.session)
    assert [(a.kind, a.severity, a.count) for a in alerts] == [("pool_near_cap", "critical", 1)]
    await scene.act_as(scene.office)
    await scene.ok(
        await scene.client.put("/api/v1/office/pool/years/2025", json={"cap": "320000.00"})
    )
    await scene.ok(await scene.office_post(f"/claims/{claim['id']}/approve"))
    year = await scene.year()
    assert year["remaining"] == "0.00" and year["approved"] == "320000.00"
    # Nor can a cap go below what the year has paid.
    await scene.act_as(scene.office)
    below = await scene.client.put("/api/v1/office/pool/years/2025", json={"cap": "319999.99"})
    assert below.status_code == 409
    allocations = await scene.office_get("/ledger", account="city:2025:allocation")
    assert [e["kind"] for e in allocations["items"]] == ["allocation"] * 3


async def test_no_alert_while_exposure_is_below_the_share(scene: Scene) -> None:
    await scene.compensated("1000000.00", "800000.00")
    assert await pool_alerts(scene.world.session) == []
    assert await pool_alerts(scene.world.session, near_share=Decimal("0.0002")) != []


async def test_a_bank_over_three_percent_losses_waits_paused(scene: Scene) -> None:
    # Bank A registered 10,000,000 in 2025 and lost 400,000 of it: 4% > 3%.
    other = await scene.loan("9000000.00")
    await scene.disburse(other)
    loan = await scene.loan("1000000.00")
    await scene.disburse(loan)
    await scene.default(loan, "400000.00")
    claim = await scene.ok(await scene.file(loan), 201)
    assert claim["status"] == "paused" and claim["loss_rate"] == "0.040000"
    refused = await scene.office_post(f"/claims/{claim['id']}/approve")
    assert refused.status_code == 409 and "paused" in refused.json()["detail"]
    year = await scene.year()
    assert year["paused"] == "160000.00" and year["pending"] == "160000.00"
    # Bank B's claims are not paused by bank A's losses.
    await scene.volume(bank=scene.b)
    b_loan = await scene.loan("1000000.00", bank=scene.b)
    await scene.disburse(b_loan)
    await scene.default(b_loan, "100000.00")
    assert (await scene.ok(await scene.file(b_loan), 201))["status"] == "pending"
    # More registered volume brings bank A back within 3%: 400,000 / 20,000,000 = 2%.
    await scene.volume(amount="10000000.00")
    approved = await scene.ok(await scene.office_post(f"/claims/{claim['id']}/approve"))
    assert approved["status"] == "approved" and approved["loss_rate"] == "0.020000"


async def test_recoveries_after_compensation_pay_the_pool_back_pro_rata(scene: Scene) -> None:
    loan, _approved = await scene.compensated("1000000.00", "800000.00")
    over = await scene.recover(loan, "800000.01")
    assert over.status_code == 422 and over.json()["errors"][0]["code"] == "amount_over_loss"
    recovered = await scene.ok(await scene.recover(loan, "100000.00"))
    assert recovered["loan"]["recovered_amount"] == "100000.00"
    await scene.ok(await scene.recover(loan, "0.01"))  # 0.004 → 0.00: nothing to post
    await scene.ok(await scene.recover(loan, "12345.67"))  # × 0.40 = 4938.268 → 4938.27
    claim = (await scene.office_get("/claims"))["items"][0]
    assert claim["paid_back"] == "44938.27"
    year = await scene.year()
    assert year["recovered"] == "44938.27" and year["approved"] == "320000.00"
    assert year["remaining"] == "1499724938.27"
    entries = (await scene.office_get("/ledger", year=2025))["items"]
    assert [e["kind"] for e in entries[:2]] == ["recovery", "recovery"]
    assert entries[1]["lines"] == [
        {"account": "pool:2025:fund", "debit": "40000.00", "credit": None},
        {"account": f"pool:2025:bank:{scene.a.id}", "debit": None, "credit": "40000.00"},
    ]
    balances = await scene.office_get("/balances", year=2025)
    by_account = {b["account"]: b["balance"] for b in balances["accounts"]}
    assert by_account[f"pool:2025:bank:{scene.a.id}"] == "275061.73"
    assert balances["total"] == "0.00"


async def test_a_recovery_before_approval_lowers_the_compensation(scene: Scene) -> None:
    await scene.volume()
    loan = await scene.loan("1000000.00")
    await scene.disburse(loan)
    await scene.default(loan, "800000.00")
    claim = await scene.ok(await scene.file(loan), 201)
    await scene.ok(await scene.recover(loan, "300000.00"))
    approved = await scene.ok(await scene.office_post(f"/claims/{claim['id']}/approve"))
    assert approved["recovered_before"] == "300000.00"
    assert approved["compensation"] == "200000.00" and approved["paid_back"] == "0.00"


async def test_a_recovery_needs_a_default(scene: Scene) -> None:
    loan = await scene.loan("1000000.00")
    await scene.disburse(loan)
    refused = await scene.recover(loan, "10.00")
    assert refused.status_code == 409, refused.text
