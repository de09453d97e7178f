"""Reading import files: encodings, CSV (plain CSV in bulk, the rest through the csv module),
JSON Lines, and the batches of validated rows that the loader and the parser processes take."""

from __future__ import annotations

import codecs
import csv
import datetime as dt
import io
import operator
import re
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from itertools import repeat
from pathlib import Path
from typing import IO, Any, NamedTuple

import msgspec
import numpy as np

from xinyidai.dates import china_today
from xinyidai.domain.credit_data.imports.validation import (
    Records,
    Validator,
    _by_row,
    _columns,
    _irregular,
)
from xinyidai.domain.credit_data.imports.vocabulary import (
    ALIASES,
    BATCH_SIZE,
    FIELDS,
    REQUIRED_COLUMNS,
    SNIFF_BYTES,
    ImportFileError,
    ParsedRow,
    Rejection,
    _duplicate_reason,
)

Source = Path | str | bytes
# Bytes that did not decode arrive as U+DC80..U+DCFF through ``surrogateescape``.
_UNDECODABLE = re.compile(r"[\udc80-\udcff]")


def _open_binary(source: Source) -> IO[bytes]:
    if isinstance(source, bytes):
        return io.BytesIO(source)
    try:
        return Path(source).open("rb")
    except OSError as exc:
        raise ImportFileError(f"cannot open {source}: {exc.strerror or exc}") from exc


def detect_encoding(sample: bytes) -> str:
    """``utf-8-sig`` or ``gb18030``, decided from ``sample`` (the start of a file).

    UTF-8 unless the sample is mostly not UTF-8: a UTF-8 file with a few broken bytes stays
    UTF-8 (those rows are rejected) rather than being misread as GB18030, where most byte pairs
    decode to something.
    """
    text = codecs.getincrementaldecoder("utf-8-sig")("surrogateescape").decode(sample)
    undecodable = len(_UNDECODABLE.findall(text))
    if undecodable == 0:
        return "utf-8-sig"
    non_ascii = len(sample) - len(sample.decode("ascii", "ignore"))
    if undecodable * 10 < non_ascii:  # fewer than 10% of the non-ASCII bytes are broken
        return "utf-8-sig"
    try:
        codecs.getincrementaldecoder("gb18030")().decode(sample)
    except UnicodeDecodeError:
        raise ImportFileError("the file is neither UTF-8 nor GB18030 text") from None
    return "gb18030"


def _is_jsonl(filename: str, sample: bytes) -> bool:
    suffix = Path(filename).suffix.lower()
    if suffix in (".jsonl", ".ndjson", ".json"):
        return True
    if suffix in (".csv", ".txt", ".tsv"):
        return False
    return sample.lstrip(b"\xef\xbb\xbf \t\r\n").startswith(b"{")


def _header_key(raw: str) -> str:
    return "".join(raw.replace("\ufeff", "").split()).lower()


RawRow = tuple[int, tuple[str, ...] | str | None]  # row number, fields | reason | None (blank)


def _csv_rows(stream: IO[bytes], encoding: str) -> Iterator[RawRow]:
    """Reads the header at once (ImportFileError if unusable); returns the data rows."""
    textio = io.TextIOWrapper(stream, encoding=encoding, errors="surrogateescape", newline="")
    reader = csv.reader(textio)
    try:
        header = next(reader)
    except StopIteration:
        raise ImportFileError("the file is empty: no header row") from None
    except csv.Error as exc:
        raise ImportFileError(f"the header row is not CSV: {exc}") from exc
    width, indices = _header(header)
    return _csv_body(reader, operator.itemgetter(*indices), width)


def _header(header: list[str]) -> tuple[int, list[int]]:
    """(number of columns, the column of each of ``FIELDS``); a missing optional column is
    ``width``, the empty cell appended to every row."""
    positions: dict[str, int] = {}
    for index, cell in enumerate(header):
        canonical = ALIASES.get(_header_key(cell))
        if canonical is None:
            continue  # extra columns are ignored
        if canonical in positions:
            raise ImportFileError(f"the header names the {canonical} column twice")
        positions[canonical] = index
    missing = [c for c in REQUIRED_COLUMNS if c not in positions]
    if missing:
        found = ", ".join(h.strip() for h in header)
        raise ImportFileError(
            f"the header lacks required column(s) {', '.join(missing)} (found: {found})"
        )
    width = len(header)
    return width, [positions.get(name, width) for name in FIELDS]


