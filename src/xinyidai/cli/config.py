"""``xinyidai config``: the configuration."""

from __future__ import annotations

import click

from xinyidai.settings import settings_table


@click.group("config")
def config_group() -> None:
    """Configuration."""


@config_group.command("docs")
def config_docs() -> None:
    """Print the configuration table (Markdown) that the README carries."""
    click.echo(settings_table())
