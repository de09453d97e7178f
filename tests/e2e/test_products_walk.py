"""Products in a browser: a bank's user publishes a product through the editor (which will not
send an invalid rule), anyone finds it in the public catalogue with its rule in words, in
Chinese and in English, an SME finds it among its matches (qualifying, or told why not), and
it leaves the catalogue and the matches when the bank pauses it."""

from __future__ import annotations

from playwright.sync_api import Page, expect

from tests.e2e.browser import (
    login,
    photograph,
    settle,
)
from tests.e2e.conftest import Pages
from tests.e2e.live import DEMO_LOGINS, LiveServer


def _number(page: Page, testid: str, value: str) -> None:
    box = page.get_by_test_id(testid).locator("input")
    box.fill(value)
    box.press("Tab")


def test_a_bank_publishes_a_product_that_anyone_finds_in_the_catalogue(
    pages: Pages, live_server: LiveServer
) -> None:
    bank = pages.open()
    bank.goto("/login")
    login(bank, live_server, DEMO_LOGINS["bank"])
    bank.goto("/bank/products")
    settle(bank)
    expect(bank.get_by_test_id("bank-products-table")).to_contain_text("工银税易贷")
    bank.get_by_test_id("bank-products-new").click()
    bank.wait_for_url("**/bank/products/edit")
    settle(bank)
    bank.get_by_test_id("product-edit-name-zh").fill("工银天河科创贷")
    bank.get_by_test_id("product-edit-name-en").fill("ICBC Tianhe Tech Loan")
    bank.get_by_test_id("product-edit-min-grade").click()
    bank.get_by_role("option", name="BBB", exact=True).click()
    _number(bank, "product-edit-revenue-min", "2000000")
    _number(bank, "product-edit-rate-floor", "7")  # above the ceiling (6): refused here
    bank.get_by_test_id("product-edit-save").click()
    expect(bank.get_by_text("上限低于下限。")).to_be_visible()
    expect(bank).to_have_url(f"{live_server.url}/bank/products/edit")
    photograph(bank, "bank-product-edit-refused")
    _number(bank, "product-edit-rate-floor", "3.85")
    bank.get_by_test_id("product-edit-save").click()
    bank.wait_for_url("**/bank/products?saved=*")
    expect(bank.get_by_test_id("bank-products-notice")).to_contain_text("工银天河科创贷")
    created = bank.get_by_test_id("bank-products-table").locator("tr", has_text="工银天河科创贷")
    created.get_by_role("button", name="v1").click()
    expect(bank.get_by_test_id("bank-products-history")).to_contain_text("平台信用等级不低于 BBB")
    photograph(bank, "bank-product-versions")
    bank.keyboard.press("Escape")

    visitor = pages.open()
    visitor.goto("/products")
    settle(visitor)
    visitor.get_by_test_id("catalogue-search").fill("天河科创")
    visitor.get_by_test_id("catalogue-search").press("Enter")
    settle(visitor)
    listing = visitor.get_by_test_id("catalogue-list")
    expect(listing).to_contain_text("工银天河科创贷")
    card = listing.locator("li.product")
    expect(card).to_have_count(1)  # the search found it alone
    expect(card).to_contain_text("平台信用等级不低于 BBB")
    expect(card).to_contain_text("近12个月开票销售额不低于 ¥2,000,000.00")
    expect(card).to_contain_text("3.85%")
    photograph(visitor, "public-catalogue")
    visitor.get_by_role("button", name="English").click()
    expect(listing).to_contain_text("ICBC Tianhe Tech Loan")
    expect(card).to_contain_text("Platform grade BBB or better")
    photograph(visitor, "public-catalogue-en")

    sme = pages.open()
    sme.goto("/login")
    login(sme, live_server, DEMO_LOGINS["sme"])
    sme.goto("/sme/matches")
    settle(sme)
    expect(sme.get_by_test_id("matches-summary")).to_contain_text("在售产品")
    match = sme.get_by_test_id("matches-list").locator("li", has_text="工银天河科创贷").first
    expect(match).to_be_visible()
    expect(match).to_contain_text("预估年利率")
    if "暂不符合" in match.inner_text():
        expect(match).to_contain_text("暂不符合的原因")
    photograph(sme, "sme-matches")
    eligible = sme.get_by_test_id("matches-list").locator("li", has_text="符合条件")
    assert eligible.count() > 0, "the demo SME qualifies for some demo products"

    # At start the platform told the SME of the products it qualifies for.
    sme.goto("/sme/notifications")
    settle(sme)
    notices = sme.get_by_test_id("notifications-list").locator("li")
    expect(notices.first).to_contain_text("您现在符合")
    assert notices.count() >= 1
    photograph(sme, "sme-notifications")
    sme.get_by_test_id("notifications-read-all").click()
    expect(sme.get_by_test_id("notifications-unread")).to_contain_text("0 条未读")

    row = bank.get_by_test_id("bank-products-table").locator("tr", has_text="工银天河科创贷")
    row.get_by_role("button", name="暂停").click()
    expect(bank.get_by_test_id("bank-products-notice")).to_contain_text("已暂停")
    visitor.reload()
    settle(visitor)
    expect(visitor.get_by_test_id("catalogue-list")).not_to_contain_text("ICBC Tianhe Tech Loan")
    sme.goto("/sme/matches")
    settle(sme)
    expect(sme.get_by_test_id("matches-list")).not_to_contain_text("工银天河科创贷")
