"""The risk-compensation pool in a browser: the demo bank's user finds a defaulted loan the pool
registered and claims compensation for it; the office sees the claim, approves it, and the
year's approved total and the ledger move by the compensation. Pages are checked with axe and
photographed, in Chinese."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from playwright.sync_api import expect

from tests.e2e.browser import PageProblems, login, photograph, settle
from tests.e2e.conftest import Pages
from tests.e2e.live import DEMO_LOGINS, LiveServer


def _unclaimed_default(server: LiveServer) -> dict[str, Any]:
    """A defaulted registered loan of the demo bank's with no claim (the demo leaves one)."""
    api = server.api(DEMO_LOGINS["bank"])
    try:
        bank_id = api.get("/api/v1/me").json()["organisation"]["id"]
        page = api.get(
            f"/api/v1/banks/{bank_id}/pool/registrations",
            params={"defaulted": True, "eligible": True, "limit": 200},
        ).json()
    finally:
        api.close()
    open_ = [r for r in page["items"] if r["claim_id"] is None]
    assert open_, "the demo bank has no unclaimed defaulted loan in the pool"
    found: dict[str, Any] = open_[0]
    return found


def _approved_total(server: LiveServer, year: int) -> Decimal:
    api = server.api(DEMO_LOGINS["office"])
    try:
        years = api.get("/api/v1/office/pool/years").json()
    finally:
        api.close()
    return Decimal(next(y for y in years if y["year"] == year)["approved"])


def test_a_bank_claims_a_default_and_the_office_approves_it(
    pages: Pages, live_server: LiveServer, problems: PageProblems
) -> None:
    loan = _unclaimed_default(live_server)
    before = _approved_total(live_server, loan["year"])

    bank = pages.open()
    bank.goto("/login")
    login(bank, live_server, DEMO_LOGINS["bank"])
    bank.goto("/bank/pool")
    settle(bank)
    expect(bank.locator("h1.page-title")).to_have_text("风险补偿")
    card = bank.get_by_test_id(f"bank-pool-loan-{loan['loan_id']}")
    expect(card).to_contain_text("已登记")
    photograph(bank, "bank-pool", fits=True)
    bank.get_by_test_id(f"bank-pool-file-{loan['loan_id']}").click()
    expect(bank.get_by_test_id("bank-pool-notice")).to_contain_text("申请补偿")
    expect(card).to_contain_text("待审批")

    office = pages.open()
    office.goto("/login")
    login(office, live_server, DEMO_LOGINS["office"])
    office.goto("/office/pool")
    settle(office)
    expect(office.locator("h1.page-title")).to_have_text("风险补偿资金池")
    photograph(office, "office-pool-years", fits=True)
    office.get_by_role("tab", name="补偿申请").click()
    claim = office.get_by_test_id(f"pool-claim-{loan['loan_id']}")
    expect(claim).to_contain_text("待审批")
    photograph(office, "office-pool-claims", fits=True)
    office.get_by_test_id(f"pool-approve-{loan['loan_id']}").click()
    expect(office.get_by_test_id("pool-approve-dialog")).to_be_visible()
    office.get_by_test_id("pool-approve-confirm").click()
    expect(office.get_by_test_id("pool-notice")).to_contain_text("已批准")

    after = _approved_total(live_server, loan["year"])
    assert after > before
    compensation = after - before
    office.get_by_role("tab", name="资金分录").click()
    settle(office)
    newest = office.get_by_test_id("pool-entry-compensation").first
    expect(newest).to_contain_text(f"¥{compensation:,.2f}")
    expect(office.get_by_test_id("pool-ledger-total")).to_contain_text("¥0.00")
    photograph(office, "office-pool-ledger", fits=True)
    office.get_by_role("tab", name="年度额度").click()
    expect(
        office.get_by_test_id(f"pool-year-{loan['year']}").get_by_test_id("pool-year-approved")
    ).to_contain_text(f"¥{after:,.2f}")
