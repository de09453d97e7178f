"""Browser tests (``e2e``): Debian's Chromium through Playwright's sync API against a live
platform seeded with the demo city (``live.py``).

Fixtures: ``live_server`` (session: the platform, ``.url``, ``.api(email)``,
``.end_session(cookies)``), ``browser`` (module: Chromium; skipped when it is not installed),
``problems`` and ``page`` (per test: a fresh context at 1280×900 in zh-CN whose console errors,
page errors and failed requests fail the test at teardown unless declared with
``problems.expect(status, path)``). A failed test leaves a screenshot in
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
from playwright.sync_api import Browser, Page, sync_playwright
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


@pytest.fixture
def page(
    request: pytest.FixtureRequest,
    chromium: Path,  # first: no Chromium, no live server
    browser: Browser,
    live_server: LiveServer,
    problems: PageProblems,
) -> Iterator[Page]:
    context = browser.new_context(
        viewport={"width": WIDE, "height": HEIGHT}, locale="zh-CN", base_url=live_server.url
    )
    context.set_default_timeout(15_000)
    opened = context.new_page()
    problems.watch(opened)
    try:
        yield opened
    finally:
        outcome = request.node.stash.get(_OUTCOME, None)
        if outcome is not None and outcome.failed:
            failures = ARTIFACTS / "failures"
            failures.mkdir(parents=True, exist_ok=True)
            with contextlib.suppress(PlaywrightError):  # it must not hide the failure
                opened.screenshot(path=str(failures / f"{request.node.name}.png"), full_page=True)
        problems.closing = True
        context.close()
    if problems.seen:
        pytest.fail(problems.report(), pytrace=False)
