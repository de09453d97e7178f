"""What the command groups share: the settings, one transaction, logging, the sandboxes."""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
from collections.abc import Awaitable, Callable, Iterator
from typing import TypeVar

import click
from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)

from xinyidai.infra.errors import DomainError
from xinyidai.settings import Settings, SettingsError

T = TypeVar("T")

console = Console(stderr=True)
"""Progress and status lines go to stderr; stdout carries only what a script may read."""


def progress_bar(label: str, unit: str, *, transient: bool) -> Progress:
    """A progress bar on stderr: ``label``, bar, done/total ``unit``, elapsed and remaining time."""
    return Progress(
        TextColumn(label),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn(unit),
        TimeElapsedColumn(),
        TimeRemainingColumn(),
        console=console,
        transient=transient,
    )


def load_settings() -> Settings:
    """The settings from the environment; a setting in error ends the command with its message."""
    try:
        return Settings.from_env()
    except SettingsError as exc:
        raise click.ClickException(str(exc)) from exc


def in_session(settings: Settings, work: Callable[..., Awaitable[T]], *, redis: bool = False) -> T:
    """Run ``work(session, redis)`` in one transaction, committed only if it succeeds (and
    then its after-commit actions run, as for a request).

    ``redis`` is a client when asked for and configured, else ``None``. A domain error ends the
    command with its detail."""

    async def go() -> T:
        from xinyidai.infra.db import create_engine, session_factory, unit_of_work
        from xinyidai.infra.redis import create_redis

        assert settings.database_url
        engine = create_engine(settings, settings.database_url)
        client = create_redis(settings.redis_url) if redis and settings.redis_url else None
        try:
            async with unit_of_work(session_factory(engine)) as session:
                return await work(session, client)
        finally:
            if client is not None:
                await client.aclose()
            await engine.dispose()

    try:
        return asyncio.run(go())
    except DomainError as exc:
        raise click.ClickException(exc.detail) from exc


def configure_logging(settings: Settings) -> None:
    """Structured logs at ``LOG_LEVEL`` (JSON when ``JSON_LOGS``)."""
    from xinyidai.infra.logging import configure_logging as configure

    configure(settings.log_level, json=settings.json_logs)


@contextlib.contextmanager
def provider_or_sandbox(settings: Settings) -> Iterator[Settings]:
    """Settings naming a data provider: the configured one, or the sandbox started here."""
    if settings.provider_url:
        yield settings
        return
    from xinyidai.infra.signing import Signer
    from xinyidai.sandbox.process import sandbox_provider

    with sandbox_provider(
        settings.sandbox_port,
        seed=settings.simulation_seed,
        client_id=settings.provider_client_id,
        client_secret=settings.provider_client_secret,
        platform_jwks=Signer.from_settings(settings).jwks(),  # it checks our receipts with it
    ) as url:
        console.print(f"[bold]sandbox data provider[/] {url}")
        yield dataclasses.replace(settings, provider_url=url)


@contextlib.contextmanager
def identity_or_sandbox(settings: Settings) -> Iterator[Settings]:
    """Settings naming an identity service: the configured one, or the sandbox started here."""
    if settings.identity_url:
        yield settings
        return
    from xinyidai.sandbox.process import sandbox_identity

    port = settings.identity_sandbox_port
    with sandbox_identity(
        port,
        issuer=f"http://127.0.0.1:{port}",
        client_id=settings.identity_client_id,
        client_secret=settings.identity_client_secret,
        redirect_uris=[settings.identity_redirect_uri],
        seed=settings.simulation_seed,
    ) as url:
        console.print(f"[bold]sandbox identity service[/] {url}")
        yield dataclasses.replace(settings, identity_url=url)