def _csv_body(
    reader: Iterator[list[str]], getter: Callable[[list[str]], Any], width: int, row: int = 0
) -> Iterator[RawRow]:
    """The rows of ``reader``, numbered from ``row`` + 1."""
    while True:
        row += 1
        try:
            cells = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            yield row, f"not valid CSV: {exc}"
            continue
        yield row, _shaped(cells, getter, width)


def _shaped(
    cells: list[str], getter: Callable[[list[str]], Any], width: int
) -> tuple[str, ...] | str | None:
    """A CSV record's fields in ``FIELDS`` order, or why it is rejected, or None (blank)."""
    if not any(cells):
        return None  # blank line, or only empty cells (spreadsheet exports)
    count = len(cells)
    if count != width:
        if count < width or any(c.strip() for c in cells[width:]):
            return f"has {count} fields, the header has {width}"
        del cells[width:]
    cells.append("")
    result: tuple[str, ...] = getter(cells)
    return result


class Block(NamedTuple):
    """Data rows read from a file: the readable ones as columns (one per ``FIELDS`` entry)."""

    rows: list[int]  # row numbers of the readable rows
    fields: list[Sequence[str]]
    unreadable: list[Rejection]
    rows_read: int  # data rows read so far in the file or its part (with rejected and blank ones)
    utf8: list[Sequence[bytes]] | None = None  # the fields' UTF-8, when no text in them is odd


def _blocks_of(rows: Iterable[RawRow], size: int) -> Iterator[Block]:
    numbers: list[int] = []
    raws: list[tuple[str, ...]] = []
    unreadable: list[Rejection] = []
    row = 0
    for row, raw in rows:
        if raw is None:
            continue
        if isinstance(raw, str):
            unreadable.append(Rejection(row, raw))
            continue
        numbers.append(row)
        raws.append(raw)
        if len(raws) >= size:
            yield Block(numbers, _columns(raws), unreadable, row)
            numbers, raws, unreadable = [], [], []
    if numbers or unreadable:
        yield Block(numbers, _columns(raws), unreadable, row)


# Plain CSV (no quote characters, NUL bytes or lone carriage returns) is read in bulk: lines
# split at once, cells split at commas, exactly what the csv module gives for such text. The
# first stretch that is not plain, and the rest of the file after it, go through the csv module.
_READ_BYTES = 8 << 20
# Bytes that make a space next to them odd: before it (a doubled space, or a field or line that
# starts with one) and after it (a field or line that ends with one).
_SPACE_BEFORE = np.array([32, 44, 10], dtype=np.uint8)
_SPACE_AFTER = np.array([32, 44, 13, 10], dtype=np.uint8)


def _returns(chunk: bytes) -> tuple[int, bool]:
    """(carriage returns in ``chunk``, whether one of them is not followed by a line feed)."""
    if b"\r" not in chunk:  # memchr
        return 0, False
    data = np.frombuffer(chunk, dtype=np.uint8)
    at = np.flatnonzero(data == 13)
    if at[-1] == len(data) - 1:
        return len(at), True
    return len(at), bool((data[at + 1] != 10).any())


def _odd_spaces(chunk: bytes) -> bool:
    """Whether a chunk of whole CSV lines has a space that normalising would remove: doubled,
    or at the start or end of a field or line (the chunk's own start and end included)."""
    if b" " not in chunk:  # memchr: most Chinese exports have no spaces at all
        return False
    data = np.frombuffer(chunk, dtype=np.uint8)
    at = np.flatnonzero(data == 32)
    if at[0] == 0 or at[-1] == len(data) - 1:
        return True
    return bool(
        np.isin(data[at - 1], _SPACE_BEFORE).any() or np.isin(data[at + 1], _SPACE_AFTER).any()
    )


