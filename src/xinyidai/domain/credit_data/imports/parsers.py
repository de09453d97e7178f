"""Where the rows are parsed: child Python processes for large files, a worker thread for the
rest. A parser process imports this module without the ORM (tests check that no SQLAlchemy
module is loaded), so it starts in a fraction of a second."""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import os
import struct
import sys
from collections.abc import AsyncGenerator, Iterator
from pathlib import Path
from uuid import UUID

import msgspec

from xinyidai.domain.credit_data.imports.copy_encoding import (
    _BatchInfo,
    _encode_batches,
    _Encoder,
    _Loadable,
    _no_id,
)
from xinyidai.domain.credit_data.imports.readers import iter_batches, open_import
from xinyidai.domain.credit_data.imports.validation import Validator
from xinyidai.domain.credit_data.imports.vocabulary import ImportFileError

# A parser process runs ``_PARSER_BOOT`` with the job on stdin and writes framed batches on stdout.
_PARSER_BOOT = (
    "from xinyidai.domain.credit_data.imports.parsers import _parser_main; _parser_main()"
)
_FRAME = struct.Struct(">ii")  # frame header: info length, data length (-1: an error)
_PARSER_READ_LIMIT = 16 << 20  # buffered ahead of the loader: about one batch


class _ParserJob(msgspec.Struct):
    path: str
    filename: str
    today: dt.date
    batch_size: int
    now: dt.datetime
    import_id: UUID
    ref_prefix: str
    note: str
    stage: bool
    part: int = 0
    parts: int = 1


def _parser_main() -> None:
    """The parser process: reads a :class:`_ParserJob` (msgpack) on stdin and writes frames on
    stdout: a header (``_FRAME``), the :class:`_BatchInfo` (msgpack) and the COPY data. Rows
    are parsed exactly as in process (same code); a failure ends with an error frame."""
    import gc

    out = os.fdopen(os.dup(1), "wb")
    os.dup2(2, 1)  # anything printed goes to stderr, not into the frames
    gc.disable()  # rows are acyclic; the collector would scan every batch again and again
    job = msgspec.msgpack.decode(sys.stdin.buffer.read(), type=_ParserJob)
    encode_info = msgspec.msgpack.Encoder().encode
    try:
        reader = open_import(Path(job.path), job.filename)
        try:
            encoder = _Encoder(
                now=job.now,
                import_id=job.import_id,
                ref_prefix=job.ref_prefix,
                note=job.note,
                stage=job.stage,
            )
            validator = Validator(job.today, new_id=_no_id)
            batches = iter_batches(
                reader, validator, job.batch_size, part=job.part, parts=job.parts
            )
            for item in _encode_batches(batches, encoder):
                info = encode_info(item.info)
                out.write(_FRAME.pack(len(info), len(item.data)))
                out.write(info)
                out.write(item.data)
                out.flush()
        finally:
            reader.close()
    except Exception as exc:  # reported to the loader, which raises it
        error = encode_info((type(exc).__name__, str(exc)))
        out.write(_FRAME.pack(len(error), -1))
        out.write(error)
    out.close()


async def _process_batches(job: _ParserJob) -> AsyncGenerator[_Loadable, None]:
    """The batches of ``job``'s file, parsed in a separate process (see :func:`_parser_main`).
    The process's output is read while the loader works, up to ``_PARSER_READ_LIMIT`` bytes
    ahead; it is killed if the import stops early."""
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-c",
        _PARSER_BOOT,
        stdin=asyncio.subprocess.PIPE,
        stdout=asyncio.subprocess.PIPE,
        limit=_PARSER_READ_LIMIT,
    )
    assert proc.stdin is not None and proc.stdout is not None
    decode_info = msgspec.msgpack.Decoder(_BatchInfo).decode
    finished = False
    try:
        # A process that died at once is reported below, from its exit status.
        with contextlib.suppress(ConnectionResetError, BrokenPipeError):
            proc.stdin.write(msgspec.msgpack.encode(job))
            await proc.stdin.drain()
            proc.stdin.close()
        while True:
            try:
                info_length, data_length = _FRAME.unpack(await proc.stdout.readexactly(8))
                info = await proc.stdout.readexactly(info_length)
                if data_length < 0:
                    kind, message = msgspec.msgpack.decode(info)
                    if kind == ImportFileError.__name__:
                        raise ImportFileError(message)
                    raise RuntimeError(f"the import's parser process failed: {kind}: {message}")
                data = await proc.stdout.readexactly(data_length)
            except asyncio.IncompleteReadError:
                code = await proc.wait()
                raise RuntimeError(
                    f"the import's parser process stopped unexpectedly (exit status {code})"
                ) from None
            item = _Loadable(decode_info(info), data)
            finished = item.info.last
            yield item
            if finished:
                break
    finally:
        if not finished and proc.returncode is None:
            with contextlib.suppress(ProcessLookupError):
                proc.kill()
        await proc.wait()


async def _thread_batches(batches: Iterator[_Loadable]) -> AsyncGenerator[_Loadable, None]:
    """``batches``, each next one made in a worker thread while the loader loads the last."""
    pending = asyncio.ensure_future(asyncio.to_thread(next, batches, None))
    try:
        while (item := await asyncio.shield(pending)) is not None:
            pending = asyncio.ensure_future(asyncio.to_thread(next, batches, None))
            yield item
    finally:
        # A thread cannot be interrupted: let it finish its batch (before the file is closed
        # under it) even when loading failed.
        if not pending.done():
            with contextlib.suppress(BaseException):
                await asyncio.shield(pending)


async def _interleaved(
    sources: list[AsyncGenerator[_Loadable, None]],
) -> AsyncGenerator[tuple[int, _Loadable], None]:
    """(source index, batch) from every source, whichever is ready first; all sources are
    closed at the end, or when one fails."""
    pending: dict[asyncio.Future[_Loadable], int] = {
        asyncio.ensure_future(anext(source)): i for i, source in enumerate(sources)
    }
    try:
        while pending:
            done, _ = await asyncio.wait(pending, return_when=asyncio.FIRST_COMPLETED)
            for future in done:
                i = pending.pop(future)
                try:
                    item = future.result()
                except StopAsyncIteration:
                    continue
                pending[asyncio.ensure_future(anext(sources[i]))] = i
                yield i, item
    finally:
        for future in pending:
            future.cancel()
        await asyncio.gather(*pending, return_exceptions=True)
        for source in sources:
            await source.aclose()
