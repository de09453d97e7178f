"""The portals in Chromium against the live demo city: logging in as each role, a wrong
password, a session ended on the server, the language switch, and every page of each role's
side menu at 1280 and 375 px, checked by axe-core and photographed
(``test-artifacts/screenshots/``)."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from tests.e2e.browser import (
    HOMES,
    WIDTHS,
    PageProblems,
    check_accessibility,
    login,
    path_of,
    screenshot,
    settle,
    viewport_width,
)
from tests.e2e.live import DEMO_LOGINS, LiveServer

pytestmark = [pytest.mark.e2e, pytest.mark.slow]


@pytest.mark.parametrize("role", list(HOMES))
def test_each_role_lands_on_its_home(page: Page, live_server: LiveServer, role: str) -> None:
    page.goto("/login")
    login(page, live_server, DEMO_LOGINS[role])
    assert path_of(page) == HOMES[role]
    expect(page.locator("h1.page-title")).to_have_count(1)


def test_the_page_watch_records_failures_unless_expected(
    page: Page, live_server: LiveServer, problems: PageProblems
) -> None:
    page.goto("/login")
    settle(page)
    page.evaluate("fetch('/api/v1/no-such-thing')")
    page.evaluate("setTimeout(() => { throw new Error('boom') })")
    page.wait_for_timeout(300)
    seen = "\n".join(problems.seen)
    assert "HTTP 404 GET" in seen, seen
    assert "status of 404" in seen, seen  # Chromium's console line for it
    assert "page error: boom" in seen, seen
    problems.seen.clear()  # recorded as they should be: not this test's failure

    problems.expect(404, "/api/v1/no-such-thing")
    page.evaluate("fetch('/api/v1/no-such-thing')")
    page.wait_for_timeout(300)
    assert problems.seen == []


def test_a_wrong_password_shows_the_error(
    page: Page, live_server: LiveServer, problems: PageProblems
) -> None:
    problems.expect(401, "/api/v1/auth/login")
    page.goto("/login")
    page.fill("[data-testid=login-email]", DEMO_LOGINS["sme"])
    page.fill("[data-testid=login-password]", "not-the-password")
    page.click("[data-testid=login-submit]")
    expect(page.get_by_test_id("login-error")).to_have_text("邮箱或密码不正确。")
    assert path_of(page) == "/login"


def test_an_ended_session_returns_to_login_and_back(
    page: Page, live_server: LiveServer, problems: PageProblems
) -> None:
    page.goto("/login")
    login(page, live_server, DEMO_LOGINS["bank"])
    assert path_of(page) == "/bank"
    cookies = {c["name"]: c["value"] for c in page.context.cookies()}
    live_server.end_session(cookies)  # e.g. an expiry, or a logout in another tab

    # The next call that needs the session gets 401 and the portal sends the user to log in.
    problems.expect(401, "/api/v1/")
    page.get_by_test_id("nav-bank.users").click()
    page.wait_for_url(re.compile(r"/login\?"))
    assert "expired=1" in page.url
    assert "next=%2Fbank%2Fusers" in page.url or "next=/bank/users" in page.url
    expect(page.get_by_test_id("login-notice")).to_contain_text("登录已过期")

    login(page, live_server, DEMO_LOGINS["bank"])
    assert path_of(page) == "/bank/users"
    expect(page.get_by_test_id("bank-users-table")).to_be_visible()


def test_the_locale_switch_turns_the_page_english_and_back(
    page: Page, live_server: LiveServer
) -> None:
    page.goto("/login")
    login(page, live_server, DEMO_LOGINS["office"])
    html = page.locator("html")
    expect(html).to_have_attribute("lang", "zh-CN")
    expect(page.get_by_test_id("logout")).to_have_text("退出登录")

    page.get_by_test_id("locale-switch").click()
    expect(html).to_have_attribute("lang", "en")
    expect(page.get_by_test_id("logout")).to_have_text("Log out")
    page.reload()  # the choice is remembered
    settle(page)
    expect(page.get_by_test_id("logout")).to_have_text("Log out")

    page.get_by_test_id("locale-switch").click()
    expect(html).to_have_attribute("lang", "zh-CN")
    expect(page.get_by_test_id("logout")).to_have_text("退出登录")


def _menu(page: Page) -> list[str]:
    """The test ids of the side menu's entries (the wide layout's menu), in order."""
    items = page.locator("#portal-nav [data-testid^='nav-']")
    expect(items.first).to_be_visible()
    return [str(items.nth(i).get_attribute("data-testid")) for i in range(items.count())]


@pytest.mark.parametrize("role", list(HOMES))
def test_every_menu_page_is_accessible_at_both_widths(
    page: Page, live_server: LiveServer, role: str
) -> None:
    page.goto("/login")
    login(page, live_server, DEMO_LOGINS[role])
    entries = _menu(page)
    assert entries, f"{role} has no side menu"
    visited = []
    for entry in entries:
        page.get_by_test_id(entry).click()
        settle(page)
        expect(page.locator("h1.page-title")).to_have_count(1)
        visited.append(path_of(page))
        for width in WIDTHS:
            with viewport_width(page, width):
                check_accessibility(page, f"{path_of(page)} ({role}) at {width} px")
        screenshot(page, f"{role}-{entry.removeprefix('nav-')}")
    assert HOMES[role] in visited


def test_an_unknown_address_shows_the_not_found_page(page: Page, live_server: LiveServer) -> None:
    page.goto("/no-such-page/at-all")
    settle(page)
    expect(page.get_by_test_id("not-found")).to_be_visible()
    for width in WIDTHS:
        with viewport_width(page, width):
            check_accessibility(page, f"the not-found page at {width} px")
    screenshot(page, "not-found")
    page.get_by_test_id("not-found").get_by_role("link").click()
    page.wait_for_url(lambda url: "no-such-page" not in url)


def test_on_a_phone_the_side_menu_is_a_drawer(page: Page, live_server: LiveServer) -> None:
    page.set_viewport_size({"width": WIDTHS[-1], "height": 800})
    page.goto("/login")
    login(page, live_server, DEMO_LOGINS["sme"])
    expect(page.locator("#portal-nav")).to_be_hidden()
    page.get_by_test_id("menu-toggle").click()
    page.get_by_test_id("drawer-nav-sme.records").click()
    page.wait_for_url(re.compile(r"/sme/records$"))
    settle(page)
    expect(page.get_by_test_id("drawer-nav-sme.records")).to_be_hidden()  # it closes on arrival
    expect(page.get_by_test_id("records-table")).to_be_visible()
