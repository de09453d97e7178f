"""Loading an import file into ``public_records`` (see the package's docstring): a first bulk
load into an empty table, or a merge through a staging table into a filled one."""

from __future__ import annotations

import contextlib
import datetime as dt
import operator
import os
from collections.abc import AsyncGenerator, AsyncIterator, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING
from uuid import UUID

from xinyidai.dates import china_today, utc_now
from xinyidai.domain.credit_data.imports.copy_encoding import (
    RECORD_COLUMNS,
    STAGE_COLUMNS,
    _BatchInfo,
    _encode_batches,
    _Encoder,
    _Loadable,
    _no_id,
)
from xinyidai.domain.credit_data.imports.parsers import (
    _interleaved,
    _ParserJob,
    _process_batches,
    _thread_batches,
)
from xinyidai.domain.credit_data.imports.readers import iter_batches, open_import
from xinyidai.domain.credit_data.imports.validation import Validator
from xinyidai.domain.credit_data.imports.vocabulary import (
    BATCH_SIZE,
    PROVIDER_REF_MAX,
    ImportReport,
    Rejection,
    _duplicate_reason,
)

if TYPE_CHECKING:
    import asyncpg
    from sqlalchemy.ext.asyncio import AsyncSession

# Files of at least PARSER_PROCESS_BYTES are parsed in separate Python processes, so that parsing
# runs in parallel with PostgreSQL's work and the process that talks to PostgreSQL only forwards
# bytes. Smaller files and in-memory sources are parsed in a worker thread (a process costs
# about 0.2 s to start).
PARSER_PROCESS_BYTES = 8 << 20
# Parser processes for a file loaded into an empty table, each validating a part of the rows
# (see iter_batches).
PARSER_PROCESSES = max(1, min(4, os.cpu_count() or 1))

STAGE = "credit_import_stage"  # temporary tables, dropped at the end (and on commit)
SEEN = "credit_import_seen"

