"""``xinyidai demo seed``, and the demo city's set-up steps that ``xinyidai run`` shares."""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING, Any

import click
from rich.table import Table

from xinyidai.cli.common import (
    configure_logging,
    console,
    identity_or_sandbox,
    in_session,
    load_settings,
    provider_or_sandbox,
)
from xinyidai.infra.engines import engines
from xinyidai.settings import Env

if TYPE_CHECKING:
    from xinyidai.domain.demo.seed import SeedReport
    from xinyidai.settings import Settings


@click.group("demo")
def demo_group() -> None:
    """The demo city (development only)."""


@demo_group.command("seed")
def demo_seed() -> None:
    """Create the demo city in an empty database and print the demo logins."""
    base = load_settings()
    configure_logging(base)  # LOG_LEVEL holds for the set-up too, not only the server
    if base.env is Env.PRODUCTION:
        raise click.ClickException("the demo seed is refused when ENV=production")
    from xinyidai.infra import migrate

    with (
        engines(base) as started,
        provider_or_sandbox(started) as with_provider,
        identity_or_sandbox(with_provider) as settings,
    ):
        assert settings.database_url
        migrate.upgrade(settings.database_url)
        report = seed_city(settings)
        if verify_city(settings) or report.created:
            sync_city(settings)
    if not report.created:
        console.print(
            f"the database already holds {report.enterprises} enterprises; nothing seeded"
        )
    print_seed(report)


def seed_city(settings: Settings) -> SeedReport:
    """Create the demo city in an empty database (else report what is there), and the demo
    banks' products when there are none (a database seeded before products existed gets
    them too), then the demo needs pool when it is empty, and the city's 24 months of
    applications and loans when they are not there."""
    from xinyidai.domain.demo.applications import seed_demo_applications
    from xinyidai.domain.demo.needs import seed_demo_needs
    from xinyidai.domain.demo.products import seed_demo_products
    from xinyidai.domain.demo.seed import seed_demo
    from xinyidai.domain.monitoring.pool.demo import seed_demo_pool

    async def work(session: Any, redis: Any) -> SeedReport:
        report = await seed_demo(session, redis, settings)
        published = await seed_demo_products(session, redis)
        if published:
            console.print(f"[bold]demo products[/]: {published} published by the demo banks")
        needs, claims = await seed_demo_needs(session)
        if needs:
            console.print(f"[bold]demo needs pool[/]: {needs} needs posted, {claims} offers made")
        history = await seed_demo_applications(session)
        if history.applications:
            console.print(
                f"[bold]demo history[/]: {history.applications} applications over 24 months, "
                f"{history.loans} loans, {history.loan_events} loan events"
            )
        pool = await seed_demo_pool(session)
        if pool.registered or pool.not_registered:
            console.print(
                f"[bold]demo pool[/]: {pool.registered} loans registered "
                f"({pool.not_registered} not eligible), {pool.claims} claims, "
                f"{pool.approved} approved"
            )
        return report

    return in_session(settings, work, redis=True)


def print_seed(report: SeedReport) -> None:
    """What was seeded, and the demo logins."""
    from xinyidai.domain.demo.seed import DEMO_PASSWORD

    if report.created:
        console.print(f"[bold]demo city[/]: {report.enterprises} SMEs, {report.banks} banks")
    table = Table(title=f"demo logins (password: {DEMO_PASSWORD})")
    for column in ("role", "e-mail", "organisation"):
        table.add_column(column)
    for login in report.logins:
        table.add_row(login.role.value, login.email, login.organisation)
    console.print(table)


def verify_city(settings: Settings) -> int:
    """Verify the demo SMEs' claims through the identity service (those still pending), then
    give the verified SMEs that have none their authorizations. Returns how many SMEs got
    authorizations (they need a sync)."""
    from xinyidai.domain.demo.seed import authorize_demo_city, verify_demo_city

    verified = asyncio.run(verify_demo_city(settings))
    if verified:
        console.print(f"[bold]verified[/] {verified} demo SMEs through the identity service")

    async def work(session: Any, _: Any) -> int:
        return await authorize_demo_city(session)

    return in_session(settings, work)


def sync_city(settings: Settings) -> None:
    """Fetch the demo city's authorized data from the provider."""
    from xinyidai.domain.demo.seed import sync_demo_city

    console.print("[bold]syncing[/] the demo city's authorized data from the provider …")
    result = asyncio.run(sync_demo_city(settings))
    console.print(
        f"demo city: {result['records']} monthly records for {result['enterprises']} SMEs"
    )
