"""What the browser tests share: the Chromium launch, a recorder of what went wrong in the page,
the axe-core check, screenshots, logging in and settling a page."""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from axe_playwright_python.sync_playwright import Axe  # type: ignore[import-untyped]
from playwright.sync_api import ConsoleMessage, Page, Request, Response
from playwright.sync_api import Error as PlaywrightError

from tests.e2e.live import DEMO_PASSWORD, ROOT, LiveServer

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_MISSING = "Chromium not installed: apt-get install -y chromium"
CHROMIUM_ARGS = [
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
WIDE, NARROW = 1280, 375
WIDTHS = (WIDE, NARROW)
HEIGHT = 900
ARTIFACTS = ROOT / "test-artifacts"
SCREENSHOTS = ARTIFACTS / "screenshots"

# Where each role lands after logging in (frontend/src/stores/auth.ts, homeFor).
HOMES = {"sme": "/sme", "bank": "/bank", "office": "/office", "admin": "/admin"}

_FAILED_RESOURCE = re.compile(
    r"Failed to load resource: the server responded with a status of (\d+)"
)


@dataclass
class Expected:
    status: int
    path: str


@dataclass
class PageProblems:
    """What went wrong in a page: console errors, uncaught errors, responses of 400 or more and
    requests that failed. The ``page`` fixture fails the test at teardown if any was recorded
    that the test did not declare with ``expect``."""

    expected: list[Expected] = field(default_factory=list)
    seen: list[str] = field(default_factory=list)
    closing: bool = False

    def expect(self, status: int, path: str) -> None:
        """Declare that responses with ``status`` to URLs containing ``path`` are part of the
        test (e.g. the 401 of an ended session, a 422 a form shows): they, and the console
        error Chromium logs for them, are not problems."""
        self.expected.append(Expected(status, path))

    def _is_expected(self, status: int, url: str) -> bool:
        return any(e.status == status and e.path in url for e in self.expected)

    def on_response(self, response: Response) -> None:
        if response.status >= 400 and not self._is_expected(response.status, response.url):
            self.seen.append(f"HTTP {response.status} {response.request.method} {response.url}")

    def on_console(self, message: ConsoleMessage) -> None:
        if message.type != "error":
            return
        failed = _FAILED_RESOURCE.search(message.text)
        url = str(message.location.get("url", ""))
        if failed and self._is_expected(int(failed.group(1)), url):
            return
        self.seen.append(f"console error: {message.text} ({url})")

    def on_page_error(self, error: PlaywrightError) -> None:
        self.seen.append(f"page error: {error.message}")

    def on_request_failed(self, request: Request) -> None:
        if self.closing:
            return
        # A read still loading when the walk moves on (a script chunk, a page's GET) is
        # cancelled by the navigation (net::ERR_ABORTED): the browser's doing, not the app's;
        # the app's own failures are answers (``on_response``) or other network errors.
        if request.failure == "net::ERR_ABORTED" and request.method == "GET":
            return
        self.seen.append(f"request failed: {request.method} {request.url}: {request.failure}")

    def watch(self, page: Page) -> None:
        page.on("response", self.on_response)
        page.on("console", self.on_console)
        page.on("pageerror", self.on_page_error)
        page.on("requestfailed", self.on_request_failed)

    def report(self) -> str:
        return "the page had problems:\n" + "\n".join(f"  - {line}" for line in self.seen)


def settle(page: Page, timeout: float = 15_000) -> None:
    """Wait until the page has loaded what it asked for: no request in flight and no loading
    state (``PageState``'s skeleton, ``aria-busy``) left."""
    page.wait_for_load_state("networkidle", timeout=timeout)
    page.locator("[data-testid=page-loading], [aria-busy=true]").first.wait_for(
        state="detached", timeout=timeout
    )


def login(page: Page, server: LiveServer, email: str, password: str = DEMO_PASSWORD) -> None:
    """Log in through the login page (from wherever the page is) and wait until it has left it."""
    if "/login" not in page.url:
        page.goto(f"{server.url}/login")
    page.fill("[data-testid=login-email]", email)
    page.fill("[data-testid=login-password]", password)
    page.click("[data-testid=login-submit]")
    page.wait_for_url(lambda url: "/login" not in url)
    settle(page)


def path_of(page: Page) -> str:
    """The page's path and query (``/login?next=…``)."""
    url = page.url
    return url[url.index("/", url.index("//") + 2) :]


def _impact_list(violations: list[dict[str, Any]]) -> str:
    lines = []
    for v in violations:
        lines.append(f"  - {v['id']} ({v['impact']}): {v['help']} [{v['helpUrl']}]")
        for node in v["nodes"][:8]:
            target = " ".join(str(t) for t in node.get("target", []))
            summary = " ".join(str(node.get("failureSummary", "")).split())
            lines.append(f"      {target}: {summary[:300]}")
        if len(v["nodes"]) > 8:
            lines.append(f"      … and {len(v['nodes']) - 8} more elements")
    return "\n".join(lines)


# Waits (at most 2 s) for every finite CSS transition or animation on the page to end.
_FINISH_ANIMATIONS = """() => Promise.race([
  Promise.all(document.getAnimations()
    .filter((a) => a.effect && a.effect.getTiming().iterations !== Infinity)
    .map((a) => a.finished.catch(() => null))),
  new Promise((resolve) => setTimeout(resolve, 2000)),
])"""


def check_accessibility(page: Page, where: str = "") -> None:
    """Run axe-core on the page as it is now; fail on any serious or critical violation, with a
    readable list (rule, impact, help link, the elements and what to fix). Transitions still
    running (an alert fading in) finish first: half-faded text fails contrast for a moment."""
    page.evaluate(_FINISH_ANIMATIONS)
    results = Axe().run(page)
    violations = [
        v for v in results.response["violations"] if v.get("impact") in {"serious", "critical"}
    ]
    if violations:
        raise AssertionError(
            f"axe-core found {len(violations)} serious or critical violations on "
            f"{where or path_of(page)}:\n{_impact_list(violations)}"
        )


@contextmanager
def viewport_width(page: Page, width: int) -> Iterator[None]:
    """The page at ``width`` px (layout settled) for the block, then as it was."""
    before = page.viewport_size or {"width": WIDE, "height": HEIGHT}
    page.set_viewport_size({"width": width, "height": HEIGHT})
    page.wait_for_timeout(150)  # media queries and Element Plus's resize observers
    try:
        yield
    finally:
        page.set_viewport_size(before)


def photograph(page: Page, name: str, *, fits: bool = False) -> None:
    """The page settled, axe-core at both widths (with ``fits``, also nothing wider than the
    screen), then its screenshots: what every walk does on each page it reaches."""
    settle(page)
    for width in WIDTHS:
        with viewport_width(page, width):
            check_accessibility(page, f"{name} at {width} px")
            if fits:
                overflow = page.evaluate("document.documentElement.scrollWidth") - width
                assert overflow <= 0, f"{name} is {overflow} px wider than {width} px"
    screenshot(page, name)


def screenshot(page: Page, name: str, widths: tuple[int, ...] = WIDTHS) -> list[Path]:
    """Full-page PNGs of the page at each width, ``test-artifacts/screenshots/<name>-<w>.png``."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    safe = re.sub(r"[^A-Za-z0-9_.-]+", "-", name).strip("-")
    paths = []
    for width in widths:
        with viewport_width(page, width):
            path = SCREENSHOTS / f"{safe}-{width}.png"
            page.screenshot(path=str(path), full_page=True)
            paths.append(path)
    return paths
