"""Throughput benchmark: the platform against bare Litestar baselines, under Granian and wrk.

Run with ``make bench``, ``python -m bench`` or ``python bench/run.py`` from the project root.
See ``bench/README.md``. Environment:

* ``BENCH_DURATION`` seconds per measured wrk run (default 10; each is preceded by a 2 s warm-up).
* ``BENCH_STRICT=1`` exits 1 when a row misses its target.
* ``BENCH_ONLY`` runs only the named rows (comma-separated, e.g. ``live,ready`` or ``import``).
* ``BENCH_IMPORT_ROWS`` rows the ``import`` row generates (default 1,000,000).
* ``BENCH_RELAY_DELIVERIES`` deliveries the ``relay_delivery`` row makes (default 2,000).
* ``DATABASE_URL`` / ``REDIS_URL`` use existing engines instead of embedded ones.

This module only runs the rows and reports them; each family of rows has its own module.
"""

from __future__ import annotations

import shutil
import signal
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

if str(Path(__file__).resolve().parent.parent) not in sys.path:
    # `python bench/run.py` puts bench/, not the root, first.
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.bundle_size import SizeRow, run_bundle_scenario
from bench.harness import RESULTS_PATH, ROOT, BenchError, console
from bench.http_rows import ensure_wrk, run_scenario
from bench.public_import import run_import_scenario
from bench.report import (
    ResultRow,
    render,
    render_scoring,
    row_notes,
    server_log_notes,
    write_results,
)
from bench.scenarios import (
    AnyScenario,
    BundleScenario,
    ImportScenario,
    MatchingScenario,
    RelayScenario,
    Scenario,
    ScoringScenario,
    StatsScenario,
    SyncScenario,
    duration,
    selected_scenarios,
    strict,
)
from bench.servers import Context, engines, server_env

if TYPE_CHECKING:
    from bench.scoring import ScoreRow


@dataclass(slots=True)
class Results:
    """What one run measured: the rows against a same-run baseline, the rows with absolute
    targets (scoring, the portal's bundle size), and the notes on both."""

    rows: list[ResultRow] = field(default_factory=list)
    scoring_rows: list[ScoreRow | SizeRow] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def failed(self) -> bool:
        return any(row.passed is False for row in [*self.rows, *self.scoring_rows])


def measure_rows(
    ctx: Context, scenarios: list[AnyScenario], wrk: str, seconds: int, database_url: str
) -> Results:
    """Each scenario in turn, by its kind (bench/scoring.py and bench/sync_city.py load their
    libraries only when one of their rows runs)."""
    results = Results()
    for scenario in scenarios:
        if not isinstance(scenario, Scenario):
            ctx.stop_all()  # rows measured in process need the database's connections
        if isinstance(scenario, ScoringScenario):
            from bench.scoring import run_scoring_scenario

            results.scoring_rows.append(run_scoring_scenario(ctx, scenario, database_url))
        elif isinstance(scenario, StatsScenario):
            from bench.stats_rows import run_stats_scenario

            results.scoring_rows.append(run_stats_scenario(scenario.name, database_url))
        elif isinstance(scenario, ImportScenario):
            results.rows.append(run_import_scenario(ctx, scenario))
        elif isinstance(scenario, BundleScenario | MatchingScenario):
            results.scoring_rows.extend(_without_engines([scenario]))
        elif isinstance(scenario, SyncScenario):
            from bench.sync_city import run_sync_scenario

            results.rows.append(run_sync_scenario(ctx, scenario, database_url))
        elif isinstance(scenario, RelayScenario):
            from bench.relay_rows import run_relay_scenario

            results.rows.append(run_relay_scenario(ctx, scenario))
        elif scenario.prepared is not None:
            from bench.application_rows import run_submit_scenario

            results.rows.append(run_submit_scenario(ctx, wrk, scenario, seconds))
        elif scenario.signed is not None:
            from bench.bank_rows import run_bank_scenario

            results.rows.append(run_bank_scenario(ctx, wrk, scenario, seconds))
        else:
            results.rows.append(run_scenario(ctx, wrk, scenario, seconds))
    return results


def _without_engines(scenarios: list[AnyScenario]) -> list[ScoreRow | SizeRow]:
    """The rows that need no engines: the bundle size and matching (in process)."""
    rows: list[ScoreRow | SizeRow] = []
    for s in scenarios:
        if isinstance(s, BundleScenario):
            rows.append(run_bundle_scenario(s.name, console.print, s.budget_kb))
        elif isinstance(s, MatchingScenario):
            from bench.matching import run_matching_scenario

            rows.append(run_matching_scenario(s))
    return rows


def run_rows(scenarios: list[AnyScenario], wrk: str, seconds: int) -> Results:
    """Measure the rows that need no engines (the bundle size, matching), then start the
    engines in a fresh temporary directory for the others, measure, stop everything."""
    sizes = _without_engines(scenarios)
    rest: list[AnyScenario] = [
        s for s in scenarios if not isinstance(s, BundleScenario | MatchingScenario)
    ]
    if not rest:
        return Results(scoring_rows=list(sizes))
    workdir = Path(tempfile.mkdtemp(prefix="xyb-", dir="/tmp"))
    try:
        with engines(workdir) as (database_url, redis_url):
            ctx = Context(workdir, server_env(database_url, redis_url))
            try:
                results = measure_rows(ctx, rest, wrk, seconds, database_url)
            finally:
                ctx.stop_all()  # before the engines stop, so the app does not log their loss
            results.notes = row_notes(results.rows) + server_log_notes(ctx)
            results.scoring_rows.extend(sizes)
            return results
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


def print_report(results: Results, seconds: int, started: float) -> None:
    """Print the tables and the notes; write ``bench/results.json``."""
    if results.rows:
        console.print(render(results.rows))
    if results.scoring_rows:
        console.print(render_scoring(results.scoring_rows))
    for note in results.notes:
        console.print(f"[yellow]note:[/yellow] {note}")
    write_results([*results.rows, *results.scoring_rows], seconds, results.notes)
    console.print(
        f"[dim]wrote {RESULTS_PATH.relative_to(ROOT)} in {time.monotonic() - started:.0f} s[/dim]"
    )


def _terminate(signum: int, _frame: object) -> None:
    raise KeyboardInterrupt(f"signal {signum}")


def main() -> int:
    started = time.monotonic()
    signal.signal(signal.SIGTERM, _terminate)
    # Even when started from a shell that ignores SIGINT (background jobs), clean up on it.
    signal.signal(signal.SIGINT, signal.default_int_handler)
    try:
        seconds = duration()
        scenarios = selected_scenarios()
        wrk = ensure_wrk() if any(isinstance(s, Scenario) for s in scenarios) else ""
        results = run_rows(scenarios, wrk, seconds)
    except BenchError as exc:
        console.print(f"[red]bench: {exc}[/red]")
        return 1
    except KeyboardInterrupt:
        console.print("[yellow]bench: interrupted[/yellow]")
        return 130
    print_report(results, seconds, started)
    return 1 if strict() and results.failed() else 0


if __name__ == "__main__":
    raise SystemExit(main())
