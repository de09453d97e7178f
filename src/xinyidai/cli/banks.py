"""``xinyidai banks``: the banks (金融机构) on the platform."""

from __future__ import annotations

from typing import Any

import click

from xinyidai.cli.common import in_session, load_settings
from xinyidai.infra.engines import engines


@click.group("banks")
def banks_group() -> None:
    """Banks (金融机构)."""


@banks_group.command("create")
@click.option("--name", required=True)
@click.option("--code", "short_code", required=True, help="Short code, e.g. ICBC_GZ.")
@click.option("--api-url", default=None, help="Base URL of the bank's API.")
@click.option("--contact-name", default=None)
@click.option("--contact-email", default=None)
@click.option("--contact-phone", default=None)
def create_bank(
    name: str,
    short_code: str,
    api_url: str | None,
    contact_name: str | None,
    contact_email: str | None,
    contact_phone: str | None,
) -> None:
    """Add a bank."""
    from xinyidai.domain.banks.services import BankService

    async def work(session: Any, _: Any) -> str:
        bank = await BankService(session).create(
            name=name,
            short_code=short_code,
            api_base_url=api_url,
            contact_name=contact_name,
            contact_email=contact_email,
            contact_phone=contact_phone,
        )
        return str(bank.id)

    with engines(load_settings(), need_redis=False) as settings:
        click.echo(in_session(settings, work))
