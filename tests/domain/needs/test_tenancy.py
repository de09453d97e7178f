"""Cross-tenant refusals: bank B cannot see bank A's claims or act on them, nor read an SME's
identity from a need it did not win; an SME cannot see or act on another SME's needs; SME and
office users have no bank's view of the pool."""

from __future__ import annotations

from tests.domain.needs.arrange import PoolWorld, claim_payload, need_payload
from xinyidai.models import Role


async def test_no_bank_or_sme_reaches_anothers_needs_or_claims(pool: PoolWorld) -> None:
    one = await pool.sme("one@sme.example.com")
    two = await pool.sme("two@sme.example.com")
    await pool.registry("39", "440106", 3)
    await pool.world.authorize(one.enterprise.id, ["tax"], one.user.id)
    need = await pool.post_need(one)
    a = await pool.bank("BANK_A")
    b = await pool.bank("BANK_B")
    office = await pool.world.user("office@example.com", Role.OFFICE)
    admin = await pool.world.user("admin@example.com", Role.ADMIN)
    claim = await pool.claim(a, need["id"])
    a_claim = f"{a.claims}/{claim['id']}"

    # Bank B: nothing of bank A's, whether by A's paths or its own.
    await pool.act_as(b.user)
    client = pool.client
    assert (await client.get(a.claims)).status_code == 403
    assert (await client.get(a_claim)).status_code == 403
    assert (await client.post(f"{a_claim}/withdraw")).status_code == 403
    assert (await client.get(a.pool)).status_code == 403
    made = await client.post(f"{a.pool}/{need['id']}/claims", json=claim_payload())
    assert made.status_code == 403
    theirs = f"{b.claims}/{claim['id']}"
    assert (await client.get(theirs)).status_code == 404
    assert (await client.post(f"{theirs}/withdraw")).status_code == 404
    assert (await client.get(b.claims)).json() == []
    # nor the SME's side of the need
    assert (await client.get(one.needs)).status_code == 404
    assert (await client.get(f"{one.needs}/{need['id']}/claims")).status_code == 404

    # SME two: not SME one's needs, by one's path or its own.
    await pool.act_as(two.user)
    for path in (one.needs, f"{one.needs}/{need['id']}", f"{one.needs}/{need['id']}/claims"):
        assert (await client.get(path)).status_code == 404, path
    assert (await client.post(one.needs, json=need_payload())).status_code == 404
    assert (await client.post(f"{one.needs}/{need['id']}/withdraw")).status_code == 404
    accept = f"/claims/{claim['id']}/accept"
    for base in (f"{one.needs}/{need['id']}", f"{two.needs}/{need['id']}"):
        refused = await client.post(base + accept, json={"families": ["score"]})
        assert refused.status_code == 404, base
    assert (await client.get(f"{two.needs}/{need['id']}")).status_code == 404
    assert (await client.post(f"{two.needs}/{need['id']}/withdraw")).status_code == 404
    assert (await client.get(two.needs)).json() == []
    # and no bank's view
    assert (await client.get(a.pool)).status_code == 403
    assert (await client.get(a.claims)).status_code == 403
    assert (
        await client.post(f"{a.pool}/{need['id']}/claims", json=claim_payload())
    ).status_code == 403

    # The office reads the registry, not the SMEs' needs, and has no bank's view either.
    await pool.act_as(office)
    assert (await client.get(one.needs)).status_code == 404
    assert (await client.get(a.pool)).status_code == 403
    # A platform admin may look at a bank's pool and claims, but claims for no bank.
    await pool.act_as(admin)
    assert (await client.get(a.pool)).json()["total"] == 1
    assert [c["id"] for c in (await client.get(a.claims)).json()] == [claim["id"]]
    made = await client.post(f"{a.pool}/{need['id']}/claims", json=claim_payload())
    assert made.status_code == 403
    assert (await client.post(f"{a_claim}/withdraw")).status_code == 403

    # Nothing above changed anything.
    await pool.act_as(one.user)
    assert (await client.get(f"{one.needs}/{need['id']}")).json()["status"] == "open"
    claims = (await client.get(f"{one.needs}/{need['id']}/claims")).json()
    assert [(c["id"], c["status"]) for c in claims] == [(claim["id"], "open")]
