"""Bank service levels and the office's alerts in a browser: the office opens its alerts (each
kind with the count the API gives, the menu badge counting the open ones), follows the banks'
alert to the overdue list, reads every bank's service levels in a table and a chart; the demo
bank's user reads its own service levels and its own overdue list only.
Every page is checked with axe at both widths and photographed, in Chinese and in English."""

from __future__ import annotations

from typing import Any

from playwright.sync_api import expect

from tests.e2e.browser import PageProblems, login, photograph, settle
from tests.e2e.conftest import Pages
from tests.e2e.live import DEMO_LOGINS, LiveServer
from xinyidai.domain.demo.city import BANKS


def _read(server: LiveServer, email: str, path: str) -> dict[str, Any]:
    """What the API answers ``email`` at ``path``: what the page must show."""
    api = server.api(email)
    try:
        response = api.get(path)
        assert response.status_code == 200, response.text
        body: dict[str, Any] = response.json()
        return body
    finally:
        api.close()


def test_the_office_sees_banks_service_levels_and_alerts_and_a_bank_its_own(
    pages: Pages, live_server: LiveServer, problems: PageProblems
) -> None:
    alerts = _read(live_server, DEMO_LOGINS["office"], "/api/v1/office/alerts")
    counts = {a["kind"]: a["count"] for a in alerts["alerts"]}
    levels = _read(live_server, DEMO_LOGINS["office"], "/api/v1/office/service-levels")
    icbc = next(b for b in levels["banks"] if b["bank_code"] == BANKS[0][0])
    assert icbc["committed"]["applications"] > 0 and icbc["actual"]["decisions"] > 0

    # --- the office's alerts ---------------------------------------------------------------
    office = pages.open()
    office.goto("/login")
    login(office, live_server, DEMO_LOGINS["office"])
    office.goto("/office/alerts")
    settle(office)
    expect(office.locator("h1.page-title")).to_have_text("待办提醒")
    for kind, count in counts.items():
        expect(office.get_by_test_id(f"alerts-count-{kind}")).to_have_text(f"{count:,}")
    expect(office.get_by_test_id("alerts-item-banks_past_commitment")).to_contain_text(
        "银行超过承诺时限未答复申请"
    )
    badge = office.get_by_test_id("office-alert-badge")
    if alerts["open"]:
        expect(badge.first).to_contain_text(str(alerts["open"]))
    else:
        expect(badge).to_have_count(0)
    photograph(office, "office-alerts", fits=True)
    office.get_by_role("button", name="English").click()
    expect(office.get_by_test_id("alerts-item-banks_past_commitment")).to_contain_text(
        "Banks with applications past their committed response time"
    )
    photograph(office, "office-alerts-en", fits=True)
    office.get_by_role("button", name="中文").click()

    # --- the applications waiting past commitment -----------------------------------------------
    if counts["banks_past_commitment"]:
        office.get_by_test_id("alerts-act-banks_past_commitment").click()
        office.wait_for_url("**/office/service-levels/overdue")
    else:
        office.goto("/office/service-levels/overdue")
    settle(office)
    expect(office.locator("h1.page-title")).to_have_text("超时待答复的申请")
    overdue = _read(live_server, DEMO_LOGINS["office"], "/api/v1/office/service-levels/overdue")
    shown = office.get_by_test_id("overdue-table-row")
    expect(shown).to_have_count(min(overdue["total"], overdue["limit"]))
    if overdue["items"]:
        expect(shown.first).to_have_text(overdue["items"][0]["enterprise_name"])
    photograph(office, "office-service-levels-overdue", fits=True)

    # --- every bank's service levels ---------------------------------------------------------
    office.goto("/office/service-levels")
    settle(office)
    expect(office.locator("h1.page-title")).to_have_text("银行服务时效")
    table = office.get_by_test_id("service-levels-table")
    expect(table.get_by_test_id(f"service-levels-table-bank-{BANKS[0][0]}")).to_have_text(
        icbc["bank_name"]
    )
    row = table.locator("tr", has=office.get_by_test_id(f"service-levels-table-bank-{BANKS[0][0]}"))
    expect(row.first).to_contain_text(f"{icbc['actual']['decisions']:,}")
    expect(office.get_by_test_id("service-levels-chart").locator("canvas")).to_be_visible()
    photograph(office, "office-service-levels", fits=True)
    office.get_by_role("button", name="English").click()
    expect(office.locator("h1.page-title")).to_have_text("Bank service levels")
    photograph(office, "office-service-levels-en", fits=True)
    office.get_by_role("button", name="中文").click()

    # --- the bank's own ------------------------------------------------------------------------
    bank = pages.open()
    bank.goto("/login")
    login(bank, live_server, DEMO_LOGINS["bank"])
    bank.goto("/bank/service-levels")
    settle(bank)
    expect(bank.locator("h1.page-title")).to_have_text("服务时效")
    own = bank.get_by_test_id("bank-service-levels-table")
    expect(own.get_by_test_id(f"bank-service-levels-table-bank-{BANKS[0][0]}")).to_be_visible()
    for other, *_ in BANKS[1:]:
        expect(own.get_by_test_id(f"bank-service-levels-table-bank-{other}")).to_have_count(0)
    mine = _read(
        live_server,
        DEMO_LOGINS["bank"],
        f"/api/v1/banks/{icbc['bank_id']}/service-levels/overdue?limit=20",
    )
    rows = bank.get_by_test_id("bank-overdue-table-row")
    expect(rows).to_have_count(min(mine["total"], mine["limit"]))
    assert {i["bank_id"] for i in mine["items"]} <= {icbc["bank_id"]}
    photograph(bank, "bank-service-levels", fits=True)
    bank.get_by_role("button", name="English").click()
    expect(bank.locator("h1.page-title")).to_have_text("Service levels")
    photograph(bank, "bank-service-levels-en", fits=True)
    bank.get_by_role("button", name="中文").click()
