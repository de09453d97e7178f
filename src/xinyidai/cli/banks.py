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


@banks_group.command("create-client")
@click.argument("bank_code")
@click.option(
    "--jwks",
    "jwks_file",
    type=click.Path(exists=True, dir_okay=False),
    default=None,
    help="The client's public keys (a JWK Set file) for private_key_jwt.",
)
@click.option(
    "--redirect-uri",
    "redirect_uris",
    multiple=True,
    help="A redirect URI of the bank's site (repeat for more); enables the code flow.",
)
@click.option("--name", default=None, help="A name for the client (default: the bank's).")
@click.option(
    "--secret",
    "with_secret",
    is_flag=True,
    help="client_secret_basic instead of keys (only where OAUTH_ALLOW_SECRETS allows it).",
)
def create_client(
    bank_code: str,
    jwks_file: str | None,
    redirect_uris: tuple[str, ...],
    name: str | None,
    with_secret: bool,
) -> None:
    """Register an OAuth client for the bank BANK_CODE; prints it as JSON."""
    import json
    from pathlib import Path

    from xinyidai.domain.oauth.clients import ClientService

    if with_secret == (jwks_file is not None):
        raise click.UsageError("give either --jwks FILE (private_key_jwt) or --secret")
    try:
        jwks = json.loads(Path(jwks_file).read_text()) if jwks_file else None
    except ValueError as exc:
        raise click.UsageError(f"--jwks: not JSON ({exc})") from None

    with engines(load_settings(), need_redis=False) as settings:
        if with_secret and not settings.oauth_allow_secrets:
            raise click.UsageError("client secrets need OAUTH_ALLOW_SECRETS=true (development)")

        async def work(session: Any, _: Any) -> dict[str, Any]:
            registered = await ClientService(session).create(
                bank_code,
                jwks=jwks,
                redirect_uris=list(redirect_uris),
                name=name,
                with_secret=with_secret,
                allow_http_loopback=settings.is_development or settings.env.value == "test",
            )
            client = registered.client
            out: dict[str, Any] = {
                "client_id": client.client_id,
                "bank_id": str(client.bank_id),
                "name": client.name,
                "token_endpoint_auth_method": client.auth_method,
                "grant_types": list(client.grant_types),
                "redirect_uris": list(client.redirect_uris),
                "scope": " ".join(client.scopes),
                "jwks": client.jwks,
                "token_endpoint": f"{settings.issuer}/oauth/token",
            }
            if registered.secret:
                out["client_secret"] = registered.secret
            return out

        click.echo(json.dumps(in_session(settings, work), ensure_ascii=False, indent=2))


# --- a bank's intake (issue 16): where the relay delivers its applications ----------------------
@banks_group.group("intake")
def intake_group() -> None:
    """Where the platform delivers a bank's applications (its intake)."""


async def _bank_id(session: Any, bank_code: str) -> Any:
    from sqlalchemy import select

    from xinyidai.models import Bank

    bank_id = await session.scalar(select(Bank.id).where(Bank.short_code == bank_code))
    if bank_id is None:
        raise click.ClickException(f"no bank with the code {bank_code}")
    return bank_id


def _intakes(session: Any, settings: Any) -> Any:
    from xinyidai.domain.applications.intakes import BankIntakes
    from xinyidai.infra.crypto import FieldCipher
    from xinyidai.infra.destinations import DestinationPolicy

    return BankIntakes(
        session, FieldCipher(settings.data_key_bytes), DestinationPolicy.from_settings(settings)
    )


@intake_group.command("set")
@click.argument("bank_code")
@click.option("--intake-url", required=True, help="Where applications are POSTed.")
@click.option("--token-url", required=True, help="The bank's OAuth token endpoint.")
@click.option("--client-id", required=True, help="The platform's client at the bank.")
@click.option(
    "--client-secret",
    default=None,
    help="Its secret (asked for when left out and the intake is new; kept when it exists).",
)
@click.option("--scope", default=None, help="The scope to ask the token for, if any.")
def set_intake(
    bank_code: str,
    intake_url: str,
    token_url: str,
    client_id: str,
    client_secret: str | None,
    scope: str | None,
) -> None:
    """Set the intake of the bank BANK_CODE (URLs checked as bank webhook URLs are); prints it
    as JSON, without the secret."""
    import json

    import msgspec

    from xinyidai.domain.applications.relay_schemas import IntakeIn

    with engines(load_settings(), need_redis=False) as settings:

        async def work(session: Any, _: Any) -> dict[str, Any]:
            from xinyidai.domain.applications.intakes import intake_of

            bank_id = await _bank_id(session, bank_code)
            secret = client_secret
            if secret is None and await intake_of(session, bank_id) is None:
                secret = click.prompt("client secret", hide_input=True)
            data = IntakeIn(
                intake_url=intake_url,
                token_url=token_url,
                client_id=client_id,
                client_secret=secret,
                scope=scope,
            )
            out = await _intakes(session, settings).configure(bank_id, data)
            result: dict[str, Any] = msgspec.to_builtins(out)
            return result

        click.echo(json.dumps(in_session(settings, work), ensure_ascii=False, indent=2))


@intake_group.command("show")
@click.argument("bank_code")
def show_intake(bank_code: str) -> None:
    """Print the intake of the bank BANK_CODE as JSON (null when it polls)."""
    import json

    import msgspec

    with engines(load_settings(), need_redis=False) as settings:

        async def work(session: Any, _: Any) -> Any:
            from xinyidai.domain.applications.intakes import intake_of, intake_out

            intake = await intake_of(session, await _bank_id(session, bank_code))
            return None if intake is None else msgspec.to_builtins(intake_out(intake))

        click.echo(json.dumps(in_session(settings, work), ensure_ascii=False, indent=2))


@intake_group.command("remove")
@click.argument("bank_code")
def remove_intake(bank_code: str) -> None:
    """Remove the intake of the bank BANK_CODE: it polls for its applications from now on."""
    with engines(load_settings(), need_redis=False) as settings:

        async def work(session: Any, _: Any) -> None:
            await _intakes(session, settings).unconfigure(await _bank_id(session, bank_code))

        in_session(settings, work)
        click.echo("removed")
