"""Loan applications in a browser: the demo SME applies for one of the demo bank's products from
its matches (its amount refused outside the product's range, then the explicit consent step:
the bank, what it may read, the purpose, the expiry), a double click on "submit" makes one
application; the demo bank's user finds it in the inbox, opens it with the consented profile,
marks it under review and approves it in the decision form; the SME sees the decision and the
loan on its timeline, and the bank officer's read in its access log; the bank reports the
disbursement; the loan shows up in the office's dashboard (this month's loans and amount
grow by it) and the chart's export, downloaded and opened, holds it; the office's dead-letter
page shows (empty is fine). Every page is checked with
axe at both widths and photographed, in Chinese and in English."""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from playwright.sync_api import Page, expect

from tests.e2e.browser import PageProblems, login, photograph, settle
from tests.e2e.conftest import Pages
from tests.e2e.dashboard import export_month, month_figures
from tests.e2e.live import DEMO_LOGINS, LiveServer
from xinyidai.domain.demo.city import BANKS

CHINA = ZoneInfo("Asia/Shanghai")


def _number(page: Page, testid: str, value: str) -> None:
    box = page.get_by_test_id(testid).locator("input")
    box.fill(value)
    box.press("Tab")


def _product_to_apply_for(server: LiveServer, bank_name: str) -> dict[str, Any]:
    """One of the demo bank's products among the demo SME's matches (one it qualifies for if
    there is one), read through the API: the walk needs its ranges."""
    api = server.api(DEMO_LOGINS["sme"])
    try:
        me = api.get("/api/v1/me").json()
        enterprise_id = me["organisation"]["id"]
        matches = api.get(f"/api/v1/enterprises/{enterprise_id}/matches").json()["items"]
    finally:
        api.close()
    # Not the product the products walk creates and pauses.
    ours = [
        m
        for m in matches
        if m["product"]["bank_name"] == bank_name and "天河科创" not in m["product"]["name_zh"]
    ]
    assert ours, f"the demo SME has no match at {bank_name}"
    ours.sort(key=lambda m: not m["eligible"])
    product: dict[str, Any] = ours[0]["product"]
    return product


