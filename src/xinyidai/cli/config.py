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


@config_group.command("openapi")
@click.option(
    "--out",
    type=click.Path(dir_okay=False, writable=True),
    default=None,
    help="Write here instead of standard output",
)
def config_openapi(out: str | None) -> None:
    """Print the OpenAPI document the portals' API client is generated from."""
    from pathlib import Path

    from xinyidai.app import openapi_document

    text = openapi_document()
    if out is None:
        click.echo(text)
    else:
        Path(out).write_text(text + "\n", encoding="utf-8")
