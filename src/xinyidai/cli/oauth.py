"""``xinyidai oauth``: the authorisation server's keys."""

from __future__ import annotations

import datetime as dt
from typing import Any

import click

from xinyidai.cli.common import in_session, load_settings
from xinyidai.infra.engines import engines


@click.group("oauth")
def oauth_group() -> None:
    """The OAuth authorisation server for banks."""


@oauth_group.command("rotate-key")
def rotate_key() -> None:
    """Make a new access-token signing key; the old one stays published until every token it
    signed has expired."""
    from xinyidai.domain.oauth import keys
    from xinyidai.infra.crypto import FieldCipher

    with engines(load_settings(), need_redis=False) as settings:
        cipher = FieldCipher(settings.data_key_bytes)
        # Tokens live at most OAUTH_TOKEN_SECONDS; processes may sign with the old key for
        # up to a key-ring refresh after the rotation.
        keep = dt.timedelta(seconds=settings.oauth_token_seconds + keys.REFRESH_SECONDS + 60)

        async def work(session: Any, _: Any) -> tuple[str, list[str]]:
            return await keys.rotate(session, cipher, keep_old_for=keep)

        new, retired = in_session(settings, work)
        click.echo(f"signing with {new}")
        for kid in retired:
            click.echo(f"retired {kid}: published for {int(keep.total_seconds())} s more")
