"""``xinyidai model``: the registry of scoring models (register, activate, list).

The offline commands, ``model train`` and ``model evaluate``, belong to the ML project and join
this group as plugins (``xinyidai.cli.plugins``), so that the serving side never imports the
training code.
"""

from __future__ import annotations

import getpass
from pathlib import Path
from typing import Any

import click
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from xinyidai.cli.common import in_session, load_settings
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
    from xinyidai.domain.scoring import registry

    async def work(session: Any, _: Any) -> Any:
        return await registry.register(session, directory, _actor(actor))

    with engines(load_settings(), need_redis=False) as settings:
        outcome = in_session(settings, work)
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
    from xinyidai.domain.scoring import registry

    async def work(session: Any, _: Any) -> Any:
        return await registry.activate(session, version, _actor(actor), reason)

    with engines(load_settings(), need_redis=False) as settings:
        activation = in_session(settings, work)
    previous = activation.previous_version or "none"
    click.echo(f"active model: {activation.version} (was {previous})")


@model_group.command("list")
def list_command() -> None:
    """Registered versions, the active one, and the activation history."""
    from xinyidai.domain.scoring import registry

    async def work(session: Any, _: Any) -> Any:
        return await registry.overview(session)

    with engines(load_settings(), need_redis=False) as settings:
        models = in_session(settings, work)
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