_DROP_TEMP = "DROP TABLE IF EXISTS pg_temp.credit_import_stage, pg_temp.credit_import_seen"
_RECORD_COLUMN_LIST = ", ".join(RECORD_COLUMNS)
# A temporary table with public_records' column types, without indexes or constraints.
_CREATE_STAGE = (
    "CREATE TEMPORARY TABLE credit_import_stage ON COMMIT DROP AS "  # noqa: S608 - constants
    f"SELECT 0 AS row, {_RECORD_COLUMN_LIST} FROM public_records WITH NO DATA"
)
_ANY_RECORD = "SELECT EXISTS (SELECT 1 FROM public_records)"
# The first bulk load (into an empty public_records) holds the table exclusively and drops its
# indexes and the constraints built on them (primary key, unique constraints), with the foreign
# keys that reference them (they reference nothing: the table is empty), then builds them
# again at the end: one sorted build per index instead of a million index inserts, each with
# its own WAL record (PostgreSQL's own advice for populating a database). Rows are (create,
# drop) pairs of statements, in the order to drop them; they are built in the reverse order.
_LOAD_INDEXES = """
SELECT create_statement, drop_statement FROM (
    SELECT 1 AS step,
           format('ALTER TABLE %s ADD CONSTRAINT %I %s', c.conrelid::regclass, c.conname,
                  pg_get_constraintdef(c.oid)) AS create_statement,
           format('ALTER TABLE %s DROP CONSTRAINT %I', c.conrelid::regclass, c.conname)
               AS drop_statement
    FROM pg_constraint c
    WHERE c.confrelid = 'public_records'::regclass AND c.contype = 'f'
    UNION ALL
    SELECT 2, format('ALTER TABLE public_records ADD CONSTRAINT %I %s', c.conname,
                     pg_get_constraintdef(c.oid)),
           format('ALTER TABLE public_records DROP CONSTRAINT %I', c.conname)
    FROM pg_constraint c
    WHERE c.conrelid = 'public_records'::regclass AND c.contype IN ('p', 'u')
    UNION ALL
    SELECT 3, pg_get_indexdef(i.indexrelid), format('DROP INDEX %s', i.indexrelid::regclass)
    FROM pg_index i
    WHERE i.indrelid = 'public_records'::regclass
      AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = i.indexrelid)
) s ORDER BY step
"""
INDEX_BUILD_MEMORY = "256MB"  # maintenance_work_mem while the indexes are built again
_CREATE_SEEN = """
CREATE TEMPORARY TABLE IF NOT EXISTS credit_import_seen (
    document_no text COLLATE "C" PRIMARY KEY,
    row integer NOT NULL
) ON COMMIT DROP
"""
# Remember this batch's document numbers; returns how many were new to the file.
_REMEMBER = """
WITH fresh AS (
    INSERT INTO credit_import_seen (document_no, row)
    SELECT document_no, row FROM credit_import_stage
    ON CONFLICT (document_no) DO NOTHING
    RETURNING 1
)
SELECT count(*) FROM fresh
"""
# Rows of this batch whose document number an earlier batch of the file already had.
_DROP_REPEATS = """
DELETE FROM credit_import_stage s USING credit_import_seen x
WHERE x.document_no = s.document_no COLLATE "C" AND x.row <> s.row
RETURNING s.row, s.document_no, x.row AS first_row
"""
# The first bulk load writes every row; when the unique index cannot be built, the file repeats
# document numbers (within a parser process's batch they are rejected at once; across its
# batches, or across processes, only here): each repeated number with its rows' ids, row
# numbers (provider_ref ends with the row number) and USCCs.
_LOADED_REPEATS = """
SELECT document_no, array_agg(id), array_agg(provider_ref), array_agg(uscc)
FROM public_records GROUP BY document_no HAVING count(*) > 1
"""
_DROP_LOADED = "DELETE FROM public_records WHERE id = ANY($1::uuid[])"
# Of the given USCCs, those no record has (any more).
_GONE_USCCS = """
SELECT u.uscc FROM unnest($1::text[]) AS u(uscc)
WHERE NOT EXISTS (SELECT 1 FROM public_records p WHERE p.uscc = u.uscc)
"""
# The merge, into a table that had records before the import. Ids are UUIDv7s made by the
# parser (as the ORM makes them), so PostgreSQL spends no time on them.
# * a known document_no is updated only when its content hash differs;
# * an import only ever marks records repaired ('active' or 'expired' ones): disputed and
#   withdrawn records keep their status, and nothing goes back to 'active';
# * xmax = 0 tells an inserted row from an updated one;
# * an update may move a record to another subject: the old USCC is returned too (both
#   profiles change). Every CTE sees the table as before the batch; LATERAL … LIMIT 1 probes
#   the document_no index instead of scanning the table.
_MERGE = f"""
WITH moved AS (
    SELECT p.uscc FROM credit_import_stage s
    CROSS JOIN LATERAL (
        SELECT p.uscc FROM public_records p
        WHERE p.document_no = s.document_no AND p.uscc <> s.uscc LIMIT 1
    ) p
), up AS (
    INSERT INTO public_records AS p ({_RECORD_COLUMN_LIST})
    SELECT {_RECORD_COLUMN_LIST} FROM credit_import_stage
    ON CONFLICT (document_no) DO UPDATE SET
        uscc = EXCLUDED.uscc,
        subject_name = EXCLUDED.subject_name,
        record_type = EXCLUDED.record_type,
        severity = EXCLUDED.severity,
        grade = EXCLUDED.grade,
        decision_date = EXCLUDED.decision_date,
        publish_until = EXCLUDED.publish_until,
        authority = EXCLUDED.authority,
        description = EXCLUDED.description,
        status = CASE WHEN EXCLUDED.status = 'repaired' AND p.status IN ('active', 'expired')
            THEN 'repaired' ELSE p.status END,
        status_changed_at = CASE WHEN EXCLUDED.status = 'repaired'
            AND p.status IN ('active', 'expired') THEN EXCLUDED.status_changed_at
            ELSE p.status_changed_at END,
        status_note = CASE WHEN EXCLUDED.status = 'repaired' AND p.status IN ('active', 'expired')
            THEN EXCLUDED.status_note ELSE p.status_note END,
        source = EXCLUDED.source,
        provider_ref = EXCLUDED.provider_ref,
        fetched_at = EXCLUDED.fetched_at,
        import_id = EXCLUDED.import_id,
        content_hash = EXCLUDED.content_hash,
        updated_at = EXCLUDED.updated_at
    WHERE p.content_hash IS DISTINCT FROM EXCLUDED.content_hash
    RETURNING p.uscc, p.xmax = 0 AS inserted
)
SELECT
    (SELECT count(*) FROM up WHERE inserted) AS inserted,
    (SELECT count(*) FROM up WHERE NOT inserted) AS updated,
    ARRAY(SELECT uscc FROM up UNION SELECT uscc FROM moved) AS touched
"""  # noqa: S608 - constants


def provider_ref_prefix(filename: str) -> str:
    """``{filename}#row``, keeping the end of a long file name so refs fit their column."""
    room = PROVIDER_REF_MAX - len("#row") - 10  # up to 10 digits of row number
    return (filename if len(filename) <= room else filename[-room:]) + "#row"


