"""The rows of ``make bench`` and the environment that selects and sizes them.

Add a row by appending to ``SCENARIOS``; add a new kind of HTTP baseline by writing a
``start_*`` function and registering it in ``bench.servers.BASELINES``.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

from bench.harness import BenchError

DEFAULT_DURATION = 10


@dataclass(frozen=True, slots=True)
class Scenario:
    """Kind ``http`` (bench/http_rows.py): the app under wrk against a baseline server."""

    name: str
    app_path: str  # path requested on the platform app
    baseline: str  # key of BASELINES
    target: float | None  # minimum app/baseline rps ratio; None: report only
    baseline_path: str = "/health/live"  # path requested on the baseline server
    rounds: int = 1  # alternating baseline/app rounds; the best run of each side counts
    # Logged in as the seeded SME owner (bench/auth_seed.py): wrk sends its session cookie,
    # ``{enterprise_id}`` in the paths names its enterprise, and the row also measures the bare
    # liveness route once, for the ratio to it.
    auth: bool = False
    # Worker processes of the app server and of its baseline server (the same count); the
    # bare liveness reference of an authenticated row runs with as many.
    workers: int = 1
    # The bank API rows (bench/bank_rows.py): each request carries its own DPoP proof, made
    # ahead of the run (``profile``: a profile pull with the bank's access token; ``token``: a
    # token request with its own client assertion too). ``{uscc}`` in the paths names the SME.
    signed: str | None = None
    # ``submit``: each request a new application made ahead of the run, sent once
    # (bench/application_rows.py), by the seeded SMEs in turn (bench/app_seed.py).
    prepared: str | None = None


@dataclass(frozen=True, slots=True)
class ImportScenario:
    """Kind ``import`` (bench/import_rows.py): a bulk import in process against a raw COPY, on
    the same PostgreSQL."""

    name: str
    rows: int  # rows generated (BENCH_IMPORT_ROWS overrides)
    target: float | None  # minimum import rows/s over raw COPY rows/s
    kind: str = "import"


@dataclass(frozen=True, slots=True)
class SyncScenario:
    """Kind ``sync``: a full sync of the demo city from the sandbox provider (records/s),
    against bare httpx fetching the same series from the same sandbox (see sync_city.py);
    ``workers`` processes share the SMEs (each with its own connector and pool)."""

    name: str
    target: float | None = None
    workers: int = 1
    kind: str = "sync"


@dataclass(frozen=True, slots=True)
class RelayScenario:
    """Kind ``relay`` (bench/relay_rows.py): outbox rows delivered by the relay to a sandbox
    bank's intake, ``concurrency`` at once, against bare httpx posting the same documents to
    the same intake (deliveries/s)."""

    name: str
    deliveries: int  # BENCH_RELAY_DELIVERIES overrides
    concurrency: int
    target: float | None = None
    kind: str = "relay"


@dataclass(frozen=True, slots=True)
class ScoringScenario:
    """Kind ``scoring`` (bench/scoring.py): ``score_one`` (one SME end to end against a raw
    LightGBM single-row predict, p50 ms) and ``score_batch`` (every SME's latest snapshot from
    the database and back, SMEs/s), both against the issue's absolute targets."""

    name: str
    kind: str = "scoring"


@dataclass(frozen=True, slots=True)
class BundleScenario:
    """Kind ``bundle`` (bench/bundle_size.py): the gzipped JavaScript of the SME dashboard's
    first load, from Vite's build manifest, against an absolute budget (no engines needed)."""

    name: str
    budget_kb: float = 400.0
    kind: str = "bundle"


@dataclass(frozen=True, slots=True)
class MatchingScenario:
    """Kind ``matching`` (bench/matching.py): ``match_one`` (one SME's matches against 1,000
    products, p99 ms) and ``match_batch`` (eligibility of 100,000 SMEs × 500 products, seconds,
    with the ratio to a bare numpy evaluation), in process, no engines needed."""

    name: str
    kind: str = "matching"


@dataclass(frozen=True, slots=True)
class StatsScenario:
    """Kind ``stats`` (bench/stats_rows.py): ``stats_kpis`` (the office's KPI summary) and
    ``stats_grouped`` (loans by bank × month over a year), p95 ms over 1,000,000 loans, with the
    same figures from the base tables as the reference."""

    name: str
    kind: str = "stats"


