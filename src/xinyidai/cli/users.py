"""``xinyidai users``: platform users (bank, office and admin users are only made here)."""

from __future__ import annotations

from typing import Any

import click

from xinyidai.cli.common import in_session, load_settings
from xinyidai.infra.engines import engines


@click.group("users")
def users_group() -> None:
    """Platform users."""


@users_group.command("create")
@click.option("--role", type=click.Choice(["sme", "bank", "office", "admin"]), required=True)
@click.option("--org", default=None, help="Enterprise USCC (sme) or bank short code (bank).")
@click.option("--email", required=True)
@click.option("--name", "display_name", default="", help="Display name.")
@click.option(
    "--password",
    prompt=True,
    hide_input=True,
    confirmation_prompt=True,
    envvar="XINYIDAI_NEW_PASSWORD",
    show_envvar=True,
)
def create_user(role: str, org: str | None, email: str, display_name: str, password: str) -> None:
    """Create a user; bank, office and admin users are only made here."""
    from xinyidai.domain.accounts.services import AccountService
    from xinyidai.infra.crypto import FieldCipher
    from xinyidai.models import Role

    with engines(load_settings(), need_redis=False) as settings:

        async def work(session: Any, redis: Any) -> str:
            cipher = FieldCipher(settings.data_key_bytes)
            user = await AccountService(session, redis, settings, cipher).create_user(
                email=email, password=password, display_name=display_name, role=Role(role), org=org
            )
            return str(user.id)

        user_id = in_session(settings, work)
    click.echo(user_id)


def _set_active(email: str, *, active: bool) -> None:
    from xinyidai.domain.accounts.services import AccountService
    from xinyidai.infra.crypto import FieldCipher

    with engines(load_settings(), need_redis=True) as settings:

        async def work(session: Any, redis: Any) -> str:
            cipher = FieldCipher(settings.data_key_bytes)
            user = await AccountService(session, redis, settings, cipher).set_active(
                email, active=active
            )
            return str(user.id)

        user_id = in_session(settings, work, redis=True)
    click.echo(user_id)


@users_group.command("deactivate")
@click.argument("email")
def deactivate_user(email: str) -> None:
    """Deactivate a user: their sessions end at once and they can no longer log in."""
    _set_active(email, active=False)


@users_group.command("activate")
@click.argument("email")
def activate_user(email: str) -> None:
    """Let a deactivated user log in again."""
    _set_active(email, active=True)
