"""Browser tests (``e2e``): Debian's Chromium through Playwright's sync API against a live
platform seeded with the demo city (``live.py``).

Fixtures: ``live_server`` (session: the platform, ``.url``, ``.api(email)``,
``.end_session(cookies)``), ``browser`` (module: Chromium; skipped when it is not installed),
``problems`` and ``page`` (per test: a fresh context at 1280×900 in zh-CN whose console errors,
page errors and failed requests fail the test at teardown unless declared with
``problems.expect(status, path)``), ``pages`` (``pages.open()``: as many such pages as a test
needs, one user each). A failed test leaves a screenshot of each page in
``test-artifacts/failures/``.

Browser tests are sync functions and take no async fixtures: while Playwright's sync API runs,
its event loop counts as running in the thread (hence the module scope of ``browser``: it stops
before the worker's next module, whose async tests need the thread's loop free).
"""

from __future__ import annotations

import contextlib
from collections.abc import Generator, Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect, sync_playwright
from playwright.sync_api import Error as PlaywrightError

from tests.conftest import run_shared
from tests.e2e.browser import (
    ARTIFACTS,
    CHROMIUM,
    CHROMIUM_ARGS,
    CHROMIUM_MISSING,
    HEIGHT,
    WIDE,
    PageProblems,
)
from tests.e2e.live import LiveServer, shared_live_server

# Assertions wait as long as actions do (the contexts' default below): on this 2-core machine
# a page's list read may take more than Playwright's 5 s while other test workers are busy
# (a walk timed out waiting for a queue to load in a loaded CI run).
expect.set_options(timeout=15_000)

_E2E = Path(__file__).parent
_OUTCOME = pytest.StashKey[pytest.TestReport]()


@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Every test under tests/e2e is ``e2e`` and ``slow`` (before the suite orders slow tests)."""
    for item in items:
        if _E2E in Path(str(item.path)).parents:
            item.add_marker(pytest.mark.e2e)
            item.add_marker(pytest.mark.slow)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(
    item: pytest.Item,
) -> Generator[None, pytest.TestReport, pytest.TestReport]:
    report = yield
    if report.when == "call":
        item.stash[_OUTCOME] = report
    return report


@pytest.fixture(scope="session")
def live_server(tmp_path_factory: pytest.TempPathFactory, bundle_dir: Path) -> Iterator[LiveServer]:
    """The live platform with the demo city, shared by every worker of the run."""
    with shared_live_server(run_shared(tmp_path_factory, "e2e-server"), bundle_dir) as server:
        yield server


@pytest.fixture(scope="session")
def chromium() -> Path:
    """Debian's Chromium (never a downloaded browser); the browser tests skip without it, before
    the live server is started for them."""
    if not CHROMIUM.exists():
        pytest.skip(CHROMIUM_MISSING)
    return CHROMIUM


@pytest.fixture(scope="module")
def browser(chromium: Path) -> Iterator[Browser]:
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=str(chromium), args=CHROMIUM_ARGS)
        try:
            yield launched
        finally:
            launched.close()


@pytest.fixture
def problems() -> PageProblems:
    return PageProblems()


class Pages:
    """Opens pages, each in a fresh context (its own cookies: another user) at 1280×900 in
    zh-CN, watched by the test's ``problems``; closes them at the end of the test."""

    def __init__(self, browser: Browser, server: LiveServer, problems: PageProblems) -> None:
        self._browser, self._server, self._problems = browser, server, problems
        self.opened: list[Page] = []

    def open(self) -> Page:
        context = self._browser.new_context(
            viewport={"width": WIDE, "height": HEIGHT}, locale="zh-CN", base_url=self._server.url
        )
        context.set_default_timeout(15_000)
        opened = context.new_page()
        self._problems.watch(opened)
        self.opened.append(opened)
        return opened

    def close(self, failed_test: str | None) -> None:
        for n, opened in enumerate(self.opened):
            if failed_test is not None:
                failures = ARTIFACTS / "failures"
                failures.mkdir(parents=True, exist_ok=True)
                suffix = f"-{n}" if n else ""
                with contextlib.suppress(PlaywrightError):  # it must not hide the failure
                    opened.screenshot(
                        path=str(failures / f"{failed_test}{suffix}.png"), full_page=True
                    )
        self._problems.closing = True
        for opened in self.opened:
            opened.context.close()


@pytest.fixture
def pages(
    request: pytest.FixtureRequest,
    chromium: Path,  # first: no Chromium, no live server
    browser: Browser,
    live_server: LiveServer,
    problems: PageProblems,
) -> Iterator[Pages]:
    """Pages for several users at once (an SME and the office); a failed test leaves a
    screenshot of each; any problem a page recorded fails the test at teardown."""
    opened = Pages(browser, live_server, problems)
    try:
        yield opened
    finally:
        outcome = request.node.stash.get(_OUTCOME, None)
        opened.close(request.node.name if outcome is not None and outcome.failed else None)
    if problems.seen:
        pytest.fail(problems.report(), pytrace=False)


@pytest.fixture
def page(pages: Pages) -> Page:
    """One page, as ``pages`` opens them."""
    return pages.open()
