"""The needs pool (融资需求) in a browser: the demo SME posts a need, the demo bank finds it in the
pool anonymised (neither the SME's name, nor its USCC, nor the note on the page), is stopped
from offering above the need's rate band, then claims it; the SME sees the bank's offer and
accepts it, choosing what the bank may read; the bank's claims page shows the claim won, with
the SME's name and USCC. Every page is checked with axe at both widths and photographed."""

from __future__ import annotations

from playwright.sync_api import Page, expect

from tests.e2e.browser import (
    login,
    photograph,
    settle,
)
from tests.e2e.conftest import Pages
from tests.e2e.live import DEMO_LOGINS, LiveServer
from xinyidai.domain.demo.city import BANKS, demo_enterprises

NOTE = "新生产线的设备款，请勿外传"


def _number(page: Page, testid: str, value: str) -> None:
    box = page.get_by_test_id(testid).locator("input")
    box.fill(value)
    box.press("Tab")


def test_an_sme_posts_a_need_a_bank_claims_it_anonymously_and_the_sme_accepts(
    pages: Pages, live_server: LiveServer
) -> None:
    firm = demo_enterprises(1)[0]
    bank_name = BANKS[0][1]

    sme = pages.open()
    sme.goto("/login")
    login(sme, live_server, DEMO_LOGINS["sme"])
    sme.goto("/sme/needs")
    settle(sme)
    _number(sme, "needs-amount", "1234000")
    _number(sme, "needs-term", "18")
    sme.get_by_test_id("needs-purpose").click()
    sme.get_by_role("option", name="设备购置", exact=True).click()
    _number(sme, "needs-rate", "4.85")
    sme.get_by_test_id("needs-note").fill(NOTE)
    expect(sme.get_by_text("银行只看到所在区间：100–300 万元")).to_be_visible()
    sme.get_by_test_id("needs-submit").click()
    expect(sme.get_by_test_id("needs-notice")).to_contain_text("需求已发布")
    newest = sme.get_by_test_id("needs-list").locator("li.need", has_text="¥1,234,000.00")
    expect(newest).to_have_count(1)
    settle(sme)
    need_id = (newest.get_attribute("data-testid") or "").removeprefix("needs-item-")
    assert need_id
    first = sme.get_by_test_id("needs-list").locator("li.need").first
    expect(first).to_have_attribute("data-testid", f"needs-item-{need_id}")  # newest first
    expect(sme.get_by_test_id(f"needs-status-{need_id}")).to_have_text("征集中")
    listing = sme.get_by_test_id(f"needs-listing-{need_id}")
    expect(listing).to_contain_text("100–300 万元")
    expect(listing).to_contain_text("4.5%–6%")
    expect(newest).to_contain_text("暂无银行报价")
    photograph(sme, "sme-needs", fits=True)

    bank = pages.open()
    bank.goto("/login")
    login(bank, live_server, DEMO_LOGINS["bank"])
    bank.goto("/bank/needs-pool")
    settle(bank)
    item = bank.get_by_test_id(f"pool-item-{need_id}")
    expect(item).to_contain_text("设备购置")
    expect(item).to_contain_text("100–300 万元")
    expect(item).to_contain_text("18 个月")
    page_text = bank.content()
    for secret in (firm.name, firm.uscc, NOTE, "1,234,000", "4.85"):
        assert secret not in page_text, f"the pool shows {secret!r}"
    photograph(bank, "bank-needs-pool", fits=True)

    bank.get_by_test_id(f"pool-claim-{need_id}").click()
    dialog = bank.get_by_test_id("pool-claim-dialog")
    expect(dialog).to_be_visible()
    _number(bank, "pool-claim-amount", "1200000")
    _number(bank, "pool-claim-rate", "6.5")  # above the band's top (6%): refused here
    bank.get_by_test_id("pool-claim-confirm").click()
    expect(dialog).to_contain_text("年利率不得高于该需求可接受利率区间的上限")
    _number(bank, "pool-claim-rate", "4.35")
    bank.get_by_test_id("pool-claim-condition-site_visit").click()
    photograph(bank, "bank-needs-pool-claim", fits=True)
    bank.get_by_test_id("pool-claim-confirm").click()
    expect(bank.get_by_test_id("pool-notice")).to_contain_text("已报价")
    expect(bank.get_by_test_id(f"pool-claimed-{need_id}")).to_be_visible()

    sme.reload()
    settle(sme)
    claims = sme.get_by_test_id(f"needs-claims-{need_id}")
    expect(claims).to_contain_text(bank_name)
    expect(claims).to_contain_text("¥1,200,000.00")
    expect(claims).to_contain_text("4.35%")
    expect(claims).to_contain_text("实地走访")
    mine = sme.get_by_test_id(f"needs-item-{need_id}")
    mine.get_by_role("button", name="选择该银行").click()
    accept = sme.get_by_test_id("needs-accept-dialog")
    expect(accept).to_contain_text(bank_name)
    settle(sme)
    expect(sme.get_by_test_id("needs-accept-family-score").locator("input")).to_be_checked()
    chosen = ["score"]
    tax = sme.get_by_test_id("needs-accept-family-tax")
    if tax.count():  # the demo SME authorised its tax data: share it too
        tax.click()
        chosen.append("tax")
    photograph(sme, "sme-needs-accept", fits=True)
    sme.get_by_test_id("needs-accept-confirm").click()
    expect(sme.get_by_test_id("needs-notice")).to_contain_text(f"已选择 {bank_name}")
    expect(sme.get_by_test_id(f"needs-status-{need_id}")).to_have_text("已选定银行")
    expect(claims).to_contain_text("已选中")
    photograph(sme, "sme-needs-accepted", fits=True)

    bank.goto("/bank/claims")
    settle(bank)
    won = bank.get_by_test_id("claims-list").locator("li.claim", has_text=firm.name)
    expect(won).to_have_count(1)
    expect(won).to_contain_text(firm.uscc)
    expect(won).to_contain_text("已选中")
    expect(won).to_contain_text("¥1,200,000.00")
    photograph(bank, "bank-claims", fits=True)
    bank.get_by_role("button", name="English").click()
    expect(won).to_contain_text("The enterprise chose your bank")
    expect(won).to_contain_text("Chosen")
    photograph(bank, "bank-claims-en", fits=True)

    # The SME's consent to the bank, with what it chose, is on its bank-consents page.
    sme.goto("/sme/bank-consents")
    settle(sme)
    row = sme.get_by_test_id("bank-consents-live").locator("tr", has_text=bank_name)
    expect(row.first).to_contain_text("融资需求")
    expect(row.first).to_contain_text("信用评分")
    if "tax" in chosen:
        expect(row.first).to_contain_text("纳税数据")
