"""``xinyidai score all``: the batch that scores every enterprise's latest snapshot."""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING

import click

from xinyidai.cli.common import load_settings, progress_bar
from xinyidai.infra.engines import engines

if TYPE_CHECKING:
    from xinyidai.domain.scoring.services import BatchReport
    from xinyidai.settings import Settings


@click.group("score")
def score_group() -> None:
    """Scoring runs."""


def score_with_progress(
    settings: Settings, *, batch_size: int, recompute: bool, processes: int = 0, quiet: bool = False
) -> BatchReport:
    """The batch (``scoring.services.run_batch``) with a progress bar on stderr, which
    ``quiet`` clears once done."""
    from xinyidai.domain.scoring.services import run_batch

    progress = progress_bar("[bold]scoring[/]", "SMEs", transient=quiet)
    task = progress.add_task("score", total=None)
    with progress:
        return asyncio.run(
            run_batch(
                settings,
                batch_size=batch_size,
                recompute=recompute,
                processes=processes,
                on_start=lambda total: progress.update(task, total=total),
                on_progress=lambda done: progress.update(task, completed=done),
            )
        )


@score_group.command("all")
@click.option("--batch-size", default=2000, show_default=True, help="Snapshots per chunk.")
@click.option(
    "--recompute",
    is_flag=True,
    help="Score snapshots the active model already scored again (stored scores stay).",
)
@click.option(
    "--processes",
    default=0,
    show_default=True,
    help="Worker processes that score chunks in parallel (0: one thread of this process).",
)
def score_all_command(batch_size: int, recompute: bool, processes: int) -> None:
    """Score the latest snapshot of every enterprise with the active model.

    Snapshots the active model already scored are skipped (a score of a snapshot by a model
    never changes). The nightly job runs the same batch."""
    if batch_size < 1:
        raise click.BadParameter("must be at least 1", param_hint="--batch-size")
    if processes < 0:
        raise click.BadParameter("must be 0 or more", param_hint="--processes")
    with engines(load_settings(), need_redis=False) as settings:
        report = score_with_progress(
            settings, batch_size=batch_size, recompute=recompute, processes=processes
        )
    if report.model_version is None:
        raise click.ClickException(
            "no scoring model is active; `xinyidai model register DIR` and "
            "`xinyidai model activate VERSION` first"
        )
    click.echo(
        f"model {report.model_version}: {report.enterprises:,} SMEs, {report.scored:,} new "
        f"scores, {report.unchanged:,} already scored, {report.seconds:.1f} s "
        f"({report.rate:,.0f} SMEs/s)"
    )