AnyScenario = (
    Scenario
    | StatsScenario
    | ImportScenario
    | SyncScenario
    | RelayScenario
    | ScoringScenario
    | BundleScenario
    | MatchingScenario
)

_ME = ("/api/v1/me", "/bare/me")
_PROFILE = (
    "/api/v1/enterprises/{enterprise_id}/profile",
    "/bare/enterprises/{enterprise_id}/profile",
)
_SCORE = (
    "/api/v1/enterprises/{enterprise_id}/score",
    "/bare/enterprises/{enterprise_id}/score",
)


def _authenticated(name: str, paths: tuple[str, str], workers: int = 1) -> Scenario:
    app_path, baseline_path = paths
    return Scenario(name, app_path, "bare_auth", 0.5, baseline_path, auth=True, workers=workers)


SCENARIOS: list[AnyScenario] = [
    Scenario("live", "/health/live", baseline="bare", target=0.8, rounds=3),
    Scenario("ready", "/health/ready", baseline="bare", target=None, rounds=1),
    _authenticated("me", _ME),
    _authenticated("profile", _PROFILE),
    _authenticated("score", _SCORE),
    # The same with 2 worker processes behind each server (app and baseline alike).
    Scenario("live_2w", "/health/live", baseline="bare", target=0.8, rounds=3, workers=2),
    _authenticated("me_2w", _ME, workers=2),
    _authenticated("profile_2w", _PROFILE, workers=2),
    _authenticated("score_2w", _SCORE, workers=2),
    # The bank API (issue 14): a DPoP-bound profile pull, and the token endpoint, each against a
    # bare app reading the same snapshot row with raw asyncpg (bench/bank_rows.py).
    Scenario(
        "bank_profile",
        "/openapi/v1/profiles/{uscc}",
        "bare_bank",
        0.4,
        "/bare/profiles/{uscc}",
        rounds=2,
        signed="profile",
    ),
    Scenario(
        "bank_token", "/oauth/token", "bare_bank", None, "/bare/profiles/{uscc}", signed="token"
    ),
    # Applications (issue 16): a submission under wrk against a bare app decoding the same
    # body (bench/application_rows.py); the relay's deliveries against bare httpx posting the
    # same documents to the same sandbox bank (bench/relay_rows.py).
    Scenario(
        "app_submit",
        "/api/v1/applications",
        "bare_submit",
        None,
        "/bare/applications",
        rounds=2,
        prepared="submit",
    ),
    RelayScenario("relay_delivery", deliveries=2_000, concurrency=32, target=0.5),
    ImportScenario("import", rows=1_000_000, target=0.5),
    SyncScenario("sync", target=0.5),
    SyncScenario("sync_2w", target=0.5, workers=2),
    ScoringScenario("score_one"),
    ScoringScenario("score_batch"),
    BundleScenario("bundle_sme", budget_kb=400.0),
    MatchingScenario("match_one"),
    MatchingScenario("match_batch"),
    StatsScenario("stats_kpis"),
    StatsScenario("stats_grouped"),
]


def duration() -> int:
    """Seconds per measured wrk run: ``BENCH_DURATION`` or ``DEFAULT_DURATION``."""
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


def selected_scenarios() -> list[AnyScenario]:
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


def import_rows(scenario: ImportScenario) -> int:
    """Rows the ``import`` row generates: ``BENCH_IMPORT_ROWS`` or the scenario's own."""
    raw = os.environ.get("BENCH_IMPORT_ROWS", "").strip()
    if not raw:
        return scenario.rows
    if not raw.isdigit() or int(raw) <= 0:
        raise BenchError(f"BENCH_IMPORT_ROWS must be a positive whole number, not {raw!r}")
    return int(raw)


def relay_deliveries(scenario: RelayScenario) -> int:
    """Deliveries the ``relay_delivery`` row makes: ``BENCH_RELAY_DELIVERIES`` or its own."""
    raw = os.environ.get("BENCH_RELAY_DELIVERIES", "").strip()
    if not raw:
        return scenario.deliveries
    if not raw.isdigit() or int(raw) <= 0:
        raise BenchError(f"BENCH_RELAY_DELIVERIES must be a positive whole number, not {raw!r}")
    return int(raw)


def strict() -> bool:
    """``BENCH_STRICT=1``: a failed row makes the exit code 1."""
    return os.environ.get("BENCH_STRICT", "").strip() == "1"