@dataclass
class _PlainCsv:
    start: int  # byte offset of the first data row
    encoding: str
    width: int
    indices: list[int]

    def blocks(
        self, stream: IO[bytes], size: int, part: int = 0, parts: int = 1
    ) -> Iterator[Block]:
        """Blocks of about ``size`` rows; with ``parts`` > 1 only the rows of byte range
        ``part`` of ``parts``, cut at line starts (only for data :meth:`splittable` found plain
        throughout)."""
        getter = operator.itemgetter(*self.indices)
        text_encoding = "utf-8" if self.encoding.startswith("utf-8") else self.encoding
        begin, end = self._range(stream, part, parts)
        before = self._lines_before(stream, begin)  # rows of the earlier ranges
        row = before
        stream.seek(begin)
        pending = b""
        while True:
            read = stream.read(min(_READ_BYTES, end - stream.tell()))
            data = pending + read if pending else read
            offset = stream.tell() - len(data)  # where ``data`` starts in the file
            cut = data.rfind(b"\n") + 1 if read else len(data)
            if read and cut == 0:
                pending = data  # a line longer than a read: read on
                continue
            chunk, pending = data[:cut], data[cut:]
            if chunk:
                returns, lone = _returns(chunk)
                if b'"' in chunk or b"\x00" in chunk or lone:
                    if parts > 1:
                        raise ImportFileError("the file changed while it was being read")
                    stream.seek(offset)
                    textio = io.TextIOWrapper(
                        stream, encoding=text_encoding, errors="surrogateescape", newline=""
                    )
                    rows = _csv_body(csv.reader(textio), getter, self.width, row)
                    yield from _blocks_of(rows, size)
                    return
                text = chunk.decode(text_encoding, "surrogateescape")
                if returns and returns != chunk.count(b"\n"):
                    text = text.replace("\r\n", "\n")  # line ends of both kinds
                    returns = 0
                lines = text.split("\r\n" if returns else "\n")
                if not lines[-1]:
                    lines.pop()  # the chunk ends with a line break
                spaced = _odd_spaces(chunk)
                for first in range(0, len(lines), size):
                    some = lines[first : first + size]
                    numbers = range(row + first + 1, row + first + len(some) + 1)
                    yield self._block(some, numbers, getter, numbers[-1] - before, spaced)
                row += len(lines)
            if not read:
                return

    def splittable(self, stream: IO[bytes]) -> bool:
        """Whether the data is plain throughout (no quote character, NUL or lone carriage
        return anywhere), so that every line start is a row start and the file can be read in
        byte ranges by several processes."""
        stream.seek(self.start)
        while chunk := stream.read(_READ_BYTES):
            if chunk.endswith(b"\r"):
                chunk += stream.read(1)  # the line feed that may follow
            if b'"' in chunk or b"\x00" in chunk or _returns(chunk)[1]:
                return False
        return True

    def _range(self, stream: IO[bytes], part: int, parts: int) -> tuple[int, int]:
        """Byte range ``part`` of ``parts`` of the data, both ends moved to line starts."""
        size = stream.seek(0, io.SEEK_END)
        data = size - self.start
        return (
            self._line_start(stream, self.start + data * part // parts, size),
            self._line_start(stream, self.start + data * (part + 1) // parts, size),
        )

    def _line_start(self, stream: IO[bytes], position: int, size: int) -> int:
        """The first line start at or after ``position`` (``size`` when there is none)."""
        if position <= self.start or position >= size:
            return min(max(position, self.start), size)
        stream.seek(position - 1)  # a line starts at ``position`` if a line feed precedes it
        while data := stream.read(1 << 16):
            found = data.find(b"\n")
            if found >= 0:
                return stream.tell() - len(data) + found + 1
        return size

    def _lines_before(self, stream: IO[bytes], position: int) -> int:
        """Line feeds in the data before ``position``: the rows of the earlier ranges."""
        stream.seek(self.start)
        count, left = 0, position - self.start
        while left > 0 and (data := stream.read(min(_READ_BYTES, left))):
            count += data.count(b"\n")
            left -= len(data)
        return count

    def _block(
        self,
        lines: list[str],
        numbers: range,
        getter: Callable[[list[str]], Any],
        rows_read: int,
        spaced: bool = True,
    ) -> Block:
        width = self.width
        n = len(lines)
        # Lines with ``width`` - 1 commas and at least ``width`` characters are rows of the
        # right width that are not blank: the usual case, split into columns all at once.
        if (
            n
            and min(map(len, lines)) >= width
            and set(map(str.count, lines, repeat(","))) == {width - 1}
        ):
            text = ",".join(lines)
            cells = text.split(",")
            empty = ("",) * n
            fields: list[Sequence[str]] = [
                cells[i::width] if i < width else empty for i in self.indices
            ]
            utf8: list[Sequence[bytes]] | None = None
            if not _irregular(text, ",", spaced=spaced):  # usually: the validator needs no joins
                data = text.encode().split(b",")
                utf8 = [data[i::width] if i < width else (b"",) * n for i in self.indices]
            return Block(list(numbers), fields, [], rows_read, utf8)
        shaped = (
            (number, _shaped(line.split(","), getter, width))
            for number, line in zip(numbers, lines, strict=True)
        )
        found = list(_blocks_of(shaped, max(n, 1)))
        block = found[0] if found else Block([], _columns([]), [], 0)
        return block._replace(rows_read=rows_read)


def _jsonl_rows(stream: IO[bytes], encoding: str) -> Iterator[RawRow]:
    decoder = msgspec.json.Decoder()
    utf8 = encoding.startswith("utf-8")
    for row, line in enumerate(stream, start=1):
        if row == 1 and line.startswith(codecs.BOM_UTF8):
            line = line[len(codecs.BOM_UTF8) :]
        if not line.strip():
            yield row, None
            continue
        try:
            obj = decoder.decode(line if utf8 else line.decode(encoding))
        except UnicodeDecodeError:
            yield row, "contains bytes that are not valid text in the file's encoding"
            continue
        except msgspec.DecodeError as exc:
            yield row, f"not valid JSON: {exc}"
            continue
        yield row, _jsonl_fields(obj)


def _jsonl_fields(obj: Any) -> tuple[str, ...] | str:
    """A JSON Lines record's fields in ``FIELDS`` order, or why it is rejected."""
    if not isinstance(obj, dict):
        return "not a JSON object"
    values: dict[str, str] = {}
    for key, value in obj.items():
        canonical = ALIASES.get(_header_key(str(key)))
        if canonical is None:
            continue
        if value is None:
            value = ""
        elif isinstance(value, bool) or not isinstance(value, str | int | float):
            return f"{canonical}: must be a string"
        values[canonical] = value if isinstance(value, str) else str(value)
    missing = [c for c in REQUIRED_COLUMNS if c not in values]
    if missing:
        return f"{missing[0]}: required"
    return tuple(values.get(name, "") for name in FIELDS)


@dataclass
class ImportFile:
    """An open import file: format, encoding and its data rows (header already read)."""

    stream: IO[bytes]
    encoding: str
    jsonl: bool
    rows: Iterator[RawRow] | None  # read row by row (JSON Lines, and CSV that is not plain)
    plain: _PlainCsv | None = None  # plain CSV, read in bulk

    def blocks(self, size: int, part: int = 0, parts: int = 1) -> Iterator[Block]:
        """The data rows, about ``size`` at a time (of part ``part`` of ``parts``, see
        :func:`iter_batches`)."""
        if parts > 1:
            if self.plain is not None and self.plain.splittable(self.stream):
                return self.plain.blocks(self.stream, size, part, parts)
            return _every(self.blocks(size), part, parts)
        if self.plain is not None:
            return self.plain.blocks(self.stream, size)
        assert self.rows is not None
        return _blocks_of(self.rows, size)

    def close(self) -> None:
        self.stream.close()


def open_import(source: Source, filename: str) -> ImportFile:
    """Open ``source``, decide format and encoding and read the CSV header; raises
    :class:`ImportFileError` when the file cannot be read at all."""
    stream = _open_binary(source)
    try:
        sample = stream.read(SNIFF_BYTES)
        stream.seek(0)
        if not sample.strip():
            raise ImportFileError("the file is empty")
        encoding = detect_encoding(sample)
        jsonl = _is_jsonl(filename, sample)
        if jsonl:
            return ImportFile(stream, encoding, jsonl, _jsonl_rows(stream, encoding))
        end = sample.find(b"\n") + 1
        head = sample[:end]
        if end and b'"' not in head and b"\x00" not in head and b"\r" not in head[:-2]:
            header = next(csv.reader([head.decode(encoding, "surrogateescape")]), [])
            width, indices = _header(header)
            return ImportFile(
                stream, encoding, jsonl, None, _PlainCsv(end, encoding, width, indices)
            )
        return ImportFile(stream, encoding, jsonl, _csv_rows(stream, encoding))
    except BaseException:
        stream.close()
        raise


def parse_rows(
    source: Source, filename: str, *, today: dt.date | None = None
) -> Iterator[ParsedRow | Rejection]:
    """Every data row of the file, validated, in row order: a :class:`ParsedRow` or a
    :class:`Rejection` (blank rows are skipped). Pure: no database. Duplicate ``document_no``
    values are detected over the whole file here (memory grows with the number of rows; the
    loader does this in the database instead)."""
    reader = open_import(source, filename)
    validator = Validator(today or china_today())
    seen: dict[str, int] = {}
    try:
        for batch in iter_batches(reader, validator):
            items: list[ParsedRow | Rejection] = list(batch.rejected)
            for record in batch.records.parsed(validator.new_id):
                first = seen.setdefault(record.document_no, record.row)
                if first != record.row:
                    items.append(
                        Rejection(record.row, _duplicate_reason(record.document_no, first))
                    )
                else:
                    items.append(record)
            items.sort(key=_by_row)
            yield from items
    finally:
        reader.close()


@dataclass
class Batch:
    records: Records
    rejected: list[Rejection]  # in row order
    rows_read: int  # data rows read so far in the file (including rejected and blank ones)
    last: bool  # no batch follows


def iter_batches(
    reader: ImportFile,
    validator: Validator,
    batch_size: int = BATCH_SIZE,
    *,
    part: int = 0,
    parts: int = 1,
) -> Iterator[Batch]:
    """Validate the file's rows about ``batch_size`` at a time; duplicates of a
    ``document_no`` within one batch are rejected here, duplicates across batches by the
    loader.

    With ``parts`` > 1, only part ``part`` of the rows: in plain CSV (no quote character, NUL
    or lone carriage return anywhere, so every line start is a row start) the rows of byte range
    ``part`` of ``parts``; in other files every ``parts``-th block of rows (each part then reads
    the whole file). Parser processes
    each take a part; repeats of a document number across parts are the loader's to find.
    A batch's ``rows_read`` counts the rows of its part only, so the parts' add up."""
    held: Block | None = None
    for block in reader.blocks(batch_size, part, parts):
        if held is not None:
            yield _batch(held, validator, last=False)
        held = block
    yield _batch(held or Block([], _columns([]), [], 0), validator, last=True)


def _every(blocks: Iterator[Block], part: int, parts: int) -> Iterator[Block]:
    """Blocks ``part``, ``part + parts``, ``part + 2 parts``, … of ``blocks``, with
    ``rows_read`` counting the rows of these blocks only."""
    done = before = 0
    for i, block in enumerate(blocks):
        span, before = block.rows_read - before, block.rows_read
        if i % parts == part:
            done += span
            yield block._replace(rows_read=done)


def _batch(block: Block, validator: Validator, *, last: bool) -> Batch:
    records, rejected = validator.check_columns(block.rows, block.fields, block.utf8)
    return Batch(records, _in_row_order(block.unreadable, rejected), block.rows_read, last)


def _in_row_order(first: list[Rejection], second: list[Rejection]) -> list[Rejection]:
    if not first:
        return second
    return sorted(first + second, key=_by_row)