def _ref_row(provider_ref: str) -> int:
    return int(provider_ref.rpartition("#row")[2])


async def import_public_credit(
    session: AsyncSession,
    source: Path | bytes,
    *,
    filename: str,
    import_id: UUID | None = None,
    on_progress: Callable[[int], None] | None = None,
    batch_size: int = BATCH_SIZE,
    today: dt.date | None = None,
    parser_process: bool | None = None,
) -> ImportReport:
    """Import one public-credit file into ``public_records`` inside the session's transaction.

    Never commits: the caller commits (or rolls back) the whole file. ``import_id`` names an
    existing ``credit_imports`` row; without one, a row is created for this run and filled in
    (status ``done``, counts, the first 1000 rejections) when the import finishes. Raises
    :class:`ImportFileError` when the file cannot be read at all (nothing is written then).
    ``on_progress`` receives the number of data rows processed so far after every batch.
    ``parser_process`` parses the file in a separate process (True), in a worker thread
    (False), or in a process for files of at least ``PARSER_PROCESS_BYTES`` (None).
    """
    from xinyidai.models.credit_data import CreditImport, ImportStatus

    reader = open_import(source, filename)  # ImportFileError before anything is written
    path = None if isinstance(source, bytes) else Path(source)
    if parser_process is None:
        parser_process = path is not None and path.stat().st_size >= PARSER_PROCESS_BYTES
    try:
        own_run: CreditImport | None = None
        if import_id is None:
            own_run = CreditImport(
                filename=filename[:255], status=ImportStatus.RUNNING, rejected=[]
            )
            session.add(own_run)
            await session.flush()
            import_id = own_run.id
        report = ImportReport()
        report.__dict__["import_id"] = import_id
        from xinyidai.infra.db import driver_connection

        loader = _Loader(await driver_connection(session), report, import_id)
        await loader.prepare()
        now = utc_now()
        ref_prefix = provider_ref_prefix(filename)
        note = f"repaired by import {filename}"
        today = today or china_today()
        sources: list[AsyncGenerator[_Loadable, None]]
        if parser_process and path is not None:
            reader.close()
            # Into an empty table, several processes each validate a part of the file (the
            # loader finds repeats across parts); a merge keeps one process, as it needs the
            # file's rows in order.
            parts = PARSER_PROCESSES if loader.direct else 1
            jobs = [
                _ParserJob(
                    str(path),
                    filename,
                    today,
                    batch_size,
                    now,
                    import_id,
                    ref_prefix,
                    note,
                    stage=not loader.direct,
                    part=part,
                    parts=parts,
                )
                for part in range(parts)
            ]
            sources = [_process_batches(job) for job in jobs]
        else:
            encoder = _Encoder(
                now=now, import_id=import_id, ref_prefix=ref_prefix, note=note,
                stage=not loader.direct,
            )  # fmt: skip
            validator = Validator(today, new_id=_no_id)
            sources = [
                _thread_batches(
                    _encode_batches(iter_batches(reader, validator, batch_size), encoder)
                )
            ]
        positions = [0] * len(sources)  # rows read by each source (its part of the file)
        async with contextlib.aclosing(_interleaved(sources)) as batches:
            async for i, batch in batches:
                await loader.load(batch)
                positions[i] = batch.info.rows_read
                if on_progress is not None:
                    on_progress(sum(positions))
        await loader.finish()
    finally:
        reader.close()
    report.rejected.sort(key=operator.attrgetter("row"))
    if own_run is not None:
        own_run.status = ImportStatus.DONE
        own_run.accepted = report.accepted
        own_run.updated = report.updated
        own_run.unchanged = report.unchanged
        own_run.rejected_count = len(report.rejected)
        own_run.rejected = [{"row": r.row, "reason": r.reason} for r in report.rejected[:1000]]
        own_run.finished_at = utc_now()
        await session.flush()
    return report


async def _copy(
    conn: asyncpg.Connection, table: str, columns: tuple[str, ...], data: memoryview
) -> None:
    """COPY binary ``data`` into ``table``."""

    async def chunks() -> AsyncIterator[memoryview]:
        for start in range(0, len(data), _COPY_CHUNK):
            yield data[start : start + _COPY_CHUNK]

    await conn.copy_to_table(table, source=chunks(), columns=columns, format="binary")


_COPY_CHUNK = 1 << 20


