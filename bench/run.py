"""Throughput benchmark: the platform app against a bare Litestar baseline, under uvicorn and wrk.

Run with ``make bench``, ``python -m bench`` or ``python bench/run.py`` from the project root.
See ``bench/README.md``. Environment:

* ``BENCH_DURATION`` seconds per measured wrk run (default 10; each is preceded by a 2 s warm-up).
* ``BENCH_STRICT=1`` exits 1 when a row misses its target.
* ``BENCH_ONLY`` runs only the named rows (comma-separated, e.g. ``live,ready`` or ``import``).
* ``BENCH_IMPORT_ROWS`` rows the ``import`` row generates (default 1,000,000).
* ``DATABASE_URL`` / ``REDIS_URL`` use existing engines instead of embedded ones.
"""

from __future__ import annotations

import base64
import contextlib
import datetime as dt
import json
import os
import platform
import re
import secrets
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
from rich.console import Console
from rich.table import Table

ROOT = Path(__file__).resolve().parent.parent
BENCH_DIR = ROOT / "bench"
if str(ROOT) not in sys.path:  # `python bench/run.py` puts bench/, not the root, first
    sys.path.insert(0, str(ROOT))
RESULTS_PATH = BENCH_DIR / "results.json"

WRK_THREADS = 1
WRK_CONNECTIONS = 32
WARMUP_SECONDS = 2
DEFAULT_DURATION = 10
STARTUP_TIMEOUT = 30.0
STOP_GRACE = 5.0

APP_FACTORY = "xinyidai.app:create_app_from_env"
BARE_FACTORY = "bench.bare_app:create_app"
# Identical for every server the benchmark starts; only the factory and the port differ.
UVICORN_FLAGS = (
    "--host",
    "127.0.0.1",
    "--workers",
    "1",
    "--loop",
    "uvloop",
    "--http",
    "httptools",
    "--no-access-log",
    "--log-level",
    "warning",
)

# Wide enough for the results table when the output is a pipe or a log file (default 80).
console = Console(width=None if sys.stdout.isatty() else 150)


class BenchError(RuntimeError):
    """A failure of the harness or its environment (not a missed target)."""


# --------------------------------------------------------------------------------------------
# Scenarios: one row of the table each. Add a row by appending to SCENARIOS; add a new kind of
# baseline by writing a ``start_*`` function and registering it in BASELINES.
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Scenario:
    name: str
    app_path: str  # path requested on the platform app
    baseline: str  # key of BASELINES
    target: float | None  # minimum app/baseline rps ratio; None: report only
    baseline_path: str = "/health/live"  # path requested on the baseline server
    rounds: int = 1  # alternating baseline/app rounds; the best run of each side counts


@dataclass(frozen=True, slots=True)
class ImportScenario:
    """Kind ``import``: a bulk import in process against a raw COPY, on the same PostgreSQL."""

    name: str
    rows: int  # rows generated (BENCH_IMPORT_ROWS overrides)
    target: float | None  # minimum import rows/s over raw COPY rows/s


@dataclass(frozen=True, slots=True)
class SyncScenario:
    """Kind ``sync``: a full sync of the demo city from the sandbox provider (records/s),
    against bare httpx fetching the same series from the same sandbox (see sync_city.py)."""

    name: str
    target: float | None = None
    kind: str = "sync"


@dataclass(frozen=True, slots=True)
class ScoringScenario:
    """Kind ``scoring`` (bench/scoring.py): ``score_one`` (one SME end to end against a raw
    LightGBM single-row predict, p50 ms) and ``score_batch`` (every SME's latest snapshot from
    the database and back, SMEs/s), both against the issue's absolute targets."""

    name: str
    kind: str = "scoring"


SCENARIOS: list[Scenario | ImportScenario | SyncScenario | ScoringScenario] = [
    Scenario("live", "/health/live", baseline="bare", target=0.8, rounds=3),
    Scenario("ready", "/health/ready", baseline="bare", target=None, rounds=1),
    ImportScenario("import", rows=1_000_000, target=0.5),
    SyncScenario("sync"),
    ScoringScenario("score_one"),
    ScoringScenario("score_batch"),
]


# --------------------------------------------------------------------------------------------
# Servers
# --------------------------------------------------------------------------------------------


