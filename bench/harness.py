"""What every part of the bench shares: its paths, its console, its error and CPU pinning."""

from __future__ import annotations

import os
import shutil
import sys
from collections.abc import Callable
from pathlib import Path

from rich.console import Console

ROOT = Path(__file__).resolve().parent.parent
BENCH_DIR = ROOT / "bench"
RESULTS_PATH = BENCH_DIR / "results.json"

# Wide enough for the results table when the output is a pipe or a log file (default 80).
console = Console(width=None if sys.stdout.isatty() else 150)

Log = Callable[[str], None]  # where a measurement reports its progress


class BenchError(RuntimeError):
    """A failure of the harness or its environment (not a missed target)."""


def pinned(cpu: int | None) -> list[str]:
    """A ``taskset`` prefix keeping a process on one CPU, so that the load generator and the
    server under test do not trade cores between runs (the main source of noise on 2 cores).

    One-worker servers run on CPU 1 and ``wrk`` on CPU 0. A server with several worker
    processes needs every CPU: ``cpu=None`` leaves it unpinned, and ``wrk`` stays on CPU 0,
    sharing it with one worker (and with PostgreSQL and Redis, never pinned), so the
    several-worker rows measure a saturated machine, their baselines under the same sharing."""
    if cpu is None:
        return []
    taskset = shutil.which("taskset")
    cpus = os.cpu_count() or 1
    return [taskset, "-c", str(cpu)] if taskset and cpus >= 2 else []