def test_an_sme_applies_with_its_consent_and_the_bank_decides_in_the_portal(
    pages: Pages, live_server: LiveServer, problems: PageProblems, tmp_path: Path
) -> None:
    bank_name = BANKS[0][1]
    product = _product_to_apply_for(live_server, bank_name)
    low, high = Decimal(product["amount_min"]), Decimal(product["amount_max"])
    amount = min(high, max(low, Decimal(500_000)))
    amount_text = f"¥{amount:,.2f}"
    term = min(product["term_max_months"], max(product["term_min_months"], 12))

    # --- the SME applies from its matches ------------------------------------------------------
    sme = pages.open()
    sme.goto("/login")
    login(sme, live_server, DEMO_LOGINS["sme"])
    sme.goto("/sme/matches")
    settle(sme)
    sme.get_by_test_id(f"match-apply-{product['id']}").click()
    sme.wait_for_url(f"**/sme/apply/{product['id']}")
    settle(sme)
    expect(sme.get_by_test_id("apply-product")).to_have_text(product["name_zh"])
    _number(sme, "apply-amount", str(low / 2))  # below the product's range: refused here
    sme.get_by_test_id("apply-next").click()
    terms = sme.get_by_test_id("apply-terms")
    expect(terms.get_by_role("alert").filter(has_text="金额须在产品额度范围内")).to_be_visible()
    expect(terms.get_by_role("alert").filter(has_text="请选择用途")).to_be_visible()
    _number(sme, "apply-amount", str(amount))
    _number(sme, "apply-term", str(term))
    sme.get_by_test_id("apply-purpose").click()
    sme.get_by_role("option", name="流动资金", exact=True).click()
    sme.get_by_test_id("apply-note").fill("用于备货")
    photograph(sme, "sme-apply-terms", fits=True)
    sme.get_by_test_id("apply-next").click()

    consent = sme.get_by_test_id("apply-consent")
    expect(consent).to_be_visible()
    settle(sme)
    expect(sme.get_by_test_id("apply-consent-bank")).to_have_text(bank_name)
    expect(consent).to_contain_text("贷款申请审批")
    expect(sme.get_by_test_id("apply-family-score").locator("input")).to_be_checked()
    chosen = ["信用评分"]
    tax = sme.get_by_test_id("apply-family-tax")
    if tax.count():  # the demo SME authorised its tax data: let the bank read it too
        tax.click()
        chosen.append("纳税数据")
    expect(sme.get_by_test_id("apply-expiry")).to_contain_text("90 天")
    photograph(sme, "sme-apply-consent", fits=True)
    sme.get_by_role("button", name="English").click()
    expect(consent).to_contain_text("Loan application")
    photograph(sme, "sme-apply-consent-en", fits=True)
    sme.get_by_role("button", name="中文").click()
    sme.get_by_test_id("apply-consent-next").click()

    confirm = sme.get_by_test_id("apply-confirm")
    expect(confirm).to_contain_text(amount_text)
    for name in chosen:
        expect(sme.get_by_test_id("apply-confirm-families")).to_contain_text(name)
    photograph(sme, "sme-apply-confirm", fits=True)
    sme.get_by_test_id("apply-submit").dblclick()  # a double click applies once
    sme.wait_for_url("**/sme/applications/*")
    settle(sme)
    application_id = sme.url.split("/sme/applications/")[1].split("?")[0]
    expect(sme.get_by_test_id("application-notice")).to_contain_text("申请已提交")
    expect(sme.get_by_test_id("application-status")).to_have_text("已提交")
    expect(sme.get_by_test_id("application-step-submitted")).to_contain_text("操作方：企业")
    expect(sme.get_by_test_id("application-withdraw")).to_be_visible()
    photograph(sme, "sme-application-submitted", fits=True)

    sme.goto("/sme/applications")
    settle(sme)
    rows = sme.get_by_test_id("applications-list").locator("tr", has_text=product["name_zh"])
    expect(rows).to_have_count(1)  # the double click made one application
    photograph(sme, "sme-applications", fits=True)

    # --- the bank decides in the portal ----------------------------------------------------
    bank = pages.open()
    bank.goto("/login")
    login(bank, live_server, DEMO_LOGINS["bank"])
    bank.goto("/bank/applications")
    settle(bank)
    expect(bank.get_by_test_id(f"inbox-open-{application_id}")).to_be_visible()
    photograph(bank, "bank-applications", fits=True)
    bank.get_by_test_id(f"inbox-open-{application_id}").click()
    bank.wait_for_url(f"**/bank/applications/{application_id}")
    settle(bank)
    expect(bank.get_by_test_id("application-amount")).to_have_text(amount_text)
    profile = bank.get_by_test_id("applicant-profile")
    expect(profile).to_be_visible()
    for name in chosen:
        expect(bank.get_by_test_id("applicant-profile-shared")).to_contain_text(name)
    if "纳税数据" in chosen:
        expect(bank.get_by_test_id("applicant-family-tax")).to_contain_text("已授权")
    expect(bank.get_by_test_id("applicant-family-water")).to_contain_text("未授权本行查看")
    photograph(bank, "bank-application", fits=True)

    bank.get_by_test_id("bank-application-review").click()
    expect(bank.get_by_test_id("bank-application-notice")).to_contain_text("审批中")
    expect(bank.get_by_test_id("application-status")).to_have_text("审批中")
    bank.get_by_test_id("decision-reject").click()
    bank.get_by_test_id("decision-submit").click()  # no reason: refused here
    expect(bank.get_by_test_id("decision-form").get_by_role("alert")).to_contain_text("请选择原因")
    bank.get_by_test_id("decision-approve").click()
    _number(bank, "decision-amount", str(amount))
    _number(bank, "decision-rate", "4.35")
    _number(bank, "decision-term", str(term))
    photograph(bank, "bank-application-decision", fits=True)
    bank.get_by_test_id("decision-submit").click()
    expect(bank.get_by_test_id("bank-application-notice")).to_contain_text("已批准")
    decision = bank.get_by_test_id("application-decision")
    expect(decision).to_contain_text(f"批准：{amount_text}")
    expect(decision).to_contain_text("4.35%")
    expect(bank.get_by_test_id("decision-card")).to_have_count(0)
    photograph(bank, "bank-application-approved", fits=True)
    bank.get_by_role("button", name="English").click()
    expect(decision).to_contain_text("Approved")
    photograph(bank, "bank-application-approved-en", fits=True)
    bank.get_by_role("button", name="中文").click()

    # --- the SME sees the decision on its timeline ------------------------------------------
    sme.goto(f"/sme/applications/{application_id}")
    settle(sme)
    expect(sme.get_by_test_id("application-status")).to_have_text("已批准")
    expect(sme.get_by_test_id("application-step-under_review")).to_contain_text("银行工作人员")
    approved = sme.get_by_test_id("application-step-approved")
    expect(approved).to_contain_text(f"批准：{amount_text}，年利率 4.35%，期限 {term} 个月")
    expect(sme.get_by_test_id("application-loan")).to_contain_text("4.35%")
    expect(sme.get_by_test_id("application-withdraw")).to_have_count(0)
    photograph(sme, "sme-application-approved", fits=True)
    sme.get_by_role("button", name="English").click()
    expect(approved).to_contain_text("Approved")
    photograph(sme, "sme-application-approved-en", fits=True)
    sme.get_by_role("button", name="中文").click()

    sme.goto("/sme/access-log")
    settle(sme)
    expect(sme.get_by_text("信用画像（银行工作人员审批贷款申请时查看）").first).to_be_visible()

    # --- the office's dashboard before the disbursement -----------------------------------------
    desk = pages.open()
    desk.goto("/login")
    login(desk, live_server, DEMO_LOGINS["office"])
    loans_before, amount_before = month_figures(desk)

    # --- the bank reports the disbursement --------------------------------------------------
    bank.goto("/bank/loans")
    settle(bank)
    loans = bank.get_by_test_id("loans-list")
    row = loans.locator("tr", has=bank.locator(f"a[href='/bank/applications/{application_id}']"))
    expect(row).to_have_count(1)
    photograph(bank, "bank-loans", fits=True)
    row.get_by_role("button", name="报送事件").click()
    dialog = bank.get_by_test_id("loans-report-dialog")
    expect(dialog).to_be_visible()
    photograph(bank, "bank-loans-report", fits=True)
    # A date before the approval: the server refuses it and the form shows why on the field.
    problems.expect(422, "/events")
    date = bank.get_by_test_id("loans-date")
    date.fill("2020-01-02")
    bank.get_by_test_id("loans-report-confirm").click()
    expect(bank.get_by_test_id("loans-report-error")).to_contain_text("填写的内容有误")
    expect(dialog.locator(".el-form-item__error")).to_contain_text("between")
    date.fill(dt.datetime.now(CHINA).date().isoformat())
    bank.get_by_test_id("loans-report-confirm").click()
    expect(bank.get_by_test_id("loans-notice")).to_contain_text("已报送：放款")
    expect(row).to_contain_text("已放款")
    expect(row).to_contain_text(amount_text)

    bank.goto("/bank/warnings")
    settle(bank)
    expect(bank.get_by_test_id("warnings-unread")).to_be_visible()
    photograph(bank, "bank-warnings", fits=True)

    bank.goto("/bank/intake")
    settle(bank)
    expect(bank.get_by_test_id("intake-state")).to_be_visible()
    photograph(bank, "bank-intake", fits=True)

    sme.goto(f"/sme/applications/{application_id}")
    settle(sme)
    expect(sme.get_by_test_id("application-step-disbursed")).to_contain_text("贷款事件：放款")

    # --- the loan shows up in the office's charts, and in the chart's export ------------------
    # (The sandbox banks lend by themselves meanwhile: the figures grow by at least this loan.)
    loans_after, amount_after = month_figures(desk)
    assert loans_after >= loans_before + 1, (loans_before, loans_after)
    assert amount_after >= amount_before + amount, (amount_before, amount_after)
    photograph(desk, "office-dashboard", fits=True)
    exported_loans, exported_amount = export_month(desk, tmp_path)
    assert exported_loans >= loans_after
    assert exported_amount >= amount_after

    # --- the office's dead letters ------------------------------------------------------------
    office = pages.open()
    office.goto("/login")
    login(office, live_server, DEMO_LOGINS["office"])
    office.goto("/office/deliveries")
    settle(office)
    expect(office.locator("h1.page-title")).to_have_text("申请投递")
    photograph(office, "office-deliveries", fits=True)
    office.get_by_test_id("deliveries-status").click()
    office.get_by_role("option", name="等待银行拉取", exact=True).click()
    settle(office)
    expect(office.get_by_test_id("deliveries-status")).to_contain_text("等待银行拉取")
    photograph(office, "office-deliveries-poll", fits=True)


