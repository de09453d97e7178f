"""The baseline: a bare Litestar hello-world with the app's liveness route and nothing else.

Served by the same uvicorn command line as the platform app, so a ratio against it measures
what the platform's own layers (middleware, logging, metrics, plugins) cost per request.
"""

from __future__ import annotations

from litestar import Litestar, get


@get("/health/live")
async def live() -> dict[str, str]:
    return {"status": "ok"}


app = Litestar(route_handlers=[live])


def create_app() -> Litestar:
    """Factory, so that uvicorn runs with ``--factory`` exactly as for the platform app."""
    return app
