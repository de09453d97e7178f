"""The ``app_submit`` row: ``POST /api/v1/applications`` under wrk, each request a new
application.

A submission is not repeatable: the same ``Idempotency-Key`` again is a replay (the first
result, no new work). So, as the bank rows do for their proofs (bench/bank_rows.py), the
requests of each wrk run are made just before it into a file, one per line, each with a new
key, the session cookie and CSRF token of one of the seeded SMEs (in turn) and a valid body
(bench/app_seed.py), and ``each_request.lua`` sends every line once. The baseline
(``bare_submit``) gets the same script and lines, decodes the body and answers 201.

The platform writes each application with its consent, timeline event and outbox row, and
queues the relay's job after the commit. The app server runs with ``ENV=production``, whose
web processes run no worker (``Settings.run_worker_in_process``), and the bench starts none:
the jobs wait in Redis, so no delivery runs during the measurement. The row checks it after the
runs: every application the runs made still has its outbox row ``pending``.
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass
from pathlib import Path
from typing import ClassVar
from uuid import uuid4

import httpx
import msgspec

from bench.app_seed import ApplySeed, application_body, apply_seed
from bench.bank_rows import measure_signed
from bench.harness import BENCH_DIR, BenchError, console
from bench.http_rows import Row, WrkResult, best
from bench.scenarios import Scenario
from bench.servers import BASELINES, Context, Server, start_app

LUA_SCRIPT = BENCH_DIR / "each_request.lua"
BODIES = 50  # distinct bodies (amounts), cycled
JSON = "application/json"


@dataclass(frozen=True, slots=True)
class SubmitLoad:
    """Applications by the seeded SMEs, each with its own ``Idempotency-Key``."""

    seed: ApplySeed
    kind: ClassVar[str] = "submit"
    method: ClassVar[str] = "POST"
    script: ClassVar[Path] = LUA_SCRIPT
    warmup_rps: ClassVar[int] = 2_000  # a submission writes several rows: far below this

    def bodies(self) -> list[str]:
        return [
            msgspec.json.encode(application_body(self.seed.product_id, n)).decode()
            for n in range(BODIES)
        ]

    def line(self, n: int, body: str) -> str:
        applicant = self.seed.applicants[n % len(self.seed.applicants)]
        return (
            f"Cookie: {applicant.cookie}\tx-csrf-token: {applicant.csrf}\t"
            f"Idempotency-Key: {uuid4()}\t{body}"
        )

    def prepare(self, lines: int, path: Path, seconds: int) -> tuple[str, ...]:
        """Write ``lines`` requests to ``path`` (a new key each); the static headers."""
        del seconds  # nothing in a submission expires within a run
        started = time.monotonic()
        bodies = self.bodies()
        path.write_text("\n".join(self.line(n, bodies[n % BODIES]) for n in range(lines)) + "\n")
        console.print(
            f"[dim]  made {lines:,} submissions in {time.monotonic() - started:.1f} s[/dim]"
        )
        return (f"Content-Type: {JSON}",)

    def check(self, server: Server, path: str) -> None:
        """One submission to ``server``, as wrk will send them; a warning unless 201."""
        fields = dict(
            field.split(": ", 1) for field in self.line(0, "").split("\t") if ": " in field
        )
        fields["Content-Type"] = JSON
        response = httpx.post(
            server.base_url + path,
            headers=fields,
            content=self.bodies()[0],
            timeout=10.0,
        )
        if response.status_code != 201:
            console.print(
                f"[yellow]warning: {server.name} {path} answers {response.status_code}: "
                f"{response.text[:300]}[/yellow]"
            )


def run_submit_scenario(ctx: Context, wrk: str, scenario: Scenario, seconds: int) -> Row:
    console.print(
        f"[bold]{scenario.name}[/bold]: app POST {scenario.app_path} vs {scenario.baseline} "
        f"POST {scenario.baseline_path}, {scenario.rounds} round(s), each request a new "
        "application made ahead"
    )
    seed = apply_seed(ctx)  # before the row's servers start
    before = asyncio.run(_outbox(ctx.env["DATABASE_URL"], seed))
    baseline_server = BASELINES[scenario.baseline](ctx, scenario.workers)
    app_server = start_app(ctx, scenario.workers)
    load = SubmitLoad(seed)
    load.check(app_server, scenario.app_path)
    load.check(baseline_server, scenario.baseline_path)
    baseline_runs: list[WrkResult] = []
    app_runs: list[WrkResult] = []
    for _ in range(scenario.rounds):
        baseline_runs.append(
            measure_signed(wrk, baseline_server, scenario.baseline_path, seconds, load, ctx.workdir)
        )
        app_runs.append(
            measure_signed(wrk, app_server, scenario.app_path, seconds, load, ctx.workdir)
        )
    made, pending = (
        after - earlier
        for after, earlier in zip(
            asyncio.run(_outbox(ctx.env["DATABASE_URL"], seed)), before, strict=True
        )
    )
    console.print(
        f"[dim]  {made:,} applications made by the runs; {pending:,} of their outbox rows "
        "still pending (no relay ran)[/dim]"
    )
    if made != pending:
        raise BenchError(
            f"{scenario.name}: {made - pending} deliveries were attempted during the runs: "
            "a worker is running the relay's jobs"
        )
    pairs = tuple(a.rps / b.rps for a, b in zip(app_runs, baseline_runs, strict=True) if b.rps)
    return Row(scenario, app=best(app_runs), baseline=best(baseline_runs), pair_ratios=pairs)


async def _outbox(database_url: str, seed: ApplySeed) -> tuple[int, int]:
    """The bank's outbox rows: (all, still pending with no attempt)."""
    import asyncpg

    conn = await asyncpg.connect(database_url.replace("postgresql+asyncpg://", "postgresql://"))
    try:
        row = await conn.fetchrow(
            "SELECT count(*) AS made, "
            "count(*) FILTER (WHERE status = 'pending' AND attempts = 0) AS pending "
            "FROM application_deliveries WHERE bank_id = $1",
            seed.bank_id,
        )
    finally:
        await conn.close()
    assert row is not None
    return int(row["made"]), int(row["pending"])
