"""The ``xinyidai`` command."""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import signal
import sys
from collections.abc import Awaitable, Callable, Iterator
from typing import Any, TypeVar

import click
from rich.console import Console
from rich.table import Table

from xinyidai.infra.engines import engines
from xinyidai.infra.errors import DomainError
from xinyidai.settings import Env, Settings, SettingsError, settings_table

T = TypeVar("T")
console = Console(stderr=True)


def _settings() -> Settings:
    try:
        return Settings.from_env()
    except SettingsError as exc:
        raise click.ClickException(str(exc)) from exc


def _in_session(settings: Settings, work: Callable[..., Awaitable[T]], *, redis: bool = False) -> T:
    """Run ``work(session, redis)`` in one transaction, committed only if it succeeds."""

    async def go() -> T:
        from xinyidai.infra.db import create_engine, session_factory
        from xinyidai.infra.redis import create_redis

        assert settings.database_url
        engine = create_engine(settings, settings.database_url)
        client = create_redis(settings.redis_url) if redis and settings.redis_url else None
        try:
            async with session_factory(engine)() as session, session.begin():
                return await work(session, client)
        finally:
            if client is not None:
                await client.aclose()
            await engine.dispose()

    try:
        return asyncio.run(go())
    except DomainError as exc:
        raise click.ClickException(exc.detail) from exc


@click.group()
@click.version_option(package_name="xinyidai")
def main() -> None:
    """信易贷 Xinyidai: credit-first SME financing platform."""


# --- run ------------------------------------------------------------------------------------------
@main.command()
@click.option("--host", default=None, help="Address to bind (default: HOST or 127.0.0.1).")
@click.option("--port", default=None, type=int, help="Port (default: PORT or 8000).")
@click.option("--seed/--no-seed", default=True, help="Seed the demo city into an empty database.")
def run(host: str | None, port: int | None, seed: bool) -> None:
    """Start embedded engines as needed, migrate, seed the demo city, and serve."""
    import uvicorn

    from xinyidai.app import create_app
    from xinyidai.infra import migrate

    base = _settings()
    _configure_logging(base)  # LOG_LEVEL holds for the set-up too, not only the server
    # SIGTERM becomes KeyboardInterrupt, as Ctrl-C is, so that the engines and the sandbox this
    # command started are stopped on either (also when uvicorn re-raises the one it handled).
    signal.signal(signal.SIGTERM, _interrupt)
    with (
        engines(base) as started,
        _provider(started) as with_provider,
        _identity(with_provider) as settings,
    ):
        assert settings.database_url
        console.print("[bold]migrating[/] the database …")
        migrate.upgrade(settings.database_url)
        if seed and settings.env is not Env.PRODUCTION:
            _ensure_model(settings)
            report = _seed(settings)
            _print_seed(report)
            authorised = _verify_demo(settings)
            if report.created or authorised:
                _sync_demo(settings)
            _score_demo(settings)
        app = create_app(settings)
        bind_host, bind_port = host or settings.host, port or settings.port
        console.print(
            f"[bold green]serving[/] http://{bind_host}:{bind_port}  "
            f"(API docs: http://{bind_host}:{bind_port}/schema) — Ctrl-C stops"
        )
        server = uvicorn.Server(
            uvicorn.Config(
                app,
                host=bind_host,
                port=bind_port,
                access_log=False,
                lifespan="on",
                log_level="warning",
                proxy_headers=settings.trusted_proxies,
                server_header=False,
            )
        )
        # uvicorn re-raises the signal it handled once it has shut down: our exit.
        with contextlib.suppress(KeyboardInterrupt):
            server.run()
    console.print("stopped")