def test_a_sandbox_bank_decides_by_itself_and_the_sme_sees_it_on_its_timeline(
    pages: Pages, live_server: LiveServer, problems: PageProblems
) -> None:
    """CCB_GZ runs as a sandbox bank beside the walks' server: the relay delivers the
    application to its intake, it pulls the consented profile through the bank API and posts
    its decision; the SME's timeline shows the bank's system deciding."""
    bank_name = BANKS[1][1]
    product = _product_to_apply_for(live_server, bank_name)
    amount = min(
        Decimal(product["amount_max"]), max(Decimal(product["amount_min"]), Decimal(300_000))
    )
    term = min(product["term_max_months"], max(product["term_min_months"], 12))

    sme = pages.open()
    sme.goto("/login")
    login(sme, live_server, DEMO_LOGINS["sme"])
    sme.goto(f"/sme/apply/{product['id']}")
    settle(sme)
    _number(sme, "apply-amount", str(amount))
    _number(sme, "apply-term", str(term))
    sme.get_by_test_id("apply-purpose").click()
    sme.get_by_role("option", name="流动资金", exact=True).click()
    sme.get_by_test_id("apply-next").click()
    expect(sme.get_by_test_id("apply-consent-bank")).to_have_text(bank_name)
    tax = sme.get_by_test_id("apply-family-tax")
    if tax.count():
        tax.click()
    sme.get_by_test_id("apply-consent-next").click()
    sme.get_by_test_id("apply-submit").click()
    sme.wait_for_url("**/sme/applications/*")
    settle(sme)

    # The sandbox bank works on its own clock: look again until it has decided (a generous
    # deadline for a loaded machine; nothing here is a measure of speed).
    status = sme.get_by_test_id("application-status")
    for _ in range(40):
        if status.inner_text() in ("已批准", "未获批准", "已放款", "还款中", "已结清"):
            break
        sme.wait_for_timeout(3000)
        sme.reload()
        settle(sme)
    expect(status).to_have_text(re.compile("已批准|未获批准|已放款|还款中|已结清"))
    decided = sme.get_by_test_id(
        "application-step-approved"
        if sme.get_by_test_id("application-step-approved").count()
        else "application-step-rejected"
    )
    expect(decided).to_contain_text("操作方：银行系统")
    expect(sme.get_by_test_id("application-step-delivered")).to_contain_text("操作方：平台")
    photograph(sme, "sme-application-decided-by-sandbox-bank", fits=True)
