"""The API serves the built portals at ``/``, with a history fallback for the app's own paths."""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING

import pytest
from litestar.testing import AsyncTestClient

from xinyidai.app import create_app

if TYPE_CHECKING:
    from collections.abc import AsyncIterator
    from pathlib import Path

    from litestar import Litestar

    from xinyidai.settings import Settings

INDEX = (
    '<!doctype html><html><body><div id="app"></div>'
    '<script src="/assets/app-1a2b.js"></script></body></html>'
)


@pytest.fixture
def built(tmp_path: Path) -> Path:
    (tmp_path / "assets").mkdir()
    (tmp_path / "index.html").write_text(INDEX, encoding="utf-8")
    (tmp_path / "assets" / "app-1a2b.js").write_text("console.log('portal')", encoding="utf-8")
    return tmp_path


@pytest.fixture
async def portal(settings: Settings, built: Path) -> AsyncIterator[AsyncTestClient[Litestar]]:
    app = create_app(replace(settings, portal_dir=built))
    async with AsyncTestClient(app=app, base_url="https://testserver.local") as client:
        yield client


async def test_the_root_serves_the_app_and_asks_browsers_to_revalidate_it(
    portal: AsyncTestClient[Litestar],
) -> None:
    response = await portal.get("/")
    assert response.status_code == 200
    assert response.text == INDEX
    assert response.headers["content-type"].startswith("text/html")
    assert response.headers["cache-control"] == "no-cache"


@pytest.mark.parametrize("path", ["/login", "/sme/records", "/office/imports/42?tab=rejects"])
async def test_the_apps_own_paths_fall_back_to_the_app(
    portal: AsyncTestClient[Litestar], path: str
) -> None:
    response = await portal.get(path)
    assert response.status_code == 200
    assert response.text == INDEX


async def test_hashed_assets_are_cached_for_a_year(portal: AsyncTestClient[Litestar]) -> None:
    response = await portal.get("/assets/app-1a2b.js")
    assert response.status_code == 200
    assert response.text == "console.log('portal')"
    assert response.headers["cache-control"] == "public, max-age=31536000, immutable"


@pytest.mark.parametrize(
    "path", ["/api/v1/nothing", "/assets/missing.js", "/health/nothing", "/openapi/v1/x"]
)
async def test_misses_under_the_api_and_assets_stay_problems(
    portal: AsyncTestClient[Litestar], path: str
) -> None:
    response = await portal.get(path)
    assert response.status_code == 404
    assert response.headers["content-type"].startswith("application/problem+json")


async def test_only_reads_fall_back_to_the_app(portal: AsyncTestClient[Litestar]) -> None:
    response = await portal.post("/sme/records", json={})
    assert response.status_code in {404, 405}
    assert response.headers["content-type"].startswith("application/problem+json")


async def test_without_a_build_the_root_says_how_to_build_it(
    settings: Settings, tmp_path: Path
) -> None:
    app = create_app(replace(settings, portal_dir=tmp_path / "absent"))
    async with AsyncTestClient(app=app) as client:
        response = await client.get("/")
    assert response.status_code == 200
    assert "make run" in response.text
    assert 'href="/schema"' in response.text
