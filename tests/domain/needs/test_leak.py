"""The anonymised pool leaks nothing: every field of every response a browsing or losing bank
gets (the pool, a listing, its claims: made, listed, read, withdrawn) is walked, and none holds
the SME's name, USCC, enterprise id, its user, the exact amount, the exact rate cap or the note.
The winner, and only the winner, then sees the name and USCC."""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal, InvalidOperation
from typing import Any

from httpx import Response

from tests.domain.needs.arrange import PoolWorld, claim_payload

NOTE = "春节前备货，急需流动资金，联系王会计"
AMOUNT = "1234567.89"
RATE_CAP = "0.0437"


def leaves(value: Any, path: str = "$") -> Iterator[tuple[str, str]]:
    """Every key and scalar of a JSON document, as text, with where it is."""
    if isinstance(value, dict):
        for key, item in value.items():
            yield f"{path}.{key}", str(key)
            yield from leaves(item, f"{path}.{key}")
    elif isinstance(value, list):
        for n, item in enumerate(value):
            yield from leaves(item, f"{path}[{n}]")
    elif value is not None:
        yield path, str(value)


def secrets_of(sme: Any) -> dict[str, str]:
    ent, user = sme.enterprise, sme.user
    return {
        "name": ent.name,
        "uscc": ent.uscc,
        "enterprise id": str(ent.id),
        "enterprise id (hex)": ent.id.hex,
        "user id": str(user.id),
        "user e-mail": user.email,
        "legal representative": ent.legal_rep_name,
        "exact amount": AMOUNT,
        "exact amount (one place)": "1234567.9",
        "note": NOTE,
        "a piece of the note": "王会计",
    }


def _number(text: str) -> Decimal | None:
    try:
        return Decimal(text)
    except InvalidOperation:
        return None


HIDDEN_FIGURES = {Decimal(AMOUNT), Decimal(RATE_CAP)}
"""Compared as numbers (``0.043700`` is the cap too); as text a rate could match the
microseconds of a timestamp."""


def assert_leaks_nothing(response: Response, secrets: dict[str, str], seen: list[str]) -> None:
    assert response.status_code < 400, response.text
    assert "application/json" in response.headers["content-type"]
    body = response.json()
    checked = 0
    for path, text in leaves(body):
        checked += 1
        for what, secret in secrets.items():
            assert secret not in text, f"{what} at {path} of {response.request.url}"
        assert _number(text) not in HIDDEN_FIGURES, f"{text} at {path} of {response.request.url}"
    for what, secret in secrets.items():  # and the body as sent, whatever its shape
        assert secret not in response.text, f"{what} in {response.request.url}"
    seen.append(f"{response.request.method} {response.request.url.path}: {checked} fields")


async def test_no_browsing_or_losing_bank_learns_who_posted_or_the_exact_figures(
    pool: PoolWorld,
) -> None:
    sme = await pool.sme("owner@leaky.example.com")
    await pool.registry("39", "440106", 4)
    other = await pool.sme("other@sme.example.com", "39", "440106")
    await pool.world.authorize(sme.enterprise.id, ["tax"], sme.user.id)
    need = await pool.post_need(sme, amount=AMOUNT, max_rate=RATE_CAP, note=NOTE)
    await pool.post_need(other)  # a second listing in the same pool
    winner = await pool.bank("BANK_A", "甲银行")
    loser = await pool.bank("BANK_B", "乙银行")
    browser = await pool.bank("BANK_C", "丙银行")
    secrets = secrets_of(sme)
    seen: list[str] = []
    listing = f"/needs-pool/{need['id']}"

    async def walk(bank: Any, *paths: str, **query: str) -> None:
        await pool.act_as(bank.user)
        for path in paths:
            base = f"/api/v1/banks/{bank.bank.id}"
            answer = await pool.client.get(base + path, params=query or None)
            assert_leaks_nothing(answer, secrets, seen)

    # Before any claim: the pool (with every filter a bank might try) and the listing.
    for bank in (winner, loser, browser):
        await walk(bank, "/needs-pool", listing)
    for query in (
        {"industry": "39"},
        {"industry": "C"},
        {"district": "440106"},
        {"district": "440100"},
        {"amount_band": "1m_3m"},
        {"grade_band": "unrated"},
        {"purpose": "working_capital"},
        {"limit": "1", "offset": "1"},
    ):
        await walk(browser, "/needs-pool", **query)

    # Claims: as made, listed, read; one bank withdraws and claims again.
    win = await pool.claim(winner, need["id"], amount="1200000", rate="0.0385")
    for bank, made in ((loser, await pool.claim(loser, need["id"], amount="1000000")),):
        seen_claim = f"/claims/{made['id']}"
        withdrawn = await pool.client.post(f"/api/v1/banks/{bank.bank.id}{seen_claim}/withdraw")
        assert_leaks_nothing(withdrawn, secrets, seen)
        again = await pool.client.post(
            f"/api/v1/banks/{bank.bank.id}{listing}/claims", json=claim_payload(amount="1100000")
        )
        assert again.status_code == 201
        assert_leaks_nothing(again, secrets, seen)
        lost_claim = f"/claims/{again.json()['id']}"
    for bank in (winner, loser, browser):
        await walk(bank, "/needs-pool", listing, "/claims")
    await walk(winner, f"/claims/{win['id']}")

    # The SME accepts the winner's claim.
    await pool.act_as(sme.user)
    accepted = await pool.client.post(
        f"{sme.needs}/{need['id']}/claims/{win['id']}/accept", json={"families": ["tax"]}
    )
    assert accepted.status_code == 200, accepted.text

    # The loser and the browser still learn nothing; the loser sees it went elsewhere.
    await walk(loser, "/needs-pool", "/claims", lost_claim)
    await walk(loser, "/claims", status="lost")
    await walk(browser, "/needs-pool", "/claims")
    await pool.act_as(loser.user)
    lost = (await pool.client.get(f"/api/v1/banks/{loser.bank.id}{lost_claim}")).json()
    assert (lost["status"], lost["enterprise"], lost["listing"]["status"]) == (
        "lost",
        None,
        "accepted",
    )
    gone = await pool.client.get(f"/api/v1/banks/{loser.bank.id}{listing}")
    assert gone.status_code == 404  # no longer in the pool

    # The winner alone now sees the SME's name and USCC on its claim.
    await pool.act_as(winner.user)
    won = (await pool.client.get(f"/api/v1/banks/{winner.bank.id}/claims/{win['id']}")).json()
    assert (won["enterprise"]["name"], won["enterprise"]["uscc"]) == (
        sme.enterprise.name,
        sme.enterprise.uscc,
    )
    assert len(seen) >= 30, seen  # the walk went everywhere it meant to
