"""``xinyidai audit``: verify the hash-chained audit log, or link its pending entries now."""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING, Any

import click
import msgspec
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from xinyidai.cli.common import in_session, load_settings
from xinyidai.infra.engines import engines

if TYPE_CHECKING:
    from xinyidai.domain.audit.chainer import ChainRun
    from xinyidai.domain.audit.schemas import ChainReport, UnlinkedEntry
    from xinyidai.settings import Settings

EXIT_BROKEN = 1
"""``audit verify``: a link is broken, or rows stand unlinked below the chain's head."""
EXIT_STALE = 3
"""``audit verify``: the chain is intact, but rows wait for their link longer than allowed."""


@click.group("audit")
def audit_group() -> None:
    """The hash-chained audit log."""


@audit_group.command("verify")
@click.option(
    "--stale-after",
    type=click.FloatRange(min=0, min_open=True),
    default=None,
    help="Seconds an entry may stay unlinked before it is reported [default: AUDIT_STALE_AFTER].",
)
@click.option("--json", "as_json", is_flag=True, help="Print the report as JSON on stdout.")
def verify_command(stale_after: float | None, as_json: bool) -> None:
    """Walk the chain, recompute every link and name the first broken one.

    Exit status: 0 intact and up to date; 1 a broken link (an edited, missing or reordered
    entry) or entries left below the chain's head; 3 intact, but entries unlinked for longer
    than --stale-after seconds (is the worker running?)."""
    from xinyidai.domain.audit.verify import verify_chain

    with engines(load_settings(), need_redis=False) as settings:
        threshold = settings.audit_stale_after if stale_after is None else stale_after

        async def work(session: Any, _: Any) -> ChainReport:
            return await verify_chain(session, stale_after=threshold)

        report = in_session(settings, work)
    if as_json:
        click.echo(msgspec.json.encode(report).decode())
    else:
        _print_report(report)
    if not report.intact:
        raise SystemExit(EXIT_BROKEN)
    if not report.ok:
        raise SystemExit(EXIT_STALE)


def _entries(title: str, entries: list[UnlinkedEntry], count: int) -> Table:
    table = Table(title=title)
    table.add_column("seq", justify="right")
    table.add_column("id", no_wrap=True)
    table.add_column("occurred at")
    table.add_column("waiting", justify="right")
    for entry in entries:
        table.add_row(
            str(entry.seq),
            str(entry.id),
            entry.occurred_at.isoformat(timespec="seconds"),
            f"{entry.age_seconds:,.0f} s",
        )
    if count > len(entries):
        table.caption = f"… and {count - len(entries):,} more"
    return table


def _print_report(report: ChainReport) -> None:
    out = Console()
    broken = report.first_break
    if broken is not None:
        out.print(
            f"[bold red]✗ audit chain broken at seq {broken.seq}[/] (id {broken.id}): "
            f"[bold]{broken.kind.value}[/]: {escape(broken.message)}"
        )
        out.print(f"  links intact before it: {report.linked:,}")
    else:
        out.print(f"[bold green]✓ audit chain intact[/]: links checked: {report.linked:,}")
    if report.head_seq is None:
        out.print("  no entry linked yet")
    else:
        out.print(f"  head: seq {report.head_seq}, hash {report.head_hash}")
    out.print(f"  not linked yet: {report.unlinked:,}")
    if report.behind_head_count:
        out.print(
            _entries(
                "[red]unlinked entries below the head (the chainer never links them)[/]",
                report.behind_head,
                report.behind_head_count,
            )
        )
    if report.stale_count:
        out.print(
            _entries(
                f"[yellow]entries unlinked for more than {report.stale_after:g} s[/]",
                report.stale,
                report.stale_count,
            )
        )


@audit_group.command("chain")
def chain_command() -> None:
    """Link the pending entries now (the worker does this moments after each append)."""
    with engines(load_settings(), need_redis=False) as settings:
        run = asyncio.run(_chain(settings))
    if run.busy:
        click.echo("another chainer is running; it links the pending entries")
        return
    waiting = f"; {run.waiting:,} wait behind an insert still open" if run.waiting else ""
    click.echo(f"linked {run.linked:,} entries; head seq {run.head_seq}{waiting}")


async def _chain(settings: Settings) -> ChainRun:
    from xinyidai.domain.audit.chainer import chain_pending
    from xinyidai.infra.db import create_engine

    assert settings.database_url
    engine = create_engine(settings, settings.database_url)
    try:
        return await chain_pending(engine)
    finally:
        await engine.dispose()
