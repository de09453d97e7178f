"""``xinyidai import public-credit FILE``: bulk-import a public credit information export."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

import click
import msgspec
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from xinyidai.cli.common import in_session, load_settings, progress_bar
from xinyidai.infra.engines import engines

if TYPE_CHECKING:
    from xinyidai.domain.credit_data.imports import ImportReport

SHOWN_REJECTIONS = 20


@click.group("import")
def import_group() -> None:
    """Bulk imports."""


def _estimate_rows(path: Path, jsonl: bool) -> int | None:
    """Data rows in the file, from its line count (quoted line breaks make it an estimate)."""
    lines, last = 0, b"\n"
    try:
        with path.open("rb") as handle:
            while chunk := handle.read(1 << 20):
                lines += chunk.count(b"\n")
                last = chunk[-1:]
    except OSError:
        return None
    lines += last != b"\n"
    return max(lines - (0 if jsonl else 1), 0)


@import_group.command("public-credit")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--json", "as_json", is_flag=True, help="Print the report as JSON on stdout.")
def public_credit(file: Path, as_json: bool) -> None:
    """Import public credit records (公共信用信息) from a CSV or JSON Lines FILE.

    Rows are validated one by one: bad rows are reported with their row number and reason and
    never stop the good ones. A record whose document number is already known is updated when
    its content differs. The whole file is one transaction. Exit status 0 even when rows were
    rejected; non-zero only when the file cannot be read at all.
    """
    from xinyidai.domain.credit_data.imports import (
        ImportFileError,
        import_public_credit,
        open_import,
    )

    try:  # fail before starting any engine when the file is unusable
        opened = open_import(file, file.name)
    except ImportFileError as exc:
        raise click.ClickException(f"{file}: {exc}") from exc
    jsonl = opened.jsonl
    opened.close()

    progress = progress_bar("[bold]importing[/] {task.description}", "rows", transient=as_json)
    task = progress.add_task(escape(file.name), total=_estimate_rows(file, jsonl))

    def on_progress(rows: int) -> None:
        total = progress.tasks[0].total
        if total is not None and rows > total:
            progress.update(task, total=rows)
        progress.update(task, completed=rows)

    async def work(session: Any, _redis: Any) -> ImportReport:
        return await import_public_credit(
            session, file, filename=file.name, on_progress=on_progress
        )

    with engines(load_settings(), need_redis=False) as settings:
        try:
            with progress:
                report = in_session(settings, work)
                progress.update(task, total=progress.tasks[0].completed)
        except ImportFileError as exc:
            raise click.ClickException(f"{file}: {exc}") from exc
    if as_json:
        click.echo(msgspec.json.encode(report).decode())
    else:
        _print_report(report, file)


def _print_report(report: ImportReport, file: Path) -> None:
    out = Console()
    table = Table(title=f"public credit import: {escape(file.name)}", show_header=False)
    table.add_column("what")
    table.add_column("rows", justify="right")
    table.add_row("accepted (new records)", f"{report.accepted:,}")
    table.add_row("updated", f"{report.updated:,}")
    table.add_row("unchanged", f"{report.unchanged:,}")
    table.add_row("rejected", f"{len(report.rejected):,}")
    table.add_row("subjects touched", f"{len(report.touched_usccs):,}")
    out.print(table)
    if report.import_id is not None:
        out.print(f"[dim]import {report.import_id}[/]")
    if report.rejected:
        rejected = Table(title="rejected rows (row 1 is the first data row)")
        rejected.add_column("row", justify="right")
        rejected.add_column("reason")
        for item in report.rejected[:SHOWN_REJECTIONS]:
            rejected.add_row(str(item.row), escape(item.reason))
        out.print(rejected)
        more = len(report.rejected) - SHOWN_REJECTIONS
        if more > 0:
            out.print(f"… and {more:,} more (--json lists them all)")
