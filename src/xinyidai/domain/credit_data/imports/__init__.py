"""Bulk import of public credit information (公共信用信息) from CSV or JSON Lines exports.

Two halves:

* **Parsing and validation** (pure, no database): :func:`parse_rows` turns a file into
  :class:`ParsedRow` (normalised, ready to store, with its content hash) or :class:`Rejection`
  (row number and reason), one per data row. :meth:`Validator.check` is the rule, row by row;
  :meth:`Validator.check_batch` gives exactly the same results for a batch of rows a column at a
  time (C-level builtins over whole columns, Python code per *distinct* value), and sends only
  the rows that need it through ``check``: rows with odd text are normalised one by one, and
  every failing row gets its reason from ``check`` itself.
* **Loading** (:func:`import_public_credit`): the parser encodes each batch of ``BATCH_SIZE``
  valid rows as PostgreSQL *binary* COPY data, exactly as ``public_records`` stores them (ids,
  provenance, content hash), so PostgreSQL converts nothing and the process that talks to it
  only forwards bytes.

  - Into a table that was empty when the import began (the first bulk load) the import holds
    ``public_records`` exclusively (another import waits, then merges), drops its indexes and
    the constraints on them (primary key included, with the foreign keys that reference it),
    COPies every row straight in and builds them once at the end: a sorted build per index
    costs a fraction of a million index inserts. When the unique index fails to build, the
    file repeats document numbers across batches: the later rows are rejected and deleted, and
    the indexes built again.
  - Otherwise rows are COPied into a temporary staging table and merged by one set-based
    ``INSERT … SELECT … ON CONFLICT (document_no) DO UPDATE … WHERE content_hash differs``,
    counting inserted and updated rows with ``xmax = 0``.
* **Parsing in separate processes**: files of at least ``PARSER_PROCESS_BYTES`` are parsed by
  child Python processes (``sys.executable``, importing :mod:`.parsers` without the ORM) that write
  the batches' COPY data to pipes, so that parsing overlaps PostgreSQL's work. Into an empty
  table there are ``PARSER_PROCESSES`` of them, each taking a *part* of the file: a byte range
  of plain CSV (cut at line starts; each process reads only its range), or every n-th block of
  rows of other files. Repeats of a document number across parts are found by the loader, as
  are repeats across batches. A merge into a filled table keeps one process (it needs the rows
  in file order). Smaller files and in-memory sources are parsed in a worker
  thread. All run the same code; the loader reads at most about one batch ahead per process.

Conventions:

* **Row numbers** are 1-based data-row numbers. In CSV the header is row 0, so row *n* is the
  *n*-th record after the header; it is physical line *n + 1* unless a quoted field spans lines.
  Blank lines are skipped but keep their number. In JSON Lines, row *n* is line *n*.
* **Encoding**: UTF-8 (with or without BOM), or GB18030 when the first MiB of the file is mostly
  not UTF-8. Bytes that do not decode reject their row, not the file.
* **Text**: NFC-normalised, runs of whitespace (including TAB, CR, LF) collapsed to one space;
  any other control character (Unicode category Cc) rejects the row.
* **Dates**: ``YYYY-MM-DD``, ``YYYY/MM/DD``, ``YYYY.MM.DD``, ``YYYYMMDD``, ``YYYY年MM月DD日``
  (month and day may have one digit except in ``YYYYMMDD``). ``decision_date`` may not be after
  today (China Standard Time); ``publish_until`` may not be before ``decision_date``.
* **Grades** are stored in canonical form (``GRADES``): tax ``A B M C D`` (纳税信用等级);
  customs ``AA`` 高级认证企业 (AEO advanced), ``A`` 一般认证企业 (general AEO, abolished in 2021,
  still in older data), ``B`` 一般信用企业, ``C`` 失信企业; environment ``green blue yellow red
  black`` (绿牌 环保诚信, 蓝牌 环保良好, 黄牌 环保警示, 红牌 环保不良, 黑牌 环保严重失信). When the
  ``grade`` column is missing or empty, the grade is read from the description ("A级", "绿牌", …).
* **Status**: a row may say ``active`` (default) or ``repaired``. An import never moves a record
  back to ``active`` and never touches a ``disputed`` or ``withdrawn`` record's status; a
  ``repaired`` row marks an ``active`` or ``expired`` record ``repaired``.
* **Unchanged detection**: ``content_hash`` is the SHA-256 of the normalised content (every stored
  field from the file, including the row's status; not the provenance). A known ``document_no``
  whose hash equals the stored one is ``unchanged`` and not written at all.
* **Duplicates**: a ``document_no`` repeated within the file rejects the later rows, naming the
  first. Within a batch the parser finds them; across batches (and parser processes) the
  database does, so client memory stays bounded: into an empty table the unique index that is
  built at the end finds them (see above); into a filled table, a temporary table of the file's
  document numbers does it.

Transactions: :func:`import_public_credit` runs inside the caller's transaction and never
commits: the whole file is one transaction, so a failure (or a crash, of either process) leaves
nothing behind, dropped indexes included, and the caller decides. PostgreSQL handles a
million-row transaction comfortably, and the client only ever holds a batch or two. The first
bulk load keeps readers of ``public_records`` waiting until the caller commits (it holds the
table exclusively); later imports take only row locks.

Modules, in the order they depend on each other: :mod:`.vocabulary` (columns, aliases, record
types, grades, result types), :mod:`.validation` (the rules: ``Validator``), :mod:`.readers`
(encodings, plain CSV in bulk, the csv module, JSON Lines, batches), :mod:`.copy_encoding`
(binary COPY data), :mod:`.parsers` (parser processes and worker threads) and :mod:`.loader`
(the transaction: bulk load or merge). This package re-exports the public names.
"""

from xinyidai.dates import china_today
from xinyidai.domain.credit_data.imports.loader import import_public_credit, provider_ref_prefix
from xinyidai.domain.credit_data.imports.readers import (
    Batch,
    ImportFile,
    detect_encoding,
    iter_batches,
    open_import,
    parse_rows,
)
from xinyidai.domain.credit_data.imports.validation import Records, Validator, parse_date
from xinyidai.domain.credit_data.imports.vocabulary import (
    ALIASES,
    BATCH_SIZE,
    FIELDS,
    GRADE_TYPES,
    GRADES,
    RECORD_TYPES,
    REQUIRED_COLUMNS,
    SEVERITIES,
    SOURCE,
    STATUSES,
    ImportFileError,
    ImportReport,
    ParsedRow,
    RejectedRow,
    Rejection,
    canonical_grade,
)

__all__ = [
    "ALIASES",
    "BATCH_SIZE",
    "FIELDS",
    "GRADES",
    "GRADE_TYPES",
    "RECORD_TYPES",
    "REQUIRED_COLUMNS",
    "SEVERITIES",
    "SOURCE",
    "STATUSES",
    "Batch",
    "ImportFile",
    "ImportFileError",
    "ImportReport",
    "ParsedRow",
    "Records",
    "RejectedRow",
    "Rejection",
    "Validator",
    "canonical_grade",
    "china_today",
    "detect_encoding",
    "import_public_credit",
    "iter_batches",
    "open_import",
    "parse_date",
    "parse_rows",
    "provider_ref_prefix",
]