# --- worker -------------------------------------------------------------------------------------
@main.command()
@click.option("--concurrency", default=8, show_default=True, help="Jobs run at once.")
def worker(concurrency: int) -> None:
    """Run the job worker (production runs it beside the web processes)."""
    from xinyidai.infra.logging import configure_logging
    from xinyidai.infra.queue import create_queue, create_worker

    settings = _settings()
    if not settings.database_url or not settings.redis_url:
        raise click.ClickException("the worker needs DATABASE_URL and REDIS_URL")
    configure_logging(settings.log_level, json=settings.json_logs)
    queue = create_queue(settings.redis_url)
    job_worker = create_worker(settings, queue, concurrency=concurrency, grace_seconds=30)
    job_worker.SIGNALS = [signal.SIGINT, signal.SIGTERM]  # standalone: it owns the signals

    async def go() -> None:
        await queue.connect()
        try:
            await job_worker.start()
        finally:
            await queue.disconnect()

    asyncio.run(go())


def _configure_logging(settings: Settings) -> None:
    from xinyidai.infra.logging import configure_logging

    configure_logging(settings.log_level, json=settings.json_logs)


def _interrupt(signum: int, frame: object) -> None:
    raise KeyboardInterrupt


@contextlib.contextmanager
def _provider(settings: Settings) -> Iterator[Settings]:
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
def _identity(settings: Settings) -> Iterator[Settings]:
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


def _verify_demo(settings: Settings) -> int:
    """Verify the demo SMEs' claims through the identity service (those still pending), then
    give the verified SMEs that have none their authorisations. Returns how many SMEs got
    authorisations (they need a sync)."""
    from xinyidai.domain.demo.seed import authorise_demo_city, verify_demo_city

    verified = asyncio.run(verify_demo_city(settings))
    if verified:
        console.print(f"[bold]verified[/] {verified} demo SMEs through the identity service")

    async def work(session: Any, _: Any) -> int:
        return await authorise_demo_city(session)

    return _in_session(settings, work)


def _sync_demo(settings: Settings) -> None:
    from xinyidai.domain.demo.seed import sync_demo_city

    console.print("[bold]syncing[/] the demo city's authorised data from the provider …")
    result = asyncio.run(sync_demo_city(settings))
    console.print(
        f"demo city: {result['records']} monthly records for {result['enterprises']} SMEs"
    )


def _ensure_model(settings: Settings) -> None:
    """Development: when no scoring model is active (or the active one was trained with other
    feature code, so it cannot be served), train a quick one on a simulated city, register and
    activate it, so that the demo SMEs get scores."""
    import tempfile
    from pathlib import Path

    from xinyidai.domain.scoring import registry

    async def active(session: Any, _: Any) -> str | None:
        bundle = await registry.active_bundle(session)
        return bundle.version if bundle is not None else None

    if _in_session(settings, active) is not None:
        return
    from xinyidai.ml.train import train_quick_bundle

    console.print("[bold]training[/] a quick scoring model on a simulated city (none is active) …")
    with tempfile.TemporaryDirectory(prefix="xyd-model-") as tmp:
        directory = train_quick_bundle(Path(tmp) / "bundle")

        async def install(session: Any, _: Any) -> str:
            registered = await registry.register(session, directory, "xinyidai run")
            await registry.activate(
                session, registered.version, "xinyidai run", "development: no model was active"
            )
            return registered.version

        version = _in_session(settings, install)
    console.print(f"active scoring model: {version}")


def _score_demo(settings: Settings) -> None:
    from xinyidai.domain.scoring.cli import run_batch

    report = run_batch(settings, batch_size=2000, recompute=False, quiet=True)
    if report.scored:
        console.print(f"scored {report.scored} SMEs with model {report.model_version}")


# --- db -------------------------------------------------------------------------------------------
@main.group()
def db() -> None:
    """Database migrations."""


@db.command()
@click.argument("revision", default="head")
def upgrade(revision: str) -> None:
    """Apply migrations up to REVISION (default: head)."""
    from xinyidai.infra import migrate

    with engines(_settings(), need_redis=False) as settings:
        assert settings.database_url
        migrate.upgrade(settings.database_url, revision)


