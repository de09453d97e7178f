"""The web portals: the built single-page app in ``frontend/dist``, served from ``/``.

``/assets/…`` are Vite's content-hashed files, cached for a year. Every other ``GET`` that no
route answers and that is not an API, schema, health or metrics path gets ``index.html`` (the
app's router takes it from there): a reload or a shared link to ``/sme/records`` works. When
the app has not been built, ``/`` says how to build it and links the API documentation.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from litestar import MediaType, Request, Response, get
from litestar.static_files import create_static_files_router
from litestar.types import ControllerRouterHandler

from xinyidai.infra.http import problem_handler

# Paths that are never the app's: a miss there is a problem document, not the portal.
RESERVED_PREFIXES = (
    "/api/",
    "/openapi/",
    "/oauth/",
    "/schema",
    "/health/",
    "/metrics",
    "/.well-known/",
    "/assets/",
)
_INDEX_CACHE = "no-cache"  # revalidate: a new build must reach browsers at once
_ASSET_CACHE = 365 * 24 * 3600

_NOT_BUILT = """<!doctype html>
<html lang="zh-CN"><head><meta charset="utf-8"><title>信易贷 Xinyidai</title>
<meta name="viewport" content="width=device-width,initial-scale=1">
<style>body{font-family:system-ui,"PingFang SC","Microsoft YaHei",sans-serif;max-width:44rem;
margin:3rem auto;padding:0 1rem;color:#1f2d3d}h1{color:#b03a2e}a{color:#1d5fa8}
code{background:#f2f4f7;padding:.1rem .3rem}</style></head><body>
<h1>信易贷 · Xinyidai</h1>
<p>门户尚未构建。The portals have not been built: run <code>make run</code>
(or <code>npm ci &amp;&amp; npm run build</code> in <code>frontend/</code>).</p>
<ul>
<li><a href="/schema">API 文档 / API documentation</a> (<code>/schema/openapi.json</code>)</li>
<li><a href="/health/ready">就绪检查 / readiness</a></li>
</ul>
</body></html>"""


class Portal:
    """Where the built app lives, and the handlers that serve it."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self.index = directory / "index.html"
        self._cached: tuple[int, bytes] | None = None  # (mtime_ns, content) of index.html

    def _index_bytes(self) -> bytes | None:
        """index.html, read again only when a new build replaced it (one stat per request)."""
        try:
            mtime = self.index.stat().st_mtime_ns
        except FileNotFoundError:
            return None
        if self._cached is None or self._cached[0] != mtime:
            self._cached = (mtime, self.index.read_bytes())
        return self._cached[1]

    @property
    def built(self) -> bool:
        return self.index.is_file()

    def page(self) -> Response[bytes]:
        content = self._index_bytes()
        return Response(
            _NOT_BUILT.encode() if content is None else content,
            media_type=MediaType.HTML,
            headers={"cache-control": _INDEX_CACHE},
        )

    def route_handlers(self) -> list[ControllerRouterHandler]:
        portal = self

        @get("/", include_in_schema=False, sync_to_thread=False)
        def index() -> Response[bytes]:
            return portal.page()

        handlers: list[ControllerRouterHandler] = [index]
        assets = self.directory / "assets"
        handlers.append(
            create_static_files_router(
                path="/assets",
                directories=[assets],
                include_in_schema=False,
                send_as_attachment=False,
                name="portal-assets",
                after_request=_immutable,
            )
        )
        return handlers

    def not_found(self, request: Request[Any, Any, Any], exc: Exception) -> Response[Any]:
        """App-level handler of 404s: the app's own paths get the app, the rest a problem."""
        if self.built and _is_app_path(request):
            return self.page()
        return problem_handler(request, exc)


def _is_app_path(request: Request[Any, Any, Any]) -> bool:
    path = request.url.path
    return request.method in {"GET", "HEAD"} and not path.startswith(RESERVED_PREFIXES)


async def _immutable(response: Response[Any]) -> Response[Any]:
    if response.status_code == 200:
        response.headers["cache-control"] = f"public, max-age={_ASSET_CACHE}, immutable"
    return response


__all__ = ["RESERVED_PREFIXES", "Portal"]
