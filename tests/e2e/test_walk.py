"""The acceptance walk, in Chinese and in English: a new SME registers, verifies through the
identity service, authorises its data and watches the sync finish, sees its first score with
its reasons; the office imports a penalty about it; the SME disputes the record, the office
resolves the dispute from its queue and the SME sees the outcome. The pages that are not in a
side menu (registration, verification, its return) are checked by axe-core and photographed
at both widths on the way."""

from __future__ import annotations

import random
import re
from contextlib import closing
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from playwright.sync_api import Page, expect

from tests.e2e.browser import (
    login,
    photograph,
    settle,
)
from tests.e2e.conftest import Pages
from tests.e2e.live import DEMO_LOGINS, LiveServer
from xinyidai.simulation.registry import make_resident_id, make_uscc

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

DISTRICT = "440106"  # Tianhe, Guangzhou
FAMILIES = ("tax", "electricity", "water", "gas", "social_insurance", "housing_fund")
IMPORT_HEADER = (
    "统一社会信用代码,主体名称,信息类别,决定文书号,决定日期,决定机关,失信程度,内容,公示截止期"
)
SYNC_AND_SCORE_TIMEOUT = 120_000  # ms: six families' five years, the snapshot, then the score


@dataclass(frozen=True)
class NewSme:
    uscc: str
    name: str
    legal_rep: str
    legal_rep_id: str
    email: str
    password: str = "Walk-Through-2026"


def _new_sme(locale: str) -> NewSme:
    rng = random.Random()  # a firm the live server has not seen in this run
    uscc = make_uscc(rng, DISTRICT)
    return NewSme(
        uscc=uscc,
        name=f"广州走查{uscc[-6:]}科技有限公司",
        legal_rep="陈走查",
        legal_rep_id=make_resident_id(rng, DISTRICT),
        email=f"walk-{locale.lower()}-{uscc.lower()}@example.com",
    )


def _enrol_licence(server: LiveServer, sme: NewSme) -> None:
    """The licence the identity service checks the legal representative against (the real
    market-regulation registry knows every licence; the sandbox is told about this one)."""
    response = httpx.post(
        f"{server.identity_url}/_sandbox/licences",
        json={
            "uscc": sme.uscc,
            "enterprise_name": sme.name,
            "legal_rep_name": sme.legal_rep,
            "legal_rep_id_number": sme.legal_rep_id,
        },
        timeout=10,
    )
    assert response.status_code == 201, response.text


def _switch_to(page: Page, locale: str) -> None:
    if locale == "en":
        page.get_by_test_id("locale-switch").click()
    expect(page.locator("html")).to_have_attribute("lang", locale)


def _register(page: Page, sme: NewSme, locale: str) -> None:
    page.goto("/register")
    settle(page)
    _switch_to(page, locale)
    photograph(page, f"walk-{locale}-register")
    page.get_by_test_id("register-display-name").fill(sme.legal_rep)
    page.get_by_test_id("register-email").fill(sme.email)
    page.get_by_test_id("register-password").fill(sme.password)
    page.get_by_test_id("register-name").fill(sme.name)
    page.get_by_test_id("register-uscc").fill(sme.uscc.lower())  # the form takes either case
    page.get_by_test_id("register-legal-rep").fill(sme.legal_rep)
    page.get_by_test_id("register-legal-rep-id").fill(sme.legal_rep_id)
    page.get_by_test_id("register-capital").fill("1,000,000")
    founded = page.get_by_test_id("register-founded").locator("input")
    founded.fill("2019-05-20")
    founded.press("Enter")
    page.get_by_test_id("register-industry").click()
    page.keyboard.type("65")
    page.get_by_role("option", name=re.compile(r"^65 · ")).click()
    page.get_by_test_id("register-district").fill(DISTRICT)
    page.get_by_test_id("register-submit").click()
    page.wait_for_url("**/sme/claim")
    settle(page)
    expect(page.get_by_test_id("claim-uscc")).to_have_text(sme.uscc)
    photograph(page, f"walk-{locale}-claim")