def python_executable() -> str:
    venv_python = ROOT / ".venv" / "bin" / "python"
    return str(venv_python) if venv_python.exists() else sys.executable


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass(slots=True)
class Server:
    name: str
    factory: str
    port: int
    log_path: Path
    process: subprocess.Popen[bytes] | None = None

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def command(self) -> list[str]:
        return [
            *pinned(1),
            python_executable(),
            "-m",
            "uvicorn",
            "--factory",
            self.factory,
            "--port",
            str(self.port),
            *UVICORN_FLAGS,
        ]

    def start(self, env: dict[str, str]) -> None:
        with self.log_path.open("wb") as log_file:
            self.process = subprocess.Popen(
                self.command(),
                cwd=ROOT,
                env=env,
                stdin=subprocess.DEVNULL,
                stdout=log_file,
                stderr=subprocess.STDOUT,
                start_new_session=True,  # Ctrl-C reaches the harness only; it stops the server
            )
        self.wait_live()

    def wait_live(self, timeout: float = STARTUP_TIMEOUT) -> None:
        assert self.process is not None
        deadline = time.monotonic() + timeout
        last_error = "no answer"
        with httpx.Client(timeout=2.0) as client:
            while time.monotonic() < deadline:
                if self.process.poll() is not None:
                    raise BenchError(
                        f"{self.name} server exited with {self.process.returncode}:\n"
                        f"{self.log_tail()}"
                    )
                try:
                    response = client.get(self.base_url + "/health/live")
                    if response.status_code == 200:
                        return
                    last_error = f"HTTP {response.status_code}"
                except httpx.HTTPError as exc:
                    last_error = type(exc).__name__
                time.sleep(0.1)
        raise BenchError(
            f"{self.name} server did not answer /health/live with 200 within "
            f"{timeout:.0f} s (last: {last_error}):\n{self.log_tail()}"
        )

    def log_lines(self) -> list[str]:
        try:
            return self.log_path.read_text(errors="replace").splitlines()
        except FileNotFoundError:
            return []

    def log_tail(self, lines: int = 30) -> str:
        return "\n".join(self.log_lines()[-lines:]) or "(no output)"

    def stop(self) -> None:
        proc, self.process = self.process, None
        if proc is None or proc.poll() is not None:
            return
        proc.terminate()
        try:
            proc.wait(STOP_GRACE)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


@dataclass(slots=True)
class Context:
    workdir: Path
    env: dict[str, str]
    servers: dict[str, Server] = field(default_factory=dict)

    def server(self, key: str, factory: str) -> Server:
        """The server for ``key``, started on first use."""
        if key not in self.servers:
            server = Server(key, factory, free_port(), self.workdir / f"{key}.log")
            self.servers[key] = server
            console.print(f"[dim]starting {key} server on port {server.port}[/dim]")
            server.start(self.env)
        return self.servers[key]

    def stop_all(self) -> None:
        for server in self.servers.values():
            server.stop()


def start_app(ctx: Context) -> Server:
    return ctx.server("app", APP_FACTORY)


def start_bare(ctx: Context) -> Server:
    """Baseline kind ``bare``: a hello-world Litestar app (bench/bare_app.py)."""
    return ctx.server("bare", BARE_FACTORY)


BASELINES: dict[str, Callable[[Context], Server]] = {
    "bare": start_bare,
}


# --------------------------------------------------------------------------------------------
# Engines
# --------------------------------------------------------------------------------------------


@contextlib.contextmanager
def engines(workdir: Path) -> Iterator[tuple[str, str]]:
    """PostgreSQL and Redis URLs: from the environment, or embedded engines under ``workdir``."""
    database_url = os.environ.get("DATABASE_URL") or None
    redis_url = os.environ.get("REDIS_URL") or None
    with contextlib.ExitStack() as stack:
        if database_url is None:
            from xinyidai.infra import migrate
            from xinyidai.infra.embedded import EmbeddedPostgres

            console.print("[dim]starting embedded PostgreSQL[/dim]")
            postgres = EmbeddedPostgres(workdir / "pg")
            stack.callback(postgres.stop)
            database_url = postgres.start()
            console.print("[dim]applying migrations[/dim]")
            migrate.upgrade(database_url)
        if redis_url is None:
            from xinyidai.infra.embedded import EmbeddedRedis

            console.print("[dim]starting embedded Redis[/dim]")
            redis = EmbeddedRedis(workdir / "redis", persist=False)
            stack.callback(redis.stop)
            redis_url = redis.start()
        yield database_url, redis_url


