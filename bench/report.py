"""The report: the tables printed at the end, the notes, and ``bench/results.json``."""

from __future__ import annotations

import datetime as dt
import json
import os
import platform
from typing import TYPE_CHECKING

from rich.table import Table

from bench.harness import RESULTS_PATH
from bench.http_rows import WARMUP_SECONDS, WRK_CONNECTIONS, WRK_THREADS, Row
from bench.public_import import ImportRow
from bench.servers import Context, server_kind

if TYPE_CHECKING:  # bench.scoring loads numpy: only the scoring rows need it at run time
    from bench.bundle_size import SizeRow
    from bench.scoring import ScoreRow

ResultRow = Row | ImportRow


def render(rows: list[ResultRow]) -> Table:
    """The table of the rows measured against a same-run baseline (HTTP, import, sync)."""
    table = Table(
        title=f"xinyidai vs bare Litestar under {server_kind()} "
        f"(wrk -t{WRK_THREADS} -c{WRK_CONNECTIONS}; _2w rows: 2 worker processes per server)"
    )
    for name in (
        "scenario",
        "app rps",
        "baseline rps",
        "ratio",
        "target",
        "app p50 ms",
        "app p99 ms",
        "baseline p50 ms",
        "baseline p99 ms",
        "verdict",
    ):
        table.add_column(name, justify="left" if name == "scenario" else "right", no_wrap=True)
    colours = {"PASS": "green", "FAIL": "red", "INFO": "cyan"}
    for row in rows:
        target = "—" if row.scenario.target is None else f"≥ {row.scenario.target:.2f}"
        latencies = (
            [
                f"{row.app.p50_ms:.2f}",
                f"{row.app.p99_ms:.2f}",
                f"{row.baseline.p50_ms:.2f}",
                f"{row.baseline.p99_ms:.2f}",
            ]
            if isinstance(row, Row)
            else ["—"] * 4  # import rows: throughput only (rows/s)
        )
        table.add_row(
            row.scenario.name,
            f"{row.app.rps:,.0f}",
            f"{row.baseline.rps:,.0f}",
            f"{row.ratio:.2f}",
            target,
            *latencies,
            f"[{colours[row.verdict]}]{row.verdict}[/]",
        )
    return table


def write_results(
    rows: list[ResultRow | ScoreRow | SizeRow], seconds: int, notes: list[str]
) -> None:
    """Every row, the run's settings and the notes, as ``bench/results.json``."""
    document = {
        "generated_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "machine": {"cpus": os.cpu_count(), "python": platform.python_version()},
        "duration_s": seconds,
        "server": server_kind(),
        "load": {
            "tool": "wrk",
            "threads": WRK_THREADS,
            "connections": WRK_CONNECTIONS,
            "warmup_s": WARMUP_SECONDS,
        },
        "rows": [row.to_json() for row in rows],
        "notes": notes,
    }
    RESULTS_PATH.write_text(json.dumps(document, indent=2, ensure_ascii=False) + "\n")


def row_notes(rows: list[ResultRow]) -> list[str]:
    """What the table does not show: non-2xx answers, socket errors, reference points."""
    notes = []
    for row in rows:
        if isinstance(row, ImportRow):
            notes.extend(row.notes())
            continue
        for side, result in (("app", row.app), ("baseline", row.baseline)):
            if result.non_2xx:
                notes.append(
                    f"{row.scenario.name}: {side} answered {result.non_2xx} non-2xx "
                    f"responses out of {result.requests}"
                )
            if result.socket_error_total:
                notes.append(f"{row.scenario.name}: {side} socket errors {result.socket_errors}")
        if row.live is not None and row.live_ratio is not None:
            notes.append(
                f"{row.scenario.name}: app {row.app.rps:,.0f} rps = {row.live_ratio:.2f}× the bare "
                f"GET /health/live ({row.live.rps:,.0f} rps, same run)"
            )
    return notes


def server_log_notes(ctx: Context, limit: int = 5) -> list[str]:
    """Anything a server logged at WARNING or above while under load."""
    notes = []
    for server in ctx.servers.values():
        lines = [line for line in server.log_lines() if line.strip()]
        if lines:
            notes.append(
                f"{server.name} server logged {len(lines)} line(s), first: "
                + " | ".join(line[:300] for line in lines[:limit])
            )
    return notes


def render_scoring(rows: list[ScoreRow | SizeRow]) -> Table:
    """The table of the rows with absolute targets (scoring, the portal's bundle size)."""
    table = Table(title="absolute targets: scoring (in process, same run), portal bundle size")
    for name in ("scenario", "measured", "target", "same-run reference", "verdict"):
        table.add_column(name, justify="left" if name == "scenario" else "right", no_wrap=True)
    colours = {"PASS": "green", "FAIL": "red"}
    for row in rows:
        cells = row.cells()
        cells[-1] = f"[{colours[row.verdict]}]{row.verdict}[/]"
        table.add_row(*cells)
    return table
