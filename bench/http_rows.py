"""HTTP rows (kind ``http``): the platform app and a baseline server, each loaded with ``wrk``
in alternating rounds; the row's ratio is the median of the rounds' app/baseline ratios."""

from __future__ import annotations

import os
import re
import shutil
import statistics
import subprocess
from dataclasses import dataclass
from typing import Any

import httpx

from bench.harness import BenchError, console, pinned
from bench.scenarios import Scenario
from bench.servers import BASELINES, Context, Server, start_app, start_bare

WRK_THREADS = 1
WRK_CONNECTIONS = 32
WARMUP_SECONDS = 2

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


def run_wrk(wrk: str, url: str, seconds: int, headers: tuple[str, ...] = ()) -> WrkResult:
    return parse_wrk(wrk_output(wrk, url, seconds, headers))


def wrk_output(
    wrk: str,
    url: str,
    seconds: int,
    headers: tuple[str, ...] = (),
    script: tuple[str, ...] = (),
) -> str:
    """wrk's report of one run; ``script`` is a Lua script's path and its arguments."""
    lua = ["-s", script[0]] if script else []
    command = [
        *pinned(0),
        wrk,
        f"-t{WRK_THREADS}",
        f"-c{WRK_CONNECTIONS}",
        f"-d{seconds}s",
        "--latency",
        *(arg for header in headers for arg in ("-H", header)),
        *lua,
        url,
        *(["--", *script[1:]] if script else []),
    ]
    try:
        done = subprocess.run(
            command, capture_output=True, text=True, check=False, timeout=seconds + 30
        )
    except subprocess.TimeoutExpired as exc:
        raise BenchError(f"wrk did not finish: {' '.join(command)}") from exc
    if done.returncode != 0:
        raise BenchError(f"wrk failed ({done.returncode}): {done.stderr or done.stdout}")
    return done.stdout


def measure(
    wrk: str, server: Server, path: str, seconds: int, headers: tuple[str, ...] = ()
) -> WrkResult:
    url = server.base_url + path
    run_wrk(wrk, url, WARMUP_SECONDS, headers)  # discarded: connection set-up, caches, pools
    result = run_wrk(wrk, url, seconds, headers)
    print_run(server, path, result)
    return result


def print_run(server: Server, path: str, result: WrkResult) -> None:
    errors = f", non-2xx {result.non_2xx}" if result.non_2xx else ""
    if result.socket_error_total:
        errors += f", socket errors {result.socket_errors}"
    console.print(
        f"  {server.name:9} {path:14} {result.rps:10,.0f} rps  "
        f"p50 {result.p50_ms:7.2f} ms  p99 {result.p99_ms:7.2f} ms{errors}"
    )


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
    live: WrkResult | None = None  # authenticated rows: the bare liveness route, same run

    @property
    def live_ratio(self) -> float | None:
        """App rps over the bare liveness route's (authenticated rows only)."""
        if self.live is None or not self.live.rps:
            return None
        return self.app.rps / self.live.rps

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
            "workers": self.scenario.workers,
            "app": self.app.to_json(),
            "baseline": self.baseline.to_json(),
            "ratio": round(self.ratio, 3),
            "pair_ratios": [round(r, 3) for r in self.pair_ratios],
            "target": self.scenario.target,
            "passed": self.passed,
            **(
                {"bare_live": self.live.to_json(), "ratio_to_bare_live": round(ratio, 3)}
                if self.live is not None and (ratio := self.live_ratio) is not None
                else {}
            ),
        }


def run_scenario(ctx: Context, wrk: str, scenario: Scenario, seconds: int) -> Row:
    console.print(
        f"[bold]{scenario.name}[/bold]: app {scenario.app_path} vs "
        f"{scenario.baseline} {scenario.baseline_path}, {scenario.rounds} round(s), "
        f"{scenario.workers} worker process(es) per server"
    )
    app_path, baseline_path = scenario.app_path, scenario.baseline_path
    headers: tuple[str, ...] = ()
    if scenario.auth:
        from bench.auth_seed import auth_seed

        seed = auth_seed(ctx)  # before the row's servers start
        app_path, baseline_path = seed.path(app_path), seed.path(baseline_path)
        headers = (f"Cookie: {seed.cookie}",)
    workers = scenario.workers
    baseline_server = BASELINES[scenario.baseline](ctx, workers)
    app_server = start_app(ctx, workers)
    check_status(app_server, app_path, headers)
    check_status(baseline_server, baseline_path, headers)
    baseline_runs: list[WrkResult] = []
    app_runs: list[WrkResult] = []
    for _ in range(scenario.rounds):
        baseline_runs.append(measure(wrk, baseline_server, baseline_path, seconds, headers))
        app_runs.append(measure(wrk, app_server, app_path, seconds, headers))
    pairs = tuple(a.rps / b.rps for a, b in zip(app_runs, baseline_runs, strict=True) if b.rps)
    live = None
    if scenario.auth:
        live = measure(wrk, start_bare(ctx, workers), "/health/live", seconds)
    return Row(
        scenario, app=best(app_runs), baseline=best(baseline_runs), pair_ratios=pairs, live=live
    )


def best(runs: list[WrkResult]) -> WrkResult:
    """The run with the highest throughput; failing runs (non-2xx) are never preferred."""
    return max(runs, key=lambda r: (r.non_2xx == 0, r.rps))


def check_status(server: Server, path: str, headers: tuple[str, ...] = ()) -> None:
    fields = dict(header.split(": ", 1) for header in headers)
    response = httpx.get(server.base_url + path, headers=fields, timeout=5.0)
    if response.status_code // 100 != 2:
        console.print(
            f"[yellow]warning: {server.name} {path} answers {response.status_code}: "
            f"{response.text[:300]}[/yellow]"
        )