@db.command()
@click.argument("revision")
def downgrade(revision: str) -> None:
    """Revert migrations down to REVISION (e.g. -1, or base)."""
    from xinyidai.infra import migrate

    with engines(_settings(), need_redis=False) as settings:
        assert settings.database_url
        migrate.downgrade(settings.database_url, revision)


@db.command()
@click.option("-m", "--message", required=True)
def revision(message: str) -> None:
    """Write a new revision autogenerated from the models (review it before committing)."""
    from xinyidai.infra import migrate

    with engines(_settings(), need_redis=False) as settings:
        assert settings.database_url
        migrate.upgrade(settings.database_url)
        migrate.revision(settings.database_url, message)


# --- users and banks ------------------------------------------------------------------------------
@main.group()
def users() -> None:
    """Platform users."""


@users.command("create")
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

    async def work(session: Any, redis: Any) -> str:
        settings = current
        service = AccountService(session, redis, settings, FieldCipher(settings.data_key_bytes))
        user = await service.create_user(
            email=email, password=password, display_name=display_name, role=Role(role), org=org
        )
        return str(user.id)

    with engines(_settings(), need_redis=False) as current:
        user_id = _in_session(current, work)
    click.echo(user_id)


@main.group()
def banks() -> None:
    """Banks (金融机构)."""


@banks.command("create")
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

    with engines(_settings(), need_redis=False) as settings:
        click.echo(_in_session(settings, work))


# --- demo -----------------------------------------------------------------------------------------
@main.group()
def demo() -> None:
    """The demo city (development only)."""


def _seed(settings: Settings) -> Any:
    from xinyidai.domain.demo.seed import seed_demo

    async def work(session: Any, redis: Any) -> Any:
        return await seed_demo(session, redis, settings)

    return _in_session(settings, work, redis=True)


def _print_seed(report: Any) -> None:
    from xinyidai.domain.demo.seed import DEMO_PASSWORD

    if report.created:
        console.print(f"[bold]demo city[/]: {report.enterprises} SMEs, {report.banks} banks")
    table = Table(title=f"demo logins (password: {DEMO_PASSWORD})")
    for column in ("role", "e-mail", "organisation"):
        table.add_column(column)
    for login in report.logins:
        table.add_row(login.role.value, login.email, login.organisation)
    console.print(table)


@demo.command("seed")
def demo_seed() -> None:
    """Create the demo city in an empty database and print the demo logins."""
    base = _settings()
    _configure_logging(base)  # LOG_LEVEL holds for the set-up too, not only the server
    if base.env is Env.PRODUCTION:
        raise click.ClickException("the demo seed is refused when ENV=production")
    from xinyidai.infra import migrate

    with (
        engines(base) as started,
        _provider(started) as with_provider,
        _identity(with_provider) as settings,
    ):
        assert settings.database_url
        migrate.upgrade(settings.database_url)
        report = _seed(settings)
        if _verify_demo(settings) or report.created:
            _sync_demo(settings)
    if not report.created:
        console.print(
            f"the database already holds {report.enterprises} enterprises; nothing seeded"
        )
    _print_seed(report)


# --- config ---------------------------------------------------------------------------------------
@main.group()
def config() -> None:
    """Configuration."""


@config.command("docs")
def config_docs() -> None:
    """Print the configuration table (Markdown) that the README carries."""
    click.echo(settings_table())


from xinyidai.domain.credit_data.import_cli import import_group  # noqa: E402
from xinyidai.domain.scoring.cli import model_group, score_group  # noqa: E402
from xinyidai.ml.cli import evaluate_command, train_command  # noqa: E402

main.add_command(import_group)
main.add_command(model_group)
main.add_command(score_group)
# The offline commands (simulator, training, evaluation) join the same group.
model_group.add_command(train_command)
model_group.add_command(evaluate_command)


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
