"""``xinyidai serve``: the web processes. Granian runs N worker processes of the ASGI app, each
building the app from the environment (``create_app_from_env``); the job workers are separate
processes (``xinyidai worker``). ``xinyidai run`` serves through the same ``serve_app``."""

from __future__ import annotations

import dataclasses
import multiprocessing
import os
from collections.abc import Callable, Mapping
from enum import Enum
from typing import Any, TypeVar

import click

from xinyidai.cli.common import configure_logging, console, load_settings
from xinyidai.settings import Settings

APP_FACTORY = "xinyidai.app:create_app_from_env"
WORKERS_ENV = "WEB_CONCURRENCY"  # the conventional name (Heroku, gunicorn, uvicorn)


F = TypeVar("F", bound=Callable[..., Any])


def server_options(command: F) -> F:
    """``--host``, ``--port`` and ``--workers``: how ``serve`` and ``run`` listen."""
    for option in reversed(
        (
            click.option(
                "--host", default=None, help="Address to bind (default: HOST or 127.0.0.1)."
            ),
            click.option("--port", default=None, type=int, help="Port (default: PORT or 8000)."),
            click.option(
                "--workers",
                "-w",
                default=1,
                show_default=True,
                envvar=WORKERS_ENV,
                type=click.IntRange(1, 64),
                help=f"Web worker processes ({WORKERS_ENV}), all on the same database and "
                "Redis; one per CPU is the usual choice.",
            ),
        )
    ):
        command = option(command)
    return command


@click.command("serve")
@server_options
def serve(host: str | None, port: int | None, workers: int) -> None:
    """Serve the API with N worker processes (production; run `xinyidai worker` beside it)."""
    settings = load_settings()
    if not settings.database_url or not settings.redis_url:
        raise click.ClickException(
            "serve needs DATABASE_URL and REDIS_URL (`xinyidai run` starts embedded engines)"
        )
    configure_logging(settings)
    serve_app(settings, host or settings.host, port or settings.port, workers)


def serve_app(settings: Settings, host: str, port: int, workers: int) -> None:
    """Run the app under Granian with ``workers`` processes until SIGINT or SIGTERM.

    Each worker builds its app from the environment: whatever ``settings`` holds that the
    environment does not (the embedded engines' and sandboxes' URLs ``xinyidai run`` started)
    is exported first, so that every process reaches the same PostgreSQL, Redis and sandboxes.
    Nothing else is shared between the workers: sessions, throttles and job state live in Redis
    and PostgreSQL (README, "Serving")."""
    from granian.constants import Interfaces, Loops
    from granian.log import LogLevels
    from granian.server import Server

    os.environ.update(environment_for(settings, os.environ))
    # Workers start from a fresh interpreter, never a fork: `xinyidai run` has trained and
    # scored with LightGBM by now, and OpenMP's thread pool does not survive a fork.
    multiprocessing.set_start_method("spawn", force=True)
    server = Server(
        APP_FACTORY,
        factory=True,
        interface=Interfaces.ASGI,
        address=host,
        port=port,
        workers=workers,
        loop=Loops.uvloop,
        websockets=False,
        log_access=False,
        log_level=LogLevels.warning,
        # A worker that dies is started again (its sockets and pools are its own).
        respawn_failed_workers=True,
    )
    server.serve()


def environment_for(settings: Settings, environ: Mapping[str, str]) -> dict[str, str]:
    """The environment variables that make ``Settings.from_env`` in a child process give
    ``settings``: each setting whose value differs from what ``environ`` yields."""
    current = Settings.from_env(environ)
    exported = {}
    for field in dataclasses.fields(Settings):
        value = getattr(settings, field.name)
        if value is None or value == getattr(current, field.name):
            continue
        exported[field.metadata["env"]] = _text(value)
    return exported


def _text(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, Enum):
        return str(value.value)
    return str(value)


def announce(host: str, port: int, workers: int) -> None:
    console.print(
        f"[bold green]serving[/] http://{host}:{port}  (API docs: http://{host}:{port}/schema, "
        f"{workers} web worker process{'es' if workers > 1 else ''}) — Ctrl-C stops"
    )
