"""Import row (kind ``import``): ``import_public_credit`` on a generated CSV against a raw COPY
of the same rows, in a scratch database on the bench's PostgreSQL (see bench/README.md).

``Throughput`` and ``ImportRow`` (rows/s against a baseline's rows/s) serve the ``sync`` row
too (bench/sync_city.py).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import os
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bench.harness import console
from bench.scenarios import ImportScenario, RelayScenario, SyncScenario, import_rows
from bench.servers import Context

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
    scenario: ImportScenario | SyncScenario | RelayScenario
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
            "kind": self.scenario.kind,
            "app": self.app.to_json(),
            "baseline": self.baseline.to_json(),
            "info": {name: value.to_json() for name, value in self.info.items()},
            "counts": self.counts,
            "ratio": round(self.ratio, 3),
            "target": self.scenario.target,
            "passed": self.passed,
        }


def run_import_scenario(ctx: Context, scenario: ImportScenario) -> ImportRow:
    """Generate the file, then measure in a scratch database on the bench's PostgreSQL:
    the raw COPY baselines, then the import into an empty ``public_records``."""
    import asyncio

    from bench.scratch import scratch_database
    from xinyidai.simulation.exports import synthetic_rows, write_csv

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

    from xinyidai.dates import china_today
    from xinyidai.domain.credit_data import imports
    from xinyidai.domain.credit_data.imports import copy_encoding

    reader = imports.open_import(path, path.name)
    try:
        encoder = copy_encoding._Encoder(
            now=now, import_id=uuid.uuid4(), ref_prefix=f"{path.name}#row", note="", stage=False
        )
        validator = imports.Validator(china_today(), new_id=copy_encoding._no_id)
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
    """The phases in order: raw COPY baselines, the import, then its reference points."""
    now = dt.datetime.now(dt.UTC)
    info: dict[str, Throughput] = {}
    baseline, info["raw COPY of the 11 input columns"] = await _raw_copies(url, path, now)
    ours, counts = await _import(url, path, count)
    # Reference: the import's parser alone (parse, validate, hash, encode the COPY data; one
    # process, no database): the other half of the import's work, which it overlaps with
    # PostgreSQL's by running it in a separate process.
    info["parser alone (one process, no database)"] = _parse_only(path, now)
    info["COPY into public_records itself"] = await _copy_into_public_records(url, path, now)
    return ImportRow(scenario, app=ours, baseline=baseline, info=info, counts=counts)


async def _raw_copies(url: str, path: Path, now: dt.datetime) -> tuple[Throughput, Throughput]:
    """(a) The baseline: the final tuples into a plain table with public_records' columns (no
    indexes, constraints or defaults); and, for reference, the parsed input columns only (11
    columns, dates parsed)."""
    import uuid

    import asyncpg

    from bench.scratch import dsn

    conn = await asyncpg.connect(dsn(url))
    try:
        await conn.execute("CREATE TABLE bench_raw (LIKE public_records)")
        stored = _stored_shape(path, now, uuid.uuid4())
        baseline = await _timed_copies(
            conn, "raw COPY", "bench_raw", _chunks(path, stored), RECORD_COLUMNS
        )
        await conn.execute("DROP TABLE bench_raw")
        await conn.execute(f"CREATE TABLE bench_raw_input ({INPUT_COLUMNS})")
        input_columns = await _timed_copies(
            conn, "raw COPY, input columns", "bench_raw_input", _chunks(path, _input_shape), None
        )
        await conn.execute("DROP TABLE bench_raw_input")
    finally:
        await conn.close()
    return baseline, input_columns


async def _import(url: str, path: Path, count: int) -> tuple[Throughput, dict[str, int]]:
    """(b) Ours: the CSV file into the empty public_records, in one transaction; the rows/s
    and the import's report counts."""
    import asyncpg

    from bench.scratch import dsn
    from xinyidai.domain.credit_data.imports import import_public_credit
    from xinyidai.infra.db import create_engine, session_factory
    from xinyidai.settings import Settings

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
    return ours, counts


async def _copy_into_public_records(url: str, path: Path, now: dt.datetime) -> Throughput:
    """Reference: the same final tuples COPied into public_records itself (its four indexes and
    the import_id foreign key: the work any loader must have PostgreSQL do), rolled back."""
    import asyncpg

    from bench.scratch import dsn

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
            return await _timed_copies(
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