def _verify(page: Page, server: LiveServer, sme: NewSme, locale: str) -> None:
    """Through the identity service's own page: the legal representative confirms with the
    ID number on the licence, and the service sends the browser back to the portal."""
    page.get_by_test_id("claim-start-verification").click()
    page.wait_for_url(f"{server.identity_url}/**")
    expect(page.locator("#uscc")).to_have_value(sme.uscc)
    page.locator("#legal_rep_id_number").fill(sme.legal_rep_id)
    page.locator("button[value=approve]").click()
    page.wait_for_url("**/sme/claim/callback**")
    expect(page.get_by_test_id("claim-callback-success")).to_be_visible(timeout=30_000)
    photograph(page, f"walk-{locale}-claim-callback")


def _authorise_and_sync(page: Page) -> None:
    page.get_by_test_id("nav-sme.authorizations").click()
    settle(page)
    expect(page.get_by_test_id("authorizations-no-live")).to_be_visible()
    page.get_by_test_id("authorizations-grant").click()
    dialog = page.get_by_test_id("authorizations-grant-dialog")
    expect(dialog).to_be_visible()
    for family in FAMILIES:
        page.get_by_test_id(f"authorizations-grant-family-{family}").click()
    expect(page.get_by_test_id("authorizations-grant-summary")).to_be_visible()
    page.get_by_test_id("authorizations-grant-confirm").click()
    expect(page.get_by_test_id("authorizations-notice")).to_be_visible()
    expect(page.get_by_test_id("authorizations-live")).to_be_visible()
    expect(page.locator("[data-testid=authorizations-sync-state][data-state=done]")).to_be_visible(
        timeout=SYNC_AND_SCORE_TIMEOUT
    )


def _sees_score(page: Page, api: httpx.Client, enterprise_id: str, locale: str) -> None:
    page.get_by_test_id("authorizations-sync-dashboard").click()
    page.wait_for_url(re.compile(r"/sme$"))
    # The first score follows the sync within seconds; the page watches for it.
    expect(page.get_by_test_id("dashboard-score")).to_be_visible(timeout=SYNC_AND_SCORE_TIMEOUT)
    score: dict[str, Any] = api.get(f"/api/v1/enterprises/{enterprise_id}/score").json()
    expect(page.get_by_test_id("dashboard-score")).to_have_text(re.compile(rf"^{score['score']}$"))
    expect(page.get_by_test_id("dashboard-grade")).to_contain_text(score["grade"])
    words = "text_en" if locale == "en" else "text_zh"
    shown = page.get_by_test_id("dashboard-reason")
    expect(shown).to_have_count(len(score["reasons"]))
    assert score["reasons"], "a score comes with its reasons"
    for reason in score["reasons"]:
        expect(page.get_by_test_id("dashboard-reasons")).to_contain_text(reason[words])


def _office_imports_a_penalty(office: Page, server: LiveServer, sme: NewSme, locale: str) -> None:
    office.goto("/login")
    settle(office)
    _switch_to(office, locale)
    photograph(office, f"walk-{locale}-login")
    login(office, server, DEMO_LOGINS["office"])
    office.get_by_test_id("nav-office.imports").click()
    settle(office)
    document_no = f"穗天河市监罚〔2026〕{sme.uscc[-5:]}号"
    row = [
        sme.uscc,
        sme.name,
        "行政处罚",
        document_no,
        "2026-09-01",
        "广州市天河区市场监督管理局",
        "一般",
        "未按规定公示年度报告",
        "2027-09-01",
    ]
    content = f"{IMPORT_HEADER}\n{','.join(row)}\n".encode()
    office.get_by_test_id("office-imports-file").set_input_files(
        {"name": "walk.csv", "mimeType": "text/csv", "buffer": content}
    )
    office.get_by_test_id("office-imports-submit").click()
    status = office.locator("[data-testid^=office-imports-status-]").first
    expect(status).to_have_attribute("data-status", "done", timeout=60_000)
    expect(office.get_by_test_id("office-imports-accepted").first).to_have_text("1")