def server_env(database_url: str, redis_url: str) -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        DATABASE_URL=database_url,
        REDIS_URL=redis_url,
        ENV="production",
        SECRET_KEY=secrets.token_urlsafe(48),
        DATA_KEY=base64.b64encode(secrets.token_bytes(32)).decode(),
        LOG_LEVEL="WARNING",
        LOG_JSON="true",
    )
    return env


# --------------------------------------------------------------------------------------------
# wrk
# --------------------------------------------------------------------------------------------


def ensure_wrk() -> str:
    found = shutil.which("wrk")
    if found:
        return found
    apt = shutil.which("apt-get")
    if apt and hasattr(os, "geteuid") and os.geteuid() == 0:
        env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
        console.print("[dim]wrk not found; installing it with apt-get[/dim]")
        install = [apt, "install", "-y", "-q", "wrk"]
        if subprocess.run(install, env=env, capture_output=True, check=False).returncode != 0:
            subprocess.run([apt, "update", "-q"], env=env, capture_output=True, check=False)
            subprocess.run(install, env=env, capture_output=True, check=False)
        found = shutil.which("wrk")
        if found:
            return found
    raise BenchError(
        "the load generator `wrk` is not installed and could not be installed "
        "automatically (needs root and apt-get); install it, e.g. "
        "`sudo apt-get install wrk`, and run again"
    )


@dataclass(frozen=True, slots=True)
class WrkResult:
    rps: float
    p50_ms: float
    p99_ms: float
    requests: int
    non_2xx: int  # wrk counts "non-2xx or 3xx" responses
    socket_errors: dict[str, int]

    def to_json(self) -> dict[str, Any]:
        return {
            "rps": round(self.rps, 1),
            "p50_ms": round(self.p50_ms, 3),
            "p99_ms": round(self.p99_ms, 3),
            "requests": self.requests,
            "non_2xx": self.non_2xx,
            "socket_errors": self.socket_errors,
        }

    @property
    def socket_error_total(self) -> int:
        return sum(self.socket_errors.values())


_UNIT_MS = {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60_000.0, "h": 3_600_000.0}
_PERCENTILE_RE = re.compile(r"^\s*(\d+(?:\.\d+)?)%\s+([\d.]+)(us|ms|s|m|h)\s*$", re.MULTILINE)
_RPS_RE = re.compile(r"^Requests/sec:\s+([\d.]+)", re.MULTILINE)
_REQUESTS_RE = re.compile(r"^\s*(\d+) requests in ", re.MULTILINE)
_NON_2XX_RE = re.compile(r"Non-2xx or 3xx responses:\s+(\d+)")
_SOCKET_RE = re.compile(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)")


def parse_wrk(output: str) -> WrkResult:
    rps = _RPS_RE.search(output)
    if rps is None:
        raise BenchError(f"cannot parse wrk output:\n{output}")
    percentiles = {
        float(m.group(1)): float(m.group(2)) * _UNIT_MS[m.group(3)]
        for m in _PERCENTILE_RE.finditer(output)
    }
    if 50.0 not in percentiles or 99.0 not in percentiles:
        raise BenchError(f"no latency distribution in wrk output (--latency missing?):\n{output}")
    requests = _REQUESTS_RE.search(output)
    non_2xx = _NON_2XX_RE.search(output)
    sockets = _SOCKET_RE.search(output)
    socket_errors = dict.fromkeys(("connect", "read", "write", "timeout"), 0)
    if sockets:
        socket_errors = dict(zip(socket_errors, map(int, sockets.groups()), strict=True))
    return WrkResult(
        rps=float(rps.group(1)),
        p50_ms=percentiles[50.0],
        p99_ms=percentiles[99.0],
        requests=int(requests.group(1)) if requests else 0,
        non_2xx=int(non_2xx.group(1)) if non_2xx else 0,
        socket_errors=socket_errors,
    )


def pinned(cpu: int) -> list[str]:
    """A ``taskset`` prefix keeping a process on one CPU, so that the load generator and the
    server under test do not trade cores between runs (the main source of noise on 2 cores)."""
    taskset = shutil.which("taskset")
    cpus = os.cpu_count() or 1
    return [taskset, "-c", str(cpu)] if taskset and cpus >= 2 else []


