"""Who may see and do what in the pool: the office alone reads and runs the pool (banks and
SMEs get 403 on every office endpoint); a bank reads and claims for its own loans only (another
bank's path is 403, another bank's claim or loan 404)."""

from __future__ import annotations

import uuid

from sqlalchemy import select

from tests.domain.monitoring.pool.scene import Scene
from xinyidai.models import AuditEntry

OFFICE_READS = [
    "/years",
    "/rule-sets",
    "/priority-firms",
    "/registrations",
    "/claims",
    "/ledger",
    "/balances",
]


async def test_banks_and_smes_get_403_on_every_office_endpoint(scene: Scene) -> None:
    some = uuid.uuid4()
    writes = [
        ("PUT", "/years/2025", {"cap": "1.00"}),
        ("POST", "/rule-sets", {}),
        ("POST", "/priority-firms", {}),
        ("POST", f"/priority-firms/{some}/end", {"valid_to": "2025-01-01"}),
        ("POST", f"/claims/{some}/approve", None),
        ("POST", f"/claims/{some}/reject", {"reason": "x"}),
    ]
    for user in (scene.bank_a, scene.sme):
        await scene.act_as(user)
        for path in OFFICE_READS:
            response = await scene.client.get(f"/api/v1/office/pool{path}")
            assert response.status_code == 403, (user.email, path, response.text)
        for method, path, body in writes:
            response = await scene.client.request(method, f"/api/v1/office/pool{path}", json=body)
            assert response.status_code == 403, (user.email, path, response.text)
    await scene.act_as(None)
    assert (await scene.client.get("/api/v1/office/pool/years")).status_code == 401


async def test_a_bank_sees_and_claims_only_its_own_loans(scene: Scene) -> None:
    await scene.volume()
    loan = await scene.loan("1000000.00")
    await scene.disburse(loan)
    await scene.default(loan, "100000.00")
    claim = await scene.ok(await scene.file(loan), 201)
    a, b = scene.a.id, scene.b.id
    await scene.act_as(scene.bank_b)
    for path in ("registrations", "claims", f"claims/{claim['id']}"):
        response = await scene.client.get(f"/api/v1/banks/{a}/pool/{path}")
        assert response.status_code == 403, path
    stolen = await scene.client.post(
        f"/api/v1/banks/{b}/pool/claims", json={"loan_id": str(loan.id)}
    )
    assert stolen.status_code == 404
    peek = await scene.client.get(f"/api/v1/banks/{b}/pool/claims/{claim['id']}")
    assert peek.status_code == 404
    own = await scene.ok(await scene.client.get(f"/api/v1/banks/{b}/pool/registrations"))
    assert own["items"] == [] and own["total"] == 0
    # The office and SMEs do not act for a bank.
    for user in (scene.office, scene.sme):
        await scene.act_as(user)
        response = await scene.client.get(f"/api/v1/banks/{a}/pool/claims")
        assert response.status_code == 403
        filed = await scene.client.post(
            f"/api/v1/banks/{a}/pool/claims", json={"loan_id": str(loan.id)}
        )
        assert filed.status_code == 403
    await scene.act_as(scene.bank_a)
    mine = await scene.ok(
        await scene.client.get(f"/api/v1/banks/{a}/pool/registrations", params={"defaulted": True})
    )
    assert [r["loan_id"] for r in mine["items"]] == [str(loan.id)]
    assert mine["items"][0]["claim_status"] == "pending"


async def test_the_office_keeps_the_priority_list_and_every_change_is_audited(
    scene: Scene,
) -> None:
    firm = scene.sme_enterprise
    bad = await scene.office_post(
        "/priority-firms", {"uscc": "91440101MA5ABCDEF0", "name": "x", "valid_from": "2025-01-01"}
    )
    assert bad.status_code == 422 and bad.json()["errors"][0]["field"] == "uscc"
    body = {"uscc": firm.uscc, "name": firm.name, "valid_from": "2025-01-01"}
    listed = await scene.ok(await scene.office_post("/priority-firms", body), 201)
    again = await scene.office_post("/priority-firms", body | {"valid_from": "2025-05-01"})
    assert again.status_code == 409
    ended = await scene.ok(
        await scene.office_post(f"/priority-firms/{listed['id']}/end", {"valid_to": "2025-04-30"})
    )
    assert ended["valid_to"] == "2025-04-30"
    await scene.ok(
        await scene.office_post("/priority-firms", body | {"valid_from": "2025-05-01"}), 201
    )
    on_april = await scene.office_get("/priority-firms", on="2025-04-15")
    assert [f["id"] for f in on_april] == [listed["id"]]
    actions = list(
        await scene.world.session.scalars(
            select(AuditEntry.action).where(AuditEntry.action.startswith("office.pool."))
        )
    )
    assert sorted(actions) == [
        "office.pool.priority_firm.add",
        "office.pool.priority_firm.add",
        "office.pool.priority_firm.end",
    ]


async def test_rule_sets_are_checked_before_they_are_kept(scene: Scene) -> None:
    body = {
        "name": "bad",
        "valid_from": "2027-01-01",
        "bands": [{"up_to": "1000000.00", "share": "1.5"}],
        "priority_bonus": "0.15",
        "pboc_bonus": "0.05",
        "ceiling": "0.5",
        "pause_loss_rate": "0.03",
        "annual_cap": "100.00",
    }
    refused = await scene.office_post("/rule-sets", body)
    assert refused.status_code == 422 and refused.json()["errors"][0]["field"] == "bands[0].share"
    cents = await scene.office_post(
        "/rule-sets", body | {"bands": [{"up_to": "1.001", "share": "0.4"}]}
    )
    assert cents.status_code == 422
