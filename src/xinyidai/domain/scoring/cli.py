"""``xinyidai model …`` (the registry) and ``xinyidai score all`` (the batch).

The offline commands, ``model train`` and ``model evaluate``, live in ``xinyidai.ml.cli`` and
join ``model_group`` from the root command (``xinyidai/cli.py``), so that the serving side never
imports the training code.
"""

from __future__ import annotations

import getpass
from pathlib import Path
from typing import Any

import click
from rich.console import Console
from rich.markup import escape
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)
from rich.table import Table

from xinyidai.infra.engines import engines


def _actor(actor: str | None) -> str:
    if actor:
        return actor
    try:
        return f"cli:{getpass.getuser()}"
    except (KeyError, OSError):  # no user name in this environment
        return "cli"


@click.group("model")
def model_group() -> None:
    """Scoring models: register a bundle, activate a version, list them."""


@model_group.command("register")
@click.argument(
    "directory", type=click.Path(exists=True, file_okay=False, path_type=Path), metavar="DIR"
)
@click.option("--actor", default=None, help="Who registers it (default: cli:<user>).")
def register_command(directory: Path, actor: str | None) -> None:
    """Store the bundle in DIR (model.txt + manifest.json) in the registry.

    Refused when its feature hash differs from this code's. Registering a version again with
    the same bytes does nothing; with other bytes it is refused."""
    from xinyidai.cli import _in_session, _settings
    from xinyidai.domain.scoring import registry

    async def work(session: Any, _: Any) -> Any:
        return await registry.register(session, directory, _actor(actor))

    with engines(_settings(), need_redis=False) as settings:
        outcome = _in_session(settings, work)
    if outcome.created:
        click.echo(f"registered {outcome.version}")
    else:
        click.echo(f"{outcome.version} is already registered with these bytes; nothing changed")


@model_group.command("activate")
@click.argument("version")
@click.option("--reason", default="", help="Why (kept in the audit trail).")
@click.option("--actor", default=None, help="Who activates it (default: cli:<user>).")
def activate_command(version: str, reason: str, actor: str | None) -> None:
    """Make VERSION the active scoring model (audited).

    New snapshots are scored with it at once; the others by the nightly batch or
    `xinyidai score all`."""
    from xinyidai.cli import _in_session, _settings
    from xinyidai.domain.scoring import registry

    async def work(session: Any, _: Any) -> Any:
        return await registry.activate(session, version, _actor(actor), reason)

    with engines(_settings(), need_redis=False) as settings:
        activation = _in_session(settings, work)
    previous = activation.previous_version or "none"
    click.echo(f"active model: {activation.version} (was {previous})")


@model_group.command("list")
def list_command() -> None:
    """Registered versions, the active one, and the activation history."""
    from xinyidai.cli import _in_session, _settings
    from xinyidai.domain.scoring import registry

    async def work(session: Any, _: Any) -> Any:
        return await registry.overview(session)

    with engines(_settings(), need_redis=False) as settings:
        models = _in_session(settings, work)
    out = Console()
    table = Table(title="scoring models")
    for column in ("version", "active", "registered", "by", "training window", "OOT AUC", "code"):
        table.add_column(column)
    for v in models.versions:
        window = v.training_window or {}
        auc = (v.metrics.get("oot") or {}).get("auc")
        table.add_row(
            escape(v.version),
            "●" if v.active else "",
            v.registered_at.strftime("%Y-%m-%d %H:%M"),
            escape(v.registered_by),
            f"{window.get('first', '?')} … {window.get('last', '?')}" if window else "",
            f"{auc:.3f}" if isinstance(auc, int | float) else "",
            "ok" if v.compatible else "[red]other feature code[/]",
        )
    out.print(table)
    if models.activations:
        history = Table(title="activations")
        for column in ("at", "version", "previous", "by", "reason"):
            history.add_column(column)
        for a in models.activations:
            history.add_row(
                a.at.strftime("%Y-%m-%d %H:%M:%S"),
                escape(a.version),
                escape(a.previous_version or ""),
                escape(a.actor),
                escape(a.reason),
            )
        out.print(history)
    elif not models.versions:
        out.print("no models registered")


# `model train` and `model evaluate` (xinyidai.ml.cli) are added to model_group in xinyidai/cli.py.


@click.group("score")
def score_group() -> None:
    """Scoring runs."""


def run_batch(
    settings: Any, *, batch_size: int, recompute: bool, processes: int = 0, quiet: bool = False
) -> Any:
    """Score the latest snapshot of every enterprise with the active model, with a progress
    bar on stderr; returns the ``BatchReport``."""
    import asyncio

    from xinyidai.domain.scoring.services import score_all
    from xinyidai.infra.db import create_engine, session_factory

    progress = Progress(
        TextColumn("[bold]scoring[/]"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("SMEs"),
        TimeElapsedColumn(),
        TimeRemainingColumn(),
        console=Console(stderr=True),
        transient=quiet,
    )
    task = progress.add_task("score", total=None)

    async def go() -> Any:
        assert settings.database_url
        engine = create_engine(settings, settings.database_url)
        try:
            return await score_all(
                session_factory(engine),
                batch_size=batch_size,
                recompute=recompute,
                processes=processes,
                on_start=lambda total: progress.update(task, total=total),
                on_progress=lambda done: progress.update(task, completed=done),
            )
        finally:
            await engine.dispose()

    with progress:
        return asyncio.run(go())


@score_group.command("all")
@click.option("--batch-size", default=2000, show_default=True, help="Snapshots per chunk.")
@click.option(
    "--recompute",
    is_flag=True,
    help="Score snapshots the active model already scored again (stored scores stay).",
)
@click.option(
    "--processes",
    default=0,
    show_default=True,
    help="Worker processes that score chunks in parallel (0: one thread of this process).",
)
def score_all_command(batch_size: int, recompute: bool, processes: int) -> None:
    """Score the latest snapshot of every enterprise with the active model.

    Snapshots the active model already scored are skipped (a score of a snapshot by a model
    never changes). The nightly job runs the same batch."""
    from xinyidai.cli import _settings

    if batch_size < 1:
        raise click.BadParameter("must be at least 1", param_hint="--batch-size")
    if processes < 0:
        raise click.BadParameter("must be 0 or more", param_hint="--processes")
    with engines(_settings(), need_redis=False) as settings:
        report = run_batch(
            settings, batch_size=batch_size, recompute=recompute, processes=processes
        )
    if report.model_version is None:
        raise click.ClickException(
            "no scoring model is active; `xinyidai model register DIR` and "
            "`xinyidai model activate VERSION` first"
        )
    click.echo(
        f"model {report.model_version}: {report.enterprises:,} SMEs, {report.scored:,} new "
        f"scores, {report.unchanged:,} already scored, {report.seconds:.1f} s "
        f"({report.rate:,.0f} SMEs/s)"
    )