def run_wrk(wrk: str, url: str, seconds: int) -> WrkResult:
    command = [
        *pinned(0),
        wrk,
        f"-t{WRK_THREADS}",
        f"-c{WRK_CONNECTIONS}",
        f"-d{seconds}s",
        "--latency",
        url,
    ]
    try:
        done = subprocess.run(
            command, capture_output=True, text=True, check=False, timeout=seconds + 30
        )
    except subprocess.TimeoutExpired as exc:
        raise BenchError(f"wrk did not finish: {' '.join(command)}") from exc
    if done.returncode != 0:
        raise BenchError(f"wrk failed ({done.returncode}): {done.stderr or done.stdout}")
    return parse_wrk(done.stdout)


def measure(wrk: str, server: Server, path: str, seconds: int) -> WrkResult:
    url = server.base_url + path
    run_wrk(wrk, url, WARMUP_SECONDS)  # discarded: connection set-up, caches, pools
    result = run_wrk(wrk, url, seconds)
    errors = f", non-2xx {result.non_2xx}" if result.non_2xx else ""
    if result.socket_error_total:
        errors += f", socket errors {result.socket_errors}"
    console.print(
        f"  {server.name:5} {path:14} {result.rps:10,.0f} rps  "
        f"p50 {result.p50_ms:7.2f} ms  p99 {result.p99_ms:7.2f} ms{errors}"
    )
    return result


# --------------------------------------------------------------------------------------------
# Rows
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Row:
    scenario: Scenario
    app: WrkResult  # the best app run (shown)
    baseline: WrkResult  # the best baseline run (shown)
    # app/baseline of each round, measured back to back; their median is the row's ratio,
    # which a single lucky or unlucky run on this shared 2-core machine cannot swing.
    pair_ratios: tuple[float, ...] = ()

    @property
    def ratio(self) -> float:
        if self.pair_ratios:
            return statistics.median(self.pair_ratios)
        return self.app.rps / self.baseline.rps if self.baseline.rps else 0.0

    @property
    def passed(self) -> bool | None:
        if self.app.non_2xx or self.baseline.non_2xx:
            return False
        if self.scenario.target is None:
            return None
        return self.ratio >= self.scenario.target

    @property
    def verdict(self) -> str:
        return {True: "PASS", False: "FAIL", None: "INFO"}[self.passed]

    def to_json(self) -> dict[str, Any]:
        return {
            "scenario": self.scenario.name,
            "app_path": self.scenario.app_path,
            "baseline_kind": self.scenario.baseline,
            "baseline_path": self.scenario.baseline_path,
            "app": self.app.to_json(),
            "baseline": self.baseline.to_json(),
            "ratio": round(self.ratio, 3),
            "pair_ratios": [round(r, 3) for r in self.pair_ratios],
            "target": self.scenario.target,
            "passed": self.passed,
        }


def run_scenario(ctx: Context, wrk: str, scenario: Scenario, seconds: int) -> Row:
    console.print(
        f"[bold]{scenario.name}[/bold]: app {scenario.app_path} vs "
        f"{scenario.baseline} {scenario.baseline_path}, {scenario.rounds} round(s)"
    )
    baseline_server = BASELINES[scenario.baseline](ctx)
    app_server = start_app(ctx)
    check_status(app_server, scenario.app_path)
    baseline_runs: list[WrkResult] = []
    app_runs: list[WrkResult] = []
    for _ in range(scenario.rounds):
        baseline_runs.append(measure(wrk, baseline_server, scenario.baseline_path, seconds))
        app_runs.append(measure(wrk, app_server, scenario.app_path, seconds))
    pairs = tuple(a.rps / b.rps for a, b in zip(app_runs, baseline_runs, strict=True) if b.rps)
    return Row(scenario, app=best(app_runs), baseline=best(baseline_runs), pair_ratios=pairs)


def best(runs: list[WrkResult]) -> WrkResult:
    """The run with the highest throughput; failing runs (non-2xx) are never preferred."""
    return max(runs, key=lambda r: (r.non_2xx == 0, r.rps))


def check_status(server: Server, path: str) -> None:
    response = httpx.get(server.base_url + path, timeout=5.0)
    if response.status_code // 100 != 2:
        console.print(
            f"[yellow]warning: {server.name} {path} answers {response.status_code}: "
            f"{response.text[:300]}[/yellow]"
        )