def _sme_disputes(page: Page, api: httpx.Client, enterprise_id: str) -> tuple[str, str]:
    page.get_by_test_id("nav-sme.records").click()
    settle(page)
    records = api.get(f"/api/v1/enterprises/{enterprise_id}/records").json()
    items = records["items"] if isinstance(records, dict) else records
    (record,) = items
    page.get_by_test_id(f"records-dispute-{record['id']}").click()
    expect(page.get_by_test_id("records-dispute-dialog")).to_be_visible()
    page.get_by_test_id("records-dispute-reason").fill(
        "我司已于2026年6月按时公示年度报告，附公示系统截图，请核查更正。"
    )
    page.get_by_test_id("records-dispute-submit").click()
    expect(page.get_by_test_id("records-notice")).to_be_visible()
    (dispute,) = api.get(f"/api/v1/enterprises/{enterprise_id}/disputes").json()
    expect(page.get_by_test_id(f"records-dispute-row-{dispute['id']}")).to_have_attribute(
        "data-status", "open"
    )
    expect(page.get_by_test_id(f"records-dispute-due-{dispute['id']}")).to_be_visible()
    return record["id"], dispute["id"]


def _office_corrects(office: Page, dispute_id: str, sme: NewSme) -> str:
    office.get_by_test_id("nav-office.disputes").click()
    settle(office)
    expect(office.get_by_test_id(f"office-disputes-enterprise-{dispute_id}")).to_contain_text(
        sme.name
    )
    office.get_by_test_id(f"office-disputes-resolve-{dispute_id}").click()
    expect(office.get_by_test_id("office-disputes-drawer")).to_be_visible()
    office.get_by_test_id("office-disputes-outcome-corrected").click()
    corrected = "逾期公示年度报告（已于当年补正）"
    office.get_by_test_id("office-disputes-correction-description").fill(corrected)
    office.get_by_test_id("office-disputes-resolution").fill(
        "经核查，企业已补正公示，记录内容予以更正。"
    )
    office.get_by_test_id("office-disputes-submit").click()
    expect(office.get_by_test_id("office-disputes-drawer-status")).to_have_attribute(
        "data-status", "corrected"
    )
    expect(office.get_by_test_id("office-disputes-answer")).to_be_visible()
    # Answered, it leaves the open queue and stays in the full list with its outcome.
    office.keyboard.press("Escape")
    expect(office.get_by_test_id(f"office-disputes-row-{dispute_id}")).to_have_count(0)
    office.get_by_test_id("office-disputes-filter-all").click()
    expect(office.get_by_test_id(f"office-disputes-status-{dispute_id}")).to_have_attribute(
        "data-status", "corrected"
    )
    return corrected


def _office_opens_the_enterprise(office: Page, dispute_id: str, sme: NewSme, locale: str) -> None:
    """From the dispute to the enterprise's page (not in the side menu)."""
    office.get_by_test_id(f"office-disputes-row-{dispute_id}").get_by_role("link").click()
    office.wait_for_url(re.compile(r"/office/enterprises/"))
    settle(office)
    expect(office.get_by_role("main")).to_contain_text(sme.uscc)
    photograph(office, f"walk-{locale}-office-enterprise")


@pytest.mark.parametrize("locale", ["zh-CN", "en"])
def test_an_sme_goes_from_registration_to_a_corrected_record(
    pages: Pages, live_server: LiveServer, locale: str
) -> None:
    sme = _new_sme(locale)
    _enrol_licence(live_server, sme)

    page = pages.open()
    _register(page, sme, locale)
    _verify(page, live_server, sme, locale)
    with closing(live_server.api(sme.email, sme.password)) as api:
        enterprise_id = api.get("/api/v1/me").json()["organisation"]["id"]
        assert enterprise_id, "a verified SME acts as its enterprise"
        _authorise_and_sync(page)
        _sees_score(page, api, enterprise_id, locale)

        office = pages.open()
        _office_imports_a_penalty(office, live_server, sme, locale)
        record_id, dispute_id = _sme_disputes(page, api, enterprise_id)
        corrected = _office_corrects(office, dispute_id, sme)
        _office_opens_the_enterprise(office, dispute_id, sme, locale)

        page.reload()
        settle(page)
        expect(page.get_by_test_id(f"records-dispute-row-{dispute_id}")).to_have_attribute(
            "data-status", "corrected"
        )
        expect(page.get_by_test_id(f"records-dispute-outcome-{dispute_id}")).to_contain_text(
            "corrected" if locale == "en" else "更正"
        )
        expect(page.get_by_test_id(f"records-row-{record_id}")).to_be_visible()
        expect(page.get_by_test_id("records-table")).to_contain_text(corrected)
    expect(page.locator("html")).to_have_attribute("lang", locale)