@dataclass
class _Loader:
    conn: asyncpg.Connection
    report: ImportReport
    import_id: UUID
    loaded: int = 0  # batches with records loaded so far
    direct: bool = False  # public_records was empty when the import began
    rebuild: list[str] = field(default_factory=list)  # statements building dropped indexes

    async def prepare(self) -> None:
        conn = self.conn
        await conn.execute(_DROP_TEMP)
        if not await conn.fetchval(_ANY_RECORD):
            # Another import may be loading the empty table: wait for it, then look again.
            await conn.execute("LOCK TABLE public_records IN ACCESS EXCLUSIVE MODE")
            self.direct = not await conn.fetchval(_ANY_RECORD)
        if self.direct:
            for create, drop in await conn.fetch(_LOAD_INDEXES):
                await conn.execute(drop)
                self.rebuild.insert(0, create)
        else:
            await conn.execute(_CREATE_STAGE)

    async def load(self, batch: _Loadable) -> None:
        info = batch.info
        self.report.rejected.extend(info.rejected)
        if not info.rows:
            return
        data = memoryview(batch.data)
        if self.direct:
            # Every row goes in; repeats of a document number are found at the end.
            await _copy(self.conn, "public_records", RECORD_COLUMNS, data)
            self.report.accepted += info.rows
            self.report.touched_usccs.update(info.usccs)
        else:
            await self._merge(info, data)
        self.loaded += 1

    async def _build_indexes(self) -> None:
        """Build the dropped indexes. When the unique one fails, the load holds repeated
        document numbers: they are dropped (the first row wins) and the indexes built again."""
        import asyncpg

        conn = self.conn
        memory = await conn.fetchval("SELECT current_setting('maintenance_work_mem')")
        await conn.execute(f"SET LOCAL maintenance_work_mem = '{INDEX_BUILD_MEMORY}'")
        await conn.execute("SAVEPOINT credit_import_indexes")
        try:
            for statement in self.rebuild:
                await conn.execute(statement)
        except asyncpg.UniqueViolationError:
            await conn.execute("ROLLBACK TO SAVEPOINT credit_import_indexes")
            gone = await self._drop_repeats_of_load()
            for statement in self.rebuild:
                await conn.execute(statement)
            if gone:  # USCCs only repeated rows had are not touched after all
                self.report.touched_usccs.difference_update(
                    r[0] for r in await conn.fetch(_GONE_USCCS, list(gone))
                )
        await conn.execute("RELEASE SAVEPOINT credit_import_indexes")
        await conn.execute("SELECT set_config('maintenance_work_mem', $1, true)", memory)

    async def _drop_repeats_of_load(self) -> set[str]:
        """Reject and delete the loaded rows that repeat the document number of an earlier row
        of the file; returns their USCCs."""
        report, ids, usccs = self.report, [], set()
        for document_no, row_ids, refs, row_usccs in await self.conn.fetch(_LOADED_REPEATS):
            rows = sorted(zip(map(_ref_row, refs), row_ids, row_usccs, strict=True))
            first = rows[0][0]
            for row, row_id, uscc in rows[1:]:
                report.rejected.append(Rejection(row, _duplicate_reason(document_no, first)))
                ids.append(row_id)
                usccs.add(uscc)
        await self.conn.execute(_DROP_LOADED, ids)
        report.accepted -= len(ids)
        return usccs

    async def _merge(self, info: _BatchInfo, data: memoryview) -> None:
        """Drop repeats of earlier batches, then insert new records and update changed ones."""
        conn, report = self.conn, self.report
        if self.loaded:
            await conn.execute("TRUNCATE credit_import_stage")
        await _copy(conn, STAGE, STAGE_COLUMNS, data)
        staged = info.rows
        repeats = await self._drop_repeats(info, staged)
        result = await conn.fetchrow(_MERGE)
        assert result is not None
        inserted, updated, touched = result
        report.accepted += inserted
        report.updated += updated
        report.unchanged += staged - repeats - inserted - updated
        report.touched_usccs.update(touched)

    async def _drop_repeats(self, info: _BatchInfo, staged: int) -> int:
        """Reject rows repeating a document_no of an earlier batch of the file; returns how
        many. Unchanged rows are not written, so the document numbers of every batch but the
        last are kept in a temporary table (client memory stays bounded for any file size)."""
        conn = self.conn
        if self.loaded == 0:
            if info.last:
                return 0  # a one-batch file: nothing to compare with, nothing to keep
            await conn.execute(_CREATE_SEEN)
        if not info.last and await conn.fetchval(_REMEMBER) == staged:
            return 0
        repeats = 0
        for row, document_no, first_row in await conn.fetch(_DROP_REPEATS):
            self.report.rejected.append(Rejection(row, _duplicate_reason(document_no, first_row)))
            repeats += 1
        return repeats

    async def finish(self) -> None:
        if self.direct:
            await self._build_indexes()
        await self.conn.execute(_DROP_TEMP)