def render(rows: list[Row | ImportRow]) -> Table:
    table = Table(title=f"xinyidai vs bare Litestar (wrk -t{WRK_THREADS} -c{WRK_CONNECTIONS})")
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


def write_results(rows: list[Any], seconds: int, notes: list[str]) -> None:
    document = {
        "generated_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "machine": {"cpus": os.cpu_count(), "python": platform.python_version()},
        "duration_s": seconds,
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


def row_notes(rows: list[Row | ImportRow]) -> list[str]:
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


# --------------------------------------------------------------------------------------------
# Import rows: ``import_public_credit`` on a generated CSV against a raw COPY of the same rows
# --------------------------------------------------------------------------------------------

IMPORT_CHUNK = 50_000
# public_records' columns, in the order of the tuples the raw COPY sends.
RECORD_COLUMNS = (
    "id",
    "uscc",
    "subject_name",
    "record_type",
    "severity",
    "grade",
    "document_no",
    "decision_date",
    "publish_until",
    "authority",
    "description",
    "status",
    "status_changed_at",
    "status_note",
    "source",
    "provider_ref",
    "fetched_at",
    "import_id",
    "content_hash",
    "created_at",
    "updated_at",
)
INPUT_COLUMNS = (
    "uscc text, subject_name text, record_type text, document_no text, decision_date date, "
    "authority text, severity text, description text, publish_until date, grade text, "
    "status text"
)


@dataclass(frozen=True, slots=True)
class Throughput:
    rows: int
    seconds: float

    @property
    def rps(self) -> float:
        return self.rows / self.seconds if self.seconds else 0.0

    def to_json(self) -> dict[str, Any]:
        return {"rows": self.rows, "seconds": round(self.seconds, 3), "rps": round(self.rps, 1)}


@dataclass(frozen=True, slots=True)
class ImportRow:
    scenario: ImportScenario
    app: Throughput  # import_public_credit: parse, validate, stage, merge, commit
    baseline: Throughput  # raw COPY of the final tuples into a plain table
    info: dict[str, Throughput]  # other reference points (report only)
    counts: dict[str, int]

    @property
    def ratio(self) -> float:
        return self.app.rps / self.baseline.rps if self.baseline.rps else 0.0

    @property
    def passed(self) -> bool | None:
        if self.counts.get("accepted") != self.app.rows:
            return False
        if self.scenario.target is None:
            return None
        return self.ratio >= self.scenario.target

    @property
    def verdict(self) -> str:
        return {True: "PASS", False: "FAIL", None: "INFO"}[self.passed]

    def notes(self) -> list[str]:
        notes = [
            f"{self.scenario.name}: {name} {value.rps:,.0f} rows/s "
            f"(import / that = {self.app.rps / value.rps:.2f})"
            for name, value in self.info.items()
            if value.rps
        ]
        if self.counts.get("accepted") != self.app.rows:
            notes.append(f"{self.scenario.name}: the import reported {self.counts}")
        return notes

    def to_json(self) -> dict[str, Any]:
        return {
            "scenario": self.scenario.name,
            "kind": getattr(self.scenario, "kind", "import"),
            "app": self.app.to_json(),
            "baseline": self.baseline.to_json(),
            "info": {name: value.to_json() for name, value in self.info.items()},
            "counts": self.counts,
            "ratio": round(self.ratio, 3),
            "target": self.scenario.target,
            "passed": self.passed,
        }


def import_rows(scenario: ImportScenario) -> int:
    raw = os.environ.get("BENCH_IMPORT_ROWS", "").strip()
    if not raw:
        return scenario.rows
    if not raw.isdigit() or int(raw) <= 0:
        raise BenchError(f"BENCH_IMPORT_ROWS must be a positive whole number, not {raw!r}")
    return int(raw)


def run_sync_scenario(ctx: Context, scenario: SyncScenario, database_url: str) -> ImportRow:
    from bench.sync_city import measure_sync

    console.print(f"[bold]{scenario.name}[/bold]: full sync of the demo city")
    result = measure_sync(database_url, ctx.workdir, log=lambda m: console.print(f"  {m}"))
    ours, raw = result["ours"], result["raw"]
    return ImportRow(
        scenario=scenario,  # type: ignore[arg-type]
        app=Throughput(ours["records"], ours["seconds"]),
        baseline=Throughput(raw["records"], raw["seconds"]),
        info={},
        counts={
            "accepted": ours["records"],
            "enterprises": result["enterprises"],
            "series": result["series"],
        },
    )


def run_import_scenario(ctx: Context, scenario: ImportScenario) -> ImportRow:
    """Generate the file, then measure in a scratch database on the bench's PostgreSQL:
    the raw COPY baselines, then the import into an empty ``public_records``."""
    import asyncio

    from bench.scratch import scratch_database
    from xinyidai.domain.credit_data.synthetic import synthetic_rows, write_csv

    count = import_rows(scenario)
    path = ctx.workdir / "public_credit.csv"
    console.print(f"[bold]{scenario.name}[/bold]: generating {count:,} rows (not measured)")
    started = time.monotonic()
    write_csv(path, synthetic_rows(count))
    console.print(
        f"  {path.stat().st_size / 1e6:,.0f} MB in {time.monotonic() - started:.0f} s; "
        "scratch database"
    )
    with scratch_database(ctx.env["DATABASE_URL"], f"xyb_import_{os.getpid()}") as url:
        return asyncio.run(_measure_import(scenario, url, path, count))


def _chunks(path: Path, shape: Callable[[Any], tuple[Any, ...]]) -> Iterator[list[tuple[Any, ...]]]:
    """The file's valid rows, parsed (not measured) and shaped, IMPORT_CHUNK at a time."""
    from xinyidai.domain.credit_data.imports import ParsedRow, parse_rows

    chunk: list[tuple[Any, ...]] = []
    for item in parse_rows(path, path.name):
        if isinstance(item, ParsedRow):
            chunk.append(shape(item))
            if len(chunk) >= IMPORT_CHUNK:
                yield chunk
                chunk = []
    if chunk:
        yield chunk


def _stored_shape(path: Path, now: dt.datetime, import_id: Any) -> Callable[[Any], tuple[Any, ...]]:
    """A parsed row as ``public_records`` stores it (RECORD_COLUMNS)."""
    ref, note = f"{path.name}#row", f"repaired by import {path.name}"

    def shape(r: Any) -> tuple[Any, ...]:
        repaired = r.status == "repaired"
        return (
            r.id, r.uscc, r.subject_name, r.record_type, r.severity, r.grade, r.document_no,
            r.decision_date, r.publish_until, r.authority, r.description, r.status,
            now if repaired else None, note if repaired else None, "public_credit_import",
            f"{ref}{r.row}", now, import_id, r.content_hash, now, now,
        )  # fmt: skip

    return shape


def _input_shape(r: Any) -> tuple[Any, ...]:
    """A parsed row as the file has it (INPUT_COLUMNS)."""
    return (
        r.uscc, r.subject_name, r.record_type, r.document_no, r.decision_date, r.authority,
        r.severity, r.description, r.publish_until, r.grade, r.status,
    )  # fmt: skip


async def _settle(conn: Any) -> None:
    """Start each measurement from a clean checkpoint, so that one phase's WAL is not flushed
    on the next one's time (best effort: needs superuser or pg_checkpoint)."""
    import asyncpg

    with contextlib.suppress(asyncpg.PostgresError):
        await conn.execute("CHECKPOINT")


async def _timed_copies(
    conn: Any, label: str, table: str, chunks: Iterator[list[tuple[Any, ...]]], columns: Any
) -> Throughput:
    """COPY every chunk into ``table``; only the COPY commands are timed."""
    await _settle(conn)
    rows, seconds, reported = 0, 0.0, 0
    for chunk in chunks:
        started = time.perf_counter()
        await conn.copy_records_to_table(table, records=chunk, columns=columns)
        seconds += time.perf_counter() - started
        rows += len(chunk)
        if rows - reported >= 250_000:
            reported = rows
            console.print(f"  {label}: {rows:,} rows, {seconds:.1f} s copying")
    result = Throughput(rows, seconds)
    console.print(f"  {label}: {result.rps:,.0f} rows/s ({rows:,} rows in {seconds:.1f} s)")
    return result


def _parse_only(path: Path, now: dt.datetime) -> Throughput:
    """What the import's parser process does for the file, timed in this process."""
    import uuid

    from xinyidai.domain.credit_data import imports
    from xinyidai.domain.credit_data.imports import copy_encoding

    reader = imports.open_import(path, path.name)
    try:
        encoder = copy_encoding._Encoder(
            now=now, import_id=uuid.uuid4(), ref_prefix=f"{path.name}#row", note="", stage=False
        )
        validator = imports.Validator(imports.china_today(), new_id=copy_encoding._no_id)
        started = time.perf_counter()
        rows = 0
        for item in copy_encoding._encode_batches(imports.iter_batches(reader, validator), encoder):
            rows = item.info.rows_read
        result = Throughput(rows, time.perf_counter() - started)
    finally:
        reader.close()
    console.print(
        f"  parser alone: {result.rps:,.0f} rows/s ({rows:,} rows in {result.seconds:.1f} s)"
    )
    return result


async def _measure_import(scenario: ImportScenario, url: str, path: Path, count: int) -> ImportRow:
    import uuid

    import asyncpg

    from bench.scratch import dsn
    from xinyidai.domain.credit_data.imports import import_public_credit
    from xinyidai.infra.db import create_engine, session_factory
    from xinyidai.settings import Settings

    now = dt.datetime.now(dt.UTC)
    info: dict[str, Throughput] = {}
    conn = await asyncpg.connect(dsn(url))
    try:
        # (a) the baseline: the final tuples into a plain table with public_records' columns
        # (no indexes, constraints or defaults).
        await conn.execute("CREATE TABLE bench_raw (LIKE public_records)")
        stored = _stored_shape(path, now, uuid.uuid4())
        baseline = await _timed_copies(
            conn, "raw COPY", "bench_raw", _chunks(path, stored), RECORD_COLUMNS
        )
        await conn.execute("DROP TABLE bench_raw")
        # Reference: the parsed input columns only (11 columns, dates parsed).
        await conn.execute(f"CREATE TABLE bench_raw_input ({INPUT_COLUMNS})")
        info["raw COPY of the 11 input columns"] = await _timed_copies(
            conn, "raw COPY, input columns", "bench_raw_input", _chunks(path, _input_shape), None
        )
        await conn.execute("DROP TABLE bench_raw_input")
    finally:
        await conn.close()

    # (b) ours: the CSV file into the empty public_records, in one transaction.
    conn = await asyncpg.connect(dsn(url))
    try:
        await _settle(conn)
    finally:
        await conn.close()
    engine = create_engine(Settings(database_url=url), url)
    try:
        async with session_factory(engine)() as session:
            console.print(f"  import: {path.name} → public_records")
            started = time.perf_counter()

            reported = [0]

            def progress(rows: int) -> None:
                if rows - reported[0] >= 250_000 or rows == count:
                    reported[0] = rows
                    elapsed = time.perf_counter() - started
                    console.print(f"  import: {rows:,} rows, {elapsed:.1f} s")

            report = await import_public_credit(
                session, path, filename=path.name, on_progress=progress
            )
            await session.commit()
            ours = Throughput(count, time.perf_counter() - started)
            console.print(
                f"  import: {ours.rps:,.0f} rows/s ({count:,} rows in {ours.seconds:.1f} s)"
            )
    finally:
        await engine.dispose()
    counts = {
        "accepted": report.accepted,
        "updated": report.updated,
        "unchanged": report.unchanged,
        "rejected": len(report.rejected),
    }

    # Reference: the import's parser alone (parse, validate, hash, encode the COPY data; one
    # process, no database): the other half of the import's work, which it overlaps with
    # PostgreSQL's by running it in a separate process.
    info["parser alone (one process, no database)"] = _parse_only(path, now)

    # Reference: the same final tuples COPied into public_records itself (its four indexes and
    # the import_id foreign key: the work any loader must have PostgreSQL do), rolled back.
    conn = await asyncpg.connect(dsn(url))
    try:
        await conn.execute("TRUNCATE public_records CASCADE")
        transaction = conn.transaction()
        await transaction.start()
        try:
            import_id = await conn.fetchval(
                "INSERT INTO credit_imports (id, filename, status, accepted, updated, unchanged, "
                "rejected_count, rejected, created_at, updated_at) "
                "VALUES (gen_random_uuid(), 'bench', 'done', 0, 0, 0, 0, '[]', now(), now()) "
                "RETURNING id"
            )
            info["COPY into public_records itself"] = await _timed_copies(
                conn,
                "COPY into public_records",
                "public_records",
                _chunks(path, _stored_shape(path, now, import_id)),
                RECORD_COLUMNS,
            )
        finally:
            await transaction.rollback()
    finally:
        await conn.close()
    return ImportRow(scenario, app=ours, baseline=baseline, info=info, counts=counts)


# --------------------------------------------------------------------------------------------
# Scoring rows (bench/scoring.py)
# --------------------------------------------------------------------------------------------


def run_scoring_scenario(ctx: Context, scenario: ScoringScenario, database_url: str) -> Any:
    from bench import scoring

    def log(message: str) -> None:
        console.print(f"  {message}")

    console.print(f"[bold]{scenario.name}[/bold]")
    if scenario.name == "score_one":
        return scoring.score_one_row(ctx.workdir, log=log)
    return scoring.score_batch_row(database_url, ctx.workdir, log=log)


def render_scoring(rows: list[Any]) -> Table:
    table = Table(title="scoring (in process, same run)")
    for name in ("scenario", "measured", "target", "same-run reference", "verdict"):
        table.add_column(name, justify="left" if name == "scenario" else "right", no_wrap=True)
    colours = {"PASS": "green", "FAIL": "red"}
    for row in rows:
        cells = row.cells()
        cells[-1] = f"[{colours[row.verdict]}]{row.verdict}[/]"
        table.add_row(*cells)
    return table


# --------------------------------------------------------------------------------------------
# Main
# --------------------------------------------------------------------------------------------


def duration() -> int:
    raw = os.environ.get("BENCH_DURATION", "").strip()
    if not raw:
        return DEFAULT_DURATION
    try:
        seconds = int(raw)
    except ValueError:
        seconds = 0
    if seconds <= 0:
        raise BenchError(f"BENCH_DURATION must be a positive whole number of seconds, not {raw!r}")
    return seconds


def selected_scenarios() -> list[Scenario | ImportScenario | SyncScenario | ScoringScenario]:
    """``SCENARIOS``, or those ``BENCH_ONLY`` names (comma-separated)."""
    raw = os.environ.get("BENCH_ONLY", "").strip()
    if not raw:
        return list(SCENARIOS)
    wanted = [name.strip() for name in raw.split(",") if name.strip()]
    known = {s.name for s in SCENARIOS}
    unknown = [name for name in wanted if name not in known]
    if unknown:
        raise BenchError(
            f"BENCH_ONLY names unknown rows {', '.join(unknown)} (known: {', '.join(known)})"
        )
    return [s for s in SCENARIOS if s.name in wanted]


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
    except BenchError as exc:
        console.print(f"[red]bench: {exc}[/red]")
        return 1

    workdir = Path(tempfile.mkdtemp(prefix="xyb-", dir="/tmp"))
    ctx: Context | None = None
    rows: list[Row | ImportRow] = []
    scoring_rows: list[Any] = []
    notes: list[str] = []
    try:
        with engines(workdir) as (database_url, redis_url):
            ctx = Context(workdir, server_env(database_url, redis_url))
            try:
                for scenario in scenarios:
                    if isinstance(scenario, ScoringScenario):
                        scoring_rows.append(run_scoring_scenario(ctx, scenario, database_url))
                    elif isinstance(scenario, ImportScenario):
                        rows.append(run_import_scenario(ctx, scenario))
                    elif isinstance(scenario, SyncScenario):
                        rows.append(run_sync_scenario(ctx, scenario, database_url))
                    else:
                        rows.append(run_scenario(ctx, wrk, scenario, seconds))
            finally:
                ctx.stop_all()  # before the engines stop, so the app does not log their loss
                notes = row_notes(rows) + server_log_notes(ctx)
    except BenchError as exc:
        console.print(f"[red]bench: {exc}[/red]")
        return 1
    except KeyboardInterrupt:
        console.print("[yellow]bench: interrupted[/yellow]")
        return 130
    finally:
        if ctx is not None:
            ctx.stop_all()
        shutil.rmtree(workdir, ignore_errors=True)

    if rows:
        console.print(render(rows))
    if scoring_rows:
        console.print(render_scoring(scoring_rows))
    for note in notes:
        console.print(f"[yellow]note:[/yellow] {note}")
    write_results(rows + scoring_rows, seconds, notes)
    console.print(
        f"[dim]wrote {RESULTS_PATH.relative_to(ROOT)} in {time.monotonic() - started:.0f} s[/dim]"
    )
    strict = os.environ.get("BENCH_STRICT", "").strip() == "1"
    if strict and any(row.passed is False for row in rows + scoring_rows):
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
